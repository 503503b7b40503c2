"""The trainers tab and the page heading follow the chat's report picker (ui/trainers_tab.py, ui/picked.py).

A library of the bundled report (which has practice examples) and a small invented one, indexed with the
hashing fake (~1 s); the app starts on the small one. No server.
"""

from __future__ import annotations

import pytest

from ingest.settings import BUNDLED_REPORT, load_settings
from tests.fakes import HashingEmbedder
from tests.sample_reports import BIRMINGHAM
from ui import app, picked, trainers_tab

SMALL = "ofsted-birmingham-2016"


@pytest.fixture(scope="module")
def two(tmp_path_factory):
    from ingest.pipeline import ingest
    from retrieval.engine import Engine

    root = tmp_path_factory.mktemp("trainers-library")
    settings = load_settings(index_root=root / "index")
    source = root / f"{SMALL}.txt"
    source.write_text(BIRMINGHAM, encoding="utf-8")
    ingest(source, settings, embedder=HashingEmbedder())
    bundled = ingest(BUNDLED_REPORT, settings, embedder=HashingEmbedder()).report_name
    engine = Engine.load(settings, report=SMALL, embedder=HashingEmbedder())
    return engine, app.open_library(engine), bundled


def test_none_picked_shows_the_apps_own_report(two):
    engine, library, _ = two
    groups, sheet = trainers_tab.view(engine, library, [], "Birmingham")
    assert [g.report.id for g in groups] == [SMALL]
    assert groups[0].examples == []  # the small report has none
    assert sheet.startswith("Handout: Birmingham")
    assert picked.picked_ids(engine, library, ["gone-report"]) == [SMALL]  # an unknown pick is dropped


def test_one_picked_report_gives_its_examples_and_the_handout_its_title(two):
    engine, library, bundled = two
    groups, sheet = trainers_tab.view(engine, library, [bundled], "Birmingham")
    assert [g.report.id for g in groups] == [bundled]
    title = library.entry(bundled).title
    assert groups[0].examples and sheet.startswith(f"Handout: {title}")
    html = trainers_tab.groups_html(groups)
    assert "example(s)" in html and "<h4>" not in html  # one report: no per-report heading
    choices = trainers_tab.example_choices(groups)
    assert len(choices) == len(groups[0].examples)
    assert not choices[0][0].startswith(title)  # labels as before
    assert {"CRC", "NPS"} <= set(trainers_tab.organisations_of(groups))


def test_several_picked_are_grouped_by_report_under_its_title(two):
    engine, library, bundled = two
    groups, sheet = trainers_tab.view(engine, library, [SMALL, bundled], "Birmingham")
    title = library.entry(bundled).title
    html = trainers_tab.groups_html(groups)
    assert html.index("Birmingham") < html.index(trainers_tab.render.escape(title))
    assert html.count("<h4>") == 2 and "No practice example here" in html
    assert sheet == f"Handout: Birmingham; {title}"
    choices = trainers_tab.example_choices(groups)
    values = [v for _, v in choices]
    assert len(set(values)) == len(values) and all(v.startswith(f"{bundled}::") for v in values)
    assert all(label.startswith(f"{title} · ") for label, _ in choices)
    # Filters apply inside each group.
    kept = trainers_tab.filtered(groups, polarity="good")
    assert all(c.polarity == "good" for g in kept for c in g.examples) and len(kept) == 2


def test_an_added_example_names_its_report_in_a_library(two):
    engine, library, bundled = two
    groups, _ = trainers_tab.view(engine, library, [bundled], "Birmingham")
    value = trainers_tab.example_choices(groups)[0][1]
    report, chunk = trainers_tab.find_example(groups, value)
    item = trainers_tab.example_item(report, chunk, named=True)
    assert item.kind == "example" and item.quotes[0].report == report.title
    assert item.quotes[0].reference.startswith(report.title)
    assert trainers_tab.example_item(report, chunk, named=False).quotes[0].report is None
    assert trainers_tab.find_example(groups, "nope::c1") is None
    assert trainers_tab.find_example(groups, None) is None


def test_the_heading_says_what_is_loaded_and_follows_the_picker(two):
    engine, library, bundled = two
    title = library.entry(bundled).title
    assert picked.page_heading(engine, library, [], "Birmingham").startswith("## Report library: 2 reports")
    one = picked.page_heading(engine, library, [bundled], "Birmingham")
    assert one.splitlines()[0] == f"## {picked.render.plain(title)}" and "Ask this report" in one
    both = picked.page_heading(engine, library, [SMALL, bundled], "Birmingham")
    assert both.startswith("## 2 reports: Birmingham · ") and "Ask these reports" in both
    alone = picked.page_heading(engine, None, [bundled], "Birmingham")
    assert alone.startswith("## Birmingham\nAsk this report")


def test_the_app_builds_with_the_trainers_tab_following_the_picker(two, tmp_path):
    engine, library, _ = two
    demo = app.build_app(engine, eval_summary=tmp_path / "none.json", feedback_store=None, library=library)
    config = str(demo.get_config_file())
    assert "rq-examples" in config and "Report library: 2 reports" in config
