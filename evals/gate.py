"""The regression gate: thresholds from evals/thresholds.toml, checked against one configuration's metrics.

    config = "fused"
    [min]
    "hit@1" = 0.85
    [max]
    wrongly_declined = 0.05
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from evals.metrics import METRIC_KEYS
from ingest.errors import ReportQAError

DEFAULT_THRESHOLDS = Path(__file__).resolve().parent / "thresholds.toml"


class ThresholdError(ReportQAError):
    """The thresholds file cannot be used."""


@dataclass(frozen=True)
class Thresholds:
    config: str  # which configuration the gate applies to
    minimum: dict[str, float] = field(default_factory=dict)  # metric -> lowest value that passes
    maximum: dict[str, float] = field(default_factory=dict)  # metric -> highest value that passes


def load_thresholds(path: Path = DEFAULT_THRESHOLDS) -> Thresholds:
    if not Path(path).is_file():
        raise ThresholdError(f"thresholds file {path} not found; give one with --thresholds.")
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise ThresholdError(f"thresholds file {path} is not valid TOML ({err}); fix it.") from None
    unknown = sorted(set(data) - {"config", "min", "max"})
    if unknown:
        raise ThresholdError(f"thresholds file {path} has unknown key(s) {', '.join(unknown)}; "
                             "use config, [min] and [max].")
    config = data.get("config", "fused")
    if not isinstance(config, str):
        raise ThresholdError(f"thresholds file {path}: config must be a configuration name, not {config!r}.")
    return Thresholds(config, _bounds(data, "min", path), _bounds(data, "max", path))


def _bounds(data: dict, table: str, path: Path) -> dict[str, float]:
    values = data.get(table, {})
    if not isinstance(values, dict):
        raise ThresholdError(f"thresholds file {path}: [{table}] must be a table of metric = number.")
    bounds = {}
    for metric, value in values.items():
        if metric not in METRIC_KEYS:
            raise ThresholdError(f"thresholds file {path}: unknown metric {metric!r} in [{table}]; "
                                 f"known: {', '.join(METRIC_KEYS)}.")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ThresholdError(f"thresholds file {path}: {table}.{metric} must be a number, not {value!r}.")
        bounds[metric] = float(value)
    return bounds


def check(metrics: dict[str, float | int | None], thresholds: Thresholds) -> list[str]:
    """Every broken threshold in words. Example: accuracy 0.71 with min 0.8 -> ["accuracy 0.71 < 0.80"]."""
    failures = []
    for metric, bound in thresholds.minimum.items():
        failures.extend(_compare(metric, metrics.get(metric), bound, "<"))
    for metric, bound in thresholds.maximum.items():
        failures.extend(_compare(metric, metrics.get(metric), bound, ">"))
    return failures


def _compare(metric: str, value: float | int | None, bound: float, sign: str) -> list[str]:
    # A metric with nothing to measure (no unanswerable items, say) fails: a gate must not pass silently.
    if value is None:
        return [f"{metric} has no value (the dataset has no items to measure it)"]
    broken = value < bound if sign == "<" else value > bound
    return [f"{metric} {_pair(value, bound, sign)}"] if broken else []


def _pair(value: float, bound: float, sign: str) -> str:
    """Two decimals, or three when two would print the same number on both sides ("0.849 < 0.850")."""
    for digits in (2, 3, 4):
        left, right = f"{value:.{digits}f}", f"{bound:.{digits}f}"
        if left != right:
            break
    return f"{left} {sign} {right}"
