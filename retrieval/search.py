"""Hybrid retrieval: dense (FAISS, passage and sentence vectors) and lexical (BM25), fused by rank.

Fusion is reciprocal rank fusion, score = sum 1 / (RRF_K + rank). It is written out here rather than
taken from ranx because importing ranx costs ~4 s (numba), more than a whole batch of questions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ingest.records import Chunk
from retrieval.lexical import LexicalIndex
from retrieval.records import Filters, Hit

RRF_K = 60  # the usual constant: damps the difference between rank 1 and rank 2 of one method
STRATEGIES = ("fused", "dense", "bm25")


@dataclass
class QueryScores:
    """Everything one question's search computed, reused by the answer step."""

    sentence_sims: np.ndarray  # cosine of the question to every sentence in the index
    dense: np.ndarray  # per chunk
    lexical: np.ndarray  # per chunk (BM25)


class HybridSearch:
    def __init__(self, chunks: list[Chunk], chunk_vectors: np.ndarray, sentence_vectors: np.ndarray,
                 sentence_owner: np.ndarray, lexical: LexicalIndex) -> None:
        self.chunks = chunks
        self.chunk_vectors = chunk_vectors
        self.sentence_vectors = sentence_vectors
        self.sentence_owner = sentence_owner
        self.lexical = lexical
        # First sentence row of each chunk: sentences are stored in chunk order.
        self.sentence_start = np.searchsorted(sentence_owner, np.arange(len(chunks) + 1))

    def score(self, question: str, query_vector: np.ndarray) -> QueryScores:
        sentence_sims = self.sentence_vectors @ query_vector
        best_sentence = np.full(len(self.chunks), -1.0, dtype=np.float32)
        np.maximum.at(best_sentence, self.sentence_owner, sentence_sims)
        # A passage matches when it is about the question as a whole or holds one sentence that is.
        dense = 0.5 * (self.chunk_vectors @ query_vector) + 0.5 * best_sentence
        return QueryScores(sentence_sims, dense, self.lexical.scores(question))

    def rank(self, scores: QueryScores, k: int, strategy: str = "fused",
             filters: Filters | None = None) -> list[Hit]:
        allowed = [i for i, c in enumerate(self.chunks) if filters is None or filters.allows(c)]
        if not allowed:
            return []
        dense_order = sorted(allowed, key=lambda i: -scores.dense[i])
        lexical_order = sorted(allowed, key=lambda i: -scores.lexical[i])
        dense_rank = {i: r + 1 for r, i in enumerate(dense_order)}
        lexical_rank = {i: r + 1 for r, i in enumerate(lexical_order)}
        if strategy == "dense":
            fused = {i: float(scores.dense[i]) for i in allowed}
        elif strategy == "bm25":
            fused = {i: float(scores.lexical[i]) for i in allowed}
        else:
            fused = {i: 1 / (RRF_K + dense_rank[i]) + 1 / (RRF_K + lexical_rank[i]) for i in allowed}
        order = sorted(allowed, key=lambda i: -fused[i])[:k]
        return [Hit(self.chunks[i], fused[i], r + 1, dense_rank[i], lexical_rank[i]) for r, i in enumerate(order)]

    def sentence_rows(self, chunk_row: int) -> range:
        return range(int(self.sentence_start[chunk_row]), int(self.sentence_start[chunk_row + 1]))
