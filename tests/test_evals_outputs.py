"""The files an eval run writes: summary.json's exact shape, results.jsonl, report.md, self-contained HTML."""

from __future__ import annotations

import json

import pytest

from evals.metrics import ItemResult, summarise
from evals.outputs import render_markdown, summary_json, write_outputs
from evals.runner import ConfigRun, EvalRun

KEYS = ["hit@1", "hit@5", "mrr", "accuracy", "citation_precision", "declined_unanswerable",
        "wrongly_declined", "median_answer_chars", "latency_p50_ms", "latency_p95_ms", "n"]


def result(config: str, id: str, category: str, correct: bool, answer: str = "It is 2,523 [1]") -> ItemResult:
    answerable = category != "unanswerable"
    return ItemResult(
        config=config, id=id, category=category, question=f"Question {id} <b>?",
        expected="2,523" if answerable else "", answerable=answerable, answer=answer, correct=correct,
        abstained=False, evidence_rank=2 if answerable else None,
        passages=["ch2/caseloads#text", "key-facts#fact-1"],
        passage_previews=["We were advised the caseload is 2,523 & more", "See http://www.example.org"],
        citations=["ch2/caseloads#text"], cited_with_evidence=1, timings={"retrieve": 3.0, "total": 4.5})


def config_run(name: str) -> ConfigRun:
    results = [result(name, "stat-01", "statistic", True),
               result(name, "stat-02", "statistic", False, "wrong <i>"),
               result(name, "unans-01", "unanswerable", False, "It is £3m [1]")]
    return ConfigRun(name, results, summarise(results), 0.1)


def sample_run() -> EvalRun:
    """Two configurations over three questions: one right, one wrong, one unanswerable answered."""
    return EvalRun("2017-06-01T10:00:00+00:00", "evals/dataset.jsonl", "staffordshire-and-stoke-2017", 5,
                   [config_run("fused"), config_run("langchain-baseline")])


@pytest.fixture
def run() -> EvalRun:
    return sample_run()


def test_summary_json_has_the_shape_the_ui_reads(run):
    data = summary_json(run)
    assert list(data) == ["created_at", "dataset", "configs"]
    assert (data["created_at"], data["dataset"]) == ("2017-06-01T10:00:00+00:00", "evals/dataset.jsonl")
    assert list(data["configs"]) == ["fused", "langchain-baseline"]
    for config in data["configs"].values():
        assert list(config) == ["overall", "by_category"]
        assert list(config["overall"]) == KEYS
        assert list(config["by_category"]) == ["statistic", "unanswerable"]
        assert all(list(m) == KEYS for m in config["by_category"].values())
    assert data["configs"]["fused"]["overall"]["accuracy"] == 0.5
    assert data["configs"]["fused"]["by_category"]["unanswerable"]["accuracy"] is None


def test_write_outputs_writes_four_files(tmp_path, run):
    out = tmp_path / "runs" / "latest"
    written = write_outputs(run, out)
    assert sorted(p.name for p in written) == ["report.html", "report.md", "results.jsonl", "summary.json"]
    assert json.loads((out / "summary.json").read_text()) == summary_json(run)
    lines = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert len(lines) == 6  # 3 questions x 2 configs
    assert {"config", "id", "category", "question", "expected", "answer", "correct", "abstained",
            "evidence_rank", "passages", "timings"} <= set(lines[0])
    assert lines[0]["evidence_rank"] == 2 and lines[2]["evidence_rank"] is None
    assert lines[3]["config"] == "langchain-baseline"


def test_markdown_lists_failures_with_their_passages(run):
    md = render_markdown(run)
    assert "## Failures: fused (2)" in md
    assert "### stat-02 (statistic)" in md
    assert "- answered: wrong <i>" in md
    assert "- expected: (not in the report: should decline)" in md
    assert "1. `ch2/caseloads#text` We were advised the caseload is 2,523 & more" in md
    assert "stat-01 (statistic)" not in md  # answered right: not a failure
