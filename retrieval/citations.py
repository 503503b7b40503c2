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


# -- yes/no questions: say yes or no, or say that the report does not say directly ----------------

YES_NO_TYPE = "yes_no"  # retrieval.analysis.AnswerType.YES_NO
YES_LEAD, NO_LEAD = "Yes —", "No —"
INDIRECT_LEAD = "The report does not say directly; the closest passage is:"
INDIRECT_NOTE = "not a direct answer: the quoted passage is the closest the report comes to the question"
# Share of the question's content words a quote must state to settle it. A "yes" needs nearly all of them
# (a sentence sharing most words but not the verb, "monitor the police at meetings" for "do the police attend
# meetings", is no yes); a denial of half of them already reads as "no" ("little or no use of X" for "did they
# make much use of X"). Checked on the train split: at 0.5 for both, three of six yeses were wrong sentences.
MIN_YES_COVERAGE = 0.8
MIN_NO_COVERAGE = 0.5
_NEGATION = re.compile(r"\b(?:not|no|never|none|nor|neither|cannot|no longer|fail(?:s|ed|ing)? to|without|"
                       r"lack(?:s|ed|ing)?|little or no|insufficient(?:ly)?|inadequate(?:ly)?)\b|n['’]t\b", re.I)
_YES_NO_OPENING = re.compile(r"^\s*(?:is|are|was|were|did|does|do|has|have|had|can|could|will|should)\b"
                             r"(?:\s+it\s+true\s+that\b)?", re.I)


def negated(text: str) -> bool:
    """Whether `text` denies something. Example: "There is no reliance on agency staff." -> True."""
    return _NEGATION.search(text) is not None


def predicate_coverage(question: str, sentence: str) -> float:
    """The share of the question's content words (after its opening "Is/Did …") that `sentence` states,
    a word also counting when the sentence has a word built on the same stem ("rely" ~ "reliance").

    Example: ("Does the team rely on agency staff?", "There is no reliance on agency staff.") -> 0.75
    """
    from retrieval.questions import content_terms  # citations sits below questions' heavier readers

    asked = set(content_terms(_YES_NO_OPENING.sub(" ", question)))
    if not asked:
        return 0.0
    stated = set(content_terms(sentence))

    def found(term: str) -> bool:
        root = term[:4] if len(term) >= 5 else term
        return term in stated or any(t.startswith(root) for t in stated)

    return sum(found(t) for t in asked) / len(asked)


def yes_no_lead(question: str, quoted: str) -> str:
    """How a yes/no question's answer opens: "Yes —" or "No —" when the quote states the asked predicate
    (MIN_YES_COVERAGE / MIN_NO_COVERAGE of its words) and affirms or denies it; otherwise `INDIRECT_LEAD`.
    A question that is itself negative ("Is there no plan?") is answered in its own terms: a denying quote
    then means "Yes".

    Example: ("Does the team rely on agency staff?", "There is no reliance on agency staff.") -> "No —"
    """
    coverage = predicate_coverage(question, quoted)
    denies = negated(quoted) != negated(_YES_NO_OPENING.sub(" ", question))
    if coverage >= (MIN_NO_COVERAGE if denies else MIN_YES_COVERAGE):
        return NO_LEAD if denies else YES_LEAD
    return INDIRECT_LEAD


def yes_no_answer(question: str, chosen: list[Candidate]) -> Answer:
    """The answer to a yes/no question: the quotes opened by `yes_no_lead` (judged on the first quote)."""
    lead = yes_no_lead(question, chosen[0].text)
    answer = build_answer(question, chosen, lead=lead)
    if lead == INDIRECT_LEAD:
        answer.note = INDIRECT_NOTE
    return answer
