"""Question validation and what a question asks for, from its form rather than its topic."""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer

from ingest.errors import QuestionError
from ingest.text import words

MAX_QUESTION_CHARS = 2_000
_STEMMER = snowballstemmer.stemmer("english")
_STEMMER_LOCK = threading.Lock()  # the stemmer keeps the word it works on in itself: one thread at a time

STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being below between
    both but by can could did do does doing down during each few for from further had has have having he her here
    hers him his how i if in into is it its itself just me more most my no nor not now of off on once only or other
    our out over own same she should so some such than that the their them then there these they this those
    through to too under until up very was we were what when where which while who whom why will with would you
    your yours report inspection inspectors inspectorate say says said tell according many much does did mean
    stand stands""".split()
)

_NUMBER_CUES = re.compile(r"\b(how many|how much|what (?:proportion|percentage|share|fraction|number|rate|"
                          r"figure|per ?cent)|percentage|proportion|per ?cent|%|how often|how long|rate of|"
                          r"budget|cost|costs|price|worth|salary|spend|spent|average|mean|total|slice|portion|"
                          r"rates?(?! card))\b", re.I)
# Asks for a person's name, not just "who" (which is often an organisation: "Who owns the CRC?").
_ROLE = (r"(?:man|woman|person|people|officer|director|judge|chief|executive|commissioner|manager|inspector|chair|"
         r"head|service user|offender|individual|minister|governor|leader|author)")
_NAME_CUES = re.compile(rf"\bwhat name\b|\bnames? (?:of|given to) (?:the |this |that )?(?:[\w'’-]+ ){{0,4}}?{_ROLE}\b|"
                        r"\bwhat (?:is|was) (?:he|she|they) called\b|"
                        rf"^\s*who (?:is|was|are|were) (?:the )?(?:current |then )?(?:[\w&'’-]+ ){{0,5}}?{_ROLE}\b",
                        re.I)
# "mean" the verb ("What does X mean?", "what do they mean by Y") asks for a meaning, not an average.
_MEAN_VERB = re.compile(r"\b(?:does|do|did)\b.{1,60}?\bmean(?=\s+by\b|\s*[?.!]*\s*$)", re.I)
_DEFINITION_CUES = re.compile(r"\b(stand for|stands for|short for|full name|full form|acronym|abbreviation|"
                              r"meaning of|what does .{1,40} mean|refer to|refers to|what is meant by|define|"
                              r"definition of|what (?:kind|sort|type) of \w+ is)\b|"
                              # the whole question is "What is X?" / "What is an X used for?"
                              r"^\s*what(?:'s| is| are| was) (?:an? |the )?[\w'’-]+(?: [\w'’-]+){0,2}"
                              r"(?: used for| for)?\s*\??\s*$",
                              re.I)
_WHO_CUES = re.compile(r"^\s*(who|whose|which (?:person|man|woman|officer|service user|individual))\b|"
                       r"\b(name of|called|named|pseudonym)\b", re.I)
_WHEN_CUES = re.compile(r"^\s*when\b|\b(what (?:year|month|date)|since when)\b", re.I)
_MONEY_CUES = re.compile(r"\b(budget|cost|costs|price|prices|priced|worth|charge|charges|fee|fees|salary|salaries|"
                         r"funding amount|how much money|value of the contract|contract value)\b", re.I)
# Asks for the inspectors' verdict: yes/no questions and "how good / how well / how was it rated".
_JUDGEMENT_CUES = re.compile(r"^\s*(is|are|was|were|did|does|do|has|have|had|can|could)\b|\b(how good|how well|"
                             r"how effective|how was .{1,60} (?:rated|judged|assessed)|rated|rating|verdict|judge|"
                             r"judged|what did (?:the )?inspectors? (?:make|think|say|find|conclude)|quality of|"
                             r"good enough|enough|adequate|sufficient|effective|satisfactory)\b", re.I)
_ACCOUNT_CUES = re.compile(r"\b(why|what happened|what went wrong|what changed|how did|how were|how was|how is|"
                           r"how are|how do|how does|what did .{1,60} do)\b", re.I)
_PLACE_CUES = re.compile(r"^\s*where\b|\b(which|what) (?:town|towns|place|places|location|locations|prison|"
                         r"prisons|office|offices|police stations?|premises|area|county)\b|\bbased\b", re.I)
_MULTI_CUES = re.compile(r"\b(compare|comparison|both|versus|vs\.?|differ|difference|whereas|and how|and what|"
                         r"and which|and who|respectively)\b", re.I)


@dataclass(frozen=True)
class Intent:
    wants_number: bool = False
    wants_definition: bool = False
    wants_person: bool = False
    wants_name: bool = False  # a person's name specifically
    wants_date: bool = False
    wants_money: bool = False
    wants_judgement: bool = False
    wants_account: bool = False  # "why ...", "what happened ...", "how did ...": an account, often two sentences
    wants_place: bool = False
    multi_part: bool = False
    extreme: str | None = None  # "min" or "max" for "lowest" / "highest" questions
    kind: str | None = None  # the kind of passage the wording points at ("recommendation", "quote", ...)
    counted: frozenset[str] = frozenset()  # "How many serious further offences ..." -> {"serious", "offenc", ...}
    answer_type: frozenset[str] = frozenset()  # "Which accredited course ..." -> {"accredit", "cours"}


def validate_question(question: object) -> str:
    """The question, tidied, or a QuestionError that says what to change."""
    if not isinstance(question, str):
        raise QuestionError(f"a question must be text, not {type(question).__name__}.")
    undecodable = next((i for i, ch in enumerate(question) if unicodedata.category(ch) == "Cs"), None)
    if undecodable is not None:  # invalid UTF-8 from argv (surrogateescape) or a lone surrogate like "\ud800"
        raise QuestionError(f"the question is not valid text (invalid UTF-8 or a lone surrogate at character "
                            f"{undecodable + 1}); retype it as plain UTF-8 text.")
    controls = sorted({f"\\x{ord(ch):02x}" for ch in question if unicodedata.category(ch) == "Cc"
                       and ch not in "\n\r\t"})
    if controls:
        raise QuestionError(f"the question contains control characters ({', '.join(controls[:3])}); remove them.")
    tidy = " ".join(question.split())
    if not tidy:
        raise QuestionError("the question is empty; type a question about the report.")
    if len(tidy) > MAX_QUESTION_CHARS:
        raise QuestionError(f"the question is {len(tidy):,} characters long; keep it under "
                            f"{MAX_QUESTION_CHARS:,} (one question at a time).")
    if not any(ch.isalnum() for ch in tidy):
        raise QuestionError("the question has no words in it; type a question about the report.")
    return tidy


def check_language(question: str, vocabulary: frozenset[str]) -> None:
    """The report is English; a question in another language cannot be matched against it."""
    letters = [ch for ch in question if ch.isalpha()]
    latin = sum(1 for ch in letters if ch.isascii() or unicodedata.name(ch, "").startswith("LATIN"))
    if letters and latin / len(letters) < 0.5:
        raise QuestionError("the question is not in English; the report is in English, so ask in English.")
    tokens = [w for w in words(question) if w.isalpha()]
    if len(tokens) >= 4:
        known = sum(1 for w in tokens if w in STOPWORDS or w in vocabulary or stem(w) in vocabulary)
        if known / len(tokens) < 0.35:
            raise QuestionError("the question does not look like English; the report is in English, "
                                "so ask in English.")


def has_report_word(question: str, vocabulary: frozenset[str]) -> bool:
    """True when at least one of the question's content words occurs in the report.

    Examples: "What does ATR stand for?" -> True; "a", "1", "asdf" -> False (nothing to look for, so a
    passage found for it would be chance, not an answer).
    """
    return any(term in vocabulary for term in content_terms(question))


def intent_of(question: str) -> Intent:
    return Intent(
        wants_number=bool(_NUMBER_CUES.search(_MEAN_VERB.sub(lambda m: m.group(0)[:-4], question))),
        wants_definition=bool(_DEFINITION_CUES.search(question)),
        wants_person=bool(_WHO_CUES.search(question)),
        wants_name=bool(_NAME_CUES.search(question)),
        wants_date=bool(_WHEN_CUES.search(question)),
        wants_money=bool(_MONEY_CUES.search(question)),
        wants_judgement=bool(_JUDGEMENT_CUES.search(question)),
        wants_account=bool(_ACCOUNT_CUES.search(question)),
        wants_place=bool(_PLACE_CUES.search(question)),
        multi_part=bool(_MULTI_CUES.search(question)),
        extreme=_extreme(question),
        answer_type=answer_type_terms(question),
        counted=counted_terms(question),
        kind=kind_hint(question),
    )


_WHICH = re.compile(r"\b(?:which|what)\s+((?:[a-z][\w-]*\s+){0,2}?[a-z][\w-]*)\s+(?:is|are|was|were|do|does|did|"
                    r"has|have|had|deals?|dealt|runs?|made|makes|of|in|for|can|could|should|would|will)\b", re.I)
_NOT_TYPES = frozenset({"percentage", "proportion", "number", "share", "fraction", "rate", "figure", "kind", "sort",
                        "type", "year", "month", "date", "time", "name", "one", "ones", "judgement", "judgements",
                        "judgment", "grade", "grades", "rating", "ratings", "verdict"})


def answer_type_terms(question: str) -> frozenset[str]:
    """The words naming what a which/what question asks for.

    Example: "Which accredited course deals with temper?" -> {"accredit", "cours"}; "What percentage ..." -> {}.
    """
    match = _WHICH.search(question)
    if not match:
        return frozenset()
    words_ = [w for w in match.group(1).lower().split() if w not in _NOT_TYPES and w not in STOPWORDS]
    return frozenset(stem(w) for w in words_)


# The counted noun phrase ends at the first auxiliary, preposition or common main verb.
_HOW_MANY = re.compile(r"\bhow (?:many|much)\s+((?:[\w'’-]+\s+){0,5}?)(?:is|are|was|were|do|does|did|has|have|had|"
                       r"will|would|can|could|should|in|on|at|per|a|an|there|to|for|live[sd]?|living|attend(?:ed|s)?|"
                       r"receive[sd]?|get|got|take[sn]?|took|go|went|come|came|see|saw|make|made|speak|spoke|"
                       r"talk(?:ed)?|visit(?:ed)?|carr(?:y|ied|ies)|hold|held|serve[sd]?|use[sd]?)\b", re.I)


# "How many recommendations?": the counted words run to the end of the question.
_HOW_MANY_AT_END = re.compile(r"\bhow (?:many|much)\s+((?:[\w'’-]+\s+){0,4}[\w'’-]+)\s*[?.!]*\s*$", re.I)
_RATE_OF = re.compile(r"\b((?:[a-z][\w-]*\s+){1,3})(?:rate|rates|ratio)\b", re.I)
# "the rate of staff turnover": what is measured follows the "rate of", up to a preposition or the end.
_RATE_OF_AFTER = re.compile(r"\b(?:rate|rates|ratio)\s+of\s+((?:[\w'’-]+\s*){1,4}?)"
                            r"(?=\s*(?:[?.!,;]|$|\b(?:in|on|at|per|for|among|across|within|by|with|than|"
                            r"is|are|was|were|has|have|had|compare[sd]?|change[sd]?|differ(?:s|ed)?|"
                            r"improve[sd]?|r[io]se|rises|f[ae]ll|falls|increase[sd]?|decrease[sd]?|go|goes|"
                            r"went)\b))", re.I)
# Words of a rate question that say when or how it is measured, not what: "the current rate of ...".
_NOT_MEASURED = frozenset(("current", "currently", "latest", "recent", "overall", "average", "annual", "typical",
                           "approximate", "present", "today"))


def counted_terms(question: str) -> frozenset[str]:
    """What a "how many / how much" or "what is the X rate" question measures.

    Examples: "How many hours of community payback were done?" -> {"hour", "communiti", "payback"};
    "What was the staff sickness absence rate?" -> {"staff", "sick", "absenc"}.
    """
    phrase = (_HOW_MANY.search(question) or _HOW_MANY_AT_END.search(question) or _RATE_OF_AFTER.search(question)
              or _RATE_OF.search(question))
    if not phrase:
        return frozenset()
    left_out = {stem(w) for w in (*_GENERIC_COUNTS, *_NOT_MEASURED)}
    return frozenset(t for t in content_terms(phrase.group(1)) if t not in left_out)


# Counted nouns too general to look for: "how many people" is answered by "the population was ...".
_GENERIC_COUNTS = ("people", "persons", "person", "individuals", "times", "ones", "number", "amount", "more",
                   "other", "such")


_LOWEST = re.compile(r"\b(lowest|least|smallest|worst|fewest|minimum|weakest|poorest)\b", re.I)
_HIGHEST = re.compile(r"\b(highest|largest|biggest|best|greatest|maximum|strongest|top)\b", re.I)


def _extreme(question: str) -> str | None:
    if _LOWEST.search(question):
        return "min"
    if _HIGHEST.search(question):
        return "max"
    return None


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The Snowball (Porter 2) English stem, so plurals and verb forms match.

    Examples: "interventions" -> "intervent"; "planning" -> "plan"; "relied" -> "reli" (as "rely");
    "led" -> "lead" (an irregular past, as its present).
    """
    with _STEMMER_LOCK:  # the chat and the API answer in several threads at once
        return _STEMMER.stemWord(_IRREGULAR.get(word, word))


# Irregular past forms a question uses for the verb a report's label or sentence has ("Who led ..." /
# "Lead inspector:"). General English, not any report's words.
_IRREGULAR = {"led": "lead", "wrote": "write", "written": "write", "ran": "run", "began": "begin",
              "begun": "begin", "took": "take", "taken": "take", "held": "hold", "gave": "give", "given": "give",
              "saw": "see", "seen": "see", "spoke": "speak", "spoken": "speak", "chose": "choose",
              "chosen": "choose", "told": "tell", "sought": "seek", "brought": "bring", "bought": "buy",
              "found": "find", "made": "make", "thought": "think", "felt": "feel", "kept": "keep", "met": "meet",
              "paid": "pay", "said": "say"}


def content_terms(text: str) -> list[str]:
    """Stemmed words that carry meaning. Example: "How many cases were reviewed?" -> ["case", "review"]."""
    return [stem(w) for w in words(text) if w not in STOPWORDS and len(w) > 1]


_ENTITY = re.compile(r"(?<!^)(?<![.?!] )\b([A-Z][A-Za-z&'’-]*[A-Za-z](?:\s+(?:[A-Z][A-Za-z'’-]+|of|and|the|on|for))*)")
YEAR = re.compile(r"\b(?:19|20)\d\d\b")


def question_entities(question: str) -> list[str]:
    """Names and years a question is specifically about; an answer's passage must mention them.

    Example: "What is the reoffending rate for Tamworth in 2019?" -> ["Tamworth", "2019"].
    """
    found = [m.group(1) for m in _ENTITY.finditer(question.strip())]
    names = []
    for phrase in found:
        for word in re.findall(r"[A-Za-z][A-Za-z'’]+", phrase):
            word = re.sub(r"['’]s$", "", word)
            if word[:1].isupper() and word.lower() not in STOPWORDS and len(word) > 2:
                names.append(word)
    return names + YEAR.findall(question)


_SECOND_QUESTION = re.compile(r",?\s+and\s+(?=(?:(?:at|in|for|by|on|to|from|of) )?(?:what|which|who|whom|when|where|"
                              r"how|whether|did|does|do|is|are|was|were)\b)", re.I)
_COMPARISON = re.compile(r"\b(?:compare[sd]?|comparison|differ|difference|versus|vs\.?)\b", re.I)


@dataclass(frozen=True)
class Part:
    text: str  # what this part asks
    query: str  # what to search with: a later part borrows the first part's words for its subject ("it")


def question_parts(question: str) -> list[Part]:
    parts = split_question(question)
    if len(parts) == 1 or _COMPARISON.search(question) and not _SECOND_QUESTION.search(question):
        return [Part(p, p) for p in parts]
    return [Part(parts[0], parts[0]), *(Part(p, f"{p} {parts[0]}") for p in parts[1:])]


def split_question(question: str) -> list[str]:
    """A question asking two things, as two questions; otherwise the question alone.

    Examples: "When did the centre open, and at what capacity was it running?" ->
    ["When did the centre open", "at what capacity was it running?"];
    "Compare the CRC and NPS on drug misuse." -> ["Compare the CRC on drug misuse.", "Compare the NPS on drug misuse."]
    """
    parts = [p.strip() for p in _SECOND_QUESTION.split(question) if p.strip()]
    if len(parts) == 2 and len(content_terms(parts[0])) >= 2 and content_terms(parts[1]):
        return parts
    if _COMPARISON.search(question):
        pair = _compared_pair(question)
        if pair:
            first, second = pair
            return [_drop(question, second), _drop(question, first)]
    return [question]


def _compared_pair(question: str) -> tuple[str, str] | None:
    """Two named things joined by "and" / "with" / "versus". Example: "the CRC and NPS" -> ("CRC", "NPS")."""
    match = re.search(r"\b(?:the )?([A-Z][\w&'’-]*)(?:['’]s)?\s+(?:and|with|versus|vs\.?|to)\s+(?:the )?"
                      r"([A-Z][\w&'’-]*)(?:['’]s)?", question)
    if match and match.group(1) != match.group(2):
        return match.group(1), match.group(2)
    match = re.search(r"\b(?:the )?([A-Z]{2,}[\w-]*)['’]s\b.*\b(?:the )?([A-Z]{2,}[\w-]*)['’]s\b", question)
    if match and match.group(1) != match.group(2):
        return match.group(1), match.group(2)
    return None


def _drop(question: str, name: str) -> str:
    """The question without one of the two compared names and the word joining them.

    Example: ("Compare the CRC and NPS on drugs", "CRC") -> "Compare the NPS on drugs".
    """
    joiner = r"(?:and|with|versus|vs\.?|to)"
    name_ = rf"{re.escape(name)}(?:['’]s)?"
    text, n = re.subn(rf"\b{name_}\s+{joiner}\s+", "", question, count=1)
    if not n:
        text, n = re.subn(rf"\s+{joiner}\s+(?:the\s+)?{name_}(?=\W|$)", "", question, count=1)
    if not n:
        text = re.sub(rf"\b(?:the\s+)?{name_}\s*", "", question, count=1)
    return re.sub(r"\s+", " ", text).strip()


_FOLLOW_UP = re.compile(r"^\s*(?:and|also|what about|how about|and what about|what of|same for|the same for|"
                        r"and for|and in|and the|and how about)\b", re.I)
_PRONOUN = re.compile(r"\b(it|its|they|them|their|this|that|those|these|he|she|his|her)\b", re.I)


def resolve_follow_up(question: str, previous: str | None, weight=None, cooccurrence=None) -> str:
    """A short follow-up read in the light of the question before it, in the same conversation.

    Examples, after "What share of CRC cases with a drug need had enough intervention?":
    "What about the NPS?" -> "What share of NPS cases with a drug need had enough intervention?";
    "And alcohol?" -> "What share of CRC cases with a alcohol need had enough intervention?" (the word the new
    topic most often stands beside in the report, like rows of one table, gives way);
    "And when did it start?" -> the follow-up, then the previous question.
    A question that stands on its own is returned unchanged.
    """
    if not previous or not previous.strip():
        return question
    topic = _FOLLOW_UP.sub("", question).strip(" ?.!")
    own_terms = content_terms(topic)
    elliptical = bool(_FOLLOW_UP.match(question)) or (len(own_terms) <= 2 and bool(_PRONOUN.search(question)))
    if not elliptical:
        return question
    new, old = question_entities(question), question_entities(previous)
    swap_in = [e for e in new if e not in old]
    swap_out = [e for e in old if e not in new]
    if len(own_terms) <= 2 and len(swap_in) == 1 and swap_out:
        return re.sub(rf"\b{re.escape(swap_out[0])}\b", swap_in[0], previous, count=1)
    if weight is not None and not new and 0 < len(own_terms) <= 3 and not _PRONOUN.search(topic):
        replaced = _replace_sibling_word(previous, re.sub(r"^(?:the|a|an)\s+", "", topic, flags=re.I),
                                         weight, cooccurrence, set(old))
        if replaced:
            return replaced
    return f"{question.rstrip()} {previous.strip()}"


def _replace_sibling_word(previous: str, topic: str, weight, cooccurrence, entities: set[str]) -> str | None:
    """Replace the previous question's word that the topic is most often found beside, weighted by rarity."""
    words_ = [w for w in re.findall(r"[A-Za-z][\w'’-]*", previous)
              if w not in entities and w.lower() not in STOPWORDS and not _WH_OR_FORM.fullmatch(w)]
    topic_terms = content_terms(topic)
    if not words_ or not topic_terms:
        return None

    def fit(word: str) -> float:
        term = stem(word.lower())
        together = cooccurrence(term, topic_terms[0]) if cooccurrence else 1
        return weight(term) * together

    target = max(words_, key=fit)
    if fit(target) <= 0:
        return None
    return re.sub(rf"\b{re.escape(target)}\b", topic, previous, count=1)


_WH_OR_FORM = re.compile(r"(?i)what|which|who|when|where|why|how|percentage|proportion|share|number|many|much")


_KIND_HINTS = (
    ("recommendation", re.compile(r"\b(recommend\w*|ask(?:ed|s)?\b.{0,40}\bto (?:do|improve|change)|"
                                  r"told\b.{0,30}\bto\b|urged to|what should (?:the )?\w+ do)\b", re.I)),
    ("practice_example", re.compile(r"\b(practice examples?|case where|case of|an example|examples? of)\b", re.I)),
    ("key_fact", re.compile(r"\bkey facts?\b", re.I)),
    ("quote", re.compile(r"\b(said|quote|quoted|comment(?:ed)?|in (?:their|his|her) own words|"
                         r"told (?:the )?inspectors|compare[sd]? it to)\b", re.I)),
)


def kind_hint(question: str) -> str | None:
    """The kind of passage a question's wording points at, if any.

    Example: "What did the inspectors recommend to NOMS?" -> "recommendation".
    """
    for kind, cue in _KIND_HINTS:
        if cue.search(question):
            return kind
    return None


def expand_acronyms(question: str, expansions: dict[str, str]) -> str:
    """The question with the glossary's spelling-out of each acronym it uses appended, for search.

    Example: ("What was NOMS asked to do?", {"NOMS": "National Offender Management Service"}) ->
    "What was NOMS asked to do? (National Offender Management Service)".
    """
    found = [expansions[word] for word in dict.fromkeys(re.findall(r"\b[A-Z][A-Za-z0-9]*[A-Z]\b", question))
             if word in expansions]
    return f"{question} ({'; '.join(found)})" if found else question
