"""The candidate scorer: one weighted sum of a candidate's features, its weights fitted or the hand defaults.

    features = candidate_features(dense, coverage, own, passage, prior, fit, named, is_row, kind, words)
    score = active_scorer().score(features)      # weights . features + intercept

With no weights file the weights are today's hand weights (0.45 meaning, 0.35 focus coverage, 0.20 passage
rank, the form fit and the share of the question's names the candidate states) and the score is exactly
the one `retrieval.answer` always computed. `report-qa fit-scorer` (evals/fit_scorer.py) fits the weights on
the eval train split and writes them as JSON (default: retrieval/scorer_weights.json, used when present).
The environment variable REPORT_QA_SCORER names another weights file to use, or "off" for the hand weights.
The file is read once per process, on first use; scoring is one dot product per candidate.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest.errors import ReportQAError
from retrieval.forms import FIT, FIT_PARTS  # the entity-named bonus is half of FIT per share of names stated

DEFAULT_WEIGHTS = Path(__file__).resolve().parent / "scorer_weights.json"
ENV_WEIGHTS = "REPORT_QA_SCORER"  # another weights file, or "off" (the hand weights)
LENGTH_WORDS = 60.0  # a candidate's length feature is its words / LENGTH_WORDS, capped at 1

# The order of a candidate's feature vector; a weights file names them, so a reordering is caught.
FEATURES = (
    "dense",             # meaning: the candidate (blended with its passage) against the question
    "coverage",          # the question's focus words it contains (a row's blended with its passage's)
    "own_coverage",      # the same, of its own words only
    "passage_coverage",  # the same, of its whole passage
    "prior",             # its passage's retrieval score over the top passage's
    "fit",               # retrieval.forms.fit_bonus: fitting the form of answer asked for
    "named",             # share of the question's specific names it states
    "is_row",            # a table row
    "whole_entry",       # a whole glossary entry, key fact or recommendation
    "length",            # its words / LENGTH_WORDS, capped at 1
)
BASE_FEATURES = FEATURES  # a version-1 weights file names exactly these
# Version 2 adds the parts of `fit` (retrieval.forms.fit_parts, summed per part) and whether the candidate
# carries a value of the expected answer type (1 yes, 0 no, 0.5 for a type with no recognisable value).
FEATURES = BASE_FEATURES + tuple(f"fit_{part}" for part in FIT_PARTS) + ("carries",)
HAND_WEIGHTS = (0.45, 0.35, 0.0, 0.0, 0.20, 1.0, FIT / 2, 0.0, 0.0, 0.0) + (0.0,) * (len(FIT_PARTS) + 1)
VERSION = 2


def candidate_features(dense: float, coverage: float, own_coverage: float, passage_coverage: float, prior: float,
                       fit: float, named: float, is_row: bool, whole_entry: bool, words: int,
                       parts: tuple[float, ...] | None = None, carries: bool | None = None) -> tuple[float, ...]:
    """One candidate's features, in FEATURES order; `parts` are `fit`'s per part (retrieval.forms.
    fit_part_totals; none given: zeros). Example: a 30-word sentence -> length 0.5."""
    parts = parts if parts is not None else (0.0,) * len(FIT_PARTS)
    if len(parts) != len(FIT_PARTS):
        raise ValueError(f"parts {parts} must give one value per fit part {list(FIT_PARTS)}")
    return (dense, coverage, own_coverage, passage_coverage, prior, fit, named, float(is_row), float(whole_entry),
            min(words / LENGTH_WORDS, 1.0), *parts, 0.5 if carries is None else float(carries))


@dataclass
class Scorer:
    """weights . features + intercept; `hand` marks the built-in weights (no file)."""

    weights: tuple[float, ...] = HAND_WEIGHTS
    intercept: float = 0.0
    hand: bool = True
    source: str = "hand weights"
    numbers: dict[str, Any] = field(default_factory=dict)  # the fit's cross-validation numbers, as written

    def score(self, features: tuple[float, ...]) -> float:
        if self.hand:  # today's formula, term for term, so no file = the same scores to the last bit
            return (0.45 * features[0] + 0.35 * features[1] + 0.20 * features[4] + features[5]
                    + FIT / 2 * features[6])
        return self.intercept + sum(w * f for w, f in zip(self.weights, features, strict=True))

    def to_json(self) -> dict[str, Any]:
        return {"version": VERSION, "features": list(FEATURES),
                "weights": dict(zip(FEATURES, self.weights, strict=True)),
                "intercept": self.intercept, "numbers": self.numbers}

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_json(), indent=1) + "\n", encoding="utf-8")

    @classmethod
    def from_json(cls, data: Any, source: str) -> Scorer:
        """Example: {"weights": {"dense": 0.5, ...every feature...}, "intercept": 0.0} -> a fitted Scorer."""
        weights = data.get("weights") if isinstance(data, dict) else None
        if isinstance(weights, dict) and set(weights) == set(BASE_FEATURES):  # version 1: no part weights
            weights = {**dict.fromkeys(FEATURES, 0.0), **weights}
        if not isinstance(weights, dict) or set(weights) != set(FEATURES):
            found = sorted(weights) if isinstance(weights, dict) else type(weights).__name__
            raise ReportQAError(f"{source}: 'weights' must name exactly the features {list(FEATURES)}, found "
                                f"{found}; rewrite it with `report-qa fit-scorer` or set {ENV_WEIGHTS}=off")
        values = [weights[name] for name in FEATURES] + [data.get("intercept", 0.0)]
        if not all(isinstance(v, int | float) and math.isfinite(v) for v in values):
            raise ReportQAError(f"{source}: every weight and the intercept must be a finite number; rewrite it "
                                f"with `report-qa fit-scorer` or set {ENV_WEIGHTS}=off")
        return cls(tuple(float(v) for v in values[:-1]), float(values[-1]), False, source,
                   dict(data.get("numbers") or {}))

    @classmethod
    def load(cls, path: Path) -> Scorer:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise ReportQAError(f"cannot read the scorer weights {path}: {error}; rewrite it with "
                                f"`report-qa fit-scorer` or set {ENV_WEIGHTS}=off") from error
        return cls.from_json(data, str(path))


_active: Scorer | None = None


def active_scorer() -> Scorer:
    """The scorer in use: REPORT_QA_SCORER's file (or the hand weights for "off"), else the shipped weights
    file when there is one, else the hand weights. Read once; `reset_scorer()` forgets it."""
    global _active
    if _active is None:
        _active = scorer_from(os.environ.get(ENV_WEIGHTS, "").strip(), DEFAULT_WEIGHTS)
    return _active


def scorer_from(setting: str, default: Path) -> Scorer:
    """Example: "off" -> hand weights; "" with no `default` file -> hand weights; a missing named file ->
    ReportQAError naming it."""
    if setting.lower() == "off":
        return Scorer()
    if setting:
        path = Path(setting)
        if not path.is_file():
            raise ReportQAError(f"{ENV_WEIGHTS}={setting}: no such file; write it with "
                                f"`report-qa fit-scorer --out {setting}` or set {ENV_WEIGHTS}=off")
        return Scorer.load(path)
    return Scorer.load(default) if default.is_file() else Scorer()


def use_scorer(scorer: Scorer | None) -> None:
    """Put `scorer` in use for this process (None: read the setting again on next use)."""
    global _active
    _active = scorer


def reset_scorer() -> None:
    use_scorer(None)
