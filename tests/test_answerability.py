"""The fitted "does the report say?" test: features, the JSON model, the threshold rule and the engine hook.

Questions here are written for the small synthetic report below, not taken from evals/.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.fit import (
    ROLE_POOL,
    Row,
    add_absent_year,
    ask_share_not_count,
    choose_threshold,
    fit,
    measures,
    swap_for_absent,
    swap_role,
)
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
    retrieval_shape,
    value_near_focus,
    weighted_share,
)
from retrieval.candidate import Candidate
from retrieval.lexical import LexicalIndex
from retrieval.questions import stem
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


def _features_of(only: Candidate, answer_type: AnswerType, question: str, lexical: LexicalIndex,
                 confidence: float = 0.6, passage_dense: float = 0.5, passage_coverage: float = 0.5) -> dict:
    """The features of one candidate quoted alone, pinning nothing."""
    return candidate_features([only], only, confidence=confidence, passage_dense=passage_dense,
                              passage_coverage=passage_coverage, answer_type=answer_type, quote=only.text,
                              passage=only.text, question=question, constraints=(), lexical=lexical)


def test_features_see_a_missing_value_and_unknown_words(lexical) -> None:
    only = _candidate("Staff were kind.", 0.4)
    features = _features_of(only, AnswerType.PERCENTAGE, "What percentage of the zeppelin fleet was serviced?",
                            lexical, confidence=0.3, passage_dense=0.2, passage_coverage=0.1)
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
    ("The Lead Member of Children's Services", AnswerType.PERSON, False),  # a role, not a name
    ("Lead inspector: Mary Candlish", AnswerType.PERSON, True),
    ("the team spent two full weeks there", AnswerType.DURATION, True),
    ("rated medium risk of harm", AnswerType.VERDICT, True),
    ("judged to require improvement", AnswerType.VERDICT, True),
    ("the report was published in May", AnswerType.VERDICT, False),
])
def test_carries_value(text: str, answer_type: AnswerType, carries: bool) -> None:
    """A role ("Lead Member") is no name: its words are ones the report also writes in lower case."""
    not_name = frozenset(stem(w) for w in ("lead", "member", "children", "services", "inspector"))
    assert carries_value(text, answer_type, not_name) is carries


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


# -- near-miss features and generated negatives -------------------------------------------------------------


def test_new_features_are_in_range_and_named(lexical) -> None:
    best = _candidate("Of the 40 cases we read, 32 had a need.", 0.8)
    features = _features_of(best, AnswerType.NUMBER, "How many cases did the probation service read?", lexical)
    assert list(features) == list(FEATURES)
    for name in ("value_near_focus", "rare_in_quote", "rare_in_cited", "rare_known_uncited", "unknown_weight"):
        assert 0.0 <= features[name] <= 1.0, name
    assert features["value_near_focus"] > 0.0  # "40 cases" sits beside what is counted


def test_value_near_focus_tells_a_near_miss_from_an_answer(lexical) -> None:
    asked = ("vacant", "post")
    assert value_near_focus("86% of staff had supervision.", AnswerType.PERCENTAGE, asked, lexical) == 0.0
    assert value_near_focus("12% of posts were vacant.", AnswerType.PERCENTAGE, asked, lexical) == 1.0
    assert value_near_focus("No figure here.", AnswerType.PERCENTAGE, asked, lexical) == 0.0
    assert value_near_focus("Anything.", AnswerType.DESCRIPTION, asked, lexical) == 1.0  # no type asked
    assert value_near_focus("", AnswerType.NUMBER, (), lexical) == 0.0  # empty quote: no value
    assert value_near_focus("40 cases", AnswerType.NUMBER, (stem("number"),), lexical) == 1.0  # form words only


def test_weighted_share_weighs_rare_words_more(lexical) -> None:
    rare, common = "tamworth", "servic"
    assert weighted_share([], {"x"}, lexical) == 1.0
    assert weighted_share([rare, common], {rare}, lexical) > weighted_share([rare, common], {common}, lexical)
    assert weighted_share([rare, rare], {rare}, lexical) == 1.0


def test_generated_near_misses() -> None:
    report = "In 2016 the CRC read 40 cases. The chief reviewer was Jo Bloggs. 12 staff left in 2015."
    assert add_absent_year("How many cases were read?", report) == "How many cases were read in 2010?"
    assert add_absent_year("How many cases were read in 2016?", report) is None  # already pins a year
    assert add_absent_year("Who is the chief reviewer?", report) is None  # not a count
    assert add_absent_year("How many cases were read?", "no years at all") is None
    role = swap_role("Who is the chief reviewer?", report, "id-1")
    assert role is not None and role.startswith("Who is the ") and "chief reviewer" not in role
    assert role.removeprefix("Who is the ").rstrip("?") in ROLE_POOL
    assert swap_role("How many cases?", report, "id-1") is None
    sentences = ["In 2016 the CRC read 40 cases.", "12 staff left in 2015."]
    assert ask_share_not_count("How many staff left?", sentences) == "What percentage of staff left?"
    assert ask_share_not_count("How many staff left?", ["Of the staff, 30% left."]) is None  # the share is there
    assert ask_share_not_count("Who left?", sentences) is None


def test_negatives_come_from_train_answerable_questions_only() -> None:
    from evals.fit import Question, negatives_of

    report = "In 2016 the CRC read 40 cases."
    asked = [Question("a", "How many cases were read?", "g", "train", True, False),
             Question("b", "How many cases were read?", "g", "test", True, False),
             Question("c", "How many cases were read?", "g", "train", False, False)]
    made = negatives_of(asked, report, ["In 2016 the CRC read 40 cases."])
    assert made and all(q.id.startswith("a~") and q.negative and not q.answerable for q in made)
    assert {q.id for q in made} >= {"a~year", "a~share"}


def test_fit_labels_every_answerable_item_and_counts_prior_refusals() -> None:
    features = dict.fromkeys(FEATURES, 0.5)
    right = Row("r", "g", "train", True, False, False, True, dict(features))
    wrong = Row("w", "g", "train", True, False, False, False, dict(features))
    negative = Row("n~neg", "g", "train", False, True, False, False, dict(features))
    assert (right.label, wrong.label, negative.label) == (1, 1, 0)  # refusing a wrong answer is still a refusal
    # 40 answerable train items, 1 already declined before the model: 1 more refusal is the most 3 % allows.
    rows = [Row(f"a{i}", "g", "train", True, False, False, True, {**features, "top_score": 0.5 + i / 100})
            for i in range(39)]
    rows.append(Row("declined", "g", "train", True, False, True, False))
    rows += [Row(f"u{i}", "g", "train", False, True, False, False, {**features, "top_score": 0.1}) for i in range(5)]
    model = fit(rows)
    answered = [r for r in rows if r.answerable and r.features is not None]
    assert sum(r.p < model.threshold for r in answered) + 1 <= 0.03 * 40


def test_retrieval_shape() -> None:
    a, b = _candidate("One.", 0.9).hit, _candidate("Two.", 0.3, chunk_id="c2").hit
    assert retrieval_shape([]) == {"passage_lead": 1.0, "section_agreement": 0.0}
    shape = retrieval_shape([Hit(a.chunk, 0.9, 1), Hit(b.chunk, 0.3, 2)])
    assert shape["passage_lead"] == pytest.approx(3.0) and shape["section_agreement"] == 1.0  # one section "s"
    assert retrieval_shape([Hit(a.chunk, 0.9, 1), Hit(b.chunk, 0.0, 2)])["passage_lead"] == 1.0  # no division by 0


def test_cross_report_cut_is_never_above_the_in_sample_one() -> None:
    base = dict.fromkeys(FEATURES, 0.5)
    rows = []
    for report in ("r1", "r2"):
        rows += [Row(f"{report}a{i}", "g", "train", True, False, False, True,
                     {**base, "top_score": 0.4 + i / 50}, report=report) for i in range(30)]
        rows += [Row(f"{report}u{i}", "g", "train", False, False, False, False,
                     {**base, "top_score": 0.1 + i / 100}, report=report) for i in range(6)]
    model = fit(rows)
    answerable = [r for r in rows if r.answerable]
    assert sum(r.p < model.threshold for r in answerable) <= 0.03 * len(answerable)


def test_the_environment_can_switch_the_model_off(tmp_path, monkeypatch) -> None:
    path = tmp_path / "m.json"
    _model().save(path)
    monkeypatch.setattr(answerability, "_LOADED", {})
    monkeypatch.setenv(answerability.ENV_MODEL, str(path))
    assert default_model() == _model()
    monkeypatch.setenv(answerability.ENV_MODEL, "off")
    assert default_model() is None
