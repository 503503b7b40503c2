"""The runner: every item goes through `ask` once per configuration; refusals are scored, not fatal."""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.dataset import Dataset, EvalItem
from evals.runner import COMPARE, check_names, run_config, run_eval
from ingest.errors import QuestionError, ReportQAError
from retrieval.records import NOT_IN_REPORT, Answer, Passage

ITEMS = [
    EvalItem("stat-01", "How many cases?", "statistic", "2,523", (r"2,523",), ("caseload is 2,523",)),
    EvalItem("unans-01", "What is the budget?", "unanswerable", "", (), ()),
    EvalItem("bad-01", "!!!", "statistic", "1", ("1",), ("one",)),
]


class FakeAsker:
    """Canned answers by question; records every call. "!!!" is refused like the engine refuses it."""

    def __init__(self, timed: bool = True) -> None:
        self.calls: list[tuple[str, int | None, str | None]] = []
        self.timed = timed

    def ask(self, question: str, k: int | None = None, filters=None, id: str | None = None) -> Answer:
        self.calls.append((question, k, id))
        if question == "!!!":
            raise QuestionError("the question has no words; type a question about the report.")
        passages = [Passage(1, "c1", "s", [1], "text", 1.0, "The caseload is 2,523.")]
        timings = {"total": 5.0} if self.timed else {}
        if question.startswith("What is the budget"):
            return Answer(question, f"{NOT_IN_REPORT}.", True, passages=passages, timings_ms=timings)
        return Answer(question, "The caseload is 2,523. [1]", False, passages=passages, timings_ms=timings)


def test_run_config_asks_each_item_once_with_k_and_id():
    asker = FakeAsker()
    progress = []
    run = run_config("fused", asker, ITEMS, 3, progress=lambda *a: progress.append(a))
    assert asker.calls == [("How many cases?", 3, "stat-01"), ("What is the budget?", 3, "unans-01"),
                           ("!!!", 3, "bad-01")]
    assert progress == [("fused", 0, 3), ("fused", 1, 3), ("fused", 2, 3), ("fused", 3, 3)]
    assert [r.correct for r in run.results] == [True, True, False]
    assert run.summary.overall.accuracy == 0.5


def test_a_refused_question_is_recorded_not_raised():
    refused = run_config("fused", FakeAsker(), ITEMS, 5).results[2]
    assert refused.error == "the question has no words; type a question about the report."
    assert (refused.answer, refused.passages, refused.correct) == ("", [], False)


def test_an_engine_that_does_not_time_itself_is_timed_from_outside():
    results = run_config("fused", FakeAsker(timed=False), ITEMS[:1], 5).results
    assert results[0].timings["total"] >= 0


def test_run_eval_runs_every_config_on_the_same_items():
    askers = {"fused": FakeAsker(), "bm25": FakeAsker()}
    run = run_eval(askers, Dataset(Path("d.jsonl"), ITEMS), "report", 5)
    assert [c.name for c in run.configs] == ["fused", "bm25"]
    assert all(len(c.results) == 3 for c in run.configs)
    assert run.config("bm25").results[0].config == "bm25"
    assert (run.dataset, run.report, run.k) == ("d.jsonl", "report", 5)
    assert run.created_at.endswith("+00:00")


def test_compare_names_and_unknown_names():
    assert COMPARE == ("fused", "dense", "bm25", "langchain-baseline")
    check_names(COMPARE)
    with pytest.raises(ReportQAError, match="unknown eval configuration hybrid; use one of fused, dense"):
        check_names(("hybrid",))


# --- several reports in one run ------------------------------------------------------------------------

def _item(id: str, report: str | None, split: str | None, unanswerable: bool = False) -> EvalItem:
    if unanswerable:
        return EvalItem(id, "What is the budget?", "unanswerable", "", (), (), report=report, split=split)
    return EvalItem(id, "How many cases?", "statistic", "2,523", (r"2,523",), ("caseload is 2,523",),
                    report=report, split=split)


def test_run_reports_asks_each_group_of_its_own_report_and_stamps_the_results():
    from evals.runner import Loaded, run_reports
    from ingest.records import Document

    loaded_for: list[str | None] = []
    askers: dict[str, FakeAsker] = {}

    def load(report):
        loaded_for.append(report)
        askers[report or "bundled"] = FakeAsker()
        return Loaded({"fused": askers[report or "bundled"]}, Document(report or "bundled", "", [], [], []))

    groups = {None: [_item("a-01", None, "train")],
              "other": [_item("b-01", "other", "test"), _item("b-02", "other", "train", unanswerable=True)]}
    checked = []
    run = run_reports(load, groups, "a.jsonl, b.jsonl", 5, checked=lambda r, _loaded, items: checked.append(
        (r, [i.id for i in items])))
    assert loaded_for == [None, "other"]
    assert checked == [("bundled", ["a-01"]), ("other", ["b-01", "b-02"])]
    assert [c[2] for c in askers["other"].calls] == ["b-01", "b-02"]
    results = run.config("fused").results
    assert [(r.id, r.report, r.split) for r in results] == [("a-01", "bundled", "train"),
                                                             ("b-01", "other", "test"),
                                                             ("b-02", "other", "train")]
    assert run.report == "bundled, other"
    assert run.config("fused").summary.overall.n == 3


def test_groups_are_per_split_and_per_report_and_split():
    from evals.metrics import UNSPLIT
    from evals.runner import run_config
    from evals.tables import group_rows, groups

    results = run_config("fused", FakeAsker(), [_item("a-01", None, "train"), _item("b-01", None, "test"),
                                                _item("c-01", None, None)], 5).results
    for result, report in zip(results, ["r1", "r1", "r2"], strict=True):
        result.report = report
    grouped = groups(results)
    assert list(grouped) == ["all", "all / train", "all / test", f"all / {UNSPLIT}", "r1", "r1 / train",
                             "r1 / test", "r2", f"r2 / {UNSPLIT}"]
    assert grouped["r1"].n == 2 and grouped["r1 / test"].accuracy == 1.0
    one_report = run_eval({"fused": FakeAsker()}, Dataset(Path("d"), ITEMS[:1]), "r", 5)
    assert group_rows(one_report) is None  # one report, no splits: the overall table says it all
