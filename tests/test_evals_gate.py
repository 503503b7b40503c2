"""The regression gate: thresholds load strictly and every broken one is named."""

from __future__ import annotations

import pytest

from evals.gate import DEFAULT_THRESHOLDS, ThresholdError, Thresholds, check, load_thresholds

METRICS = {"hit@1": 0.9, "hit@5": 0.98, "accuracy": 0.71, "declined_unanswerable": 0.85,
           "wrongly_declined": 0.08, "latency_p95_ms": 40.0}


def write(tmp_path, text: str):
    path = tmp_path / "thresholds.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_bundled_thresholds_gate_the_fused_config():
    thresholds = load_thresholds(DEFAULT_THRESHOLDS)
    assert thresholds.config == "fused"
    assert {"hit@1", "hit@5", "accuracy", "declined_unanswerable"} <= set(thresholds.minimum)
    assert "wrongly_declined" in thresholds.maximum


def test_load(tmp_path):
    path = write(tmp_path, 'config = "bm25"\n[min]\n"hit@1" = 0.8\naccuracy = 1\n'
                           "[max]\nwrongly_declined = 0.05\n")
    wanted = Thresholds("bm25", {"hit@1": 0.8, "accuracy": 1.0}, {"wrongly_declined": 0.05})
    assert load_thresholds(path) == wanted


@pytest.mark.parametrize(("text", "wanted"), [
    ("[min]\nhit1 = 0.8\n", "unknown metric 'hit1' in \\[min\\]; known: hit@1"),
    ('[min]\naccuracy = "high"\n', "min.accuracy must be a number"),
    ("[min]\naccuracy = true\n", "min.accuracy must be a number"),
    ("[min\n", "is not valid TOML"),
    ("[minimum]\naccuracy = 0.8\n", "unknown key\\(s\\) minimum"),
    ("min = 0.8\n", "\\[min\\] must be a table"),
])
def test_bad_thresholds_are_clear_errors(tmp_path, text, wanted):
    with pytest.raises(ThresholdError, match=wanted):
        load_thresholds(write(tmp_path, text))


def test_missing_file(tmp_path):
    with pytest.raises(ThresholdError, match="not found; give one with --thresholds"):
        load_thresholds(tmp_path / "none.toml")


def test_check_names_each_broken_threshold():
    thresholds = Thresholds("fused", {"hit@1": 0.85, "accuracy": 0.80, "hit@5": 0.97},
                            {"wrongly_declined": 0.05, "latency_p95_ms": 50})
    assert check(METRICS, thresholds) == ["accuracy 0.71 < 0.80", "wrongly_declined 0.08 > 0.05"]


def test_check_passes_on_the_boundary_and_shows_more_digits_when_close():
    assert check({"accuracy": 0.8}, Thresholds("fused", {"accuracy": 0.8})) == []
    assert check({"accuracy": 0.849}, Thresholds("fused", {"accuracy": 0.85})) == ["accuracy 0.849 < 0.850"]


def test_a_metric_without_a_value_fails():
    failures = check({"declined_unanswerable": None}, Thresholds("fused", {"declined_unanswerable": 0.8}))
    assert failures == ["declined_unanswerable has no value (the dataset has no items to measure it)"]
