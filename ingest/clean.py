"""Load a report file and repair what PDF extraction broke, keeping the report's own words.

The result is a list of `Line`s, each knowing its printed page, with:
- "\ufffd" put back as "." ("67\ufffd1%" -> "67.1%"),
- page starts (a line beginning with one space) and running footers turned into page numbers,
- footnote definitions at the foot of a page marked, and footnote numbers glued to words
  ("England & Wales1") turned into superscript references ("England & Wales¹").
Spelling mistakes stay: citations quote the report.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ingest.errors import InputError
from ingest.text import to_superscript

log = logging.getLogger(__name__)

MAX_REPORT_BYTES = 50_000_000
# A running footer: a title line mentioning the inspection, ending with the printed page number,
# e.g. "Quality & Impact inspection: Staffordshire and Stoke 53". Footnotes end with "." so never match.
FOOTER = re.compile(r"^(?=.{10,120}$)[A-Z][^.]*\binspection\b[^.]*?\s(\d{1,3})\s*$")
PAGE_START = re.compile(r"^ (?=\S)")
FOOTNOTE_DEF = re.compile(r"^(\d{1,2}) +(?=[A-Z‘'“\"(])")
# A footer that is only the printed page number ("5"), the last text on its page; "9." (a list item) never matches.
LONE_NUMBER = re.compile(r"^\s*(\d{1,3})\s*$")


@dataclass
class Line:
    text: str
    page: int  # printed page
    page_start: bool = False  # first line of a page
    footnote: int | None = None  # set on the first line of a footnote definition
    in_footnote: bool = False  # any line of a footnote definition
    pdf_page: int | None = None  # physical 1-based page, for lines read from a PDF
    heading: int = 0  # PDF title line: its outline (bookmark) level + 1, or -1 when only its font says so
    statement: bool = False  # PDF title line that is also a sentence ("Services in X are good"): quoted too


@dataclass
class CleanReport:
    lines: list[Line]
    footnotes: dict[int, str] = field(default_factory=dict)  # number -> text


def load_report(path: Path) -> str:
    """Read a report as UTF-8 text, or raise InputError saying what is wrong and what to do."""
    if not path.exists():
        raise InputError(f"report not found: {path}. Give the path of a .txt or .md report.")
    if path.is_dir():
        raise InputError(f"{path} is a folder; give the path of a .txt or .md report file inside it.")
    data = path.read_bytes()
    if not data.strip():
        raise InputError(f"{path} is empty; give a report with text in it.")
    if len(data) > MAX_REPORT_BYTES:
        raise InputError(f"{path} is {len(data):,} bytes, over the {MAX_REPORT_BYTES:,} limit; split the report.")
    if b"\x00" in data[:8192]:
        raise InputError(f"{path} looks binary (it has NUL bytes); extract its text first, e.g. pdftotext.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InputError(
            f"{path} is not UTF-8 text (bad byte at offset {err.start}); convert it, e.g. "
            f"`iconv -f latin1 -t utf-8 {path.name} > fixed.txt`."
        ) from None
    if not any(ch.isalpha() for ch in text):
        raise InputError(f"{path} has no words in it; give a report with text.")
    return text


def clean_report(raw: str) -> CleanReport:
    """The whole cleaning step: repair characters, number pages, mark footnotes and their references."""
    lines = paginate(join_broken_words(repair_characters(raw).split("\n")))
    footnotes = mark_footnotes(lines)
    link_footnote_references(lines, footnotes)
    return CleanReport(lines=lines, footnotes=footnotes)


def repair_characters(raw: str) -> str:
    """Example: "67\ufffd1%" -> "67.1%"; "Figure 1\ufffd1" -> "Figure 1.1"; tabs and CRs become spaces."""
    text = raw.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    text = text.replace("\ufffd", ".")
    return "".join(ch for ch in text if ch == "\n" or ch >= " " or ch == "\f")


_BROKEN = re.compile(r"([A-Za-z]+)-$")
_CONTINUES = re.compile(r"^(\s*)([a-z]+)(\S*)\s?(.*)$")


def join_broken_words(lines: list[str]) -> list[str]:
    """A word hyphenated across a line break comes back whole on the first line.

    The hyphen stays when the report elsewhere writes the word with one ("well-" / "resourced" ->
    "well-resourced"), and goes when it writes it without ("proba-" / "tion" -> "probation").
    Example: ["the proba-", "tion service"] -> ["the probation", "service"] when "probation" occurs elsewhere.
    """
    text = "\n".join(lines)
    vocabulary = set(re.findall(r"[a-z]+", text.lower()))
    hyphenated = set(re.findall(r"[a-z]+-[a-z]+", text.lower()))
    out = [_join_soft_hyphens(line, vocabulary, hyphenated) for line in lines]
    for i in range(len(out) - 1):
        broken = _BROKEN.search(out[i].rstrip())
        following = _CONTINUES.match(out[i + 1])
        if not broken or not following or out[i + 1].startswith(" ") and not out[i + 1].startswith("  "):
            continue  # a page start in between is left alone
        head, tail = broken.group(1), following.group(2)
        joined = head + tail if (head + tail).lower() in vocabulary else f"{head}-{tail}"
        out[i] = out[i].rstrip()[: broken.start()] + joined + following.group(3)
        out[i + 1] = following.group(1) + following.group(4)
    return out


_SOFT_HYPHEN = re.compile(r"([A-Za-z]*)[\ufffe\uffff]+\s*([A-Za-z]*)")


def _join_soft_hyphens(line: str, vocabulary: set[str], hyphenated: set[str]) -> str:
    """PDFium marks a word it joined across a line break with U+FFFE: "well\ufffebeing" -> "well-being" when
    the report hyphenates it elsewhere or both halves are words, "proba\ufffetion" -> "probation" otherwise
    (or when the report writes the word whole). No U+FFFE or U+FFFF is left."""

    def join(match: re.Match[str]) -> str:
        head, tail = match.group(1), match.group(2)
        whole = (head + tail).lower()
        if not tail and match.end() == len(line.rstrip()):
            return f"{head}-" if head else ""  # at the line's end: a hyphen break for join_broken_words
        if not head or not tail:
            return head + tail
        if f"{head}-{tail}".lower() in hyphenated:
            return f"{head}-{tail}"
        if whole not in vocabulary and head.lower() in vocabulary and tail.lower() in vocabulary:
            return f"{head}-{tail}"
        return head + tail

    return _SOFT_HYPHEN.sub(join, line) if "\ufffe" in line or "\uffff" in line else line


def paginate(raw_lines: list[str]) -> list[Line]:
    """Turn page starts and footers into printed page numbers.

    A footer "... 53" sits on printed page 53; pages before it count back from it, pages after
    the last footer count forward. Without any footer, pages are numbered 1, 2, 3 ...
    """
    page_index = 0
    lines: list[Line] = []
    anchors: dict[int, int] = {}  # page index -> printed page
    numbers = page_number_lines(raw_lines)
    for i, raw in enumerate(raw_lines):
        if i in numbers:
            anchors[page_index] = numbers[i]
            lines.append(Line("", page_index))  # the page number leaves the text; the next page start opens a page
            continue
        footer = FOOTER.match(raw.strip())
        if footer:
            anchors[page_index] = int(footer.group(1))
            page_index += 1  # the footer closes its page
            lines.append(Line("", page_index, page_start=True))
            continue
        starts = bool(PAGE_START.match(raw)) or raw.startswith("\f")
        if starts and lines and not (lines[-1].page_start and not lines[-1].text):
            page_index += 1
        elif starts and lines:
            pass  # a footer just closed the page; this line opens the same new page
        text = raw.lstrip("\f")
        text = text[1:] if starts and text.startswith(" ") else text
        lines.append(Line(text.rstrip(), page_index, page_start=starts or not lines))
    printed = _printed_pages(page_index + 1, anchors)
    for line in lines:
        line.page = printed[line.page]
    return lines


def page_number_lines(raw_lines: list[str]) -> dict[int, int]:
    """Lines that are only a page footer's number: line index -> printed page.

    A candidate is a line of 1-3 digits with nothing but blank lines between it and the next page
    (a form feed) or the end of the report. It counts only when another candidate agrees with it
    (same printed page minus page index), so a table figure or a contents entry ending a page stays text.
    Example: ["text", "", "4", "", "\fnext", "", "5"] -> {2: 4, 6: 5}.
    """
    candidates: dict[int, tuple[int, int]] = {}  # line index -> (page index, number)
    page_index = 0
    waiting: int | None = None  # a lone number seen, waiting for the page to end
    closed = False  # a running footer just closed the page (the next page start opens the same page)
    for i, raw in enumerate(raw_lines):
        if FOOTER.match(raw.strip()):
            waiting, closed = None, True
            page_index += 1
            continue
        if raw.startswith("\f") or PAGE_START.match(raw):
            if waiting is not None:
                candidates[waiting] = (page_index, int(LONE_NUMBER.match(raw_lines[waiting]).group(1)))
            page_index += 1 if i and not closed else 0
            waiting = None
        elif raw.strip():
            waiting = i if LONE_NUMBER.match(raw) else None
        closed = False
    if waiting is not None:
        candidates[waiting] = (page_index, int(LONE_NUMBER.match(raw_lines[waiting]).group(1)))
    offsets = Counter(number - index for index, number in candidates.values())
    return {i: number for i, (index, number) in candidates.items() if offsets[number - index] >= 2}


def _printed_pages(count: int, anchors: dict[int, int]) -> list[int]:
    """Example: 5 pages, a footer on index 3 saying 10 -> [7, 8, 9, 10, 11]."""
    if not anchors:
        return list(range(1, count + 1))
    printed = []
    for index in range(count):
        following = [a for a in anchors if a >= index]
        anchor = min(following) if following else max(anchors)
        printed.append(anchors[anchor] - (anchor - index))
    return printed


def mark_footnotes(lines: list[Line]) -> dict[int, str]:
    """Find footnote definitions at the foot of each page, numbered 1, 2, 3 ... through the report.

    A footnote block is a run of lines ending its page whose first line is "N Text" with N the next
    expected number; following lines either start the next number or continue the previous note.
    """
    footnotes: dict[int, str] = {}
    expected = 1
    for page_lines in _pages(lines):
        body = [ln for ln in page_lines if ln.text.strip()]
        start = _footnote_block_start(body, expected)
        if start is None:
            continue
        current: int | None = None
        for line in body[start:]:
            match = FOOTNOTE_DEF.match(line.text)
            if match and int(match.group(1)) == expected:
                current, expected = expected, expected + 1
                line.footnote = current
                footnotes[current] = line.text[match.end() :].strip()
            elif current is not None:
                footnotes[current] += " " + line.text.strip()
            line.in_footnote = True
    return footnotes


def _pages(lines: list[Line]) -> list[list[Line]]:
    pages: list[list[Line]] = []
    for line in lines:
        if line.page_start or not pages:
            pages.append([])
        pages[-1].append(line)
    return pages


def _footnote_block_start(body: list[Line], expected: int) -> int | None:
    """Index in `body` of the first footnote line, searching from the foot of the page up."""
    for i in range(len(body) - 1, -1, -1):
        match = FOOTNOTE_DEF.match(body[i].text)
        if match and int(match.group(1)) == expected and not body[i].page_start:
            if _rest_is_footnotes(body[i:], expected):
                return i
    return None


def _rest_is_footnotes(block: list[Line], first: int) -> bool:
    """Footnote continuation lines are prose; a numbered line must be the next number."""
    number = first
    for line in block[1:]:
        match = FOOTNOTE_DEF.match(line.text)
        if match:
            if int(match.group(1)) != number + 1:
                return False
            number += 1
    return True


def link_footnote_references(lines: list[Line], footnotes: dict[int, str]) -> None:
    """Turn digits glued to a word into superscript references to footnotes defined nearby.

    Example (footnote 1 and 2 defined on the page): "custodial sentence)1 2. The" -> "sentence)¹ ². The";
    "December 20148." -> "December 2014⁸."
    """
    for page_lines in _pages(lines):
        defined = sorted(ln.footnote for ln in page_lines if ln.footnote is not None)
        if not defined:
            continue
        for line in page_lines:
            if not line.in_footnote:
                line.text = _replace_references(line.text, defined)


def _replace_references(text: str, numbers: list[int]) -> str:
    alternatives = "|".join(str(n) for n in sorted(numbers, key=lambda n: -len(str(n))))
    glued = re.compile(
        rf"(?:(?<=[A-Za-z)\]’%])|(?<=\b(?:19|20)\d\d))({alternatives})"
        rf"((?:\s(?:{alternatives}))*)(?=[\s.,;:)]|$)"
    )

    def superscript(match: re.Match[str]) -> str:
        extra = re.sub(r"\d+", lambda m: to_superscript(m.group(0)), match.group(2))
        return to_superscript(match.group(1)) + extra

    return glued.sub(superscript, text)
