"""A trainer's cited quiz: questions with answer keys drawn from a report's structured passages, each key
carrying its citation and checked by the answerer itself.

    quiz = build_quiz(engine, n=10)            # the engine's report; sections=("ch3",), theme="alcohol" narrow it
    quiz.items[0].question                     # "What does ATR stand for?"
    quiz.items[0].answer                       # "Alcohol Treatment Requirement"
    quiz.items[0].citation.pages               # [61]: the printed page of the quote
    quiz.dropped                               # items the engine answered otherwise, left out

Candidates come from the kinds of passage ingest types (ingest.records): glossary entries, key facts, rows of
complete tables, recommendations and practice examples, one template per kind; nothing here knows a
particular report's words. Multiple-choice distractors are values of the same kind from the same report
(another glossary expansion, another key figure with the same unit, another row's value in the same column).
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
from retrieval.records import Filters

log = logging.getLogger(__name__)

STATISTIC = "statistic"  # a sentence of the report's prose stating one percentage (not an ingest kind)
QUIZ_KINDS = (KEY_FACT, GLOSSARY, TABLE, RECOMMENDATION, PRACTICE_EXAMPLE, STATISTIC)  # the order of turns
STATEMENT_WORDS = (8, 40)  # a statistic's sentence: long enough to say what is measured, short enough to read
MAX_N = 200  # more questions than this is not a quiz; -n above it is refused
OPTIONS = 4  # a multiple-choice item: the key and up to three distractors
ROWS_PER_TABLE = 4  # a long table would otherwise fill the quiz on its own
MIN_RECALL = 0.7  # a long key (a definition, a recommendation) matches when 70% of its content words are answered
_ACRONYM = re.compile(r"^(?=(?:[^A-Z]*[A-Z]){2})[A-Z][A-Za-z0-9&/-]{1,9}$")  # "ATR", "MoJ", "E3" has one capital
_PLACEHOLDER_COLUMN = re.compile(r"^column \d+$", re.IGNORECASE)
_ADDRESSEE = re.compile(r"^[^\n]*\bshould\s*:", re.IGNORECASE)  # "The National Probation Service should:"
_NUMBERING = re.compile(r"[\s|]*(?:\(?\d{1,3}[.)])?[\s|]*")  # "\n\n6. " or "1. |  | "
_FACT_SUBJECT = re.compile(r"^the (proportion|percentage|share) of (.+)$", re.IGNORECASE)
_RELATIVE = re.compile(r"\b(?:which|who|that) (?=\w)")
_PURPOSE = re.compile(r"[,;:(]| to (?:ensure|enable|make|allow|help|support|improve|reduce|prevent|provide)\b")
_CLAUSE_END = re.compile(r",|;|:|\(| to (?=\w)| and | so that | in order | which | through | by | so as ")


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
    fair = _unambiguous([i for items in per_kind for i in items])
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


def _distractors(key: str, pool: list[str], seed_text: str, count: int = OPTIONS - 1) -> list[str]:
    """Up to `count` values of `pool` unlike the key (and each other), in a stable pseudo-random choice."""
    seen = {normalise_for_match(key)}
    distinct = []
    for value in pool:
        norm = normalise_for_match(value)
        if norm and norm not in seen:
            seen.add(norm)
            distinct.append(value)
    random.Random(seed_text).shuffle(distinct)
    return distinct[:count]


def _options(key: str, pool: list[str], seed_text: str) -> list[str]:
    """The key and its distractors; none (a short-answer item) when the report has no other value of the kind."""
    wrong = _distractors(key, pool, seed_text)
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
    keys = {c.id: _glossary_key(c) for c in pool}
    items = []
    for chunk in chunks:
        key = keys.get(chunk.id) or _glossary_key(chunk)
        if not key:
            continue
        acronym = _is_acronym(chunk.term)
        question = (f"What does {chunk.term} stand for?" if acronym
                    else f"What does the report mean by “{chunk.term}”?")
        same_kind = [keys[c.id] for c in pool if keys.get(c.id) and _is_acronym(c.term) == acronym]
        items.append(QuizItem(GLOSSARY, question, key, _citation(document, report, chunk, _whole(chunk)),
                              _options(key, same_kind, question)))
    return items


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
    if _is_acronym(term) and head and len(head.split()) <= 8:
        return head
    first = re.split(r"(?<=[.!?])\s", rest)[0].strip()
    return first if len(first.split()) >= 2 else None


def _is_acronym(term: str | None) -> bool:
    return bool(term and _ACRONYM.match(term.strip()))


# -- key facts: "What proportion of X?" / "What is the number of X?"


def key_fact_items(chunks: list[Chunk], document: Document, report: QuizReport, pool: list[Chunk]) -> list[QuizItem]:
    values = [c.label for c in pool if c.label and numbers_in(c.label)]
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
        same_unit = [v for v in values if v.endswith("%") == value.endswith("%")]
        items.append(QuizItem(KEY_FACT, question, value, _citation(document, report, chunk, span),
                              _options(value, same_unit, question)))
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
    column = table.columns[j].strip()
    column = column if _is_acronym(column) else column[:1].lower() + column[1:]
    question = f"What is the {column} of {label}?"
    span = _row_span(chunk.text, label, value) or _first_sentence(chunk)
    same_column = [r[j] for r in table.rows if len(r) > j and r[j].strip()]
    name = table.columns[j].strip().lower()  # then the same column in the report's other tables
    same_column += [r[k] for c in pool if _quizzable(c.table) and c.id != chunk.id
                    for k, other in enumerate(c.table.columns) if other.strip().lower() == name
                    for r in c.table.rows if len(r) > k and r[k].strip()]
    return QuizItem(TABLE, question, value, _citation(document, report, chunk, span),
                    _options(value, same_column, question))


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


# -- recommendations: "What does the report recommend about <topic>?"


def recommendation_items(chunks: list[Chunk], document: Document, report: QuizReport,
                         pool: list[Chunk]) -> list[QuizItem]:
    bodies = {c.id: _recommendation_body(c) for c in pool}
    items = []
    for chunk in chunks:
        span = bodies.get(chunk.id) or _recommendation_body(chunk)
        if span is None:
            continue
        body = collapse_spaces(chunk.text[span.start : span.end])
        question = recommendation_question(body)
        if question is None:
            continue
        others = [collapse_spaces(c.text[s.start : s.end]) for c in pool if (s := bodies.get(c.id))]
        items.append(QuizItem(RECOMMENDATION, question, body, _citation(document, report, chunk, span),
                              _options(body, others, question)))
    return items


def _recommendation_body(chunk: Chunk) -> Span | None:
    """The recommendation itself: after "… should:" and its number, to the passage's end.

    Example: "The NPS should:\\n\\n6. clarify the role of middle managers" -> the span of "clarify the role ...".
    """
    text = chunk.text
    addressee = _ADDRESSEE.match(text)
    start = _NUMBERING.match(text, addressee.end() if addressee else 0).end()
    body = text[start:].rstrip()
    return Span(start, start + len(body)) if len(body.split()) >= 5 else None


def recommendation_question(body: str) -> str | None:
    """A recommendation as a question about its topic: the object of its first verb, to the first clause
    break; a "that" clause is asked as one.

    Examples: "Reduce the backlog of unassessed notifications and strengthen systems" -> "What does the report
    recommend about the backlog of unassessed notifications?"; "Ensure that key partners attend meetings" ->
    "What does the report recommend to ensure that key partners attend meetings?".
    """
    tokens = body.split()
    i = _skip_adverbs(tokens, 0)
    if i >= len(tokens) - 1:
        return None
    verb, rest = tokens[i].lower(), tokens[_skip_adverbs(tokens, i + 1):]
    if rest and rest[0].lower() == "that":
        clause = _clause(rest[1:])
        return f"What does the report recommend to {verb} that {clause}?" if clause else None
    topic = _topic(rest)
    return f"What does the report recommend about {topic}?" if topic else None


def _skip_adverbs(tokens: list[str], i: int) -> int:
    """Example: (["further", "develop", ...], 0) -> 1; also "urgently", "closely"."""
    while i < len(tokens) - 1 and (tokens[i].lower().endswith("ly") or tokens[i].lower() in {"further", "also"}):
        i += 1
    return i


def _clause(tokens: list[str]) -> str | None:
    """A "that" clause up to its first break after six words (so it keeps its verb), twelve words at most.

    Example: "when children have a plan to return home risks are considered and that ..." -> "when children
    have a plan to return home risks are considered".
    """
    rest = " ".join(tokens)
    cut = next((m.start() for m in _CLAUSE_END.finditer(rest) if len(rest[: m.start()].split()) >= 6), len(rest))
    return _trimmed(rest[:cut].split()[:12])


def _trimmed(kept: list[str]) -> str | None:
    """No trailing small words or punctuation; None when under two words are left."""
    kept = list(kept)
    while kept and kept[-1].lower().strip(".,;:") in STOPWORDS:
        kept.pop()
    return " ".join(kept).strip(" .,;:") if len(kept) >= 2 else None


def _topic(tokens: list[str]) -> str | None:
    """Words up to the first clause break; when that leaves under three, up to a comma, a bracket or a
    purpose ("to ensure"); twelve words at most, no trailing small words."""
    rest = " ".join(tokens)
    cut = _CLAUSE_END.search(rest)
    topic = rest[: cut.start()] if cut else rest
    if len(topic.split()) < 3:  # "the role": too vague
        topic = _PURPOSE.split(rest)[0]
    return _trimmed(topic.split()[:12])


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

    Example: "Police attendance at child protection conferences is 50%." -> [(its span, "50%")].
    """
    found = []
    for span in chunk.sentences:
        sentence = chunk.text[span.start : span.end]
        shares = [n for n in numbers_in(sentence) if n.endswith("%")]
        if len(shares) == 1 and STATEMENT_WORDS[0] <= len(sentence.split()) <= STATEMENT_WORDS[1]:
            found.append((span, shares[0]))
    return found
