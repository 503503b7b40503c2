"""Run every dataset item through one or more configurations' `ask` -- the code path of `report-qa ask`."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from evals.dataset import Dataset, EvalItem
from evals.metrics import ItemResult, Summary, refused, score, summarise
from ingest.errors import QuestionError, ReportQAError
from ingest.records import Document
from ingest.settings import Settings
from retrieval.records import Answer

log = logging.getLogger(__name__)

DEFAULT_CONFIG = "fused"
BASELINE = "langchain-baseline"
STRATEGIES = ("fused", "dense", "bm25")  # the engine's retrieval strategies
COMPARE = (*STRATEGIES, BASELINE)  # what --compare runs, in table order

# progress(config, done, total): the CLI draws it; the runner only reports.
Progress = Callable[[str, int, int], None]
# cancelled() -> True once the user asked to stop; checked before each question.
Cancelled = Callable[[], bool]


class EvalCancelled(ReportQAError):
    """The run was stopped on request before its last question; `done` of `total` questions were asked."""

    def __init__(self, done: int, total: int) -> None:
        super().__init__(f"evaluation cancelled after {done} of {total} questions; start it again to get "
                         "the numbers.")
        self.done = done
        self.total = total


class Asker(Protocol):
    """What the evaluation needs of an engine: the engine and the LangChain baseline both fit."""

    def ask(self, question: str, k: int | None = None, filters=None, id: str | None = None) -> Answer: ...


@dataclass
class Loaded:
    askers: dict[str, Asker]  # config name -> its engine, in run order
    document: Document  # the cleaned report they answer from, to check evidence quotes against


@dataclass
class ConfigRun:
    name: str
    results: list[ItemResult]
    summary: Summary
    seconds: float


@dataclass
class EvalRun:
    created_at: str  # ISO 8601, UTC
    dataset: str
    report: str
    k: int
    configs: list[ConfigRun]

    def config(self, name: str) -> ConfigRun:
        for run in self.configs:
            if run.name == name:
                return run
        raise KeyError(name)


def check_names(names: tuple[str, ...]) -> None:
    unknown = [n for n in names if n not in COMPARE]
    if unknown:
        raise ReportQAError(f"unknown eval configuration {', '.join(unknown)}; "
                            f"use one of {', '.join(COMPARE)}.")


def load_configs(names: tuple[str, ...], settings: Settings | None = None,
                 report: str | None = None) -> Loaded:
    """One engine per strategy over the same index, all sharing the first engine's embedding model."""
    check_names(names)
    from retrieval.baseline import LangChainBaseline  # heavy imports wait until an eval actually runs
    from retrieval.engine import Engine

    first = Engine.load(settings=settings, report=report, strategy=DEFAULT_CONFIG)
    askers: dict[str, Asker] = {}
    for name in names:
        if name == DEFAULT_CONFIG:
            askers[name] = first
        elif name == BASELINE:
            askers[name] = LangChainBaseline.from_engine(first)
        else:
            askers[name] = Engine.load(settings=settings, report=report, embedder=first.embedder,
                                       strategy=name)
    return Loaded(askers, first.document)


def run_eval(askers: dict[str, Asker], dataset: Dataset, report: str, k: int,
             progress: Progress | None = None, cancelled: Cancelled | None = None) -> EvalRun:
    created = datetime.now(UTC).isoformat(timespec="seconds")
    runs = [run_config(name, asker, dataset.items, k, progress, cancelled) for name, asker in askers.items()]
    return EvalRun(created, str(dataset.path), report, k, runs)


# load(report) -> the configurations over that report's index; None is the run's default report.
Loader = Callable[[str | None], Loaded]
# checked(report, document) is told each report's cleaned text once it loads (to check evidence quotes).
Checked = Callable[[str, Loaded, list[EvalItem]], None]


def run_reports(load: Loader, groups: dict[str | None, list[EvalItem]], dataset: str, k: int,
                progress: Progress | None = None, checked: Checked | None = None,
                cancelled: Cancelled | None = None) -> EvalRun:
    """Run each report's items against that report's index, one report loaded at a time, and pool the
    results per configuration. Each result is stamped with the name of the report it was asked of.
    `cancelled` is checked before each question: once it says True the run raises EvalCancelled."""
    created = datetime.now(UTC).isoformat(timespec="seconds")
    pooled: dict[str, list[ItemResult]] = {}
    seconds: dict[str, float] = {}
    names: list[str] = []
    total = sum(len(items) for items in groups.values())
    for report, items in groups.items():
        if cancelled is not None and cancelled():
            raise EvalCancelled(sum(len(r) for r in pooled.values()), total)
        loaded = load(report)
        name = loaded.document.name
        names.append(name)
        if checked is not None:
            checked(name, loaded, items)
        for config, asker in loaded.askers.items():
            try:
                run = run_config(config, asker, items, k, progress, cancelled)
            except EvalCancelled as stop:  # count the questions of earlier reports too
                raise EvalCancelled(sum(len(r) for r in pooled.values()) + stop.done, total) from None
            for result in run.results:
                result.report = name
            pooled.setdefault(config, []).extend(run.results)
            seconds[config] = seconds.get(config, 0.0) + run.seconds
    configs = [ConfigRun(config, results, summarise(results), seconds[config])
               for config, results in pooled.items()]
    return EvalRun(created, dataset, ", ".join(names), k, configs)


def run_config(name: str, asker: Asker, items: list[EvalItem], k: int,
               progress: Progress | None = None, cancelled: Cancelled | None = None) -> ConfigRun:
    progress = progress or (lambda config, done, total: None)
    started = time.perf_counter()
    results = []
    progress(name, 0, len(items))
    for done, item in enumerate(items, start=1):
        if cancelled is not None and cancelled():
            log.info("eval %s: cancelled after %d of %d questions", name, done - 1, len(items))
            raise EvalCancelled(done - 1, len(items))
        results.append(run_item(name, asker, item, k))
        progress(name, done, len(items))
    seconds = time.perf_counter() - started
    log.info("eval %s: %d questions in %.1fs", name, len(items), seconds)
    return ConfigRun(name, results, summarise(results), seconds)


def run_item(config: str, asker: Asker, item: EvalItem, k: int) -> ItemResult:
    started = time.perf_counter()
    try:
        answer = asker.ask(item.question, k=k, id=item.id)
    except QuestionError as err:
        # One refused question should not end a run of a hundred; it is scored wrong and listed.
        log.warning("eval %s: item %s refused: %s", config, item.id, err)
        return refused(item, config, str(err))
    if "total" not in answer.timings_ms:  # an engine that does not time itself is timed from outside
        answer.timings_ms = {**answer.timings_ms, "total": round((time.perf_counter() - started) * 1000, 2)}
    return score(item, answer, config)
