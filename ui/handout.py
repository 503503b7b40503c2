"""A trainer's handout: answers and practice examples collected in the app, exported as Markdown or .docx.

Pure functions over small records; every quote carries the section and pages it came from, so a handout
can be checked against the report without the app.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

from ingest.records import Chunk
from retrieval.records import Answer
from ui.downloads import fresh_folder
from ui.render import drop_footnote_marks, pages_text

DEFAULT_TITLE = "Handout"


@dataclass(frozen=True)
class Quote:
    text: str  # verbatim from the report
    section: str  # section path, " > " joined
    pages: tuple[int, ...]
    marker: int | None = None  # the answer's [n], when the quote backs an answer
    report: str | None = None  # the report's title, when the answer came from a library of reports

    @property
    def reference(self) -> str:
        """Example: "Reducing reoffending > Delivery, p. 44"; a quote with no known page says so; a quote
        from a library names its report first ("Birmingham: Re-inspection ..., Recommendations, p. 8")."""
        where = f"{self.section}, {pages_text(self.pages) if self.pages else 'page not known'}"
        return f"{self.report}, {where}" if self.report else where


@dataclass(frozen=True)
class HandoutItem:
    heading: str  # the question, or the example's title
    body: str  # the answer text with its [n] markers; empty for an example (the quote is the body)
    quotes: tuple[Quote, ...] = field(default_factory=tuple)
    kind: str = "answer"  # "answer" | "example"


def item_from_answer(answer: Answer) -> HandoutItem:
    """An answer with one quote per citation; an abstained answer keeps only its text. Footnote marks
    ("CRC² ³") are dropped: the handout carries no footnotes."""
    quotes = tuple(Quote(drop_footnote_marks(c.quote), c.section, tuple(c.pages), c.marker,
                         (c.report or {}).get("title") or None)
                   for c in answer.citations)
    return HandoutItem(heading=answer.question, body=drop_footnote_marks(answer.answer), quotes=quotes,
                       kind="answer")


def item_from_example(chunk: Chunk) -> HandoutItem:
    """A practice example: the whole passage is the quote."""
    polarity = f"{chunk.polarity.capitalize()} practice" if chunk.polarity else "Practice example"
    who = f" – {chunk.person}" if chunk.person else ""
    org = f" ({chunk.organisation})" if chunk.organisation else ""
    quote = Quote(drop_footnote_marks(chunk.text), chunk.section_text, tuple(chunk.pages))
    return HandoutItem(heading=f"{polarity}{org}{who}", body="", quotes=(quote,), kind="example")


def sheet_title(title: str, manifest=None, kind: str = "Handout") -> str:
    """A handout's (or quiz's) title naming the report, its publisher and its date.

    Example: ("Staffordshire and Stoke 2017", manifest of HM Inspectorate of Probation, 2017-01) ->
    "Handout: Staffordshire and Stoke 2017 (HM Inspectorate of Probation, January 2017)".
    """
    publisher = (getattr(manifest, "publisher", "") or "").strip()
    date = readable_date(getattr(manifest, "date", "") or "")
    about = ", ".join(filter(None, [publisher, date]))
    return f"{kind}: {title}" + (f" ({about})" if about else "")


_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")


def readable_date(iso: str) -> str:
    """Example: "2016-11-25" -> "25 November 2016"; "2017-01" -> "January 2017"; "2017" -> "2017"; "" -> ""."""
    parts = iso.strip().split("-")
    if len(parts) >= 2 and parts[1].isdigit() and 1 <= int(parts[1]) <= 12:
        month = f"{_MONTHS[int(parts[1]) - 1]} {parts[0]}"
        return f"{int(parts[2])} {month}" if len(parts) == 3 and parts[2].isdigit() else month
    return iso.strip()


def add_item(items: list[HandoutItem], item: HandoutItem) -> list[HandoutItem]:
    """A new list with `item` appended, unless the same item is already there (double clicks)."""
    return list(items) if item in items else [*items, item]


def remove_items(items: list[HandoutItem], positions: list[int]) -> list[HandoutItem]:
    """A new list without the items at `positions` (0-based); positions out of range are ignored.

    Example: [a, b, c] without [1] -> [a, c].
    """
    gone = set(positions)
    return [item for number, item in enumerate(items) if number not in gone]


def move_item(items: list[HandoutItem], position: int, step: int) -> tuple[list[HandoutItem], int]:
    """A new list with the item at `position` moved `step` places (-1 up, +1 down), clamped to the ends,
    and the item's new position. Example: [a, b, c], 2, -1 -> ([a, c, b], 1)."""
    moved = list(items)
    if not 0 <= position < len(moved):
        return moved, position
    target = min(max(position + step, 0), len(moved) - 1)
    moved.insert(target, moved.pop(position))
    return moved, target


def item_label(number: int, item: HandoutItem) -> str:
    """How an item is named in the handout's item list. Example: (1, ATR answer) -> "1. What does ATR …"."""
    heading = " ".join(item.heading.split())
    return f"{number}. {heading[:77] + '…' if len(heading) > 78 else heading}"


def item_choices(items: list[HandoutItem]) -> list[tuple[str, str]]:
    """(label, position) per item, positions as strings ("0", "1", …) for a checkbox group."""
    return [(item_label(number, item), str(number - 1)) for number, item in enumerate(items, 1)]


def positions_of(selected: list[str] | None, items: list[HandoutItem]) -> list[int]:
    """Checkbox values back to positions; anything not a current position is dropped (stale page)."""
    return sorted({int(v) for v in selected or [] if str(v).isdigit() and int(v) < len(items)})


def write_files(items: list[HandoutItem], title: str = DEFAULT_TITLE) -> list[str]:
    """Write the handout as handout.md and handout.docx into a fresh temporary folder; returns their paths."""
    folder = fresh_folder("handout")
    markdown = folder / "handout.md"
    markdown.write_text(handout_markdown(items, title), encoding="utf-8")
    docx = folder / "handout.docx"
    docx.write_bytes(handout_docx(items, title))
    return [str(markdown), str(docx)]


def handout_markdown(items: list[HandoutItem], title: str = DEFAULT_TITLE) -> str:
    """The handout as Markdown; "<" is escaped so any renderer shows report text as text.

    Example: one answer -> "# Handout\\n\\n## 1. What does ATR stand for?\\n\\nATR ... [1]\\n\\n> ATR ...
    \\n>\\n> — [1] Appendix 4: Glossary, p. 61".
    """
    parts = [f"# {plain_md(title)}"]
    if not items:
        parts.append("*Nothing added yet: use “Add to handout” on an answer or a practice example.*")
    for number, item in enumerate(items, 1):
        # An answer's heading is the user's question: plain text; an example's is the report's own.
        heading = plain_md(item.heading) if item.kind == "answer" else _md(item.heading)
        parts.append(f"## {number}. {heading}")
        if item.body:
            parts.append(_md(item.body))
        parts += [_quote_markdown(q) for q in item.quotes]
    return "\n\n".join(parts) + "\n"


def _quote_markdown(quote: Quote) -> str:
    lines = [f"> {_md(line)}" if line.strip() else ">" for line in quote.text.splitlines()]
    marker = f"[{quote.marker}] " if quote.marker else ""
    return "\n".join([*lines, ">", f"> — {marker}{_md(quote.reference)}"])


def _md(text: str) -> str:
    """Only "<" is escaped: it alone can open a tag, and the file stays readable as plain text.

    Example: "<b> & Stoke > Delivery" -> "&lt;b> & Stoke > Delivery".
    """
    return text.replace("<", "&lt;")


# Every ASCII character Markdown (GFM with autolinks) or HTML can read as syntax.
_MARKUP = re.compile(r"[\\`*_{}\[\]()#+\-.!|~>:@$&]")


def plain_md(text: str) -> str:
    """User-supplied text as inert Markdown: markup characters backslash-escaped, "<" as "&lt;".

    Example: "![x](http://h/p.png)" -> "\\!\\[x\\]\\(http\\://h/p\\.png\\)": shown literally, nothing fetched.
    """
    return _MARKUP.sub(lambda m: "\\" + m.group(), text).replace("<", "&lt;")


def conversation_markdown(answers: list[dict], title: str) -> str:
    """A saved conversation as Markdown: each question, its answer and every cited quote with section and
    page. `answers` are Answer JSON objects (as the chat keeps them). Questions are plain text."""
    parts = [f"# {plain_md(title)}: conversation"]
    if not answers:
        parts.append("*No questions asked yet.*")
    for answer in answers:
        citations = [c for c in answer.get("citations") or [] if isinstance(c, dict)]
        quotes = [Quote(drop_footnote_marks(str(c.get("quote") or "")), str(c.get("section") or ""),
                        tuple(int(p) for p in c.get("pages") or []), c.get("marker")) for c in citations]
        parts.append(f"## {plain_md(str(answer.get('question') or ''))}")
        parts.append(_md(drop_footnote_marks(str(answer.get("answer") or ""))))
        parts += [_quote_markdown(q) for q in quotes if q.text]
    return "\n\n".join(parts) + "\n"


def handout_docx(items: list[HandoutItem], title: str = DEFAULT_TITLE) -> bytes:
    """The handout as a .docx file's bytes (python-docx): headings, answers, quotes with their references."""
    from docx import Document
    from docx.shared import Pt

    doc = Document()
    doc.add_heading(title, level=0)
    for number, item in enumerate(items, 1):
        doc.add_heading(f"{number}. {item.heading}", level=1)
        if item.body:
            doc.add_paragraph(item.body)
        for quote in item.quotes:
            doc.add_paragraph(quote.text, style="Quote")
            marker = f"[{quote.marker}] " if quote.marker else ""
            reference = doc.add_paragraph(f"— {marker}{quote.reference}")
            reference.runs[0].font.size = Pt(9)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
