"""Read a PDF report into the same `CleanReport` the text path builds, so everything downstream is shared.

Text and geometry come from pypdfium2 (PDFium, Apache-2.0/BSD; ~670 pages/s here, see README "PDF reports").
Per page: lines with their height, font size and weight; running headers and footers (lines repeated at the
top or bottom of most pages, page-number-only lines) removed; a blank line where the vertical gap or the font
says a new paragraph or heading begins; wide gaps inside a line kept as three spaces ("Adoption   Good").
Every `Line` knows its printed page label (the PDF's numeric page labels, else the numbers in the running
footer/header, else the physical index) and its physical 1-based page (`pdf_page`).
"""

from __future__ import annotations

import ctypes
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median

from ingest.blocks import finite_verb, label_line, title_statement
from ingest.clean import (
    MAX_REPORT_BYTES,
    CleanReport,
    Line,
    _printed_pages,
    join_broken_words,
    link_footnote_references,
    mark_footnotes,
    repair_characters,
)
from ingest.errors import InputError
from ingest.text import to_superscript

PDF_MAGIC = b"%PDF"
EDGE_SHARE = 0.1  # header and footer zones: the top and bottom tenth of the page
REPEATED_SHARE = 0.4  # a header/footer line recurs on at least this share of pages (and on 2 or more)
TITLE_SCALE = 1.1  # a line this much bigger than the body font is a title by its font
MIN_TEXT_CHARS_PER_PAGE = 20  # fewer letters than this on average: a scan without a text layer
_PAGE_NUMBER_ONLY = re.compile(r"^(?:page\s+)?(\d{1,4})(?:\s*(?:of|/)\s*\d{1,4})?$", re.I)
_EDGE_NUMBER = re.compile(r"^(\d{1,4})\s+\S|\S\s+(\d{1,4})$")
_ITEM_NUMBER = re.compile(r"^\s*\d{1,2}(?:\.\d{1,2})*\.?$")  # "2.", "2.1": a numbered item's number
_LIGATURES = str.maketrans({"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "\x02": "-", "\xad": "-"})
# Symbol-font bullets (Wingdings, Symbol) land in the private use area.
_PRIVATE_BULLETS = re.compile("[\uf020-\uf0ff]")


@dataclass
class PdfLine:
    """One printed line of a page. Coordinates are PDF points, y growing upwards."""

    text: str
    top: float
    bottom: float
    left: float
    baseline: float
    size: float  # font size of its first letters
    bold: bool
    right: float = 0.0
    cell_left: float = 0.0  # where the line's last table cell begins (after a column gap); 0: no cell


@dataclass
class PdfPage:
    index: int  # physical, 0-based
    height: float
    lines: list[PdfLine]
    label: str  # the PDF's own page label, "" when it has none
    bookmarks: list[tuple[str, int]] = field(default_factory=list)  # (title, outline level) pointing here


def is_pdf(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(1024).lstrip().startswith(PDF_MAGIC)


def check_pdf_file(path: Path) -> None:
    """Raise InputError for a `.pdf` that is missing, empty, not a PDF, too big, encrypted or corrupt."""
    if not path.exists():
        raise InputError(f"report not found: {path}. Give the path of a .pdf, .txt or .md report.")
    if path.is_dir():
        raise InputError(f"{path} is a folder; give the path of a report file inside it.")
    size = path.stat().st_size
    if size == 0:
        raise InputError(f"{path} is empty; give a report with text in it.")
    if size > MAX_REPORT_BYTES:
        raise InputError(f"{path} is {size:,} bytes, over the {MAX_REPORT_BYTES:,} limit; split the report.")
    if not is_pdf(path):
        raise InputError(f"{path} is not a PDF ({_what_it_is(path)}); download the report's real PDF again.")
    _open(path).close()


def _what_it_is(path: Path) -> str:
    head = path.read_bytes()[:512].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head:
        return "it is an HTML web page saved under a .pdf name"
    return f"it starts with {head[:12]!r}, not %PDF"


def _open(path: Path):
    import pypdfium2 as pdfium

    try:
        return pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as err:
        if "password" in str(err).lower():
            raise InputError(f"{path} is password-protected; save an unencrypted copy (e.g. `qpdf --decrypt`) "
                             "and ingest that.") from None
        raise InputError(f"{path} is a damaged PDF ({err}); download it again or repair it "
                         "(e.g. `qpdf in.pdf out.pdf`).") from None


def extract_pdf(path: Path) -> CleanReport:
    """A PDF report to cleaned lines with printed and physical pages, footnotes marked."""
    check_pdf_file(path)
    pdf = _open(path)
    try:
        pages = [_read_page(pdf, i) for i in range(len(pdf))]
        for index, marks in _bookmarks(pdf).items():
            if 0 <= index < len(pages):
                pages[index].bookmarks = marks
    finally:
        pdf.close()
    letters = sum(ch.isalpha() for page in pages for line in page.lines for ch in line.text)
    if not pages or letters < MIN_TEXT_CHARS_PER_PAGE * len(pages):
        raise InputError(f"{path} has no text layer ({letters} letters on {len(pages)} pages: a scan?); "
                         "run OCR first, e.g. `ocrmypdf in.pdf out.pdf`, and ingest the result.")
    return report_from_pages(pages)


def report_from_pages(pages: list[PdfPage]) -> CleanReport:
    """Remove running headers/footers, number the pages, and lay out paragraphs as the text path does."""
    edges = _repeated_edge_lines(pages)
    anchors: dict[int, int] = {}
    bodies: list[list[PdfLine]] = []
    for page in pages:
        body, numbers = _strip_edges(page, edges)
        body = join_grid_rows(body)
        bodies.append(body)
        if numbers:
            anchors[page.index] = numbers[0]
    printed = _printed_pages(len(pages), _consistent(anchors))
    for page in pages:
        if page.label.isdigit():
            printed[page.index] = int(page.label)
    body_size = _body_font_size(bodies)
    texts: list[str] = []
    where: list[tuple[int, bool]] = []  # (page index, first line of its page) for each text line
    heads: list[int] = []  # Line.heading of each text line
    for page, body in zip(pages, bodies, strict=True):
        first, spacing = True, _usual_spacing(body)
        opening = body[0] if body else None  # the first line of the paragraph being laid out
        for k, line in enumerate(body):
            if k and _new_paragraph(body[k - 1], line, spacing, body_size, opening):
                opening = line
                texts.append("")
                where.append((page.index, False))
                heads.append(0)
            elif k and _wrapped_heading(body[k - 1], line, body_size) and len(texts[-1] + line.text) < 120:
                texts[-1] += " " + line.text  # a heading wrapped over two lines is one title line
                heads[-1] = 0 if headline_sentence(texts[-1]) else heads[-1] or _joined_title(texts[-1], line)
                continue
            texts.append(line.text)
            where.append((page.index, first))
            heads.append(-1 if _is_title(line, body_size) else 0)
            first = False
        if first:  # a page left empty still opens a page
            texts.append("")
            where.append((page.index, True))
            heads.append(0)
    texts = [t.rstrip("⁰¹²³⁴⁵⁶⁷⁸⁹") if head else t for t, head in zip(texts, heads, strict=True)]  # a title's note
    texts = join_broken_words([repair_characters(t) for t in texts])
    texts, where, heads = _mark_bookmarks(texts, where, heads, {p.index: p.bookmarks for p in pages if p.bookmarks})
    lines = [Line(text.rstrip(), printed[index], page_start=start, pdf_page=index + 1, heading=head,
                  statement=bool(head) and title_statement(text))
             for text, (index, start), head in zip(texts, where, heads, strict=True)]
    footnotes = mark_footnotes(lines)
    link_footnote_references(lines, footnotes)
    return CleanReport(lines=lines, footnotes=footnotes)


# --- outline (bookmarks) ------------------------------------------------------------------------


def _bookmarks(pdf) -> dict[int, list[tuple[str, int]]]:
    """Physical page index -> (title, level) of the bookmarks pointing at it; {} for a PDF without an outline."""
    import pypdfium2 as pdfium

    out: dict[int, list[tuple[str, int]]] = {}
    try:
        for mark in pdf.get_toc(max_depth=6):
            dest = mark.get_dest()
            index = dest.get_index() if dest is not None else None
            title = " ".join((mark.get_title() or "").split())
            if index is not None and title:
                out.setdefault(index, []).append((title, mark.level))
    except pdfium.PdfiumError:  # a damaged outline: headings then come from the fonts alone
        return {}
    return out


def _title_key(text: str) -> str:
    """Example: "The local authority " and "THE LOCAL AUTHORITY" -> "thelocalauthority"."""
    return re.sub(r"[^a-z0-9]+", "", text.lower())


def _mark_bookmarks(texts: list[str], where: list[tuple[int, bool]], heads: list[int],
                    marks: dict[int, list[tuple[str, int]]]):
    """A text line that is a bookmark's title on the bookmark's page becomes a heading of the bookmark's level
    (1-based), set apart as its own paragraph."""
    if not marks:
        return texts, where, heads
    out_texts: list[str] = []
    out_where: list[tuple[int, bool]] = []
    out_heads: list[int] = []
    pending = {index: {_title_key(t): level for t, level in titles} for index, titles in marks.items()}
    for text, (index, start), head in zip(texts, where, heads, strict=True):
        level = pending.get(index, {}).pop(_title_key(text), None) if text.strip() else None
        if level is None:
            if out_heads and out_heads[-1] > 0 and text.strip():  # the heading ends its paragraph
                out_texts.append("")
                out_where.append((index, False))
                out_heads.append(0)
            out_texts.append(text)
            out_where.append((index, start))
            out_heads.append(head)
            continue
        if out_texts and out_texts[-1].strip() and not start:
            out_texts.append("")
            out_where.append((index, False))
            out_heads.append(0)
        out_texts.append(text)
        out_where.append((index, start))
        out_heads.append(level + 1)
    return out_texts, out_where, out_heads


# --- one page ------------------------------------------------------------------------------------


def _read_page(pdf, index: int) -> PdfPage:
    import pypdfium2.raw as raw

    page = pdf[index]
    try:
        textpage = page.get_textpage()
        text = textpage.get_text_range()
        count = textpage.count_chars()
        lines = _lines(text, count, textpage.raw, raw) if len(text) == count else _plain_lines(text)
        label = pdf.get_page_label(index) or ""
        height = page.get_height()
        textpage.close()
    finally:
        page.close()
    return PdfPage(index, height, join_row_pieces(join_note_markers(lines)), label.strip())


def _plain_lines(text: str) -> list[PdfLine]:
    """Fallback when characters and text do not line up (surrogate pairs): no geometry."""
    return [PdfLine(_tidy(t), 0.0, 0.0, 0.0, 0.0, 0.0, False) for t in re.split(r"\r\n|\n|\r", text) if _tidy(t)]


def _lines(text: str, count: int, handle, raw) -> list[PdfLine]:
    """Split the page text at PDFium's line breaks, measuring each line from its characters' boxes."""
    left, right, bottom, top = (ctypes.c_double() for _ in range(4))
    refs = tuple(ctypes.byref(v) for v in (left, right, bottom, top))
    char_box = raw.FPDFText_GetCharBox
    out: list[PdfLine] = []
    for match in re.finditer(r"[^\r\n]+", text):
        pieces: list[str] = []
        first = -1
        hi = lo = x0 = x1 = cell = 0.0
        for k in range(match.start(), match.end()):
            ch = text[k]
            if ch.isspace():
                pieces.append(" ")
                continue
            char_box(handle, k, *refs)
            l_, r_, b_, t_ = left.value, right.value, bottom.value, top.value
            if first < 0:
                first, hi, lo, x0, x1 = k, t_, b_, l_, r_
                pieces.append(ch)
                continue
            if l_ - x1 > 2.0 * max(t_ - b_, hi - lo, 4.0):  # a gap wider than two line heights: a new column
                while pieces and pieces[-1] == " ":
                    pieces.pop()
                if _ITEM_NUMBER.match("".join(pieces)):  # "1." hung before its item's text: not a column
                    pieces.append(" ")
                else:
                    pieces.append("   ")  # table columns, "judgement   grade"
                    cell = l_
            pieces.append(ch)
            hi, lo, x0, x1 = max(hi, t_), min(lo, b_), min(x0, l_), max(x1, r_)
        tidy = _tidy("".join(pieces))
        if tidy and first >= 0:
            size = raw.FPDFText_GetFontSize(handle, first)
            bold = raw.FPDFText_GetFontWeight(handle, first) >= 600
            raw.FPDFText_GetCharOrigin(handle, first, refs[0], refs[2])
            out.append(PdfLine(tidy, hi, lo, x0, bottom.value, size, bold, x1, cell))
    return out


def _tidy(text: str) -> str:
    text = _PRIVATE_BULLETS.sub("•", text.translate(_LIGATURES))
    text = re.sub(r"\s+", lambda m: "   " if len(m.group(0)) >= 3 else " ", text.strip())
    return text


# --- running headers and footers -----------------------------------------------------------------


def _edge_lines(page: PdfPage) -> list[PdfLine]:
    """Lines in the top or bottom zone of the page (all lines when geometry is unknown: none)."""
    if page.height <= 0:
        return []
    low, high = page.height * EDGE_SHARE, page.height * (1 - EDGE_SHARE)
    return [ln for ln in page.lines if ln.top and (ln.top <= low or ln.bottom >= high)]


def _shape(text: str) -> str:
    """Example: "Inspection of Barnet 12" and "Inspection of Barnet 13" -> "inspection of barnet #"."""
    return re.sub(r"\d+", "#", text.lower()).strip()


def _repeated_edge_lines(pages: list[PdfPage]) -> set[str]:
    seen = Counter(shape for page in pages for shape in {_shape(ln.text) for ln in _edge_lines(page)})
    needed = max(2, REPEATED_SHARE * len(pages))
    return {shape for shape, n in seen.items() if n >= needed}


def _strip_edges(page: PdfPage, repeated: set[str]) -> tuple[list[PdfLine], list[int]]:
    """The page without its running lines, and the page numbers those lines print."""
    edge = {id(ln) for ln in _edge_lines(page)}
    body: list[PdfLine] = []
    numbers: list[int] = []
    for line in page.lines:
        if id(line) in edge:
            only = _PAGE_NUMBER_ONLY.match(line.text)
            if only:
                numbers.append(int(only.group(1)))
                continue
            if _shape(line.text) in repeated:
                at_edge = _EDGE_NUMBER.search(line.text)
                if at_edge and _shape(line.text) != line.text.lower():
                    numbers.append(int(at_edge.group(1) or at_edge.group(2)))
                continue
        body.append(line)
    return body, numbers


def _consistent(anchors: dict[int, int]) -> dict[int, int]:
    """Footer numbers that agree with another page's (same offset from the page index); a year never does."""
    if len(anchors) < 2:
        return anchors
    offsets = Counter(n - i for i, n in anchors.items())
    return {i: n for i, n in anchors.items() if offsets[n - i] >= 2}


def join_note_markers(lines: list[PdfLine]) -> list[PdfLine]:
    """A raised footnote number on a line of its own joins the note beside it: "2" + "The local ..." ->
    "2 The local ...", as the text path writes footnote definitions (never mistaken for a page number)."""
    out: list[PdfLine] = []
    for line in lines:
        marker = out[-1] if out else None
        if (marker is not None and re.fullmatch(r"\d{1,2}", marker.text) and line.top and marker.top
                and 0 <= line.left - marker.right < 10 and line.top >= marker.bottom and line.bottom <= marker.top):
            out[-1] = PdfLine(f"{marker.text} {line.text}", line.top, line.bottom, marker.left, line.baseline,
                              line.size, line.bold, line.right)
        else:
            out.append(line)
    return out


def join_row_pieces(lines: list[PdfLine]) -> list[PdfLine]:
    """A piece PDFium broke off a printed line (at a raised footnote number, "schools," + "3 of whom ...")
    continues that line when it starts just right of it on the same baseline: "schools,3 of whom ..."."""
    out: list[PdfLine] = []
    for line in lines:
        prev = out[-1] if out else None
        if prev is not None and _raised_marker(prev, line):
            out[-1] = PdfLine(prev.text + to_superscript(line.text), prev.top, prev.bottom, prev.left,
                              prev.baseline, prev.size, prev.bold, line.right, prev.cell_left)
            continue
        if prev is None or not _continues_row(prev, line):
            out.append(line)
            continue
        glue = "" if re.match(r"\d{1,2}\s", line.text) or line.left - prev.right < 1.0 else " "
        out[-1] = PdfLine(prev.text + glue + line.text, max(prev.top, line.top), min(prev.bottom, line.bottom),
                          prev.left, prev.baseline, prev.size, prev.bold, line.right)
    return out


def _raised_marker(prev: PdfLine, line: PdfLine) -> bool:
    """A footnote number printed small and raised just after a line's end ("What needs to improve?" + "1"):
    a reference on that line, not a line of its own."""
    if not (prev.top and line.top and prev.size) or not re.fullmatch(r"\d{1,2}", line.text):
        return False
    raised = line.baseline > prev.baseline + 0.1 * prev.size and line.bottom < prev.top
    beside = -1.0 <= line.left - prev.right <= 0.6 * prev.size
    return line.size <= 0.8 * prev.size and raised and beside and line.top <= prev.top + 0.6 * prev.size


def _continues_row(prev: PdfLine, line: PdfLine) -> bool:
    if not (prev.top and line.top and prev.size) or "   " in prev.text + line.text:
        return False
    same_row = abs(prev.baseline - line.baseline) <= 0.25 * prev.size
    return same_row and 0 <= line.left - prev.right <= 0.6 * prev.size


# --- grids ---------------------------------------------------------------------------------------


def join_grid_rows(lines: list[PdfLine]) -> list[PdfLine]:
    """A short cell printed to the right of the 1-3 lines beside it joins them as one row, 3 spaces apart.

    Example (Ofsted's grading grid): "The experiences and progress of" / "children in care" with "Outstanding"
    printed level with them -> "The experiences and progress of children in care   Outstanding".
    A cell wrapped over lines continues its row: "... families   Requires improvement" with "to be good" printed
    under "Requires improvement" -> "... families   Requires improvement to be good".
    """
    out: list[PdfLine] = []
    for line in lines:
        if out and _continues_cell(out[-1], line):
            row = out[-1]
            out[-1] = PdfLine(f"{row.text} {line.text.strip()}", row.top, min(row.bottom, line.bottom), row.left,
                              row.baseline, row.size, row.bold, max(row.right, line.right), row.cell_left)
            continue
        cells = _row_cells(out, line)
        if not cells:
            out.append(line)
            continue
        row = out[-cells:]
        del out[-cells:]
        text = " ".join(ln.text.strip() for ln in row) + "   " + line.text.strip()
        out.append(PdfLine(text, max(row[0].top, line.top), min(row[-1].bottom, line.bottom), row[0].left,
                           row[-1].baseline, row[0].size, row[0].bold, line.right, line.left))
    return out


def _continues_cell(row: PdfLine, line: PdfLine) -> bool:
    """`line` is the next line of `row`'s last cell: printed under the cell's start, within the row's height."""
    if not (row.cell_left and line.top) or len(line.text) > 40 or "   " in line.text:
        return False
    if len(row.text.rsplit("   ", 1)[-1]) > 40 or line.size > row.size + 0.5:  # a cell is short, in the row's font
        return False
    size = max(row.size, line.size, 1.0)
    return (abs(line.left - row.cell_left) <= 0.5 * size and line.baseline < row.top
            and line.baseline >= row.bottom - 1.5 * size)


def _row_cells(before: list[PdfLine], cell: PdfLine) -> int:
    """How many of the last lines sit left of `cell` and level with it (0: `cell` is not a grid cell)."""
    if not cell.top or len(cell.text) > 40 or "   " in cell.text:
        return 0
    count = 0
    for line in reversed(before[-3:]):
        level = abs(line.baseline - cell.baseline) <= 2.2 * max(cell.size, 1.0)
        if not (line.top and level and line.right < cell.left - 8 and cell.left - line.left > 100
                and "   " not in line.text):
            break
        count += 1
    return count


# --- paragraphs ----------------------------------------------------------------------------------


def _body_font_size(bodies: list[list[PdfLine]]) -> float:
    sizes: Counter[float] = Counter()
    for body in bodies:
        for line in body:
            sizes[round(line.size, 1)] += len(line.text)
    return sizes.most_common(1)[0][0] if sizes else 0.0


def _is_heading(line: PdfLine, body_size: float) -> bool:
    return bool(body_size) and len(line.text) <= 120 and (
        line.size >= body_size * 1.15 or (line.bold and line.size >= body_size * 0.95)
    )


def _is_title(line: PdfLine, body_size: float) -> bool:
    """A line printed in a bigger font than the body, not a sentence: a title by its font
    ("What needs to improve?"; not "There are widespread failures.")."""
    return (bool(body_size) and line.size >= TITLE_SCALE * body_size and len(line.text) <= 150
            and not line.text.endswith((".", ",", ";")) and "   " not in line.text
            and not headline_sentence(line.text) and not _DATED_FIELD.search(line.text))


def _joined_title(text: str, last: PdfLine) -> int:
    """-1 when a heading wrapped over lines in the body's size but bold reads as a title ("The experiences of
    children in care:" / "good"), 0 when it is a sentence or a field."""
    return -1 if (last.bold and len(text) <= 150 and not text.endswith((".", ",", ";")) and "   " not in text
                  and not _DATED_FIELD.search(text)) else 0


_DATED_FIELD = re.compile(r"^[^:]{2,40}:\s.*\d")  # "Inspection dates: 10 to 14 June 2024": a field, not a title


def headline_sentence(text: str) -> bool:
    """A statement printed big, not a title: ten words or more with a verb and no "subject: grade" colon.

    Example: "There are widespread and serious failures that leave children and young people at risk of harm".
    """
    return len(text.split()) >= 10 and ":" not in text and finite_verb(text) is not None


def _wrapped_heading(previous: PdfLine, line: PdfLine, body_size: float) -> bool:
    """The second line of a heading, not the next entry of a contents list ("The local authority 3")."""
    return (_is_heading(previous, body_size) and _is_heading(line, body_size) and previous.size == line.size
            and not previous.text[-1:].isdigit() and not line.text[-1:].isdigit()
            and "   " not in previous.text + line.text)  # bold grid rows stay rows


def _new_paragraph(previous: PdfLine, line: PdfLine, spacing: float, body_size: float,
                   opening: PdfLine | None = None) -> bool:
    """A wider gap than this page's usual line spacing, or a heading starting or ending.

    A "Label: value" line after a paragraph that is itself a "Label: value" entry continues one spaced list
    ("Lead inspector: ..." / "Deputy lead inspector: ..."), so the entries never stand alone as headings."""
    if not line.top or not previous.top:
        return False
    if _is_heading(previous, body_size) != _is_heading(line, body_size):
        return True
    if abs(line.size - previous.size) > 1.0:
        return True
    step = previous.baseline - line.baseline
    if (0 < step <= 2.2 * spacing and label_line(line.text) and opening is not None
            and label_line(opening.text) and not previous.text.endswith((".", "!", "?"))):
        return False
    if step <= 0:  # a new column or a line out of reading order
        return True
    return step > 1.3 * max(spacing, 1.2 * previous.size)  # a title in a big font keeps its lines together




def _usual_spacing(page: list[PdfLine]) -> float:
    steps = [a.baseline - b.baseline for a, b in zip(page, page[1:], strict=False) if 0 < a.baseline - b.baseline < 40]
    return median(steps) if steps else 14.0
