"""The runner's progress callback and cancel check: a stopped run raises EvalCancelled saying how far it got."""

from __future__ import annotations

import pytest

from evals.runner import EvalCancelled, Loaded, run_config, run_reports
from tests.test_evals_runner import ITEMS, FakeAsker


def test_cancel_stops_before_the_next_question():
    asker = FakeAsker()
    seen = []

    def cancelled() -> bool:
        return len(asker.calls) >= 2

    with pytest.raises(EvalCancelled) as stop:
        run_config("fused", asker, ITEMS, 5, progress=lambda *a: seen.append(a), cancelled=cancelled)
    assert len(asker.calls) == 2  # the third question was never asked
    assert (stop.value.done, stop.value.total) == (2, 3)
    assert "cancelled after 2 of 3" in str(stop.value)
    assert seen[-1] == ("fused", 2, 3)


def test_a_run_never_cancelled_finishes():
    run = run_config("fused", FakeAsker(), ITEMS, 5, cancelled=lambda: False)
    assert len(run.results) == 3


class Doc:
    def __init__(self, name: str) -> None:
        self.name = name
        self.text = ""


def test_cancel_across_reports_counts_every_report_and_loads_no_more():
    askers = {"a": FakeAsker(), "b": FakeAsker()}
    loaded = []

    def load(report):
        loaded.append(report)
        return Loaded({"fused": askers[report]}, Doc(report))

    groups = {"a": ITEMS[:2], "b": ITEMS[:2], "c": ITEMS[:1]}
    progress = []
    with pytest.raises(EvalCancelled) as stop:
        run_reports(load, groups, "d.jsonl", 5, progress=lambda *a: progress.append(a),
                    cancelled=lambda: len(askers["b"].calls) >= 1)
    assert loaded == ["a", "b"]  # report c is never loaded
    assert (stop.value.done, stop.value.total) == (3, 5)
    assert ("fused", 2, 2) in progress
