"""The records ingest creates; every other module imports them from here.

A report becomes a tree of `Section`s and a flat list of `Chunk`s. A chunk never crosses a section;
its text is a verbatim slice of the cleaned report (`Chunk.start`/`Chunk.end`), so any quote taken
from it can be found again.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import asdict, dataclass, field
from typing import Any

# Chunk kinds. Kept as plain strings so JSON stays readable; `KINDS` is the closed set.
TEXT = "text"
TABLE = "table"
FIGURE = "figure"
PRACTICE_EXAMPLE = "practice_example"
QUOTE = "quote"
RECOMMENDATION = "recommendation"
KEY_FACT = "key_fact"
GLOSSARY = "glossary"
FOOTNOTE = "footnote"
KINDS = (TEXT, TABLE, FIGURE, PRACTICE_EXAMPLE, QUOTE, RECOMMENDATION, KEY_FACT, GLOSSARY, FOOTNOTE)


@dataclass(frozen=True)
class Span:
    """A half-open character range [start, end) within some text."""

    start: int
    end: int


@dataclass
class Section:
    """One node of the report's section tree."""

    id: str  # readable slug path, e.g. "ch3-reducing-reoffending/crc-effectiveness/delivery"
    title: str
    path: list[str]  # titles from the root, e.g. ["3. An evaluation ...", "Reducing reoffending", ...]
    level: int  # 1 = chapter / foreword / appendix
    pages: list[int]  # printed pages the section covers
    parent_id: str | None
    start: int  # offsets in the cleaned report
    end: int

    @property
    def path_text(self) -> str:
        return " > ".join(self.path)


@dataclass
class Table:
    """A table recovered from flattened text. `complete` is False when rows could not be trusted."""

    number: str  # "8"
    caption: str
    source: str | None
    columns: list[str]
    rows: list[list[str]]
    complete: bool

    @property
    def label(self) -> str:
        return f"Table {self.number}"

    def is_numeric(self) -> bool:
        """True when the last column holds a number in every row (a chartable table)."""
        from ingest.text import first_number

        return bool(self.rows) and all(first_number(row[-1]) is not None for row in self.rows)


@dataclass
class Chunk:
    """A retrievable passage: a slice of one section, typed by what the report made it of."""

    id: str  # e.g. "ch3-reducing-reoffending-crc-effectiveness-delivery#table-8"
    section_id: str
    section_path: list[str]
    pages: list[int]
    kind: str  # one of KINDS
    text: str  # exactly report[start:end] of the cleaned report
    start: int
    end: int
    sentences: list[Span]  # offsets within `text`
    content_hash: str  # sha1 of text, first 12 hex digits
    label: str | None = None  # "Table 8", "Figure 1.1", "Recommendation 3", "ATR", "43%", "Footnote 6"
    caption: str | None = None  # tables and figures
    source: str | None = None  # tables and figures: the "Source: ..." line; key facts: the footnote
    polarity: str | None = None  # practice examples: "good" / "poor"
    person: str | None = None  # practice examples: the pseudonymised name, when given
    speaker: str | None = None  # quotes: who is quoted ("service user", "staff", "sentencer", "inspector")
    organisation: str | None = None  # "CRC" / "NPS" / "CRC and NPS", from the section
    domain: str | None = None  # "Protecting the public" / "Reducing reoffending" / "Abiding by the sentence"
    stage: str | None = None  # "Assessment and planning", "Delivery", ...
    term: str | None = None  # glossary entries: the term defined
    addressed_to: str | None = None  # recommendations: who should act
    footnotes: list[int] = field(default_factory=list)  # footnote numbers referenced in the text
    chart_in_text: bool = True  # figures: False, the chart itself is not in the extracted text
    table: Table | None = None
    pdf_pages: list[int] = field(default_factory=list)  # physical 1-based PDF pages; empty for text reports

    @property
    def section_text(self) -> str:
        return " > ".join(self.section_path)

    def search_text(self) -> str:
        """What is embedded and matched lexically: the passage with the titles it sits under.

        Example: a Table 8 chunk -> "CRC effectiveness > Delivery. Table 8 ...".
        """
        header = " > ".join(self.section_path[-2:])
        extra = [x for x in (self.person, self.term, self.addressed_to) if x and x not in self.text]
        return " ".join([f"{header}.", *extra, self.text])

    def sentence_texts(self) -> list[str]:
        return [self.text[s.start : s.end] for s in self.sentences]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Chunk:
        data = dict(data)
        data["sentences"] = [Span(**s) for s in data["sentences"]]
        if data.get("table"):
            data["table"] = Table(**data["table"])
        return cls(**data)


@dataclass
class Document:
    """A whole ingested report: cleaned text, page map, section tree and chunks."""

    name: str  # report stem, e.g. "staffordshire-and-stoke-2017"
    text: str  # the cleaned report
    page_starts: list[tuple[int, int]]  # (offset, printed page), sorted by offset
    sections: list[Section]
    chunks: list[Chunk]
    # (offset, physical 1-based PDF page), sorted by offset; empty for text reports
    pdf_page_starts: list[tuple[int, int]] = field(default_factory=list)

    def pages_for(self, start: int, end: int) -> list[int]:
        """Printed pages that the range [start, end) touches: a binary search, then only the pages in range."""
        offsets = self._page_offsets()
        stop = max(end, start + 1)
        pages: list[int] = []
        for i in range(max(bisect_right(offsets, start) - 1, 0), len(offsets)):
            offset, page = self.page_starts[i]
            if offset >= stop:
                break
            next_offset = offsets[i + 1] if i + 1 < len(offsets) else len(self.text) + 1
            if next_offset > start and page not in pages:
                pages.append(page)
        return pages

    def _page_offsets(self) -> list[int]:
        """The page start offsets, computed once (again only if page_starts grows)."""
        cached = self.__dict__.get("_offsets")
        if cached is None or len(cached) != len(self.page_starts):
            cached = self.__dict__["_offsets"] = [offset for offset, _ in self.page_starts]
        return cached

    def section(self, section_id: str) -> Section:
        for section in self.sections:
            if section.id == section_id:
                return section
        raise KeyError(section_id)

    def counts(self) -> dict[str, int]:
        kinds = [c.kind for c in self.chunks]
        return {
            "sections": len(self.sections),
            "chunks": len(self.chunks),
            "tables": kinds.count(TABLE),
            "figures": kinds.count(FIGURE),
            "examples": kinds.count(PRACTICE_EXAMPLE),
            "quotes": kinds.count(QUOTE),
            "recommendations": kinds.count(RECOMMENDATION),
            "key_facts": kinds.count(KEY_FACT),
            "glossary_entries": kinds.count(GLOSSARY),
            "footnotes": kinds.count(FOOTNOTE),
        }
