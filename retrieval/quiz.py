"""A trainer's cited quiz: questions with answer keys drawn from a report's structured passages, each key
carrying its citation and checked by the answerer itself.

    quiz = build_quiz(engine, n=10)            # the engine's report; sections=("ch3",), theme="alcohol" narrow it
    quiz.items[0].question                     # "What does ATR stand for?"
    quiz.items[0].answer                       # "Alcohol Treatment Requirement"
    quiz.items[0].citation.pages               # [61]: the printed page of the quote
    quiz.dropped                               # items the engine answered otherwise, left out

Candidates come from the kinds of passage ingest types (ingest.records): glossary entries, key facts, rows of
complete tables, recommendations and practice examples, templates per kind; nothing here knows a particular
report's words. No question quotes its key (a recommendation is asked by its addressee or as a blank for one
of its key terms). Multiple-choice distractors are values of the same kind, form and size from the same report
(another acronym's expansion, another key figure with the same sign and unit, another row's value in the same
column: retrieval/quiz_phrases.py), and a question that reads badly (ending on "with", "are subject") is
dropped.
Every candidate's question is then asked of the engine; a candidate is kept only when the engine's answer
contains its key, so a trainer never hands out an item the system itself would answer differently.
"""

from __future__ import annotations

import hashlib
import logging
import random
import re
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from ingest.errors import ReportQAError
from ingest.records import GLOSSARY, KEY_FACT, PRACTICE_EXAMPLE, RECOMMENDATION, TABLE, TEXT, Chunk, Document, Span
from ingest.text import collapse_spaces, normalise_for_match, numbers_in, words
from retrieval.questions import STOPWORDS, stem
from retrieval.quiz_phrases import (
    WELL_USED,
    KeyTerm,
    key_terms,
    reads_well,
    similar_distractors,
    starts_with_anaphor,
    strip_page_number,
    unnested,
    without_page_number,
)
from retrieval.records import Filters

log = logging.getLogger(__name__)

STATISTIC = "statistic"  # a sentence of the report's prose stating one percentage (not an ingest kind)
QUIZ_KINDS = (KEY_FACT, GLOSSARY, TABLE, RECOMMENDATION, PRACTICE_EXAMPLE, STATISTIC)  # the order of turns
STATEMENT_WORDS = (8, 40)  # a statistic's sentence: long enough to say what is measured, short enough to read
MAX_N = 200  # more questions than this is not a quiz; -n above it is refused
OPTIONS = 4  # a multiple-choice item: the key and up to three distractors
ROWS_PER_TABLE = 4  # a long table would otherwise fill the quiz on its own
MAX_EXPANSION_WORDS = 8  # longer after an acronym is a definition ("OASys Offender assessment system used ...")
MIN_RECALL = 0.7  # a long key (a definition, a recommendation) matches when 70% of its content words are answered
_ACRONYM = re.compile(r"^(?=(?:[^A-Z]*[A-Z]){2})[A-Z][A-Za-z0-9&/-]{1,9}$")  # "ATR", "MoJ", "E3" has one capital
_PLACEHOLDER_COLUMN = re.compile(r"^column \d+$", re.IGNORECASE)
_ADDRESSEE = re.compile(r"^[^\n]*\bshould\s*:", re.IGNORECASE)  # "The National Probation Service should:"
_NUMBERING = re.compile(r"[\s|]*(?:\(?\d{1,3}[.)])?[\s|]*")  # "\n\n6. " or "1. |  | "
# "The authority should review ...": a recommendation naming its own addressee
_INLINE_ADDRESSEE = re.compile(r"^((?:The|This|Each|All) [^,.;:]{2,60}?) should (?=[a-z])")
_NOT_IMPERATIVE = frozenset("the a an this these there it its we they our no none inspectors".split())  # a finding
_PARAGRAPH_REFERENCE = re.compile(r"\s*\((?:see )?(?:paragraphs?|paras?\.?|page|pp?\.) [\d, and–-]+\)", re.IGNORECASE)
_COUNTED = re.compile(r"^\s*\(\s*\d[\d,]* (?:of|out of) \d")  # "13% (53 of 406)": the blank worked out
_FACT_SUBJECT = re.compile(r"^the (proportion|percentage|share) of (.+)$", re.IGNORECASE)
_RELATIVE = re.compile(r"\b(?:which|who|that) (?=\w)")


@dataclass(frozen=True)
class QuizCitation:
    report_id: str
    report: str  # the report's title
    section: str  # section path, " > " joined
    pages: list[int]  # printed pages of the quote itself
    quote: str  # verbatim from the passage
    chunk_id: str
    label: str | None = None  # "Table 3", "ATR", "Recommendation 2", ...


@dataclass
class QuizItem:
    kind: str  # one of QUIZ_KINDS
    question: str
    answer: str  # the key
    citation: QuizCitation
    options: list[str] = field(default_factory=list)  # multiple choice, the key among them; empty: short answer
    must_mention: list[str] = field(default_factory=list)  # words an answer must also hold (the example's person)
    check_phrase: str = ""  # what the engine's answer must hold when not the key itself ("The NPS should")
    checked: bool = False  # the engine was asked and its answer holds the key
    engine_answer: str = ""  # what the engine answered when checked

    @property
    def correct(self) -> int | None:
        """The key's index among the options (None for a short-answer item)."""
        return self.options.index(self.answer) if self.answer in self.options else None


@dataclass(frozen=True)
class QuizReport:
    id: str
    title: str
    publisher: str
    date: str


@dataclass
class Quiz:
    report: QuizReport
    items: list[QuizItem]
    generated: int  # candidates the report offered (after the section/theme filter)
    asked: int  # candidates asked of the engine before `n` were kept (or none were left)
    dropped: list[QuizItem] = field(default_factory=list)  # asked, but the engine's answer did not hold the key
    sections: list[str] = field(default_factory=list)
    theme: str | None = None
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


# ---------- building and checking ----------


def build_quiz(engine, n: int = 10, sections: tuple[str, ...] | list[str] = (), theme: str | None = None,
               check: bool = True, seed: int = 0) -> Quiz:
    """Up to `n` items from `engine`'s report, each kept only if `engine.ask` answers it with its key."""
    started = time.perf_counter()
    if not isinstance(n, int) or n < 1 or n > MAX_N:
        raise ReportQAError(f"-n must be a number of questions from 1 to {MAX_N}, not {n!r}.")
    report = report_of(engine)
    pool = candidates(engine.document, report, sections, theme, seed)
    if not pool:
        where = f" in {', '.join(map(repr, sections))}" if sections else ""
        about = f" about {theme!r}" if theme else ""
        raise ReportQAError(f"report {report.id!r} has no quiz material{where}{about}: no glossary entries, key "
                            "facts, complete tables, recommendations or practice examples; choose other sections "
                            "or another report.")
    kept: list[QuizItem] = []
    dropped: list[QuizItem] = []
    for item in pool:
        if len(kept) == n:
            break
        (kept if not check or self_check(engine, item) else dropped).append(item)
    log.info("quiz of %s: %d candidates, %d asked, %d kept", report.id, len(pool), len(kept) + len(dropped), len(kept))
    return Quiz(report, kept, len(pool), len(kept) + len(dropped), dropped, list(sections), theme,
                round(time.perf_counter() - started, 3))


def self_check(engine, item: QuizItem) -> bool:
    """Ask the item's question; True (and the item marked checked) when the answer holds the key."""
    try:
        answer = engine.ask(item.question)
    except ReportQAError as err:  # the engine refuses the question: the item cannot be checked
        item.engine_answer = f"(refused: {err})"
        return False
    item.engine_answer = answer.answer
    item.checked = not answer.abstained and answer_matches(item, answer.answer)
    return item.checked


def answer_matches(item: QuizItem, answer: str) -> bool:
    """The key in the answer: a short key (a number, a grade, an expansion) as a phrase; a long one (a
    definition, a recommendation) by its content words. Words in `must_mention` must be there too.

    Example: key "43%" matches "43% The proportion of the CRC cases ..." but not "143 cases".
    """
    if not all(contains_phrase(answer, word) for word in item.must_mention):
        return False
    if item.check_phrase:  # an addressee: "The CRC" is not "The CRC and NPS"
        return contains_phrase(answer, item.check_phrase)
    if contains_phrase(answer, item.answer):
        return True
    key_terms = set(_terms(item.answer))
    if len(key_terms) < 5 or numbers_in(item.answer):  # short or numeric keys: only the phrase itself counts
        return False
    return len(key_terms & set(_terms(answer))) / len(key_terms) >= MIN_RECALL


def contains_phrase(text: str, phrase: str) -> bool:
    """Example: ("in 43% of cases", "43%") -> True; ("143 cases", "43") -> False (word boundaries)."""
    wanted = normalise_for_match(phrase)
    if not wanted:
        return False
    pattern = rf"(?<![\w.,]){re.escape(wanted)}(?![\w]|[.,]\d)"
    return re.search(pattern, normalise_for_match(text)) is not None


def _terms(text: str) -> list[str]:
    return [stem(w) for w in words(text) if w not in STOPWORDS and len(w) > 2]


def report_of(engine) -> QuizReport:
    manifest = engine.manifest
    name = engine.document.name
    title = (getattr(manifest, "title", "") or "").strip() or name.replace("-", " ").capitalize()
    return QuizReport(name, title, getattr(manifest, "publisher", "") or "", getattr(manifest, "date", "") or "")


# ---------- candidates ----------


def candidates(document: Document, report: QuizReport, sections=(), theme: str | None = None,
               seed: int = 0) -> list[QuizItem]:
    """Every candidate item of the report, kinds taking turns (a fact, a term, a table row, ...), each kind's
    items in a seeded shuffle so that a quiz samples the whole report."""
    chunks = _chosen_chunks(document.chunks, sections, theme)
    makers = {KEY_FACT: key_fact_items, GLOSSARY: glossary_items, TABLE: table_items,
              RECOMMENDATION: recommendation_items, PRACTICE_EXAMPLE: example_items, STATISTIC: statistic_items}
    source = {STATISTIC: TEXT}  # the chunk kind a quiz kind reads, where they differ
    per_kind = []
    for kind in QUIZ_KINDS:  # distractors come from the whole report, not only the chosen sections
        items = makers[kind]([c for c in chunks if c.kind == source.get(kind, kind)], document, report,
                             [c for c in document.chunks if c.kind == source.get(kind, kind)])
        random.Random(f"{seed}-{kind}").shuffle(items)
        per_kind.append(items)
    fair = _unambiguous([i for items in per_kind for i in items if reads_well(i.question)])
    for item in fair:
        _shuffle_options(item, seed)
    return [item for turn in _take_turns([[i for i in items if i in fair] for items in per_kind]) for item in turn]


def _unambiguous(items: list[QuizItem]) -> list[QuizItem]:
    """Items whose question has one key in the report: a row label in two tables ("Drugs" for two
    organisations) asks a question with two right answers, and is left out."""
    keys: dict[str, set[str]] = {}
    for item in items:
        keys.setdefault(normalise_for_match(item.question), set()).add(normalise_for_match(item.answer))
    return [i for i in items if len(keys[normalise_for_match(i.question)]) == 1]


def _chosen_chunks(chunks: list[Chunk], sections, theme: str | None) -> list[Chunk]:
    for section in sections:
        Filters(section=section).check(chunks)  # a section the report has not: one line naming valid ones
    if sections:
        chunks = [c for c in chunks if any(Filters(section=s).allows(c) for s in sections)]
    if theme is not None:
        wanted = set(_terms(theme))
        if not wanted:
            raise ReportQAError(f"--theme {theme!r} has no words to look for; give a word or two, e.g. "
                                "'training'.")
        chunks = [c for c in chunks if wanted <= set(_terms(c.search_text()))]
    return chunks


def _take_turns(per_kind: list[list[QuizItem]]) -> list[list[QuizItem]]:
    """Example: [[a1, a2], [b1], [c1, c2]] -> [[a1, b1, c1], [a2, c2]]."""
    longest = max((len(items) for items in per_kind), default=0)
    return [[items[i] for items in per_kind if i < len(items)] for i in range(longest)]


def _shuffle_options(item: QuizItem, seed: int) -> None:
    if item.options:
        digest = hashlib.sha1(f"{seed}|{item.question}".encode()).hexdigest()
        random.Random(digest).shuffle(item.options)


def _options(key: str, pool: list[str], seed_text: str) -> list[str]:
    """The key and up to three distractors of its form and size (quiz_phrases.similar_distractors); none (a
    short-answer item) when the report has no other value of the kind and form."""
    wrong = similar_distractors(key, pool, seed_text, OPTIONS - 1)
    return [key, *wrong] if wrong else []


def _citation(document: Document, report: QuizReport, chunk: Chunk, span: Span) -> QuizCitation:
    """The quote `chunk.text[span]` with the printed pages the quote itself lies on."""
    quote = chunk.text[span.start : span.end].strip()
    lead = len(chunk.text[span.start : span.end]) - len(chunk.text[span.start : span.end].lstrip())
    start = chunk.start + span.start + lead
    pages = document.pages_for(start, start + len(quote)) or list(chunk.pages)
    return QuizCitation(report.id, report.title, chunk.section_text, pages, quote, chunk.id, chunk.label)


def _first_sentence(chunk: Chunk) -> Span:
    return chunk.sentences[0] if chunk.sentences else Span(0, len(chunk.text))


def _whole(chunk: Chunk) -> Span:
    return Span(0, len(chunk.text))


# -- glossary: "What does X stand for?" / "What does the report mean by “X”?"


def glossary_items(chunks: list[Chunk], document: Document, report: QuizReport, pool: list[Chunk]) -> list[QuizItem]:
    """An acronym's expansion, its distractors other acronyms' expansions of a similar length; else a term's
    definition, every option with its own term blanked ("___ include statutory ...") so that none gives
    itself away."""
    keys = {c.id: _glossary_key(c) for c in pool}
    expansions = [keys[c.id] for c in pool if keys.get(c.id) and _expands(c, keys[c.id])]
    definitions = [_blank_term(keys[c.id], c.term) for c in pool if keys.get(c.id) and not _expands(c, keys[c.id])]
    items = []
    for chunk in chunks:
        key = keys.get(chunk.id) or _glossary_key(chunk)
        if not key:
            continue
        if _expands(chunk, key):
            question, same_kind = f"What does {chunk.term} stand for?", expansions
        else:
            question, key, same_kind = f"What does the report mean by “{chunk.term}”?", _blank_term(key, chunk.term), \
                definitions
        item = QuizItem(GLOSSARY, question, key, _citation(document, report, chunk, _whole(chunk)),
                        _options(key, same_kind, question))
        if "___" in key:  # the engine's answer quotes the definition as written, its term included
            item.check_phrase = keys.get(chunk.id) or _glossary_key(chunk) or ""
        items.append(item)
    return items


def _expands(chunk: Chunk, key: str) -> bool:
    """An acronym with a short expansion ("MoJ Ministry of Justice"), not an acronym with a definition."""
    return _is_acronym(chunk.term) and len(key.split()) <= MAX_EXPANSION_WORDS


def _blank_term(definition: str, term: str | None) -> str:
    """Example: ("Partners include statutory organisations", "Partners") -> "___ include statutory organisations"."""
    if not term:
        return definition
    return re.sub(rf"(?<![\w-]){re.escape(term.strip())}(?![\w-])", "___", definition, flags=re.IGNORECASE)


def _glossary_key(chunk: Chunk) -> str | None:
    """An acronym's expansion, or a term's definition (its first sentence).

    Example: "BBR Building Better Relationships: a nationally accredited ..." -> "Building Better Relationships".
    """
    term = (chunk.term or "").strip()
    text = collapse_spaces(chunk.text)
    if not term or not text.lower().startswith(term.lower()):
        return None
    rest = text[len(term):].strip(" :–-")
    head = rest.split(":")[0].strip() if ":" in rest else ""
    if _is_acronym(term) and head and len(head.split()) <= MAX_EXPANSION_WORDS:
        return head
    first = re.split(r"(?<=[.!?])\s", rest)[0].strip()
    return first if len(first.split()) >= 2 else None


def _is_acronym(term: str | None) -> bool:
    return bool(term and _ACRONYM.match(term.strip()))


# -- key facts: "What proportion of X?" / "What is the number of X?"


def key_fact_items(chunks: list[Chunk], document: Document, report: QuizReport, pool: list[Chunk]) -> list[QuizItem]:
    """Distractors: the other key facts' figures, then percentages the report's prose states (of the key's form)."""
    values = [c.label for c in pool if c.label and numbers_in(c.label)]
    values += [value for c in document.chunks if c.kind == TEXT for _, value in _statements(c)]
    items = []
    for chunk in chunks:
        value = (chunk.label or "").strip()
        span = _first_sentence(chunk)
        sentence = chunk.text[span.start : span.end]
        if not numbers_in(value) or not sentence.strip().startswith(value):
            continue
        subject = _drop_marks(sentence.strip()[len(value):]).strip(" .:–-")
        if len(subject.split()) < 3:
            continue
        question = fact_question(subject)
        items.append(QuizItem(KEY_FACT, question, value, _citation(document, report, chunk, span),
                              _options(value, values, question)))
    return items


def fact_question(subject: str) -> str:
    """A key fact's description as a question.

    Examples: "The proportion of the CRC cases which relate to a custodial sentence" -> "What proportion of
    the CRC cases relate to a custodial sentence?"; "The number of offenders supervised" -> "What is the
    number of offenders supervised?".
    """
    subject = collapse_spaces(subject).rstrip(".")
    match = _FACT_SUBJECT.match(subject)
    if match:
        return f"What {match.group(1).lower()} of {_RELATIVE.sub('', match.group(2), count=1)}?"
    return f"What is {subject[:1].lower()}{subject[1:]}?"


def _drop_marks(text: str) -> str:
    """Footnote superscripts out of a question. Example: "supervision¹ ²" -> "supervision"."""
    return re.sub(r"[\u00b9\u00b2\u00b3\u2070\u2074-\u2079]+(?:[ ,]*[\u00b9\u00b2\u00b3\u2070\u2074-\u2079]+)*", "",
                  text)


# -- tables: "What is the <column> of <row>?"


def table_items(chunks: list[Chunk], document: Document, report: QuizReport, pool: list[Chunk]) -> list[QuizItem]:
    items = []
    for chunk in chunks:
        table = chunk.table
        if not _quizzable(table):
            continue
        rows = [r for r in table.rows if len(r) == len(table.columns)]
        for row in _spread(rows, ROWS_PER_TABLE):
            item = _row_item(chunk, row, document, report, pool)
            if item is not None:
                items.append(item)
    return items


def _quizzable(table) -> bool:
    return bool(table and table.complete and len(table.columns) >= 2 and len(table.rows) >= 2
                and not any(_PLACEHOLDER_COLUMN.match(c.strip()) or not c.strip() for c in table.columns))


def _row_item(chunk: Chunk, row: list[str], document: Document, report: QuizReport,
              pool: list[Chunk]) -> QuizItem | None:
    """The row's last filled value, asked by its column and the row's first cell."""
    table = chunk.table
    filled = [j for j in range(1, len(row)) if row[j].strip()]
    label = _drop_marks(collapse_spaces(row[0])).strip()
    if not filled or not re.search(r"[A-Za-z]", label):  # a row numbered "1", "2": nothing to ask it by
        return None
    j = filled[-1]
    value = collapse_spaces(row[j])
    if normalise_for_match(value) == normalise_for_match(label):
        return None
    question = f"What is the {column_phrase(table.columns[j])} for {mid_sentence(label, document.text)}?"
    span = _row_span(chunk.text, label, value) or _first_sentence(chunk)
    same_column = [r[j] for r in table.rows if len(r) > j and r[j].strip()]
    name = table.columns[j].strip().lower()  # then the same column in the report's other tables
    same_column += [r[k] for c in pool if _quizzable(c.table) and c.id != chunk.id
                    for k, other in enumerate(c.table.columns) if other.strip().lower() == name
                    for r in c.table.rows if len(r) > k and r[k].strip()]
    return QuizItem(TABLE, question, value, _citation(document, report, chunk, span),
                    _options(value, same_column, question))


def column_phrase(column: str) -> str:
    """A column heading inside a question. Examples: "% of cases seen" -> "percentage of cases seen";
    "Grade" -> "grade"; "ATR" -> "ATR"."""
    column = collapse_spaces(column)
    column = re.sub(r"^%\s*", "percentage ", column).strip()
    return column if _is_acronym(column.split()[0]) else column[:1].lower() + column[1:]


def mid_sentence(label: str, text: str) -> str:
    """A sentence-case label in the middle of a question ("Children who need help" -> "children who need
    help"): a capital there reads as a name, to a trainee and to the answerer. Title Case names ("Anger
    Management"), acronyms and a first word the report (`text`) never writes in lower case keep theirs."""
    tokens = label.split()
    if not tokens or _is_acronym(tokens[0]) or not tokens[0][:1].isupper():
        return label
    later = [t for t in tokens[1:] if t[:1].isalpha() and t.lower() not in STOPWORDS]
    if later and all(t[:1].isupper() for t in later):  # Title Case: a name
        return label
    lowered = tokens[0][:1].lower() + tokens[0][1:]
    if not re.search(rf"(?<![\w-]){re.escape(lowered)}(?![\w-])", text):  # "Birmingham": a name
        return label
    return lowered + label[len(tokens[0]):]


def _row_span(text: str, label: str, value: str) -> Span | None:
    """The row in the table's text: from the line holding its label to the line holding its value (a
    flattened table often puts them on lines of their own), at most three lines.

    Example: ("Staff grade\\nofficers\\n16.5 66", "officers", "66") -> the span of "officers\\n16.5 66".
    """
    lines, offset = [], 0
    for line in text.split("\n"):
        lines.append((Span(offset, offset + len(line)), normalise_for_match(line)))
        offset += len(line) + 1
    wanted_label, wanted_value = normalise_for_match(label), normalise_for_match(value)
    for i, (first, norm) in enumerate(lines):
        if not wanted_label or wanted_label not in norm:
            continue
        after_label = [norm.split(wanted_label, 1)[1]] + [later for _, later in lines[i + 1 : i + 3]]
        for (last, _), later in zip(lines[i : i + 3], after_label, strict=False):
            if wanted_value in later:
                return Span(first.start, last.end)
        return first
    return None


def _spread(rows: list, count: int) -> list:
    """`count` rows evenly spread over the table. Example: 10 rows, 4 -> rows 0, 2, 5, 7."""
    if len(rows) <= count:
        return list(rows)
    return [rows[i * len(rows) // count] for i in range(count)]


# -- recommendations: "Who should <the recommendation>?" / "Which words complete this recommendation: “…___…”?"


@dataclass(frozen=True)
class Recommendation:
    chunk: Chunk
    span: Span  # the recommendation in chunk.text: no "… should:", number or page number
    body: str  # that text, spaces collapsed: "develop systems to distribute the caseload ..."
    addressee: str | None  # "The National Probation Service": its own "… should:" or the one before it

    @property
    def full(self) -> str:
        """The whole recommendation as one sentence: "The NPS should clarify the role …", or the body."""
        if not self.addressee:
            return self.body
        return f"{self.addressee} should {self.body[:1].lower()}{self.body[1:]}"


def recommendation_items(chunks: list[Chunk], document: Document, report: QuizReport,
                         pool: list[Chunk]) -> list[QuizItem]:
    """One item per recommendation, none quoting the key in its question: who it is addressed to (when the
    report addresses its recommendations to two or more bodies), or a blank for one of its key terms (a run of
    content words the report uses again), the other options key terms of other recommendations.
    Recommendations alternate between the two so that a quiz has both."""
    recs = recommendations(pool)
    addressees = list(dict.fromkeys(r.addressee for r in recs if r.addressee))
    terms = {r.chunk.id: _blank_terms(r, document) for r in recs}
    wanted = {c.id for c in chunks}
    items = []
    for i, rec in enumerate(r for r in recs if r.chunk.id in wanted):
        makers = [_addressee_item, _cloze_item] if i % 2 == 0 else [_cloze_item, _addressee_item]
        for make in makers:
            item = make(rec, addressees, terms, document, report)
            if item is not None:
                items.append(item)
                break
    return items


def recommendations(pool: list[Chunk]) -> list[Recommendation]:
    """The report's recommendations in reading order, each with its addressee ("The CRC should:" heads the
    recommendations after it, within its section; "The council should review ..." addresses itself). A
    passage typed as a recommendation that is not one ("The inspection did not find any areas for ...") is
    left out."""
    found, addressee, section = [], None, None
    for chunk in sorted(pool, key=lambda c: c.start):
        if chunk.section_text != section:
            addressee, section = None, chunk.section_text
        heading = _ADDRESSEE.match(chunk.text)
        if heading:
            addressee = _addressee_name(heading.group(0))
        span = _recommendation_body(chunk)
        if span is None:
            continue
        body = collapse_spaces(chunk.text[span.start : span.end])
        inline = _INLINE_ADDRESSEE.match(body)
        if inline:
            found.append(Recommendation(chunk, span, body[inline.end():], inline.group(1)))
        elif body.split()[0].lower() not in _NOT_IMPERATIVE:
            found.append(Recommendation(chunk, span, body, chunk.addressed_to or addressee))
    return found


def _addressee_name(heading: str) -> str:
    """Example: "The National Probation Service should:" -> "The National Probation Service"."""
    return collapse_spaces(re.sub(r"\bshould\s*:\s*$", "", heading.strip(), flags=re.IGNORECASE))


def _recommendation_body(chunk: Chunk) -> Span | None:
    """The recommendation itself: after "… should:" and its number, to the passage's end, without a page
    number that a page footer left there.

    Example: "The NPS should:\n\n6. clarify the role of middle managers" -> the span of "clarify the role ...".
    """
    text = chunk.text
    addressee = _ADDRESSEE.match(text)
    start = _NUMBERING.match(text, addressee.end() if addressee else 0).end()
    span = without_page_number(text, Span(start, len(text.rstrip())))
    body = text[span.start : span.end].rstrip()
    return Span(span.start, span.start + len(body)) if len(body.split()) >= 5 else None


def _addressee_item(rec: Recommendation, addressees: list[str], terms, document: Document,
                    report: QuizReport) -> QuizItem | None:
    """"According to the report, who should develop systems to distribute the caseload …?" — the options are
    the bodies the report addresses; the engine's answer must name this one ("The CRC should"), not "The
    CRC and NPS"."""
    if not rec.addressee or len(addressees) < 2:
        return None
    task = _plain(rec.body).rstrip(".")
    question = f"According to the report, who should {task[:1].lower()}{task[1:]}?"
    item = QuizItem(RECOMMENDATION, question, rec.addressee, _citation(document, report, rec.chunk, rec.span),
                    _options(rec.addressee, addressees, question))
    item.check_phrase = f"{rec.addressee} should"
    return item


def _cloze_item(rec: Recommendation, addressees, terms: dict, document: Document,
                report: QuizReport) -> QuizItem | None:
    """"Which words complete this recommendation from the report: “Reduce the backlog of unassessed ___
    notifications …”?" — the blank one of its key terms, the distractors other recommendations' key terms
    of about its length that the statement does not already hold."""
    sentence = _first_sentence_of(_plain(rec.full))
    mine = [t.text for t in terms.get(rec.chunk.id, []) if t.text.lower() in sentence.lower()
            and not _spelt_out(t.text, sentence)]
    if not mine:
        return None
    key = mine[0]
    blanked = re.sub(rf"(?<![\w-]){re.escape(key)}(?![\w-])", "___", sentence, count=1, flags=re.IGNORECASE)
    question = f"Which words complete this recommendation from the report: “{blanked}”?"
    others = [t for chunk_id, found in terms.items() if chunk_id != rec.chunk.id for t in found[:2]
              if t.text.lower() not in sentence.lower() and not set(t.text.lower().split()) & set(key.lower().split())]
    well_used = unnested([t.text for t in others if t.uses >= WELL_USED])  # real terms, when there are enough
    options = _options(key, well_used if len(well_used) >= OPTIONS - 1 else unnested([t.text for t in others]),
                       question)
    if len(options) < OPTIONS - 1:  # a blank with fewer than two wrong answers is a guess, not a question
        return None
    return QuizItem(RECOMMENDATION, question, key, _citation(document, report, rec.chunk, rec.span), options)


def _spelt_out(term: str, sentence: str) -> bool:
    """The term is followed by its own acronym ("independent reviewing officers (IROs)"): a blank there is
    answered by the brackets."""
    return re.search(rf"{re.escape(term)}\s*\(\s*[A-Z][A-Za-z]*[A-Z]s?\s*\)", sentence, re.IGNORECASE) is not None


def _blank_terms(rec: Recommendation, document: Document) -> list[KeyTerm]:
    """A recommendation's key terms, best first: runs of content words the report uses elsewhere too."""
    start, end = rec.chunk.start + rec.span.start, rec.chunk.start + rec.span.end
    elsewhere = document.text[:start] + "\n" + document.text[end:]
    return key_terms(_plain(rec.body), elsewhere)


def _plain(text: str) -> str:
    """A recommendation without its cross-references and page number: "Review X (paragraph 49)." -> "Review X."."""
    return collapse_spaces(_PARAGRAPH_REFERENCE.sub("", strip_page_number(text)))


def _first_sentence_of(text: str) -> str:
    return re.split(r"(?<=[.!?])\s+(?=[A-Z])", text.strip(), maxsplit=1)[0]


# -- practice examples: "In the report's practice example about <person>, was the practice good or poor?"


POLARITY_KEYS = {"good": "Good practice", "poor": "Poor practice"}


def example_items(chunks: list[Chunk], document: Document, report: QuizReport, pool: list[Chunk]) -> list[QuizItem]:
    items = []
    for chunk in chunks:
        if not chunk.person or chunk.polarity not in POLARITY_KEYS:
            continue
        key = POLARITY_KEYS[chunk.polarity]
        question = f"In the report's practice example about {chunk.person}, was the practice good or poor?"
        items.append(QuizItem(PRACTICE_EXAMPLE, question, key,
                              _citation(document, report, chunk, _first_sentence(chunk)),
                              list(POLARITY_KEYS.values()), must_mention=[chunk.person]))
    return items


# -- statistics in the prose: "What figure completes this statement from the report: “___ of …”?"


def statistic_items(chunks: list[Chunk], document: Document, report: QuizReport, pool: list[Chunk]) -> list[QuizItem]:
    """A sentence stating one percentage, asked as a cloze; distractors are the report's other percentages."""
    found = [(c, span, value) for c in pool for span, value in _statements(c)]
    values = [value for _, _, value in found]
    wanted = {c.id for c in chunks}
    items = []
    for chunk, span, value in found:
        if chunk.id not in wanted:
            continue
        sentence = " ".join(_drop_marks(chunk.text[span.start : span.end]).split())
        cloze = re.sub(rf"(?<![\w.]){re.escape(value)}", "___", sentence, count=1)
        question = f"What figure completes this statement from the report: “{cloze}”?"
        items.append(QuizItem(STATISTIC, question, value, _citation(document, report, chunk, span),
                              _options(value, values, question)))
    return items


def _statements(chunk: Chunk) -> list[tuple[Span, str]]:
    """Sentences of a prose passage holding exactly one percentage, with it.

    Example: "Police attendance at child protection conferences is 50%." -> [(its span, "50%")]; a sentence
    opening with "This" or "It" (it needs the one before), or giving the count the figure is worked out from
    ("13% (53 of 406)"), is left out.
    """
    found = []
    for span in chunk.sentences:
        span = without_page_number(chunk.text, span)
        sentence = chunk.text[span.start : span.end]
        shares = [n for n in numbers_in(sentence) if n.endswith("%")]
        if (len(shares) == 1 and STATEMENT_WORDS[0] <= len(sentence.split()) <= STATEMENT_WORDS[1]
                and not starts_with_anaphor(sentence)  # "This is an improvement of 7% on ...": on what?
                and not _COUNTED.search(sentence[sentence.find(shares[0]) + len(shares[0]):])):
            found.append((span, shares[0]))
    return found
