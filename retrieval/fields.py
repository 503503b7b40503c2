"""Labelled fields of a report: "Lead inspector: Jane Smith", "Inspection dates: 1 May to 9 May 2016".

Front pages and team lists state facts as a label, a colon and a value, often several on one line with no
full stop between them. Each field is a candidate answer of its own, typed by its value (a date, a person)
and matched to a question by its label's words, so "When did the visit take place?" can be answered by
"Visit dates: ..." although no sentence says so. Found once per report, from the text alone.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from ingest import records as kinds
from ingest.records import Chunk, Span
from retrieval.forms import FULL_DATE, MONTH_YEAR
from retrieval.questions import STOPWORDS, content_terms, stem

# A label: a capitalised word and up to three lower-case ones, then a colon and a space.
_LABEL = re.compile(r"(?<![\w'’-])([A-Z][a-z]+(?: [a-z]+){0,3}):\s+")
MAX_VALUE_WORDS = 12  # a field's value is short; the rest of a run-on line is not part of it
# Question words that say nothing about which field: the wh-word and the verbs a question is built with.
_FORM_WORDS = frozenset(stem(w) for w in """what which who whom whose when where why how did does do is are was were
    the a an of in on to for by at and or take took place happen happened it its this that""".split())


@dataclass(frozen=True)
class Field:
    chunk: Chunk
    span: Span  # label and value, in the chunk's text
    label: str
    value: str

    @property
    def label_terms(self) -> frozenset[str]:
        return frozenset(stem(w.lower()) for w in self.label.split())


def fields_of(chunk: Chunk) -> list[Field]:
    """The labelled fields in a passage's text, each value ending where the next label or the line starts.

    Example: "The team Lead inspector: Jane Smith Deputy lead inspector: Tom Brown" -> fields ("Lead
    inspector", "Jane Smith") and ("Deputy lead inspector", "Tom Brown").
    """
    text = chunk.text
    labels = list(_LABEL.finditer(text))
    found = []
    for n, match in enumerate(labels):
        end = labels[n + 1].start() if n + 1 < len(labels) else len(text)
        line_end = text.find("\n", match.end())
        end = min(end, line_end) if line_end >= 0 else end
        value = _date_only(_short(text[match.end() : end]))
        if not value or value.endswith(":"):
            continue
        found.append(Field(chunk, Span(match.start(), match.end() + len(value)), match.group(1), value))
    return found


def sign_offs(chunks: list[Chunk], signs) -> list[Field]:
    """The signature at the end of a section ("Foreword ... Jane Smith, Chief Inspector, May 2016"), as a
    field labelled with the section's title, so "Who wrote the foreword?" finds it. `signs(text)` says
    whether a sentence reads as a signature (a short line carrying a name: `forms.person_fit`)."""
    last: dict[str, Chunk] = {}
    for chunk in chunks:
        if chunk.kind == kinds.TEXT and chunk.sentences:
            last[chunk.section_id] = chunk
    found = []
    for chunk in last.values():
        span = chunk.sentences[-1]
        sentence = chunk.text[span.start : span.end]
        title = chunk.section_text.split(" > ")[-1].strip()
        if title and signs(sentence):
            found.append(Field(chunk, span, title, sentence))
    return found


def _short(value: str) -> str:
    """The value without trailing punctuation, at most MAX_VALUE_WORDS words."""
    words_ = value.split()
    if len(words_) > MAX_VALUE_WORDS:
        value = value[: _offset_of_word(value, MAX_VALUE_WORDS)]
    return value.rstrip(" ,;.")


_DATE_GAP = re.compile(r"\s*(?:[-–]|to|and|until)?\s*$")


def _date_only(value: str) -> str:
    """A value that opens with a date, or a range of dates, ends with it: "1 May 2016 – 9 May 2016 The
    overall ..." -> "1 May 2016 – 9 May 2016". Other values are kept whole."""
    dates = sorted([*FULL_DATE.finditer(value), *MONTH_YEAR.finditer(value)], key=lambda m: m.start())
    if not dates or dates[0].start() != 0:
        return value
    end = dates[0].end()
    for date in dates[1:]:
        if date.start() < end:
            end = max(end, date.end())
        elif _DATE_GAP.match(value[end : date.start()]):
            end = date.end()
        else:
            break
    return value[:end]


def _offset_of_word(text: str, n: int) -> int:
    starts = [m.start() for m in re.finditer(r"\S+", text)]
    return starts[n] if n < len(starts) else len(text)


def label_match(field: Field, question: str, type_terms: frozenset[str] = frozenset()) -> float:
    """Share of the label's words the question uses, counting words a search would ignore ("inspection"):
    a label is short, and every word of it matters. `type_terms` (stemmed) name the type of answer asked for
    and count as asked: "date" for a "when" question. Example: "Inspection dates" against "When did the
    inspection take place?" with {"date"} -> 1.0 of the label and 1/2 of the question ("inspect", "place")
    -> 0.71. The geometric mean of the two shares: "Lead inspector" fits "Who led the inspection?" better than "Deputy
    lead inspector", and the deputy's label fits "Who was the deputy lead inspector?" best."""
    terms = field.label_terms
    if not _same_modifiers(field.label, question):
        return 0.0
    asked = {stem(w.lower()) for w in re.findall(r"[A-Za-z][\w'’-]*", question)} - _FORM_WORDS
    asked |= set(content_terms(question))
    if not terms or not asked:
        return 0.0
    typed = {stem(t) for t in type_terms}
    label_share = sum(1 for t in terms if _matches(t, asked | typed)) / len(terms)
    question_share = sum(1 for t in asked if _matches(t, terms)) / len(asked)
    return math.sqrt(label_share * question_share)


def _same_modifiers(label: str, question: str) -> bool:
    """When the question names the label's head noun, the words it puts before that noun must be the
    label's: "the deputy lead inspector" is not "Lead inspector: ...". Example: ("Lead inspector", "Who was
    the deputy lead inspector?") -> False; ("Lead inspector", "Who led the inspection?") -> True."""
    label_words = label.lower().split()
    words_ = [w.lower() for w in re.findall(r"[A-Za-z][\w'’-]*", question)]
    stems = [stem(w) for w in words_]
    if len(label_words) < 2 or stem(label_words[-1]) not in stems:
        return True  # a one-word label ("Foreword") has no modifiers to compare
    at = stems.index(stem(label_words[-1]))
    before: list[str] = []
    for word in reversed(words_[max(0, at - 3) : at]):  # the words right before the noun, up to a small word
        if word in STOPWORDS:
            break
        before.append(word)
    named = {stem(w) for w in label_words}
    return all(stem(w) in named for w in before)


def _matches(term: str, terms: set[str] | frozenset[str]) -> bool:
    """The same stem, or one built on the other ("inspector" / "inspect")."""
    return any(term == t or (min(len(term), len(t)) >= 4 and (term.startswith(t) or t.startswith(term)))
               for t in terms)
