"""report.html: self-contained, escaped, with inline SVG charts."""

from __future__ import annotations

import re

import pytest

from evals.html import bar_chart, render_html
from tests.test_evals_outputs import sample_run


@pytest.fixture
def run():
    return sample_run()


def test_html_is_self_contained(run):
    page = render_html(run)
    assert not re.search(r"""(src|href)\s*=""", page, re.I)  # nothing to fetch, not even locally
    assert "<script" not in page.lower() and "@import" not in page and "url(" not in page
    assert "See http://www.example.org" in page  # a URL in the report is text, never a link
    assert page.count("<svg") == 3
    assert "Question stat-02 &lt;b&gt;?" in page and "wrong &lt;i&gt;" in page  # text is escaped
    assert "<details open><summary>fused: 2 failures</summary>" in page


def test_bar_chart_draws_one_bar_per_value_and_a_dash_for_none():
    svg = bar_chart(["hit@1", "accuracy"], [[0.5, 1.0], [None, 0.25]], top=1.0, title="t")
    assert svg.count("<rect") == 3
    assert 'height="160.0"' in svg and 'height="80.0"' in svg  # 1.0 and 0.5 of the plot height
    assert "–</text>" in svg
