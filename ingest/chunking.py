"""Render the outline into the cleaned report text, the section tree and chunks.

The cleaned report is the outline written out: blocks as paragraphs separated by blank lines, a
table or figure one cell per line. Every chunk is a slice of it, so `report[c.start:c.end] == c.text`.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

from ingest import records as kinds
from ingest.records import Chunk, Document, Section, Span
from ingest.structure import APPENDIX, CHAPTER, NO_PROFILE, Heading, Outline, Profile, Unit
from ingest.text import content_hash, slugify, split_sentences

# MiniLM reads ~256 word pieces; ~1.3 pieces a word here, so 170 words fill it without being cut.
MAX_TEXT_WORDS = 170
# "17. Inspectors found ..." or "3.14 The council ...": a numbered paragraph.
PARAGRAPH_NUMBER = re.compile(r"^(\d{1,3}(?:\.\d{1,2})?)\.?\s+(?=[A-Z“‘\"])")
MIN_NUMBERED_PARAGRAPHS = 10
SUPERSCRIPT_DIGITS = "⁰¹²³⁴⁵⁶⁷⁸⁹"


@dataclass
class _Placed:
    item: Heading | Unit
    start: int
    end: int


def build_document(name: str, outline: Outline, footnotes: dict[int, str],
                   max_words: int = MAX_TEXT_WORDS, pdf_pages: dict[int, list[int]] | None = None) -> Document:
    """`pdf_pages` (PDF reports): printed page -> the physical pages printed with it."""
    text, placed, page_starts = _render(outline)
    doc = Document(name=name, text=text, page_starts=page_starts, sections=[], chunks=[])
    doc.sections = _sections(doc, placed, name)
    doc.chunks = _chunks(doc, placed, footnotes, max_words, outline.profile)
    if pdf_pages:
        doc.pdf_page_starts = [(offset, pdf_pages[page][0]) for offset, page in page_starts if page in pdf_pages]
        for chunk in doc.chunks:
            chunk.pdf_pages = sorted({p for page in chunk.pages for p in pdf_pages.get(page, [])})
    return doc


def _render(outline: Outline) -> tuple[str, list[_Placed], list[tuple[int, int]]]:
    pieces: list[str] = []
    placed: list[_Placed] = []
    page_starts: list[tuple[int, int]] = []
    offset = 0
    for item in outline.items:
        blocks = [item.block] if isinstance(item, Heading) else item.blocks
        separator = "\n" if isinstance(item, Unit) and item.tight else "\n\n"
        start = offset
        for k, block in enumerate(blocks):
            if pieces:
                sep = separator if k else "\n\n"
                pieces.append(sep)
                offset += len(sep)
                start = offset if k == 0 else start
            rendered, marks = block.render()
            for local, page in marks:
                if not page_starts or page_starts[-1][1] != page:
                    page_starts.append((offset + local, page))
            pieces.append(rendered)
            offset += len(rendered)
        placed.append(_Placed(item, start, offset))
    return "".join(pieces), placed, page_starts


# --- sections ------------------------------------------------------------------------------------


def _sections(doc: Document, placed: list[_Placed], name: str) -> list[Section]:
    sections: list[Section] = []
    stack: list[Section] = []
    taken: set[str] = _Taken()
    first_heading = next((p.start for p in placed if isinstance(p.item, Heading)), len(doc.text))
    if first_heading > 0 and doc.text[:first_heading].strip():
        sections.append(Section("preamble", "Preamble", ["Preamble"], 1, [], None, 0, first_heading))
        taken.add("preamble")
    for p in placed:
        if not isinstance(p.item, Heading):
            continue
        heading = p.item
        while stack and stack[-1].level >= heading.level:
            stack.pop()
        parent = stack[-1] if stack else None
        slug = _section_slug(heading.title)
        section_id = f"{parent.id}/{slug}" if parent else slug
        section_id = _unique(section_id, taken)
        taken.add(section_id)
        path = [*(parent.path if parent else []), heading.title]
        section = Section(section_id, heading.title, path, heading.level, [], parent.id if parent else None,
                          p.start, len(doc.text))
        sections.append(section)
        stack.append(section)
    _close_sections(sections, doc)
    return sections


def _section_slug(title: str) -> str:
    """Example: "3. An evaluation of the quality" -> "ch3"; "Appendix 4: Glossary" -> "appendix-4"."""
    chapter = CHAPTER.match(title)
    if chapter:
        return f"ch{chapter.group(1)}"
    appendix = APPENDIX.match(title)
    if appendix:
        return f"appendix-{appendix.group(1).lower()}"
    return slugify(title, max_words=4)


class _Taken(set):
    """Ids already used, and for each candidate the suffix to try next, so that thousands of same-titled
    headings or chunks are named in linear time, not quadratic."""

    def __init__(self) -> None:
        super().__init__()
        self.resume: dict[str, int] = {}


def _unique(candidate: str, taken: set[str]) -> str:
    resume = getattr(taken, "resume", {})
    n, unique = resume.get(candidate, 2), candidate
    while unique in taken:
        unique, n = f"{candidate}-{n}", n + 1
    resume[candidate] = n
    return unique


def _close_sections(sections: list[Section], doc: Document) -> None:
    """A section ends where the next section of the same or a higher level begins."""
    open_: list[Section] = []  # sections not yet closed, levels strictly increasing: each is closed once
    for later in (s for s in sections if s.id != "preamble"):
        while open_ and open_[-1].level >= later.level:
            open_.pop().end = later.start
        open_.append(later)
    for section in sections:
        section.pages = doc.pages_for(section.start, section.end)


# --- chunks --------------------------------------------------------------------------------------


def _chunks(doc: Document, placed: list[_Placed], footnotes: dict[int, str], max_words: int,
            profile: Profile = NO_PROFILE) -> list[Chunk]:
    chunks: list[Chunk] = []
    taken: set[str] = _Taken()
    pending_text: list[_Placed] = []
    numbered = _numbers_paragraphs(doc, placed)
    for p in placed:
        if isinstance(p.item, Heading) or p.item.kind != kinds.TEXT:
            _flush_text(doc, pending_text, chunks, taken, max_words, profile)
            pending_text = []
        if isinstance(p.item, Heading) and p.item.block.statement:
            pending_text = [p]  # a title stating something is its section's first sentence too
        elif isinstance(p.item, Unit) and p.item.kind == kinds.TEXT:
            if pending_text and _section_of(doc, p.start) != _section_of(doc, pending_text[0].start):
                _flush_text(doc, pending_text, chunks, taken, max_words, profile)
                pending_text = []
            pending_text.append(p)
        elif isinstance(p.item, Unit):
            chunks.append(_make_chunk(doc, p.item, p.start, p.end, taken, footnotes, profile))
    _flush_text(doc, pending_text, chunks, taken, max_words, profile)
    if numbered:
        for chunk in chunks:
            if chunk.kind == kinds.TEXT and chunk.label is None:
                chunk.label = _paragraph_label(chunk.text)
    return chunks


def _numbers_paragraphs(doc: Document, placed: list[_Placed]) -> bool:
    """A report numbers its paragraphs when many prose paragraphs open with a number, mostly rising."""
    numbers = []
    for p in placed:
        if isinstance(p.item, Unit) and p.item.kind == kinds.TEXT:
            match = PARAGRAPH_NUMBER.match(doc.text[p.start : p.end])
            if match:
                numbers.append(float(match.group(1).split(".")[0]))
    rising = sum(b > a for a, b in zip(numbers, numbers[1:], strict=False))
    return len(numbers) >= MIN_NUMBERED_PARAGRAPHS and rising >= 0.8 * (len(numbers) - 1)


def _paragraph_label(text: str) -> str | None:
    """Example: a chunk of paragraphs "17. ...", "18. ..." -> "Paragraphs 17–18"."""
    found = [m.group(1) for m in (PARAGRAPH_NUMBER.match(piece) for piece in text.split("\n\n")) if m]
    if not found:
        return None
    return f"Paragraph {found[0]}" if len(found) == 1 else f"Paragraphs {found[0]}–{found[-1]}"


def _flush_text(doc: Document, run: list[_Placed], chunks: list[Chunk], taken: set[str], max_words: int,
                profile: Profile = NO_PROFILE) -> None:
    """Consecutive prose paragraphs of one section become chunks of at most `max_words` words."""
    group: list[tuple[int, int]] = []
    words = 0
    for start, end in _paragraph_pieces(doc, run, max_words):
        n = len(doc.text[start:end].split())
        if group and words + n > max_words:
            chunks.append(_make_chunk(doc, Unit(kinds.TEXT, []), group[0][0], group[-1][1], taken, {}, profile))
            group, words = [], 0
        group.append((start, end))
        words += n
    if group:
        chunks.append(_make_chunk(doc, Unit(kinds.TEXT, []), group[0][0], group[-1][1], taken, {}, profile))


def _paragraph_pieces(doc: Document, run: list[_Placed], max_words: int) -> list[tuple[int, int]]:
    """Paragraphs, with an over-long paragraph cut at sentence ends."""
    pieces: list[tuple[int, int]] = []
    for p in run:
        text = doc.text[p.start : p.end]
        if len(text.split()) <= max_words:
            pieces.append((p.start, p.end))
            continue
        start, words, prev_end = 0, 0, 0
        for span in split_sentences(text):
            n = len(text[span.start : span.end].split())
            if words and words + n > max_words:
                pieces.append((p.start + start, p.start + prev_end))
                start, words = span.start, 0
            words += n
            prev_end = span.end
        pieces.append((p.start + start, p.end))
    return pieces


def _section_of(doc: Document, offset: int) -> Section:
    """The deepest section containing the offset (the first section when none is deeper than it).

    Sections nest, in document order: a binary search finds the last one starting at or before the offset,
    then its parents are walked until one contains it, so this stays fast with thousands of sections.
    """
    starts, by_id = _section_lookup(doc)
    first = doc.sections[0]
    i = bisect_right(starts, offset) - 1
    section = doc.sections[i] if i >= 0 else None
    while section is not None and not section.start <= offset < section.end:
        section = by_id.get(section.parent_id) if section.parent_id else None
    if section is None or section.level < first.level:
        return first
    return section


def _section_lookup(doc: Document) -> tuple[list[int], dict[str, Section]]:
    cached = doc.__dict__.get("_section_lookup")
    if cached is None or len(cached[0]) != len(doc.sections):
        cached = doc.__dict__["_section_lookup"] = ([s.start for s in doc.sections], {s.id: s for s in doc.sections})
    return cached


def _make_chunk(doc: Document, unit: Unit, start: int, end: int, taken: set[str],
                footnotes: dict[int, str], profile: Profile = NO_PROFILE) -> Chunk:
    text = doc.text[start:end]
    section = _section_of(doc, start)
    refs = _footnote_refs(text)
    source = unit.source
    if unit.kind == kinds.KEY_FACT and refs:
        source = " ".join(f"{n} {footnotes[n]}" for n in refs if n in footnotes)
    return Chunk(
        id=_claim(f"{section.id}#{_chunk_suffix(unit)}", taken),
        section_id=section.id,
        section_path=section.path,
        pages=doc.pages_for(start, end),
        kind=unit.kind,
        text=text,
        start=start,
        end=end,
        sentences=without_bullets(text, split_sentences(text)),
        content_hash=content_hash(text),
        label=unit.label,
        caption=unit.caption,
        source=source,
        polarity=unit.polarity if unit.kind == kinds.PRACTICE_EXAMPLE else None,
        person=unit.person,
        speaker=unit.speaker,
        organisation=_organisation(section.path, profile),
        domain=next((d for d in profile.domains if any(t.lower() == d.lower() for t in section.path)), None),
        stage=_stage(section.path, profile),
        term=unit.term,
        addressed_to=unit.addressed_to,
        footnotes=refs,
        chart_in_text=unit.kind != kinds.FIGURE,
        table=unit.table,
    )


_BULLET_MARK = re.compile(r"[•\uf0b7▪◦◼■]\s+")  # a list item's mark, not one of its words ("- " may be a dash)


def without_bullets(text: str, spans: list[Span]) -> list[Span]:
    """Each sentence without the list mark it opens with, so it reads (and is quoted) as the item's words:
    "• Of this number, 234 live outside the area." is the sentence "Of this number, 234 live outside the area."
    and so can lean on the item before it, as the same words in running text would."""
    out = []
    for span in spans:
        mark = _BULLET_MARK.match(text, span.start, span.end)
        out.append(Span(mark.end(), span.end) if mark and mark.end() < span.end else span)
    return out


def _claim(candidate: str, taken: set[str]) -> str:
    unique = _unique(candidate, taken)
    taken.add(unique)
    return unique


def _chunk_suffix(unit: Unit) -> str:
    """Example: Table 8 -> "table-8"; the glossary entry ATR -> "atr"; prose -> "text"."""
    if unit.kind == kinds.GLOSSARY and unit.term:
        return slugify(unit.term, 4)
    if unit.kind in (kinds.TABLE, kinds.FIGURE, kinds.FOOTNOTE, kinds.RECOMMENDATION) and unit.label:
        return slugify(unit.label, 3)
    if unit.kind == kinds.PRACTICE_EXAMPLE:
        return f"example-{slugify(unit.person, 1)}" if unit.person else "example"
    if unit.kind == kinds.KEY_FACT and unit.label:
        return "fact-" + slugify(unit.label.replace("%", " pct").replace(",", ""), 4)
    return unit.kind.replace("_", "-")


def _footnote_refs(text: str) -> list[int]:
    refs: list[int] = []
    for match in re.finditer(f"[{SUPERSCRIPT_DIGITS}]+", text):
        number = int("".join(str(SUPERSCRIPT_DIGITS.index(ch)) for ch in match.group(0)))
        if number not in refs:
            refs.append(number)
    return refs


def _organisation(path: list[str], profile: Profile) -> str | None:
    """The organisation a section is about, from a heading the profile knows (HMIP: "CRC effectiveness")."""
    if profile.organisation_block is None:
        return None
    for title in reversed(path):
        match = profile.organisation_block.match(title.strip())
        if match:
            return match.group(1).upper() if match.group(1) else profile.organisation_joint
    return None


def _stage(path: list[str], profile: Profile) -> str | None:
    """The heading below an organisation block: "Assessment and planning", "Delivery", ..."""
    if profile.organisation_block is None:
        return None
    for k, title in enumerate(path[:-1]):
        if profile.organisation_block.match(title.strip()):
            return path[k + 1]
    return None
