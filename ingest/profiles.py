"""The grade scale of each report family, as data in its profile (ingest/profiles/<name>.json):

    "grade_scale": ["Outstanding", "Good", "Requires improvement", "Inadequate"],   # best first
    "headline_judgement": "Overall effectiveness"    # what a grid's headline grades

A report's scale is its profile's, found by the publisher its metadata names (the profile's "publisher").
A report of no profile, or of a profile without a "grade_scale", gets NO_SCALE: its grades have no order
(comparisons count them instead of placing them on a scale) and its headline is DEFAULT_HEADLINE.

    scale_for("Ofsted").grades       # ("Outstanding", "Good", "Requires improvement", "Inadequate")
    scale_for("").headline           # "Overall judgement"
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

PROFILE_DIR = Path(__file__).with_name("profiles")
DEFAULT_HEADLINE = "Overall judgement"  # the headline judgement's name when the profile gives none


@dataclass(frozen=True)
class GradeScale:
    family: str  # the profile's name; "none" for NO_SCALE
    publisher: str
    grades: tuple[str, ...] = ()  # best first; empty: the grades have no order
    headline: str = DEFAULT_HEADLINE


NO_SCALE = GradeScale("none", "")


def grade_scales(folder: Path | None = None) -> tuple[GradeScale, ...]:
    """Every profile's scale (those without a "grade_scale" too), by file name."""
    return _read(Path(folder or PROFILE_DIR))


def scale_for(publisher: str, folder: Path | None = None) -> GradeScale:
    """The scale of the profile whose publisher (or name) is `publisher`; NO_SCALE when none is."""
    wanted = (publisher or "").strip().casefold()
    if not wanted:
        return NO_SCALE
    return next((s for s in grade_scales(folder) if wanted in {s.publisher.casefold(), s.family.casefold()}),
                NO_SCALE)


@lru_cache(maxsize=8)
def _read(folder: Path) -> tuple[GradeScale, ...]:
    return tuple(_scale(path) for path in sorted(folder.glob("*.json")))


def _scale(path: Path) -> GradeScale:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        grades = data.get("grade_scale") or []
        headline = data.get("headline_judgement") or DEFAULT_HEADLINE
        if not all(isinstance(g, str) and g.strip() for g in grades) or not isinstance(headline, str):
            raise ValueError(f"grade_scale {grades!r} / headline_judgement {headline!r} must be words")
        return GradeScale(data["name"], data.get("publisher", ""), tuple(grades), headline)
    except (OSError, KeyError, ValueError) as error:
        raise ValueError(f"report profile {path} is malformed ({error}); fix or remove that file") from error
