"""The records retrieval creates: the Answer object evaluators script against, and its parts.

`Answer.to_json()` is the JSON that `report-qa ask --json`, `--batch` and the app's `/ask` endpoint return.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from ingest.records import Chunk, Span

# "Not in the report" is an answer, not an error: tests and the UI check for this phrase.
NOT_IN_REPORT = "The report does not say"


@dataclass(frozen=True)
class Filters:
    """Optional restrictions on what retrieval may return."""

    section: str | None = None  # a section id prefix ("ch3/reducing-reoffending") or words of a title
    kind: str | None = None  # one of ingest.records.KINDS
    organisation: str | None = None  # "CRC", "NPS" or "CRC and NPS"

    def allows(self, chunk: Chunk) -> bool:
        if self.kind and chunk.kind != self.kind:
            return False
        if self.organisation and (chunk.organisation or "").lower() != self.organisation.lower():
            return False
        if self.section:
            wanted = self.section.lower()
            in_path = any(wanted in title.lower() for title in chunk.section_path)
            if not (chunk.section_id.startswith(self.section) or in_path):
                return False
        return True

    def check(self, chunks: list[Chunk]) -> None:
        """Refuse a filter value the report does not have, naming the valid ones (a typo is not "not in the report").

        Example: Filters(organisation="ACME") -> "unknown --organisation 'ACME'; this report has: CRC, NPS, ...".
        """
        from ingest.errors import ReportQAError
        from ingest.records import KINDS

        for option, value in (("section", self.section), ("kind", self.kind), ("organisation", self.organisation)):
            if value is not None and not value.strip():
                raise ReportQAError(f"--{option} is empty; leave it out or give a value.")
        if self.kind is not None and self.kind not in KINDS:
            raise ReportQAError(f"unknown --kind {self.kind!r}; use one of {', '.join(KINDS)}.")
        if self.organisation:
            known = sorted({c.organisation for c in chunks if c.organisation})
            if self.organisation.lower() not in {k.lower() for k in known}:
                raise ReportQAError(f"unknown --organisation {self.organisation!r}; this report has: "
                                    f"{', '.join(map(repr, known)) or 'none'}.")
        if self.section and not any(Filters(section=self.section).allows(c) for c in chunks):
            tops = list(dict.fromkeys(c.section_id.split("/")[0] for c in chunks))
            shown = ", ".join(tops[:12]) + (", ..." if len(tops) > 12 else "")
            raise ReportQAError(f"no section matches --section {self.section!r}; give a section id prefix or words "
                                f"of a section title, e.g. one of: {shown}.")


@dataclass
class Hit:
    """A retrieved chunk with its fused score and the per-method ranks that produced it."""

    chunk: Chunk
    score: float
    rank: int
    dense_rank: int | None = None
    lexical_rank: int | None = None


@dataclass
class Citation:
    marker: int
    chunk_id: str
    section: str  # the section path, " > " joined
    pages: list[int]
    kind: str
    quote: str  # the sentence(s) relied on, verbatim from `text`
    text: str  # the whole passage
    quote_spans: list[Span] = field(default_factory=list)  # where the quote sits within `text`
    label: str | None = None  # "Table 11", "ATR", "Good practice example" ...
    report: dict[str, str] | None = None  # asked across a library: {"id", "title", "date"} of its report
    pdf_pages: list[int] = field(default_factory=list)  # physical 1-based PDF pages; empty for text reports


@dataclass
class Figure:
    kind: str  # "statistic" | "table" | "figure"
    label: str  # "Table 8", "80%", "Figure 2.1"
    value: str | None  # the number, for a statistic
    describes: str  # what it measures, in words
    marker: int | None = None
    columns: list[str] = field(default_factory=list)  # tables: rows and columns to render and chart
    rows: list[list[str]] = field(default_factory=list)
    caption: str | None = None
    source: str | None = None
    chart_in_text: bool = True  # report Figures: False, only caption and source exist


@dataclass
class Passage:
    rank: int
    chunk_id: str
    section: str
    pages: list[int]
    kind: str
    score: float
    text: str
    label: str | None = None
    report: dict[str, str] | None = None  # asked across a library: {"id", "title", "date"} of its report
    pdf_pages: list[int] = field(default_factory=list)  # physical 1-based PDF pages; empty for text reports


@dataclass
class Answer:
    question: str
    answer: str  # direct answer with [1]-style markers, or NOT_IN_REPORT ...
    abstained: bool
    citations: list[Citation] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    id: str | None = None
    mode: str = "extractive"  # or "generative"
    note: str | None = None  # e.g. why a generative answer fell back to the extractive one

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
