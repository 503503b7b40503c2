"""Recognise what a report is made of: headings and typed units (tables, figures, practice examples,
quotes, recommendations, key facts, glossary entries, footnotes, prose).

Generic patterns ("Table 8", "Figure 1.1", "The X should:", a chapter cover listing its parts, a list under
a heading asking for improvement, numbered items) apply to every report, never line numbers. What one family
says in its own words lives in a profile, ingest/profiles/<name>.json, chosen by the publisher the first
pages name: HMIP's domains, CRC/NPS blocks, practice-example box labels, not-names and speaker cues; Ofsted's
grade words (judgement lines become a Judgement -> Grade table) and improvement headings. A report with no
profile still gives headings (short title lines, or Markdown `#`), prose, tables and recommendations.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

from ingest import records as kinds
from ingest.blocks import Block, label_line, title_statement
from ingest.records import Table
from ingest.tables import recover_table

PROFILE_DIR = Path(__file__).with_name("profiles")
CHAPTER = re.compile(r"^(\d{1,2})\.\s+(\S.*)$")
APPENDIX = re.compile(r"^Appendix\s+(\d+|[A-Z])\s*[:.–-]\s*(\S.*)$")
MARKDOWN_HEADING = re.compile(r"^(#{1,6})\s+(\S.*?)\s*#*$")
TABLE_START = re.compile(r"^Table\s+(\d+)$")
FIGURE_START = re.compile(r"^Figure\s+(\d+(?:\.\d+)?)\s*:?\s*(.*)$")
# Generic case boxes; a profile adds its own box labels (named groups `polarity` and `label`).
GENERIC_EXAMPLE_START = r"^(?P<case>Case (?:study|example)(?:\s+\d+)?):\s*"
ADDRESSEE = re.compile(r"^(The .{3,90}?) should:$")
NUMBERED_ITEM = re.compile(r"^(\d{1,3})\.\s+\S")  # "18. Ensure ...", "101. Monitor ..."
_SENTENCE_END_LINE = re.compile(r"[.;:!?][”’\")]*\s*$")
NUMBERED_MARKER = re.compile(r"^(\d{1,2})[.)]$")  # "1." alone on its line, the item text follows
BULLET = ("•", "\uf0b7", "▪", "◦", "◼", "■", "- ", "– ")  # \uf0b7: the Symbol-font bullet of Word exports
# Headings that ask for improvement: their numbered or bulleted items are recommendations.
IMPROVEMENT = re.compile(r"\brecommendations?\b|areas? for (?:improvement|development)|what needs to improve"
                         r"|\bneeds? to (?:do to )?improve\b|priority and immediate action", re.I)
KEY_FACT = re.compile(r"^([-–]?£?\d[\d,.]*%?(?:\s\(of\s\d+\))?)\s+(\S.*)$")
QUOTE_OPEN = ("“", '"')
QUOTE_CLOSE = re.compile(r"[”\"][.,]?\)?\s*$")
CAPTION_MIN_WIDTH = 75  # table cells are narrow (rows <= 73 here); a caption line spans the page (>= 76)
BOXED_MAX_WIDTH = 76  # practice-example boxes are narrower than body text (body lines run to ~85)
_END_PUNCTUATION = tuple(".,;:!?”’\")")
_ENDS_IN_ACRONYM = re.compile(r"\s\([A-Z][A-Za-z0-9&]{1,9}\)$")  # "Review of the harbour board (HB)" is a title
# A line ending in one of these continues on the next line: a wrapped sentence, not a title.
_RUN_ON_WORDS = {"a", "an", "the", "of", "to", "and", "or", "with", "in", "on", "for", "by", "as", "at", "from",
                 "that", "which", "who", "was", "were", "is", "be", "been", "has", "had", "their", "its"}


# --- report families -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Profile:
    """What one family of reports (a publisher) says in its own words; a report with no profile uses
    only the generic patterns. Loaded from ingest/profiles/<name>.json."""

    name: str
    publisher: str = ""
    detect: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    organisation_block: re.Pattern | None = None  # a heading naming the organisation; group 1 is its name
    organisation_joint: str | None = None  # the name when the block has no group 1 ("CRC and NPS")
    example_start: re.Pattern = re.compile(GENERIC_EXAMPLE_START)
    example_polarity: str | None = None  # a box with a label but no Good/Poor word
    not_names: frozenset[str] = frozenset()
    speaker_cues: tuple[tuple[str, tuple[str, ...]], ...] = ()
    grades: tuple[str, ...] = ()
    improvement: re.Pattern | None = None
    not_headings: re.Pattern | None = None  # lines that never title a section (a signature's role, "HM Inspector")


NO_PROFILE = Profile("none")


def _load_profile(path: Path) -> Profile:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        example = data.get("example_start")
        org = data.get("organisation_block")
        improvement = data.get("improvement_headings") or []
        not_headings = data.get("not_headings") or []
        return Profile(
            name=data["name"], publisher=data.get("publisher", ""), detect=tuple(data.get("detect", [])),
            domains=tuple(data.get("domains", [])),
            organisation_block=re.compile(org, re.I) if org else None,
            organisation_joint=data.get("organisation_joint"),
            example_start=re.compile(f"{example}|{GENERIC_EXAMPLE_START}" if example else GENERIC_EXAMPLE_START),
            example_polarity=data.get("example_polarity"),
            not_names=frozenset(data.get("not_names", [])),
            speaker_cues=tuple((role, tuple(keys)) for role, keys in data.get("speaker_cues", {}).items()),
            grades=tuple(data.get("grades", [])),
            improvement=re.compile("|".join(improvement), re.I) if improvement else None,
            not_headings=re.compile("|".join(f"(?:{p})" for p in not_headings), re.I) if not_headings else None,
        )
    except (KeyError, ValueError, re.error) as error:
        raise ValueError(f"report profile {path} is malformed ({error}); fix or remove that file") from error


@lru_cache(maxsize=1)
def profiles() -> tuple[Profile, ...]:
    """Every profile in ingest/profiles/, by file name."""
    return tuple(_load_profile(path) for path in sorted(PROFILE_DIR.glob("*.json")))


def profile_named(name: str) -> Profile:
    found = next((p for p in profiles() if p.name == name), None)
    if found is None:
        known = ", ".join(p.name for p in profiles())
        raise ValueError(f"unknown report profile {name!r}; known profiles: {known}")
    return found


FIRST_PAGES = 5
FIRST_PAGES_CHARS = 20000


def select_profile(blocks: list[Block]) -> Profile:
    """The profile whose publisher the first pages name most often; NO_PROFILE when none is named.

    Example: a report whose first page says "HM Inspectorate of Probation" -> the "hmip" profile; when the first
    pages name no publisher, its closing pages may (the copyright notice).
    """
    first = min((b.pages[0] for b in blocks if b.pages), default=1)
    head = "\n".join(b.text for b in blocks if not b.pages or b.pages[0] < first + FIRST_PAGES)[:FIRST_PAGES_CHARS]
    # a publisher named only at the end (a copyright page: "Ofsted ... Crown copyright") still selects its profile
    return _most_named(head) or _most_named("\n".join(b.text for b in blocks[-BACK_BLOCKS:])) or NO_PROFILE


BACK_BLOCKS = 40  # the closing blocks searched for a publisher when the first pages name none


def _most_named(text: str) -> Profile | None:
    best, best_count = None, 0
    for profile in profiles():
        count = sum(len(re.findall(re.escape(name), text, re.I)) for name in profile.detect)
        if count > best_count:
            best, best_count = profile, count
    return best


def _any_example_start() -> re.Pattern:
    """Any box label a profile knows (retrieval/forms.py strips it from a practice example's text)."""
    alternatives: dict[str, None] = {}
    for profile in (NO_PROFILE, *profiles()):
        unnamed = re.sub(r"\(\?P<\w+>", "(", profile.example_start.pattern)
        alternatives.update(dict.fromkeys(part.removeprefix("^") for part in unnamed.split("|^")))
    return re.compile("|".join(f"^{part}" for part in alternatives))


EXAMPLE_START = _any_example_start()


@dataclass
class Heading:
    title: str
    level: int
    block: Block


@dataclass
class Unit:
    """A run of blocks that becomes one chunk (prose may be split further by the chunker)."""

    kind: str
    blocks: list[Block]
    label: str | None = None
    caption: str | None = None
    source: str | None = None
    polarity: str | None = None
    person: str | None = None
    speaker: str | None = None
    term: str | None = None
    addressed_to: str | None = None
    footnote: int | None = None
    table: Table | None = None
    tight: bool = False  # blocks rendered one per line (tables, figures) rather than as paragraphs


@dataclass
class Outline:
    items: list[Heading | Unit] = field(default_factory=list)
    profile: Profile = NO_PROFILE


def outline(blocks: list[Block], markdown: bool = False, profile: Profile | None = None) -> Outline:
    """Headings and typed units in document order; `profile` defaults to the one the first pages name."""
    profile = profile or select_profile(blocks)
    blocks = split_heading_lines(blocks, profile)
    out = Outline(profile=profile)
    levels = _LevelTracker(profile)
    section_kind = ""
    i = 0
    while i < len(blocks):
        grades = _grade_table(blocks, i, profile) or _section_grade(blocks, i, out)
        if grades is not None:
            unit, i = grades
            out.items.append(unit)
            continue
        heading = _heading(blocks, i, levels, section_kind, markdown) or _graded_title(blocks, i, levels)
        if heading is not None:
            out.items.append(heading)
            levels.titles.setdefault(_part_key(heading.title), heading.level)
            heading.block.statement = heading.block.statement or title_statement(heading.title)
            special = _special_section(heading.title, profile)
            section_kind = special or (section_kind if heading.level > levels.level_of(section_kind) else "")
            if section_kind == "improvement" and not special:
                section_kind = ""  # an improvement list ends at the next heading not itself asking for improvement
            if special:
                levels.special = (section_kind, heading.level)
            i += 1
            continue
        unit, i = _unit(blocks, i, section_kind, out)
        out.items.append(unit)
    return out


# --- headings -------------------------------------------------------------------------------------


class _LevelTracker:
    """Levels of headings recognised by pattern; other headings sit one level below the latest."""

    def __init__(self, profile: Profile = NO_PROFILE) -> None:
        self.profile = profile
        self.stack: list[int] = []
        self.chapter_parts: set[str] = set()
        self.seen_chapter = False
        self.titles: dict[str, int] = {}  # each heading title's first level: "Summary" under every domain
        self.special: tuple[str, int] = ("", 0)

    def level_of(self, section_kind: str) -> int:
        return self.special[1] if section_kind and self.special[0] == section_kind else 0

    def structural(self, level: int) -> int:
        while self.stack and self.stack[-1] >= level:
            self.stack.pop()
        self.stack.append(level)
        return level

    def generic(self) -> int:
        return (self.stack[-1] if self.stack else 0) + 1


def split_heading_lines(blocks: list[Block], profile: Profile = NO_PROFILE) -> list[Block]:
    """A heading glued to its first paragraph becomes two blocks, and so does each bullet line.

    Example: ["Local context", "Here we report on probation services delivered in the ..."] -> two blocks.
    """
    out: list[Block] = []
    in_table = False
    for block in _split_title_grades(_split_inner_improvement_titles(_split_bullets(blocks), profile), profile):
        if TABLE_START.match(block.first_line):
            in_table = True
        elif in_table and _is_caption(block):
            in_table = False
            out.append(block)
            continue
        if len(block.lines) > 1 and _improvement_title(block.lines[0], profile):
            out.extend(_split_improvement_block(block, profile))
        elif (
            not in_table
            and len(block.lines) > 1
            and _heading_like(block.lines[0], profile)
            and len(block.lines[1]) >= 55
            and block.lines[1][:1].isupper()
            and not (label_line(block.lines[0]) and label_line(block.lines[1]))  # "Lead: A" / "Team: B, C, ..."
        ):
            out.extend(_split_block(block, 1))
        else:
            out.append(block)
    return out


def _split_title_grades(blocks: list[Block], profile: Profile) -> list[Block]:
    """A title printed with its subject's grade after it, in a cell of its own or run on in the title's font,
    becomes two blocks: the title, then the grade alone (which `_section_grade` reads as the heading's grade).
    Rows of a grid (numbered, or next to another row) are left to `_grade_table`.

    Example: ["The experiences and progress of children in care   Requires improvement"], then ["Summary"] ->
    ["The experiences and progress of children in care"], ["Requires improvement"], ["Summary"].
    """
    if not profile.grades:
        return blocks
    same_line, _ = _grade_patterns(profile.grades)
    out: list[Block] = []
    for k, block in enumerate(blocks):
        parts = _title_and_grade(block, same_line)
        if parts is None or _beside_grid_row(blocks, k, same_line):
            out.append(block)
            continue
        title, grade = parts
        out += [replace(block, lines=[title], width=len(title), statement=False),
                replace(block, lines=[grade], page_start=False, heading=0, statement=False, width=len(grade),
                        line_pages=block.line_pages[-1:], pages=block.pages[-1:])]
    return out


def _title_and_grade(block: Block, same_line: re.Pattern) -> tuple[str, str] | None:
    """(title, grade) of a block of 1-3 lines the layout marks as a title, or whose grade sits a column away
    on its last line. Example: ["Leadership, management and", "governance   Good"] -> ("Leadership, management
    and governance", "Good")."""
    lines = [line.strip() for line in block.lines]
    if not 0 < len(lines) <= 3 or block.footnote is not None or not (block.heading or "   " in lines[-1]):
        return None
    row = _grid_row(same_line, lines[-1])
    if row is None or any(same_line.match(line) or line.endswith(_END_PUNCTUATION) for line in lines[:-1]):
        return None
    title = " ".join(" ".join([*lines[:-1], row[0]]).split())
    last = title.split()[-1].lower()
    if (len(title) > 120 or len(title.split()) < 2 or not title[:1].isupper() or title.endswith(_END_PUNCTUATION)
            or _LEADING_NUMBER.match(title) or last in _RUN_ON_WORDS or _FINITE_VERB.fullmatch(last)):
        return None
    return title, row[1]


_FINITE_VERB = re.compile(r"is|are|was|were|has|have|had|be|been|will|remains?|requires?", re.I)


def _beside_grid_row(blocks: list[Block], k: int, same_line: re.Pattern) -> bool:
    """The block before or after `blocks[k]` (footnotes aside) is a one-line "judgement   grade" row too."""
    before = next((b for b in reversed(blocks[:k]) if b.footnote is None), None)
    after = next((b for b in blocks[k + 1:] if b.footnote is None), None)
    return any(b is not None and len(b.lines) == 1 and _grid_row(same_line, b.lines[0].strip()) is not None
               for b in (before, after))


def _split_inner_improvement_titles(blocks: list[Block], profile: Profile) -> list[Block]:
    """An improvement heading inside a block, opening a list, starts a block of its own (text without blank
    lines between headings and paragraphs).

    Example: ["Section 2: the board", "Priority and immediate action", "100. None found.",
    "Areas for improvement", "101. Monitor ..."] -> ["Section 2: the board"], then the rest from
    "Priority and immediate action" on (split further into heading and items).
    """
    return [part for block in blocks for part in _split_where(
        block, lambda lines, k: _inner_improvement_title(lines, k, profile))]


def _inner_improvement_title(lines: list[str], k: int, profile: Profile) -> bool:
    """Line k (not the first) is a capitalised improvement title followed by an item or another such title."""
    if k + 1 >= len(lines) or not lines[k][:1].isupper() or not _improvement_title(lines[k], profile):
        return False
    if _improvement_title(lines[k - 1], profile):
        return False  # the list's sub-heading: the block already opens with its heading
    following = lines[k + 1]
    return _starts_item(following) or (
        _improvement_title(following, profile) and k + 2 < len(lines) and _starts_item(lines[k + 2]))


def _improvement_title(line: str, profile: Profile = NO_PROFILE) -> bool:
    """A short line asking for improvement: "Recommendations", "What does the school need to do to improve?"."""
    line = line.strip()
    if not 0 < len(line) <= 90 or line.endswith((".", ",", ";")) or line.startswith(BULLET):
        return False
    if not (line[:1].isupper() or line[:1].isdigit()):
        return False  # "(Recommendation)" closing a paragraph, a wrapped sentence's last line
    if len(line.split()) > 12 or line.split()[-1].lower() in _RUN_ON_WORDS:  # a wrapped sentence
        return False
    return bool(IMPROVEMENT.search(line) or (profile.improvement and profile.improvement.search(line)))


def _starts_item(line: str) -> bool:
    line = line.strip()
    return bool(NUMBERED_ITEM.match(line) or NUMBERED_MARKER.match(line) or line.startswith(BULLET))


def _item_or_title_starts(lines: list[str], k: int, profile: Profile) -> bool:
    """Line k starts an item or a heading, or follows a heading."""
    return _starts_item(lines[k]) or _improvement_title(lines[k], profile) or _improvement_title(lines[k - 1], profile)


def _split_improvement_block(block: Block, profile: Profile) -> list[Block]:
    """An improvement heading glued to its list: the heading, each sub-heading and each item become blocks.

    Example: ["What does the council need to improve?", "Areas for improvement", "18. Ensure ...", "more"]
    -> four blocks: the two headings, then "18. Ensure ... more".
    """
    return _split_where(block, lambda lines, k: _item_or_title_starts(lines, k, profile)
                        or _closing_title(lines, k, profile))


def _closing_title(lines: list[str], k: int, profile: Profile) -> bool:
    """Line k is a title between a finished item and the next numbered paragraph: the list ends there.

    Example: ["102. Monitor ... offer.", "Key strengths and weaknesses", "103. Governance ..."] -> True at k=1.
    """
    return (k + 1 < len(lines) and _SENTENCE_END_LINE.search(lines[k - 1]) is not None
            and _heading_like(lines[k], profile) and NUMBERED_ITEM.match(lines[k + 1].strip()) is not None)


def _split_where(block: Block, starts) -> list[Block]:
    """The block cut before every line k >= 1 for which `starts(lines, k)` holds."""
    out: list[Block] = []
    while len(block.lines) > 1:
        cut = next((k for k in range(1, len(block.lines)) if starts(block.lines, k)), None)
        if cut is None:
            break
        head, block = _split_block(block, cut)
        out.append(head)
    out.append(block)
    return out


def _split_bullets(blocks: list[Block]) -> list[Block]:
    """Example: ["and Stoke", "• Protecting the public"] -> ["and Stoke"], ["• Protecting the public"]."""
    return [part for block in blocks for part in _split_where(block, lambda lines, k: lines[k].startswith("•"))]


def _split_block(block: Block, cut: int) -> tuple[Block, Block]:
    head = Block(block.lines[:cut], sorted(set(block.line_pages[:cut])) or block.pages[:1], block.page_start,
                 None, max(len(line) for line in block.lines[:cut]), block.line_pages[:cut])
    tail = Block(block.lines[cut:], sorted(set(block.line_pages[cut:])) or block.pages[-1:], False, None,
                 max(len(line) for line in block.lines[cut:]), block.line_pages[cut:])
    return head, tail


def _heading_like(line: str, profile: Profile = NO_PROFILE) -> bool:
    line = line.strip()
    return (
        0 < len(line) <= 70
        and len(line.split()) <= 9
        and (line[:1].isupper() or line[:1].isdigit())
        and (not line.endswith(_END_PUNCTUATION) or bool(_ENDS_IN_ACRONYM.search(line)))
        and "," not in line  # titles here carry no commas; a wrapped sentence often does
        and line.split()[-1].lower() not in _RUN_ON_WORDS
        and not profile.example_start.match(line)
        and not TABLE_START.match(line)
        and not FIGURE_START.match(line)
        and not line.startswith(("•", "-", "–", "Source:"))
        and not re.match(r"^[\d.,%£\s-]+$", line)
    )


def _heading(blocks: list[Block], i: int, levels: _LevelTracker, section_kind: str, markdown: bool):
    block = blocks[i]
    text = block.text
    md = MARKDOWN_HEADING.match(block.first_line) if markdown and len(block.lines) == 1 else None
    if md:
        return Heading(md.group(2), levels.structural(len(md.group(1))), block)
    if block.heading and _titled_by_layout(block, levels.profile) and section_kind != "glossary":
        return Heading(text, levels.structural(block.heading) if block.heading > 0 else _level_for(text, block, levels),
                       block)
    if _continues_previous_line(blocks, i) or (levels.profile.not_headings and
                                               levels.profile.not_headings.fullmatch(text)):
        return None  # "Lead inspectors: A, His Majesty's Inspector, and B," / "His Majesty's Inspector"
    chapter = CHAPTER.match(text)
    if chapter and block.page_start and len(text) <= 120 and not text.endswith("."):
        levels.seen_chapter = True
        levels.chapter_parts = _chapter_parts(blocks, i + 1)
        return Heading(f"{chapter.group(1)}. {chapter.group(2)}", levels.structural(1), block)
    if APPENDIX.match(text) and len(text) <= 120:
        levels.seen_chapter = True
        levels.chapter_parts = set()
        return Heading(text, levels.structural(1), block)
    profile = levels.profile
    if section_kind != "glossary" and len(block.lines) == 1 and _improvement_title(text, profile) and not (
            _heading_like(text, profile)) and _followed_by_list(blocks, i, profile):
        return Heading(text, _level_for(text, block, levels), block)
    if section_kind == "glossary" or len(block.lines) != 1 or not _heading_like(text, profile):
        return None
    if not _followed_by_body(blocks, i, profile) and not (
            _improvement_title(text, profile) and _followed_by_list(blocks, i, profile)):
        return None
    return Heading(text, _level_for(text, block, levels), block)


def _continues_previous_line(blocks: list[Block], i: int) -> bool:
    """The block before ends mid-sentence on a comma or a joining word, so this line finishes it (a signature's
    role, a wrapped list of names), whatever its shape. Example: "..., and Matthew Reed," then "HM Inspector"."""
    previous = next((b for b in reversed(blocks[:i]) if b.footnote is None), None)
    if previous is None or not previous.lines or not previous.lines[-1].strip() or blocks[i].page_start:
        return False  # a new page may open with a title whatever ended the last one
    last = previous.lines[-1].rstrip()
    return last.endswith((",", "&")) or last.split()[-1].lower() in _RUN_ON_WORDS


def _titled_by_layout(block: Block, profile: Profile) -> bool:
    """A PDF line its outline or its big font marks as a title, and that reads as one: a single line, not a
    sentence, a grid row or a grade word ("What needs to improve?", "Children in care: good")."""
    text = block.text
    return (len(block.lines) == 1 and 0 < len(text) <= 150 and (text[:1].isupper() or text[:1].isdigit())
            and not text.endswith((".", ",", ";")) and "   " not in block.lines[0] and text not in profile.grades
            and not text.startswith(BULLET))


def _followed_by_list(blocks: list[Block], i: int, profile: Profile) -> bool:
    """An improvement heading followed by an item, or by a sub-heading asking for improvement."""
    for block in blocks[i + 1 : i + 3]:
        if block.footnote is not None:
            continue
        return _starts_item(block.first_line) or (len(block.lines) == 1 and _improvement_title(block.text, profile))
    return False


def _level_for(title: str, block: Block, levels: _LevelTracker) -> int:
    key = _part_key(title)
    profile = levels.profile
    if not levels.seen_chapter and block.page_start:
        # a title met before keeps its level when it opens a page ("Inspection findings" of each domain)
        return levels.structural(levels.titles.get(key, 1))
    if key in levels.chapter_parts or key in {_part_key(d) for d in profile.domains}:
        return levels.structural(2)
    if profile.organisation_block and profile.organisation_block.match(title.strip()):
        return levels.structural(3)
    return levels.generic()


def _part_key(title: str) -> str:
    """Example: "• the national context" -> "national context"."""
    return re.sub(r"^(?:•\s*)?(?:the\s+)?", "", title.strip().lower())


def _chapter_parts(blocks: list[Block], start: int) -> set[str]:
    """The bullet list on a chapter's cover names its parts."""
    parts = set()
    for block in blocks[start : start + 12]:
        if not block.first_line.startswith("•"):
            break
        parts.add(_part_key(block.text.lstrip("• ")))
    return parts


def _followed_by_body(blocks: list[Block], i: int, profile: Profile = NO_PROFILE) -> bool:
    """A title line is followed by prose, a table or figure, or another title."""
    for block in blocks[i + 1 : i + 4]:
        if block.footnote is not None:
            continue
        first = block.first_line
        if len(block.text) >= 50 or TABLE_START.match(first) or FIGURE_START.match(first):
            return True
        if profile.example_start.match(first) or first.startswith(QUOTE_OPEN):
            return True
        return len(block.lines) == 1 and _heading_like(first, profile)
    return False


def _special_section(title: str, profile: Profile = NO_PROFILE) -> str:
    lowered = title.lower()
    for name in ("glossary", "key facts"):
        if name in lowered:
            return name
    if _improvement_title(title, profile) and not CHAPTER.match(title):
        return "improvement"  # a list asking for improvement: numbered, "1." alone, or bulleted items
    if "recommendations" in lowered:
        return "recommendations"  # a chapter about them: only "1. Text" items
    return ""


# --- units ---------------------------------------------------------------------------------------


def _unit(blocks: list[Block], i: int, section_kind: str, out: Outline) -> tuple[Unit, int]:
    block = blocks[i]
    first = block.first_line
    profile = out.profile
    if block.footnote is not None:
        return Unit(kinds.FOOTNOTE, [block], label=f"Footnote {block.footnote}", footnote=block.footnote), i + 1
    if TABLE_START.match(first):
        return _table_unit(blocks, i)
    if FIGURE_START.match(first):
        return _figure_unit(blocks, i)
    if profile.example_start.match(first):
        return _example_unit(blocks, i, profile)
    if first.startswith(QUOTE_OPEN):
        return _quote_unit(blocks, i, profile)
    if section_kind == "glossary":
        return _glossary_unit(blocks, i)
    if section_kind == "key facts" and KEY_FACT.match(block.text):
        match = KEY_FACT.match(block.text)
        return Unit(kinds.KEY_FACT, [block], label=match.group(1), caption=match.group(2)), i + 1
    if section_kind in ("recommendations", "improvement") and _list_goes_on(out, first):
        unit = _recommendation_unit(blocks, i, out, any_item=section_kind == "improvement")
        if unit is not None:
            return unit
    return Unit(kinds.TEXT, [block]), i + 1


GRADE_TABLE_LABEL = "Judgements"
_LEADING_NUMBER = re.compile(r"^\d{1,2}(?:\.\d{1,2})*\.?\s+")


def _grade_table(blocks: list[Block], i: int, profile: Profile) -> tuple[Unit, int] | None:
    """Judgement lines with the profile's grade words ("Leadership, management and governance   Inadequate",
    the judgement wrapped with its grade beside the last line, or the judgement on one line and its grade on
    the next) become one table: judgement -> grade, the grade spelt as the profile spells it."""
    if not profile.grades:
        return None
    same_line, alone = _grade_patterns(profile.grades)
    rows: list[list[str]] = []
    j = i + 1 if _grid_header(blocks[i], alone) else i  # "Judgement   Grade" heads the grid, not a section
    while j < len(blocks) and blocks[j].footnote is None:
        lines = [line.strip() for line in blocks[j].lines]
        if all(_grid_row(same_line, line) and len(line) <= 120 for line in lines):
            rows.extend(_grade_row(*_grid_row(same_line, line), profile.grades) for line in lines)
            j += 1
        elif _wrapped_row(lines, same_line):  # the grade printed level with the label's last line
            label, grade_word = _grid_row(same_line, lines[-1])
            rows.append(_grade_row(_judgement([*lines[:-1], label]), grade_word, profile.grades))
            j += 1
        elif (j + 1 < len(blocks) and len(lines) <= 3 and len(_judgement(lines)) <= 120
              and not blocks[j].text.endswith((".", ":")) and not alone.match(blocks[j].text)
              and alone.match(blocks[j + 1].text.strip())):
            rows.append(_grade_row(_judgement(lines), blocks[j + 1].text.strip(), profile.grades))
            j += 2
        else:
            break
    if len(rows) < 2:
        return None
    table = Table(GRADE_TABLE_LABEL, "Judgements and grades", None, ["Judgement", "Grade"], rows, complete=True)
    return Unit(kinds.TABLE, blocks[i:j], label=GRADE_TABLE_LABEL, caption=table.caption, table=table,
                tight=True), j


@lru_cache(maxsize=8)
def _grade_patterns(grades: tuple[str, ...]) -> tuple[re.Pattern, re.Pattern]:
    """(a row "judgement grade", a grade alone); a grade's first letter as the profile has it, the rest in any
    case ("Requires Improvement"), longest grade first ("Requires improvement to be good")."""
    grade = "|".join(re.escape(g[:1]) + f"(?i:{re.escape(g[1:])})" for g in sorted(grades, key=len, reverse=True))
    return re.compile(rf"^(.*[A-Za-z].*?)\s+({grade})$"), re.compile(rf"^(?:{grade})$")


def _grid_header(block: Block, alone: re.Pattern) -> bool:
    """A one-line row of two short column titles, neither a grade: "Judgement   Grade"."""
    cells = block.lines[0].split("   ") if len(block.lines) == 1 else []
    return len(cells) == 2 and all(0 < len(c.split()) <= 3 and not alone.match(c.strip()) for c in cells)


def _grid_row(same_line: re.Pattern, line: str) -> tuple[str, str] | None:
    """(judgement, grade) of a grid row; not a list entry stating a grade ("• Overall effectiveness: Good")."""
    match = same_line.match(line)
    if match is None or match.group(1).rstrip().endswith(":") or match.group(1).startswith(BULLET):
        return None
    return match.group(1), match.group(2)


def _wrapped_row(lines: list[str], same_line: re.Pattern) -> bool:
    """A judgement wrapped over 2-3 lines, its grade a column away on the last one.

    Example: ["The impact of leaders on social work practice with children", "and families   Good"].
    """
    return (1 < len(lines) <= 3 and "   " in lines[-1] and _grid_row(same_line, lines[-1]) is not None
            and not any(same_line.match(line) or line.endswith((".", ":", ";")) for line in lines[:-1])
            and len(" ".join(lines)) <= 160)


SECTION_GRADE_LABEL = "Judgement"


def _graded_title(blocks: list[Block], i: int, levels: _LevelTracker) -> Heading | None:
    """A title wrapped over a few lines with a grade word alone after it is a heading (its grade follows).

    Example: ["The experiences and progress of", "children who need help and", "protection"], then "Inadequate".
    """
    block, grades = blocks[i], levels.profile.grades
    if not grades or i + 1 >= len(blocks) or blocks[i + 1].text.strip() not in grades or block.text in grades:
        return None
    title = " ".join(line.strip() for line in block.lines)
    if len(block.lines) > 3 or len(title) > 120 or not title[:1].isupper() or title.endswith(_END_PUNCTUATION):
        return None
    return Heading(title, _level_for(title, block, levels), block)


def _section_grade(blocks: list[Block], i: int, out: Outline) -> tuple[Unit, int] | None:
    """A grade word alone right under a heading grades that heading's subject: a one-row table, not a heading.

    Example: heading "Leadership, management and governance", then "Inadequate".
    """
    text = blocks[i].text.strip()
    if text not in out.profile.grades or not out.items or not isinstance(out.items[-1], Heading):
        return None
    title = out.items[-1].title
    table = Table(SECTION_GRADE_LABEL, title, None, ["Judgement", "Grade"], [_grade_row(title, text)], complete=True)
    return Unit(kinds.TABLE, [blocks[i]], label=SECTION_GRADE_LABEL, caption=title, table=table, tight=True), i + 1


def _judgement(lines: list[str]) -> str:
    """The judgement a grade follows: from its number on, when a title line precedes it.

    Example: ["Children's services in X are good", "1. Children who need help"] -> "1. Children who need help".
    """
    start = max((k for k, line in enumerate(lines) if _LEADING_NUMBER.match(line)), default=0)
    return " ".join(lines[start:])


def _grade_row(judgement: str, grade: str, grades: tuple[str, ...] = ()) -> list[str]:
    """Example: ("1. Children who need help and protection", "Inadequate") -> without the "1."; a judgement's
    closing full stop dropped, the grade spelt as in `grades` ("Requires Improvement" -> "Requires improvement")."""
    spelt = next((g for g in grades if g.lower() == grade.strip().lower()), grade)
    return [_LEADING_NUMBER.sub("", " ".join(judgement.split())).rstrip(" .;"), spelt]


def _table_unit(blocks: list[Block], i: int) -> tuple[Unit, int]:
    number = TABLE_START.match(blocks[i].first_line).group(1)
    j = i + 1
    while j < len(blocks) and j - i < 120:
        block = blocks[j]
        if _is_caption(block):
            break
        j += 1
    if j >= len(blocks) or j - i >= 120:  # no caption found: keep only the title line as the table
        return Unit(kinds.TABLE, [blocks[i]], label=f"Table {number}", tight=True), i + 1
    caption_block, rest = _split_after_sentence(blocks[j])
    if rest is not None:
        blocks.insert(j + 1, rest)
    body = [b for b in blocks[i + 1 : j] if b.footnote is None]
    caption, source = _caption_and_source(caption_block.text)
    table = recover_table(number, caption, source, [b.lines for b in body])
    unit = Unit(kinds.TABLE, blocks[i : j + 1], label=f"Table {number}", caption=caption, source=source,
                table=table, tight=True)
    return unit, j + 1


def _is_caption(block: Block) -> bool:
    return (
        block.footnote is None
        and not NUMBERED_ITEM.match(block.first_line)
        and (block.width >= CAPTION_MIN_WIDTH or "Source:" in block.text)
    )


def _split_after_sentence(block: Block) -> tuple[Block, Block | None]:
    """A caption ends at the first line ending a sentence; text after it is a new paragraph."""
    for k, line in enumerate(block.lines):
        if line.rstrip().endswith(".") and k + 1 < len(block.lines):
            return _split_block(block, k + 1)
    return block, None


def _caption_and_source(text: str) -> tuple[str, str | None]:
    """Example: "List of X. Source: NPS." -> ("List of X.", "NPS.")."""
    if "Source:" in text:
        caption, source = text.split("Source:", 1)
        return caption.strip(), source.strip()
    return text.strip(), None


def _figure_unit(blocks: list[Block], i: int) -> tuple[Unit, int]:
    match = FIGURE_START.match(blocks[i].text)
    number, caption = match.group(1), match.group(2).strip()
    j = i + 1
    if not caption and j < len(blocks) and blocks[j].width >= 40 and blocks[j].footnote is None:
        caption = blocks[j].text
        j += 1
    if j < len(blocks) and blocks[j].first_line.startswith("Source:"):
        caption = f"{caption} {blocks[j].text}".strip()
        j += 1
    caption, source = _caption_and_source(caption)
    unit = Unit(kinds.FIGURE, blocks[i:j], label=f"Figure {number}", caption=caption or None, source=source,
                tight=True)
    return unit, j


def _example_unit(blocks: list[Block], i: int, profile: Profile = NO_PROFILE) -> tuple[Unit, int]:
    match = profile.example_start.match(blocks[i].first_line)
    found = match.groupdict()
    polarity = (found.get("polarity") or profile.example_polarity or "") or None
    polarity = polarity.lower() if polarity else None
    label = found.get("label") or found.get("case") or f"{found.get('polarity')} practice example"
    j = i + 1
    while j < len(blocks) and _continues_example(blocks[j], profile):
        j += 1
    body = " ".join(b.text for b in blocks[i:j])
    unit = Unit(kinds.PRACTICE_EXAMPLE, blocks[i:j], label=label, polarity=polarity,
                person=find_person(body[match.end() :], profile))
    return unit, j


def _continues_example(block: Block, profile: Profile = NO_PROFILE) -> bool:
    first = block.first_line
    return (
        block.footnote is None
        and block.width <= BOXED_MAX_WIDTH
        and not block.text.endswith(":")
        and not profile.example_start.match(first)
        and not TABLE_START.match(first)
        and not FIGURE_START.match(first)
        and not first.startswith(QUOTE_OPEN)
        and not (len(block.lines) == 1 and _heading_like(first, profile))
    )


# Capitalised words that start sentences or name things, never a person; a profile adds its own.
_NOT_NAMES = {
    "The", "This", "That", "There", "These", "They", "Their", "He", "She", "His", "Her", "It", "In", "On", "At",
    "One", "Time", "Despite", "While", "When", "Since", "Given", "During", "Overall", "Instead", "Moreover",
    "Following", "Pre", "Key", "Subsequent", "Additional", "Among", "Mid", "England", "January", "February",
    "March", "April", "July", "September", "October", "November", "December", "Good", "Poor", "As", "A", "An",
}


def find_person(text: str, profile: Profile = NO_PROFILE) -> str | None:
    """The pseudonymised name an example is about, when it gives one.

    Example: "Arthur is a 53 year old convicted of burglary" -> "Arthur";
    "One barrier in June’s case was her lack of funds" -> "June".
    """
    not_names = _NOT_NAMES | profile.not_names
    lead = re.match(r"([A-Z][a-z]{2,})(?:,|\s(?:is|was|has|had)\b)", text)
    if lead and lead.group(1) not in not_names:
        return lead.group(1)
    for pattern in (r"\b([A-Z][a-z]{2,})’s\b", r"(?<=[a-z,] )([A-Z][a-z]{2,})\b"):
        for candidate in re.findall(pattern, text):
            if candidate not in not_names:
                return candidate
    return None


def _quote_unit(blocks: list[Block], i: int, profile: Profile = NO_PROFILE) -> tuple[Unit, int]:
    j = i
    while j < len(blocks) - 1 and not QUOTE_CLOSE.search(blocks[j].text) and j - i < 5:
        j += 1
    lead_in = blocks[i - 1].text if i > 0 else ""
    return Unit(kinds.QUOTE, blocks[i : j + 1], speaker=speaker_role(lead_in, profile)), j + 1


_SPEAKER_CUES = (
    ("service user", ("service user",)),
    ("sentencer", ("magistrate", "judge", "sentencer")),
    ("inspector", ("inspector", "we noted")),
    ("staff", ("officer", "manager", "staff", "director", "practitioner", "team")),
)


def speaker_role(lead_in: str, profile: Profile = NO_PROFILE) -> str | None:
    """Who is quoted, from the sentence introducing the quote.

    Example: "A service user observed:" -> "service user"; "one inspector noted:" -> "inspector".
    """
    lowered = lead_in.lower()[-200:]
    extra = dict(profile.speaker_cues)
    roles = [(role, keys + extra.pop(role, ())) for role, keys in _SPEAKER_CUES] + list(extra.items())
    for role, keys in roles:
        if any(key in lowered for key in keys):
            return role
    return None


def _glossary_unit(blocks: list[Block], i: int) -> tuple[Unit, int]:
    block = blocks[i]
    if _is_term_only(block) and i + 1 < len(blocks) and not _is_term_only(blocks[i + 1]):
        return Unit(kinds.GLOSSARY, blocks[i : i + 2], term=block.text, label=block.text), i + 2
    term = glossary_term(block.text)
    return Unit(kinds.GLOSSARY, [block], term=term, label=term), i + 1


def _is_term_only(block: Block) -> bool:
    """A term set over several short lines in the term column: "Active Risk / Management / System"."""
    return len(block.lines) > 1 and all(len(line) <= 26 for line in block.lines) and not block.text.endswith(
        (".", ":"))


def glossary_term(entry: str) -> str:
    """The term an entry defines, where term and definition were flattened onto one line.

    Examples: "ATR Alcohol Treatment Requirement: a ..." -> "ATR"; "Rate card Offending behaviour ..." ->
    "Rate card"; "Through the Gate Through the Gate services ..." -> "Through the Gate".
    """
    repeated = re.match(r"^(.{2,40}?) \1\b", entry)
    if repeated:
        return repeated.group(1)
    tokens = entry.split()
    if re.search(r"[A-Z].*[A-Z0-9]|^[a-z]+[A-Z]", tokens[0]):
        return tokens[0]
    term = [tokens[0]]
    for token in tokens[1:4]:
        if token[:1].isupper():
            break
        term.append(token)
    return " ".join(term) if len(term) < 4 else tokens[0]


def _list_goes_on(out: Outline, first_line: str) -> bool:
    """A list's items follow its heading or each other (footnotes aside): after a paragraph of prose, numbered
    paragraphs are the report's own numbering, not more items ("150. Ensure ...", prose, "157. The board ...").
    Nor does a list of bullets go on into numbered paragraphs ("◼ The quality of plans." then "1. Services ...");
    bullets under a numbered item do ("7. Improve ... by ensuring that:", "• ...", "8. ...")."""
    listed: list[Unit] = []
    for item in reversed(out.items):
        if isinstance(item, Unit) and item.kind == kinds.FOOTNOTE:
            continue
        if not isinstance(item, Unit) or item.kind != kinds.RECOMMENDATION:
            if listed or not isinstance(item, Unit):
                break
            return False
        listed.append(item)
    if listed and _numbered(first_line):
        return any(_numbered(block.first_line) for unit in listed for block in unit.blocks)
    return True


def _numbered(line: str) -> bool:
    """Example: "10. Ensure ..." or "9." alone -> True; "◼ The quality ..." -> False."""
    return bool(NUMBERED_ITEM.match(line.strip()) or NUMBERED_MARKER.match(line.strip()))


def _recommendation_unit(blocks: list[Block], i: int, out: Outline, any_item: bool = True
                         ) -> tuple[Unit, int] | None:
    """One numbered or bulleted item of a list asking for improvement.

    "The X should:" sets who the following items are addressed to. An item is "1. Text", a bare "1." then its
    text, or a bullet (`any_item`; else only "1. Text"); its wrapped lines that became blocks stay with it.
    """
    starts = _starts_item if any_item else (lambda text: bool(NUMBERED_ITEM.match(text)))
    addressee_blocks: list[Block] = []
    j = i
    if ADDRESSEE.match(blocks[j].text):
        addressee_blocks = [blocks[j]]
        j += 1
    if j >= len(blocks) or not starts(blocks[j].text):
        return None
    addressed_to = (
        ADDRESSEE.match(addressee_blocks[0].text).group(1) if addressee_blocks else _last_addressee(out)
    )
    if any_item:
        _split_next_item(blocks, j)
    first = blocks[j].text.strip()
    numbered = NUMBERED_ITEM.match(first) or NUMBERED_MARKER.match(first)
    number = numbered.group(1) if numbered else str(_items_since_heading(out) + 1)
    end = j + 1
    if NUMBERED_MARKER.match(first) and end < len(blocks) and blocks[end].footnote is None and not starts(
            blocks[end].text):
        end += 1  # the bare marker's text
    while end < len(blocks) and _item_goes_on(blocks[end], starts, any_item, out.profile):
        end += 1
    unit = Unit(kinds.RECOMMENDATION, blocks[i:end], label=f"Recommendation {number}", addressed_to=addressed_to)
    return unit, end


def _item_goes_on(block: Block, starts, any_item: bool, profile: Profile) -> bool:
    """`block` is a wrapped line of the item before it: not a new item, addressee, footnote, page or title."""
    if starts(block.text) or ADDRESSEE.match(block.text) or block.footnote is not None or block.page_start:
        return False
    if len(block.lines) >= 3 or block.heading:
        return False
    return not (any_item and len(block.lines) == 1 and _heading_like(block.text, profile))


def _split_next_item(blocks: list[Block], j: int) -> None:
    """Items printed without a gap share a block: cut it where the next number starts a line.

    Example: ["18. Ensure that ...", "review in line ...", "19. The authority ..."] -> cut before "19.".
    """
    block = blocks[j]
    first = NUMBERED_ITEM.match(block.first_line.strip())
    if first is None:
        return
    following = f"{int(first.group(1)) + 1}."
    cut = next((k for k, line in enumerate(block.lines) if k and line.strip().startswith(following + " ")), None)
    if cut is not None:
        blocks[j : j + 1] = list(_split_block(block, cut))


def _items_since_heading(out: Outline) -> int:
    count = 0
    for item in reversed(out.items):
        if isinstance(item, Heading):
            break
        count += isinstance(item, Unit) and item.kind == kinds.RECOMMENDATION
    return count


def _last_addressee(out: Outline) -> str | None:
    for item in reversed(out.items):
        if isinstance(item, Unit) and item.kind == kinds.RECOMMENDATION:
            return item.addressed_to
    return None
