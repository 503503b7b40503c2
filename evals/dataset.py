"""The evaluation dataset: one JSON object per line, read into typed `EvalItem`s and checked.

A line looks like

    {"id": "stat-01", "question": "How many cases ...?", "category": "statistic", "expected": "2,523 cases",
     "patterns": ["\\\\b2,?523\\\\b"], "evidence": ["the Staffordshire and Stoke caseload is 2,523"]}

Errors (bad JSON, a missing field, an invalid regex, a duplicate id) stop the load with one `DatasetError`
naming the line; softer problems (an unknown category, an evidence quote not in the report) are warnings
the caller shows and carries on.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from ingest.errors import ReportQAError
from ingest.text import normalise_for_match

log = logging.getLogger(__name__)

UNANSWERABLE = "unanswerable"
# The categories of the bundled dataset. Another is allowed (bring your own) but reported, since a typo
# ("statistics") would otherwise silently split a category in two.
CATEGORIES = ("statistic", "table", "glossary", "finding", "practice_example", "recommendation",
              "methodology", "context", "multi_passage", "multi_part", "comparison", "how_many", "who", "when",
              "judgement", "list", UNANSWERABLE)
FIELDS = ("id", "question", "category", "expected", "patterns", "evidence")
# Optional: `report` (the index name the item is asked of; absent -> the run's default report) and
# `split` ("train" or "test", assigned once by evals/split.py and then frozen).
SPLITS = ("train", "test")


class DatasetError(ReportQAError):
    """The evaluation dataset cannot be used as it is."""


@dataclass(frozen=True)
class EvalItem:
    """One question with its known answer: regexes that accept it, quotes from the report that support it."""

    id: str
    question: str
    category: str
    expected: str
    patterns: tuple[str, ...]
    evidence: tuple[str, ...]
    line: int = 0  # where it came from, for messages
    report: str | None = None  # index name of the report it is about; None: the run's default report
    split: str | None = None  # "train" or "test"; None: not split

    def report_or(self, default: str) -> str:
        return self.report or default

    @property
    def answerable(self) -> bool:
        return self.category != UNANSWERABLE

    def accepts(self, answer_text: str) -> bool:
        """True when any pattern is found in the answer, ignoring case. Example: ["brighter futures"] accepts
        "Brighter Futures runs it [1]"."""
        return any(re.search(pattern, answer_text, re.I) for pattern in self.patterns)

    def supported_by(self, passage_text: str) -> bool:
        """True when any evidence quote is in the passage, compared in `normalise_for_match` form."""
        passage = normalise_for_match(passage_text)
        return any(quote in passage for quote in self._normalised_evidence)

    @property
    def _normalised_evidence(self) -> list[str]:
        return [normalise_for_match(quote) for quote in self.evidence if quote.strip()]


@dataclass
class Dataset:
    path: Path
    items: list[EvalItem]
    warnings: list[str] = field(default_factory=list)

    def categories(self) -> list[str]:
        """Categories in first-seen order, so tables follow the dataset's own layout."""
        return list(dict.fromkeys(item.category for item in self.items))

    def by_report(self, default: str) -> dict[str, list[EvalItem]]:
        """Items grouped by the report they are asked of, in first-seen order; `default` for items without one."""
        groups: dict[str, list[EvalItem]] = {}
        for item in self.items:
            groups.setdefault(item.report_or(default), []).append(item)
        return groups


def merge_datasets(datasets: list[Dataset]) -> Dataset:
    """Several dataset files as one run; an id used in two files is an error naming both."""
    if len(datasets) == 1:
        return datasets[0]
    seen: dict[str, Path] = {}
    for dataset in datasets:
        for item in dataset.items:
            if item.id in seen:
                raise DatasetError(f"item id {item.id!r} is in both {seen[item.id]} and {dataset.path}; "
                                   "ids must be unique across the datasets of one run.")
            seen[item.id] = dataset.path
    label = Path(", ".join(str(d.path) for d in datasets))
    return Dataset(label, [item for d in datasets for item in d.items],
                   [warning for d in datasets for warning in d.warnings])


def load_dataset(path: Path) -> Dataset:
    """Read and validate a JSONL dataset; raise one DatasetError listing what is wrong."""
    path = Path(path)
    lines = _read_lines(path)
    items: list[EvalItem] = []
    errors: list[str] = []
    warnings: list[str] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = parse_line(line, number)
        except DatasetError as err:
            errors.append(str(err))
            continue
        if item.id in seen:
            errors.append(f"line {number}: id {item.id!r} is already used on line {seen[item.id]}")
            continue
        seen[item.id] = number
        warnings.extend(item_warnings(item))
        items.append(item)
    if errors:
        raise DatasetError(_summarise(path, errors))
    if not items:
        raise DatasetError(f"dataset {path} has no questions; add one JSON object per line "
                           "(see evals/README.md).")
    log.info("loaded %d eval items from %s (%d warnings)", len(items), path, len(warnings))
    return Dataset(path, items, warnings)


def _read_lines(path: Path) -> list[str]:
    if not path.is_file():
        raise DatasetError(f"dataset {path} not found; give an existing .jsonl file with --dataset.")
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as err:
        raise DatasetError(f"dataset {path} is not UTF-8 (byte {err.start}); save it as UTF-8.") from None


def _summarise(path: Path, errors: list[str]) -> str:
    """One line for the CLI: the first problem in full, then how many more there are."""
    more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
    return f"dataset {path} {errors[0]}{more}; fix the dataset (format: evals/README.md)."


def parse_line(line: str, number: int) -> EvalItem:
    """One dataset line to an EvalItem, or a DatasetError naming the line and the reason."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as err:
        raise DatasetError(f"line {number}: not valid JSON ({err.msg} at column {err.colno})") from None
    if not isinstance(data, dict):
        raise DatasetError(f"line {number}: expected a JSON object, got {type(data).__name__}")
    missing = [name for name in FIELDS if name not in data]
    if missing:
        plural = "s" if len(missing) > 1 else ""
        raise DatasetError(f"line {number}: missing field{plural} {', '.join(missing)}")
    item = EvalItem(
        id=_text(data, "id", number), question=_text(data, "question", number),
        category=_text(data, "category", number), expected=_text(data, "expected", number, allow_empty=True),
        patterns=_texts(data, "patterns", number), evidence=_texts(data, "evidence", number), line=number,
        report=_optional_text(data, "report", number), split=_split(data, number),
    )
    _check_patterns(item)
    _check_answerable(item)
    return item


def _text(data: dict, name: str, number: int, allow_empty: bool = False) -> str:
    value = data[name]
    if not isinstance(value, str):
        raise DatasetError(f"line {number}: field {name} must be a string, not {type(value).__name__}")
    if not allow_empty and not value.strip():
        raise DatasetError(f"line {number}: field {name} is empty")
    return value


def _optional_text(data: dict, name: str, number: int) -> str | None:
    if data.get(name) is None:
        return None
    return _text(data, name, number)


def _split(data: dict, number: int) -> str | None:
    split = _optional_text(data, "split", number)
    if split is not None and split not in SPLITS:
        raise DatasetError(f"line {number}: field split is {split!r}; use one of {', '.join(SPLITS)} "
                           "(or leave it out)")
    return split


def _texts(data: dict, name: str, number: int) -> tuple[str, ...]:
    value = data[name]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise DatasetError(f"line {number}: field {name} must be a list of strings")
    return tuple(value)


def _check_patterns(item: EvalItem) -> None:
    for pattern in item.patterns:
        try:
            re.compile(pattern, re.I)
        except re.error as err:
            raise DatasetError(f"line {item.line}: item {item.id} has an invalid regex {pattern!r} ({err})") \
                from None


def _check_answerable(item: EvalItem) -> None:
    """An answerable item without patterns could never be scored correct; an unanswerable one with
    patterns is a contradiction. Both are mistakes in the dataset, not in the engine."""
    if item.answerable and not item.patterns:
        raise DatasetError(f"line {item.line}: item {item.id} ({item.category}) has no patterns to score by")
    if not item.answerable and (item.patterns or item.evidence):
        raise DatasetError(f"line {item.line}: item {item.id} is unanswerable but has patterns or evidence")


def item_warnings(item: EvalItem) -> list[str]:
    """Problems worth showing that do not stop a run."""
    warnings = []
    if item.category not in CATEGORIES:
        warnings.append(f"item {item.id} (line {item.line}) has unknown category {item.category!r}; "
                        f"known: {', '.join(CATEGORIES)}")
    if item.answerable and not item.evidence:
        warnings.append(f"item {item.id} (line {item.line}) has no evidence quotes; "
                        "its retrieval counts as a miss")
    return warnings


def evidence_warnings(items: list[EvalItem], report_text: str) -> list[str]:
    """A warning per evidence quote that is not in the cleaned report (a typo, or another report's quote)."""
    report = normalise_for_match(report_text)
    warnings = []
    for item in items:
        for quote in item.evidence:
            if normalise_for_match(quote) not in report:
                warnings.append(f"item {item.id}: evidence quote not found in the report: {quote[:60]!r}")
    return warnings
