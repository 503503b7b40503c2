"""LangChain at the edge: the engine's hybrid retrieval as a `BaseRetriever` any chain can use.

    retriever = ReportRetriever(engine=Engine.load(), k=3)
    docs = retriever.invoke("Which accredited course deals with temper?")
    docs[0].metadata["label"]                  # "Table 4"
    retriever.invoke("…", k=1)                 # k (and filters) may also be given per call

Nothing else in the project imports LangChain's retriever types; the core works on `Hit`s.
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForRetrieverRun, CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables.config import run_in_executor
from pydantic import Field

from ingest.errors import ReportQAError
from retrieval.records import Filters, Hit


class ReportRetriever(BaseRetriever):
    """Passages of one report, ranked by the engine's fused dense + lexical search."""

    # A retrieval.engine.Engine; `Any` so pydantic neither validates nor copies it (it holds the index).
    engine: Any
    k: int = Field(default=5, ge=1)  # passages per query, unless the call passes its own k
    filters: Filters | None = None  # section / kind / organisation restrictions for every query

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun,
                                k: int | None = None, filters: Filters | None = None) -> list[Document]:
        # The extra keyword arguments make BaseRetriever forward `invoke(query, k=3)` to us.
        return self._retrieve(query, k, filters)

    async def _aget_relevant_documents(self, query: str, *, run_manager: AsyncCallbackManagerForRetrieverRun,
                                       k: int | None = None,
                                       filters: Filters | None = None) -> list[Document]:
        # The engine is synchronous (a few ms of numpy); run it off the event loop. The base class's
        # async default would drop `k` and `filters`, hence this override.
        return await run_in_executor(None, self._retrieve, query, k, filters)

    def _retrieve(self, query: str, k: int | None, filters: Filters | None) -> list[Document]:
        k = self.k if k is None else k
        if k < 1:
            raise ReportQAError(f"k must be at least 1, not {k}.")
        hits = self.engine.retrieve(query, k, filters or self.filters)
        return [to_document(hit) for hit in hits]


def to_document(hit: Hit) -> Document:
    """A retrieved passage as a LangChain Document: its text, and where it sits in the report."""
    chunk = hit.chunk
    metadata = {"chunk_id": chunk.id, "section": chunk.section_text, "pages": list(chunk.pages),
                "kind": chunk.kind, "label": chunk.label, "score": round(float(hit.score), 4),
                "rank": hit.rank}
    return Document(page_content=chunk.text, metadata=metadata, id=chunk.id)
