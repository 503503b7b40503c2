"""The passage store behind one small interface: add a report's chunks, delete a report, search with filters.

    store = open_store(settings)                       # FaissStore (default) or MilvusStore (store_backend)
    store.add(report_chunks(load_index(folder)))       # replaces that report's passages if it had any
    hits = store.search(question, vector, k=50, where=Where(publisher="Ofsted", since="2016"))
    store.delete("ofsted-birmingham-2016")

`search` is hybrid: passage vectors and BM25 fused by reciprocal rank (RRF, 1 / (60 + rank)), then fused
again with the passages' best sentences by vector, so a passage holding one sentence about the question is
found. Both backends compute the same three lists and the same fusion; they differ in who computes them:

- FaissStore: the FAISS files beside each report (ingest/store.py), searched in memory as one matrix
  product, BM25 from our own stemmed terms (retrieval/lexical.py). The embedded default.
- MilvusStore (retrieval/milvus_store.py): the Milvus engine -- milvus-lite in one file, or a Milvus server
  or cluster at `store_uri`. Milvus filters, tokenises and scores BM25 itself (its BM25 function keeps the
  corpus statistics through adds and deletes) and fuses dense + BM25 in one hybrid request.

The engine (retrieval/engine.py) asks a report's questions of its in-memory fused score; with the milvus
backend the store is its first stage: only the store's candidates are ranked (`attach_first_stage`).
"""

from __future__ import annotations

import logging
import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from ingest.errors import ReportQAError
from ingest.records import Chunk
from ingest.settings import Settings

log = logging.getLogger(__name__)

RRF_K = 60  # as retrieval.search
FIRST_STAGE = 60  # candidates per question the engine ranks when the store is its first stage
_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?")


def date_key(date: str) -> int:
    """A sortable whole number for an ISO date or part of one; -1 when there is none.

    Example: "2024-07-23" -> 20240723, "2017-01" -> 20170100, "2017" -> 20170000, "" -> -1."""
    found = _DATE.match(date or "")
    if not found:
        return -1
    year, month, day = found.groups()
    return int(year) * 10_000 + int(month or 0) * 100 + int(day or 0)


@dataclass(frozen=True)
class Where:
    """Which passages a search may return; empty means all. Dates compare as ISO prefixes."""

    reports: tuple[str, ...] = ()
    publisher: str | None = None
    since: str | None = None  # "2016" or "2016-05-01": dated then or later (undated reports are left out)
    until: str | None = None  # "2019": dated in 2019 or earlier
    kind: str | None = None  # a chunk kind (ingest.records.KINDS)

    def bounds(self) -> tuple[int | None, int | None]:
        """(lowest, highest) date_key allowed. Example: since="2016", until="2019" -> (20160000, 20191231)."""
        low = date_key(self.since) if self.since else None
        high = None
        if self.until:
            key = date_key(self.until)
            high = key + (1231 if key % 10_000 == 0 else 31 if key % 100 == 0 else 0)
        for name, value in (("since", low), ("until", high)):
            if value == -1:
                raise ReportQAError(f"{name} {getattr(self, name)!r} is not a date; give e.g. 2016 or 2016-05-01.")
        return low, high


@dataclass
class ReportChunks:
    """What a store keeps of one report: its passages, their vectors and the text BM25 reads."""

    report: str
    version: str  # changes when the report is rebuilt (its manifest's built_at)
    publisher: str
    date: str
    chunks: list[Chunk]
    texts: list[str]  # per chunk: what lexical search matches (search text + spelled-out acronyms)
    chunk_vectors: np.ndarray  # (chunks, dimension), normalised
    sentence_vectors: np.ndarray  # (sentences, dimension), in chunk order
    sentence_owner: np.ndarray  # sentence row -> chunk row


@dataclass(frozen=True)
class StoreHit:
    report: str
    row: int  # the chunk's row in its report (Document.chunks)
    chunk_id: str
    score: float  # the fused RRF score


class ChunkStore(Protocol):
    def add(self, report: ReportChunks) -> None: ...

    def add_many(self, reports: list[ReportChunks]) -> None: ...

    def delete(self, report: str) -> int: ...

    def search(self, text: str, vector: np.ndarray, k: int = 10, where: Where | None = None,
               mode: str = "hybrid") -> list[StoreHit]: ...

    def versions(self) -> dict[str, str]: ...


MODES = ("hybrid", "dense", "bm25")


def report_chunks(index) -> ReportChunks:
    """A loaded index (ingest.store.StoredIndex) as what a store adds."""
    from retrieval.lexical import glossary_acronyms, matched_text

    chunks = index.document.chunks
    acronyms = glossary_acronyms(chunks)
    m = index.manifest
    return ReportChunks(m.report_name, m.built_at, m.publisher, m.date, chunks,
                        [matched_text(c, acronyms) for c in chunks], _matrix(index.chunk_vectors),
                        _matrix(index.sentence_vectors), np.asarray(index.sentence_owner, dtype=np.int64))


def _matrix(index) -> np.ndarray:
    return index.reconstruct_n(0, index.ntotal) if index.ntotal else np.zeros((0, index.d), dtype=np.float32)


def rrf(*orders: Iterable) -> dict:
    """Reciprocal rank fusion of ranked lists of keys. Example: rrf(["a", "b"], ["b"]) -> b first."""
    fused: dict = {}
    for order in orders:
        for rank, key in enumerate(order, 1):
            fused[key] = fused.get(key, 0.0) + 1 / (RRF_K + rank)
    return dict(sorted(fused.items(), key=lambda pair: -pair[1]))


def fuse(passages: list, bm25: list, sentences: list, mode: str) -> dict:
    """The store's ranking from its three lists (keys best first): the one fusion both backends use."""
    if mode == "dense":
        return rrf(passages, sentences)
    if mode == "bm25":
        return rrf(bm25)
    return rrf(list(rrf(passages, bm25)), sentences)


def check_mode(mode: str) -> None:
    if mode not in MODES:
        raise ReportQAError(f"unknown search mode {mode!r}; use one of {', '.join(MODES)}.")


# -- the embedded default ----------------------------------------------------------------------------------


@dataclass
class _Part:
    report: ReportChunks
    terms: list[Counter] = field(default_factory=list)  # per chunk: stemmed term -> count


class FaissStore:
    """Reports' passages in memory, read from their FAISS files; exact search by matrix product.

    BM25 (k1 1.5, b 0.75, as rank-bm25) is over every stored passage, so IDF is the library's."""

    K1, B = 1.5, 0.75

    def __init__(self) -> None:
        self._parts: dict[str, _Part] = {}
        self._built: tuple | None = None  # matrices over all parts, rebuilt after an add or delete

    @classmethod
    def from_root(cls, index_root) -> FaissStore:
        """Every report under `index_root`, as today's files hold them."""
        from ingest.catalog import list_reports
        from ingest.store import load_index

        store = cls()
        for entry in list_reports(index_root):
            store.add(report_chunks(load_index(entry.path)))
        return store

    def add(self, report: ReportChunks) -> None:
        from retrieval.questions import content_terms

        self._parts[report.report] = _Part(report, [Counter(content_terms(t)) for t in report.texts])
        self._built = None

    def add_many(self, reports: list[ReportChunks]) -> None:
        for report in reports:
            self.add(report)

    def delete(self, report: str) -> int:
        part = self._parts.pop(report, None)
        self._built = None
        return len(part.report.chunks) if part else 0

    def versions(self) -> dict[str, str]:
        return {name: part.report.version for name, part in self._parts.items()}

    def search(self, text: str, vector: np.ndarray, k: int = 10, where: Where | None = None,
               mode: str = "hybrid") -> list[StoreHit]:
        from retrieval.questions import content_terms

        check_mode(mode)
        built = self._build()
        if built is None:
            return []
        keys, chunk_vectors, sentence_vectors, sentence_starts, lengths, terms, meta = built
        allowed = self._allowed(meta, where or Where())
        if not allowed.any():
            return []
        vector = np.asarray(vector, dtype=np.float32)
        lists = []
        lists.append(_top(chunk_vectors @ vector, allowed, k))
        best = np.full(len(keys), -np.inf, dtype=np.float32)
        has = sentence_starts[:-1] < sentence_starts[1:]  # sentences are stored in chunk order
        if has.any():  # reduceat, not maximum.at: ~30x faster (retrieval.library.DenseShortlist)
            best[has] = np.maximum.reduceat(sentence_vectors @ vector, sentence_starts[:-1][has])
        lists.append(_top(best, allowed, k))
        lists.append(_top(self._bm25(content_terms(text), lengths, terms), allowed, k, positive=True))
        fused = fuse(lists[0], lists[2], lists[1], mode)
        return [StoreHit(keys[i][0], keys[i][1], keys[i][2], score) for i, score in list(fused.items())[:k]]

    def _bm25(self, query: list[str], lengths: np.ndarray, terms: dict[str, tuple[np.ndarray, np.ndarray]]
              ) -> np.ndarray:
        scores = np.zeros(len(lengths), dtype=np.float32)
        count, average = len(lengths), float(lengths.mean()) if len(lengths) else 0.0
        for term in query:
            if term not in terms:
                continue
            rows, tf = terms[term]
            idf = math.log(1 + (count - len(rows) + 0.5) / (len(rows) + 0.5))
            norm = self.K1 * (1 - self.B + self.B * lengths[rows] / max(average, 1e-9))
            scores[rows] += idf * tf * (self.K1 + 1) / (tf + norm)
        return scores

    @staticmethod
    def _allowed(meta: dict[str, np.ndarray], where: Where) -> np.ndarray:
        allowed = np.ones(len(meta["report"]), dtype=bool)
        if where.reports:
            allowed &= np.isin(meta["report"], list(where.reports))
        if where.publisher:
            allowed &= meta["publisher"] == where.publisher
        if where.kind:
            allowed &= meta["kind"] == where.kind
        low, high = where.bounds()
        if low is not None:
            allowed &= meta["date"] >= low
        if high is not None:
            allowed &= (meta["date"] >= 0) & (meta["date"] <= high)
        return allowed

    def _build(self) -> tuple | None:
        if self._built is not None or not self._parts:
            return self._built
        parts = [p for _, p in sorted(self._parts.items())]
        keys = [(p.report.report, row, c.id) for p in parts for row, c in enumerate(p.report.chunks)]
        starts = np.cumsum([0, *[len(p.report.chunks) for p in parts[:-1]]])
        owner = np.concatenate([p.report.sentence_owner + s for p, s in zip(parts, starts, strict=True)])
        postings: dict[str, tuple[list, list]] = {}
        lengths = []
        for row, counts in enumerate(c for p in parts for c in p.terms):
            lengths.append(sum(counts.values()))
            for term, n in counts.items():
                rows, tfs = postings.setdefault(term, ([], []))
                rows.append(row)
                tfs.append(n)
        terms = {t: (np.asarray(r, dtype=np.int64), np.asarray(f, dtype=np.float32)) for t, (r, f) in postings.items()}
        meta = {"report": np.asarray([k[0] for k in keys]),
                "publisher": np.asarray([p.report.publisher for p in parts for _ in p.report.chunks]),
                "kind": np.asarray([c.kind for p in parts for c in p.report.chunks]),
                "date": np.asarray([date_key(p.report.date) for p in parts for _ in p.report.chunks], dtype=np.int64)}
        self._built = (keys, np.vstack([p.report.chunk_vectors for p in parts]).astype(np.float32),
                       np.vstack([p.report.sentence_vectors for p in parts]).astype(np.float32),
                       np.searchsorted(owner, np.arange(len(keys) + 1)),
                       np.asarray(lengths, dtype=np.float32), terms, meta)
        return self._built


def _top(scores: np.ndarray, allowed: np.ndarray, k: int, positive: bool = False) -> list[int]:
    """Rows of the `k` best allowed scores, best first (ties by row); with `positive`, only scores above 0."""
    keep = allowed & (scores > 0) if positive else allowed & np.isfinite(scores)
    rows = np.flatnonzero(keep)
    if len(rows) > k:
        rows = rows[np.argpartition(-scores[rows], k - 1)[:k]]
    return sorted(rows.tolist(), key=lambda r: (-scores[r], r))


# -- choosing and wiring a backend -------------------------------------------------------------------------

_OPEN: dict[tuple, ChunkStore] = {}


def open_store(settings: Settings) -> ChunkStore:
    """The store `settings.store_backend` names, one per process and location."""
    key = (settings.store_backend, str(settings.index_root), settings.store_uri)
    if key not in _OPEN:
        if settings.store_backend == "faiss":
            _OPEN[key] = FaissStore.from_root(settings.index_root)
        elif settings.store_backend == "milvus":
            from retrieval.milvus_store import MilvusStore

            _OPEN[key] = MilvusStore.open(settings)
        else:
            raise ReportQAError(f"unknown store_backend {settings.store_backend!r}; use faiss or milvus.")
    return _OPEN[key]


def sync_report(store: ChunkStore, index) -> None:
    """Add a loaded report to the store unless it already holds this build of it."""
    if store.versions().get(index.manifest.report_name) != index.manifest.built_at:
        store.add(report_chunks(index))


def attach_first_stage(engine, settings: Settings) -> None:
    """With a server-engine backend, the engine ranks only the store's candidates for each question
    (FIRST_STAGE of them, this report's); with faiss (the default) nothing changes: every passage is ranked."""
    if settings.store_backend == "faiss":
        return
    store = open_store(settings)
    sync_report(store, engine.index)
    report = engine.manifest.report_name
    where = Where(reports=(report,))

    def candidates(text: str, vector: np.ndarray) -> np.ndarray:
        return np.asarray(sorted(h.row for h in store.search(text, vector, FIRST_STAGE, where)), dtype=np.int64)

    engine.search.first_stage = candidates


def sync_library(store: ChunkStore, entries: list) -> None:
    """Make the store hold exactly the catalog's reports (ingest.catalog.ReportEntry), each at its current
    build: new or rebuilt reports are added, removed ones deleted. Reads only what changed."""
    from ingest.store import load_index

    held = dict(store.versions())
    changed = [entry for entry in entries if held.pop(entry.id, None) != entry.built_at]
    for start in range(0, len(changed), 16):  # a few reports' vectors in memory at a time
        store.add_many([report_chunks(load_index(entry.path)) for entry in changed[start:start + 16]])
    for gone in held:
        store.delete(gone)


class StoreShortlist:
    """The library's first stage on a store: reports ranked by their best passages for the question's vector,
    found by the store (filtered to the reports asked about) instead of holding every vector in memory
    (retrieval.library.DenseShortlist, the faiss default)."""

    HITS = 200  # passages asked of the store per question; a report with none of them ranks last

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._synced: tuple = ()

    def rank(self, entries: list, vector: np.ndarray, model: str, library: list | None = None) -> list[tuple]:
        store = open_store(self.settings)
        everything = library or entries
        key = tuple(sorted((e.id, e.built_at) for e in everything))
        if key != self._synced:
            sync_library(store, everything)
            self._synced = key
        ids = {e.id for e in entries}
        where = Where() if len(ids) == len(everything) else Where(reports=tuple(sorted(ids)))
        best: dict[str, float] = {}
        for hit in store.search("", vector, self.HITS, where, mode="dense"):
            best.setdefault(hit.report, hit.score)
        return sorted(((e, best.get(e.id, -1.0)) for e in entries), key=lambda pair: -pair[1])


def shortlist_for(settings: Settings):
    """The library's first stage: all vectors in memory with faiss (default), the store otherwise."""
    if settings.store_backend == "faiss":
        from retrieval.library import DenseShortlist

        return DenseShortlist()
    return StoreShortlist(settings)
