"""The extractive answer: the report's own sentence(s) or table row(s) that answer the question.

Candidates are the sentences of the top passages. Each is scored on meaning (its precomputed
embedding against the question), on the question's weighted words it contains, on its passage's
rank, and on fitting what the question asks for (a number, a definition, a name, a date). The best
one or two are quoted verbatim with [n] markers; then every quote and number is checked against
the cited passage before the answer leaves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest import records as kinds
from ingest.records import Chunk, Span
from ingest.structure import EXAMPLE_START as EXAMPLE_OPENING
from ingest.text import first_number, normalise_for_match, number_value, numbers_in
from retrieval.lexical import LexicalIndex
from retrieval.questions import YEAR, Intent, content_terms, question_entities, stem
from retrieval.records import NOT_IN_REPORT, Answer, Citation, Figure, Hit, Passage
from retrieval.search import HybridSearch, QueryScores, coverage

WHOLE_PASSAGE_KINDS = (kinds.GLOSSARY, kinds.KEY_FACT, kinds.RECOMMENDATION)
QUOTE_GAP = " … "  # between two pieces quoted from one passage
CANDIDATE_PASSAGES = 5  # sentences are drawn from this many top passages
SECOND_SENTENCE_RATIO = 0.82  # a second quote must score at least this share of the best
# Below these the best sentence is too weak to be an answer: decline and show the closest passages.
# Calibrated on evals/dataset.jsonl (`report-qa eval` prints the declined / wrongly-declined rates).
MIN_CONFIDENCE = 0.25
MAX_CONSIDERED = 15
W_PASSAGE_MEANING = 0.3  # measured: 0.2-0.4 gave the same ranks; 0 lost 3 answers
FALLBACK_RATIO = 0.70  # a sentence that fits the form may score this much lower than the best one


@dataclass
class Candidate:
    hit: Hit
    span: Span
    text: str
    score: float
    dense: float
    coverage: float
    is_row: bool
    cells: list[str] = field(default_factory=list)  # a table row's cells


class Composer:
    def __init__(self, search: HybridSearch, lexical: LexicalIndex, chunk_rows: dict[str, int]) -> None:
        self.search = search
        self.lexical = lexical
        self.chunk_rows = chunk_rows
        self._expansions: dict[str, str] | None = None

    def compose(self, question: str, intent: Intent, hits: list[Hit], scores: QueryScores) -> Answer:
        chosen = self.select(question, intent, hits, scores)
        return build_answer(question, chosen) if chosen else decline(question, hits)

    def select(self, question: str, intent: Intent, hits: list[Hit], scores: QueryScores,
               taken: list[Candidate] | None = None) -> list[Candidate]:
        """The sentence(s) or row(s) that answer, or [] when none is good enough. `taken` are quotes an
        earlier part of the same question already uses."""
        candidates = self.candidates(question, intent, hits[:CANDIDATE_PASSAGES], scores)
        if taken:
            candidates = [c for c in candidates if all(c.text != t.text for t in taken)]
        if not candidates:
            return []
        extremes = extreme_rows(candidates, intent)
        if extremes:
            return extremes
        entry = self.glossary_entry(question, intent, hits, scores) if intent.wants_definition else None
        if entry is not None:
            return [entry]
        entities = self.specific_entities(question)
        named = question_entities(question)
        fitting = [c for c in candidates[:MAX_CONSIDERED]
                   if c.score >= FALLBACK_RATIO * candidates[0].score
                   and answers_the_form(c, intent, entities, self.expansions(), named)
                   and self.counts_the_thing_asked(c, intent)]
        if not fitting or self.confidence(fitting[0], scores) < MIN_CONFIDENCE:
            return []
        return self.choose(fitting, intent)

    def next_sentence(self, candidate: Candidate) -> Candidate | None:
        chunk = candidate.hit.chunk
        later = [s for s in chunk.sentences if s.start >= candidate.span.end]
        if not later:
            return None
        span = later[0]
        return Candidate(candidate.hit, span, chunk.text[span.start : span.end], candidate.score, candidate.dense,
                         candidate.coverage, False)

    def counts_the_thing_asked(self, candidate: Candidate, intent: Intent) -> bool:
        """A "how many X" answer must be about X: the passage uses all of X's words that the report knows
        and the quoted sentence at least one. "11 previous offences" does not count
        "serious further offences"."""
        known = {t for t in intent.counted if self.lexical.frequency(t) > 0}
        if not known:  # nothing asked about that the report names: leave it to the other checks ("jobless rate")
            return True
        row = self.chunk_rows.get(candidate.hit.chunk.id)
        passage = self.search.passage_terms[row] if row is not None else set()
        sentence = set(content_terms(f"{candidate.text} {' '.join(candidate.cells)}"))
        where = sentence | passage if candidate.is_row else sentence
        return all(_mentions(passage, t) for t in known) and any(_mentions(where, t) for t in known)

    def confidence(self, best: Candidate, scores: QueryScores) -> float:
        """How sure the best sentence answers: its meaning and words, or its passage's as a whole."""
        row = self.chunk_rows[best.hit.chunk.id]
        dense = max(best.dense, float(scores.dense[row]))
        words = max(best.coverage, 0.8 * float(scores.passage_coverage[row]))
        return 0.6 * dense + 0.4 * words + (0.1 if best.is_row else 0.0)

    def glossary_entry(self, question: str, intent: Intent, hits: list[Hit], scores: QueryScores) -> Candidate | None:
        """"What does RAR stand for?": the glossary entry of a term the question names answers it, retrieved
        or not. Acronyms match case-sensitively, longer terms in any case."""
        for chunk in self.search.chunks:
            if chunk.kind != kinds.GLOSSARY or not chunk.term:
                continue
            term = chunk.term
            named = re.search(rf"(?<![\w-]){re.escape(term)}(?![\w-])", question, 0 if term.isupper() else re.I)
            if named:
                hit = next((h for h in hits if h.chunk.id == chunk.id), None)
                hit = hit or Hit(chunk, hits[0].score if hits else 1.0, 0)
                return self._whole(hit, self.chunk_rows[chunk.id], scores, 1.0, 1.0, intent)
        return None

    def expansions(self) -> dict[str, str]:
        """Acronyms the glossary spells out. Example: {"PSO": "Probation services officer", ...}."""
        if self._expansions is None:
            self._expansions = {}
            for chunk in self.search.chunks:
                if chunk.kind == kinds.GLOSSARY and chunk.term and chunk.term.isupper():
                    rest = chunk.text[len(chunk.term) :].strip()
                    self._expansions[chunk.term] = re.split(r"[:.]", rest, maxsplit=1)[0].strip()
        return self._expansions

    def specific_entities(self, question: str) -> list[str]:
        """Names and years in the question that few passages mention: the answer's passage must.

        Names most passages carry ("CRC", "Staffordshire") say nothing about which passage answers. A name
        the report never mentions ("Tuesday", "2019") cannot be in any passage, so the question is declined;
        an unknown acronym is let through, as it may abbreviate something the report spells out.
        """
        common = 0.3 * len(self.search.chunks)
        specific = []
        for entity in question_entities(question):
            frequency = sum(1 for terms in self.search.passage_terms if stem(entity.lower()) in terms)
            unknown_name = frequency == 0 and not entity.isupper()
            if YEAR.fullmatch(entity) or unknown_name or 0 < frequency < common:
                specific.append(entity)
        return specific

    # -- candidates ------------------------------------------------------------------------------

    def candidates(self, question: str, intent: Intent, hits: list[Hit], scores: QueryScores) -> list[Candidate]:
        top_score = hits[0].score if hits and hits[0].score > 0 else 1.0
        weights = {t: self.lexical.weight(t) for t in set(content_terms(question))}
        case_weights = focus_weights(question, weights)
        entities = [normalise_for_match(e) for e in self.specific_entities(question)]
        found: list[Candidate] = []
        for hit in hits:
            row = self.chunk_rows[hit.chunk.id]
            prior = max(hit.score, 0.0) / top_score
            passage_coverage = float(scores.passage_coverage[row])
            rows = table_rows(hit.chunk)
            if hit.chunk.kind in WHOLE_PASSAGE_KINDS:
                found.append(self._whole(hit, row, scores, passage_coverage, prior, intent))
                continue
            for sentence_row, span in zip(self.search.sentence_rows(row), hit.chunk.sentences, strict=False):
                if rows:
                    continue  # a table answers with whole rows, below
                # In a case story the scene-setting words name the case; the asked part picks the sentence.
                narrative = hit.chunk.kind == kinds.PRACTICE_EXAMPLE
                own = coverage(case_weights if narrative else weights, [self.search.sentence_terms[sentence_row]])[0]
                # A sentence means more in its passage ("Overall, the quality of work was insufficient" is
                # about public protection because its section is): blend in the passage's similarity.
                dense = (1 - W_PASSAGE_MEANING) * float(scores.sentence_sims[sentence_row]) \
                    + W_PASSAGE_MEANING * float(scores.dense[row])
                found.append(self._candidate(hit, span, dense, float(own), passage_coverage, prior, intent,
                                             is_row=False, entities=entities))
            for span, cells in rows:
                sims = [float(scores.sentence_sims[r]) for r, s in zip(self.search.sentence_rows(row),
                        hit.chunk.sentences, strict=False) if span.start <= s.start < span.end]
                own = coverage(weights, [set(content_terms(" ".join(cells)))])[0]
                dense = max(sims, default=0.0)
                if hit.chunk.table.is_numeric():
                    # A short row of figures embeds poorly alone; the table as a whole says what it measures.
                    dense = 0.5 * dense + 0.5 * float(scores.dense[row])
                found.append(self._candidate(hit, span, dense, float(own), passage_coverage, prior,
                                             intent, is_row=True, cells=cells, entities=entities))
        found.sort(key=lambda c: -c.score)
        return found

    def _whole(self, hit: Hit, row: int, scores: QueryScores, passage_coverage: float, prior: float,
               intent: Intent) -> Candidate:
        """A glossary entry or key fact answers as a whole: the term with its definition, the figure with
        what it measures."""
        sims = [float(scores.sentence_sims[r]) for r in self.search.sentence_rows(row)]
        return self._candidate(hit, Span(0, len(hit.chunk.text)), max(sims, default=float(scores.dense[row])),
                               passage_coverage, passage_coverage, prior, intent, is_row=False)

    def _candidate(self, hit: Hit, span: Span, dense: float, own_coverage: float, passage_coverage: float,
                   prior: float, intent: Intent, is_row: bool, cells: list[str] | None = None,
                   entities: list[str] | None = None) -> Candidate:
        text = hit.chunk.text[span.start : span.end]
        coverage_ = own_coverage
        # A table row, glossary entry or key fact leans on its passage's title and caption for context.
        if is_row or hit.chunk.kind in (kinds.GLOSSARY, kinds.KEY_FACT):
            coverage_ = 0.5 * own_coverage + 0.5 * passage_coverage
        score = 0.45 * dense + 0.35 * coverage_ + 0.20 * prior + fit_bonus(text, hit.chunk, intent, is_row)
        if entities:  # the sentence itself names what the question is specifically about
            named = sum(1 for e in entities if e in normalise_for_match(text))
            score += FIT / 2 * named / len(entities)
        return Candidate(hit, span, text, score, dense, coverage_, is_row, cells or [])

    def choose(self, candidates: list[Candidate], intent: Intent) -> list[Candidate]:
        best = candidates[0]
        chosen = [best]
        if intent.wants_definition and not best.is_row and best.hit.chunk.kind not in WHOLE_PASSAGE_KINDS:
            following = self.next_sentence(best)
            if following is not None:  # "What's the Evolve project?": the sentence naming it, then what it does
                return [best, following]
        for other in candidates[1:6]:
            if other.score < SECOND_SENTENCE_RATIO * best.score or other.text == best.text:
                continue
            different_passage = other.hit.chunk.id != best.hit.chunk.id
            needs_number = intent.wants_number and not _has_figure(best.text) and _has_figure(other.text)
            if (intent.multi_part and different_passage) or needs_number:
                chosen.append(other)
                break
        return chosen


_WH_WORD = re.compile(r"\b(what|which|who|whom|whose|when|where|why|how)\b", re.I)
PREMISE_WEIGHT = 0.3


def focus_weights(question: str, weights: dict[str, float]) -> dict[str, float]:
    """The question's word weights with the scene-setting part down-weighted.

    Words from the last sentence's wh-word on say what is asked; words before it ("A man sent abusive texts.",
    "In the case of a 45-year-old, ...") say which case. Example: "A man sent abusive texts. What did his plan
    fail to anticipate?" keeps "plan" and "anticip" whole and cuts "abus" and "text" to PREMISE_WEIGHT.
    """
    sentences = [p for p in re.split(r"(?<=[.?!])\s+", question.strip()) if p]
    last = sentences[-1] if sentences else question
    wh = _WH_WORD.search(last)
    focus = set(content_terms(last[wh.start() :] if wh else last))
    return {t: w * (1.0 if t in focus else PREMISE_WEIGHT) for t, w in weights.items()}


def table_rows(chunk: Chunk) -> list[tuple[Span, list[str]]]:
    """Where each recovered row of a table chunk sits in its text, with its cells.

    Example: Table 11's row ["Alcohol", "80%"] -> (Span of "Alcohol 80%", ["Alcohol", "80%"]).
    In a numbered enablers / barriers table each statement stands alone: the enabler and the barrier
    beside it are unrelated, so each cell is its own unit, named by its column: ["Barriers", "The pace ..."].
    """
    if chunk.kind != kinds.TABLE or not chunk.table or not chunk.table.rows:
        return []
    numbered = chunk.table.columns[:1] == ["No."]
    found: list[tuple[Span, list[str]]] = []
    position = chunk.text.find("\n")  # rows come after the "Table N" line
    for cells in chunk.table.rows:
        units = [[column, cell] for column, cell in zip(chunk.table.columns[1:], cells[1:], strict=False) if cell] \
            if numbered else [cells]
        for unit in units:
            located = _locate_cells(chunk.text, unit[-1:] if numbered else _shown_cells(chunk, unit), position)
            if located is None:
                return []
            found.append((located, unit))
            position = located.end
    return found


def _shown_cells(chunk: Chunk, cells: list[str]) -> list[str]:
    """Cells as they read, without the row number an enablers / barriers table adds ("No.")."""
    numbered = chunk.table is not None and chunk.table.columns[:1] == ["No."]
    return [c for k, c in enumerate(cells) if c and not (numbered and k == 0)]


def _locate_cells(text: str, cells: list[str], position: int) -> Span | None:
    start = end = None
    for cell in cells:
        pattern = r"\s+".join(re.escape(word) for word in cell.split())
        match = re.compile(pattern).search(text, position)
        if match is None:
            return None
        start = match.start() if start is None else start
        end = position = match.end()
    return Span(start, end) if start is not None else None


_NUMBER_WORDS = re.compile(r"\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|"
                           r"thirty|forty|fifty|hundred|thousand|million|billion|half|third|thirds|quarter|"
                           r"majority|minority|all|none|most|few)\b", re.I)
# Words inspectors give verdicts in. Example: "Overall, the quality of work was insufficient" matches.
_VERDICT = re.compile(r"\b(good|poor|sufficient|insufficient|insufficiently|acceptable|unacceptable|adequate|"
                      r"inadequate|weak|strong|effective|ineffective|satisfactory|unsatisfactory|well(?!-)|badly|"
                      r"no evidence|little evidence|not compatible|concern|concerning|impressive|encouraged|"
                      r"pleased|disappointed|confused|confusion|shortcomings|lacked|lacking|failed|"
                      r"little or no|none of|not sufficient)\b", re.I)
_SUMMARY_SECTION = re.compile(r"\b(judgements?|summary|conclusions?|overall)\b", re.I)
_MONEY = re.compile(r"£\s?\d|\b\d[\d,.]*\s?(?:pounds|million|billion|bn|m)\b", re.I)
_DATE = re.compile(r"\b(19|20)\d\d\b|\b(January|February|March|April|May|June|July|August|September|October|"
                   r"November|December)\b")
_PLACE = re.compile(r"\b(?:at|in|from|to|near)\s+(?:the\s+)?(?:HM\s+Prison\s+)?[A-Z][a-z]+")
_NAME = re.compile(r"(?<=[a-z,] )[A-Z][a-z]{2,}\b|^[A-Z][a-z]{2,} (?:is|was|has)\b")
FIT = 0.08  # reward for the form of answer asked for; the same amount is taken off when it is missing


def answers_the_form(candidate: Candidate, intent: Intent, entities: list[str],
                     expansions: dict[str, str] | None = None, named: list[str] | None = None) -> bool:
    """Hard checks: a number for "how many", a date for "when", a name for "what is the name of", and
    every specific name or year of the question in the passage. Failing them means "not this sentence"."""
    text = candidate.text
    chunk = candidate.hit.chunk
    if intent.wants_number and not (_has_figure(text) or _NUMBER_WORDS.search(text)):
        return False
    if intent.wants_date and not _DATE.search(text):
        return False
    if intent.wants_money and not _MONEY.search(text):
        return False
    if intent.wants_name and not _names_someone(text, chunk):
        return False
    # A table row must itself carry the names asked about: "PSO" picks the PSO row, not the table.
    if candidate.is_row:
        context = normalise_for_match(" ".join(candidate.cells) + f" {chunk.caption or ''}")
    else:
        context = normalise_for_match(f"{chunk.search_text()} {chunk.section_text}")
    if not _mentions_all(context, entities, expansions):
        return False
    if candidate.is_row:
        # Even a name most passages carry decides between tables: "NPS cases" is Table 11, not the CRC's Table 8.
        table_context = normalise_for_match(f"{chunk.caption or ''} {chunk.section_text}")
        return _mentions_all(table_context, [e for e in named or [] if e not in entities], expansions)
    return True


def _mentions_all(context: str, entities: list[str], expansions: dict[str, str] | None) -> bool:
    context_stems = set(content_terms(context))
    for entity in entities:
        if normalise_for_match(entity) in context:
            continue
        spelled_out = (expansions or {}).get(entity)
        if spelled_out and set(content_terms(spelled_out)) <= context_stems:
            continue
        return False
    return True


def _mentions(terms: set[str], term: str) -> bool:
    """A term, or a compound built on it: "case" is in "caseload", "work" in "workload"."""
    return term in terms or (len(term) >= 4 and any(t.startswith(term) for t in terms))


def _names_someone(text: str, chunk: Chunk) -> bool:
    """A pseudonymised person of a practice example, or a titled name ("Dame Glenys Stacey")."""
    if chunk.person and chunk.person in text:
        return True
    return bool(re.search(r"\b(?:Dame|Sir|Lord|Lady|Mr|Mrs|Ms|Miss|Dr|Judge|Professor)\.? [A-Z][a-z]+", text))


def fit_bonus(text: str, chunk: Chunk, intent: Intent, is_row: bool) -> float:
    """How well a sentence fits the form of answer the question asks for (a number, a date, a place ...)."""
    bonus = 0.0
    if intent.wants_number:
        bonus += FIT if _has_figure(text) else (0.0 if _NUMBER_WORDS.search(text) else -FIT)
    if intent.wants_date:
        bonus += FIT if _DATE.search(text) else -FIT
    if intent.wants_place:
        bonus += FIT / 2 if _PLACE.search(text) else -FIT / 2
    if intent.kind is not None and chunk.kind == intent.kind:
        bonus += FIT  # "what did they recommend ..." is answered by a recommendation
    if chunk.kind == kinds.GLOSSARY and not intent.wants_definition:
        bonus -= FIT / 2  # a definition rarely answers a question that is not asking for one
    if intent.answer_type:
        # "Which accredited course ...": a sentence naming the kind of thing asked for is more likely its answer.
        named = intent.answer_type & set(content_terms(f"{text} {chunk.caption or ''}"))
        bonus += FIT * len(named) / len(intent.answer_type)
    if intent.wants_judgement and not intent.wants_number:  # "what percentage had sufficient ..." wants the figure
        bonus += FIT if _VERDICT.search(text) else 0.0
        if _SUMMARY_SECTION.search(chunk.section_text) or text.startswith("Overall"):
            bonus += FIT / 2  # the summary chapter states each verdict in one sentence
    if intent.wants_definition and chunk.kind == kinds.GLOSSARY:
        bonus += 1.5 * FIT
    if intent.wants_person:
        if chunk.person:  # a practice example: the sentence that names its person
            bonus += FIT if chunk.person in text else -FIT
        elif chunk.addressed_to:  # a recommendation says who should act
            bonus += FIT
        elif _NAME.search(text):
            bonus += FIT / 2
    if chunk.kind == kinds.PRACTICE_EXAMPLE and EXAMPLE_OPENING.match(text) and not (
            intent.wants_name or intent.wants_person):
        bonus -= FIT  # the opening introduces the case the question describes; the answer comes later
    if chunk.caption and text.strip() in chunk.caption:
        bonus -= 0.05  # a caption says what a table shows, rarely the value asked for
    if text.startswith("Source:"):
        bonus -= 0.10
    if text.rstrip().endswith(":"):
        bonus -= FIT  # a lead-in ("as the following example shows:") is never the answer itself
    if len(text.split()) < 4 and not is_row:
        bonus -= 0.10
    if chunk.kind == kinds.FOOTNOTE:
        bonus -= 0.03
    return bonus


def _has_figure(text: str) -> bool:
    """A number other than a year. Example: "in 2016" -> False; "66 cases" -> True."""
    return any(not _is_year(n) for n in numbers_in(text) if number_value(n) is not None)


def _is_year(token: str) -> bool:
    return bool(re.fullmatch(r"(19|20)\d\d", token))


def extreme_rows(candidates: list[Candidate], intent: Intent) -> list[Candidate]:
    """For "which ... lowest / highest" on a numeric table: the rows holding the extreme value, ties included.

    Example: Table 8 and "lowest" -> the rows "Relationships 40%" and "Attitudes to offending 40%".
    """
    if intent.extreme is None:
        return []
    rows = [c for c in candidates[:MAX_CONSIDERED] if c.is_row and c.hit.chunk.table and c.hit.chunk.table.is_numeric()]
    if not rows:
        return []
    table_id = rows[0].hit.chunk.id
    same_table = [c for c in candidates if c.is_row and c.hit.chunk.id == table_id]
    values = {id(c): first_number(c.cells[-1]) for c in same_table}
    pick = min if intent.extreme == "min" else max
    target = pick(v for v in values.values() if v is not None)
    chosen = [c for c in same_table if values[id(c)] == target]
    return sorted(chosen, key=lambda c: c.span.start)


# -- the answer object ---------------------------------------------------------------------------


def build_answer(question: str, chosen: list[Candidate]) -> Answer:
    citations: list[Citation] = []
    parts: list[str] = []
    for candidate in chosen:
        citation = _cite(candidate, citations)
        parts.append(f"{_quote_text(candidate)} [{citation.marker}]")
    answer_text = " ".join(parts)
    answer = Answer(question=question, answer=answer_text, abstained=False, citations=citations)
    answer.figures = figures_for(chosen, citations)
    return answer


def _cite(candidate: Candidate, citations: list[Citation]) -> Citation:
    chunk = candidate.hit.chunk
    for citation in citations:
        if citation.chunk_id == chunk.id:
            citation.quote = f"{citation.quote}{QUOTE_GAP}{candidate.text}"
            citation.quote_spans.append(candidate.span)
            return citation
    citation = Citation(marker=len(citations) + 1, chunk_id=chunk.id, section=chunk.section_text,
                        pages=chunk.pages, kind=chunk.kind, quote=candidate.text, text=chunk.text,
                        quote_spans=[candidate.span], label=chunk.label)
    citations.append(citation)
    return citation


def _quote_text(candidate: Candidate) -> str:
    """A table row reads badly alone: name the table. Example: "Table 11: Alcohol 80%"."""
    chunk = candidate.hit.chunk
    if candidate.is_row and chunk.label and chunk.table and chunk.table.columns[:1] == ["No."]:
        column, statement = candidate.cells  # "Table 5, Barriers: The pace and extent ..."
        return f"{chunk.label}, {column}: {statement}"
    if candidate.is_row and chunk.label:
        cells = _shown_cells(chunk, candidate.cells) or [candidate.text]
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
            if number_value(value) is None or _is_year(value):
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
                    h.chunk.text, h.chunk.label) for h in hits]


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
