"""The evaluator tab's run panel without a browser: datasets, run, cancel, tables and the failures list.

An Engine over the bundled report indexed with the hashing fake (no model); the questions are invented here.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from evals.dataset import DatasetError
from ui import eval_tab

ITEMS = [
    {"id": "t-01", "question": "What does the report say about caseloads of officers?", "category": "finding",
     "expected": "caseload", "patterns": ["caseload"], "evidence": []},
    {"id": "t-02", "question": "Which word does the report never use in any passage?", "category": "finding",
     "expected": "zebra", "patterns": ["zebra-crossing-xyz"], "evidence": []},
    {"id": "t-03", "question": "What colour is the moon over the prison at night?", "category": "unanswerable",
     "expected": "", "patterns": [], "evidence": []},
]


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "evals"
    path.mkdir()
    (path / "small.jsonl").write_text("".join(json.dumps(i) + "\n" for i in ITEMS), encoding="utf-8")
    return path


class FakeStore:
    def __init__(self, records=()) -> None:
        self._records = list(records)

    def records(self, limit=None):
        return self._records


def test_choices_list_the_files_feedback_and_upload(folder):
    choices = eval_tab.dataset_choices(folder, FakeStore())
    assert choices[0] == ("small.jsonl (3 questions)", str(folder / "small.jsonl"))
    assert [value for _, value in choices[1:]] == [eval_tab.FEEDBACK, eval_tab.UPLOAD]
    assert eval_tab.dataset_choices(folder)[-1][1] == eval_tab.UPLOAD  # no store: no feedback choice


def test_only_listed_files_are_read(folder, tmp_path):
    assert len(eval_tab.load_items(str(folder / "small.jsonl"), folder=folder).items) == 3
    outside = tmp_path / "other.jsonl"
    outside.write_text(json.dumps(ITEMS[0]) + "\n", encoding="utf-8")
    with pytest.raises(DatasetError, match="not one of the files"):
        eval_tab.load_items(str(outside), folder=folder)
    with pytest.raises(DatasetError, match="choose a dataset"):
        eval_tab.load_items(None, folder=folder)


def test_an_upload_is_checked(folder, tmp_path):
    with pytest.raises(DatasetError, match="upload a .jsonl"):
        eval_tab.load_items(eval_tab.UPLOAD, None, folder=folder)
    text = tmp_path / "items.txt"
    text.write_text("x", encoding="utf-8")
    with pytest.raises(DatasetError, match="not a .jsonl"):
        eval_tab.load_items(eval_tab.UPLOAD, str(text), folder=folder)
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n", encoding="utf-8")
    with pytest.raises(DatasetError, match="line 1"):
        eval_tab.load_items(eval_tab.UPLOAD, str(bad), folder=folder)
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps(ITEMS[0]) + "\n", encoding="utf-8")
    assert eval_tab.load_items(eval_tab.UPLOAD, str(good), folder=folder).path.name == "good.jsonl"


def test_feedback_without_scorable_records_says_what_to_do(folder):
    with pytest.raises(DatasetError, match="no feedback can be scored"):
        eval_tab.load_items(eval_tab.FEEDBACK, store=FakeStore(), folder=folder)
    with pytest.raises(DatasetError, match="no feedback store"):
        eval_tab.load_items(eval_tab.FEEDBACK, store=None, folder=folder)


def test_feedback_records_become_items(folder):
    from ui.feedback import FeedbackRecord

    fields = FeedbackRecord.__dataclass_fields__
    values = {"id": 7, "question": "How many officers were interviewed overall?", "verdict": "wrong_answer",
              "expected": "forty", "note": None, "report": None, "settings": {}, "created_at": "",
              "answer": {"answer": "ten [1]", "abstained": False, "citations": []}}
    record = FeedbackRecord(**{k: v for k, v in values.items() if k in fields})
    dataset = eval_tab.load_items(eval_tab.FEEDBACK, store=FakeStore([record]), folder=folder)
    assert [i.id for i in dataset.items] == ["fb-0007"] and dataset.items[0].expected == "forty"


def test_run_numbers_failures_and_html(fake_engine, folder, tmp_path):
    dataset = eval_tab.load_items(str(folder / "small.jsonl"), folder=folder)
    seen = []
    outcome = eval_tab.run_evaluation(fake_engine, dataset, tmp_path / "out",
                                      progress=lambda *a: seen.append(a))
    assert outcome.run is not None and outcome.html == tmp_path / "out" / "report.html"
    assert "<h1>Evaluation" in outcome.html.read_text(encoding="utf-8")
    assert seen[0] == ("fused", 0, 3) and seen[-1] == ("fused", 3, 3)
    assert "Ran 3 questions" in outcome.status and "failure" in outcome.status
    overall, categories, groups = eval_tab.tables(outcome.run)
    assert overall[0] == ["metric", "fused"] and any(row[0] == "answer accuracy" for row in overall)
    assert categories[0][0] == "category (n)" and {r[0] for r in categories[1:]} == {"finding (2)",
                                                                                     "unanswerable (1)"}
    assert groups[1][0] == "all"
    rows = eval_tab.failure_rows(outcome.run)
    failed = {row[1]: row for row in rows}
    assert "t-02" in failed
    row = dict(zip(eval_tab.FAILURE_COLUMNS, failed["t-02"], strict=True))
    assert row["expected"] == "zebra" and row["answered"] and row["evidence"] == "not retrieved"
    assert row["passages cited"]  # chunk ids with their opening words


def test_limit_and_missing_index(fake_engine, folder, tmp_path):
    lines = [dict(ITEMS[0], id="x-1", report="a-report-never-ingested"), *ITEMS]
    path = folder / "mixed.jsonl"
    path.write_text("".join(json.dumps(i) + "\n" for i in lines), encoding="utf-8")
    dataset = eval_tab.load_items(str(path), folder=folder)
    outcome = eval_tab.run_evaluation(fake_engine, dataset, tmp_path / "out", limit=2)
    assert "skipped 1 item(s) of report a-report-never-ingested" in outcome.skipped[0]
    assert "report-qa ingest" in outcome.skipped[0]
    assert len(outcome.run.configs[0].results) == 1  # the first 2 items, one of them skipped
    nothing = eval_tab.run_evaluation(fake_engine, dataset, tmp_path / "o2", limit=1)
    assert nothing.run is None and nothing.status.startswith("Nothing to run")


def test_cancel_stops_the_run_cleanly(fake_engine, folder, tmp_path):
    jobs = eval_tab.EvalJobs()
    flag = jobs.start("session-1")
    assert not jobs.cancel("another-session")
    dataset = eval_tab.load_items(str(folder / "small.jsonl"), folder=folder)

    def progress(config, done, total):
        if done == 1:  # the user presses Cancel while the second question is being asked
            assert jobs.cancel("session-1")

    outcome = eval_tab.run_evaluation(fake_engine, dataset, tmp_path / "out", progress=progress,
                                      cancelled=flag.is_set)
    assert outcome.run is None and outcome.html is None
    assert outcome.status == "Cancelled after 1 of 3 questions; nothing was scored."
    jobs.finish("session-1")
    assert not jobs.cancel("session-1")


def test_cancel_from_another_thread(fake_engine, folder, tmp_path):
    jobs = eval_tab.EvalJobs()
    flag = jobs.start("s")
    started = threading.Event()
    dataset = eval_tab.load_items(str(folder / "small.jsonl"), folder=folder)

    def slow_load(report):
        started.set()
        assert flag.wait(5)  # held until Cancel is pressed
        return eval_tab.loader(fake_engine, "fused")(report)

    result = {}
    worker = threading.Thread(target=lambda: result.setdefault("o", eval_tab.run_evaluation(
        fake_engine, dataset, tmp_path / "out", cancelled=flag.is_set, load=slow_load)))
    worker.start()
    assert started.wait(5)
    jobs.cancel("s")
    worker.join(10)
    assert result["o"].status.startswith("Cancelled after 0 of 3")


def test_unknown_configuration_is_named(fake_engine, folder, tmp_path):
    dataset = eval_tab.load_items(str(folder / "small.jsonl"), folder=folder)
    outcome = eval_tab.run_evaluation(fake_engine, dataset, tmp_path / "o", config="magic")
    assert "magic" in outcome.status and "fused" in outcome.status


def test_output_folders_are_replaced_per_session():
    jobs = eval_tab.EvalJobs()
    first = jobs.output_folder("s")
    second = jobs.output_folder("s")
    assert not first.exists() and second.is_dir()
    second.rmdir()


def test_the_tab_is_in_the_app(fake_engine):
    from ui.app import build_app

    demo = build_app(fake_engine, feedback_store=None, library=None)
    ids = {getattr(block, "elem_id", None) for block in demo.blocks.values()}
    assert {"rq-eval-run", "rq-eval-cancel", "rq-eval-failures", "rq-eval-report"} <= ids


def test_an_uploaded_file_name_is_shown_as_plain_text(fake_engine, tmp_path):
    path = tmp_path / "![x](javascript:alert(1)).jsonl"
    path.write_text(json.dumps(ITEMS[0]) + "\n", encoding="utf-8")
    dataset = eval_tab.load_items(eval_tab.UPLOAD, str(path))
    outcome = eval_tab.run_evaluation(fake_engine, dataset, tmp_path / "out")
    assert outcome.status.startswith("Ran 1 question of") and "](" not in outcome.status


def test_the_librarys_engines_are_reused(fake_engine):
    class Entry:
        id = "other-report"

    class FakeLibrary:
        strategy = "fused"
        entries = [Entry()]

        def engine(self, name):
            assert name == "other-report"
            return fake_engine

    load = eval_tab.loader(fake_engine, "fused", FakeLibrary())
    assert load("other-report").askers["fused"] is fake_engine  # no second load of that index
    assert load(None).askers["fused"] is fake_engine  # the app's own report
