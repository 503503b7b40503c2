"""Feedback on answers: stored in SQLite in the index root, exported as eval items the dataset loader reads."""

from __future__ import annotations

import json
import re
import sqlite3

import pytest

from evals.dataset import load_dataset
from ingest.records import Span
from ingest.settings import load_settings
from retrieval.records import Answer, Citation
from ui import feedback
from ui.cli import main

ATR = Answer(
    question="What does ATR stand for?", answer="ATR Alcohol Treatment Requirement [1]", abstained=False,
    citations=[Citation(marker=1, chunk_id="appendix-4#atr", section="Appendix 4: Glossary", pages=[61],
                        kind="glossary", quote="ATR Alcohol Treatment Requirement",
                        text="ATR Alcohol Treatment Requirement: a requirement", quote_spans=[Span(0, 33)],
                        label="ATR")],
)
STAT = Answer(
    question="What proportion completed their licence?", answer="Most did [1]", abstained=False,
    citations=[Citation(marker=1, chunk_id="key#1", section="Key facts", pages=[6], kind="key_fact",
                        quote="67.1% The proportion of offenders who completed", text="67.1% The proportion",
                        quote_spans=[Span(0, 5)])],
)


@pytest.fixture
def store(tmp_path):
    return feedback.FeedbackStore.at(tmp_path)


def test_a_record_round_trips_and_survives_a_new_store(store, tmp_path):
    settings = load_settings(index_root=tmp_path)
    record_id = store.add(ATR.question, ATR.to_json(), "correct", report="staffordshire-and-stoke-2017",
                          settings=settings, note="  fine <b>x</b> ")
    again = feedback.FeedbackStore(tmp_path / "feedback.sqlite").records()  # a restarted server
    assert [r.id for r in again] == [record_id]
    record = again[0]
    assert record.question == ATR.question and record.verdict == "correct"
    assert record.answer == json.loads(json.dumps(ATR.to_json()))
    assert record.report == "staffordshire-and-stoke-2017"
    assert record.settings["index_root"] == str(tmp_path)
    assert record.note == "fine <b>x</b>" and record.expected is None
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", record.created_at)
    store.update(record_id, expected="Alcohol Treatment Requirement")
    assert store.records()[0].expected == "Alcohol Treatment Requirement"
    with sqlite3.connect(tmp_path / "feedback.sqlite") as db:  # a plain table other tools can read
        assert db.execute("SELECT count(*) FROM feedback").fetchone() == (1,)


@pytest.mark.parametrize("verdict", ["bad", "", "thumbs up", None])
def test_a_bad_verdict_is_refused_with_the_valid_ones(store, verdict):
    with pytest.raises(feedback.FeedbackError, match="correct, wrong_answer, wrong_evidence"):
        store.add(ATR.question, ATR.to_json(), verdict)
    assert store.records() == []


def test_labels_from_the_app_are_accepted(store):
    assert feedback.check_verdict("Wrong answer") == "wrong_answer"
    assert feedback.check_verdict("Wrong evidence") == "wrong_evidence"


def test_too_long_a_note_and_a_missing_question_are_refused(store):
    with pytest.raises(feedback.FeedbackError, match="under 2,000"):
        store.add(ATR.question, ATR.to_json(), "correct", note="x" * 5_000)
    with pytest.raises(feedback.FeedbackError, match="question"):
        store.add("  ", ATR.to_json(), "correct")
    with pytest.raises(feedback.FeedbackError, match="no feedback record 99"):
        store.update(99, note="late")


def test_a_store_in_a_missing_folder_names_it(tmp_path):
    with pytest.raises(feedback.FeedbackError, match="does not exist"):
        feedback.FeedbackStore(tmp_path / "nowhere" / "feedback.sqlite")


def test_export_writes_items_the_dataset_loader_reads(store, tmp_path, capsys):
    store.add(ATR.question, ATR.to_json(), "correct", report="staffordshire-and-stoke-2017")
    store.add(STAT.question, STAT.to_json(), "wrong_answer", report="staffordshire-and-stoke-2017",
              expected="67.1%", note="the number is in the key facts")
    store.add(STAT.question, STAT.to_json(), "wrong_evidence")  # no expected answer: left out
    store.add("When is the next inspection?", STAT.to_json(), "wrong_answer", expected="The report does not say")
    out = tmp_path / "feedback.jsonl"
    assert main(["feedback", "export", "--index-root", str(tmp_path), "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "exported 3 feedback item(s)" in err and "1 left out" in err
    dataset = load_dataset(out)
    by_id = {item.id: item for item in dataset.items}
    assert list(by_id) == ["fb-0001", "fb-0002", "fb-0004"]
    atr = by_id["fb-0001"]
    assert atr.category == "glossary" and atr.report == "staffordshire-and-stoke-2017"
    assert atr.expected == "ATR Alcohol Treatment Requirement"
    assert atr.accepts("ATR Alcohol  Treatment Requirement [1]")  # patterns built with re.escape
    assert atr.evidence == ("ATR Alcohol Treatment Requirement",)
    stat = by_id["fb-0002"]
    assert stat.category == "statistic" and stat.patterns == (re.escape("67.1%"),)
    assert stat.accepts("67.1% [1]") and not stat.accepts("6701%")
    assert stat.evidence == ("67.1% The proportion of offenders who completed",)
    assert by_id["fb-0004"].category == "unanswerable" and by_id["fb-0004"].patterns == ()


def test_export_to_stdout_and_without_any_feedback(store, tmp_path, capsys):
    assert main(["feedback", "export", "--index-root", str(tmp_path / "empty")]) == 2
    assert "no feedback yet" in capsys.readouterr().err
    store.add(ATR.question, ATR.to_json(), "correct")
    assert main(["feedback", "export", "--index-root", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out.splitlines()[0])["id"] == "fb-0001"
    assert "exported 1 feedback item(s)" in captured.err


def test_the_cli_module_does_not_import_gradio():
    import subprocess
    import sys

    code = "import sys, ui.feedback, ui.cli; sys.exit('gradio' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
