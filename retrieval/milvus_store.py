"""The passage store on the Milvus engine: milvus-lite in one local file, or a Milvus server or cluster.

    settings = load_settings(store_backend="milvus")                 # file <index_root>/.milvus/store.db
    settings = load_settings(store_backend="milvus", store_uri="http://milvus:19530")   # a server
    store = MilvusStore.open(settings)

Three collections: passages (vector, text with Milvus's BM25 function, report, publisher, date, kind),
sentences (vector and the same fields, to find a passage by its best sentence) and reports (id -> the build
stored). Milvus does for us: the filters (report, publisher, date range, kind) inside the search, BM25 (it
tokenises and stems the text and keeps the corpus statistics through inserts and deletes -- no sparse model,
nothing downloaded), the dense + BM25 fusion (RRF) in one hybrid request, and deletes by expression.
The same fusion as FaissStore (retrieval.store.fuse) then adds the sentence list.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np

from ingest.errors import IndexProblem, ReportQAError
from ingest.settings import Settings
from retrieval.store import RRF_K, ReportChunks, StoreHit, Where, check_mode, date_key, fuse, rrf

log = logging.getLogger(__name__)

PASSAGES, SENTENCES, REPORTS = "report_qa_passages", "report_qa_sentences", "report_qa_reports"
# HNSW graphs for the vectors: milvus-lite's exact (FLAT) search over the library's 56k sentence vectors took
# ~5x numpy's matrix product (docs/scaling.md). ef is raised with k so the k wanted are (nearly) exact.
HNSW = {"M": 16, "efConstruction": 128}
MAX_TEXT = 60_000  # bytes of a passage's text Milvus keeps (its VARCHAR limit is 65,535)
# Milvus's own analyzer: words lower-cased, English stopwords dropped, Snowball-stemmed (as retrieval.lexical).
ANALYZER = {"tokenizer": "standard", "filter": ["lowercase", {"type": "stop", "stop_words": ["_english_"]},
                                                {"type": "stemmer", "language": "english"}]}
QUERY_PAGE = 4_096  # rows per page when a whole collection is read (one query returns at most 16,384)
_CLIENTS: dict[str, object] = {}


def _client(uri: str):
    """One client per location and process (milvus-lite allows one process per file)."""
    if uri not in _CLIENTS:
        try:
            from pymilvus import MilvusClient
        except ImportError:
            raise ReportQAError("store_backend=milvus needs pymilvus and milvus-lite; run `make install` or "
                                "`pip install -e '.[milvus]'`.") from None
        if "://" not in uri:
            Path(uri).parent.mkdir(parents=True, exist_ok=True)
        # milvus-lite answers pymilvus's AllocTimestamp with "not implemented" (pymilvus then falls back), and
        # grpc logs each as an ERROR with a traceback: noise, not a failure.
        logging.getLogger("grpc._server").setLevel(logging.CRITICAL)
        try:
            _CLIENTS[uri] = MilvusClient(uri)
        except Exception as err:  # a file another process holds, a server that does not answer
            raise IndexProblem(f"cannot open the Milvus store at {uri} ({type(err).__name__}: {err}); close the "
                               "other process using it or check store_uri.") from None
    return _CLIENTS[uri]


def default_uri(settings: Settings) -> str:
    return settings.store_uri or str(Path(settings.index_root) / ".milvus" / "store.db")


class MilvusStore:
    def __init__(self, client, uri: str) -> None:
        self.client = client
        self.uri = uri
        self._versions: dict[str, str] | None = None
        self.page = QUERY_PAGE  # rows read per query while reading a whole collection
        self.dimension: int | None = None
        if client.has_collection(PASSAGES):
            fields = client.describe_collection(PASSAGES)["fields"]
            self.dimension = next(f["params"]["dim"] for f in fields if f["name"] == "vector")
            for name in (PASSAGES, SENTENCES, REPORTS):
                client.load_collection(name)

    @classmethod
    def open(cls, settings: Settings) -> MilvusStore:
        uri = default_uri(settings)
        return cls(_client(uri), uri)

    # -- writing -----------------------------------------------------------------------------------------

    def add(self, report: ReportChunks) -> None:
        """Store one report's passages and sentences, replacing any it had."""
        self.add_many([report])

    def add_many(self, reports: list[ReportChunks]) -> None:
        """Store several reports, then seal the data once (flushing is what costs: ~1 s per call)."""
        for report in reports:
            self._insert(report)
        if reports:
            for name in (PASSAGES, SENTENCES, REPORTS):
                self.client.flush(name)  # sealed and indexed: a growing segment is searched by brute force

    def _insert(self, report: ReportChunks) -> None:
        dimension = report.chunk_vectors.shape[1] if len(report.chunk_vectors) else self.dimension
        if dimension is None:
            return
        self._create(int(dimension))
        if dimension != self.dimension:
            raise IndexProblem(f"report {report.report} has {dimension}-dimensional vectors but the Milvus store at "
                               f"{self.uri} holds {self.dimension}; use one model, or another store_uri.")
        self.delete(report.report)
        common = {"report": report.report, "publisher": report.publisher, "date": date_key(report.date)}
        passages = [{**common, "row": row, "chunk_id": chunk.id, "kind": chunk.kind,
                     "text": _clip(text), "vector": vector.tolist()}
                    for row, (chunk, text, vector) in enumerate(zip(report.chunks, report.texts,
                                                                    report.chunk_vectors, strict=True))]
        sentences = [{**common, "row": int(row), "chunk_id": report.chunks[row].id,
                      "kind": report.chunks[row].kind, "vector": vector.tolist()}
                     for row, vector in zip(report.sentence_owner, report.sentence_vectors, strict=True)]
        for name, rows in ((PASSAGES, passages), (SENTENCES, sentences)):
            for start in range(0, len(rows), 1_000):
                self.client.insert(name, rows[start:start + 1_000])
        self.client.upsert(REPORTS, [{"report": report.report, "version": report.version, "vector": [0.0, 0.0]}])
        self.versions()[report.report] = report.version

    def delete(self, report: str) -> int:
        if self.dimension is None:
            return 0
        expression = f"report == {json.dumps(report)}"
        removed = _count(self.client.delete(PASSAGES, filter=expression))
        self.client.delete(SENTENCES, filter=expression)
        self.client.delete(REPORTS, filter=expression)
        self.versions().pop(report, None)
        return removed

    def versions(self) -> dict[str, str]:
        """report -> the build stored; read once per process, then kept up to date by add and delete."""
        if self._versions is None:
            self._versions = {}
            if self.dimension is not None:
                for row in _all_rows(self.client, REPORTS, 'report != ""', ["report", "version"], self.page):
                    self._versions[row["report"]] = row["version"]
        return self._versions

    # -- searching ---------------------------------------------------------------------------------------

    def search(self, text: str, vector: np.ndarray, k: int = 10, where: Where | None = None,
               mode: str = "hybrid") -> list[StoreHit]:
        from pymilvus import AnnSearchRequest, RRFRanker

        from retrieval.questions import content_terms

        check_mode(mode)
        if self.dimension is None:
            return []
        expression = _expression(where or Where()) or None
        query = np.asarray(vector, dtype=np.float32).tolist()
        fields = ["report", "row", "chunk_id"]
        dense = AnnSearchRequest([query], "vector", _dense_params(k), k, expr=expression)
        has_words = bool(content_terms(text))
        if mode == "hybrid" and has_words:
            lexical = AnnSearchRequest([text], "sparse", {"metric_type": "BM25"}, k, expr=expression)
            found = self.client.hybrid_search(PASSAGES, [dense, lexical], RRFRanker(RRF_K), limit=k,
                                              output_fields=fields)
            engine_fused = _keys(found)
            sentences = self._sentences(query, k, expression)
            fused = rrf(engine_fused, sentences)
        else:
            passages = _keys(self._search(PASSAGES, query, "vector", "IP", k, expression))
            lexical_keys = _keys(self._search(PASSAGES, text, "sparse", "BM25", k, expression)) if has_words else []
            fused = fuse(passages, lexical_keys, self._sentences(query, k, expression) if mode == "dense" else [],
                         mode)
        return [StoreHit(key[0], key[1], key[2], score) for key, score in list(fused.items())[:k]]

    def _search(self, collection: str, query, field: str, metric: str, limit: int, expression: str | None):
        params = _dense_params(limit) if metric == "IP" else {"metric_type": metric}
        return self.client.search(collection, [query], anns_field=field, limit=limit, filter=expression or "",
                                  search_params=params, output_fields=["report", "row", "chunk_id"])

    def _sentences(self, query: list[float], k: int, expression: str | None) -> list[tuple]:
        """Passages by their best sentence: the first k distinct passages of the best sentences."""
        keys = list(dict.fromkeys(_keys(self._search(SENTENCES, query, "vector", "IP", 4 * k, expression))))
        return keys[:k]

    # -- schema ------------------------------------------------------------------------------------------

    def _create(self, dimension: int) -> None:
        if self.dimension is not None:
            return
        from pymilvus import DataType, Function, FunctionType

        for name, with_text in ((PASSAGES, True), (SENTENCES, False)):
            schema = self.client.create_schema(auto_id=True)
            schema.add_field("id", DataType.INT64, is_primary=True)
            for field in ("report", "publisher", "chunk_id", "kind"):
                schema.add_field(field, DataType.VARCHAR, max_length=1_024)
            schema.add_field("row", DataType.INT64)
            schema.add_field("date", DataType.INT64)
            schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dimension)
            index = self.client.prepare_index_params()
            index.add_index("vector", index_type="HNSW", metric_type="IP", params=HNSW)
            if with_text:
                schema.add_field("text", DataType.VARCHAR, max_length=65_535, enable_analyzer=True,
                                 analyzer_params=ANALYZER)
                schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
                schema.add_function(Function(name="bm25", function_type=FunctionType.BM25,
                                             input_field_names=["text"], output_field_names=["sparse"]))
                index.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25")
            self.client.create_collection(name, schema=schema, index_params=index, consistency_level="Strong")
        schema = self.client.create_schema(auto_id=False)
        schema.add_field("report", DataType.VARCHAR, max_length=1_024, is_primary=True)
        schema.add_field("version", DataType.VARCHAR, max_length=128)
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=2)  # Milvus needs one; unused
        index = self.client.prepare_index_params()
        index.add_index("vector", index_type="FLAT", metric_type="L2")
        self.client.create_collection(REPORTS, schema=schema, index_params=index, consistency_level="Strong")
        self.dimension = dimension


def _all_rows(client, collection: str, expression: str, fields: list[str], page: int = QUERY_PAGE):
    """Every row of `collection` matching `expression`, read `page` rows at a time (a single query stops at
    16,384 rows)."""
    iterator = client.query_iterator(collection, batch_size=page, filter=expression, output_fields=fields)
    try:
        while batch := iterator.next():
            yield from batch
    finally:
        iterator.close()


def _dense_params(k: int) -> dict:
    return {"metric_type": "IP", "params": {"ef": max(128, 2 * k)}}


def _expression(where: Where) -> str:
    """A Milvus boolean expression. Example: Where(publisher="Ofsted", since="2016") ->
    'publisher == "Ofsted" and date >= 20160000'."""
    parts = []
    if where.reports:
        parts.append(f"report in {json.dumps(list(where.reports))}")
    if where.publisher:
        parts.append(f"publisher == {json.dumps(where.publisher)}")
    if where.kind:
        parts.append(f"kind == {json.dumps(where.kind)}")
    low, high = where.bounds()
    if low is not None:
        parts.append(f"date >= {low}")
    if high is not None:
        parts.append(f"date >= 0 and date <= {high}")
    return " and ".join(parts)


def _keys(results) -> list[tuple[str, int, str]]:
    return [(hit["entity"]["report"], int(hit["entity"]["row"]), hit["entity"]["chunk_id"])
            for hit in (results[0] if results else [])]


def _count(result) -> int:
    if isinstance(result, dict):
        return int(result.get("delete_count", 0))
    return len(result or [])


def _clip(text: str) -> str:
    data = text.encode("utf-8")
    return text if len(data) <= MAX_TEXT else data[:MAX_TEXT].decode("utf-8", errors="ignore")
