"""Recover rows and columns from a table flattened into text cells.

Each recogniser handles one layout of this family of reports and returns None when the cells do
not fit it; the first that fits wins. A table no recogniser fits stays one readable chunk with
`complete=False` and no rows.
"""

from __future__ import annotations

import re

from ingest.records import Table
from ingest.text import collapse_spaces

_VALUE = r"[-–]?£?\d[\d,]*(?:\.\d+)?%?"
_VALUES_ONLY = re.compile(rf"^(?:{_VALUE})(?:\s+{_VALUE})*$")
_PAIR = re.compile(rf"^(.*?[A-Za-z].*?)\s+({_VALUE})$")
_MARKER = re.compile(r"(?:^|(?<=[.\n]))\s*(\d{1,2})\.?(?=\s|$)")
_METHOD_CELL = re.compile(r"(?:^|\s)((?:Group|One-to-one|Individual)[\w\s-]{0,25}:)")


def recover_table(number: str, caption: str, source: str | None, cells: list[list[str]]) -> Table:
    """Cells are the table's blocks, each a list of lines. The first block is the header."""
    texts = [collapse_spaces(" ".join(lines)) for lines in cells]
    for recogniser in (_numbered, _pairs, _labelled_values, _delivery_methods, _single_column):
        found = recogniser(texts, cells)
        if found is not None:
            columns, rows = found
            # Rows without column titles are kept (they still answer questions) but marked incomplete.
            complete = bool(columns)
            columns = columns or [f"Column {n + 1}" for n in range(max(len(r) for r in rows))]
            return Table(number, caption, source, columns, rows, complete=complete)
    return Table(number, caption, source, [], [], complete=False)


def _header_columns(header: str, count: int) -> list[str]:
    """Split a flattened header into `count` column titles; [] when it cannot be done.

    Example: ("Staff grade Establishment Mean average caseload", 3) ->
    ["Staff grade", "Establishment", "Mean average caseload"]
    """
    pieces = [p.strip() for p in re.split(r"\s+(?=[A-Z%])", header) if p.strip()]
    if len(pieces) == count:
        return pieces
    if count == 2 and " % " in f" {header} ":
        head, tail = header.split("%", 1)
        return [head.strip(), f"%{tail}".strip()]
    return []


def _numbered(texts: list[str], cells: list[list[str]]):
    """Enablers / barriers: "1." markers, a repeated number is the barrier beside the enabler."""
    header = texts[0]
    names = header.split()
    if not texts[1:] or not all(n[:1].isupper() for n in names) or len(names) > 3:
        return None
    body = "\n".join(texts[1:])
    markers = list(_MARKER.finditer(body))
    if not markers or markers[0].group(1) != "1":
        return None
    rows: list[list[str]] = []
    for k, marker in enumerate(markers):
        end = markers[k + 1].start() if k + 1 < len(markers) else len(body)
        item = collapse_spaces(body[marker.end() : end])
        number = int(marker.group(1))
        if rows and int(rows[-1][0]) == number and len(names) > 1 and len(rows[-1]) < len(names) + 1:
            rows[-1].append(item)
        elif number == len(rows) + 1:
            rows.append([str(number), item])
        else:
            return None
    for row in rows:
        row.extend([""] * (len(names) + 1 - len(row)))
    return ["No.", *names], rows


def _pairs(texts: list[str], cells: list[list[str]]):
    """Need -> percentage: every body cell is "label value"."""
    body = texts[1:]
    if len(body) < 2 or not all(_PAIR.match(t) for t in body):
        return None
    rows = [list(_PAIR.match(t).groups()) for t in body]
    columns = _header_columns(texts[0], 2) or ["Item", "Value"]
    return columns, rows


def _labelled_values(texts: list[str], cells: list[list[str]]):
    """Label cells followed by a cell of numbers: grade -> establishment -> caseload."""
    groups: list[tuple[list[str], str]] = []
    label: list[str] = []
    for text in texts:
        if _VALUES_ONLY.match(text):
            if not label:
                return None
            groups.append((label, text))
            label = []
        else:
            label.append(text)
    if len(groups) < 2 or label:
        return None
    header = texts[0]
    rows = [[" ".join(_row_label(cells_, k == 0)), *values.split()] for k, (cells_, values) in enumerate(groups)]
    width = max(len(r) for r in rows)
    for row in rows:
        row.extend([""] * (width - len(row)))
    return _header_columns(header, width), rows


def _row_label(cells: list[str], first: bool) -> list[str]:
    """The first row's label cells follow the header cells: keep the last cell, with any cells that
    continue it ("(individual less likely ...)"), after the header ones.

    Example: ["Staff grade Establishment Mean average caseload", "practice development managers"]
    -> ["practice development managers"]
    """
    if not first or len(cells) == 1:
        return cells
    keep = [cells[-1]]
    for cell in reversed(cells[1:-1]):
        if not (keep[0][:1] == "(" or keep[0][:1].islower()):
            break
        keep.insert(0, cell)
    return keep


def _delivery_methods(texts: list[str], cells: list[list[str]]):
    """Three columns whose last cell reads "Group-based: 6 sessions": intervention, description, method."""
    header = texts[0]
    rows: list[list[str]] = []
    pending: list[list[str]] = []  # cells (as lines) seen since the last method cell
    for lines, text in zip(cells[1:], texts[1:], strict=True):
        method = _METHOD_CELL.search(text)
        if method is None:
            pending.append(lines)
            continue
        before = text[: method.start()].strip()
        if before:
            pending.append([before])
        name_and_description = _name_and_description(pending)
        if name_and_description is None:
            return None
        rows.append([*name_and_description, text[method.start() :].strip()])
        pending = []
    if len(rows) < 2 or pending:
        return None
    return (_header_columns(header, 3) or ["Name", "Description", "Method"]), rows


def _name_and_description(cells: list[list[str]]) -> list[str] | None:
    """Two cells are name and description; one cell holds the name on its first line, or both inline.

    Example: [["Engagement Toolkit", "Breaking down barriers", "to involvement"]] ->
    ["Engagement Toolkit", "Breaking down barriers to involvement"]
    """
    if len(cells) == 2:
        return [collapse_spaces(" ".join(c)) for c in cells]
    if len(cells) != 1:
        return None
    lines = [line.strip() for line in cells[0] if line.strip()]
    if len(lines) > 1:
        return [lines[0], collapse_spaces(" ".join(lines[1:]))]
    parts = _split_inline(lines[0])
    return parts if len(parts) == 2 else None


def _split_inline(text: str) -> list[str]:
    """Example: "Anger Management Temper control" -> ["Anger Management", "Temper control"]."""
    match = re.match(r"^((?:[A-Z]\w*\s?)+?)\s+([A-Z][a-z].*)$", text)
    return [match.group(1), match.group(2)] if match else [text]


def _single_column(texts: list[str], cells: list[list[str]]):
    """A list table: every cell is one line of text (Table 9: IOM inputs)."""
    if len(texts) < 3 or not all(len(c) == 1 and not _VALUES_ONLY.match(t) for c, t in zip(cells, texts,
                                                                                           strict=True)):
        return None
    return ["Item"], [[t] for t in texts]
