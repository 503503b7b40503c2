"""The rows and number formats shared by the terminal, report.md and report.html."""

from __future__ import annotations

import pytest

from evals.tables import category_rows, format_value, overall_rows, text_table
from tests.test_evals_outputs import sample_run


@pytest.fixture
def run():
    return sample_run()


def test_tables_for_the_terminal(run):
    table = text_table(*overall_rows(run))
    assert table.splitlines()[0].split() == ["metric", "fused", "langchain-baseline"]
    assert "answer accuracy" in table and "0.50" in table
    header, rows = category_rows(run)
    assert rows == [["statistic (2)", "0.50", "0.50"], ["unanswerable (1)", "0.00", "0.00"]]


@pytest.mark.parametrize(("key", "value", "wanted"), [
    ("accuracy", 0.8696, "0.87"),
    ("latency_p95_ms", 41.234, "41.2"),
    ("median_answer_chars", 158.5, "158"),  # banker's rounding is fine for a length
    ("n", 115, "115"),
    ("mrr", None, "–"),
])
def test_format_value(key, value, wanted):
    assert format_value(key, value) == wanted

