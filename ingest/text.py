"""Pure text helpers shared by every stage: sentences, slugs, numbers, normalisation."""

from __future__ import annotations

import hashlib
import re

from ingest.records import Span

SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
_ABBREVIATIONS = ("e.g.", "i.e.", "etc.", "Mr.", "Mrs.", "Dr.", "St.", "No.", "vs.", "cf.")
# A sentence ends at . ! ? (maybe closed by a quote or bracket) followed by space and a capital,
# digit or opening quote. Example: "It was good. We saw 3 cases." -> ["It was good.", "We saw 3 cases."]
_SENTENCE_END = re.compile(r"[.!?][”’\")\]]*(?=\s+[“‘\"(A-Z0-9£•])")
_PARAGRAPH_NUMBER = re.compile(r"\s*\d{1,3}(?:\.\d{1,3})*\.\s*")  # "15.", "2.1."
_NUMBER = re.compile(r"(?<![\w.])[-–]?£?\d[\d,]*(?:\.\d+)?%?")


def to_superscript(number: str) -> str:
    """Example: "12" -> "¹²"."""
    return number.translate(SUPERSCRIPTS)


def collapse_spaces(text: str) -> str:
    """Example: "a  b \\n c" -> "a b c"."""
    return re.sub(r"\s+", " ", text).strip()


def normalise_for_match(text: str) -> str:
    """The form used to find a quote in a passage: one space, straight quotes, no case.

    Example: "The  ‘step down’\\napproach" -> "the 'step down' approach"
    """
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    text = text.replace("–", "-").replace("\ufffd", ".")
    return collapse_spaces(text).lower()


def split_sentences(text: str) -> list[Span]:
    """Sentence spans of a prose passage; a line break also ends a sentence (table rows, list items).

    Example: "We saw it. It was good.\\nRow 2 50%" -> spans of "We saw it.", "It was good.", "Row 2 50%"
    """
    spans: list[Span] = []
    line_start = 0
    for line in text.split("\n"):
        start = line_start
        for match in _SENTENCE_END.finditer(line):
            end = line_start + match.end()
            if _PARAGRAPH_NUMBER.fullmatch(text[start:end]):
                start = end  # "15." opening a paragraph is no sentence and no figure of the one after it
                continue
            if _ends_with_abbreviation(text[start:end]):
                continue
            _add_span(text, spans, start, end)
            start = end
        if not _PARAGRAPH_NUMBER.fullmatch(text[start : line_start + len(line)]):  # a lone "15." is no sentence
            _add_span(text, spans, start, line_start + len(line))
        line_start += len(line) + 1
    return spans


def _ends_with_abbreviation(fragment: str) -> bool:
    return fragment.rstrip("”’\")]").endswith(_ABBREVIATIONS)


def _add_span(text: str, spans: list[Span], start: int, end: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append(Span(start, end))


def slugify(title: str, max_words: int = 5) -> str:
    """Example: "The CRC and NPS working together" -> "the-crc-and-nps-working"."""
    words = re.findall(r"[a-z0-9]+", title.lower().replace("’", "").replace("'", ""))
    return "-".join(words[:max_words]) or "section"


def content_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


def numbers_in(text: str) -> list[str]:
    """Numbers as written, footnote superscripts excluded. Example: "67.1% of 2,523 in 2016" ->
    ["67.1%", "2,523", "2016"]."""
    return [m.group(0).lstrip("-–") for m in _NUMBER.finditer(text)]


def number_value(token: str) -> float | None:
    """Example: "2,523" -> 2523.0; "67.1%" -> 67.1; "£3.7" -> 3.7."""
    cleaned = token.replace(",", "").replace("%", "").replace("£", "").strip("-– ")
    try:
        return float(cleaned)
    except ValueError:
        return None


def first_number(text: str) -> float | None:
    for token in numbers_in(text):
        value = number_value(token)
        if value is not None:
            return value
    return None


def words(text: str) -> list[str]:
    """Lower-case word tokens for lexical search. Example: "RAR days (2015)" -> ["rar", "days", "2015"]."""
    return re.findall(r"[a-z0-9]+(?:[.,][0-9]+)*%?", text.lower().replace("’", "'"))
