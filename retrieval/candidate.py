"""A candidate answer: one sentence, table row or whole entry of a retrieved passage, with its scores."""

from __future__ import annotations

from dataclasses import dataclass, field

from ingest.records import Span
from retrieval.records import Hit


@dataclass
class Candidate:
    hit: Hit
    span: Span
    text: str
    score: float
    dense: float
    coverage: float
    is_row: bool
    cells: list[str] = field(default_factory=list)  # a table row's cells
