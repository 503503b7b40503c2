"""The app over a library: the report picker, asking the chosen reports, citations naming their report,
the reader opening another report's passage, and uploads (checks, progress, library untouched on failure).

Two small reports indexed with the hashing fake (~1 s); no server.
"""

from __future__ import annotations

import html
from pathlib import Path

import pytest

from ingest.settings import load_settings
from retrieval.library import Library
from tests.fakes import HashingEmbedder
from tests.sample_reports import BIRMINGHAM, STOKE
from ui import app, render

UPLOADED = """Lantern Valley Council

Inspection of library services
Report published: 3 March 2021

Summary

The Lantern Valley mobile library visits seventeen villages every fortnight. Volunteers run the \
reading clubs for children in the summer holidays.
"""


def _library_at(root: Path) -> tuple:
    from ingest.pipeline import ingest
    from retrieval.engine import Engine

    settings = load_settings(index_root=root / "index")
    for name, text in (("ofsted-birmingham-2016", BIRMINGHAM), ("ofsted-stoke-2015", STOKE)):
        source = root / f"{name}.txt"
        source.write_text(text, encoding="utf-8")
        ingest(source, settings, embedder=HashingEmbedder())
    engine = Engine.load(settings, report="ofsted-birmingham-2016", embedder=HashingEmbedder())
    return engine, app.open_library(engine)


@pytest.fixture(scope="module")
def two(tmp_path_factory):
    return _library_at(tmp_path_factory.mktemp("app-library"))


@pytest.fixture
def fresh(tmp_path):
    """A library of its own, for tests that add reports."""
    return _library_at(tmp_path)


def _index_listing(library: Library) -> list[str]:
    root = Path(library.settings.index_root)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def test_the_picker_lists_every_report_with_title_publisher_and_date(two):
    engine, library = two
    choices = dict((value, label) for label, value in app.report_choices(library))
    assert set(choices) == {"ofsted-birmingham-2016", "ofsted-stoke-2015"}
    for report_id, entry in ((e.id, e) for e in library.entries):
        label = choices[report_id]
        assert entry.metadata.title in label
        assert (entry.metadata.publisher or "publisher unknown") in label
        assert (entry.metadata.date or "undated") in label
    assert app.open_library(engine)._engines["ofsted-birmingham-2016"] is engine  # loaded once, shared


def test_the_chosen_report_answers_and_its_citations_name_it(two):
    engine, library = two
    messages, answer = app.chat_turn(engine, "How is adoption performance?", [], turn=0, library=library,
                                     reports=["ofsted-stoke-2015"])
    assert answer is not None and not answer.abstained, messages[-1]
    assert {c.report["id"] for c in answer.citations} == {"ofsted-stoke-2015"}
    stoke = library.entry("ofsted-stoke-2015").metadata.title
    titles = [m["metadata"]["title"] for m in messages if m.get("metadata")]
    assert titles and all(stoke in render.plain(t) or stoke[:20] in t for t in titles)
    assert "Sources:" in messages[1]["content"] and stoke[:20] in messages[1]["content"]


def test_the_whole_library_answers_from_the_best_report(two):
    engine, library = two
    _, answer = app.chat_turn(engine, "How is adoption performance in Stoke-on-Trent?", [], library=library,
                              reports=[])
    assert answer is not None and answer.citations
    assert answer.citations[0].report["id"] == "ofsted-stoke-2015"


def test_a_marker_of_another_report_opens_that_report_in_the_reader(two):
    engine, library = two
    messages, answer = app.chat_turn(engine, "How is adoption performance?", [], turn=0, library=library,
                                     reports=["ofsted-stoke-2015"])
    turns = [{"start": 1, "end": len(messages), "question": "q", "answer": answer.to_json()}]
    report, section_id, view = app.open_passage(engine, library, *app.marker_target(turns, "#rq-cite-0-1"))
    assert report == "ofsted-stoke-2015" and section_id
    assert "rq-cited" in view and "Adoption performance" in view
    assert render.escape(library.entry("ofsted-stoke-2015").metadata.title)[:20] in view  # the reader names it
    section_id, view = app.marker_passage(engine, turns, "#rq-cite-0-1", library=library)
    assert "Adoption performance" in view
    # Without the library (the single-report app) the other report's chunk is not found: nothing opens.
    assert app.marker_passage(engine, turns, "#rq-cite-0-1")[0] is None


def test_with_one_report_the_answer_is_the_engines(two):
    engine, library = two
    question = "What do care leavers receive?"
    alone = engine.ask(question).to_json()
    _, through = app.chat_turn(engine, question, [], library=library, reports=["ofsted-birmingham-2016"])
    through = through.to_json()
    assert through["answer"] == alone["answer"]
    assert [c["chunk_id"] for c in through["citations"]] == [c["chunk_id"] for c in alone["citations"]]


def test_a_library_of_one_report_answers_exactly_as_the_single_report_app(tmp_path):
    from tests.fakes import engine_over_text

    engine = engine_over_text(tmp_path, STOKE)
    library = app.open_library(engine)
    assert [e.id for e in library.entries] == ["small-report"]
    question = "How is adoption performance?"
    _, through = app.chat_turn(engine, question, [], library=library, reports=[])
    assert through.to_json() | {"timings_ms": None} == engine.ask(question).to_json() | {"timings_ms": None}
    assert all(c.report is None for c in through.citations)


class Progress:
    def __init__(self) -> None:
        self.calls: list[tuple[float, str]] = []

    def __call__(self, fraction, desc=None):
        self.calls.append((fraction, desc))


def test_an_uploaded_text_report_is_ingested_with_progress_and_answers(fresh, tmp_path):
    engine, library = fresh
    upload = tmp_path / "uploads" / "Lantern Valley 2021.txt"
    upload.parent.mkdir()
    upload.write_text(UPLOADED, encoding="utf-8")
    progress = Progress()
    new_id, line = app.upload_report(library, str(upload), progress)
    assert new_id == "lantern-valley-2021", line
    assert "Added" in line and progress.calls and all(0 <= f <= 1 for f, _ in progress.calls)
    assert new_id in [value for _, value in app.report_choices(library)]
    _, answer = app.chat_turn(engine, "Who runs the reading clubs for children?", [],
                              library=library, reports=[new_id])
    assert answer is not None and not answer.abstained
    assert answer.citations[0].report["id"] == new_id
    assert "reading clubs" in answer.citations[0].text


def _bad(tmp_path: Path, name: str, content: bytes) -> str:
    path = tmp_path / "bad" / name
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(content)
    return str(path)


@pytest.mark.parametrize(("name", "content", "says"), [
    ("report.pdf", b"just some text, not a PDF", "not a PDF"),
    ("report.txt", b"%PDF-1.7\n%binary", "is a PDF named .txt"),
    ("report.txt", b"text\x00\x01\x02 binary", "binary"),
    ("report.md", "caf\u00e9".encode("latin-1") + b" menu", "not UTF-8"),
    ("report.docx", b"PK\x03\x04", "not a report file"),
    ("report.txt", b"", "empty"),
    ("ofsted-stoke-2015.txt", STOKE.encode(), "already in the library"),
    ("broken.pdf", b"%PDF-1.4\n1 0 obj garbage", "Not added"),
])
def test_a_bad_upload_says_why_and_leaves_the_library_untouched(fresh, tmp_path, name, content, says):
    engine, library = fresh
    before, choices = _index_listing(library), app.report_choices(library)
    new_id, line = app.upload_report(library, _bad(tmp_path, name, content), Progress())
    line = html.unescape(line)
    assert new_id is None
    assert line.startswith("⚠️ Not added") and says in line, line
    assert _index_listing(library) == before and app.report_choices(library) == choices


def test_an_upload_over_the_size_limit_is_refused(fresh, tmp_path):
    engine, library = fresh
    before = _index_listing(library)
    new_id, line = app.upload_report(library, _bad(tmp_path, "big.txt", b"word " * 400), max_bytes=1000)
    assert new_id is None and "over the 1,000-byte limit" in html.unescape(line)
    assert _index_listing(library) == before


def test_a_crash_inside_ingest_is_a_message_and_changes_nothing(fresh, tmp_path, monkeypatch):
    import ingest.pipeline

    engine, library = fresh
    before = _index_listing(library)

    def crash(*args, **kwargs):
        raise MemoryError("parser blew up")

    monkeypatch.setattr(ingest.pipeline, "ingest", crash)
    new_id, line = app.upload_report(library, _bad(tmp_path, "fine.txt", UPLOADED.encode()))
    assert new_id is None and "could not be read (MemoryError)" in html.unescape(line)
    assert _index_listing(library) == before


def test_no_file_and_no_library_are_messages_not_errors(two):
    _, library = two
    assert app.upload_report(library, None)[0] is None
    assert "cannot be added" in app.upload_report(None, "x.txt")[1]


def test_build_app_shows_the_picker_and_upload_only_with_a_library(two, tmp_path):
    engine, library = two
    config = str(app.build_app(engine, eval_summary=tmp_path / "none.json", feedback_store=None,
                               library=library).get_config_file())
    assert "rq-reports" in config and "rq-upload" in config
    alone = str(app.build_app(engine, eval_summary=tmp_path / "none.json", feedback_store=None,
                              library=None).get_config_file())
    assert "rq-reports" not in alone and "rq-upload" not in alone
