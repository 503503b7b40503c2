"""One analysis per question: the type of answer expected, what it is about, what pins it, and its parts.

    analysis = analyse("How many cases were inspected, and how many were CRC cases?")
    analysis.answer_type      # AnswerType.NUMBER
    analysis.parts[1].text    # "how many were CRC cases?"
    analysis.constraints      # ("CRC",)

Built once per question from its form (wh-word, the noun after it, cue phrases) with the regex readers of
`retrieval.questions`; nothing here knows any one report. Later stages read this record instead of re-reading
the question.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum

from retrieval.questions import (
    STOPWORDS,
    YEAR,
    Intent,
    content_terms,
    intent_of,
    question_entities,
    question_parts,
    stem,
)


class AnswerType(StrEnum):
    NUMBER = "number"
    PERCENTAGE = "percentage"
    MONEY = "money"
    DATE = "date"
    DURATION = "duration"
    PERSON = "person"
    ORGANISATION = "organisation"
    PLACE = "place"
    DEFINITION = "definition"
    VERDICT = "verdict"
    REASON = "reason"
    LIST = "list"
    YES_NO = "yes_no"
    DESCRIPTION = "description"


@dataclass(frozen=True)
class QuestionPart:
    text: str  # what this part asks
    query: str  # what to search with: a later part inherits the first part's subject
    answer_type: AnswerType
    constraints: tuple[str, ...] = ()  # this part's own names and years, else the shared ones
    distinct: tuple[str, ...] = ()  # constraints that set this part apart from the others ("2015" of two years)


@dataclass(frozen=True)
class QuestionAnalysis:
    question: str
    answer_type: AnswerType
    focus: tuple[str, ...]  # stemmed content words of what is asked about
    constraints: tuple[str, ...]  # names and years the answer's passage must mention
    years: tuple[str, ...]
    parts: tuple[QuestionPart, ...]
    intent: Intent = field(repr=False, default_factory=Intent)

    @property
    def multi_part(self) -> bool:
        return len(self.parts) > 1

    def to_json(self) -> dict:
        return {"question": self.question, "answer_type": str(self.answer_type), "focus": list(self.focus),
                "constraints": list(self.constraints), "years": list(self.years),
                "parts": [{"text": p.text, "query": p.query, "answer_type": str(p.answer_type),
                           "constraints": list(p.constraints), "distinct": list(p.distinct)} for p in self.parts]}


# Plural nouns naming the items of a list: "What are the strengths of ...?".
_LISTED = (r"(?:recommendations|areas for (?:improvement|development)|priorities|improvements|actions|strengths|"
           r"weaknesses|key findings|concerns|steps|risks|challenges)")
# Ordered: the first that matches wins, so the narrow forms ("what percentage") come before the broad ones.
_TYPE_CUES: tuple[tuple[AnswerType, re.Pattern[str]], ...] = (
    (AnswerType.DEFINITION, re.compile(r"\b(stands? for|short for|acronym|abbreviation|meaning of|what does .{1,40} "
                                       r"mean|what is meant by|define|definition of)\b", re.I)),
    (AnswerType.PERCENTAGE, re.compile(r"\b(percentage|per ?cent|proportion|share|fraction|what rate|rate of)\b|%",
                                       re.I)),
    (AnswerType.MONEY, re.compile(r"\b(how much money|cost|costs|budget|price|spend|spent|salary|funding|worth|"
                                  r"fee|fees)\b", re.I)),
    (AnswerType.DURATION, re.compile(r"\bhow long\b|\b(how many|number of) (?:days|weeks|months|years|hours|"
                                     r"minutes)\b", re.I)),
    (AnswerType.NUMBER, re.compile(r"\b(how many|how much|what number|number of|how often|total|average)\b|"
                                   r"\b(?:what|which) (?:was|is|were|are) the (?:[\w-]+ ){0,4}?"
                                   r"(?:figures?|count|level)\b",
                                   re.I)),
    (AnswerType.DATE, re.compile(r"^\s*when\b|\b(what|which) (?:year|month|date|day)\b|\bsince when\b|"
                                 r"\bby when\b", re.I)),
    (AnswerType.PERSON, re.compile(r"^\s*(who|whom|whose)\b|\b(what name|name of the (?:person|man|woman)|"
                                   r"who (?:wrote|signed|led|chaired))\b", re.I)),
    (AnswerType.PLACE, re.compile(r"^\s*where\b|\b(which|what) (?:town|city|place|location|area|county|region|"
                                  r"site|building)\b", re.I)),
    (AnswerType.ORGANISATION, re.compile(r"\b(which|what) (?:organisation|organization|agency|body|company|"
                                         r"provider|service|authority|department|team|partner)\b", re.I)),
    (AnswerType.VERDICT, re.compile(r"\b(rated|ratings?|grades?|graded|judgements?|judgments?|judged|verdicts?|"
                                    r"how good|how well|how effective|overall (?:conclusion|effectiveness|finding))\b",
                                    re.I)),
    (AnswerType.LIST, re.compile(r"\b(which|what) (?:recommendations|areas|priorities|strengths|weaknesses|"
                                 r"actions|steps|improvements|factors|things)\b|\blist\b|\bname (?:the|all)\b|"
                                 r"\b(?:give|outline|summari[sz]e|set out) (?:the|all)\b(?: \w+)? (?:recommendations|"
                                 r"areas|priorities|strengths|weaknesses|actions|improvements)\b|"
                                 rf"\b(?:which|what) (?:are|were) (?:the |its |their )?(?:\w+ ){{0,2}}{_LISTED}\b|"
                                 r"\bwhat (?:needs?|has|have|must|should|does|do|did) (?:[\w'’-]+ ){0,6}?(?:to )?"
                                 r"(?:be )?(?:improve|improved|change|changed)\b|"
                                 r"\bwhat (?:needs?|has|have|must|should|ought) (?:[\w'’-]+ ){0,6}?(?:to )?(?:be )?"
                                 r"(?:do|done)\b|"
                                 r"\bwhat (?:did|do|does) (?:\w+ ){1,3}recommend\b|"
                                 r"\b(?:the|its|their|all) recommendations\b",
                                 re.I)),
    (AnswerType.REASON, re.compile(r"^\s*why\b|\b(for what reason|what caused|what explains|because of what|"
                                   r"how come)\b", re.I)),
    (AnswerType.YES_NO, re.compile(r"^\s*(is|are|was|were|did|does|do|has|have|had|can|could|will|should)\b",
                                   re.I)),
    (AnswerType.DEFINITION, re.compile(r"^\s*what(?:'s| is| are) (?:an? |the )?[\w'’-]+(?: [\w'’-]+){0,2}\s*\??\s*$",
                                       re.I)),
)


# The words that name the type of answer rather than what it is about: "the judgement for adoption" asks for
# a verdict (scored by the candidate's form) about adoption (scored by its words). Stemmed.
_TYPE_WORDS = {
    AnswerType.VERDICT: ("judgement", "judgements", "judgment", "judged", "grade", "grades", "graded", "rating",
                         "ratings", "rated", "verdict"),
    AnswerType.PERCENTAGE: ("percentage", "proportion", "share", "fraction"),
    AnswerType.NUMBER: ("number", "total"),
}
TYPE_WORDS = {kind: frozenset(stem(w) for w in found) for kind, found in _TYPE_WORDS.items()}


def type_words(answer_type: str | None) -> frozenset[str]:
    """Stemmed words naming `answer_type` itself. Example: "verdict" -> {"judgement", "grade", ...}."""
    return next((found for kind, found in TYPE_WORDS.items() if str(kind) == answer_type), frozenset())


def answer_type_of(text: str) -> AnswerType:
    """The type of answer a question's form asks for.

    Examples: "What percentage of cases had a plan?" -> PERCENTAGE; "Who signed the foreword?" -> PERSON;
    "When was the review carried out?" -> DATE; "Why was the work late?" -> REASON.
    """
    for answer_type, cue in _TYPE_CUES:
        if cue.search(text):
            return answer_type
    return AnswerType.DESCRIPTION


def analyse(question: str, one_name: Callable[[str], bool] | None = None) -> QuestionAnalysis:
    """Everything later stages need to know about a question, computed once. `one_name(phrase)` says whether
    "A and B" is one name in the report ("Staffordshire and Stoke"); without it such a pair is not split.

    Example: "When was the review carried out, and who led it?" -> DATE overall, two parts (DATE, PERSON).
    """
    entities = tuple(dict.fromkeys(question_entities(question)))
    shared = tuple(e for e in entities if not YEAR.fullmatch(e))
    found = question_parts(question)
    pairs = [(p.text, p.query) for p in found] if len(found) > 1 else more_parts(question)
    if len(pairs) == 1 and one_name is not None:
        pairs = named_pair_parts(question, one_name)
    pairs = resolved_pairs(pairs)
    parts = _distinguished(tuple(_part(text, query, inherited(shared, pairs, at))
                                 for at, (text, query) in enumerate(pairs)))
    return QuestionAnalysis(
        question=question,
        answer_type=answer_type_of(question) if len(parts) == 1 else parts[0].answer_type,
        focus=tuple(dict.fromkeys(t for t in content_terms(question) if t not in STOPWORDS)),
        constraints=entities,
        years=tuple(YEAR.findall(question)),
        parts=parts,
        intent=intent_for(question, answer_type_of(question) if len(parts) == 1 else parts[0].answer_type),
    )


NUMERIC_TYPES = (AnswerType.NUMBER, AnswerType.PERCENTAGE, AnswerType.MONEY, AnswerType.DURATION)


# "it" of a follow-on part ("... and when did it take place?") stands for the first part's subject: the
# determiner phrase up to a word that ends it (a preposition other than "of", a verb form, a conjunction).
_IT = re.compile(r"\bit\b(?!['’])", re.I)
_DETERMINER_PHRASE = re.compile(r"\b(?:the|this|that)\s+[\w'’-]+(?:\s+[\w'’-]+){0,4}", re.I)
_PHRASE_ENDS = frozenset("""in on at for to from by with about and or but was were is are be been being has have
had do does did will would can could should may might when where who which what that how why during since after
before than as out up""".split())


def antecedent(text: str) -> str | None:
    """The subject a later "it" refers to: "Who led the inspection" -> "the inspection"; "When was the review
    carried out" -> "the review"; None when `text` has no determiner phrase ("Who led it")."""
    match = _DETERMINER_PHRASE.search(text.rstrip("?.! "))
    if match is None:
        return None
    words = match.group(0).split()
    kept = words[:2]
    for word in words[2:]:
        low = word.lower()
        if low in _PHRASE_ENDS or (low.endswith("ed") and len(low) > 4):
            break
        kept.append(word)
    if kept[1].lower() in _PHRASE_ENDS or _IT.fullmatch(kept[1]):
        return None
    return " ".join(kept).rstrip(",;:")


def resolved_pairs(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """(text, query) pairs with "it" in a follow-on part (one whose query ends with the first part) replaced by
    the first part's subject, so the part's own words name what it asks about: "when did it finish?"
    after "Who ran the review" -> "when did the review finish?". Other parts as they were."""
    if len(pairs) < 2:
        return pairs
    first = pairs[0][0]
    subject = antecedent(first)
    if subject is None:
        return pairs
    resolved = [pairs[0]]
    for text, query in pairs[1:]:
        if query.endswith(first) and query != text and _IT.search(text):
            text = _IT.sub(subject, text, count=1)
            query = f"{text} {first}"
        resolved.append((text, query))
    return resolved


def intent_for(text: str, answer_type: AnswerType) -> Intent:
    """The form checks of `text` (`questions.intent_of`), agreeing with its answer type: a figure is required
    whenever the type is numeric ("What was the stability figure in 2015?" as much as "how many")."""
    intent = intent_of(text)
    if answer_type in NUMERIC_TYPES and not intent.wants_number:
        return replace(intent, wants_number=True)
    return intent


def inherited(shared: tuple[str, ...], pairs: list[tuple[str, str]], at: int) -> tuple[str, ...]:
    """The question's names a part may inherit: those of the parts before it, and of a later part only the
    scope it puts after a preposition ("how many A and how many B in Leeds": Leeds is both parts'); a name
    inside a later part's own noun phrase ("... and when was the last ILACS inspection?") is that part's."""
    if len(pairs) < 2:
        return shared
    before = " ".join(text for text, _ in pairs[:at])
    after = " ".join(text for text, _ in pairs[at + 1:])
    return tuple(name for name in shared
                 if name in before or (name in after and _scope_pattern(name).search(after))
                 or (name not in before and name not in after and name not in pairs[at][0]))


def _scope_pattern(name: str) -> re.Pattern[str]:
    return re.compile(rf"\b(?:in|at|for|of|by|across|within|from)\s+(?:the\s+)?{re.escape(name)}\b", re.I)


def _part(text: str, query: str, shared: tuple[str, ...]) -> QuestionPart:
    """A part pinned by its own names and years; one naming none inherits the question's ("when did it
    start?" after "Who led the Leeds review"). Its own scope replaces the shared one: "and what is the total
    in England?" is not about the first part's region."""
    own = tuple(dict.fromkeys(question_entities(text)))
    return QuestionPart(text=text, query=query, answer_type=answer_type_of(text), constraints=own or shared)


def _distinguished(parts: tuple[QuestionPart, ...]) -> tuple[QuestionPart, ...]:
    """Each part with the constraints only it has: what its quote must itself say ("in 2015-16" of "how many in
    2014-15 compared with 2015-16"). None for a question of one part."""
    if len(parts) < 2:
        return parts
    return tuple(replace(p, distinct=tuple(c for c in p.constraints
                                           if not all(c in other.constraints for other in parts if other is not p)))
                 for p in parts)


# A second wh-question joined by a bare "and": "Who led the visit and when did it happen?".
_AND_WH = re.compile(r",?\s+and\s+(?=(?:what|which|who|whom|when|where|how)\b)", re.I)
# "... in March 2013 compared with March 2012?": the thing measured, at two values of a time or name.
_COMPARED_WITH = re.compile(r"\s*,?\s+(?:(?:as )?compared (?:with|to)|compare[sd]? (?:with|to)|versus|vs\.?|"
                            r"against)\s+", re.I)
_PERIOD = re.compile(r"(?:(?:January|February|March|April|May|June|July|August|September|October|November|"
                     r"December)\s+)?(?:19|20)\d\d(?:\s*[-–/]\s*\d{2,4})?")
# "the judgements for A and for B": the same preposition repeated after "and".
_SAME_PREPOSITION = re.compile(r"\b(for|on|in|of|about|at)\s+(.+?)\s+and\s+(?:on\s+|for\s+|in\s+|of\s+|about\s+|"
                               r"at\s+)?\1\s+(.+?)(\s*[?.!]?\s*)$", re.I)


# Two capitalised names joined by "and": "the Foundations of Rehabilitation and Anger Management courses".
_NAME = r"[A-Z][\w'’-]*(?:\s+(?:(?:of|for|the|&)\s+)?[A-Z][\w'’-]*)*"
_NAMED_PAIR = re.compile(rf"(?<![\w'’-])({_NAME})\s+and\s+({_NAME})")


def named_pair_parts(question: str, one_name: Callable[[str], bool]) -> list[tuple[str, str]]:
    """(text, query) of each part when the question asks about two named things at once ("How many sessions
    do the Foundations of Rehabilitation and Anger Management courses run to?" -> the same question of each),
    unless the report uses "A and B" as one name; [(question, question)] otherwise."""
    match = _NAMED_PAIR.search(question.strip())
    if not match or match.start() == 0 or one_name(match.group(0)):
        return [(question, question)]
    first, second = match.group(1), match.group(2)
    if not (one_name(first) and one_name(second)):
        return [(question, question)]  # each must be a name the report uses
    texts = [f"{question[: match.start()]}{name}{question[match.end():]}" for name in (first, second)]
    return [(t, t) for t in texts]


def more_parts(question: str) -> list[tuple[str, str]]:
    """(text, query) of each part of a question `question_parts` reads as one, by three general forms;
    [(question, question)] when none applies.

    Examples: "Who led it and when did it start?" -> ("Who led it", ...), ("when did it start?", "when did it
    start? Who led it"); "How many were approved in 2014 compared with 2015?" -> "How many were approved in
    2014?", "How many were approved in 2015?"; "What were the grades for help and for care?" -> "What were the
    grades for help?", "What were the grades for care?".
    """
    pieces = [p.strip() for p in _AND_WH.split(question) if p.strip()]
    if len(pieces) == 2 and all(content_terms(p) for p in pieces):
        first, second = pieces
        return [(first, first), (second, f"{second} {first}")]
    compared = _COMPARED_WITH.split(question.strip().rstrip("?.! "), maxsplit=1)
    if len(compared) == 2:
        left, right = compared
        earlier = list(_PERIOD.finditer(left))
        if earlier and _PERIOD.fullmatch(right.strip()):
            last = earlier[-1]
            second = f"{left[: last.start()]}{right.strip()}{left[last.end():]}?"
            return [(f"{left}?", f"{left}?"), (second, second)]
    same = _SAME_PREPOSITION.search(question)
    if same and content_terms(same.group(2)) and content_terms(same.group(3)):
        head, end = question[: same.start()], same.group(4) or "?"
        first = f"{head}{same.group(1)} {same.group(2)}{end}"
        second = f"{head}{same.group(1)} {same.group(3)}{end}"
        return [(first, first), (second, second)]
    return [(question, question)]
