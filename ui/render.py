"""Pure render helpers for the chat app: records in, Markdown / HTML / DataFrames out.

Nothing here imports gradio, so every function is tested without a server or a browser. Every piece of
report or user text is HTML-escaped *before* any markup is added, so `<script>` in a question or in a
report shows as text and never runs.
"""

from __future__ import annotations

import html
import json
import re
import textwrap
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ingest.records import PRACTICE_EXAMPLE, Chunk, Document, Section, Span
from ingest.text import first_number
from retrieval.records import Answer, Citation, Figure, Passage

# How much of a user's message the chat echoes back: a pasted 100,000-character message would
# otherwise flood the page before the engine says it is too long.
MAX_ECHO_CHARS = 600
# Closest passages shown under a "not in the report" answer.
MAX_CLOSEST = 3
ALL = "All"


# ---------- chat messages ----------


def message_text(content: Any) -> str:
    """The text of a chat message's content, whatever shape Gradio delivers it in.

    Gradio 6 hands history back as a list of parts. Example:
    [{"type": "text", "text": "Hi"}, {"type": "text", "text": "there"}] -> "Hi\\nthere"; "Hi" -> "Hi".
    """
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        return str(content.get("text") or "")
    if isinstance(content, Iterable):
        return "\n".join(t for t in (message_text(part) for part in content) if t)
    return str(content)


def normalise_history(history: Sequence[dict] | None) -> list[dict]:
    """History as plain {role, content: str, metadata?} messages, ready to extend and send back."""
    messages = []
    for message in history or []:
        plain = {"role": message.get("role", "assistant"), "content": message_text(message.get("content"))}
        if message.get("metadata"):
            plain["metadata"] = dict(message["metadata"])
        messages.append(plain)
    return messages


def last_question(messages: Sequence[dict]) -> str | None:
    """The user's previous question, as typed (the chat shows it escaped), for follow-ups."""
    for message in reversed(messages):
        if message.get("role") == "user":
            text = html.unescape(message_text(message.get("content"))).replace("&#92;", "\\")
            return text if len(text) <= 2_000 else None
    return None


def user_echo(question: str) -> str:
    """The user's message as the chat shows it: plain text (no Markdown, no HTML), cut when very long.

    Example: "<b>hi</b>" -> "&#60;b&#62;hi&#60;/b&#62;"; "![x](http://h/p.png)" shows literally, fetches nothing.
    """
    if len(question) <= MAX_ECHO_CHARS:
        return plain(question)
    return plain(question[:MAX_ECHO_CHARS]) + f"… *({len(question):,} characters)*"


# Every ASCII character that Markdown (GFM, with autolinks and $…$ maths) or HTML can read as syntax.
_MARKUP = re.compile(r"[\\`*_{}\[\]()#+\-.!|~<>&:@$]")


def plain(text: str) -> str:
    """User-supplied text made inert for a Markdown + HTML renderer: each markup character becomes a
    numeric character reference, which CommonMark never reads as structure (no link, image, emphasis,
    tag or autolink), yet shows as the character itself.

    Example: "[a](http://x)" -> "&#91;a&#93;&#40;http&#58;//x&#41;" (shown as "[a](http://x)").
    """
    return _MARKUP.sub(lambda m: f"&#{ord(m.group())};", text)


def escape(text: str) -> str:
    """HTML-escape, plus the backslash Markdown would otherwise swallow. Example: "a<b" -> "a&lt;b"."""
    return html.escape(text, quote=False).replace("\\", "&#92;")


# Footnote marks glued to a word: "CRC² ³." -> "CRC." (the report's footnotes are not shown with a quote).
_SUPERSCRIPTS = "\u00b9\u00b2\u00b3\u2070\u2074\u2075\u2076\u2077\u2078\u2079"
_FOOTNOTE_MARKS = re.compile(f"(?<=\\S)[{_SUPERSCRIPTS}]+(?:[ ,]*[{_SUPERSCRIPTS}]+)*")


def drop_footnote_marks(text: str) -> str:
    """Example: "with the CRC² ³. The figure" -> "with the CRC. The figure"."""
    return _FOOTNOTE_MARKS.sub("", text)


def shown(text: str) -> str:
    """Report text as people read it: footnote marks dropped, then escaped."""
    return escape(drop_footnote_marks(text))


def pages_text(pages: Sequence[int]) -> str:
    """Example: [8] -> "p. 8"; [8, 9, 10] -> "pp. 8–10"; [] -> ""."""
    if not pages:
        return ""
    if len(pages) == 1:
        return f"p. {pages[0]}"
    return f"pp. {min(pages)}–{max(pages)}"


def short_section(path_text: str, limit: int = 40) -> str:
    """A section path with long titles cut at a word, for accordion titles.

    Example: "3. An evaluation of the quality of probation services in Staffordshire and Stoke > Delivery"
    -> "3. An evaluation of the quality of… > Delivery".
    """
    parts = []
    for title in path_text.split(" > "):
        if len(title) > limit:
            title = title[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"
        parts.append(title)
    return " > ".join(parts)


def highlight(text: str, spans: Sequence[Span]) -> str:
    """`text` escaped for HTML with each span wrapped in <mark>. Spans are offsets in the unescaped text.

    Example: ("a <b> c", [Span(2, 5)]) -> "a <mark>&lt;b&gt;</mark> c".
    """
    pieces, cursor = [], 0
    for span in _clean_spans(spans, len(text)):
        pieces.append(shown(text[cursor : span.start]))
        pieces.append(f"<mark>{shown(text[span.start : span.end])}</mark>")
        cursor = span.end
    pieces.append(shown(text[cursor:]))
    return "".join(pieces)


def _clean_spans(spans: Sequence[Span], length: int) -> list[Span]:
    """Sorted, clipped, non-overlapping spans: a bad offset must not break the page."""
    cleaned: list[Span] = []
    for span in sorted(spans, key=lambda s: (s.start, s.end)):
        start, end = max(0, span.start), min(length, span.end)
        if cleaned and start < cleaned[-1].end:
            start = cleaned[-1].end
        if end > start:
            cleaned.append(Span(start, end))
    return cleaned


def as_span(value: Span | dict | Sequence[int]) -> Span:
    """A span from a record, its JSON form or a pair. Example: {"start": 1, "end": 3} -> Span(1, 3)."""
    if isinstance(value, Span):
        return value
    if isinstance(value, dict):
        return Span(int(value["start"]), int(value["end"]))
    return Span(int(value[0]), int(value[1]))


MARKER = re.compile(r"\[(\d{1,3})\]")


def cite_href(turn: int, marker: int) -> str:
    """The link target of marker [n] of answer `turn` in the conversation. Example: (0, 2) -> "#rq-cite-0-2"."""
    return f"#rq-cite-{turn}-{marker}"


def parse_cite_href(value: str) -> tuple[int, int] | None:
    """Example: "#rq-cite-0-2" (or "0-2", or "#rq-cite-0-2@5" with the page's click count) -> (0, 2);
    anything else -> None."""
    found = re.fullmatch(r"(?:#?rq-cite-)?(\d{1,4})-(\d{1,3})(?:@\d+)?", (value or "").strip())
    return (int(found.group(1)), int(found.group(2))) if found else None


def linked_markers(text: str, markers: set[int], turn: int) -> str:
    """Each [n] of a citation becomes a link that opens the passage in the reader (the page's script
    catches the click). Example: ("80% [1]", {1}, 0) -> "80% [[1]](#rq-cite-0-1)"."""
    def link(found: re.Match) -> str:
        marker = int(found.group(1))
        return f"[[{marker}]]({cite_href(turn, marker)})" if marker in markers else found.group(0)

    return MARKER.sub(link, text)


def answer_markdown(answer: Answer, turn: int | None = None) -> str:
    """The answer with its [n] markers, escaped; an abstention says the closest passages follow.

    With `turn` (the answer's place in the conversation) each [n] is a link to its passage. The sources
    line names each citation, so the copied answer carries them as plain text.
    """
    body = shown(answer.answer)
    if turn is not None and answer.citations and not answer.abstained:
        body = linked_markers(body, {c.marker for c in answer.citations}, turn)
    parts = [body]
    if answer.note:  # the note may repeat the user's words ("Read as: …"): plain text
        parts.append(f"*{plain(answer.note)}*")
    if answer.abstained and answer.passages:
        parts.append("Closest passages in the report, below:")
    elif answer.citations:
        sources = "; ".join(escape(citation_title(c)) for c in answer.citations)
        parts.append(f"Sources: {sources} (open each passage below).")
    return "\n\n".join(parts)


def citation_title(citation: Citation) -> str:
    """Example: "[1] Table 11 · 3. An evaluation > Reducing reoffending · p. 27"; asked across a library,
    the report comes first: "[1] Ofsted: Birmingham (2016) · Table 11 · … · p. 27"."""
    where = _where(citation.label, citation.section, citation.pages)
    source = report_label(getattr(citation, "report", None))
    return f"[{citation.marker}] {source + ' · ' if source else ''}{where}"


def report_label(report: dict | None, limit: int = 60) -> str:
    """Example: {"title": "Inspection of Birmingham", "date": "2016-05"} -> "Inspection of Birmingham (2016-05)"."""
    if not report:
        return ""
    title = str(report.get("title") or report.get("id") or "")
    if len(title) > limit:
        title = title[: limit - 1].rstrip() + "…"
    date = report.get("date")
    return f"{title} ({date})" if date else title


def _where(label: str | None, section: str, pages: Sequence[int]) -> str:
    return " · ".join(x for x in (label, short_section(section), pages_text(pages)) if x)


def citation_message(citation: Citation) -> dict:
    """A collapsed assistant message: the passage with the quoted sentence(s) highlighted."""
    spans = [as_span(s) for s in citation.quote_spans]
    return {
        "role": "assistant",
        "content": highlight(citation.text, spans),
        "metadata": {"title": escape(citation_title(citation)), "status": "done"},
    }


def passage_message(passage: Passage) -> dict:
    title = _where(passage.label, passage.section, passage.pages)
    source = report_label(getattr(passage, "report", None))
    title = f"{source} · {title}" if source else title
    return {
        "role": "assistant",
        "content": shown(passage.text),
        "metadata": {"title": escape(f"Closest passage {passage.rank}: {title}"), "status": "done"},
    }


def answer_messages(answer: Answer, turn: int | None = None) -> list[dict]:
    """The answer message followed by one collapsed message per cited (or, if abstained, closest) passage."""
    messages = [{"role": "assistant", "content": answer_markdown(answer, turn)}]
    if answer.abstained:
        messages += [passage_message(p) for p in answer.passages[:MAX_CLOSEST]]
    else:
        messages += [citation_message(c) for c in answer.citations]
    return messages


def error_message(text: str) -> dict:
    """An error may quote the user's input, so it is shown as plain text."""
    return {"role": "assistant", "content": f"⚠️ {plain(text)}"}


def citation_choices(answer: Answer | None) -> list[tuple[str, str]]:
    """(label, chunk id) pairs for the "open cited passage" picker."""
    if answer is None:
        return []
    if answer.abstained:
        return [(f"Closest {p.rank}: {short_section(p.section)} {pages_text(p.pages)}".strip(), p.chunk_id)
                for p in answer.passages[:MAX_CLOSEST]]
    return [(citation_title(c), c.chunk_id) for c in answer.citations]


# ---------- figures ----------


def table_figures(answer: Answer | None) -> list[Figure]:
    return [f for f in (answer.figures if answer else []) if f.kind == "table" and f.columns and f.rows]


def table_frame(figure: Figure) -> pd.DataFrame:
    """The table as a DataFrame; ragged rows are padded or cut to the header's width."""
    width = len(figure.columns)
    rows = [(list(row) + [""] * width)[:width] for row in figure.rows]
    return pd.DataFrame(rows, columns=_unique(figure.columns))


def _unique(columns: Sequence[str]) -> list[str]:
    """Example: ["No.", "No."] -> ["No.", "No. (2)"]: pandas and Vega need distinct column names."""
    seen: dict[str, int] = {}
    out = []
    for name in columns:
        name = name or "Column"
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return out


def is_numeric_table(figure: Figure) -> bool:
    """True when every row's last cell holds a number (e.g. "67%"), so a bar chart makes sense."""
    return len(figure.columns) >= 2 and bool(figure.rows) and all(
        row and first_number(row[-1]) is not None for row in figure.rows)


def chart_frame(figure: Figure) -> pd.DataFrame | None:
    """Two columns for a bar chart: the row label (first column) and the number in the last column.

    Example: Table 11 rows [["Alcohol", "80%"], ...] -> {"Area of assessed need": "Alcohol",
    "% of cases with sufficient intervention": 80.0}.
    """
    if not is_numeric_table(figure):
        return None
    label, value = _unique(figure.columns)[0], _unique(figure.columns)[-1]
    return pd.DataFrame({label: [row[0] for row in figure.rows],
                         value: [first_number(row[-1]) for row in figure.rows]})


def chart_title(figure: Figure) -> str:
    """Example: "Table 11: Sufficiency scores ... (Source: HMI Probation)"."""
    title = f"{figure.label}: {figure.caption}" if figure.caption else figure.label
    return f"{title} (Source: {figure.source})" if figure.source else title


def chart_figure(figure: Figure):
    """A horizontal bar chart of a numeric table, titled with its number, caption and source; else None.

    Horizontal bars because the row labels are phrases ("Lifestyles and associates") that would
    collide under vertical bars. Built on matplotlib's object API, not pyplot, so concurrent
    requests do not share a global figure.
    """
    data = chart_frame(figure)
    if data is None:
        return grade_chart(figure)
    from matplotlib.figure import Figure as MplFigure

    labels, values = list(data.iloc[:, 0])[::-1], list(data.iloc[:, 1])[::-1]  # first row on top
    chart = MplFigure(figsize=(6.4, 1.6 + 0.42 * len(labels)), layout="constrained")
    axes = chart.add_subplot()
    bars = axes.barh([textwrap.fill(str(x), 28) for x in labels], values, color="#e8740c")
    axes.bar_label(bars, labels=[_value_label(v, figure) for v in values], padding=3, fontsize=9)
    axes.set_xlabel(textwrap.fill(str(data.columns[1]), 60), fontsize=9)
    axes.set_xlim(0, max(values + [0]) * 1.15 or 1)
    axes.tick_params(labelsize=9)
    axes.spines[["top", "right"]].set_visible(False)
    # A figure title, not an axes title: it may use the width left of the bars, where the labels are.
    chart.suptitle(textwrap.fill(chart_title(figure), 62), fontsize=10, x=0.02, ha="left")
    return chart


GRADE_BARS = 20  # more reports than this: a chart of how many reports have each grade


def grade_chart(figure: Figure):
    """A comparison of grades across reports (`retrieval.compare`), as a chart; None for any other table.

    Up to GRADE_BARS rows: one bar a report, its length the grade on its family's scale (the profile's
    grade_scale, worst 1 to best), oldest report on top, so a place's inspections read as its ratings over time.
    More rows, or grades on no scale: how many reports have each grade.
    """
    from collections import Counter

    from retrieval.compare import COMPARISON_LABEL, grade_rank, scale_of

    if figure.label != COMPARISON_LABEL or not figure.rows:
        return None
    scale = scale_of([row[3] for row in figure.rows])
    ranks = [grade_rank(row[3], scale) for row in figure.rows]
    from matplotlib.figure import Figure as MplFigure

    if not scale:  # grades without an order: each grade as the reports word it, most common first
        names = [g for g, _ in Counter(row[3] for row in figure.rows).most_common()][::-1]
        ranks = [names.index(row[3]) + 1 for row in figure.rows]
    else:
        names = [g[:1].upper() + g[1:] for g in reversed(scale)]  # worst (1) ... best
    if scale and len(figure.rows) <= GRADE_BARS:
        labels = [f"{row[0]} ({row[1]})" for row in figure.rows][::-1]
        values = [r or 0 for r in ranks][::-1]
        chart = MplFigure(figsize=(6.4, 1.6 + 0.42 * len(labels)), layout="constrained")
        axes = chart.add_subplot()
        bars = axes.barh([textwrap.fill(x, 32) for x in labels], values, color="#e8740c")
        axes.bar_label(bars, labels=[row[3] for row in figure.rows][::-1], padding=3, fontsize=8)
        axes.set_xlim(0, len(names) + 1.6)
        axes.set_xticks(range(1, len(names) + 1), names, fontsize=8)
    else:
        counts = [sum(r == k for r in ranks) for k in range(1, len(names) + 1)]
        chart = MplFigure(figsize=(6.4, 3.2), layout="constrained")
        axes = chart.add_subplot()
        bars = axes.barh(names, counts, color="#e8740c")
        axes.bar_label(bars, padding=3, fontsize=9)
        axes.set_xlabel("reports", fontsize=9)
    axes.tick_params(labelsize=9)
    axes.spines[["top", "right"]].set_visible(False)
    chart.suptitle(textwrap.fill(chart_title(figure), 62), fontsize=10, x=0.02, ha="left")
    return chart


def _value_label(value: float, figure: Figure) -> str:
    """Example: 67.0 in a percentage table -> "67%"; 2523.0 -> "2,523"."""
    percent = any("%" in str(row[-1]) for row in figure.rows)
    text = f"{value:,.1f}".removesuffix(".0")
    return text + "%" if percent else text


_UNIT = re.compile(r"[%£$€]|per ?cent", re.IGNORECASE)
_ID_BEFORE = re.compile(r"(?i)\b(?:table|figure|fig\.|section|paragraph|para\.?|chapter|recommendation|"
                        r"appendix|annex|page|pp?\.|no\.|number|question|step|stage|tier|level|grade)\s*$")
_COUNTED = re.compile(r"\s+(?:[a-z(]|million|thousand|billion)")


def is_measurement(figure: Figure) -> bool:
    """True for a real measurement ("67.1%", "£2.3m", "2,523", "80 cases"); False for an identifier the
    extractor mistook for one: a section or list number ("2.4", "7. access…"), "Table 11", "Recommendation 7".
    """
    value = (figure.value or figure.label or "").strip()
    if not value or _UNIT.search(value):
        return bool(value)
    text = drop_footnote_marks(figure.describes or "")
    found = re.search(rf"(?<![\w.,]){re.escape(value)}(?![\w]|[.,]\d)", text)
    if found is None:
        return bool(re.fullmatch(r"\d{1,3}(?:,\d{3})+", value))  # "2,523": a count, wherever it came from
    before, after = text[: found.start()], text[found.end():]
    if _ID_BEFORE.search(before) or (not before.strip() or before.endswith("\n")) and re.match(r"[.):]", after):
        return False
    return bool(re.fullmatch(r"\d{1,3}(?:,\d{3})+", value)) or bool(_COUNTED.match(after))


def _statistic_lines(figures: Sequence[Figure]) -> list[tuple[Figure, str]]:
    """One line per sentence: its measurements together ("**67.1%**, **74.6%** – The proportion… [1]")."""
    groups: dict[tuple[str, int | None], list[str]] = {}
    for figure in figures:
        if figure.kind != "statistic" or not is_measurement(figure):
            continue
        values = groups.setdefault((drop_footnote_marks(figure.describes), figure.marker), [])
        value = _signed(figure.value or figure.label, figure.describes)
        if value not in values:
            values.append(value)
    lines = []
    for (describes, marker), values in groups.items():
        bold = ", ".join(f"**{escape(v)}**" for v in values)
        lines.append(f"- {bold} – {escape(describes)}" + (f" [{marker}]" if marker else ""))
    return lines


def _signed(value: str, describes: str) -> str:
    """The extractor drops a leading minus: "18%" in "-18% The volume reduction" -> "−18%"."""
    if value[:1] in "-−" or not re.search(rf"(?<![\w.,])[-−]{re.escape(value)}(?![\w])", describes):
        return value
    return "−" + value


def figures_markdown(answer: Answer | None) -> str:
    """The measurements the answer quotes (one line per sentence), and tables and report Figures."""
    empty = "*Tables and statistics from an answer appear here.*"
    if answer is None or not answer.figures:
        return empty
    lines = _statistic_lines(answer.figures)
    seen: set[str] = set()
    for figure in answer.figures:
        marker = f" [{figure.marker}]" if figure.marker else ""
        if figure.kind == "statistic" or figure.label in seen:
            continue
        seen.add(figure.label)
        missing = figure.kind == "figure" and not figure.chart_in_text
        note = " *(the chart itself is not in the report's text)*" if missing else ""
        what = shown(figure.caption or figure.describes)
        lines.append(f"- **{escape(figure.label)}**: {what}{note}{marker}")
    return "**Figures in this answer**\n\n" + "\n".join(lines) if lines else empty


# ---------- reading the report ----------


def report_title(document: Document, manifest: Any = None, source_text: str | None = None) -> str:
    """The report's title, for headings and handouts: the manifest's or document's `title` when the index
    records one, else the running footer of the source ("Quality & Impact inspection: Staffordshire and
    Stoke 53" -> "Quality & Impact inspection: Staffordshire and Stoke"), else the name made readable
    ("staffordshire-and-stoke-2017" -> "Staffordshire and stoke 2017").
    """
    for owner in (manifest, document):
        title = getattr(owner, "title", None)
        if isinstance(title, str) and title.strip():
            return title.strip()
    if source_text:
        from ingest.clean import FOOTER

        footers = [FOOTER.match(line.strip()) for line in source_text.splitlines()[:20_000]]
        titles = [m.group(0)[: m.start(1)].strip() for m in footers if m]
        if titles:
            return max(set(titles), key=titles.count)
    return document.name.replace("-", " ").replace("_", " ").strip().capitalize() or "the report"


def section_label(section: Section) -> str:
    """Example: level 2 "Reducing reoffending", pages [9, 10] -> "   Reducing reoffending (pp. 9–10)"."""
    indent = "\u2003" * (section.level - 1)  # em spaces: dropdowns collapse ordinary ones
    pages = f" ({pages_text(section.pages)})" if section.pages else ""
    return f"{indent}{section.title}{pages}"


def section_choices(document: Document) -> list[tuple[str, str]]:
    return [(section_label(s), s.id) for s in document.sections]


def find_chunk(document: Document, chunk_id: str | None) -> Chunk | None:
    return next((c for c in document.chunks if c.id == chunk_id), None) if chunk_id else None


def section_html(document: Document, section_id: str | None, chunk_id: str | None = None,
                 quote_spans: Sequence[Span] = (), report: str | None = None) -> str:
    """A section's heading and text; a cited passage in it is boxed and its quote marked.

    `quote_spans` are offsets within the cited chunk's text (as in Citation.quote_spans).
    """
    if not section_id:
        return "<p class='rq-muted'>Pick a section to read it.</p>"
    try:
        section = document.section(section_id)
    except KeyError:
        return f"<p class='rq-muted'>No section {escape(section_id)} in this report.</p>"
    text = document.text[section.start : section.end]
    chunk = find_chunk(document, chunk_id)
    if chunk is None or not (section.start <= chunk.start and chunk.end <= section.end):
        body = shown(text)
    else:
        body = _boxed_passage(text, chunk.start - section.start, chunk.end - section.start, quote_spans)
    crumbs = escape(f"{report} · {section.path_text}" if report else section.path_text)
    pages = escape(pages_text(section.pages))
    return (f"<div class='rq-section'><p class='rq-crumbs'>{crumbs} · {pages}</p>"
            f"<div class='rq-text'>{body}</div></div>")


def _boxed_passage(text: str, start: int, end: int, quote_spans: Sequence[Span]) -> str:
    inner = highlight(text[start:end], quote_spans)
    return (f"{shown(text[:start])}<span id='rq-cited' class='rq-cited'>{inner}</span>"
            f"{shown(text[end:])}")


def contents_markdown(document: Document) -> str:
    """The section tree as a nested Markdown list with pages."""
    lines = [f"{'  ' * (s.level - 1)}- {escape(s.title)} *{pages_text(s.pages)}*" for s in document.sections]
    return "\n".join(lines)


# ---------- practice examples ----------


def practice_examples(document: Document) -> list[Chunk]:
    return [c for c in document.chunks if c.kind == PRACTICE_EXAMPLE]


def filter_examples(examples: Sequence[Chunk], polarity: str = ALL, organisation: str = ALL,
                    domain: str = ALL, keyword: str = "") -> list[Chunk]:
    """Examples matching every filter; ALL (or empty) means no restriction; keywords all have to appear.

    Example: polarity="good", organisation="NPS" keeps good NPS examples only ("CRC and NPS" is
    kept for both organisations, since it is about their work together).
    """
    words = keyword.lower().split()
    kept = []
    for chunk in examples:
        if polarity not in (ALL, "") and (chunk.polarity or "").lower() != polarity.lower():
            continue
        if organisation not in (ALL, "") and organisation not in (chunk.organisation or "").split(" and "):
            continue
        if domain not in (ALL, "") and chunk.domain != domain:
            continue
        haystack = " ".join(x for x in (chunk.text, chunk.person, chunk.section_text) if x).lower()
        if all(w in haystack for w in words):
            kept.append(chunk)
    return kept


def example_title(chunk: Chunk) -> str:
    """Example: "Good · CRC · Arthur · Protecting the public > Assessment and planning · p. 20"."""
    polarity = (chunk.polarity or "").capitalize()
    where = " > ".join(chunk.section_path[-2:])
    bits = [polarity, chunk.organisation, chunk.person, where, pages_text(chunk.pages)]
    return " · ".join(b for b in bits if b)


def examples_html(examples: Sequence[Chunk]) -> str:
    if not examples:
        return "<p class='rq-muted'>No practice example matches these filters.</p>"
    cards = [f"<details class='rq-example rq-{escape(c.polarity or 'other')}'>"
             f"<summary>{escape(example_title(c))}</summary>"
             f"<div class='rq-text'>{escape(c.text)}</div></details>" for c in examples]
    return f"<p class='rq-muted'>{len(examples)} example(s)</p>" + "".join(cards)


def domains_of(examples: Sequence[Chunk]) -> list[str]:
    return sorted({c.domain for c in examples if c.domain})


# ---------- evaluation runs ----------


def load_eval_summary(path: Path) -> dict | None:
    """The summary of the latest evaluation run, or None when there is none (or it cannot be read)."""
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return summary if isinstance(summary, dict) and isinstance(summary.get("configs"), dict) else None


def eval_long_frame(summary: dict) -> pd.DataFrame:
    """One row per (config, category, metric); "overall" is a category too. Non-numbers are skipped."""
    rows = []
    for config, result in summary.get("configs", {}).items():
        groups = {"overall": result.get("overall", {}), **result.get("by_category", {})}
        for category, metrics in groups.items():
            for metric, value in (metrics or {}).items():
                if isinstance(value, int | float) and not isinstance(value, bool):
                    rows.append({"config": config, "category": category, "metric": metric, "value": value})
    return pd.DataFrame(rows, columns=["config", "category", "metric", "value"])


def eval_table(summary: dict) -> pd.DataFrame:
    """Metrics per category as a wide table: config, category, then one column per metric."""
    long = eval_long_frame(summary)
    if long.empty:
        return pd.DataFrame(columns=["config", "category"])
    wide = long.pivot_table(index=["config", "category"], columns="metric", values="value", sort=False)
    return wide.round(3).reset_index().rename_axis(columns=None)


def eval_chart(summary: dict | None, metric: str | None):
    """Grouped bars: one group per category ("overall" first), one bar per config; None without data."""
    long = eval_long_frame(summary) if summary else None
    if long is None or not metric or long[long["metric"] == metric].empty:
        return None
    from matplotlib.figure import Figure as MplFigure

    data = long[long["metric"] == metric].pivot_table(index="category", columns="config", values="value",
                                                      sort=False)
    bars_count = data.size  # e.g. 11 categories x 4 configs = 44 bars: widen rather than squeeze
    chart = MplFigure(figsize=(min(14.0, max(8.0, 0.3 * bars_count + 2)), 4.2), layout="constrained")
    axes = chart.add_subplot()
    width = 0.8 / max(len(data.columns), 1)
    for i, config in enumerate(data.columns):
        positions = [x + i * width for x in range(len(data.index))]
        bars = axes.bar(positions, data[config].fillna(0), width, label=str(config))
        if len(data.columns) <= 2:  # with more configs the value labels overlap; the table has them
            axes.bar_label(bars, fmt="%.2f", fontsize=8, padding=2)
    axes.set_xticks([x + width * (len(data.columns) - 1) / 2 for x in range(len(data.index))],
                    [str(c) for c in data.index], fontsize=9, rotation=30, ha="right")
    axes.set_title(f"{metric} by category", fontsize=10, loc="left")
    axes.spines[["top", "right"]].set_visible(False)
    axes.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return chart


def eval_heading(summary: dict) -> str:
    when = escape(str(summary.get("created_at", "unknown time")))
    dataset = escape(str(summary.get("dataset", "unknown dataset")))
    return f"**Latest evaluation run**: {when} · dataset `{dataset}` · configs: {len(summary['configs'])}"


NO_EVAL_NOTE = ("No evaluation run yet. Run `make eval` (or "
                "`report-qa eval --compare --out evals/runs/latest`) and press *Reload*.")
