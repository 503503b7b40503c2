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
from dataclasses import dataclass, field
from enum import StrEnum

from retrieval.questions import (
    STOPWORDS,
    YEAR,
    Intent,
    content_terms,
    intent_of,
    question_entities,
    question_parts,
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
    constraints: tuple[str, ...] = ()  # this part's own names and years plus the shared ones


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
                           "constraints": list(p.constraints)} for p in self.parts]}


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
    (AnswerType.NUMBER, re.compile(r"\b(how many|how much|what number|number of|how often|total|average)\b", re.I)),
    (AnswerType.DATE, re.compile(r"^\s*when\b|\b(what|which) (?:year|month|date|day)\b|\bsince when\b|"
                                 r"\bby when\b", re.I)),
    (AnswerType.PERSON, re.compile(r"^\s*(who|whom|whose)\b|\b(what name|name of the (?:person|man|woman)|"
                                   r"who (?:wrote|signed|led|chaired))\b", re.I)),
    (AnswerType.PLACE, re.compile(r"^\s*where\b|\b(which|what) (?:town|city|place|location|area|county|region|"
                                  r"site|building)\b", re.I)),
    (AnswerType.ORGANISATION, re.compile(r"\b(which|what) (?:organisation|organization|agency|body|company|"
                                         r"provider|service|authority|department|team|partner)\b", re.I)),
    (AnswerType.VERDICT, re.compile(r"\b(rated|rating|grade|graded|judgement|judgment|judged|verdict|how good|"
                                    r"how well|how effective|overall (?:conclusion|effectiveness|finding))\b", re.I)),
    (AnswerType.LIST, re.compile(r"\b(which|what) (?:recommendations|areas|priorities|strengths|weaknesses|"
                                 r"actions|steps|improvements|factors|things)\b|\blist\b|\bname (?:the|all)\b|"
                                 r"\bwhat (?:needs?|has|have|must|should) (?:to )?(?:be )?(?:improve|improved|change|"
                                 r"changed|done)\b|\bwhat (?:did|do|does) (?:\w+ ){1,3}recommend\b",
                                 re.I)),
    (AnswerType.REASON, re.compile(r"^\s*why\b|\b(for what reason|what caused|what explains|because of what|"
                                   r"how come)\b", re.I)),
    (AnswerType.YES_NO, re.compile(r"^\s*(is|are|was|were|did|does|do|has|have|had|can|could|will|should)\b",
                                   re.I)),
    (AnswerType.DEFINITION, re.compile(r"^\s*what(?:'s| is| are) (?:an? |the )?[\w'’-]+(?: [\w'’-]+){0,2}\s*\??\s*$",
                                       re.I)),
)


def answer_type_of(text: str) -> AnswerType:
    """The type of answer a question's form asks for.

    Examples: "What percentage of cases had a plan?" -> PERCENTAGE; "Who signed the foreword?" -> PERSON;
    "When did the inspection take place?" -> DATE; "Why was the work late?" -> REASON.
    """
    for answer_type, cue in _TYPE_CUES:
        if cue.search(text):
            return answer_type
    return AnswerType.DESCRIPTION


def analyse(question: str) -> QuestionAnalysis:
    """Everything later stages need to know about a question, computed once.

    Example: "When did the inspection take place, and who led it?" -> DATE overall, two parts (DATE, PERSON).
    """
    entities = tuple(dict.fromkeys(question_entities(question)))
    shared = tuple(e for e in entities if not YEAR.fullmatch(e))
    parts = tuple(_part(p.text, p.query, shared) for p in question_parts(question))
    return QuestionAnalysis(
        question=question,
        answer_type=answer_type_of(question) if len(parts) == 1 else parts[0].answer_type,
        focus=tuple(dict.fromkeys(t for t in content_terms(question) if t not in STOPWORDS)),
        constraints=entities,
        years=tuple(YEAR.findall(question)),
        parts=parts,
        intent=intent_of(question),
    )


def _part(text: str, query: str, shared: tuple[str, ...]) -> QuestionPart:
    own = tuple(question_entities(text))
    return QuestionPart(text=text, query=query, answer_type=answer_type_of(text),
                        constraints=tuple(dict.fromkeys(own + shared)))
