"""Table rows as answers: where each row sits in its table's text, and the extreme rows of a numeric table."""

from __future__ import annotations

import re

from ingest import records as kinds
from ingest.records import Chunk, Span
from ingest.text import first_number
from retrieval.candidate import Candidate
from retrieval.questions import Intent

MAX_CONSIDERED = 15  # candidates checked for the form of answer asked for


def table_rows(chunk: Chunk) -> list[tuple[Span, list[str]]]:
    """Where each recovered row of a table chunk sits in its text, with its cells.

    Example: Table 11's row ["Alcohol", "80%"] -> (Span of "Alcohol 80%", ["Alcohol", "80%"]).
    In a numbered enablers / barriers table each statement stands alone: the enabler and the barrier
    beside it are unrelated, so each cell is its own unit, named by its column: ["Barriers", "The pace ..."].
    """
    if chunk.kind != kinds.TABLE or not chunk.table or not chunk.table.rows:
        return []
    numbered = chunk.table.columns[:1] == ["No."]
    found: list[tuple[Span, list[str]]] = []
    position = _rows_start(chunk)
    for cells in chunk.table.rows:
        units = [[column, cell] for column, cell in zip(chunk.table.columns[1:], cells[1:], strict=False) if cell] \
            if numbered else [cells]
        for unit in units:
            located = _locate_cells(chunk.text, unit[-1:] if numbered else shown_cells(chunk, unit), position)
            if located is None:
                return []
            found.append((located, unit))
            position = located.end
    return found


def _rows_start(chunk: Chunk) -> int:
    """Where the rows begin: after a first line that only names the table ("Table 8"), else at the start (a
    grade grid's first row can share its line with the headline: "Services are good 1. Children who ...")."""
    first_line_end = chunk.text.find("\n")
    if first_line_end < 0:
        return 0
    first_line = chunk.text[:first_line_end].strip()
    named = bool(chunk.label) and first_line.startswith(chunk.label)
    return first_line_end if named or re.fullmatch(r"(?:Table|Figure)\s+[\w.]+", first_line) else 0


def shown_cells(chunk: Chunk, cells: list[str]) -> list[str]:
    """Cells as they read, without the row number an enablers / barriers table adds ("No.")."""
    numbered = chunk.table is not None and chunk.table.columns[:1] == ["No."]
    return [c for k, c in enumerate(cells) if c and not (numbered and k == 0)]


def _locate_cells(text: str, cells: list[str], position: int) -> Span | None:
    start = end = None
    for cell in cells:
        pattern = r"\s+".join(re.escape(word) for word in cell.split())
        match = re.compile(pattern).search(text, position)
        if match is None:
            return None
        start = match.start() if start is None else start
        end = position = match.end()
    return Span(start, end) if start is not None else None


def extreme_rows(candidates: list[Candidate], intent: Intent) -> list[Candidate]:
    """For "which ... lowest / highest" on a numeric table: the rows holding the extreme value, ties included.

    Example: Table 8 and "lowest" -> the rows "Relationships 40%" and "Attitudes to offending 40%".
    """
    if intent.extreme is None:
        return []
    rows = [c for c in candidates[:MAX_CONSIDERED] if c.is_row and c.hit.chunk.table and c.hit.chunk.table.is_numeric()]
    if not rows:
        return []
    table_id = rows[0].hit.chunk.id
    same_table = [c for c in candidates if c.is_row and c.hit.chunk.id == table_id]
    values = {id(c): first_number(c.cells[-1]) for c in same_table}
    pick = min if intent.extreme == "min" else max
    target = pick(v for v in values.values() if v is not None)
    chosen = [c for c in same_table if values[id(c)] == target]
    return sorted(chosen, key=lambda c: c.span.start)
