"""The app's handlers and layout, with a real Engine over an index built with the hashing fake (~1 s).

No server here: handlers are plain functions taking the engine, so bad input and failures are checked
directly.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.errors import QuestionError
from ingest.settings import BUNDLED_REPORT, load_settings
from retrieval.records import Answer, Figure
from tests.fakes import HashingEmbedder
from ui import app, handout


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    from ingest.pipeline import ingest
    from retrieval.engine import Engine

    settings = load_settings(index_root=tmp_path_factory.mktemp("fake-index"))
    ingest(BUNDLED_REPORT, settings, embedder=HashingEmbedder())
    return Engine.load(settings=settings, embedder=HashingEmbedder())


class Recording:
    """Wraps an engine, records questions, and fails on demand like a bug deep in retrieval would."""

    def __init__(self, engine, fail_on: str | None = None) -> None:
        self.engine, self.fail_on, self.asked = engine, fail_on, []
        self.document = engine.document

    def ask(self, question: str, **kwargs) -> Answer:
        self.asked.append(question)
        if self.fail_on and self.fail_on in question:
            raise RuntimeError("index row out of range")
        return self.engine.ask(question, **kwargs)


@pytest.mark.parametrize("message", ["", "   \n\t "])  # empty, blank
def test_an_empty_message_sends_nothing(engine, message):
    recording = Recording(engine)
    history = [{"role": "user", "content": [{"type": "text", "text": "earlier"}]}]
    messages, answer = app.chat_turn(recording, message, history)
    assert recording.asked == [] and answer is None
    assert messages == [{"role": "user", "content": "earlier"}]


def test_a_question_adds_the_answer_and_its_citations(engine):
    history = [{"role": "user", "content": [{"type": "text", "text": "Hi"}]},
               {"role": "assistant", "content": [{"type": "text", "text": "Hello"}]}]
    messages, answer = app.chat_turn(engine, "What does ATR stand for?", history)
    assert messages[:3] == [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"},
                            {"role": "user", "content": "What does ATR stand for?"}]
    assert isinstance(answer, Answer)
    cited = [m for m in messages[3:] if m.get("metadata")]
    assert all(m["metadata"]["status"] == "done" for m in cited)
    assert len(cited) == (len(answer.passages[:3]) if answer.abstained else len(answer.citations))


def test_a_100k_message_gets_a_clear_message(engine):
    messages, answer = app.chat_turn(engine, "x" * 100_000, [])
    assert answer is None
    assert "100,000 characters long" in messages[-1]["content"]
    assert len(messages[0]["content"]) < 1_000  # the echo is cut


def test_an_internal_error_shows_a_message_and_the_next_question_works(engine):
    recording = Recording(engine, fail_on="boom")
    messages, answer = app.chat_turn(recording, "boom?", [])
    assert answer is None
    assert "Something went wrong" in messages[-1]["content"] and "RuntimeError" in messages[-1]["content"]
    messages, answer = app.chat_turn(recording, "What does ATR stand for?", messages)
    assert isinstance(answer, Answer)


def test_ask_json_returns_the_answer_json_or_an_error(engine):
    result = app.ask_json(engine, "What does ATR stand for?")
    assert result == engine.ask("What does ATR stand for?").to_json() | {"timings_ms": result["timings_ms"]}
    assert app.ask_json(engine, "") == {"error": str(_question_error(engine, ""))}
    failed = app.ask_json(Recording(engine, fail_on="boom"), "boom")
    assert set(failed) == {"error"} and "RuntimeError" in failed["error"]


def _question_error(engine, question):
    with pytest.raises(QuestionError) as caught:
        engine.ask(question)
    return caught.value


def test_citation_opens_its_section_with_the_passage_boxed(engine):
    chunk = next(c for c in engine.document.chunks if c.label == "Table 11")
    answer = Answer(question="q", answer="a [1]", abstained=False)
    section_id, view = app.citation_passage(engine, answer, chunk.id)
    assert section_id == chunk.section_id
    assert "id='rq-cited'" in view
    assert app.citation_passage(engine, answer, "no-such-chunk")[0] is None


def test_table_updates_show_table_and_chart_for_a_numeric_table(engine):
    chunk = next(c for c in engine.document.chunks if c.label == "Table 11")
    table = chunk.table
    figure = Figure(kind="table", label="Table 11", value=None, describes="", columns=table.columns,
                    rows=table.rows, caption=table.caption, source=table.source)
    answer = Answer(question="q", answer="a", abstained=False, figures=[figure])
    frame, chart, picker = app.table_updates(answer)
    assert frame.visible and chart.visible and not picker.visible
    assert frame.label.startswith("Table 11: Sufficiency scores")
    frame, chart, _ = app.table_updates(None)
    assert not frame.visible and not chart.visible


def test_export_handout_writes_markdown_and_docx(engine):
    answer = engine.ask("What does ATR stand for?")
    paths = [Path(p) for p in app.export_handout([handout.item_from_answer(answer)])]
    assert [p.suffix for p in paths] == [".md", ".docx"]
    assert "What does ATR stand for?" in paths[0].read_text(encoding="utf-8")
    assert paths[1].stat().st_size > 5_000


def test_build_app_has_the_ask_endpoint_and_no_external_resources(engine, tmp_path):
    demo = app.build_app(engine, eval_summary=tmp_path / "missing.json")
    public = [fn.api_name for fn in demo.fns.values() if fn.api_visibility == "public"]
    assert public == ["ask"]  # the chat's own events stay private
    config = str(demo.get_config_file())
    assert "fonts.googleapis" not in config and "huggingface.co" not in config
    assert "make eval" in config  # no eval run: the tab says how to make one


def test_heading_and_handout_name_the_report_not_its_folder(engine, tmp_path):
    from ui import render

    # The manifest's title when ingest records one, else the source's running footer.
    title = getattr(engine.manifest, "title", "") or "Quality & Impact inspection: Staffordshire and Stoke"
    assert app.report_title(engine) == title
    config = str(app.build_app(engine, eval_summary=tmp_path / "missing.json").get_config_file())
    assert "Ask the report: staffordshire-and-stoke-2017" not in config
    assert f"## {render.plain(title)}" in config
    answer = engine.ask("What does ATR stand for?")
    markdown = Path(app.export_handout([handout.item_from_answer(answer)], title)[0]).read_text(encoding="utf-8")
    assert markdown.startswith(f"# {handout.plain_md(title)}\n")


def test_feedback_on_any_answer_in_the_conversation_is_stored(engine, tmp_path):
    from ui import feedback

    store = feedback.FeedbackStore.at(tmp_path)
    messages, first = app.chat_turn(engine, "What does ATR stand for?", [])
    turns = [{"start": 1, "end": len(messages), "question": first.question, "answer": first.to_json()}]
    start = len(messages) + 1
    messages, second = app.chat_turn(engine, "What is the CJMH team?", messages)
    turns.append({"start": start, "end": len(messages), "question": second.question, "answer": second.to_json()})
    record_id, line = app.record_feedback(store, engine, turns, 1, "Wrong answer")
    assert record_id == 1 and "saved" in line  # the first answer, though a second one came after it
    record_id, line = app.record_feedback(store, engine, turns, 0, "Correct")
    assert record_id is None and "not an answer" in line  # the question itself
    assert app.record_feedback(store, engine, turns, len(messages) - 1, "Wrong evidence")[0] == 2
    assert app.record_feedback(store, engine, turns, len(messages) - 2, "Wrong evidence")[0] == 2  # same answer
    assert app.record_feedback(store, engine, turns, 1, "")[0] is None  # an unselected option stores nothing
    records = store.records()
    assert [(r.question, r.verdict) for r in records] == [
        ("What does ATR stand for?", "wrong_answer"), ("What is the CJMH team?", "wrong_evidence")]
    assert records[0].report == engine.document.name and records[0].settings["strategy"] == engine.strategy
    assert app.save_feedback_details(store, 1, "no", "Alcohol Treatment Requirement").startswith("*Details")
    assert store.records()[0].expected == "Alcohol Treatment Requirement"
    rows = app.feedback_rows(store)
    assert [row[0] for row in rows] == [2, 1] and rows[1][4] == "Alcohol Treatment Requirement"


def test_a_marker_of_an_earlier_answer_opens_its_passage(engine):
    messages, first = app.chat_turn(engine, "What does ATR stand for?", [], turn=0)
    assert "[[1]](#rq-cite-0-1)" in messages[1]["content"]
    messages, second = app.chat_turn(engine, "What is the CJMH team?", messages, turn=1)
    turns = [{"answer": first.to_json()}, {"answer": second.to_json()}]
    section_id, view = app.marker_passage(engine, turns, "#rq-cite-0-1")
    assert section_id == render_chunk_section(engine, first.citations[0].chunk_id)
    assert "id='rq-cited'" in view and "<mark>" in view
    assert app.marker_passage(engine, turns, "#rq-cite-7-1")[0] is None  # no such answer
    assert app.marker_passage(engine, turns, "#rq-cite-0-9")[0] is None  # no such marker


def render_chunk_section(engine, chunk_id):
    return next(c.section_id for c in engine.document.chunks if c.id == chunk_id)


def conversation(engine, questions):
    messages, turns = [], []
    for question in questions:
        start = len(messages) + 1
        messages, answer = app.chat_turn(engine, question, messages, turn=len(turns))
        turns.append({"start": start, "end": len(messages), "question": question, "answer": answer.to_json()})
    return messages, turns


def test_the_saved_conversation_restores_as_it_was(engine):
    messages, turns = conversation(engine, ["What does ATR stand for?", "What is the CJMH team?"])
    saved = app.saved_conversation(messages, turns)
    assert app.restored_conversation(saved) == (messages, turns)


def test_a_long_conversation_is_cut_at_an_answer_and_its_ranges_shift(engine):
    messages, turns = conversation(engine, ["What does ATR stand for?", "What is the CJMH team?"])
    saved = app.saved_conversation(messages, turns, limit=len(messages) - 1)
    assert saved["messages"] == messages[turns[1]["start"] - 1:]
    assert saved["messages"][0] == {"role": "user", "content": "What is the CJMH team?"}
    assert [(t["start"], t["end"]) for t in saved["turns"]] == [(1, turns[1]["end"] - turns[1]["start"] + 1)]


@pytest.mark.parametrize("value", [None, "x", {"messages": [{"role": "system", "content": "x"}], "turns": []},
                                   {"messages": [], "turns": [{"start": 1, "end": 9, "question": "q",
                                                               "answer": {}}]}, {"messages": 3}])
def test_a_damaged_saved_conversation_starts_afresh(value):
    assert app.restored_conversation(value) == ([], [])


def test_the_conversation_downloads_as_markdown(engine):
    _, turns = conversation(engine, ["What does ATR stand for?"])
    text = Path(app.export_conversation(turns, "The report")).read_text(encoding="utf-8")
    assert text.startswith("# The report: conversation\n\n## What does ATR stand for?")
    assert "Appendix 4: Glossary, p. 61" in text


def table_answer(engine):
    chunk = next(c for c in engine.document.chunks if c.label == "Table 11")
    figure = Figure(kind="table", label="Table 11", value=None, describes="", columns=chunk.table.columns,
                    rows=chunk.table.rows, caption=chunk.table.caption, source=chunk.table.source)
    return Answer(question="q", answer="a", abstained=False, figures=[figure])


def test_a_turn_without_tables_after_one_without_sends_plain_values(engine):
    """No new components (each costs Gradio's event loop ~0.5 ms) when the hidden table stays hidden."""
    import gradio as gr

    plain = Answer(question="q", answer="a", abstained=False)
    assert app.table_changes(plain, None) == (None, None, None)
    assert app.table_changes(None, plain) == (None, None, None)
    shown = app.table_changes(table_answer(engine), plain)  # a table to show
    assert isinstance(shown[0], gr.Dataframe) and shown[0].visible and shown[1].visible
    hidden = app.table_changes(plain, table_answer(engine))  # one shown before: hidden again
    assert isinstance(hidden[0], gr.Dataframe) and not hidden[0].visible and not hidden[1].visible


def test_the_cited_picker_is_rebuilt_only_when_there_are_citations_now_or_before(engine):
    import gradio as gr

    cited = engine.ask("What does ATR stand for?")
    none = Answer(question="q", answer="a", abstained=False)
    picker = app.cited_update(cited, None)
    assert isinstance(picker, gr.Dropdown) and picker.value == cited.citations[0].chunk_id
    emptied = app.cited_update(none, cited)
    assert isinstance(emptied, gr.Dropdown) and emptied.choices == [] and emptied.value is None
    assert app.cited_update(none, None) is None


def test_turns_past_the_conversation_shown_are_dropped():
    turns = [{"start": 1, "end": 4}, {"start": 5, "end": 8}]
    assert app.shown_turns(turns, 8) == turns
    assert app.shown_turns(turns, 4) == turns[:1]
    assert app.shown_turns(turns, 0) == [] and app.shown_turns(None, 3) == []


def test_a_turn_saves_the_conversation_itself_and_starts_afresh_on_an_empty_one(engine, tmp_path):
    """The browser's copy comes with the turn (no follow-up event sending the whole conversation back);
    an empty conversation (a new tab, the chat cleared) does not carry the turns of an old one."""
    demo = app.build_app(engine, eval_summary=tmp_path / "missing.json", feedback_store=None, library=None)
    respond = next(fn for fn in demo.fns.values() if fn.fn is not None and fn.fn.__name__ == "respond")
    names = [type(block).__name__ for block in respond.outputs]
    assert names[-1] == "BrowserState"
    assert not [fn for fn in demo.fns.values() if fn.fn is app.saved_conversation]
    out = respond.fn("What does ATR stand for?", [], [])
    messages, answer, turns, saved = out[0], out[2], out[-2], out[-1]
    assert saved == app.saved_conversation(messages, turns) and len(turns) == 1
    out = respond.fn("What is the CJMH team?", messages, turns, answer)
    assert [t["question"] for t in out[-2]] == ["What does ATR stand for?", "What is the CJMH team?"]
    assert out[-1]["turns"] == out[-2]
    fresh = respond.fn("What is the CJMH team?", [], out[-2], out[2])  # old turns, empty conversation
    assert [(t["start"], t["question"]) for t in fresh[-2]] == [(1, "What is the CJMH team?")]
    assert "#rq-cite-0-" in fresh[0][1]["content"]  # its markers are those of the conversation's turn 0
