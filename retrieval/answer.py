"""The extractive answer: the report's own sentence(s) or table row(s) that answer the question.

Candidates are typed: the sentences of the top passages (a sentence pointing back, or holding the value
asked for, also with the one before it), the rows of their tables (a grade grid's rows for a verdict), the
whole entry of a glossary term, key fact or recommendation, the report's labelled fields and sign-offs
(`fields.py`: "Lead inspector: ...", a foreword's signature) for who/when, and a whole list for "which
recommendations" or "how many areas for improvement". Each is scored on meaning (its precomputed embedding
against the question), on the question's focus words it contains (`wording.py`), on its passage's rank, and
on fitting the type asked for (`forms.py`). The best one or two are quoted verbatim with [n] markers
(`citations.py`), and every quote and number is checked against the cited passage before the answer leaves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest import records as kinds
from ingest.records import Span
from ingest.text import normalise_for_match
from retrieval.analysis import type_words
from retrieval.candidate import Candidate
from retrieval.citations import YES_NO_TYPE, build_answer, decline, yes_no_answer
from retrieval.fields import Field, fields_of, label_match, sign_offs
from retrieval.forms import (
    CAPITALISED_RUN,
    FIT,
    answers_the_form,
    asked_time,
    carries_value,
    dated_only_by_its_subject,
    fit_part_totals,
    fit_parts,
    fit_total,
    focus_weights,
    has_figure,
    is_graded,
    mentions,
    person_fit,
    time_reference,
    type_fit,
)
from retrieval.lexical import LexicalIndex
from retrieval.questions import YEAR, Intent, content_terms, question_entities, stem
from retrieval.records import Answer, Hit
from retrieval.rows import MAX_CONSIDERED, extreme_rows, table_rows
from retrieval.scorer import active_scorer, candidate_features
from retrieval.search import HybridSearch, QueryScores, coverage
from retrieval.wording import (
    BULLET_BREAK,
    BULLETS,
    FIRST_COUNTED,
    IMPROVEMENT_TERMS,
    LIST_NAME_TERMS,
    LISTING_VERBS,
    focus_terms,
    leans_on_previous,
    list_makers,
    list_topic,
    names_the_agent,
    names_the_table,
    number_in_words,
    states_all,
    text_acronyms,
)

WHOLE_PASSAGE_KINDS = (kinds.GLOSSARY, kinds.KEY_FACT, kinds.RECOMMENDATION)
CANDIDATE_PASSAGES = 5  # sentences are drawn from this many top passages
SECOND_SENTENCE_RATIO = 0.82  # a second quote must score at least this share of the best
# Below these the best sentence is too weak to be an answer: decline and show the closest passages.
# Calibrated on evals/dataset.jsonl (`report-qa eval` prints the declined / wrongly-declined rates).
MIN_CONFIDENCE = 0.25
W_PASSAGE_MEANING = 0.3  # measured: 0.2-0.4 gave the same ranks; 0 lost 3 answers
FALLBACK_RATIO = 0.70  # a sentence that fits the form may score this much lower than the best one
NAME_PASSAGES = 3  # a capitalised phrase in more passages than this is a place or body, not a person
_LOWER_WORD = re.compile(r"(?<![\w'’-])[a-z][a-z'’-]+\b")
FRONT_MATTER_TYPES = ("date", "person")  # answer types the report's opening passage often holds
VERDICT_TYPE = "verdict"
GRADED_ROW_COVERAGE = 0.75  # a grade grid's row answers "how was X judged" when it names this much of X
# Words asking for a verdict, not naming what was judged.
VERDICT_WORDS = frozenset(stem(w) for w in "judged judgement judgment graded grade rated rating rate assessed "
                          "verdict overall how".split())
MAX_GRADE_TABLES = 3  # grade grids added to a verdict question's passages
FIELD_TYPES = ("date", "person")  # answer types a labelled field ("Lead inspector: ...") may hold
MIN_TAIL_WORDS = 4  # prose after a sentence's last field is a candidate of its own from this length
DATE_LABEL_WORDS = frozenset({"date", "day", "period", "time"})  # a label naming a date: "Visit dates"
LIST_TYPE = "list"  # retrieval.analysis.AnswerType.LIST (analysis imports questions; answer stays below it)
MAX_LIST_ITEMS = 12  # a list answer quotes at most this many items
LIST_TOPIC_RATIO = 0.5  # a list item is on the question's topic at this share of the best item's word weight
LIST_CONTEXT_CHARS = 400  # the end of the passage before a list, which often says whose list it is
W_LIST_CONTEXT = 0.5  # a question word found just before a list counts this share of one in its name
W_LIST_ITEMS = 0.5  # ... and one its items use, times the share of items using it


def overlaps(one: Candidate, other: Candidate) -> bool:
    """The same text, or spans of one passage that share characters (a sentence and the pair holding it)."""
    if one.text == other.text:
        return True
    return (one.hit.chunk.id == other.hit.chunk.id and not one.is_row and not other.is_row
            and one.span.start < other.span.end and other.span.start < one.span.end)


@dataclass
class LeadIn:
    """The lead-in a run of list items falls under ("The proportion of children on free school meals:"),
    read sentence by sentence: `terms` its words, `open` while a capitalised item may still belong to it."""

    terms: frozenset[str] = frozenset()
    open: bool = False
    row: int | None = None  # the lead-in's sentence row (its embedding)

    def after(self, sentence: str, terms: set[str], row: int | None = None) -> LeadIn:
        """The state after `sentence`: a new lead-in when it ends in ":"; kept for an item of the list (a
        bullet or number starting lower-case, or any while open; one ending in "." is the last); else none."""
        sentence = sentence.strip()
        if sentence.endswith(":"):
            return LeadIn(frozenset(terms), True, row)
        body = sentence.lstrip(BULLETS + "-–*· \t")
        item = body != sentence or body[:1].islower()
        if self.terms and item and (body[:1].islower() or self.open):
            return LeadIn(self.terms, self.open and not sentence.endswith("."), self.row)
        return LeadIn()

    def heads(self, row: int) -> bool:
        """This lead-in is over the sentence at `row` (an item of its list, not the lead-in itself)."""
        return self.row is not None and self.row != row

    def words_of(self, sentence: str, terms: set[str]) -> set[str]:
        """The words a sentence under this lead-in is matched on: its own and, for an item, the lead-in's (the
        lead-in's own state holds its words, so it adds nothing to itself)."""
        return terms | self.terms


# "Give an example of ...", "What is an example of ...": a sentence that introduces examples answers it best.
ASKS_FOR_EXAMPLE = re.compile(r"\b(?:give|name|describe|provide|cite|share|what(?:'s| is| was| are| were)|is there)"
                              r"\s+(?:an?\s+|one\s+|some\s+|any\s+)?examples?\b|\bexamples? of\b", re.I)
GIVES_EXAMPLE = re.compile(r"\b(?:for example|for instance|e\.g\.|examples?(?: \w+){0,2} (?:include[ds]?|including|"
                           r"were|was|are|is)|an example|one example|in one case)\b", re.I)
EXAMPLE_RATIO = 0.85  # a sentence giving examples may score this share of the best and still come first


def examples_first(question: str, candidates: list[Candidate]) -> list[Candidate]:
    """For a question asking for an example, the best-scoring candidate that introduces examples ("For
    example, ...", "Examples seen included ...") moved first when it scores at least EXAMPLE_RATIO of the
    best; otherwise `candidates` as they are."""
    if not candidates or not ASKS_FOR_EXAMPLE.search(question):
        return candidates
    floor = EXAMPLE_RATIO * candidates[0].score
    example = next((c for c in candidates if c.score >= floor and GIVES_EXAMPLE.search(c.text)), None)
    if example is None or example is candidates[0]:
        return candidates
    return [example, *(c for c in candidates if c is not example)]


class Composer:
    def __init__(self, search: HybridSearch, lexical: LexicalIndex, chunk_rows: dict[str, int]) -> None:
        self.search = search
        self.lexical = lexical
        self.chunk_rows = chunk_rows
        self._lower_case_words: frozenset[str] | None = None
        self._expansions: dict[str, str] | None = None
        self._fields: list[Field] | None = None
        self._fields_by_chunk: dict[str, list[Span]] | None = None
        self._flat_text: str | None = None
        self._pieces: dict[str, list[tuple[int, Span, set[str]]]] = {}
        self._carried: dict[tuple[str, int, str | None], bool | None] = {}
        self._list_context: dict[str, set[str]] = {}

    def compose(self, question: str, intent: Intent, hits: list[Hit], scores: QueryScores,
                answer_type: str | None = None) -> Answer:
        counted = self.counted_list(question, intent, hits, scores)
        if counted is not None:
            items, title = counted
            return build_answer(question, items[:MAX_LIST_ITEMS],
                                lead=f"{number_in_words(len(items)).capitalize()} "
                                     f"{'item' if len(items) == 1 else 'items'} under “{title}”:")
        chosen = self.select(question, intent, hits, scores, answer_type=answer_type)
        if not chosen:
            return decline(question, hits)
        if answer_type == YES_NO_TYPE:
            return yes_no_answer(question, chosen)
        return build_answer(question, chosen)

    def counted_list(self, question: str, intent: Intent, hits: list[Hit],
                     scores: QueryScores) -> tuple[list[Candidate], str] | None:
        """"How many recommendations ...?", "How many areas for improvement does X have?": when what is
        counted names a list of the report (its items' kind or its heading), every item of the list the
        question's words fit best, and the list's heading; None otherwise."""
        counted = intent.counted
        if not counted:
            return None
        first = FIRST_COUNTED.search(question)  # "How many recommendations about X": what is counted comes first
        head = stem(first.group(1).lower()) if first else None
        if head is None or head not in counted:
            return None
        found = self.report_list(question, hits, scores, head)
        if found is None and head in LIST_NAME_TERMS:
            # "How many areas for improvement ...?" of a report whose one list is headed "What needs to
            # improve?": a word naming improvement items names whichever such list the report has.
            found = self.report_list(question, hits, scores, None)
        return found

    def report_list(self, question: str, hits: list[Hit], scores: QueryScores,
                    head: str | None) -> tuple[list[Candidate], str] | None:
        """The report's list (its recommendation items of one heading and addressee) the question's words fit
        best, narrowed to the question's topic, with the list's heading. `head`: a stemmed word the list's name
        must hold ("recommend", "area"); None: any list of improvements. None when no list fits.

        A list is named by its heading and addressee, and less surely by what comes just before it (the
        "LSCB" of a part of the report whose own "Recommendations" heading does not say whose they are) and
        by the words most of its items use; an acronym of the question counts with its spelled-out words.
        Whoever made the list ("the recommendations Ofsted made") does not pick or narrow it."""
        asked = list(dict.fromkeys(t for t in self.list_question_terms(question) if t not in LISTING_VERBS))
        best, best_fit, best_named, best_context, best_terms = None, 0.0, set(), set(), []
        for items in self.report_lists():
            title = set(content_terms(f"{items[0].kind} {items[0].section_text}"))  # what the list is called
            own_title = set(content_terms(f"{items[0].kind} {items[0].section_path[-1]}"))
            if head is not None and not mentions(own_title, head):
                continue  # "how many children ...": not a list whose report's title names children
            named = title | set(content_terms(items[0].addressed_to or ""))
            context = self.list_context(items)
            item_terms = [set(content_terms(c.text)) for c in items]
            fit = 0.0
            for term in asked:
                share = sum(1 for found in item_terms if mentions(found, term)) / len(items)
                fit += self.lexical.weight(term) * max(1.0 if mentions(named, term) else 0.0,
                                                       W_LIST_CONTEXT if mentions(context, term) else 0.0,
                                                       W_LIST_ITEMS * share)
            if best is None or (fit, len(items)) > (best_fit, len(best)):  # a tie: the longer list
                best, best_fit, best_named, best_context, best_terms = items, fit, named, context, item_terms
        if best is None or len(best) < 2:
            return None
        # A word of the passage before the list names the list, unless the question says its items are about
        # it: "cafe" said in the summary before "Areas for improvement" still picks out the item on the cafe.
        about = set(content_terms(list_topic(question)))
        best_named |= best_context - about
        for acronym, spelled in self.question_acronyms(question).items():  # "LSCB" of a list named in full
            if all(mentions(best_named, t) for t in content_terms(spelled)):
                best_named.add(stem(acronym.lower()))
        own = [t for t in content_terms(question) if t in asked]
        topic = [t for t in own if not mentions(best_named, t) and t not in LIST_NAME_TERMS]
        if topic:  # "How many recommendations concern care leavers?": the items on that topic
            if not any(mentions(found, t) for found in best_terms for t in topic):
                return None  # "... for the board": no item of this list is about it, so it is not this list
            best = self.on_topic(" ".join(topic), best)
        top = hits[0].score if hits else 1.0
        listed = [self._whole(Hit(c, top, 0), self.chunk_rows[c.id], scores, 1.0, 1.0, Intent()) for c in best]
        return listed, best[0].section_text.split(" > ")[-1].strip()

    def list_question_terms(self, question: str) -> list[str]:
        """The stemmed words of a list question that may say which list: its own words and those its
        acronyms spell out, less the words naming who made the list ("... Ofsted made", "did X recommend")."""
        spelled = list(self.question_acronyms(question).values())
        maker = set(content_terms(" ".join(list_makers(question))))
        return [t for t in content_terms(" ".join([question, *spelled])) if t not in maker]

    def question_acronyms(self, question: str) -> dict[str, str]:
        """The question's acronyms that the report spells out, with their spelling-out."""
        return {a: self.expansions()[a] for a in re.findall(r"\b[A-Z][A-Za-z0-9]*[A-Z]\b", question)
                if a in self.expansions()}

    def report_lists(self) -> list[list]:
        """The report's recommendation items grouped by heading and addressee, in the report's order."""
        groups: dict[tuple[str, str | None], list] = {}
        for chunk in self.search.chunks:
            if chunk.kind == kinds.RECOMMENDATION:
                groups.setdefault((chunk.section_id, chunk.addressed_to), []).append(chunk)
        return list(groups.values())

    def list_context(self, items: list) -> set[str]:
        """The stemmed words just before a list: the headings and the last LIST_CONTEXT_CHARS of the nearest
        passage before its first item that is not a recommendation. Remembered per list."""
        key = items[0].id
        if key not in self._list_context:
            row = self.chunk_rows[items[0].id] - 1
            chunks = self.search.chunks
            while row >= 0 and chunks[row].kind == kinds.RECOMMENDATION:
                row -= 1
            before = chunks[row] if row >= 0 else None
            text = f"{before.section_text} {before.text[-LIST_CONTEXT_CHARS:]}" if before is not None else ""
            self._list_context[key] = set(content_terms(text))
        return self._list_context[key]

    def select(self, question: str, intent: Intent, hits: list[Hit], scores: QueryScores,
               taken: list[Candidate] | None = None, answer_type: str | None = None,
               constraints: tuple[str, ...] | None = None, distinct: tuple[str, ...] = (),
               part_text: str | None = None) -> list[Candidate]:
        """The sentence(s) or row(s) that answer, or [] when none is good enough. `taken` are quotes an
        earlier part of the same question already uses; `answer_type` is the analysis's expected type
        (`retrieval.analysis.AnswerType`), which weighs candidates carrying a value of that type.
        `constraints`: the names and years that pin a part of a question (default: those of `question`);
        `distinct`: those of them that set the part apart from the other parts, which its quote must state;
        `part_text`: the part's own words when `question` is its search query."""
        named = list(constraints) if constraints is not None else question_entities(question)
        entities = self.specific_entities(question, named)
        considered = hits[:CANDIDATE_PASSAGES]
        if answer_type in FRONT_MATTER_TYPES:
            considered = considered + self.front_matter(considered)
        if answer_type == VERDICT_TYPE:
            considered = considered + self.grade_tables(considered)
        candidates = self.candidates(question, intent, considered, scores, entities,
                                     answer_type=answer_type, part_text=part_text)
        if taken:
            # An earlier part's quote, or a sentence inside it, does not answer this part too -- unless that
            # sentence states what sets this part apart ("... 45 in 2014-15. This rose in 2015-16 to 70.").
            candidates = [c for c in candidates if all(c.text != t.text for t in taken) and (
                not any(overlaps(c, t) for t in taken) or (distinct and states_all(c, distinct)))]
        if not candidates:
            return []
        extremes = extreme_rows(candidates, intent)
        if extremes:
            return extremes
        graded = self.graded_row(part_text or question, candidates, answer_type)
        if graded is not None:
            return [graded]
        entry = self.glossary_entry(question, intent, hits, scores) if intent.wants_definition else None
        if entry is not None:
            return [entry]
        asked = self.not_name_words(question)
        fitting = [c for c in candidates[:MAX_CONSIDERED]
                   if c.score >= FALLBACK_RATIO * candidates[0].score
                   and answers_the_form(c, intent, entities, self.expansions(), named, asked)
                   and self.counts_the_thing_asked(c, intent)]
        fitting = [c for c in fitting if states_all(c, distinct)] or fitting
        years = tuple(e for e in named if YEAR.fullmatch(e))
        if len(years) > 1 and not distinct:  # "how did X change between 2014 and 2015": a quote giving both
            fitting = [c for c in fitting if states_all(c, years)] or fitting
        if intent.wants_date or answer_type == "date":
            fitting = [c for c in fitting if not dated_only_by_its_subject(c.value_part, part_text or question)]
        confident = bool(fitting) and self.confidence(fitting[0], scores) >= MIN_CONFIDENCE
        if answer_type == LIST_TYPE:
            whole = self.whole_list(question, fitting[0], scores) if confident else []
            named = whole or self.improvement_list(question, hits, scores)
            if named:
                return named
        if not confident:
            return []
        return self.choose(examples_first(part_text or question, fitting), intent)

    def graded_row(self, question: str, candidates: list[Candidate], answer_type: str | None) -> Candidate | None:
        """"How was X judged?": the row of the report's grade grid whose judgement names (nearly) all of X
        -- the grade itself, not a sentence using a grade word about X. None when no row names X so."""
        if answer_type != VERDICT_TYPE or not candidates:
            return None
        asked = [t for t in dict.fromkeys(content_terms(question)) if t not in VERDICT_WORDS]
        total = sum(self.lexical.weight(t) for t in asked)
        if total <= 0:
            return None

        def named(row: Candidate) -> float:
            found = set(content_terms(" ".join(row.cells[:-1]) or row.text))
            return sum(self.lexical.weight(t) for t in asked if mentions(found, t)) / total

        rows = [(named(c), c.score, c) for c in candidates[:MAX_CONSIDERED] if c.is_row and is_graded(c.hit.chunk)]
        rows = [r for r in rows if r[0] >= GRADED_ROW_COVERAGE]
        return max(rows, key=lambda r: r[:2])[2] if rows else None

    def improvement_list(self, question: str, hits: list[Hit], scores: QueryScores) -> list[Candidate]:
        """"What are the areas for improvement?" of a report whose list of them is headed "Recommendations"
        (or the reverse): a list question naming improvements or recommendations gets the report's list of
        them, on the question's topic; [] when it names neither or the report has no such list."""
        if not set(content_terms(question)) & IMPROVEMENT_TERMS:
            return []
        found = self.report_list(question, hits, scores, None)
        return found[0] if found else []

    def on_topic(self, question: str, items: list) -> list:
        """The items of a list that the question's own topic picks out ("which recommendations concern care
        leavers" keeps those naming care leavers), all of them when its words pick out none. Words every
        item shares (with whom it is addressed to) say nothing about which one; an item is kept when its
        weight of the question's words is at least LIST_TOPIC_RATIO of the best item's."""
        asked = set(content_terms(question))
        terms = [set(content_terms(f"{item.addressed_to or ''} {item.text}")) & asked for item in items]
        shared = set.intersection(*terms) if terms else set()
        weights = [sum(self.lexical.weight(t) for t in found - shared) for found in terms]
        best = max(weights, default=0.0)
        if best <= 0:
            return items
        return [item for item, weight in zip(items, weights, strict=True) if weight >= LIST_TOPIC_RATIO * best]

    def whole_list(self, question: str, best: Candidate, scores: QueryScores) -> list[Candidate]:
        """"Which recommendations ...?": when the best candidate is one recommendation, every recommendation
        of its section answers, in the report's order, each its own quote. [] when `best` is not one of a
        list (the usual choice applies)."""
        chunk = best.hit.chunk
        if chunk.kind != kinds.RECOMMENDATION:
            return []
        siblings = [c for c in self.search.chunks
                    if c.kind == kinds.RECOMMENDATION and c.section_id == chunk.section_id
                    and c.addressed_to == chunk.addressed_to]  # "... for the council alone": its own list
        siblings = self.on_topic(question, siblings)
        if len(siblings) < 2:
            return []
        listed = []
        for sibling in siblings[:MAX_LIST_ITEMS]:
            hit = best.hit if sibling.id == chunk.id else Hit(sibling, best.hit.score, 0)
            listed.append(self._whole(hit, self.chunk_rows[sibling.id], scores, best.coverage, 1.0, Intent()))
        return listed

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
        if candidate.sentence_row is not None:  # a piece of a run-on sentence: its list's lead-in counts too
            sentence |= self.search.sentence_terms[candidate.sentence_row]
        where = sentence | passage if candidate.is_row else sentence
        return all(mentions(passage, t) for t in known) and any(mentions(where, t) for t in known)

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

    def pairs_with(self, chunk, previous: Span, span: Span, answer_type: str | None) -> bool:
        """Whether the sentence at `span` is also a candidate together with the one before: it points back
        ("This rose to 70."), or it alone holds a value of the type asked for (the one before names what)."""
        if self._carries(chunk, span, None):
            return True
        return bool(self._carries(chunk, span, answer_type)) and self._carries(chunk, previous, answer_type) is False

    def _carries(self, chunk, span: Span, answer_type: str | None) -> bool | None:
        """`carries_value` of one sentence (for answer_type None: whether it points back), remembered: the
        same sentences come up question after question."""
        key = (chunk.id, span.start, answer_type)
        if key not in self._carried:
            sentence = chunk.text[span.start : span.end]
            self._carried[key] = leans_on_previous(sentence) if answer_type is None else carries_value(
                sentence, answer_type)
        return self._carried[key]

    def one_name(self, phrase: str) -> bool:
        """Whether the report writes `phrase` (any case, spacing and quote style): "Staffordshire and Stoke"
        is one of its names, "Rehabilitation and Anger" is not."""
        if self._flat_text is None:
            self._flat_text = " \n ".join(normalise_for_match(c.text) for c in self.search.chunks)
        return normalise_for_match(phrase) in self._flat_text

    def fields(self) -> list[Field]:
        """Every labelled field of the report ("Lead inspector: ..."), found once."""
        if self._fields is None:
            labelled = [f for c in self.search.chunks if c.kind == kinds.TEXT for f in fields_of(c)]
            self._fields = labelled + sign_offs(self.search.chunks, lambda text: person_fit(text) >= FIT)
        return self._fields

    def pieces(self, chunk, row: int) -> list[tuple[int, Span, set[str]]]:
        """The passage's sentences as (sentence row, span, stemmed words), a sentence the splitter left joined
        at a symbol-font bullet ("... in 2015. \uf06e The chair ...", "Homes \uf02d 30 live in ...") cut there,
        with or without a full stop before it; each piece keeps its
        sentence's row (and so its embedding). Remembered per passage."""
        if chunk.id not in self._pieces:
            found = []
            for sentence_row, span in zip(self.search.sentence_rows(row), chunk.sentences, strict=False):
                cuts = [span.start + m.end() for m in BULLET_BREAK.finditer(chunk.text[span.start : span.end])]
                if not cuts:
                    found.append((sentence_row, span, self.search.sentence_terms[sentence_row]))
                    continue
                for start, end in zip([span.start, *cuts], [*cuts, span.end], strict=True):
                    piece = chunk.text[start:end]
                    lead = len(piece) - len(piece.lstrip(" \t" + BULLETS))
                    tail = len(piece.rstrip())
                    if tail > lead:
                        found.append((sentence_row, Span(start + lead, start + tail),
                                      set(content_terms(piece))))
            self._pieces[chunk.id] = found
        return self._pieces[chunk.id]

    def after_fields(self, chunk, span: Span) -> Span | None:
        """The prose after the last labelled field inside a sentence, when a front page runs its fields into
        a headline with no full stop between; None when the sentence holds no field or too little follows."""
        self.fields_within(Candidate(Hit(chunk, 0.0, 0), span, "", 0.0, 0.0, 0.0, False))  # builds the map
        inside = [f for f in (self._fields_by_chunk or {}).get(chunk.id, []) if span.start <= f.start < span.end]
        if not inside:
            return None
        start = max(f.end for f in inside)
        while start < span.end and not chunk.text[start].isalnum():
            start += 1
        if start >= span.end or len(chunk.text[start : span.end].split()) < MIN_TAIL_WORDS:
            return None
        return Span(start, span.end)

    def fields_within(self, candidate: Candidate) -> int:
        """How many labelled fields of the report lie inside the candidate's text."""
        if self._fields_by_chunk is None:
            self._fields_by_chunk = {}
            for field in self.fields():
                self._fields_by_chunk.setdefault(field.chunk.id, []).append(field.span)
        spans = self._fields_by_chunk.get(candidate.hit.chunk.id, [])
        return sum(1 for s in spans if candidate.span.start <= s.start and s.end <= candidate.span.end)

    def field_candidates(self, question: str, intent: Intent, hits: list[Hit], scores: QueryScores,
                         answer_type: str, asked: frozenset[str]) -> list[Candidate]:
        """The labelled fields whose value is of the type asked for and whose label the question names, as
        candidates: "Who led the inspection?" and "Lead inspector: Jane Smith". Matched on the label's words
        (`fields.label_match`) and on the meaning of the sentence holding the field."""
        retrieved = {h.chunk.id: h for h in hits}
        top = hits[0].score if hits and hits[0].score > 0 else 1.0
        found = []
        for field in self.fields():
            if (type_fit(field.value, answer_type, asked) or 0.0) <= 0:
                continue
            match = label_match(field, question, type_words(answer_type) | DATE_LABEL_WORDS
                                if answer_type == "date" else type_words(answer_type))
            if match <= 0:
                continue
            row = self.chunk_rows[field.chunk.id]
            hit = retrieved.get(field.chunk.id) or Hit(field.chunk, min((h.score for h in hits), default=0.0), 0)
            sims = [float(scores.sentence_sims[r]) for r, s in zip(self.search.sentence_rows(row),
                    field.chunk.sentences, strict=False) if s.start <= field.span.start < s.end]
            dense = (1 - W_PASSAGE_MEANING) * max(sims, default=0.0) + W_PASSAGE_MEANING * float(scores.dense[row])
            prior = max(hit.score, 0.0) / top
            found.append(self._candidate(hit, field.span, dense, match, match, prior, intent, is_row=False,
                                         answer_type=answer_type, asked=asked))
        return found

    def front_matter(self, hits: list[Hit]) -> list[Hit]:
        """The report's opening passage (title, dates, by-line) as one more place a "when" or "who" answer
        may be, scored as the weakest retrieved passage; [] when it is already among `hits`."""
        first = next((c for c in self.search.chunks if c.kind == kinds.TEXT), None)
        if first is None or any(h.chunk.id == first.id for h in hits):
            return []
        return [Hit(first, min((h.score for h in hits), default=0.0), len(hits) + 1)]

    def grade_tables(self, hits: list[Hit]) -> list[Hit]:
        """The report's grade grids (`forms.is_graded`) not among `hits`, as more places a "how was X judged"
        answer may be, scored as the weakest retrieved passage."""
        shown = {h.chunk.id for h in hits}
        low = min((h.score for h in hits), default=0.0)
        return [Hit(c, low, len(hits) + n) for n, c in enumerate(
            (c for c in self.search.chunks if c.id not in shown and is_graded(c)), 1)][:MAX_GRADE_TABLES]

    def not_name_words(self, question: str) -> frozenset[str]:
        """Stemmed words a person's name is not made of: the question's own (the role asked about, "chief
        executive"), every word the report also writes in lower case ("community", "partnership") and the
        words of capitalised phrases in many passages (a place: "West Midlands"; a person is named rarely)."""
        if self._lower_case_words is None:
            lower = {w for c in self.search.chunks for w in _LOWER_WORD.findall(c.text)}
            runs: dict[str, int] = {}
            for chunk in self.search.chunks:
                for run in set(CAPITALISED_RUN.findall(chunk.text)):
                    runs[run] = runs.get(run, 0) + 1
            frequent = {run for run, n in runs.items() if n > NAME_PASSAGES}
            self._lower_case_words = frozenset(content_terms(" ".join(sorted(lower | frequent))))
        return self._lower_case_words | frozenset(content_terms(question))

    def expansions(self) -> dict[str, str]:
        """Acronyms the glossary spells out, and those the text does ("Reducing Reoffending Partnership (RRP)",
        a capitalised name whose initials an acronym of the report spells). Example: {"PSO": "Probation
        services officer", "RRP": "Reducing Reoffending Partnership", ...}."""
        if self._expansions is None:
            self._expansions = {**text_acronyms([c.text for c in self.search.chunks], self.lexical.acronyms),
                                **self.lexical.acronyms}
        return self._expansions

    def specific_entities(self, question: str, named: list[str] | None = None) -> list[str]:
        """Names and years in the question that few passages mention: the answer's passage must.

        Names most passages carry ("CRC", "Staffordshire") say nothing about which passage answers. A name
        the report never mentions ("Tuesday", "2019") cannot be in any passage, so the question is declined;
        an unknown acronym is let through, as it may abbreviate something the report spells out.
        """
        common = 0.3 * len(self.search.chunks)
        specific = []
        for entity in question_entities(question) if named is None else named:
            frequency = sum(1 for terms in self.search.passage_terms if stem(entity.lower()) in terms)
            unknown_name = frequency == 0 and not entity.isupper()
            if YEAR.fullmatch(entity) or unknown_name or 0 < frequency < common:
                specific.append(entity)
        return specific

    # -- candidates ------------------------------------------------------------------------------

    def candidates(self, question: str, intent: Intent, hits: list[Hit], scores: QueryScores,
                   entities: list[str] | None = None, answer_type: str | None = None,
                   part_text: str | None = None) -> list[Candidate]:
        """Every candidate answer in `hits`, best first. `part_text`: what a part of a question asks, when
        `question` is its search query (the part with the first part's words): a field's label is matched
        to the part alone."""
        top_score = hits[0].score if hits and hits[0].score > 0 else 1.0
        weights = focus_terms(question, answer_type, self.lexical.weight)
        asked = self.not_name_words(question)
        case_weights = focus_weights(question, weights)
        if entities is None:
            entities = self.specific_entities(question)
        entities = [normalise_for_match(e) for e in entities]
        found: list[Candidate] = []
        for hit in hits:
            row = self.chunk_rows[hit.chunk.id]
            prior = max(hit.score, 0.0) / top_score
            passage_coverage = float(scores.passage_coverage[row])
            rows = table_rows(hit.chunk)
            if hit.chunk.kind in WHOLE_PASSAGE_KINDS:
                found.append(self._whole(hit, row, scores, passage_coverage, prior, intent, answer_type))
                continue
            row_spans = [span for span, _ in rows]
            # In a case story the scene-setting words name the case; the asked part picks the sentence.
            sentence_weights = case_weights if hit.chunk.kind == kinds.PRACTICE_EXAMPLE else weights
            before: tuple[int, Span, set[str]] | None = None  # the sentence before, for one leaning on it
            lead_in = LeadIn()
            for sentence_row, span, terms in self.pieces(hit.chunk, row):
                if rows and (any(span.start < r.end and r.start < span.end for r in row_spans)
                             or names_the_table(hit.chunk, hit.chunk.text[span.start : span.end])):
                    continue  # a table answers with whole rows, below; a headline outside them as a sentence
                text = hit.chunk.text[span.start : span.end]
                lead_in = lead_in.after(text, terms, sentence_row)
                # An item of a list means what its lead-in says: "in primary schools is 18%" of which share.
                own = coverage(sentence_weights, [lead_in.words_of(text, terms)])[0]
                # A sentence means more in its passage ("Overall, the quality of work was insufficient" is
                # about public protection because its section is): blend in the passage's similarity.
                sim = float(scores.sentence_sims[sentence_row])
                if lead_in.heads(sentence_row):
                    sim = (sim + float(scores.sentence_sims[lead_in.row])) / 2
                dense = (1 - W_PASSAGE_MEANING) * sim + W_PASSAGE_MEANING * float(scores.dense[row])
                single = self._candidate(hit, span, dense, float(own), passage_coverage, prior, intent,
                                         is_row=False, entities=entities, answer_type=answer_type, asked=asked)
                single.sentence_row = sentence_row
                found.append(single)
                if before is not None and self.pairs_with(hit.chunk, before[1], span, answer_type):
                    # "This increased in 2015–16 to 70.": what "this" is, the sentence before says; "The last
                    # visit to X was in 2011. It was judged good.": the value follows its subject. The pair is
                    # one candidate, matched on the words of both.
                    previous_row, previous, previous_terms = before
                    pair_terms = terms | previous_terms
                    pair_sim = (sim + float(scores.sentence_sims[previous_row])) / 2  # the pair as a whole
                    pair_dense = (1 - W_PASSAGE_MEANING) * pair_sim + W_PASSAGE_MEANING * float(scores.dense[row])
                    pair = self._candidate(hit, Span(previous.start, span.end), pair_dense,
                                           float(coverage(sentence_weights, [pair_terms])[0]), passage_coverage,
                                           prior, intent, is_row=False, entities=entities,
                                           answer_type=answer_type, asked=asked)
                    pair.value_text = hit.chunk.text[span.start : span.end]
                    found.append(pair)
                rest = self.after_fields(hit.chunk, span)
                if rest is not None:  # "... Report published: 10/08/2015 Services in X are good": the headline
                    terms_ = set(content_terms(hit.chunk.text[rest.start : rest.end]))
                    found.append(self._candidate(hit, rest, dense, float(coverage(sentence_weights, [terms_])[0]),
                                                 passage_coverage, prior, intent, is_row=False, entities=entities,
                                                 answer_type=answer_type, asked=asked))
                before = (sentence_row, span, terms)
            for span, cells in rows:
                sims = [float(scores.sentence_sims[r]) for r, s in zip(self.search.sentence_rows(row),
                        hit.chunk.sentences, strict=False) if span.start <= s.start < span.end]
                own = coverage(weights, [set(content_terms(" ".join(cells)))])[0]
                dense = max(sims, default=0.0)
                if hit.chunk.table.is_numeric():
                    # A short row of figures embeds poorly alone; the table as a whole says what it measures.
                    dense = 0.5 * dense + 0.5 * float(scores.dense[row])
                found.append(self._candidate(hit, span, dense, float(own), passage_coverage, prior,
                                             intent, is_row=True, cells=cells, entities=entities,
                                             answer_type=answer_type, asked=asked))
        if answer_type in FIELD_TYPES:
            # A run of labelled fields on one line is read as its fields, not as one sentence naming them all.
            found = [c for c in found if c.is_row or self.fields_within(c) < 2]
            found += self.field_candidates(part_text or question, intent, hits, scores, answer_type, asked)
        for candidate in found:
            if names_the_agent(part_text or question, candidate.value_part):
                candidate.score += FIT  # "... is coordinated by X" answers "who coordinates ...?"
        asked_when = asked_time(part_text or question)
        stated = time_reference(part_text or question) is not None  # the question's own words say which
        if asked_when is not None:  # "the current chair" is not "the previous chair", and the other way round
            kept = []
            for candidate in found:
                said = time_reference(candidate.value_part)
                if said is not None and said != asked_when and stated:
                    continue  # it contradicts the question's own words: not an answer
                if said is not None:
                    candidate.score += FIT / 2 if said == asked_when else -FIT / 2
                kept.append(candidate)
            found = kept
        found.sort(key=lambda c: -c.score)
        return found

    def _whole(self, hit: Hit, row: int, scores: QueryScores, passage_coverage: float, prior: float,
               intent: Intent, answer_type: str | None = None) -> Candidate:
        """A glossary entry or key fact answers as a whole: the term with its definition, the figure with
        what it measures."""
        sims = [float(scores.sentence_sims[r]) for r in self.search.sentence_rows(row)]
        return self._candidate(hit, Span(0, len(hit.chunk.text)), max(sims, default=float(scores.dense[row])),
                               passage_coverage, passage_coverage, prior, intent, is_row=False,
                               answer_type=answer_type)

    def _candidate(self, hit: Hit, span: Span, dense: float, own_coverage: float, passage_coverage: float,
                   prior: float, intent: Intent, is_row: bool, cells: list[str] | None = None,
                   entities: list[str] | None = None, answer_type: str | None = None,
                   asked: frozenset[str] = frozenset()) -> Candidate:
        text = hit.chunk.text[span.start : span.end]
        coverage_ = own_coverage
        # A table row, glossary entry or key fact leans on its passage's title and caption for context.
        if is_row or hit.chunk.kind in (kinds.GLOSSARY, kinds.KEY_FACT):
            coverage_ = 0.5 * own_coverage + 0.5 * passage_coverage
        terms = fit_parts(text, hit.chunk, intent, is_row, answer_type, asked)
        fit = fit_total(terms)  # fit_bonus, term for term
        named = 0.0
        if entities:  # the sentence itself names what the question is specifically about
            named = sum(1 for e in entities if e in normalise_for_match(text)) / len(entities)
        # One weighted sum (retrieval/scorer.py): the hand weights, or those `report-qa fit-scorer` fitted.
        features = candidate_features(dense, coverage_, own_coverage, passage_coverage, prior, fit, named, is_row,
                                      hit.chunk.kind in WHOLE_PASSAGE_KINDS, len(text.split()),
                                      fit_part_totals(terms), self._carries(hit.chunk, span, answer_type)
                                      if answer_type else None)
        return Candidate(hit, span, text, active_scorer().score(features), dense, coverage_, is_row, cells or [],
                         features=features)

    def choose(self, candidates: list[Candidate], intent: Intent) -> list[Candidate]:
        best = candidates[0]
        chosen = [best]
        explains = intent.wants_definition or (intent.wants_account and not intent.wants_number)
        if explains and not best.is_row and best.hit.chunk.kind not in WHOLE_PASSAGE_KINDS:
            following = self.next_sentence(best)
            # "What's the Evolve project?" / "What happened when ...?": the sentence naming it, then the next.
            if following is not None:
                return [best, following]
        for other in candidates[1:6]:
            if other.score < SECOND_SENTENCE_RATIO * best.score or other.text == best.text:
                continue
            different_passage = other.hit.chunk.id != best.hit.chunk.id
            needs_number = intent.wants_number and not has_figure(best.text) and has_figure(other.text)
            if (intent.multi_part and different_passage) or needs_number:
                chosen.append(other)
                break
        return chosen
