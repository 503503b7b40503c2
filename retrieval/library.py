"""Ask across a library of reports: choose the reports, rank them by retrieval, answer from the best one.

    library = Library(settings)                              # every report under settings.index_root
    answer = library.ask("How were care leavers supported in Birmingham in 2016?")
    answer.citations[0].report                               # {"id": "ofsted-birmingham-2016", "title": ..., ...}

Engines load lazily (a report is read from disk the first time it is asked) and share one embedder, which
keeps what it has embedded: the question is embedded once, however many reports are searched. A question
naming a report's place or year is routed to that report. With one report the answer is exactly that
report's engine's answer, with its report named in each citation and passage. A question asking for a
verdict (its analysis' answer type) of two or more reports is answered from their judgements tables
(`retrieval.compare.judgement_answer`): a table of report, date, judgement and grade, each row cited.

Across many reports a cheap first stage picks the candidates: the question's vector against every
report's passage and sentence vectors at once (one matrix product, the dense part of the fused score),
each report scored by its best passage; only the best SHORTLIST reports are then scored in full by their
engines. Over the 108-report Ofsted library (8,746 passages) a warm ask took p50 14 ms, p95 19 ms this way
against p50 64 ms, p95 83 ms scoring every report (quiet 2-core machine), and only the shortlisted
reports' engines are ever loaded.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import MutableMapping
from dataclasses import dataclass

import numpy as np

from ingest.catalog import ReportEntry, list_reports, unknown_report_message
from ingest.embed import CachingEmbedder, Embedder, caching
from ingest.errors import IndexProblem, ReportQAError
from ingest.settings import Settings
from retrieval.compare import judgement_answer
from retrieval.engine import Engine
from retrieval.questions import validate_question
from retrieval.records import Answer, Filters, Hit

log = logging.getLogger(__name__)

WHERE_KEYS = ("publisher", "kind", "place")
TRY_REPORTS = 3  # when the best-ranked report declines, the next ones are asked before declining
SHORTLIST = 8  # reports scored in full per question; the others are ranked out by the dense first stage
W_PASSAGE_VECTOR = 0.3  # as retrieval.search: dense = 0.3 * passage cosine + 0.7 * best sentence cosine
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")
_SINCE = re.compile(r"\b(?:since|from)\s+((?:19|20)\d\d)(?!\d)(?!\s*(?:to|-|–|and)\s*\d)", re.I)


@dataclass(frozen=True)
class Selection:
    """Which reports to ask; empty means the whole library."""

    reports: tuple[str, ...] = ()  # ids, as `--report` (repeatable)
    where: tuple[tuple[str, str], ...] = ()  # ("publisher", "Ofsted"), as `--where publisher=Ofsted`
    since: int | None = None  # reports dated this year or later

    @classmethod
    def parse(cls, reports: list[str] | None = None, where: list[str] | None = None,
              since: int | None = None) -> Selection:
        pairs = []
        for item in where or []:
            key, sep, value = item.partition("=")
            key, value = key.strip().lower(), value.strip()
            if not sep or not value:
                raise ReportQAError(f"--where {item!r} is not key=value; e.g. --where 'publisher=Ofsted'.")
            if key not in WHERE_KEYS:
                raise ReportQAError(f"unknown --where key {key!r}; use one of {', '.join(WHERE_KEYS)}.")
            pairs.append((key, value))
        return cls(tuple(reports or ()), tuple(pairs), since)

    @property
    def empty(self) -> bool:
        return not (self.reports or self.where or self.since is not None)


class EngineCache(MutableMapping):
    """Loaded engines by report id, at most `size` of them: the least recently used is dropped when another
    is added (it is loaded again if asked again). Safe to use from many threads at once."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ReportQAError(f"max_engines={size} keeps no engine; use 1 or more (default 256).")
        self.size = size
        self._items: OrderedDict[str, Engine] = OrderedDict()
        self._lock = threading.RLock()

    def __getitem__(self, report: str) -> Engine:
        with self._lock:
            engine = self._items[report]
            self._items.move_to_end(report)
            return engine

    def __setitem__(self, report: str, engine: Engine) -> None:
        with self._lock:
            self._items[report] = engine
            self._items.move_to_end(report)
            while len(self._items) > self.size:
                dropped, _ = self._items.popitem(last=False)
                log.debug("engine of %s dropped: %d engines kept (max_engines)", dropped, self.size)

    def __delitem__(self, report: str) -> None:
        with self._lock:
            del self._items[report]

    def __contains__(self, report: object) -> bool:
        with self._lock:
            return report in self._items

    def __iter__(self):
        with self._lock:
            return iter(list(self._items))

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def get(self, report: str, default: Engine | None = None) -> Engine | None:
        with self._lock:
            return self[report] if report in self._items else default

    def setdefault(self, report: str, engine: Engine) -> Engine:
        with self._lock:
            if report not in self._items:
                self[report] = engine
            return self[report]

    def pop(self, report: str, *default):
        with self._lock:
            return self._items.pop(report, *default)


class Library:
    def __init__(self, settings: Settings, embedder: Embedder | None = None, strategy: str = "fused") -> None:
        self.settings = settings
        self.strategy = strategy
        self.entries = list_reports(settings.index_root)
        self.embedder: CachingEmbedder | None = caching(embedder) if embedder is not None else None
        self._engines = EngineCache(settings.max_engines)
        self._loading = threading.Lock()  # questions arriving together load a report once, not once each
        self.shortlist_size = SHORTLIST
        from retrieval.store import shortlist_for  # DenseShortlist, or the store's with store_backend milvus

        self._dense = shortlist_for(settings)

    # -- which reports -------------------------------------------------------------------------------

    def entry(self, report: str) -> ReportEntry:
        for entry in self.entries:
            if entry.id == report:
                return entry
        raise IndexProblem(unknown_report_message(report, self.entries, self.settings.index_root))

    def select(self, selection: Selection | None = None) -> list[ReportEntry]:
        """The reports a selection names; an error naming what is known when it names none."""
        selection = selection or Selection()
        if not self.entries:
            raise IndexProblem(f"no reports indexed in {self.settings.index_root}; run `report-qa ingest` "
                               "(the bundled report, or `report-qa ingest PATH...` for yours) first.")
        chosen = [self.entry(r) for r in dict.fromkeys(selection.reports)] if selection.reports else self.entries
        for key, value in selection.where:
            chosen = [e for e in chosen if _same(getattr(e.metadata, key), value)]
        if selection.since is not None:
            chosen = [e for e in chosen if e.year is not None and e.year >= selection.since]
        if not chosen:
            known = "; ".join(f"{e.id} ({e.metadata.publisher or 'publisher unknown'}, {e.metadata.place}, "
                              f"{e.metadata.date or 'undated'})" for e in self.entries)
            raise ReportQAError(f"no indexed report matches {_describe(selection)}; known: {known}.")
        return chosen

    def route(self, question: str, entries: list[ReportEntry]) -> tuple[list[ReportEntry], str | None]:
        """Reports whose place or year the question names ("in Birmingham in 2016"); all of them otherwise."""
        if len(entries) < 2:
            return entries, None
        text = f" {_norm(question)} "
        spans: dict[str, tuple[int, int]] = {}
        for entry in entries:
            for alias in _place_aliases(entry.metadata.place):  # longest first: the first found is kept
                at = text.find(f" {alias} ")
                if at >= 0:
                    spans[entry.id] = (at, at + len(alias) + 1)
                    break
        # "Stoke-on-Trent" names the Stoke-on-Trent report, not also the one whose place contains "Stoke".
        named = [e for e in entries if e.id in spans and not any(
            o != e.id and s[0] <= spans[e.id][0] and spans[e.id][1] <= s[1] and s != spans[e.id]
            for o, s in spans.items())]
        years = {int(y) for y in _YEAR.findall(question)}
        pool = named or entries
        since = _SINCE.search(question)  # "since 2020": that year and later
        dated = [e for e in pool if e.year in years or (since and e.year and e.year >= int(since.group(1)))]
        routed = dated or named
        if not routed or len(routed) == len(entries):
            return entries, None
        what = " and ".join(filter(None, ["place" if named else "", "year" if dated else ""]))
        return routed, f"Asked of {', '.join(e.id for e in routed)}: the question names its {what}."

    # -- engines -------------------------------------------------------------------------------------

    def engine(self, report: str) -> Engine:
        """The report's engine, loaded once (however many questions arrive for it together) and kept among
        the `max_engines` most recently asked."""
        engine = self._engines.get(report)
        if engine is not None:
            return engine
        with self._loading:
            engine = self._engines.get(report)
            if engine is not None:  # another thread loaded it while this one waited
                return engine
            entry = self.entry(report)
            engine = Engine.load(self.settings, report=entry.id, embedder=self.embedder, strategy=self.strategy)
            if self.embedder is None:  # the first engine made the model; every other one shares it
                self.embedder = caching(engine.embedder)
            engine.embedder = self.embedder
            self._engines[report] = engine
        return engine

    def adopt(self, engine: Engine) -> Engine:
        """Keep an engine loaded elsewhere (the app's first report) as its report's, unless one is loaded
        already; the engine the library now holds."""
        with self._loading:
            return self._engines.setdefault(engine.document.name, engine)

    def forget(self, report: str) -> None:
        """Drop the report's loaded engine, if any (its index was rebuilt or removed): the next question loads
        it afresh."""
        self._engines.pop(report, None)

    # -- asking --------------------------------------------------------------------------------------

    def retrieve(self, question: str, k: int = 5, filters: Filters | None = None,
                 selection: Selection | None = None) -> list[tuple[ReportEntry, Hit]]:
        """The best passages of every chosen report, merged by score (fused scores share one scale)."""
        question = validate_question(question)
        found: list[tuple[ReportEntry, Hit]] = []
        chosen = self._chosen(question, selection)[0]
        if len(chosen) > self.shortlist_size and filters is None:
            chosen = [e for e, _ in self.rank(question, chosen)[: self.shortlist_size]]
        for entry in chosen:
            found.extend((entry, hit) for hit in self.engine(entry.id).retrieve(question, k, filters))
        found.sort(key=lambda pair: -pair[1].score)
        return found[:k]

    def ask(self, question: str, k: int | None = None, filters: Filters | None = None, id: str | None = None,
            previous: str | None = None, selection: Selection | None = None) -> Answer:
        started = time.perf_counter()
        question = validate_question(question)
        chosen, routed = self._chosen(question, selection)
        compared = judgement_answer(question, chosen) if filters is None else None
        if compared is not None:  # a verdict asked of several reports: their judgements tables, compared
            compared.id = id
            compared.timings_ms["library"] = round((time.perf_counter() - started) * 1000, 2)
            return _named(compared, routed)
        if len(chosen) == 1:
            answer = self.engine(chosen[0].id).ask(question, k=k, filters=filters, id=id, previous=previous)
            return _named(tag(answer, chosen[0]), routed)
        ranked = self.rank(question, chosen, filters)
        first: tuple[ReportEntry, Answer] | None = None
        problem: ReportQAError | None = None
        for entry, _score in ranked[:TRY_REPORTS]:
            try:
                answer = self.engine(entry.id).ask(question, k=k, filters=filters, id=id, previous=previous)
            except ReportQAError as err:  # e.g. words this report never uses: another report may know them
                if isinstance(err, IndexProblem):
                    raise
                problem = problem or err
                continue
            first = first or (entry, answer)
            if not answer.abstained:
                first = (entry, answer)
                break
        if first is None:
            raise problem or ReportQAError("no report could answer; try `report-qa ask --report ID`.")
        entry, answer = first
        others = [e.id for e, _ in ranked if e.id != entry.id][:3]
        answer.note = " ".join(filter(None, [
            f"From {entry.id} ({entry.title}, {entry.metadata.date or 'undated'}), the best match of {len(ranked)} "
            f"reports searched" + (f"; next: {', '.join(others)}." if others else "."), answer.note]))
        answer.timings_ms["library"] = round((time.perf_counter() - started) * 1000, 2)
        return _named(tag(answer, entry), routed)

    def rank(self, question: str, entries: list[ReportEntry],
             filters: Filters | None = None) -> list[tuple[ReportEntry, float]]:
        """Reports by the retrieval score of their best passage for the question; embedded once for all.

        With more reports than `shortlist_size` (and no passage filter), only the best of them by the dense
        first stage are scored in full; the others follow in first-stage order."""
        if self.embedder is None and entries:
            self.engine(entries[0].id)  # makes the shared embedder
        vector = self.embedder.embed([question])[0]
        rest: list[tuple[ReportEntry, float]] = []
        if filters is None and len(entries) > self.shortlist_size:
            first = self._dense.rank(entries, vector, self.embedder.name, self.entries)
            entries, rest = [e for e, _ in first[: self.shortlist_size]], first[self.shortlist_size:]
        scored: list[tuple[ReportEntry, float]] = []
        problem: ReportQAError | None = None
        for entry in entries:
            try:
                hits = self.engine(entry.id).retrieve(question, 1, filters)
            except ReportQAError as err:  # a --section this report has not: the others may have it
                if isinstance(err, IndexProblem):
                    raise
                problem = problem or err
                continue
            if hits:
                scored.append((entry, hits[0].score))
        if not scored:
            if problem is not None:
                raise problem
            scored = [(e, 0.0) for e in entries]
        return sorted(scored, key=lambda pair: -pair[1]) + rest

    def warm(self, engines: bool = False) -> None:
        """Read what the first question would (the first stage's vectors, the embedder; every engine too if
        `engines`, of which the last `max_engines` stay loaded), so that a server's first user does not wait."""
        entries = self.select()
        self.engine(entries[0].id)
        self._dense.rank(entries, self.embedder.embed(["warm up"])[0], self.embedder.name, self.entries)
        for entry in entries if engines else []:
            self.engine(entry.id)

    def _chosen(self, question: str, selection: Selection | None) -> tuple[list[ReportEntry], str | None]:
        selection = selection or Selection()
        chosen = self.select(selection)
        if selection.reports:  # ids typed: no second-guessing
            return chosen, None
        return self.route(question, chosen)


class DenseShortlist:
    """Every report's passage and sentence vectors in two matrices, for a first-stage ranking of reports.

    Read from each report's FAISS files the first time (cached by report id and manifest time, so a report
    rebuilt or added is re-read and the others are not); a report built with another model or dimension
    is never ranked out (its engine then says what is wrong)."""

    def __init__(self) -> None:
        self._reports: dict[str, tuple] = {}  # id -> (version, model, chunk, sentence vectors, owner)
        self._key: tuple = ()
        self._chunks = self._sentences = self._owner = self._starts = self._sentence_starts = np.zeros(0)
        self._ids: list[str] = []

    def rank(self, entries: list[ReportEntry], vector: np.ndarray, model: str,
             library: list[ReportEntry] | None = None) -> list[tuple[ReportEntry, float]]:
        """`entries` by the best dense score of their passages for `vector`, best first. The matrices hold
        the whole `library` (default: `entries`), so that any selection of it reuses them."""
        self._build(library or entries, model, vector.shape[0])
        best = self._best_per_report(np.asarray(vector, dtype=np.float32))
        score = dict(zip(self._ids, best.tolist(), strict=True))
        ranked = [(e, score.get(e.id, np.inf)) for e in entries]  # unknown (other model): kept first
        return sorted(ranked, key=lambda pair: -pair[1])

    def _best_per_report(self, vector: np.ndarray) -> np.ndarray:
        if not self._ids:
            return np.zeros(0, dtype=np.float32)
        sims = self._sentences @ vector
        best_sentence = np.full(len(self._chunks), -1.0, dtype=np.float32)
        has = self._sentence_starts[:-1] < self._sentence_starts[1:]  # sentences are stored in chunk order
        if has.any():  # reduceat, not maximum.at: ~30x faster over the library's ~25k sentences
            best_sentence[has] = np.maximum.reduceat(sims, self._sentence_starts[:-1][has])
        dense = W_PASSAGE_VECTOR * (self._chunks @ vector) + (1 - W_PASSAGE_VECTOR) * best_sentence
        return np.maximum.reduceat(dense, self._starts)

    def _build(self, entries: list[ReportEntry], model: str, dimension: int) -> None:
        key = tuple(sorted((e.id, _version(e)) for e in entries)) + (model, dimension)
        if key == self._key:
            return
        parts = []
        for entry in entries:
            cached = self._reports.get(entry.id)
            if cached is None or cached[0] != _version(entry):
                cached = self._reports[entry.id] = (_version(entry), _model_of(entry), *_read_vectors(entry))
            if cached[2].shape[0] and cached[2].shape[1] == dimension and cached[1] in (model, None):
                parts.append((entry.id, *cached[2:]))
        self._ids = [p[0] for p in parts]
        sizes = [len(p[1]) for p in parts]
        self._starts = np.cumsum([0, *sizes[:-1]]).astype(np.int64)
        self._chunks = np.vstack([p[1] for p in parts]) if parts else np.zeros((0, dimension), np.float32)
        self._sentences = np.vstack([p[2] for p in parts]) if parts else np.zeros((0, dimension), np.float32)
        self._owner = np.concatenate([p[3] + start for p, start in zip(parts, self._starts, strict=True)]
                                     ) if parts else np.zeros(0, np.int64)
        self._sentence_starts = np.searchsorted(self._owner, np.arange(len(self._chunks) + 1))
        self._key = key


def _read_vectors(entry: ReportEntry) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A report's passage vectors, sentence vectors and each sentence's passage row, from its index folder."""
    import faiss

    try:
        chunks = faiss.read_index(str(entry.path / "chunks.faiss"))
        sentences = faiss.read_index(str(entry.path / "sentences.faiss"))
        owner = np.load(entry.path / "sentence_owner.npy", allow_pickle=False).astype(np.int64)
    except (OSError, RuntimeError, ValueError) as err:  # its engine, when asked, names the problem
        log.warning("first stage: cannot read the vectors of %s (%s); it is always scored in full", entry.id, err)
        return np.zeros((0, 1), np.float32), np.zeros((0, 1), np.float32), np.zeros(0, np.int64)
    return (chunks.reconstruct_n(0, chunks.ntotal), sentences.reconstruct_n(0, sentences.ntotal), owner)


def _version(entry: ReportEntry) -> tuple[str, int]:
    """Changes whenever the report is rebuilt (its manifest is written last), even within one second."""
    try:
        return entry.built_at, (entry.path / "manifest.json").stat().st_mtime_ns
    except OSError:
        return entry.built_at, 0


def _model_of(entry: ReportEntry) -> str | None:
    from ingest.store import read_manifest

    manifest = read_manifest(entry.path)
    return manifest.model if manifest is not None else None


def tag(answer: Answer, entry: ReportEntry) -> Answer:
    """Name the report in every citation and passage."""
    for item in [*answer.citations, *answer.passages]:
        item.report = entry.summary()
    return answer


def _named(answer: Answer, routed: str | None) -> Answer:
    if routed:
        answer.note = " ".join(filter(None, [routed, answer.note]))
    return answer


def _place_aliases(place: str) -> list[str]:
    """Example: "Staffordshire and Stoke" -> ["staffordshire and stoke", "staffordshire", "stoke"]."""
    whole = _norm(place)
    if not whole:
        return []
    parts = [p for p in whole.split(" and ") if len(p) >= 4] if " and " in whole else []
    return [whole, *parts]


def _same(value: str, wanted: str) -> bool:
    return _norm(value) == _norm(wanted)


def _norm(text: str) -> str:
    """Example: "Stoke-on-Trent's" -> "stoke on trent s"."""
    return re.sub(r"[^a-z0-9]+", " ", (text or "").lower().replace("’", "'")).strip()


def _describe(selection: Selection) -> str:
    parts = [f"--report {r}" for r in selection.reports]
    parts += [f"--where {k}={v}" for k, v in selection.where]
    parts += [f"--since {selection.since}"] if selection.since is not None else []
    return " ".join(parts) or "the whole library"
