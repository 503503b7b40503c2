"""`report-qa eval` end to end over a fake engine: exit codes, the table, the files, the gate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals import runner
from evals.runner import Loaded
from ingest.errors import IndexProblem
from ingest.records import Document
from retrieval.records import NOT_IN_REPORT, Answer, Citation, Passage
from ui.cli import main

REPORT = "We were advised that the caseload is 2,523. ATR means Alcohol Treatment Requirement."
ITEMS = [
    {"id": "stat-01", "question": "How many cases?", "category": "statistic", "expected": "2,523",
     "patterns": [r"2,?523"], "evidence": ["the caseload is 2,523"]},
    {"id": "gloss-01", "question": "What is ATR?", "category": "glossary",
     "expected": "Alcohol Treatment Requirement", "patterns": ["alcohol treatment"],
     "evidence": ["ATR means Alcohol Treatment Requirement"]},
    {"id": "unans-01", "question": "What is the budget?", "category": "unanswerable", "expected": "",
     "patterns": [], "evidence": []},
]


class FakeEngine:
    """Answers the caseload question right, the ATR one wrong, and declines the rest."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def ask(self, question: str, k: int | None = None, filters=None, id: str | None = None) -> Answer:
        self.calls.append(question)
        passage = Passage(1, "c1", "s", [1], "text", 1.0, "We were advised that the caseload is 2,523.")
        citation = Citation(1, "c1", "s", [1], "text", passage.text, passage.text)
        if "cases" in question:
            return Answer(question, "The caseload is 2,523. [1]", False, [citation], passages=[passage],
                          timings_ms={"total": 3.0})
        if "ATR" in question:
            return Answer(question, "It is a court order. [1]", False, [citation], passages=[passage],
                          timings_ms={"total": 5.0})
        return Answer(question, f"{NOT_IN_REPORT}.", True, passages=[passage], timings_ms={"total": 4.0})


@pytest.fixture
def fake_configs(monkeypatch):
    """Replace the index and model loading; record which configurations were asked for."""
    asked: list[tuple[str, ...]] = []

    def load(names, settings=None, report=None):
        asked.append(tuple(names))
        document = Document(report or "fake-report", REPORT, [], [], [])
        return Loaded({name: FakeEngine() for name in names}, document)

    monkeypatch.setattr(runner, "load_configs", load)
    return asked


def dataset(tmp_path: Path, items=ITEMS) -> Path:
    path = tmp_path / "mine.jsonl"
    path.write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")
    return path


def thresholds(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "thresholds.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_eval_prints_the_table_and_writes_the_files(tmp_path, fake_configs, capsys):
    out = tmp_path / "out"
    assert main(["eval", "--dataset", str(dataset(tmp_path)), "--out", str(out), "--report", "mine"]) == 0
    printed = capsys.readouterr()
    assert fake_configs == [("fused",)]
    assert "answer accuracy" in printed.out and "0.50" in printed.out
    assert "glossary (1)" in printed.out
    assert "fused" in printed.err and "3/3" in printed.err  # the progress counter
    assert sorted(p.name for p in out.iterdir()) == ["report.html", "report.md", "results.jsonl",
                                                     "summary.json"]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["configs"]["fused"]["overall"]["accuracy"] == 0.5
    assert summary["dataset"] == str(tmp_path / "mine.jsonl")


def test_compare_runs_the_four_configurations(tmp_path, fake_configs, capsys):
    assert main(["eval", "--compare", "--dataset", str(dataset(tmp_path)), "--out", str(tmp_path / "o")]) == 0
    assert fake_configs == [("fused", "dense", "bm25", "langchain-baseline")]
    header = capsys.readouterr().out.splitlines()[0].split()
    assert header == ["metric", "fused", "dense", "bm25", "langchain-baseline"]


def test_check_fails_naming_each_metric_below_threshold(tmp_path, fake_configs, capsys):
    gate = thresholds(tmp_path, '[min]\naccuracy = 0.8\n"hit@1" = 1.0\ndeclined_unanswerable = 0.5\n'
                                "[max]\nwrongly_declined = 0.0\n")
    code = main(["eval", "--check", "--thresholds", str(gate), "--dataset", str(dataset(tmp_path)),
                 "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 1
    assert "check failed (fused): accuracy 0.50 < 0.80" in err
    assert "check failed (fused): hit@1 0.50 < 1.00" in err  # the ATR evidence is never retrieved
    assert "declined" not in err  # both declined thresholds are met


def test_check_passes(tmp_path, fake_configs, capsys):
    gate = thresholds(tmp_path, "[min]\naccuracy = 0.5\n[max]\nwrongly_declined = 0.0\n")
    code = main(["eval", "--check", "--thresholds", str(gate), "--dataset", str(dataset(tmp_path)),
                 "--out", str(tmp_path / "o")])
    assert code == 0
    assert "check passed (fused): 2 thresholds" in capsys.readouterr().out


def test_evidence_not_in_the_report_is_a_warning_and_the_run_goes_on(tmp_path, fake_configs, capsys):
    items = [*ITEMS, {**ITEMS[0], "id": "stat-02", "evidence": ["a quote from another report"]}]
    assert main(["eval", "--dataset", str(dataset(tmp_path, items)), "--out", str(tmp_path / "o")]) == 0
    assert ("warning: item stat-02: evidence quote not found in the report: 'a quote from another report'"
            in capsys.readouterr().err)


@pytest.mark.parametrize(("args", "wanted"), [
    (["--dataset", "{tmp}/missing.jsonl"], "not found; give an existing .jsonl file with --dataset"),
    (["--dataset", "{bad}"], "line 2: not valid JSON"),
    (["--check", "--thresholds", "{tmp}/none.toml"], "thresholds file"),
    (["-k", "0"], "-k must be at least 1, not 0."),
    (["--out", "{bad}"], "cannot write the eval reports to"),  # a file, not a folder
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, fake_configs, capsys, args, wanted):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(ITEMS[0]) + "\n{oops\n", encoding="utf-8")
    args = [a.format(tmp=tmp_path, bad=bad) for a in args]
    if "--dataset" not in args:
        args += ["--dataset", str(dataset(tmp_path))]
    if "--out" not in args:
        args += ["--out", str(tmp_path / "o")]
    code = main(["eval", *args])
    err = capsys.readouterr().err
    assert code == 2
    assert wanted in err
    assert err.count("\n") == 1 and err.startswith("error: ")
    assert fake_configs == []  # found before any index or model loads
    assert not (tmp_path / "o").exists()


def test_missing_index_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys):
    def load(names, settings=None, report=None):
        raise IndexProblem(f"no index for report {report!r}; run `report-qa ingest` first.")

    monkeypatch.setattr(runner, "load_configs", load)
    code = main(["eval", "--dataset", str(dataset(tmp_path)), "--report", "other",
                 "--out", str(tmp_path / "o")])
    assert code == 2
    assert "error: no index for report 'other'; run `report-qa ingest` first." in capsys.readouterr().err
