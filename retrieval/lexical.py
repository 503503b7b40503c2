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


_NO_POSTINGS = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))


def postings(doc_freqs: list[dict[str, int]]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """term -> (rows of the documents using it, ascending; how often each does).

    Example: [{"a": 2}, {"a": 1, "b": 1}] -> {"a": ([0, 1], [2, 1]), "b": ([1], [1])}.
    """
    found: dict[str, tuple[list[int], list[int]]] = {}
    for row, frequencies in enumerate(doc_freqs):
        for term, n in frequencies.items():
            rows, counts = found.setdefault(term, ([], []))
            rows.append(row)
            counts.append(n)
    return {t: (np.asarray(r, dtype=np.int64), np.asarray(c, dtype=np.int64)) for t, (r, c) in found.items()}


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
        self._postings = postings(self.bm25.doc_freqs)
        # The part of BM25's denominator that does not depend on the query word, as rank-bm25 computes it.
        bm25 = self.bm25
        self._length_norm = bm25.k1 * (1 - bm25.b + bm25.b * np.array(bm25.doc_len) / bm25.avgdl)

    def scores(self, question: str) -> np.ndarray:
        """BM25 of every passage: `BM25Okapi.get_scores`, the same to the bit, from postings (a word adds 0 to
        the passages that lack it, so only those that have it are touched)."""
        terms = content_terms(question)
        if not terms:
            return np.zeros(len(self.documents))
        bm25 = self.bm25
        score = np.zeros(bm25.corpus_size)
        for term in terms:
            rows, counts = self._postings.get(term, _NO_POSTINGS)
            if len(rows):
                score[rows] += (bm25.idf.get(term) or 0) * (
                    counts * (bm25.k1 + 1) / (counts + self._length_norm[rows]))
        return np.asarray(score, dtype=np.float32)

    def frequency(self, term: str) -> int:
        """How many passages use the term."""
        return self.document_frequency.get(term, 0)

    def weight(self, term: str) -> float:
        return self.idf.get(term, self.default_idf)
