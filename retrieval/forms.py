"""Does a sentence have the form of answer the question asks for?

Hard checks (`answers_the_form`: a number for "how many", a date for "when", the question's specific
names in the passage) and soft ones (`fit_bonus`: verdict words for "how good was", the kind of passage
the wording points at). They key on the form of the question, never on its topic.
"""

from __future__ import annotations

import re

from ingest import records as kinds
from ingest.records import Chunk
from ingest.structure import EXAMPLE_START as EXAMPLE_OPENING
from ingest.text import normalise_for_match, number_value, numbers_in
from retrieval.candidate import Candidate
from retrieval.questions import STOPWORDS, Intent, content_terms, stem

_WH_WORD = re.compile(r"\b(what|which|who|whom|whose|when|where|why|how)\b", re.I)
PREMISE_WEIGHT = 0.3


def focus_weights(question: str, weights: dict[str, float]) -> dict[str, float]:
    """The question's word weights with the scene-setting part down-weighted.

    Words from the last sentence's wh-word on say what is asked; words before it ("A man sent abusive texts.",
    "In the case of a 30-year-old, ...") say which case. Example: "A man sent abusive texts. What did his plan
    fail to anticipate?" keeps "plan" and "anticip" whole and cuts "abus" and "text" to PREMISE_WEIGHT.
    """
    sentences = [p for p in re.split(r"(?<=[.?!])\s+", question.strip()) if p]
    last = sentences[-1] if sentences else question
    wh = _WH_WORD.search(last)
    focus = set(content_terms(last[wh.start() :] if wh else last))
    return {t: w * (1.0 if t in focus else PREMISE_WEIGHT) for t, w in weights.items()}


_NUMBER_WORDS = re.compile(r"\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|"
                           r"thirty|forty|fifty|hundred|thousand|million|billion|half|third|thirds|quarter|"
                           r"majority|minority|all|none|most|few)\b", re.I)
# Words inspectors give verdicts in. Example: "Overall, the quality of work was insufficient" matches.
_VERDICT = re.compile(r"\b(good|poor|sufficient|insufficient|insufficiently|acceptable|unacceptable|adequate|"
                      r"inadequate|weak|strong|effective|ineffective|satisfactory|unsatisfactory|well(?!-)|badly|"
                      r"no evidence|little evidence|not compatible|concern|concerning|impressive|encouraged|"
                      r"pleased|disappointed|confused|confusion|shortcomings|lacked|lacking|failed|"
                      r"little or no|none of|not sufficient|outstanding|requires? improvement)\b", re.I)
_SUMMARY_SECTION = re.compile(r"\b(judgements?|summary|conclusions?|overall)\b", re.I)
_MONEY = re.compile(r"£\s?\d|\b\d[\d,.]*\s?(?:pounds|million|billion|bn|m)\b", re.I)
_DATE = re.compile(r"\b(19|20)\d\d\b|\b(January|February|March|April|May|June|July|August|September|October|"
                   r"November|December)\b")
# A period relative to the report's own time: "in the past year", "over the last 12 months", "since the last
# inspection". It answers "when" as a period does, though less exactly than a date.
RELATIVE_PERIOD = re.compile(
    r"\b(?:in|over|during|within|for|across)\s+the\s+(?:past|last|previous|preceding|recent)\s+"
    r"(?:(?:few|several|two|three|four|five|six|twelve|eighteen|\d+)\s+)?(?:years?|months?|weeks?|decade)\b|"
    r"\bsince\s+(?:the\s+)?(?:last|previous|prior)\s+(?:[\w-]+\s+)?(?:inspection|visit|review|report)\b|"
    r"\b(?:this|last)\s+(?:year|month|spring|summer|autumn|winter)\b|\bin\s+recent\s+(?:years|months|weeks)\b",
    re.I)
_PLACE = re.compile(r"\b(?:at|in|from|to|near)\s+(?:the\s+)?(?:HM\s+Prison\s+)?[A-Z][a-z]+")
_NAME = re.compile(r"(?<=[a-z,] )[A-Z][a-z]{2,}\b|^[A-Z][a-z]{2,} (?:is|was|has)\b")
FIT = 0.08  # reward for the form of answer asked for; the same amount is taken off when it is missing


def answers_the_form(candidate: Candidate, intent: Intent, entities: list[str],
                     expansions: dict[str, str] | None = None, named: list[str] | None = None,
                     asked: frozenset[str] = frozenset()) -> bool:
    """Hard checks: a number for "how many", a date for "when", a name for "what is the name of", and
    every specific name or year of the question in the passage. Failing them means "not this sentence"."""
    text = candidate.value_part
    chunk = candidate.hit.chunk
    if text.rstrip().endswith(":") and not candidate.is_row:
        return False  # a lead-in ("... as the following table shows:") introduces the answer; it is not one
    if intent.wants_number and not (has_figure(text) or _NUMBER_WORDS.search(text)):
        return False
    if intent.wants_date and not (_DATE.search(text) or RELATIVE_PERIOD.search(text)):
        return False
    if intent.wants_money and not _MONEY.search(text):
        return False
    if intent.wants_name and not _names_someone(text, chunk, asked):
        return False
    # A table row must itself carry the names asked about: "PSO" picks the PSO row, not the table.
    if candidate.is_row:
        context = normalise_for_match(" ".join(candidate.cells) + f" {chunk.caption or ''}")
    else:
        context = normalise_for_match(f"{chunk.search_text()} {chunk.section_text}")
    if not mentions_all(context, entities, expansions):
        return False
    if candidate.is_row:
        # Even a name most passages carry decides between tables: "NPS cases" is Table 11, not the CRC's Table 8.
        table_context = normalise_for_match(f"{chunk.caption or ''} {chunk.section_text}")
        return mentions_all(table_context, [e for e in named or [] if e not in entities], expansions)
    return True


def mentions_all(context: str, entities: list[str], expansions: dict[str, str] | None) -> bool:
    context_stems = set(content_terms(context))
    for entity in entities:
        if normalise_for_match(entity) in context:
            continue
        spelled_out = (expansions or {}).get(entity)
        if spelled_out and set(content_terms(spelled_out)) <= context_stems:
            continue
        return False
    return True


def mentions(terms: set[str], term: str) -> bool:
    """A term, or a compound built on it: "case" is in "caseload", "work" in "workload"."""
    return term in terms or (len(term) >= 4 and any(t.startswith(term) for t in terms))


def _names_someone(text: str, chunk: Chunk, asked: frozenset[str] = frozenset()) -> bool:
    """A pseudonymised person of a practice example, a titled name ("Dame Glenys Stacey") or a name pair."""
    if chunk.person and chunk.person in text:
        return True
    return person_fit(text, asked) > 0  # a titled name, or a capitalised name pair that is no institution's


_MONTH = (r"(?:January|February|March|April|May|June|July|August|September|October|November|December|"
          r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?")
# A date of the kind "when" asks for: a day or month with its year, or a numeric date. A bare year is weaker.
FULL_DATE = re.compile(rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH}\s+(?:19|20)\d\d\b|\b{_MONTH}\s+\d{{1,2}},?\s+"
                        rf"(?:19|20)\d\d\b|\b{_MONTH}\s+(?:to|and|-|–)\s+(?:\d{{1,2}}\s+)?{_MONTH}\s+(?:19|20)\d\d\b|"
                        rf"\b\d{{1,2}}[/.]\d{{1,2}}[/.](?:19|20)?\d\d\b")
MONTH_YEAR = re.compile(rf"\b(?:{_MONTH}|[Ss]pring|[Ss]ummer|[Aa]utumn|[Ww]inter)\s+(?:of\s+)?(?:19|20)\d\d\b")
_TITLED_NAME = re.compile(r"\b(?:Dame|Sir|Lord|Lady|Mr|Mrs|Ms|Miss|Dr|Judge|Professor|Cllr|Councillor)\.? [A-Z][a-z]+")
# A run of capitalised words: "Jane Smith", "Mary-Ann O'Neil", "Our Plan To Change Lives".
CAPITALISED_RUN = re.compile(r"\b(?:O'|Mc|Mac)?[A-Z][a-z]+(?:-[A-Z][a-z]+)?(?:\s+(?:[A-Z]\.\s+)?(?:O'|Mc|Mac)?"
                              r"[A-Z][a-z]+(?:-[A-Z][a-z]+)?)+\b")
_NOT_NAME_WORDS = re.compile(r"\b(?:The|This|That|These|Local|Council|Service|Services|Authority|Board|Trust|"
                             r"Children|Children's|Inspector|Inspectorate|Report|Government|Department|Office|"
                             r"Court|County|City|Centre|Team|Partnership|Safeguarding|Her|His|Majesty's)\b")
SIGNATURE_WORDS = 10  # a line this short carrying a name reads as a signature or by-line


def relative_period(text: str, asked: frozenset[str] = frozenset()) -> bool:
    """Whether `text` states a relative period (RELATIVE_PERIOD) that does not name what is asked about:
    "since the last inspection" does not date the inspection itself. `asked`: the question's stemmed words.
    Example: ("Leaders changed in the past year.", {"leader"}) -> True; ("since the last inspection",
    {"inspect"}) -> False."""
    return any(not set(content_terms(m.group())) & asked for m in RELATIVE_PERIOD.finditer(text))


_PERIOD_FRAME = frozenset("in over during within for across the past last previous preceding recent since prior this "
                          "few several".split())


def dated_only_by_its_subject(text: str, question: str) -> bool:
    """Whether `text`'s only time value is a relative period anchored on what the question asks to date:
    "since the last inspection" does not say when the inspection took place. Example: ("Much has changed
    since the last audit.", "When was the audit carried out?") -> True; with "When did leaders
    change?" -> False."""
    if _DATE.search(text):
        return False
    periods = list(RELATIVE_PERIOD.finditer(text))
    asked = {stem(w) for w in re.findall(r"[a-z]+", question.lower())}
    anchors = [{stem(w) for w in re.findall(r"[a-z]+", m.group().lower()) if w not in _PERIOD_FRAME} for m in periods]
    return bool(periods) and all(a & asked for a in anchors)


def date_fit(text: str, asked: frozenset[str] = frozenset()) -> float:
    """How well `text` carries the date a "when" question asks for: a full date or a month with its year
    scores FIT, a bare year or month a quarter of it, a relative period ("in the past year") 0, no date -FIT.
    Example: "in May 2016" -> FIT."""
    if FULL_DATE.search(text) or MONTH_YEAR.search(text):
        return FIT
    if relative_period(text, asked):
        return 0.0  # "in the past year": a period, not penalised as dateless, not rewarded as a date is
    return FIT / 4 if _DATE.search(text) else -FIT


def person_fit(text: str, asked: frozenset[str] = frozenset()) -> float:
    """How well `text` carries a person's name: a titled name or a short signature-like line with a name
    scores FIT, a capitalised name pair in a longer sentence half of it, otherwise 0. A pair using a word of
    `asked` (stemmed: the question's words, the report's lower-case words) is a role or body ("Chief
    Executive", "Community Company"), not a name."""
    if _TITLED_NAME.search(text):
        return FIT
    pairs = [m.group() for m in CAPITALISED_RUN.finditer(text) if _looks_like_a_name(m.group(), asked)]
    if not pairs:
        return 0.0
    return FIT if len(text.split()) <= SIGNATURE_WORDS else FIT / 2


def _looks_like_a_name(run: str, asked: frozenset[str]) -> bool:
    """Two or three capitalised words, none a small word ("Our", "To": a title's), an institution's word,
    or a word of the question (the role asked about)."""
    words = run.split()
    if not 2 <= len([w for w in words if not w.endswith(".")]) <= 3:
        return False
    if any(w.lower() in STOPWORDS for w in words) or _NOT_NAME_WORDS.search(run):
        return False
    return not set(content_terms(run)) & asked


def type_fit(text: str, answer_type: str | None, asked: frozenset[str] = frozenset()) -> float | None:
    """The expected-type check for the answer types with a recognisable value (dates, people); None for
    the others, which keep the intent's checks. `asked`: the question's stemmed content words."""
    if answer_type == "date":
        return date_fit(text, asked)
    if answer_type == "person":
        return person_fit(text, asked)
    return None


FIT_PARTS = ("number", "date", "place", "kind", "type_named", "verdict", "glossary", "person", "penalty")


def fit_bonus(text: str, chunk: Chunk, intent: Intent, is_row: bool, answer_type: str | None = None,
              asked: frozenset[str] = frozenset()) -> float:
    """How well a sentence fits the form of answer the question asks for (a number, a date, a place ...).
    `answer_type` is the analysis's expected type (`retrieval.analysis.AnswerType`), when known; `asked`
    the question's stemmed content words. The sum of `fit_parts`, added in their order."""
    return fit_total(fit_parts(text, chunk, intent, is_row, answer_type, asked))


def fit_total(terms: list[tuple[str, float]]) -> float:
    """The terms of `fit_parts` added in their order (so `fit_bonus` is the same to the last bit)."""
    bonus = 0.0
    for _, value in terms:
        bonus += value
    return bonus


def fit_part_totals(terms: list[tuple[str, float]]) -> tuple[float, ...]:
    """`fit_parts` summed per part, in FIT_PARTS order. Example: [("number", 0.1), ("penalty", -0.1),
    ("penalty", -0.03)] -> (0.1, 0, 0, 0, 0, 0, 0, 0, -0.13)."""
    totals = dict.fromkeys(FIT_PARTS, 0.0)
    for name, value in terms:
        totals[name] += value
    return tuple(totals.values())


_SHARE = re.compile(r"\d\s*(?:%|per ?cent)|\b(?:half|third|thirds|quarter|quarters|majority|minority|most|all|none|"
                    r"few|many|proportion|one in (?:\w+))\b", re.I)
# A name of two or more capitalised words ("Together for Children", "Adopt Coast to Coast") or an acronym.
_ORGANISATION_NAME = re.compile(r"(?<!^)(?<![.!?]\s)\b[A-Z][a-z]+"
                                r"(?:\s+(?:(?:for|of|and|to|the|in|on)\s+)?[A-Z][\w'’-]*)+|\b[A-Z]{2,}[a-z]?[A-Z]*\b")


def names_an_organisation(text: str) -> bool:
    """Whether `text` names a body: a run of capitalised words after its first word, or an acronym."""
    return bool(_ORGANISATION_NAME.search(text.strip()))


def fit_parts(text: str, chunk: Chunk, intent: Intent, is_row: bool, answer_type: str | None = None,
              asked: frozenset[str] = frozenset()) -> list[tuple[str, float]]:
    """The terms of `fit_bonus`, each named by its part (FIT_PARTS), in the order they are added."""
    terms: list[tuple[str, float]] = []
    typed = type_fit(text, answer_type, asked)
    if intent.wants_number:
        terms.append(("number", FIT if has_figure(text) else (0.0 if _NUMBER_WORDS.search(text) else -FIT)))
    if answer_type == "percentage":
        # "What share of ...": a share ("26.9%", "a quarter", "most") over a count ("55,077 children").
        terms.append(("number", FIT / 2 if _SHARE.search(text) else -FIT / 2))
    if answer_type == "date":
        terms.append(("date", typed or 0.0))
    elif intent.wants_date:
        terms.append(("date", FIT if _DATE.search(text) else 0.0 if relative_period(text, asked) else -FIT))
    if intent.wants_place:
        terms.append(("place", FIT / 2 if _PLACE.search(text) else -FIT / 2))
    if intent.kind is not None and chunk.kind == intent.kind:
        terms.append(("kind", FIT))  # "what did they recommend ..." is answered by a recommendation
    if chunk.kind == kinds.GLOSSARY and not intent.wants_definition:
        terms.append(("glossary", -FIT / 2))  # a definition rarely answers a question that is not asking for one
    if intent.answer_type:
        # "Which accredited course ...": a sentence naming the kind of thing asked for is more likely its answer.
        named = intent.answer_type & set(content_terms(f"{text} {chunk.caption or ''}"))
        terms.append(("type_named", FIT * len(named) / len(intent.answer_type)))
    if answer_type == "organisation":
        # "Which organisation delivers ...?" is answered by a sentence that names one.
        terms.append(("type_named", FIT / 2 if names_an_organisation(text) else -FIT / 2))
    if answer_type == "verdict" and is_row and is_graded(chunk):
        terms.append(("verdict", 1.5 * FIT))  # the row of a grade grid states the verdict in one word
    if (intent.wants_judgement or answer_type == "verdict") and not intent.wants_number:
        # "what percentage had sufficient ..." wants the figure, not the verdict word
        terms.append(("verdict", FIT if _VERDICT.search(text) else (-FIT / 2 if answer_type == "verdict" else 0.0)))
        if _SUMMARY_SECTION.search(chunk.section_text) or text.startswith("Overall"):
            terms.append(("verdict", FIT / 2))  # the summary chapter states each verdict in one sentence
    if intent.wants_definition and chunk.kind == kinds.GLOSSARY:
        terms.append(("glossary", 1.5 * FIT))
    if intent.wants_person:
        if chunk.person:  # a practice example: the sentence that names its person
            terms.append(("person", FIT if chunk.person in text else -FIT))
        elif chunk.addressed_to:  # a recommendation says who should act
            terms.append(("person", FIT))
        elif answer_type == "person":
            terms.append(("person", typed or 0.0))
        elif _NAME.search(text):
            terms.append(("person", FIT / 2))
    elif answer_type == "person":  # "what name ..." / "name of the person" without a who-cue
        terms.append(("person", typed or 0.0))
    if chunk.kind == kinds.PRACTICE_EXAMPLE and EXAMPLE_OPENING.match(text) and not (
            intent.wants_name or intent.wants_person):
        terms.append(("penalty", -FIT))  # the opening introduces the case asked about; the answer comes later
    if chunk.caption and text.strip() in chunk.caption:
        terms.append(("penalty", -0.05))  # a caption says what a table shows, rarely the value asked for
    if text.startswith("Source:"):
        terms.append(("penalty", -0.10))
    if len(text.split()) < 4 and not is_row:
        terms.append(("penalty", -0.10))
    if chunk.kind == kinds.FOOTNOTE:
        terms.append(("penalty", -0.03))
    return terms


def carries_value(text: str, answer_type: str | None) -> bool | None:
    """Whether `text` holds a value of the type asked for: a verdict word, a figure, a date, a name; None for
    types without a recognisable value (a reason, a description). Example: ("It was judged good.",
    "verdict") -> True; ("The previous visit was in 2011.", "verdict") -> False."""
    if answer_type == "verdict":
        return bool(_VERDICT.search(text))
    if answer_type == "percentage":
        return bool(_SHARE.search(text))
    if answer_type in ("number", "duration"):
        return has_figure(text) or bool(_NUMBER_WORDS.search(text))
    if answer_type == "money":
        return bool(_MONEY.search(text))
    if answer_type in ("date", "person"):
        return (type_fit(text, answer_type) or 0.0) > 0
    return None


_PREVIOUS = re.compile(r"\b(?:previous|previously|former|formerly|earlier|prior|preceding|before this|last "
                       r"(?:inspected|inspection|visit|reviewed|review))\b", re.I)
_CURRENT = re.compile(r"\b(?:current|currently|present|new|newly)\b", re.I)


def time_reference(text: str) -> str | None:
    """Whether `text` speaks of the previous state of things or the current one: "previous" / "current" /
    None (neither, or both). Example: "The previous chair took up post in 2011" -> "previous"."""
    previous, current = bool(_PREVIOUS.search(text)), bool(_CURRENT.search(text))
    if previous == current:
        return None
    return "previous" if previous else "current"


_PRESENT_QUESTION = re.compile(r"^\s*(?:what|which|who|how|where)\b(?:\s+[\w'’-]+)?\s+(?:is|are|has|have|does|do)\b",
                               re.I)


def asked_time(question: str) -> str | None:
    """The time a question speaks of: its own words' (`time_reference`), else "current" for a question in
    the present tense ("What is the overall judgement ...?" asks of now, not of the previous inspection's)."""
    said = time_reference(question)
    if said is None and _PRESENT_QUESTION.search(question):
        return "current"
    return said


GRADE_WORDS = 5  # a categorical table's values are this short: "Good", "Requires improvement to be good"


def is_graded(chunk: Chunk) -> bool:
    """A table whose every value (last column) is a short verdict word or phrase, not a number: a grade grid.
    Example: rows ["Adoption performance", "Good"], ["Leadership", "Inadequate"] -> True."""
    table = chunk.table
    if chunk.kind != kinds.TABLE or table is None or not table.rows or table.is_numeric():
        return False
    values = [row[-1] for row in table.rows if row]
    return all(0 < len(v.split()) <= GRADE_WORDS and not has_figure(v) for v in values)


# A telephone number, an email or web address, a postcode: digits that count nothing.
_NOT_A_FIGURE = re.compile(r"(?:\+44\s?|\b0)\d{2,4}(?:[\s-]\d{3,4}){1,2}\b|\S+@\S+|\bwww\.\S+|\bhttps?://\S+|"
                           r"\b[A-Z]{1,2}\d{1,2}[A-Z]?\s\d[A-Z]{2}\b")


def has_figure(text: str) -> bool:
    """A number other than a year, a telephone number or a postcode. Example: "in 2016" -> False; "66 cases" ->
    True; "please telephone 0300 123 1231" -> False."""
    text = _NOT_A_FIGURE.sub(" ", text)
    return any(not is_year(n) for n in numbers_in(text) if number_value(n) is not None)


def is_year(token: str) -> bool:
    return bool(re.fullmatch(r"(19|20)\d\d", token))
