"""The fitted "does the report say?" test: features, the JSON model, the threshold rule and the engine hook.

Questions here are written for the small synthetic report below, not taken from evals/.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.fit import Row, choose_threshold, measures, swap_for_absent
from ingest.errors import ReportQAError
from ingest.records import TEXT, Chunk, Span
from retrieval import answerability
from retrieval.analysis import AnswerType
from retrieval.answerability import (
    FEATURES,
    AnswerabilityModel,
    candidate_features,
    carries_value,
    constraints_cited,
    default_model,
    quoted_candidate,
)
from retrieval.candidate import Candidate
from retrieval.lexical import LexicalIndex
from retrieval.records import Hit
from tests.fakes import engine_over_text

SMALL_REPORT = """Findings

The service was good overall. Staff were kind and knew their cases.

Alcohol

Eighty per cent of cases with an alcohol need had a sufficient intervention. Of the 40 cases we read, 32 \
had an alcohol need.

Method

We read forty case files over two weeks in March 2016 and met 12 staff.
"""
QUESTION = "How many cases had an alcohol need?"


class Always:
    """A model that gives every answer the same probability."""

    def __init__(self, p: float, threshold: float = 0.5) -> None:
        self.p = p
        self.threshold = threshold
        self.seen: list[dict[str, float]] = []

    def predict_proba(self, features: dict[str, float]) -> float:
        self.seen.append(features)
        return self.p


def _chunk(text: str, chunk_id: str = "c1") -> Chunk:
    return Chunk(id=chunk_id, section_id="s", section_path=["Findings"], pages=[1], kind=TEXT, text=text, start=0,
                 end=len(text), sentences=[Span(0, len(text))], content_hash="0" * 12)


def _candidate(text: str, score: float, dense: float = 0.5, coverage: float = 0.4, chunk_id: str = "c1"):
    return Candidate(Hit(_chunk(text, chunk_id), score, 1), Span(0, len(text)), text, score, dense, coverage, False)


@pytest.fixture(scope="module")
def lexical() -> LexicalIndex:
    return LexicalIndex([_chunk("The probation service read forty cases in Tamworth.", "a"),
                         _chunk("Staff were kind. The service was good.", "b"),
                         _chunk("The service met staff.", "c")])


def test_features_of_synthetic_candidates(lexical) -> None:
    best = _candidate("Of the 40 cases we read, 32 had a need.", 0.8, dense=0.7, coverage=0.6)
    second = _candidate("Staff were kind.", 0.5, chunk_id="c2")
    features = candidate_features(
        [best, second], best, confidence=0.66, passage_dense=0.55, passage_coverage=0.5,
        answer_type=AnswerType.NUMBER, quote=best.text, passage=best.text, question="How many cases in Tamworth?",
        constraints=("Tamworth",), lexical=lexical, report="the service read forty cases in tamworth.")
    assert list(features) == list(FEATURES)
    assert features["top_score"] == 0.8 and features["margin"] == pytest.approx(0.3)
    assert features["sentence_dense"] == 0.7 and features["coverage"] == 0.6 and features["confidence"] == 0.66
    assert features["type_expected"] == 1.0 and features["type_missing"] == 0.0
    assert features["rare_share"] == 1.0 and features["unknown_share"] == 0.0
    assert features["constraints_cited"] == 0.0  # the quoted passage does not name Tamworth ...
    assert features["constraints_in_report"] == 1.0  # ... but the report does


def test_features_see_a_missing_value_and_unknown_words(lexical) -> None:
    only = _candidate("Staff were kind.", 0.4)
    features = candidate_features(
        [only], only, confidence=0.3, passage_dense=0.2, passage_coverage=0.1, answer_type=AnswerType.PERCENTAGE,
        quote=only.text, passage=only.text, question="What percentage of the zeppelin fleet was serviced?",
        constraints=(), lexical=lexical)
    assert features["margin"] == 0.4 and features["type_missing"] == 1.0
    assert features["rare_share"] < 1.0 and features["unknown_share"] > 0.0
    assert features["constraints_cited"] == 1.0  # nothing pinned


@pytest.mark.parametrize(("text", "answer_type", "carries"), [
    ("17.8% of the caseload", AnswerType.PERCENTAGE, True),
    ("a large share of the caseload", AnswerType.PERCENTAGE, False),
    ("It cost £4.2 million", AnswerType.MONEY, True),
    ("fieldwork in March", AnswerType.DATE, True),
    ("fieldwork was completed", AnswerType.DATE, False),
    ("signed by Jane Smith", AnswerType.PERSON, True),
    ("signed by the inspector", AnswerType.PERSON, False),
    ("over two weeks", AnswerType.DURATION, True),
    ("anything at all", AnswerType.DESCRIPTION, True),
])
def test_carries_value(text: str, answer_type: AnswerType, carries: bool) -> None:
    assert carries_value(text, answer_type) is carries


def test_quoted_candidate_prefers_the_quoted_sentence() -> None:
    first = _candidate("Staff were kind.", 0.9)
    quoted = _candidate("The service was good.", 0.6)
    assert quoted_candidate([first, quoted], "c1", "The service was good. Staff met.") is quoted
    assert quoted_candidate([first, quoted], "elsewhere", "x") is first
    assert quoted_candidate([], "c1", "x") is None
    assert constraints_cited(("2016", "Tamworth"), "in 2016 we read") == 0.5


def _model() -> AnswerabilityModel:
    n = len(FEATURES)
    return AnswerabilityModel(list(FEATURES), [0.5] * n, -0.2, [0.1] * n, [1.0] * n, 0.42,
                              {"groups": {"all / test": {"before": {"n": 3}}}})


def test_json_round_trip(tmp_path: Path) -> None:
    model = _model()
    path = tmp_path / "model.json"
    model.save(path)
    data = json.loads(path.read_text())
    assert data["format"] == answerability.FORMAT and data["threshold"] == 0.42
    loaded = AnswerabilityModel.load(path)
    assert loaded == model
    features = dict.fromkeys(FEATURES, 0.3)
    assert loaded.predict_proba(features) == pytest.approx(model.predict_proba(features))
    assert 0.0 < loaded.predict_proba(features) < 1.0


def test_bad_model_files_name_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    path.write_text('{"format": "something else"}')
    with pytest.raises(ReportQAError, match="fit-answerability"):
        AnswerabilityModel.load(path)
    path.write_text("not json")
    with pytest.raises(ReportQAError, match="fit-answerability"):
        AnswerabilityModel.load(path)
    with pytest.raises(ReportQAError, match="missing"):
        _model().predict_proba({"top_score": 1.0})


@pytest.mark.parametrize("n", [10, 33, 34, 100, 250])
def test_threshold_respects_the_false_refusal_bound(n: int) -> None:
    scores = [((i * 37) % n) / n for i in range(n)]  # a shuffled 0 .. 1
    threshold = choose_threshold(scores, 0.03)
    refused = sum(s < threshold for s in scores)
    assert refused <= 0.03 * n
    assert sum(s < threshold for s in scores + [threshold]) <= refused  # the cut itself is kept
    # the next score up would refuse too many: the threshold is as high as the bound allows
    higher = sorted(s for s in scores if s > threshold)
    if higher:
        assert sum(s < higher[0] for s in scores) > 0.03 * n


def test_threshold_with_ties_and_nothing() -> None:
    assert choose_threshold([], 0.03) == 0.0
    scores = [0.2] * 5 + [0.9] * 95
    assert sum(s < choose_threshold(scores, 0.03) for s in scores) <= 3


def test_measures_before_and_after() -> None:
    rows = [Row("a", "g", "test", True, False, False, True, {}, 0.9),
            Row("b", "g", "test", True, False, False, False, {}, 0.1),
            Row("c", "g", "test", False, False, False, False, {}, 0.2),
            Row("d", "g", "test", False, False, True, True, None, None)]
    assert measures(rows, None) == {"n": 4, "accuracy": 0.5, "declined_unanswerable": 0.5, "wrongly_declined": 0.0}
    assert measures(rows, 0.5) == {"n": 4, "accuracy": 0.5, "declined_unanswerable": 1.0, "wrongly_declined": 0.5}


def test_hard_negative_swaps_for_something_the_report_lacks() -> None:
    report = "In 2016 the CRC in Tamworth read 40 cases. 2019 and 2012 were quieter."
    swapped = swap_for_absent("How many cases did the CRC read in 2016?", report, "id-1")
    assert swapped is not None and "2016" not in swapped
    year = swapped.rsplit(" ", 1)[1].rstrip("?")
    assert year not in report
    named = swap_for_absent("How many cases did the CRC read?", report, "id-2")
    assert named is not None and "CRC" not in named
    assert swap_for_absent("how many cases were read?", report, "id-3") is None


@pytest.fixture(scope="module")
def small_engine(tmp_path_factory):
    return engine_over_text(tmp_path_factory.mktemp("answerability"), SMALL_REPORT)


def test_engine_unchanged_when_the_model_file_is_absent(small_engine, tmp_path, monkeypatch) -> None:
    small_engine.answerability = None  # what a missing file gives
    plain = small_engine.ask(QUESTION)
    monkeypatch.setattr(answerability, "_LOADED", {})
    assert default_model(tmp_path / "absent.json") is None
    monkeypatch.setattr(answerability, "DEFAULT_MODEL", tmp_path / "absent.json")
    del small_engine.answerability  # loaded lazily on the next ask
    again = small_engine.ask(QUESTION)
    assert small_engine.answerability is None
    assert (again.answer, again.abstained, again.citations) == (plain.answer, plain.abstained, plain.citations)


def test_hook_declines_when_the_model_says_so(small_engine) -> None:
    small_engine.answerability = Always(0.9)
    kept = small_engine.ask(QUESTION)
    assert not kept.abstained and "32" in kept.answer
    features = small_engine.answerability.seen[-1]
    assert set(features) == set(FEATURES) and features["type_expected"] == 1.0
    small_engine.answerability = Always(0.1)
    declined = small_engine.ask(QUESTION)
    assert declined.abstained and "does not say" in declined.answer.lower()
    assert declined.passages  # the closest passages are still shown
    small_engine.answerability = None


def test_a_real_model_runs_in_the_engine(small_engine, tmp_path) -> None:
    path = tmp_path / "m.json"
    model = _model()
    model.threshold = 1.1  # nothing reaches it
    model.save(path)
    small_engine.answerability = AnswerabilityModel.load(path)
    assert small_engine.ask(QUESTION).abstained
    small_engine.answerability = None
