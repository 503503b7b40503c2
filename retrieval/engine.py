"""The question-answering engine: load an index once, then `ask` many questions.

    engine = Engine.load()                      # the bundled report's index
    answer = engine.ask("What does ATR stand for?")
    print(answer.answer)                        # "ATR Alcohol Treatment Requirement: ... [1]"
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np

from ingest.embed import Embedder, caching, make_embedder
from ingest.errors import IndexProblem, ReportQAError
from ingest.pipeline import report_name
from ingest.settings import BUNDLED_REPORT, Settings, load_settings
from ingest.store import StoredIndex, load_index
from retrieval.analysis import QuestionAnalysis, QuestionPart, analyse, intent_for
from retrieval.answer import Composer
from retrieval.candidate import Candidate
from retrieval.citations import build_answer, decline, passages_for, verify
from retrieval.lexical import LexicalIndex
from retrieval.questions import (
    check_language,
    content_terms,
    expand_acronyms,
    has_report_word,
    kind_hint,
    resolve_follow_up,
    stem,
    validate_question,
)
from retrieval.records import Answer, Filters, Hit
from retrieval.search import STRATEGIES, HybridSearch, QueryScores

log = logging.getLogger(__name__)

MAX_PASSAGES = 50  # -k above this is capped, with a note: more passages than this are never read


class Engine:
    def __init__(self, index: StoredIndex, embedder: Embedder, settings: Settings, strategy: str = "fused",
                 generator=None) -> None:
        if strategy not in STRATEGIES:
            raise ReportQAError(f"unknown retrieval strategy {strategy!r}; use one of {', '.join(STRATEGIES)}.")
        self.index = index
        self.document = index.document
        self.manifest = index.manifest
        self.embedder = caching(embedder)  # a question asked again (or per report of a library) embeds once
        self.settings = settings
        self.strategy = strategy
        self.generator = generator  # optional LLM answerer (retrieval.generate), off by default
        chunks = self.document.chunks
        self.lexical = LexicalIndex(chunks)
        self.search = HybridSearch(chunks, _vectors(index.chunk_vectors), _vectors(index.sentence_vectors),
                                   index.sentence_owner, self.lexical)
        self.chunk_rows = {c.id: i for i, c in enumerate(chunks)}
        # The words a question may use that the report need not: the names of the kinds of passage it holds
        # ("How many recommendations ...?" of a report whose list is headed "What needs to improve?").
        self.known_words = self.lexical.vocabulary | frozenset(
            t for kind in {c.kind for c in chunks} for t in content_terms(kind.replace("_", " ")))
        self.composer = Composer(self.search, self.lexical, self.chunk_rows)
        # Acronyms the report uses rarely ("NOMS") are spelled out for search, so a question using the short
        # form finds the passage using the long one; common ones ("CRC", "NPS") would only blur the query.
        self.rare_expansions = {
            acronym: spelled for acronym, spelled in self.composer.expansions().items()
            if self.lexical.frequency(stem(acronym.lower())) < 0.1 * len(chunks)
        }

    @classmethod
    def load(cls, settings: Settings | None = None, report: str | None = None, embedder: Embedder | None = None,
             strategy: str = "fused") -> Engine:
        """Load the index of `report` (default: the bundled report) and check it matches the model."""
        settings = settings or load_settings()
        name = report or report_name(BUNDLED_REPORT)
        folder = settings.index_dir(name)
        if not (folder / "manifest.json").exists() and not Path(str(folder) + ".old").exists():
            known = sorted(p.name for p in Path(settings.index_root).glob("*") if (p / "manifest.json").exists())
            hint = f" Built indexes: {', '.join(known)}." if known else ""
            raise IndexProblem(f"no index for report {name!r} in {settings.index_root}; run `report-qa ingest` "
                               f"(or `make index`) first.{hint}")
        index = load_index(folder)
        embedder = embedder or make_embedder(index.manifest.model, settings.batch_size, 1, settings.embed_backend)
        if index.manifest.model != embedder.name:
            raise IndexProblem(
                f"index at {folder} was built with model {index.manifest.model!r}, not {embedder.name!r}; "
                f"run `report-qa ingest --rebuild --model {embedder.name}` or ask with --model "
                f"{index.manifest.model}."
            )
        generator = None
        if settings.llm_provider:  # optional generative mode: LangChain chat models load only when asked for
            from retrieval.generate import generator_from_settings

            generator = generator_from_settings(settings)
        engine = cls(index, embedder, settings, strategy, generator)
        from retrieval.store import attach_first_stage  # store_backend faiss (default): nothing changes

        attach_first_stage(engine, settings)
        return engine

    def retrieve(self, question: str, k: int = 5, filters: Filters | None = None) -> list[Hit]:
        question = validate_question(question)
        # Filter values are checked in `ask`, not here: across several reports a value only some have is fine.
        return self.search.rank(self._score(question), min(k, MAX_PASSAGES), self.strategy, filters)

    def ask(self, question: str, k: int | None = None, filters: Filters | None = None,
            id: str | None = None, previous: str | None = None) -> Answer:
        """Answer one question. `previous` is the question before it in a conversation, so that a
        follow-up ("What about the NPS?") is read in its light."""
        started = time.perf_counter()
        asked = question = validate_question(question)
        if previous:
            question = resolve_follow_up(question, validate_question(previous), self.lexical.weight,
                                         self.search.cooccurrence)
        check_language(question, self.lexical.vocabulary)
        k = self.settings.top_k if k is None else k
        if k < 1:
            raise ReportQAError(f"-k must be at least 1, not {k}.")
        capped = f"Showing {MAX_PASSAGES} passages, the most -k allows (asked for {k:,})." if k > MAX_PASSAGES else None
        k = min(k, MAX_PASSAGES)
        if filters is not None:
            filters.check(self.document.chunks)
        # read once; the stages below use it instead of the question's wording
        analysis = analyse(question, self.composer.one_name)
        has_word = has_report_word(question, self.known_words)  # "a", "1", "asdf": nothing to answer from
        parts = [part.query for part in analysis.parts] if has_word and analysis.multi_part else []
        vectors = self._embed_queries([question, *parts])  # the question and its parts in one model call
        scores = self._score(question, vectors[question])
        hits = self.search.rank(scores, max(k, 5), self.strategy, filters)
        retrieved = time.perf_counter()
        if not has_word:
            answer = decline(question, hits)
        elif not analysis.multi_part:
            answer = self.composer.compose(question, analysis.intent, hits, scores, str(analysis.answer_type))
        else:
            answer = self._answer_in_parts(analysis, hits, filters, vectors)
        from retrieval.answerability import screen  # fitted "does the report say?"; no model file: no-op

        answer = verify(screen(self, question, answer, hits, scores))
        hits = cited_first(hits, answer, self.document.chunks, self.chunk_rows)
        if self.generator is not None and not answer.abstained:
            answer = self.generator.improve(answer, hits[:k])
        answer.passages = passages_for(hits[:k])
        answer.id = id
        if capped:
            answer.note = " ".join(filter(None, [answer.note, capped]))
        if question != asked:
            answer.question = asked
            answer.note = " ".join(filter(None, [f"Read as: “{question}”", answer.note]))
        done = time.perf_counter()
        answer.timings_ms = {"retrieve": round((retrieved - started) * 1000, 2),
                             "answer": round((done - retrieved) * 1000, 2),
                             "total": round((done - started) * 1000, 2)}
        return answer

    def _answer_in_parts(self, analysis: QuestionAnalysis, hits: list[Hit], filters: Filters | None,
                         vectors: dict[str, np.ndarray]) -> Answer:
        """Each part of a two-part or comparison question answered on its own, then quoted together; a part
        the report does not answer is named in the note."""
        question = analysis.question
        chosen: list[Candidate] = []
        unanswered: list[str] = []
        for part in analysis.parts:
            picked = self._answer_part(part, filters, chosen, vectors[part.query])
            if picked:
                chosen.extend(picked)
            else:
                unanswered.append(part.text)
        if not chosen:
            return decline(question, hits)
        answer = build_answer(question, chosen)
        if unanswered:
            answer.note = f"The report does not answer this part: {'; '.join(unanswered)}"
        return answer

    def _answer_part(self, part: QuestionPart, filters: Filters | None, taken: list[Candidate],
                     vector: np.ndarray) -> list[Candidate]:
        """One part's quote(s): the part's best candidate, or the whole list when the part asks for one."""
        scores = self._score(part.query, vector, kind_text=part.text)
        part_hits = self.search.rank(scores, 5, self.strategy, filters)
        picked = self.composer.select(part.query, intent_for(part.text, part.answer_type), part_hits, scores,
                                      taken=taken,
                                      answer_type=str(part.answer_type), constraints=part.constraints,
                                      distinct=part.distinct, part_text=part.text)
        return picked if str(part.answer_type) == "list" else picked[:1]

    def _score(self, question: str, vector: np.ndarray | None = None, kind_text: str | None = None) -> QueryScores:
        """Every passage and sentence scored for a question. Spelled-out acronyms help word matching; the
        meaning is embedded as asked (`vector`, if it is already); the wording (of `kind_text`, default the
        question) may point at a kind."""
        query = expand_acronyms(question, self.rare_expansions)
        vector = self._embed_queries([question])[question] if vector is None else vector
        return self.search.score(query, vector, kind_hint(kind_text or question))

    def _embed_queries(self, texts: list[str]) -> dict[str, np.ndarray]:
        """Each distinct text's vector, all embedded in one call (the embedder's cache serves those seen lately)."""
        distinct = list(dict.fromkeys(texts))
        vectors = self.embedder.embed(distinct)
        if vectors.shape[1] != self.manifest.dimension:
            raise IndexProblem(f"model {self.embedder.name} gives {vectors.shape[1]} dimensions but the index has "
                               f"{self.manifest.dimension}; run `report-qa ingest --rebuild`.")
        return dict(zip(distinct, vectors, strict=True))


def cited_first(hits: list[Hit], answer: Answer, chunks: list, rows: dict[str, int]) -> list[Hit]:
    """Passages re-ranked by the answer step: what it quotes comes first, the rest keep their order.

    The answer step knows more than retrieval (the form asked for, the table row, the glossary entry it
    looked up), so the passage it rests on is the most relevant one.
    """
    cited = [c.chunk_id for c in answer.citations]
    top = hits[0].score if hits else 0.0
    found = {h.chunk.id: h for h in hits}
    first = [found.get(chunk_id) or Hit(chunks[rows[chunk_id]], top, 0) for chunk_id in cited]
    rest = [h for h in hits if h.chunk.id not in cited]
    return [Hit(h.chunk, h.score, rank, h.dense_rank, h.lexical_rank) for rank, h in enumerate(first + rest, 1)]


def _vectors(index) -> np.ndarray:
    """All vectors of a flat FAISS index as one matrix: the corpus is small, a matrix product is fastest."""
    return index.reconstruct_n(0, index.ntotal) if index.ntotal else np.zeros((0, index.d), dtype=np.float32)
