"""The candidate scorer (retrieval/scorer.py) and its fit (evals/fit_scorer.py): the hand weights by default,
a weights file's round trip, bad files, and a fit on a small synthetic report (fake embedder).

Questions here are written for the small report below, not taken from evals/.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from evals.dataset import EvalItem
from evals.fit_scorer import Group, collect, cross_validate, fit_chosen, fit_listwise, fit_weights, top_right
from ingest.errors import ReportQAError
from ingest.records import Chunk
from retrieval import scorer as scoring
from retrieval.forms import FIT, FIT_PARTS, fit_bonus, fit_part_totals, fit_parts
from retrieval.questions import intent_of
from retrieval.scorer import BASE_FEATURES, FEATURES, HAND_WEIGHTS, Scorer, candidate_features, scorer_from
from tests.fakes import engine_over_text

SMALL_REPORT = """Findings

The service was good overall. Staff were kind and knew their cases.

Caseload

The team held 240 open cases in June 2016. Most cases were supervised by one officer.

Method

We read forty case files over two weeks in March 2016 and met 12 staff.
"""


@pytest.fixture(autouse=True)
def _fresh_scorer(monkeypatch):
    monkeypatch.delenv(scoring.ENV_WEIGHTS, raising=False)
    scoring.reset_scorer()
    yield
    scoring.reset_scorer()


def _features(**given: float) -> tuple[float, ...]:
    values = dict(dense=0.6, coverage=0.5, own_coverage=0.4, passage_coverage=0.7, prior=0.9, fit=FIT,
                  named=0.5, is_row=False, whole_entry=False, words=30)
    values.update(given)
    return candidate_features(**values)


def test_default_score_is_the_hand_formula():
    f = _features()
    dense, coverage, prior, fit, named = 0.6, 0.5, 0.9, FIT, 0.5
    assert Scorer().score(f) == 0.45 * dense + 0.35 * coverage + 0.20 * prior + fit + FIT / 2 * named
    assert len(f) == len(FEATURES) == len(HAND_WEIGHTS)


def test_hand_weights_as_a_plain_dot_product_agree():
    f = _features(named=0.0, is_row=True, words=90)
    assert Scorer().score(f) == pytest.approx(float(np.dot(HAND_WEIGHTS, f)))


def test_no_file_means_hand_weights(tmp_path):
    assert scorer_from("", tmp_path / "absent.json").hand
    assert scorer_from("off", tmp_path / "absent.json").hand


def test_weights_file_round_trip(tmp_path):
    path = tmp_path / "w.json"
    written = Scorer(tuple(float(i) / 10 for i in range(len(FEATURES))), 0.25, False, "test", {"cv": {"hand": 0.5}})
    written.save(path)
    read = scorer_from(str(path), tmp_path / "absent.json")
    assert not read.hand and read.weights == written.weights and read.intercept == 0.25
    assert read.numbers == {"cv": {"hand": 0.5}}
    f = _features()
    assert read.score(f) == pytest.approx(0.25 + sum(w * x for w, x in zip(written.weights, f, strict=True)))


def test_a_named_file_that_is_missing_is_a_clear_error(tmp_path):
    with pytest.raises(ReportQAError, match="no such file"):
        scorer_from(str(tmp_path / "absent.json"), tmp_path / "absent.json")


@pytest.mark.parametrize("text", ["not json", json.dumps({"weights": {"dense": 1.0}}),
                                  json.dumps({"weights": dict.fromkeys(FEATURES, "x")})])
def test_a_corrupt_file_is_a_clear_error(tmp_path, text):
    path = tmp_path / "w.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ReportQAError, match="fit-scorer"):
        scorer_from("", path)


def test_engine_candidates_carry_features_and_hand_scores(tmp_path):
    engine = engine_over_text(tmp_path, SMALL_REPORT)
    answer = engine.ask("How many open cases did the team hold?")
    assert not answer.abstained
    found = []
    original = engine.composer.candidates

    def recording(*args, **kwargs):
        result = original(*args, **kwargs)
        found.extend(result)
        return result

    engine.composer.candidates = recording
    engine.ask("How many open cases did the team hold?")
    assert found and all(len(c.features) == len(FEATURES) for c in found)
    hand = Scorer()
    # the weighted sum, plus the composer's later adjustments (a multiple of FIT / 2) only
    for c in found:
        steps = (c.score - hand.score(c.features)) / (FIT / 2)
        assert steps == pytest.approx(round(steps), abs=1e-6)


def test_the_env_file_changes_the_ranking(tmp_path, monkeypatch):
    engine = engine_over_text(tmp_path, SMALL_REPORT)
    path = tmp_path / "w.json"
    weights = [0.0] * len(FEATURES)
    weights[FEATURES.index("length")] = 1.0  # the longest candidate wins
    Scorer(tuple(weights), 0.0, False, "test").save(path)
    monkeypatch.setenv(scoring.ENV_WEIGHTS, str(path))
    scoring.reset_scorer()
    assert scoring.active_scorer().weights == tuple(weights)
    engine.ask("How many open cases did the team hold?")  # runs with the file's weights


def _group(report: str, right_first: bool) -> Group:
    x = np.array([_features(own_coverage=0.9, dense=0.2), _features(own_coverage=0.1, dense=0.8)])
    right = np.array([right_first, not right_first])
    return Group(report, f"{report}-{right_first}", x, np.zeros(2), right)


def test_fit_learns_the_feature_that_separates_and_cross_validates_by_report():
    groups = [_group(r, True) for r in ("a", "b", "c") for _ in range(3)]
    hand = np.array(HAND_WEIGHTS)
    assert top_right(groups, hand) == 0.0  # the hand weights prefer the higher meaning score
    weights, _ = fit_weights(groups, 1.0)
    assert top_right(groups, weights) == 1.0
    cv = cross_validate(groups)
    assert cv["hand"] == 0.0 and cv["fitted"] == 1.0 and set(cv["reports"]) == {"a", "b", "c"}


def test_collect_labels_candidates_by_the_expected_answer(tmp_path):
    engine = engine_over_text(tmp_path, SMALL_REPORT)
    item = EvalItem(id="t1", question="How many open cases did the team hold?", category="number",
                    expected="240", patterns=("240",), evidence=("held 240 open cases",))
    groups = collect(engine, [item], "small-report")
    assert groups and groups[0].right.any()
    assert scoring.active_scorer().hand  # the recorder puts the setting back


def test_fit_listwise_corrects_the_hand_score_and_a_strong_penalty_keeps_it():
    groups = [_group(r, True) for r in ("a", "b", "c") for _ in range(3)]
    weights, intercept = fit_listwise(groups, 0.01)
    assert intercept == 0.0 and top_right(groups, weights) == 1.0
    kept, _ = fit_listwise(groups, 1e9)
    assert top_right(groups, kept) == top_right(groups, np.array(HAND_WEIGHTS)) == 0.0
    cv = cross_validate(groups)
    assert cv["model"] in ("pointwise", "listwise") and set(cv["by_lambda"])
    assert top_right(groups, fit_chosen(groups, cv)[0]) == 1.0


def test_fit_bonus_is_the_sum_of_its_parts():
    text = "The team held 240 open cases in June 2016."
    chunk = Chunk(id="c1", section_id="caseload", section_path=["Caseload"], pages=[1], kind="text", text=text,
                  start=0, end=len(text), sentences=[], content_hash="0")
    for question in ("How many open cases were there?", "When were the cases counted?", "Who held the cases?"):
        intent = intent_of(question)
        terms = fit_parts(text, chunk, intent, False, None)
        assert {name for name, _ in terms} <= set(FIT_PARTS)
        assert fit_bonus(text, chunk, intent, False, None) == sum(v for _, v in terms)
        assert sum(fit_part_totals(terms)) == pytest.approx(fit_bonus(text, chunk, intent, False, None))


def test_features_carry_the_parts_and_the_expected_type_value():
    f = candidate_features(0.5, 0.5, 0.5, 0.5, 1.0, FIT, 0.0, False, False, 30,
                           parts=(FIT,) + (0.0,) * (len(FIT_PARTS) - 1), carries=True)
    assert f[FEATURES.index("fit_number")] == FIT and f[FEATURES.index("carries")] == 1.0
    assert _features()[FEATURES.index("carries")] == 0.5  # no expected type: neither
    with pytest.raises(ValueError, match="fit part"):
        candidate_features(0.5, 0.5, 0.5, 0.5, 1.0, FIT, 0.0, False, False, 30, parts=(1.0,))


def test_a_version_1_file_still_loads_with_zero_part_weights(tmp_path):
    path = tmp_path / "w.json"
    path.write_text(json.dumps({"weights": dict.fromkeys(BASE_FEATURES, 0.5), "intercept": 0.1}), encoding="utf-8")
    read = scorer_from(str(path), tmp_path / "absent.json")
    assert read.weights == (0.5,) * len(BASE_FEATURES) + (0.0,) * (len(FEATURES) - len(BASE_FEATURES))
    assert json.loads(json.dumps(read.to_json()))["version"] == 2
