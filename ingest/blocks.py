"""Group cleaned lines into blocks (paragraphs, table cells, headings) with their pages.

A block ends at a blank line or a page start, except that a sentence running over a page break
stays one block ("... particularly" / " disruption to the continuity ..."). Footnote definitions
leave the text flow and come back as their own blocks once the paragraph they interrupt ends.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest.clean import CleanReport, Line
from ingest.text import collapse_spaces

_SENTENCE_CLOSED = re.compile(r"[.:;!?”’\")]\s*$")
_LABEL = re.compile(r"^[A-Z][\w’'()/-]*(?: [\w’'()/-]+){0,4}: \S")


def label_line(text: str) -> bool:
    """A "Label: value" line, the label at most five words ("Quality assurance manager: ...")."""
    return bool(_LABEL.match(text))


_FINITE = re.compile(r"\b(?:is|are|was|were|has|have|had|be|been|will|leaves?|requires?)\b", re.I)


def finite_verb(text: str) -> re.Match | None:
    """The first finite verb written as one in running text: in lower case, or in a line all in capitals. A
    capitalised one after the first word starts another cell ("... and protection Requires improvement").
    Example: "Services in Northwick are good" -> the match of "are"."""
    shouting = text.isupper()
    return next((m for m in _FINITE.finditer(text)
                 if shouting or m.group(0).islower() or (m.start() == 0 and m.group(0)[1:].islower())), None)


_OPEN_ENDINGS = {"because", "and", "or", "but", "that", "which", "who", "of", "to", "for", "with", "as", "by",
                 "in", "on", "at", "from", "the", "a", "an"}  # "X is good because": a lead-in, not a statement
_RELATIVE = re.compile(r"\b(?:who|whom|whose|which|that|where|when|what|how|why)\b", re.I)


def title_statement(text: str) -> bool:
    """A title that also says something, as a sentence would: a subject of a word or more, a finite verb, and
    what is said of the subject; not a question, a "subject: grade" field or a phrase with a relative clause.
    Such a title heads its section and is quoted as that section's first sentence too.

    Examples: "Children's services in Northwick are good" -> True; "The board requires improvement" -> True;
    "What needs to improve?" -> False; "Children who are looked after" -> False; "Adoption performance" -> False;
    "This service is good because" -> False.
    """
    words = text.split()
    verb = finite_verb(text)
    if len(words) < 4 or verb is None or text.rstrip().endswith("?") or ":" in text:
        return False
    subject, said = text[: verb.start()], text[verb.end():].split()
    return (bool(subject.split()) and bool(said) and not _RELATIVE.search(subject)
            and said[-1].lower() not in _OPEN_ENDINGS)


@dataclass
class Block:
    lines: list[str]
    pages: list[int]
    page_start: bool = False  # the block opens a page
    footnote: int | None = None  # a footnote definition block
    width: int = 0  # longest source line: narrow blocks are boxed text (examples, table cells)
    line_pages: list[int] = field(default_factory=list)  # printed page of each line
    heading: int = 0  # Line.heading of its first line (a PDF title: outline level + 1, or -1 by its font)
    statement: bool = False  # Line.statement of its first line: a title that is also the section's first sentence

    def render(self) -> tuple[str, list[tuple[int, int]]]:
        """The block's text with the offset at which each printed page begins within it."""
        parts: list[str] = []
        page_marks: list[tuple[int, int]] = []
        offset = 0
        for k, line in enumerate(self.lines):
            piece = collapse_spaces(line)
            if not piece:
                continue
            if parts:
                offset += 1
            page = self.line_pages[k] if k < len(self.line_pages) else self.pages[-1]
            if not page_marks or page_marks[-1][1] != page:
                page_marks.append((offset, page))
            parts.append(piece)
            offset += len(piece)
        return " ".join(parts), page_marks

    @property
    def text(self) -> str:
        return collapse_spaces(" ".join(self.lines))

    @property
    def first_line(self) -> str:
        return self.lines[0].strip()


@dataclass
class _Builder:
    blocks: list[Block] = field(default_factory=list)
    current: Block | None = None
    pending_footnotes: list[Block] = field(default_factory=list)

    def close(self) -> None:
        if self.current is not None:
            self.blocks.append(self.current)
            self.current = None
        self.blocks.extend(self.pending_footnotes)
        self.pending_footnotes = []

    def add(self, line: Line, new_block: bool) -> None:
        # a line the PDF's outline names is a block of its own (a title by its font is already set apart
        # where the layout shows a gap; one printed in a run of cover lines stays in that run)
        if line.heading > 0 or (self.current is not None and self.current.heading > 0):
            new_block = True
        if new_block or self.current is None:
            self.close()
            self.current = Block(lines=[], pages=[], page_start=line.page_start, heading=line.heading,
                                 statement=line.statement)
        block = self.current
        block.lines.append(line.text.strip())
        block.line_pages.append(line.page)
        block.width = max(block.width, len(line.text.rstrip()))
        if line.page not in block.pages:
            block.pages.append(line.page)


def build_blocks(report: CleanReport) -> list[Block]:
    builder = _Builder()
    gap = False  # a blank line was seen since the last text line
    for line in report.lines:
        if line.in_footnote:
            _add_footnote_line(builder, line)
        elif not line.text.strip():
            gap = gap or builder.current is not None
        else:
            if line.page_start:
                new_block = not _continues_over_page(builder.current, line)
            else:
                new_block = gap
            builder.add(line, new_block=new_block)
            gap = False
    builder.close()
    return [b for b in builder.blocks if b.lines]


def _continues_over_page(previous: Block | None, line: Line) -> bool:
    """Example: "... particularly" then " disruption to" -> True (one sentence over the break)."""
    if previous is None or not previous.lines:
        return False
    return not _SENTENCE_CLOSED.search(previous.lines[-1]) and line.text.strip()[:1].islower()


def _add_footnote_line(builder: _Builder, line: Line) -> None:
    if line.footnote is not None or not builder.pending_footnotes:
        builder.pending_footnotes.append(
            Block(lines=[], pages=[line.page], footnote=line.footnote, width=len(line.text))
        )
    if line.text.strip():
        builder.pending_footnotes[-1].lines.append(line.text.strip())
        builder.pending_footnotes[-1].line_pages.append(line.page)
