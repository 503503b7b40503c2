"""Scoring one answer, and the metrics over hand-made results whose numbers can be worked out by hand."""

from __future__ import annotations

import pytest

from evals.dataset import EvalItem
from evals.metrics import (
    METRIC_KEYS,
    ItemResult,
    compute,
    evidence_rank,
    hit_rate,
    mean_reciprocal_rank,
    percentile,
    refused,
    score,
    summarise,
)
from retrieval.records import NOT_IN_REPORT, Answer, Citation, Passage

ITEM = EvalItem("stat-01", "How many cases?", "statistic", "2,523", (r"\b2,?523\b",),
                ("the caseload is 2,523",))
UNANSWERABLE = EvalItem("unans-01", "What is the budget?", "unanswerable", "", (), ())


def passage(rank: int, text: str) -> Passage:
    return Passage(rank=rank, chunk_id=f"c{rank}", section="s", pages=[1], kind="text", score=1.0 / rank,
                   text=text)


def citation(chunk_id: str, text: str) -> Citation:
    return Citation(marker=1, chunk_id=chunk_id, section="s", pages=[1], kind="text", quote=text, text=text)


def answer(text: str, passages: list[Passage], cited: list[Passage] = (), abstained: bool = False) -> Answer:
    return Answer(question="q", answer=text, abstained=abstained, passages=passages,
                  citations=[citation(p.chunk_id, p.text) for p in cited], timings_ms={"total": 12.0})


def test_score_a_right_answer_citing_its_evidence():
    passages = [passage(1, "Other text."), passage(2, "We were told the caseload  is 2,523 today.")]
    result = score(ITEM, answer("The caseload is 2,523 [1]", passages, cited=passages[1:]), "fused")
    assert (result.correct, result.abstained, result.evidence_rank) == (True, False, 2)
    assert (result.citations, result.cited_with_evidence) == (["c2"], 1)
    assert result.passages == ["c1", "c2"]
    assert result.passage_previews == ["Other text.", "We were told the caseload is 2,523 today."]
    assert result.timings == {"total": 12.0}


def test_score_an_abstention_on_an_answerable_item_is_wrong():
    result = score(ITEM, answer(f"{NOT_IN_REPORT}: 2,523 ...", [], abstained=True), "fused")
    assert not result.correct  # even though the text matches the pattern
    assert result.evidence_rank is None


def test_score_unanswerable_is_correct_only_when_declined():
    assert score(UNANSWERABLE, answer(NOT_IN_REPORT, [], abstained=True), "fused").correct
    assert not score(UNANSWERABLE, answer("It is £3m [1]", []), "fused").correct


def test_refused_question_is_wrong_and_not_a_decline():
    result = refused(ITEM, "fused", "the question is empty")
    assert (result.correct, result.abstained, result.error) == (False, False, "the question is empty")


def test_evidence_rank_is_the_first_passage_holding_a_quote():
    texts = ["nothing", "THE CASELOAD IS 2,523.", "the caseload is 2,523"]
    assert evidence_rank(ITEM, texts) == 2
    assert evidence_rank(ITEM, ["nothing"]) is None
    assert evidence_rank(UNANSWERABLE, texts) is None


@pytest.mark.parametrize(("ranks", "k", "wanted"), [
    ([1, 3, None], 1, 1 / 3),
    ([1, 3, None], 5, 2 / 3),
    ([6], 5, 0.0),  # beyond k
    ([], 5, None),  # nothing to measure
])
def test_hit_rate(ranks, k, wanted):
    assert hit_rate(ranks, k) == wanted


def test_mrr_and_percentile():
    assert mean_reciprocal_rank([1, 4, None]) == pytest.approx((1 + 0.25) / 3)
    assert mean_reciprocal_rank([]) is None
    assert percentile([10.0, 20.0, 40.0], 50) == 20.0
    assert percentile([10.0, 20.0, 40.0], 95) == 38.0  # 20 + 0.9 * 20
    assert percentile([], 50) is None


def result(id: str, category: str = "statistic", correct: bool = True, abstained: bool = False,
           rank: int | None = 1, answer: str = "x" * 10, cited: int = 1, supported: int = 1,
           total_ms: float = 10.0) -> ItemResult:
    answerable = category != "unanswerable"
    return ItemResult(config="fused", id=id, category=category, question="q", expected="e",
                      answerable=answerable, answer=answer, correct=correct, abstained=abstained,
                      evidence_rank=rank if answerable else None, passages=["c1"], passage_previews=["p"],
                      citations=["c1"] * cited, cited_with_evidence=supported, timings={"total": total_ms})


HAND_MADE = [
    result("a", rank=1, answer="x" * 10, total_ms=10),
    result("b", rank=3, correct=False, answer="x" * 30, cited=2, supported=1, total_ms=20),
    result("c", category="table", rank=None, correct=False, abstained=True, answer="x" * 50, cited=0,
           supported=0, total_ms=30),
    result("d", category="table", rank=2, answer="x" * 20, total_ms=40),
    result("u1", category="unanswerable", correct=True, abstained=True, cited=0, supported=0, total_ms=50),
    result("u2", category="unanswerable", correct=False, cited=1, supported=0, total_ms=60),
]


def test_overall_metrics_by_hand():
    m = compute(HAND_MADE)
    assert m.n == 6
    assert (m.hit_at_1, m.hit_at_5) == (0.25, 0.75)  # ranks 1, 3, None, 2 over the 4 answerable
    assert m.mrr == pytest.approx((1 + 1 / 3 + 0 + 1 / 2) / 4)
    assert m.accuracy == 0.5  # a and d
    assert m.citation_precision == 0.75  # 1 + 1 + 0 + 1 of 1 + 2 + 0 + 1 citations; unanswerable ones ignored
    assert m.declined_unanswerable == 0.5
    assert m.wrongly_declined == 0.25
    assert m.median_answer_chars == 25  # median of 10, 30, 50, 20
    assert m.latency_p50_ms == 35.0
    assert m.latency_p95_ms == 57.5


def test_by_category_leaves_what_cannot_be_measured_empty():
    summary = summarise(HAND_MADE)
    assert list(summary.by_category) == ["statistic", "table", "unanswerable"]
    table = summary.by_category["table"]
    assert (table.n, table.hit_at_1, table.hit_at_5) == (2, 0.0, 0.5)
    assert (table.accuracy, table.wrongly_declined) == (0.5, 0.5)
    assert table.declined_unanswerable is None
    unanswerable = summary.by_category["unanswerable"]
    assert unanswerable.hit_at_1 is unanswerable.accuracy is unanswerable.median_answer_chars is None
    assert unanswerable.declined_unanswerable == 0.5


def test_metrics_json_uses_the_summary_keys():
    data = compute(HAND_MADE).to_json()
    assert tuple(data) == METRIC_KEYS == (
        "hit@1", "hit@5", "mrr", "accuracy", "citation_precision", "declined_unanswerable",
        "wrongly_declined", "median_answer_chars", "latency_p50_ms", "latency_p95_ms", "n")


@pytest.mark.slow  # ranx compiles with numba on first use: ~30 s in a fresh environment
def test_retrieval_metrics_agree_with_ranx():
    from ranx import Qrels, Run, evaluate

    answerable = [r for r in HAND_MADE if r.answerable]
    # Qrels: the one relevant "doc" is the evidence; the run puts it at the item's evidence rank.
    qrels = Qrels({r.id: {"evidence": 1} for r in answerable})
    run = Run({r.id: {**{f"other{i}": 1.0 / i for i in range(1, 6)},
                      **({"evidence": 1.0 / r.evidence_rank + 1e-6} if r.evidence_rank else {})}
               for r in answerable})
    wanted = evaluate(qrels, run, ["hit_rate@1", "hit_rate@5", "mrr"], make_comparable=True)
    ours = compute(HAND_MADE)
    assert ours.hit_at_1 == pytest.approx(wanted["hit_rate@1"])
    assert ours.hit_at_5 == pytest.approx(wanted["hit_rate@5"])
    assert ours.mrr == pytest.approx(wanted["mrr"])
