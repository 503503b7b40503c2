"""Wording helpers for the trainers' quiz (retrieval/quiz.py): whether a question reads well, a passage's key
terms (for a fill-in-the-blank), distractors of the same form as the key, and page numbers that a page footer
left at a passage's end. Plain English word lists only: nothing here knows a particular report's words.

    reads_well("What does the report recommend about with partner agencies?")   # False: "about with"
    key_terms("Reduce the backlog of domestic abuse notifications.", corpus)     # ["domestic abuse notifications", ...]
    same_form("67.1%", ["-18%", "43%", "2 (of 21)"])                            # ["43%"]
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass

from ingest.records import Span
from ingest.text import normalise_for_match, number_value

PREPOSITIONS = frozenset(
    "about above across after against along among amongst around as at before behind below beneath beside between "
    "beyond by despite during except for from in including inside into like near of off on onto outside over per "
    "since than through throughout to towards under until upon via with within without".split())
AUXILIARIES = frozenset("am is are was were be been being has have had do does did can could will would shall "
                        "should may might must".split())
DETERMINERS = frozenset("a an the this these those that their its his her our your my all any each every some such "
                        "both either neither no not".split())
CONJUNCTIONS = frozenset("and or but nor so if whether which who whom whose when where while whilst because how what "
                         "why".split())
PRONOUNS = frozenset("i we you he she it they me us him them itself themselves there here".split())
FUNCTION_WORDS = PREPOSITIONS | AUXILIARIES | DETERMINERS | CONJUNCTIONS | PRONOUNS
NEEDS_COMPLEMENT = frozenset("subject due able unable likely unlikely according prior related relating regard "
                             "respect relation order addition".split())  # "who are subject" wants "to ..."
PHRASAL_ENDINGS = frozenset({"stand for", "refer to", "account for", "apply to", "belong to", "relate to"})
NOT_ADVERBS = frozenset("family supply july italy assembly reply ally rally".split())  # words ending "ly"
ANAPHORS = frozenset("this these that those it its they them their he she his her such".split())  # point back
MAX_TERM_WORDS = 4
WELL_USED = 2  # a distractor term used this often elsewhere is a real term ("care leavers"), not "children benefit"
SIMILAR_WINDOW = 2  # distractors are drawn at random from the count * this closest values of the same form
NEAR_DUPLICATE = 0.75  # two options sharing this share of their words are one option twice

_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9’'\-]*")
_PAGE_NUMBER_END = re.compile(r"(?<=[.;:!?)\]])\s+\d{1,3}\s*$")  # "... for children. 9" (a page footer)
_PAGE_NUMBER_START = re.compile(r"^\s*\d{1,3}\s*\n\s*\n")  # a page header's number alone on its line
_DOUBLED_PREPOSITION = re.compile(r"\b(about|of|for|to|with|by|in|on|at) (about|with|in|on|at|for|by|of)\b", re.I)
_PARTICIPLE = re.compile(r"(?<!e)ed$", re.IGNORECASE)  # "care leavers | aged 19": a clause begins
_POSSESSIVE = re.compile(r"(?:['’]s|s['’])$")  # "young people’s" wants the noun after it
_NUMERIC = re.compile(r"^[-+–]?[£$€]?\d[\d,]*(?:\.\d+)?%?$")


def reads_well(question: str) -> bool:
    """A question a trainer can hand out: it ends on a content word (not on "with", "are", "subject" or "as
    quickly"), has no "about with" or doubled word, and its brackets and quotes are balanced.

    Examples: "What proportion of cases were late?" -> True; "What does it recommend to ensure that practice
    for children who are subject?" -> False.
    """
    body = question.strip().rstrip("?").strip()
    quoting = body.endswith("”")  # a cloze ends on the report's own sentence: its ending is the report's
    tokens = [t.lower().strip("’'") for t in _WORD.findall(body.replace("___", " BLANK "))]
    if len(tokens) < 3 or (not quoting and not _ends_well(tokens)):
        return False
    doubled = any(a == b and not a.isdigit() for a, b in zip(tokens, tokens[1:], strict=False))
    if _DOUBLED_PREPOSITION.search(body) or doubled:
        return False
    return body.count("(") == body.count(")") and question.count("“") == question.count("”")


def _ends_well(tokens: list[str]) -> bool:
    """The last word is a content word, or ends a phrasal verb ("stand for")."""
    last = tokens[-1]
    if " ".join(tokens[-2:]) in PHRASAL_ENDINGS:
        return True
    dangling = last in FUNCTION_WORDS or last in NEEDS_COMPLEMENT
    return not dangling and not (last.endswith("ly") and last not in NOT_ADVERBS)


def without_page_number(text: str, span: Span) -> Span:
    """`span` without a printed page number that a page header or footer left at its start or end (ingest
    joins a passage across a page break).

    Example: ("Strengthen plans for children.\\n\\n9", its whole span) -> the span of "Strengthen plans for children."
    """
    piece = text[span.start : span.end]
    end = _PAGE_NUMBER_END.search(piece)
    start = _PAGE_NUMBER_START.match(piece)
    return Span(span.start + (start.end() if start else 0), span.start + (end.start() if end else len(piece)))


def strip_page_number(text: str) -> str:
    """Example: "Improve matching processes. 8" -> "Improve matching processes."."""
    span = without_page_number(text, Span(0, len(text)))
    return text[span.start : span.end].strip()


def starts_with_anaphor(sentence: str) -> bool:
    """A sentence pointing back ("This is an improvement of 7% on ...") says little once out of its paragraph."""
    first = _WORD.search(sentence)
    return bool(first and first.group(0).lower() in ANAPHORS)


# ---------- key terms for a fill-in-the-blank ----------


@dataclass(frozen=True)
class KeyTerm:
    span: Span  # in the sentence
    text: str  # "care leavers"
    uses: int  # times the report uses it outside the passage


def key_terms(sentence: str, corpus: str, skip_first: bool = True) -> list[KeyTerm]:
    """Runs of 2-4 content words in `sentence` that the report uses again (`corpus`: the report's text outside
    this passage), longest and most used first, with their span in `sentence`. The sentence's first word (an
    imperative verb: "Reduce", "Ensure") is never part of a term.

    Example: ("Reduce the backlog of domestic abuse notifications.", "... domestic abuse ...") ->
    [KeyTerm(span, "domestic abuse", 1), ...] when only "domestic abuse" recurs.
    """
    found: dict[str, tuple[int, int, Span]] = {}
    wanted = normalise_for_match(corpus)
    for run in _runs(sentence, skip_first):
        for size in range(min(MAX_TERM_WORDS, len(run)), 1, -1):  # a term ends where its run ends: its head noun
            span = Span(run[-size].start(), run[-1].end())
            term = sentence[span.start : span.end]
            uses = _uses(normalise_for_match(term), wanted)
            if uses and term.lower() not in found and not _POSSESSIVE.search(term):
                found[term.lower()] = (size, uses, span)
    ranked = sorted(found.values(), key=lambda f: (-f[0], -f[1], f[2].start))
    return [KeyTerm(span, sentence[span.start : span.end], uses) for _, uses, span in ranked]


def _runs(sentence: str, skip_first: bool) -> list[list[re.Match]]:
    """Runs of content words: a function word or punctuation ends one; a verb (the sentence's first word, a
    word after "to" or after an auxiliary) is left out; a participle ("aged", "placed") starts a new one."""
    tokens = list(_WORD.finditer(sentence))
    runs: list[list[re.Match]] = []
    current: list[re.Match] = []
    for i, token in enumerate(tokens):
        before = tokens[i - 1].group(0).lower() if i else ""
        verb = (i == 0 and skip_first) or before == "to" or before in AUXILIARIES
        wanted_here = _content(token.group(0)) and not verb
        broken = current and (not wanted_here or sentence[tokens[i - 1].end() : token.start()].strip())
        if broken or (current and _PARTICIPLE.search(token.group(0))):
            runs.append(current)
            current = []
        if wanted_here:
            current.append(token)
    if current:
        runs.append(current)
    return runs


def _content(token: str) -> bool:
    low = token.lower().strip("’'")
    if low in FUNCTION_WORDS or low in NEEDS_COMPLEMENT or any(ch.isdigit() for ch in low):
        return False
    if low.endswith("ly") and low not in NOT_ADVERBS:
        return False
    return len(low) > 2 or token.isupper()


def _uses(term: str, corpus: str) -> int:
    return len(re.findall(rf"(?<![\w-]){re.escape(term)}(?![\w-])", corpus)) if term else 0


# ---------- distractors of the key's form ----------


def value_form(value: str) -> tuple:
    """What a value looks like: a number's sign, currency, unit and decimals; else whether a text starts with
    a figure ("2 (of 21)") or a word.

    Examples: "67.1%" -> ("number", "", "", "%", True); "-18%" -> ("number", "-", "", "%", False);
    "2 (of 21)" -> ("text", True); "Group-based: 6 sessions" -> ("text", False).
    """
    text = value.strip()
    if _NUMERIC.match(text):
        sign = "-" if text[:1] in "-–" else ""
        currency = next((c for c in "£$€" if c in text), "")
        return ("number", sign, currency, "%" if text.endswith("%") else "", "." in text)
    return ("text", text[:1].isdigit())


def same_form(key: str, pool: list[str]) -> list[str]:
    """Values of `pool` that look like `key`: a number of its sign, currency and unit ("-18%" never beside
    "67.1%", "2 (of 21)" never beside "1,303"), decimals preferred to match; a text beside texts."""
    form = value_form(key)
    exact = [v for v in pool if value_form(v) == form]
    if form[0] != "number":
        return exact
    return exact + [v for v in pool if v not in exact and value_form(v)[:4] == form[:4]]


def near_duplicate(a: str, b: str) -> bool:
    """Example: ("Ministry of Justice", "ministry of justice.") -> True; ("Group-based: 6 sessions",
    "Group-based: 4 sessions") -> False."""
    x, y = set(_tokens(a)), set(_tokens(b))
    if not x or not y:
        return x == y
    return len(x & y) / len(x | y) >= NEAR_DUPLICATE


def unnested(values: list[str]) -> list[str]:
    """Values, leaving out one whose words run inside another's. Example: ["independent reviewing officers",
    "reviewing officers", "care plans"] -> ["independent reviewing officers", "care plans"]."""
    joined = [" " + " ".join(_tokens(v)) + " " for v in values]
    return [v for i, v in enumerate(values)
            if not any(j != i and joined[i] in joined[j] and (joined[i] != joined[j] or j < i)
                       for j in range(len(values)))]


def _tokens(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", normalise_for_match(text))


def similar_distractors(key: str, pool: list[str], seed_text: str, count: int) -> list[str]:
    """Up to `count` values of `pool` of the key's form, none a near-duplicate of the key or of each other,
    picked at random from those closest to the key in size (a number's magnitude, a text's length)."""
    distinct: list[str] = []
    for value in same_form(key, pool):
        if value.strip() and not near_duplicate(value, key) and not any(near_duplicate(value, d) for d in distinct):
            distinct.append(value)
    form, capital = value_form(key), key[:1].isupper()
    distinct.sort(key=lambda v: (value_form(v) != form, v[:1].isupper() != capital, _distance(key, v), v))
    window = distinct[: count * SIMILAR_WINDOW]
    random.Random(seed_text).shuffle(window)
    return window[:count]


def _distance(key: str, value: str) -> float:
    a, b = number_value(key), number_value(value)
    if value_form(key)[0] == "number" and a is not None and b is not None:
        return abs(math.log10(abs(a) + 1) - math.log10(abs(b) + 1))
    words_a, words_b = len(_tokens(key)), len(_tokens(value))
    return abs(words_a - words_b) + abs(len(key) - len(value)) / max(len(key), len(value), 1)
