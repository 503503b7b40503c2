"""Lexical search: BM25 (rank-bm25) over each chunk's search text, stemmed, stopwords dropped."""

from __future__ import annotations

import math
import re
from collections import Counter

import numpy as np
from rank_bm25 import BM25Okapi

from ingest import records as kinds
from ingest.records import Chunk
from ingest.text import normalise_for_match
from retrieval.questions import content_terms


def glossary_acronyms(chunks: list[Chunk]) -> dict[str, str]:
    """Acronyms the report's glossary spells out. Example: {"PSO": "Probation services officer", ...}."""
    found = {}
    for chunk in chunks:
        if chunk.kind == kinds.GLOSSARY and chunk.term and chunk.term.isupper():
            rest = chunk.text[len(chunk.term) :].strip()
            found[chunk.term] = re.split(r"[:.]", rest, maxsplit=1)[0].strip()
    return found


def matched_text(chunk: Chunk, acronyms: dict[str, str]) -> str:
    """What a passage is matched on: its search text plus the acronym of every name it spells out, so
    "The National Probation Service should:" is found by a question about "the NPS"."""
    text = chunk.search_text()
    lowered = normalise_for_match(text)
    short = [acronym for acronym, spelled in acronyms.items()
             if spelled and normalise_for_match(spelled) in lowered and acronym not in text]
    return f"{text} {' '.join(short)}" if short else text


class LexicalIndex:
    def __init__(self, chunks: list[Chunk]) -> None:
        self.acronyms = glossary_acronyms(chunks)
        self.documents = [content_terms(matched_text(c, self.acronyms)) for c in chunks]
        self.bm25 = BM25Okapi(self.documents)
        frequency = Counter(term for doc in self.documents for term in set(doc))
        self.document_frequency = frequency
        count = len(self.documents)
        # Inverse document frequency, also used to weigh question words when picking sentences.
        self.idf = {term: math.log(1 + (count - n + 0.5) / (n + 0.5)) for term, n in frequency.items()}
        self.vocabulary = frozenset(frequency)
        self.default_idf = math.log(1 + (count + 0.5) / 0.5)

    def scores(self, question: str) -> np.ndarray:
        terms = content_terms(question)
        if not terms:
            return np.zeros(len(self.documents))
        return np.asarray(self.bm25.get_scores(terms), dtype=np.float32)

    def frequency(self, term: str) -> int:
        """How many passages use the term."""
        return self.document_frequency.get(term, 0)

    def weight(self, term: str) -> float:
        return self.idf.get(term, self.default_idf)
