"""Scoring one answer against its EvalItem, and the metrics over many: overall and per category.

Retrieval metrics (hit@1, hit@5, MRR) are computed here from each question's evidence rank rather than
with ranx: the rank is needed per question anyway (results.jsonl, the failures list), after which hit@k
and reciprocal rank are one line each, while ranx costs ~2 s to import and ~3 s of numba start-up per
process (~30 s for the first compile in a fresh venv) -- more than a whole fused run of the dataset.
tests/test_evals_metrics.py checks these numbers equal ranx's hit_rate@k and mrr on the same input.
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import numpy as np

from evals.dataset import EvalItem
from retrieval.records import Answer

PREVIEW_CHARS = 100  # of each passage, in the failures list


@dataclass
class ItemResult:
    """One question run through one configuration, scored."""

    config: str
    id: str
    category: str
    question: str
    expected: str
    answerable: bool
    answer: str
    correct: bool  # answerable: a pattern matched and it did not abstain; unanswerable: it abstained
    abstained: bool
    evidence_rank: int | None  # 1-based rank of the first passage holding an evidence quote
    passages: list[str]  # chunk ids, in rank order
    passage_previews: list[str]  # the first PREVIEW_CHARS of each passage
    citations: list[str]  # cited chunk ids
    cited_with_evidence: int  # how many of those hold an evidence quote
    timings: dict[str, float]
    error: str | None = None  # the engine refused the question (QuestionError)
    report: str = ""  # the item's own report field ("" when it has none: the run's default report)
    split: str = ""  # "train", "test", or "" when the item is not split

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def score(item: EvalItem, answer: Answer, config: str) -> ItemResult:
    """Example: expected "2,523", answer "The caseload is 2,523 [1]" citing its evidence passage ->
    correct, evidence_rank 1, cited_with_evidence 1."""
    if item.answerable:
        correct = not answer.abstained and item.accepts(answer.answer)
    else:
        correct = answer.abstained
    cited = answer.citations
    return ItemResult(
        config=config, id=item.id, category=item.category, question=item.question, expected=item.expected,
        answerable=item.answerable, answer=answer.answer, correct=correct, abstained=answer.abstained,
        evidence_rank=evidence_rank(item, [p.text for p in answer.passages]),
        passages=[p.chunk_id for p in answer.passages],
        passage_previews=[" ".join(p.text.split())[:PREVIEW_CHARS] for p in answer.passages],
        citations=[c.chunk_id for c in cited],
        cited_with_evidence=sum(item.answerable and item.supported_by(c.text) for c in cited),
        timings=dict(answer.timings_ms), report=item.report or "", split=item.split or "",
    )


def refused(item: EvalItem, config: str, reason: str) -> ItemResult:
    """The result for a question the engine would not take: wrong, and not a decline."""
    return ItemResult(config=config, id=item.id, category=item.category, question=item.question,
                      expected=item.expected, answerable=item.answerable, answer="", correct=False,
                      abstained=False, evidence_rank=None, passages=[], passage_previews=[], citations=[],
                      cited_with_evidence=0, timings={}, error=reason, report=item.report or "",
                      split=item.split or "")


def evidence_rank(item: EvalItem, passage_texts: list[str]) -> int | None:
    """Example: evidence in the 2nd and 4th passages -> 2; in none (or an unanswerable item) -> None."""
    for rank, text in enumerate(passage_texts, start=1):
        if item.supported_by(text):
            return rank
    return None


@dataclass
class Metrics:
    """The numbers of one group of results; None where the group has nothing to measure."""

    hit_at_1: float | None = None
    hit_at_5: float | None = None
    mrr: float | None = None
    accuracy: float | None = None
    citation_precision: float | None = None
    declined_unanswerable: float | None = None
    wrongly_declined: float | None = None
    median_answer_chars: float | None = None
    latency_p50_ms: float | None = None
    latency_p95_ms: float | None = None
    n: int = 0

    def to_json(self) -> dict[str, float | int | None]:
        return {json_key(f.name): getattr(self, f.name) for f in fields(self)}


# summary.json spells these as the IR literature does; the chat UI reads those keys.
_JSON_KEYS = {"hit_at_1": "hit@1", "hit_at_5": "hit@5"}
METRIC_KEYS = tuple(_JSON_KEYS.get(f.name, f.name) for f in fields(Metrics))


def json_key(name: str) -> str:
    return _JSON_KEYS.get(name, name)


@dataclass
class Summary:
    overall: Metrics
    by_category: dict[str, Metrics] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"overall": self.overall.to_json(),
                "by_category": {name: m.to_json() for name, m in self.by_category.items()}}


def summarise(results: list[ItemResult]) -> Summary:
    categories = list(dict.fromkeys(r.category for r in results))
    by_category = {c: compute([r for r in results if r.category == c]) for c in categories}
    return Summary(compute(results), by_category)


UNSPLIT = "unsplit"  # the group name of items without a split


def group_by(results: list[ItemResult], key: str) -> dict[str, Metrics]:
    """Metrics per value of `key` ("report" or "split"), in first-seen order. Example: results of two
    reports -> {"report-a": Metrics(...), "report-b": Metrics(...)}; no split -> the group "unsplit"."""
    groups: dict[str, list[ItemResult]] = {}
    for result in results:
        groups.setdefault(getattr(result, key) or UNSPLIT, []).append(result)
    return {name: compute(group) for name, group in groups.items()}


def group_by_report_and_split(results: list[ItemResult]) -> dict[str, Metrics]:
    """Metrics per "report / split", e.g. {"report-a / train": ..., "report-a / test": ...}."""
    groups: dict[str, list[ItemResult]] = {}
    for result in results:
        groups.setdefault(f"{result.report} / {result.split or UNSPLIT}", []).append(result)
    return {name: compute(group) for name, group in groups.items()}


def compute(results: list[ItemResult]) -> Metrics:
    answerable = [r for r in results if r.answerable]
    unanswerable = [r for r in results if not r.answerable]
    ranks = [r.evidence_rank for r in answerable]
    cited = sum(len(r.citations) for r in answerable)
    latencies = [r.timings["total"] for r in results if "total" in r.timings]
    return Metrics(
        hit_at_1=hit_rate(ranks, 1), hit_at_5=hit_rate(ranks, 5), mrr=mean_reciprocal_rank(ranks),
        accuracy=_share(sum(r.correct for r in answerable), len(answerable)),
        citation_precision=_share(sum(r.cited_with_evidence for r in answerable), cited),
        declined_unanswerable=_share(sum(r.abstained for r in unanswerable), len(unanswerable)),
        wrongly_declined=_share(sum(r.abstained for r in answerable), len(answerable)),
        median_answer_chars=statistics.median(len(r.answer) for r in answerable) if answerable else None,
        latency_p50_ms=percentile(latencies, 50), latency_p95_ms=percentile(latencies, 95), n=len(results),
    )


def hit_rate(ranks: list[int | None], k: int) -> float | None:
    """Example: ranks [1, 3, None] -> hit@1 0.33, hit@5 0.67."""
    return _share(sum(r is not None and r <= k for r in ranks), len(ranks))


def mean_reciprocal_rank(ranks: list[int | None]) -> float | None:
    """Example: ranks [1, 4, None] -> (1 + 0.25 + 0) / 3 = 0.417."""
    return _share(sum(1 / r for r in ranks if r is not None), len(ranks))


def percentile(values: list[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default). Example: p50 of [10, 20, 40] -> 20."""
    return round(float(np.percentile(values, q)), 2) if values else None


def _share(part: float, whole: int) -> float | None:
    return part / whole if whole else None
