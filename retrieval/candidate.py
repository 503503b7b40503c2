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
    # A sentence quoted with the one before it ("... NEET. At 46%, this has not reduced."): the later sentence,
    # which must itself carry the value asked for; "" for a single sentence, row or entry.
    value_text: str = ""
    sentence_row: int | None = None  # the report's sentence it is (a piece of), when it is one
    features: tuple[float, ...] = ()  # what it was scored on, in retrieval.scorer.FEATURES order

    @property
    def value_part(self) -> str:
        """The text that must hold the value a "how many" / "when" / "who" question asks for."""
        return self.value_text or self.text
