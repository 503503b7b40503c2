"""Compare reports: one judgement's grade in every report of the library, each with a citation.

    rows = compare(Library(settings), "overall effectiveness")
    rows[0].value                 # "Inadequate", or None when that report grades no such judgement
    rows[0].citation.pages        # the printed page of the report's judgements table

Each report's judgement tables (the "Judgements" table ingest builds from a grading grid: Judgement -> Grade)
are read from its stored chunks; no embedding is needed. The row whose judgement shares most of the query's
words (words compared loosely: "leavers" ~ "leaver", a small typo allowed) gives the grade. The heading a grid
sits under, when it states a grade of the grid ("Children's services in Birmingham are inadequate", "The
overall judgement is good"), counts as an "Overall effectiveness" row. Reports with no matching row are kept,
with value None, so that a comparison shows what is missing.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from difflib import SequenceMatcher
from typing import Any

from ingest.catalog import ReportEntry
from ingest.errors import IndexProblem, ReportQAError
from ingest.records import TABLE, Chunk
from retrieval.records import Citation

JUDGEMENT_LABEL = "Judgements"  # the label ingest.structure gives a grading grid's table
OVERALL = "Overall effectiveness"  # the name of the headline judgement read from the grid's heading
MIN_MATCH = 0.5  # share of the query's words a row must have
_STOP = {"the", "of", "and", "for", "in", "a", "an", "to", "is", "are", "be", "by", "on", "s"}


@dataclass
class Comparison:
    report: dict[str, Any]  # {"id", "title", "date"}
    value: str | None  # the grade; None when the report has no row matching the judgement
    judgement: str | None  # the row's judgement as the report words it
    citation: Citation | None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class _Row:
    judgement: str
    grade: str
    chunk: Chunk
    from_heading: bool = False


def compare(library, judgement_query: str, selection=None) -> list[Comparison]:
    """The grade of the judgement best matching `judgement_query` in each selected report, by report date.

    Raises ReportQAError when the query has no words, the library is empty, or no report has a matching row.
    """
    wanted = _words(judgement_query)
    if not wanted:
        raise ReportQAError(f"judgement {judgement_query!r} has no words to match; e.g. "
                            "`report-qa compare \"overall effectiveness\"`.")
    entries = library.select(selection)
    results, seen = [], set()
    for entry in entries:
        rows = judgement_rows(entry)
        seen.update(r.judgement for r in rows)
        best = best_row(wanted, rows)
        results.append(_comparison(entry, best))
    if all(r.value is None for r in results):
        known = ", ".join(sorted(seen)[:12]) or "none (no report has a judgements table)"
        raise ReportQAError(f"no report grades a judgement matching {judgement_query!r}; judgements in these "
                            f"reports: {known}.")
    return sorted(results, key=lambda r: (r.report.get("date") or "", r.report["id"]))


def judgement_rows(entry: ReportEntry) -> list[_Row]:
    """Every (judgement, grade) row of a report's judgement tables, and the headline one from their heading."""
    rows: list[_Row] = []
    for chunk in _table_chunks(entry):
        table = chunk.table
        grades = list(dict.fromkeys(row[-1] for row in table.rows if len(row) >= 2 and row[-1].strip()))
        rows.extend(_Row(row[0], row[-1], chunk) for row in table.rows if len(row) >= 2 and row[-1].strip())
        heading = chunk.section_path[-1] if chunk.section_path else ""
        headline = _grade_in(heading, grades)
        if headline:
            rows.append(_Row(OVERALL, headline, chunk, from_heading=True))
    return rows


def best_row(wanted: list[str], rows: list[_Row]) -> _Row | None:
    scored = [(_score(wanted, _words(r.judgement)), r) for r in rows]
    scored = [(s, r) for s, r in scored if s[0] >= MIN_MATCH]
    return max(scored, key=lambda pair: pair[0])[1] if scored else None


def _score(wanted: list[str], words: list[str]) -> tuple[float, float]:
    """(share of the query's words found in the row, share of the row's words that are the query's)."""
    if not words:
        return 0.0, 0.0
    hits = sum(any(_close(w, v) for v in words) for w in wanted)
    used = sum(any(_close(v, w) for w in wanted) for v in words)
    return hits / len(wanted), used / len(words)


def _close(a: str, b: str) -> bool:
    return a == b or (min(len(a), len(b)) >= 5 and SequenceMatcher(None, a, b).ratio() >= 0.85)


def _words(text: str) -> list[str]:
    """Example: "Children's services" -> ["children", "service"]."""
    words = re.findall(r"[a-z0-9]+", (text or "").lower().replace("’", "'"))
    return [w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w
            for w in words if w not in _STOP]


def _grade_in(heading: str, grades: list[str]) -> str | None:
    """The longest of the grid's grades stated in its heading ("... require improvement to be good" ->
    "Requires improvement")."""
    words = _words(heading)
    stated = [g for g in grades if _words(g) and all(w in words for w in _words(g))]
    return max(stated, key=lambda g: len(_words(g))) if stated else None


def _table_chunks(entry: ReportEntry) -> list[Chunk]:
    path = entry.path / "chunks.jsonl"
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
        chunks = [Chunk.from_json(json.loads(line)) for line in lines if line and '"table": {' in line]
    except (OSError, ValueError, TypeError, KeyError) as err:
        raise IndexProblem(f"cannot read {path} ({type(err).__name__}: {err}); run `report-qa ingest --rebuild` "
                           f"on {entry.source_name}.") from err
    return [c for c in chunks if c.kind == TABLE and c.table is not None
            and (c.label == JUDGEMENT_LABEL or [x.lower() for x in c.table.columns[:1]] == ["judgement"])]


def _comparison(entry: ReportEntry, row: _Row | None) -> Comparison:
    if row is None:
        return Comparison(entry.summary(), None, None, None)
    return Comparison(entry.summary(), row.grade, row.judgement, _citation(entry, row))


def _citation(entry: ReportEntry, row: _Row) -> Citation:
    chunk = row.chunk
    quote, spans = _quote(chunk.text, row)
    return Citation(marker=1, chunk_id=chunk.id, section=chunk.section_text, pages=chunk.pages, kind=chunk.kind,
                    quote=quote, text=chunk.text, quote_spans=spans, label=chunk.label, report=entry.summary(),
                    pdf_pages=chunk.pdf_pages)


def _quote(text: str, row: _Row):
    """The line of the table text holding the row; for the headline, the heading (it is the section's title)."""
    from ingest.records import Span

    if row.from_heading:
        return row.chunk.section_path[-1], []
    at = text.find(row.judgement)
    if at < 0:
        return f"{row.judgement} {row.grade}", []
    end = text.find(row.grade, at + len(row.judgement))
    end = end + len(row.grade) if end >= 0 else at + len(row.judgement)
    return text[at:end], [Span(at, end)]
