"""Compare reports: one judgement's grade in every report of the library, each with a citation.

    rows = compare(Library(settings), "overall effectiveness")
    rows[0].value                 # "Inadequate", or None when that report grades no such judgement
    rows[0].citation.pages        # the printed page of the report's judgements table

Each report's judgement tables (the "Judgements" table ingest builds from a grading grid: Judgement -> Grade)
are read from its stored chunks; no embedding is needed. The row whose judgement shares most of the query's
words (words compared loosely: "leavers" ~ "leaver", a small typo allowed) gives the grade. The heading a grid
sits under, or a one-line passage just before it, when it states a grade of the grid ("Children's services in
Birmingham are inadequate", "The overall judgement is good"), counts as a row of the headline judgement its
report family's profile names (ingest/profiles.py: "Overall effectiveness" for one family, DEFAULT_HEADLINE
without a profile), after the grid's own rows: a grid with such a row is read from that row. The order of the
grades (best first, for charts and "improved"/"declined") is also the profile's; without one, grades are only
counted. Reports with no matching row are kept, with value None, so that a comparison shows what is missing.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from dataclasses import asdict, dataclass
from difflib import SequenceMatcher
from functools import lru_cache
from typing import Any

from ingest.catalog import ReportEntry
from ingest.errors import IndexProblem, ReportQAError
from ingest.profiles import GradeScale, grade_scales, scale_for
from ingest.records import TABLE, Chunk
from ingest.structure import GRADE_TABLE_LABEL
from retrieval.records import Answer, Citation, Figure, Passage

JUDGEMENT_LABEL = GRADE_TABLE_LABEL  # "Judgements": the label ingest gives a grading grid's table
MIN_MATCH = 0.5  # share of the query's words a row must have
HEADLINE_CHARS = 160  # a passage before a grid this short may be its headline
SHARED_STEM = 6  # words sharing this many first letters are one family ("leadership", "leaders")
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
    quote: str | None = None  # the headline's words, for the overall judgement read from it


def compare(library, judgement_query: str, selection=None) -> list[Comparison]:
    """The grade of the judgement best matching `judgement_query` in each selected report, oldest first
    (undated reports last); a report without a matching row has value None.

    Raises ReportQAError when the query has no words, the library is empty, or no report has a matching row.
    """
    wanted = _words(judgement_query)
    if not wanted:
        raise ReportQAError(f"judgement {judgement_query!r} has no words to match; e.g. "
                            "`report-qa compare \"overall\"`.")
    entries = library.select(selection)
    chunks = {e.id: _chunks(e) for e in entries}
    # a headline may state a grade its own grid does not use ("require improvement to be good" over Good rows)
    grades = list(dict.fromkeys(row[-1] for cs in chunks.values() for c in cs if _is_judgements(c)
                                for row in c.table.rows if len(row) >= 2 and row[-1].strip()))
    results, seen = [], set()
    for entry in entries:
        rows = judgement_rows(entry, chunks[entry.id], grades)
        seen.update(r.judgement for r in rows)
        best = best_row(wanted, rows)
        results.append(_comparison(entry, best))
    if all(r.value is None for r in results):
        known = ", ".join(sorted(seen)[:12]) or "none (no report has a judgements table)"
        raise ReportQAError(f"no report grades a judgement matching {judgement_query!r}; judgements in these "
                            f"reports: {known}.")
    return sorted(results, key=lambda r: (not r.report.get("date"), r.report.get("date") or "", r.report["id"]))


def judgement_rows(entry: ReportEntry, chunks: list[Chunk] | None = None,
                   grades: list[str] | None = None) -> list[_Row]:
    """Every (judgement, grade) row of a report's judgement tables, and the headline one stated above them
    (read with `grades`, the grade words of the library; default: those of the report's own grids)."""
    rows: list[_Row] = []
    chunks = _chunks(entry) if chunks is None else chunks
    for i, chunk in enumerate(chunks):
        if not _is_judgements(chunk):
            continue
        graded = [row for row in chunk.table.rows if len(row) >= 2 and row[-1].strip()]
        rows.extend(_Row(row[0], row[-1], chunk) for row in graded)
        own = list(dict.fromkeys(r[-1] for r in graded))
        headline = _headline(chunk, chunks[i - 1] if i else None, own if grades is None else grades)
        if headline:
            rows.append(_Row(scale_of_report(entry).headline, headline[1], chunk, quote=headline[0]))
    return rows


def _headline(table: Chunk, before: Chunk | None, grades: list[str]) -> tuple[str, str] | None:
    """(the words, the grade) of a headline stating one of the grid's grades: the heading the grid sits under,
    or a one-line passage just before it ("Children's services in Northwick require improvement to be good")."""
    candidates = [table.section_path[-1]] if table.section_path else []
    if before is not None and before.section_id == table.section_id and len(before.text) <= HEADLINE_CHARS:
        candidates.append(before.text.strip())
    lead = _lead_line(table)
    if lead:
        candidates.append(lead)
    for text in candidates:
        if text[:1].isdigit():  # "1. Children who need help and protection Requires Improvement": a grid row
            continue
        grade = _grade_in(text, grades)
        if grade:
            return text, grade
    return None


def _lead_line(table: Chunk) -> str | None:
    """The words a grid's passage holds before its first row, when a PDF ran the headline into the grid
    ("Children's services in Northwick require improvement to be good 1. Children who need help ...")."""
    rows = table.table.rows if table.table is not None else []
    if not rows or not rows[0] or not rows[0][0].strip():
        return None
    at = table.text.find(rows[0][0].strip())
    lead = re.sub(r"\s*\d+(?:\.\d+)*\.?\s*$", "", table.text[:at]).strip() if at > 0 else ""
    return lead if 0 < len(lead) <= HEADLINE_CHARS else None


def best_row(wanted: list[str], rows: list[_Row]) -> _Row | None:
    scored = [((*_score(wanted, _words(r.judgement)), r.quote is None), r) for r in rows]
    scored = [(s, r) for s, r in scored if s[0] >= MIN_MATCH]
    # most of the query's words first; then a row of the grid itself over a headline; then the fewest other words
    return max(scored, key=lambda pair: (pair[0][0], pair[0][2], pair[0][1]))[1] if scored else None


def _score(wanted: list[str], words: list[str]) -> tuple[float, float]:
    """(share of the query's words found in the row, share of the row's words that are the query's)."""
    if not words:
        return 0.0, 0.0
    hits = sum(any(_close(w, v) for v in words) for w in wanted)
    used = sum(any(_close(v, w) for w in wanted) for v in words)
    return hits / len(wanted), used / len(words)


@lru_cache(maxsize=1 << 16)  # the same word pairs recur in every report's rows
def _close(a: str, b: str) -> bool:
    """Same word, a small typo, or one word of a family ("leadership" ~ "leaders": 6 letters or more in common
    at the start)."""
    if a == b:
        return True
    if min(len(a), len(b)) < 5:
        return False
    return len(os.path.commonprefix([a, b])) >= SHARED_STEM or SequenceMatcher(None, a, b).ratio() >= 0.85


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


def _chunks(entry: ReportEntry) -> list[Chunk]:
    path = entry.path / "chunks.jsonl"
    try:
        return [Chunk.from_json(json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines() if line]
    except (OSError, ValueError, TypeError, KeyError) as err:
        raise IndexProblem(f"cannot read {path} ({type(err).__name__}: {err}); run `report-qa ingest --rebuild` "
                           f"on {entry.source_name}.") from err


def _is_judgements(chunk: Chunk) -> bool:
    return chunk.kind == TABLE and chunk.table is not None and (
        chunk.label == JUDGEMENT_LABEL or [c.lower() for c in chunk.table.columns[:1]] == ["judgement"])


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
    """The words of the table text holding the row, and where they are; for the headline, its words."""
    from ingest.records import Span

    if row.quote is not None:  # the headline is outside the table's text: its section title or the passage before
        return row.quote, []
    at = text.find(row.judgement)
    if at < 0:
        return f"{row.judgement} {row.grade}", []
    end = text.find(row.grade, at + len(row.judgement))
    end = end + len(row.grade) if end >= 0 else at + len(row.judgement)
    return text[at:end], [Span(at, end)]


# --- questions across reports: "Which councils were rated inadequate for leadership?" ------------------

COMPARISON_LABEL = "Comparison"  # the label of the table a comparison answer carries (the app charts it)
SHOWN_IN_TEXT = 8  # reports named in the answer's sentence; the table lists them all


def judgement_answer(question: str, entries: list[ReportEntry]) -> Answer | None:
    """A question asking for a verdict (its analysis' answer type) of two or more reports, answered from their
    judgements tables: which judgement its words name (none named: the overall one), each report's grade with
    a citation, only the reports with the grade it names if it names one. None when the question asks for
    something else or no report grades a judgement it names, so that the reports are searched as usual.

    The answer carries a table (report, date, judgement, grade, citation) labelled COMPARISON_LABEL.
    """
    from retrieval.analysis import AnswerType, analyse, type_words

    analysis = analyse(question)
    if len(entries) < 2 or analysis.answer_type != AnswerType.VERDICT:
        return None
    chunks = {e.id: _grid_chunks(e) for e in entries}
    grades = list(dict.fromkeys(row[-1] for cs in chunks.values() for c in cs if _is_judgements(c)
                                for row in c.table.rows if len(row) >= 2 and row[-1].strip()))
    # a rating asked for by name ("rated", "grades", "judgement") or a grade named: not any "how well ...?"
    if not (set(analysis.focus) & type_words(str(AnswerType.VERDICT)) or _grade_in(question, grades)):
        return None
    rows = {e.id: judgement_rows(e, chunks[e.id], grades) for e in entries}
    asked = _words(question)
    wanted = _asked_judgement(asked, [r for found in rows.values() for r in found], grades)
    found = [(e, _best_for(wanted or _words(scale_of_report(e).headline), rows[e.id])) for e in entries]
    found = [(e, r) for e, r in found if r is not None]
    if len(found) < 2:  # one report's grade is that report's answer, as usual
        return None
    found.sort(key=lambda pair: (not pair[0].metadata.date, pair[0].metadata.date or "", pair[0].id))
    grade = _grade_in(question, grades)
    chosen = [(e, r) for e, r in found if grade is None or same_grade(r.grade, grade)]
    return _comparison_answer(question, chosen or found, len(found), wanted, grade if chosen else None,
                              missing_grade=grade if not chosen else None)


_GRIDS: dict[tuple[str, int], list[Chunk]] = {}  # (index folder, manifest time) -> its grids' chunks


def _grid_chunks(entry: ReportEntry) -> list[Chunk]:
    """A report's judgements tables, each after the chunk before it (where a headline may be), read once per
    build of the report: a question across 100 reports reads ~100 small lists, not every passage."""
    try:
        key = (str(entry.path), (entry.path / "manifest.json").stat().st_mtime_ns)
    except OSError:
        key = (str(entry.path), 0)
    if key not in _GRIDS:
        chunks = _chunks(entry)
        keep = sorted({j for i, c in enumerate(chunks) if _is_judgements(c) for j in (i - 1, i) if j >= 0})
        _GRIDS[key] = [chunks[j] for j in keep]
    return _GRIDS[key]


def same_grade(value: str, wanted: str) -> bool:
    """Example: "Requires improvement to be good" is a "requires improvement" grade; "Good" is not."""
    have, want = _words(value), _words(wanted)
    return bool(want) and (have[: len(want)] == want or want[: len(have)] == have)


def scale_of_report(entry: ReportEntry) -> GradeScale:
    """The grade scale and headline judgement of the report's family (its profile, by publisher)."""
    return scale_for(entry.metadata.publisher)


def scale_of(values: list[str]) -> tuple[str, ...]:
    """The grades, best first, of the profile whose scale places every one of `values`; () when none does
    (grades of no ordered family, or of several): such grades are counted, not ranked."""
    for scale in grade_scales():
        if scale.grades and values and all(grade_rank(v, scale.grades) for v in values):
            return scale.grades
    return ()


def grade_rank(value: str | None, scale: tuple[str, ...]) -> int | None:
    """Its place on `scale` (best first), counted from the worst: on a 4-grade scale 4 for the best down to 1;
    None for a grade not on it."""
    for k, grade in enumerate(scale):
        if value and same_grade(value, grade):
            return len(scale) - k
    return None


def _asked_judgement(asked: list[str], rows: list[_Row], grades: list[str]) -> list[str]:
    """The words of the judgement the question names: those of the judgements in the reports it shares a
    rare word with (a word in few judgements' names counts more); [] when it names none: each report's
    headline judgement.

    Example: "... rated inadequate for leadership?" -> ["leadership"]; "How did X's ratings change?" -> [].
    """
    grade_words = {w for g in grades for w in _words(g)}
    names = list(dict.fromkeys(r.judgement for r in rows))
    spread = Counter(w for name in names for w in set(_words(name)))
    words = [w for w in asked if w not in grade_words and any(_close(w, v) for v in spread)]
    if not words:
        return []
    # a question word found in most judgements' names ("children") does not name one of them
    rare = [w for w in words if sum(n for v, n in spread.items() if _close(w, v)) <= max(2, len(names) // 2)]
    return rare


def _best_for(wanted: list[str], rows: list[_Row]) -> _Row | None:
    """The row naming most of `wanted`, at least one of its words (the grid's own rows over a headline)."""
    scored = [((*_score(wanted, _words(r.judgement)), r.quote is None), r) for r in rows]
    scored = [(s, r) for s, r in scored if s[0] > 0]
    return max(scored, key=lambda pair: (pair[0][0], pair[0][2], pair[0][1]))[1] if scored else None


def _comparison_answer(question: str, found: list[tuple[ReportEntry, _Row]], graded: int, wanted: list[str],
                       grade: str | None, missing_grade: str | None = None) -> Answer:
    citations, rows = [], []
    for n, (entry, row) in enumerate(found, 1):
        citation = _citation(entry, row)
        citation.marker = n
        citations.append(citation)
        pages = ", ".join(map(str, citation.pages)) or "?"
        rows.append([_place(entry), entry.metadata.date or "undated", row.judgement, row.grade, f"[{n}] p. {pages}"])
    judgement = _judgement_name(wanted, found)
    named = "; ".join(f"{r[0]} ({r[1]}): {r[3]} [{n}]" for n, r in enumerate(rows[:SHOWN_IN_TEXT], 1))
    more = f"; and {len(rows) - SHOWN_IN_TEXT} more in the table" if len(rows) > SHOWN_IN_TEXT else ""
    if grade:
        text = f"{len(found)} of {graded} reports grade {judgement} {grade.lower()}: {named}{more}."
    elif missing_grade:
        text = (f"None of the {graded} reports grades {judgement} {missing_grade.lower()}. Their grades: "
                f"{named}{more}.")
    elif len({r[0] for r in rows}) == 1:  # one place inspected more than once: its ratings over time
        text = _over_time(rows[0][0], judgement, rows)
    else:
        text = f"{judgement[:1].upper()}{judgement[1:]}, report by report: {named}{more}."
    figure = Figure(kind="table", label=COMPARISON_LABEL, value=None,
                    describes=f"{judgement} in each report's judgements table",
                    columns=["Report", "Date", "Judgement", "Grade", "Cited"], rows=rows,
                    caption=f"{judgement[:1].upper()}{judgement[1:]} by report",
                    source="each report's judgements table")
    passages = [Passage(rank=c.marker, chunk_id=c.chunk_id, section=c.section, pages=c.pages, kind=c.kind, score=1.0,
                        text=c.text, label=c.label, report=c.report, pdf_pages=c.pdf_pages) for c in citations]
    return Answer(question=question, answer=text, abstained=False, citations=citations, figures=[figure],
                  passages=passages,
                  note=f"Compared the judgements tables of the {graded} reports grading it (as `report-qa compare`).")


def _over_time(place: str, judgement: str, rows: list[list[str]]) -> str:
    """Example: "In Stoke-on-Trent, overall effectiveness improved: Inadequate (2015-08-10) [1], then Good
    (2022-10-14) [2]."."""
    scale = scale_of([r[3] for r in rows])
    first, last = grade_rank(rows[0][3], scale), grade_rank(rows[-1][3], scale)
    trend = ("stayed the same" if first == last else "improved" if first < last else "declined"
             ) if first is not None and last is not None else "was graded"
    steps = ", then ".join(f"{r[3]} ({r[1]}) [{n}]" for n, r in enumerate(rows, 1))
    return f"In {place}, {judgement} {trend}: {steps}."


def _judgement_name(wanted: list[str], found: list[tuple[ReportEntry, _Row]]) -> str:
    """How the reports word the judgement most often (none named: their headline judgement's name)."""
    if not wanted:
        headline = Counter(scale_of_report(e).headline for e, _ in found).most_common(1)[0][0]
        return headline.lower()
    worded = Counter(row.judgement for _, row in found).most_common(1)[0][0]
    return worded[:1].lower() + worded[1:] if worded[:2] != worded[:2].upper() else worded


def _place(entry: ReportEntry) -> str:
    return entry.metadata.place or entry.title or entry.id
