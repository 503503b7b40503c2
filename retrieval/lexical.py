"""Lexical search: BM25 (rank-bm25) over each chunk's search text, stemmed, stopwords dropped."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
from rank_bm25 import BM25Okapi

from ingest.records import Chunk
from retrieval.questions import content_terms


class LexicalIndex:
    def __init__(self, chunks: list[Chunk]) -> None:
        self.documents = [content_terms(c.search_text()) for c in chunks]
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
