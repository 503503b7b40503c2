"""What the wording of a question or a sentence says, read without the report: a count in words, the
question's focus words, a sentence pointing back at the one before, a quote stating a part's constraints,
acronyms a report's text spells out, and the words that name a list of improvements.

Pure text helpers of `retrieval.answer`; each carries a worked example.
"""

from __future__ import annotations

import re

from ingest.text import normalise_for_match
from retrieval.analysis import type_words
from retrieval.candidate import Candidate
from retrieval.questions import content_terms, stem

# Words naming a list of what should improve, whatever the report heads it ("Recommendations", "Areas for
# improvement"): its items are recommendations (`ingest.records.RECOMMENDATION`).
IMPROVEMENT_TERMS = frozenset(stem(w) for w in ("recommendations", "improvement", "improve"))
# Words of such a list's name, not of its topic: "the areas for improvement", "the priorities for action".
LIST_NAME_TERMS = IMPROVEMENT_TERMS | frozenset(stem(w) for w in ("areas", "needs", "priorities", "actions"))
FIRST_COUNTED = re.compile(r"\bhow many\s+([\w'’-]+)", re.I)
# Verbs a "how many items" question is built with, which say nothing about which items.
LISTING_VERBS = frozenset(stem(w) for w in "make makes made list listed lists give gives given set sets contain "
                          "contains include includes included total altogether number identify identified "
                          "there name names according must ought inspectors".split())
# Who made a list, which says nothing about which list: "the recommendations Ofsted made", "what did the
# board recommend", "the areas for improvement inspectors identified".
_MADE_BY = re.compile(r"\b(?:recommendations|areas for (?:improvement|development)|improvements|priorities|actions|"
                      r"findings)\s+(?:that\s+|which\s+)?((?:the\s+)?[\w'’-]+(?:\s+[\w'’-]+)?)\s+(?:made|makes|make|gave|"
                      r"gives|set out|sets out|identified|identifies|listed|lists|proposed|proposes)\b", re.I)
_DID_RECOMMEND = re.compile(r"\b(?:did|does|do|has|have|had)\s+((?:the\s+)?[\w'’-]+(?:\s+[\w'’-]+)?)\s+(?:recommend|"
                            r"suggest|propose|identify|set out|list|make|give)\b", re.I)


def list_makers(question: str) -> list[str]:
    """The words of a list question naming who made the list. Examples: "Name the recommendations the
    panel made." -> ["the panel"]; "What did the auditors recommend?" -> ["the auditors"]; "What are the
    recommendations for the council?" -> []."""
    return [m.group(1) for cue in (_MADE_BY, _DID_RECOMMEND) for m in cue.finditer(question)]
# What a list question says its items are about: "... concern the cafe", "... about staff training".
_ABOUT = re.compile(r"\b(?:concerns?|concerning|about|regarding|relat(?:e|es|ing) to|involv(?:e|es|ing)|deal(?:s|ing)? "
                    r"with|on the (?:subject|topic) of)\s+((?:[\w'’-]+\s*){1,6})", re.I)


def list_topic(question: str) -> str:
    """The words a list question says its items are about ("" when it names no topic). Examples: "How many
    recommendations concern the cafe?" -> "the cafe"; "What are the recommendations for the board?" -> ""."""
    found = _ABOUT.search(question)
    return found.group(1).strip() if found else ""


_UNITS = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "\
    "seventeen eighteen nineteen".split()
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()


def number_in_words(n: int) -> str:
    """A count in words, so an answer's own count is not read as a figure to find in a passage.
    Examples: 8 -> "eight"; 17 -> "seventeen"; 42 -> "forty-two"; 150 -> "150"."""
    if 0 <= n < 20:
        return _UNITS[n]
    if 20 <= n < 100:
        tens, units = divmod(n, 10)
        return _TENS[tens - 2] + (f"-{_UNITS[units]}" if units else "")
    return str(n)


def focus_terms(question: str, answer_type: str | None, weight) -> dict[str, float]:
    """The question's words with their weights, less those naming the answer's type ("judgement" in "what was
    the judgement for adoption?"), which the form checks score; all of them when only such words remain."""
    terms = set(content_terms(question))
    focus = terms - type_words(answer_type) or terms
    return {t: weight(t) for t in focus}


# Symbol-font bullets a PDF's text keeps as private-use characters; a sentence ending before one ends there.
BULLETS = "".join(chr(c) for c in range(0xF000, 0xF100)) + "•▪◦●"
# A symbol-font bullet starts an item, whatever precedes it (PDF lists often have no full stops).
BULLET_BREAK = re.compile(rf"\s+(?=[{re.escape(BULLETS)}])")
# A sentence whose subject is in the one before: "This increased to 70.", "At 46%, ... this has not reduced."
_LEANS_ON_PREVIOUS = re.compile(r"^(?:[A-Z][^.;]{0,60}?,\s*)?(?:this|these|that|those|it|its|they|their|such|both|"
                                r"the latter|the former|of (?:this|these|them|those|whom|which))\b", re.I)


def leans_on_previous(sentence: str) -> bool:
    """True when the sentence opens by pointing back ("This", "These", "At 46%, ... this"). Example:
    "This increased in 2015–16 to 70." -> True; "In 2014–15, 45 adopters were approved." -> False."""
    return bool(_LEANS_ON_PREVIOUS.match(sentence.strip()))


_ACRONYM = re.compile(r"\b[A-Z]{2,6}\b")
_JOINERS = frozenset({"&", "and", "of", "the", "for", "in", "on", "to"})
# A run of capitalised words, with the small words names are joined by: "Staffordshire & West Midlands".
_NAME_RUN = re.compile(r"(?:[A-Z][\w'’-]*)(?:\s+(?:(?:&|and|of|the|for|in|on|to)\s+)?[A-Z][\w'’-]*)*")


def text_acronyms(texts: list[str], known: dict[str, str]) -> dict[str, str]:
    """Acronyms the report uses with the capitalised name whose initials spell them, found in its own text:
    "Reducing Reoffending Partnership (RRP)" or "Staffordshire & West Midlands" for "SWM". The most frequent
    such name wins; acronyms in `known` (the glossary's) are left out.

    Example: ["The Reducing Reoffending Partnership (RRP) owns it. RRP is ..."] -> {"RRP": "Reducing
    Reoffending Partnership"}.
    """
    used = {a for text in texts for a in _ACRONYM.findall(text)} - set(known)
    if not used:
        return {}
    names: dict[str, dict[str, int]] = {}
    for text in texts:
        for run in _NAME_RUN.findall(text):
            words_ = run.split()
            for start in range(len(words_)):
                if words_[start].lower() in _JOINERS:
                    continue
                initials = ""
                for end in range(start, min(len(words_), start + 8)):
                    word = words_[end]
                    if word.lower() in _JOINERS:
                        continue
                    initials += word[0]
                    if initials in used:
                        name = " ".join(words_[start : end + 1])
                        names.setdefault(initials, {})
                        names[initials][name] = names[initials].get(name, 0) + 1
    return {acronym: max(found, key=lambda n: (found[n], len(n))) for acronym, found in names.items()}


def states_all(candidate: Candidate, constraints: tuple[str, ...]) -> bool:
    """The quote itself (not only its passage; a table row: with its caption) names every one of
    `constraints`: a year as any period it starts ("2015" in "2015–16")."""
    chunk = candidate.hit.chunk
    table = f" {chunk.caption or ''} {chunk.section_text}" if candidate.is_row else ""  # a row leans on its table
    text = normalise_for_match(f"{candidate.text} {' '.join(candidate.cells)}{table}")
    return all(normalise_for_match(c) in text for c in constraints)


def names_the_table(chunk, sentence: str) -> bool:
    """The table's label or caption line ("Table 1", "Findings scores for ..."), which says what it shows."""
    flat = normalise_for_match(sentence)
    named = [normalise_for_match(t) for t in (chunk.label, chunk.caption) if t]
    return any(n and (n in flat or flat in n) for n in named)


_WHO_VERB = re.compile(r"^\s*who\s+(?:is\s+|was\s+|were\s+|are\s+)?([a-z][\w'’-]+)", re.I)
_BY_AGENT = re.compile(r"\b([a-z][\w'’-]+)\s+by\b", re.I)


def names_the_agent(question: str, sentence: str) -> bool:
    """A "who <verb>s ...?" question and a sentence saying who does it in the passive: "Who coordinates the
    project?" and "The project is coordinated by the virtual school" -> True; a sentence without "<verb> by"
    -> False."""
    asked = _WHO_VERB.match(question)
    if not asked:
        return False
    verb = stem(asked.group(1).lower())
    return any(stem(m.group(1).lower()) == verb for m in _BY_AGENT.finditer(sentence))
