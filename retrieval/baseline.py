"""The plain LangChain pipeline the engine is compared against (`report-qa eval --compare`).

What a tutorial would build: RecursiveCharacterTextSplitter(1000, 200) over the cleaned report, the same
embedding model, a flat FAISS inner-product index, top-k passages, and as the answer the top passage's
sentence closest to the question. No sections, no lexical search, no checks, and it never declines.
It answers with the same `Answer` record as the engine, so the evaluation scores both the same way.
"""

from __future__ import annotations

import time

import faiss
import numpy as np
from langchain_core.documents import Document as LCDocument
from langchain_text_splitters import RecursiveCharacterTextSplitter

from ingest.embed import Embedder
from ingest.records import Document, Span
from ingest.text import split_sentences
from retrieval.questions import validate_question
from retrieval.records import Answer, Citation, Passage

CHUNK_SIZE = 1000  # characters, the LangChain tutorials' default
CHUNK_OVERLAP = 200
ID_PREFIX = "baseline#"


class LangChainBaseline:
    """`ask(question, k, id) -> Answer` over fixed-size character chunks of the report."""

    def __init__(self, document: Document, embedder: Embedder) -> None:
        self.document = document
        self.embedder = embedder
        self.passages = split_report(document.text)
        vectors = embedder.embed([p.page_content for p in self.passages])
        self.index = faiss.IndexFlatIP(vectors.shape[1])
        self.index.add(np.ascontiguousarray(vectors, dtype=np.float32))

    @classmethod
    def from_engine(cls, engine) -> LangChainBaseline:
        """Reuse a loaded engine's cleaned report and embedding model, so only the pipeline differs."""
        return cls(engine.document, engine.embedder)

    def ask(self, question: str, k: int | None = None, filters: object = None,
            id: str | None = None) -> Answer:
        started = time.perf_counter()
        question = validate_question(question)
        query = self.embedder.embed([question]).astype(np.float32)
        scores, rows = self.index.search(query, min(k or 5, len(self.passages)))
        found = zip(rows[0], scores[0], strict=True)
        passages = [self._passage(rank, int(row), float(score))
                    for rank, (row, score) in enumerate(found, start=1) if row >= 0]
        retrieved = time.perf_counter()
        answer = self._answer(question, query[0], passages[0])
        done = time.perf_counter()
        answer.passages, answer.id = passages, id
        answer.timings_ms = {"retrieve": round((retrieved - started) * 1000, 2),
                             "answer": round((done - retrieved) * 1000, 2),
                             "total": round((done - started) * 1000, 2)}
        return answer

    def _passage(self, rank: int, row: int, score: float) -> Passage:
        chunk = self.passages[row]
        start = chunk.metadata["start_index"]
        return Passage(rank=rank, chunk_id=f"{ID_PREFIX}{row}", section="",
                       pages=self.document.pages_for(start, start + len(chunk.page_content)), kind="text",
                       score=score, text=chunk.page_content)

    def _answer(self, question: str, query: np.ndarray, top: Passage) -> Answer:
        """The top passage's sentence with the highest cosine to the question, cited as [1]."""
        spans = split_sentences(top.text) or [Span(0, len(top.text))]
        sentences = [top.text[s.start : s.end] for s in spans]
        best = int(np.argmax(self.embedder.embed(sentences) @ query))
        citation = Citation(marker=1, chunk_id=top.chunk_id, section="", pages=top.pages, kind="text",
                            quote=sentences[best], text=top.text, quote_spans=[spans[best]])
        return Answer(question=question, answer=f"{sentences[best]} [1]", abstained=False,
                      citations=[citation])


def split_report(text: str) -> list[LCDocument]:
    """Fixed-size chunks with their start offset. Example: 105,000 characters -> ~135 chunks of <= 1,000."""
    splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP,
                                              add_start_index=True)
    return splitter.create_documents([text])
