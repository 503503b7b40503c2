"""Ingest many reports: children parse the next files (ingest.isolate) while this process embeds and writes.

Parsing and embedding overlap, several files are parsed at once, and each file's parse is bounded in time and
memory: a runaway file is reported and skipped, the batch goes on. Results come back in the order given.

    for outcome in ingest_files(paths, settings, embedder=embedder):
        print(outcome.path, outcome.result or outcome.error)
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, replace
from pathlib import Path

from ingest.embed import Embedder
from ingest.isolate import ParsePool
from ingest.pipeline import STAGES, IngestResult, Plan, Progress, build_index, plan_ingest
from ingest.settings import Settings

# Files parsed ahead of the one being embedded, per worker: enough to keep the children busy, few enough that
# parsed reports waiting for their turn hold little memory.
AHEAD_PER_WORKER = 2


@dataclass
class Outcome:
    path: Path
    result: IngestResult | None = None
    error: BaseException | None = None  # a file that could not be ingested; the batch went on


def parse_workers(settings: Settings, files: int) -> int:
    """Children parsing at once: the setting, or (0) one per core, never more than the files."""
    wanted = settings.parse_workers or (os.cpu_count() or 1)
    return max(1, min(wanted, files))


def ingest_files(paths: list[Path], settings: Settings, embedder: Embedder | None = None, rebuild: bool = False,
                 progress: Progress | None = None, on_file: Callable[[Path], None] | None = None,
                 parser=None) -> Iterator[Outcome]:
    """Ingest `paths` in order, one Outcome each; `on_file(path)` just before a file's turn here.

    `parser(path, max_words) -> Parsed` runs in the children (default: ingest.pipeline.parse_stages)."""
    on_file = on_file or (lambda path: None)
    plans: list[Plan | BaseException] = []
    for path in paths:
        try:
            plans.append(plan_ingest(path, settings, embedder, rebuild))
        except (KeyboardInterrupt, MemoryError):
            raise
        except Exception as err:  # noqa: BLE001 - reported as this file's outcome, in its turn
            plans.append(err)
    to_build = [p for p in plans if isinstance(p, Plan) and p.reused is None]
    workers = parse_workers(settings, len(to_build))
    with ParsePool(workers, settings.parse_timeout, settings.parse_max_mb, parser) as pool:
        futures: dict[int, Future] = {}
        ahead = iter(to_build)

        def top_up() -> None:
            while len(futures) < workers * AHEAD_PER_WORKER:
                plan = next(ahead, None)
                if plan is None:
                    return
                futures[id(plan)] = pool.submit(plan.path, settings.max_words)

        for path, plan in zip(paths, plans, strict=True):
            top_up()
            on_file(path)
            if isinstance(plan, BaseException):
                yield Outcome(path, error=plan)
            elif plan.reused is not None:
                yield Outcome(path, result=plan.reused)
            else:
                yield _build(plan, futures.pop(id(plan)), settings, embedder, progress)


def _build(plan: Plan, future: Future, settings: Settings, embedder: Embedder | None,
           progress: Progress | None) -> Outcome:
    plan = replace(plan, started=time.perf_counter() - plan.planning)  # its seconds count from its turn
    if progress is not None:
        progress("parse", 0, 1)
    try:
        parsed = future.result()
        if progress is not None:
            progress("parse", 1, 1)
        return Outcome(plan.path, result=build_index(plan, parsed, settings, embedder, progress))
    except (KeyboardInterrupt, MemoryError):
        raise
    except Exception as err:  # noqa: BLE001 - this file's error; the batch goes on
        return Outcome(plan.path, error=err)


def totals(results: list[IngestResult], seconds: float) -> dict:
    """Summed stage seconds of the reports built, their pages, and pages per wall second of the whole run.

    Stages overlap (children parse while this process embeds), so their sum can exceed the wall time.
    """
    built = [r for r in results if not r.reused]
    pages = sum(r.pages for r in built)
    return {"files": len(results), "built": len(built), "reused": len(results) - len(built), "pages": pages,
            "seconds": round(seconds, 2), "pages_per_s": round(pages / seconds, 2) if seconds > 0 else 0.0,
            "stages": {stage: round(sum(r.stages.get(stage, 0.0) for r in built), 2) for stage in STAGES}}
