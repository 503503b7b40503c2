"""From chosen quotes to the Answer record, and the checks every answer passes before it leaves:
quotes found in their passages, markers pointing at citations, numbers found in cited passages.
"""

from __future__ import annotations

import re

from ingest import records as kinds
from ingest.text import normalise_for_match, number_value, numbers_in
from retrieval.candidate import Candidate
from retrieval.forms import is_year
from retrieval.records import NOT_IN_REPORT, Answer, Citation, Figure, Hit, Passage
from retrieval.rows import shown_cells

QUOTE_GAP = " … "  # between two pieces quoted from one passage


# -- the answer object ---------------------------------------------------------------------------


def build_answer(question: str, chosen: list[Candidate], lead: str = "") -> Answer:
    """The answer quoting `chosen` in order, each with its [n] marker; `lead` (no number in figures: it is
    checked like the quotes) opens it, as "Eight items under “Areas for improvement”:"."""
    citations: list[Citation] = []
    parts: list[str] = [lead] if lead else []
    for candidate in without_repeats(chosen):
        citation = _cite(candidate, citations)
        parts.append(f"{_quote_text(candidate)} [{citation.marker}]")
    answer_text = " ".join(parts)
    answer = Answer(question=question, answer=answer_text, abstained=False, citations=citations)
    answer.figures = figures_for(chosen, citations)
    return answer


def without_repeats(chosen: list[Candidate]) -> list[Candidate]:
    """The quotes less any that another quote of the same passage contains: "A." then "A. This rose to 70."
    quotes the pair once. Order is kept."""
    def inside(small: Candidate, big: Candidate) -> bool:
        return (small is not big and small.hit.chunk.id == big.hit.chunk.id and not small.is_row
                and big.span.start <= small.span.start and small.span.end <= big.span.end
                and (small.span.start, small.span.end) != (big.span.start, big.span.end))
    return [c for c in chosen if not any(inside(c, other) for other in chosen)]


def _cite(candidate: Candidate, citations: list[Citation]) -> Citation:
    chunk = candidate.hit.chunk
    for citation in citations:
        if citation.chunk_id == chunk.id:
            citation.quote = f"{citation.quote}{QUOTE_GAP}{candidate.text}"
            citation.quote_spans.append(candidate.span)
            return citation
    citation = Citation(marker=len(citations) + 1, chunk_id=chunk.id, section=chunk.section_text,
                        pages=chunk.pages, kind=chunk.kind, quote=candidate.text, text=chunk.text,
                        quote_spans=[candidate.span], label=chunk.label, pdf_pages=list(chunk.pdf_pages))
    citations.append(citation)
    return citation


def _quote_text(candidate: Candidate) -> str:
    """A table row reads badly alone: name the table. Example: "Table 11: Alcohol 80%"."""
    chunk = candidate.hit.chunk
    if candidate.is_row and chunk.label and chunk.table and chunk.table.columns[:1] == ["No."]:
        column, statement = candidate.cells  # "Table 5, Barriers: The pace and extent ..."
        return f"{chunk.label}, {column}: {statement}"
    if candidate.is_row and chunk.label:
        cells = shown_cells(chunk, candidate.cells) or [candidate.text]
        return f"{chunk.label}: {' — '.join(cells)}"
    if chunk.kind == kinds.RECOMMENDATION and chunk.addressed_to and chunk.addressed_to not in candidate.text:
        return f"{chunk.addressed_to} should: {candidate.text}"
    return candidate.text


def figures_for(chosen: list[Candidate], citations: list[Citation]) -> list[Figure]:
    figures: list[Figure] = []
    by_chunk = {c.chunk_id: c.marker for c in citations}
    for candidate in chosen:
        chunk = candidate.hit.chunk
        marker = by_chunk[chunk.id]
        for value in numbers_in(candidate.text):
            if number_value(value) is None or is_year(value):
                continue  # a year dates a statement; it is not a figure the answer rests on
            figures.append(Figure("statistic", value, value, _describes(candidate, value), marker,
                                  source=chunk.label or chunk.section_text))
        if chunk.kind == kinds.TABLE and chunk.table and not any(f.label == chunk.label for f in figures):
            table = chunk.table
            figures.append(Figure("table", chunk.label or "Table", None, table.caption, marker,
                                  columns=table.columns, rows=table.rows, caption=table.caption, source=table.source))
        if chunk.kind == kinds.FIGURE:
            figures.append(Figure("figure", chunk.label or "Figure", None, chunk.caption or "", marker,
                                  caption=chunk.caption, source=chunk.source, chart_in_text=False))
    return figures


def _describes(candidate: Candidate, value: str) -> str:
    """What a number measures, in words. Example: "Alcohol — % of cases with sufficient intervention, Table 11
    (... NPS inspection sample ...)"."""
    chunk = candidate.hit.chunk
    if candidate.is_row and chunk.table:
        row = next((r for r in chunk.table.rows if value in r), None)
        column = chunk.table.columns[row.index(value)] if row and len(chunk.table.columns) == len(row) else ""
        label = row[0] if row else candidate.text
        return f"{label} — {column}, {chunk.label} ({chunk.table.caption})".replace(" — ,", " —")
    if chunk.kind == kinds.KEY_FACT and chunk.caption:
        return f"{chunk.caption.rstrip('¹²³⁴⁵⁶⁷⁸⁹⁰ ')} (Key facts)"
    sentence = candidate.text
    return sentence if len(sentence) <= 200 else sentence[:197] + "…"


def decline(question: str, hits: list[Hit]) -> Answer:
    closest = "; ".join(f"{h.chunk.section_path[-1]} (p. {', '.join(map(str, h.chunk.pages))})" for h in hits[:3])
    text = f"{NOT_IN_REPORT} — no passage answers this question."
    if closest:
        text += f" The closest passages are from: {closest}."
    return Answer(question=question, answer=text, abstained=True)


def passages_for(hits: list[Hit]) -> list[Passage]:
    return [Passage(h.rank, h.chunk.id, h.chunk.section_text, h.chunk.pages, h.chunk.kind, round(h.score, 4),
                    h.chunk.text, h.chunk.label, pdf_pages=list(h.chunk.pdf_pages)) for h in hits]


# -- checks: citations are checked, never trusted -------------------------------------------------


def verify(answer: Answer) -> Answer:
    """Drop citations whose quote is not in their passage, and numbers not found in any cited passage.

    Returns the answer unchanged when it passes; an answer that cannot pass is declined.
    """
    if answer.abstained:
        return answer
    problems = check_answer(answer)
    if problems:
        declined = Answer(question=answer.question, answer=f"{NOT_IN_REPORT} — the answer could not be "
                          "checked against the report.", abstained=True, passages=answer.passages,
                          id=answer.id, note="; ".join(problems))
        return declined
    return answer


def check_answer(answer: Answer) -> list[str]:
    """Problems that make an answer untrustworthy, in words; [] when it passes."""
    problems: list[str] = []
    markers = {int(m) for m in re.findall(r"\[(\d+)\]", answer.answer)}
    cited = {c.marker: c for c in answer.citations}
    for marker in sorted(markers - set(cited)):
        problems.append(f"marker [{marker}] cites no passage")
    for citation in answer.citations:
        for piece in _quote_pieces(citation.quote):
            if normalise_for_match(piece) not in normalise_for_match(citation.text):
                problems.append(f"quote for [{citation.marker}] is not in its passage")
                break
    cited_numbers = {_canonical(n) for c in answer.citations for n in numbers_in(c.text)}
    for number in numbers_in(re.sub(r"\[\d+\]", " ", answer.answer)):
        if _canonical(number) not in cited_numbers:
            problems.append(f"number {number} is in no cited passage")
    return problems


def _quote_pieces(quote: str) -> list[str]:
    """A quote may join pieces from one passage ("…" between them); each must be found on its own."""
    return [p for p in quote.split(QUOTE_GAP) if p.strip()] or [quote]


def _canonical(number: str) -> str:
    """Example: "2,523" -> "2523"; "80%" -> "80"."""
    value = number_value(number)
    return f"{value:g}" if value is not None else number
