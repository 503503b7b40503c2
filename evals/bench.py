"""`report-qa bench`: speed and memory, measured, with the LangChain baseline in the same run.

What it measures, each the way a user meets it:
- ingest: a fresh `report-qa ingest` of the bundled report in a new process (imports and model load included);
- cold ask: `report-qa ask "…"` in a new process, wall time and peak memory, median of 5 (what a shell user pays);
- ask: warm single-question latency (p50 / p95) over the eval questions, in this process;
- batch: `report-qa ask --batch` of 100 questions in a new process, index and model load included;
- memory: peak resident memory of the batch process and of this one;
- baseline: the plain LangChain pipeline's build time and warm ask latency, on the same questions.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ingest.settings import BUNDLED_REPORT

DATASET = Path(__file__).resolve().parent / "dataset.jsonl"
BATCH_SIZE = 100
COLD_RUNS = 5


@dataclass
class Latency:
    p50_ms: float
    p95_ms: float
    n: int


def add_bench(commands) -> None:
    from ui.cli import common_options

    bench = commands.add_parser("bench", parents=[common_options()], help="measure ingest time, latency, memory",
                                description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    bench.add_argument("--dataset", type=Path, default=DATASET, help="questions to time (default: the eval set)")
    bench.set_defaults(handler=run_bench)


def run_bench(args: argparse.Namespace) -> int:
    from retrieval.baseline import LangChainBaseline
    from retrieval.engine import Engine
    from ui.cli import settings_from

    questions = _questions(args.dataset)
    with tempfile.TemporaryDirectory(prefix="report-qa-bench-") as scratch:
        ingest_seconds, counts = time_fresh_ingest(Path(scratch))
        print(f"ingest (new process, model load included): {ingest_seconds:.1f} s — "
              + ", ".join(f"{k} {v}" for k, v in counts.items() if k in ("sections", "chunks", "tables",
                                                                           "figures", "examples",
                                                                           "glossary_entries")))
        cold_seconds, cold_rss = time_cold_asks(Path(scratch), questions[0])
        print(f"ask, cold (new process, median of {COLD_RUNS}): {cold_seconds:.2f} s, peak memory {cold_rss:.0f} MB")
        batch_seconds, batch_rss = time_batch(Path(scratch), questions[:BATCH_SIZE])
        print(f"batch of {min(BATCH_SIZE, len(questions))} questions (new process, index load included): "
              f"{batch_seconds:.1f} s, peak memory {batch_rss:.0f} MB")
    engine = Engine.load(settings_from(args))
    warm = time_asks(engine.ask, questions)
    print(f"ask, warm: p50 {warm.p50_ms:.1f} ms, p95 {warm.p95_ms:.1f} ms over {warm.n} questions")
    started = time.perf_counter()
    baseline = LangChainBaseline.from_engine(engine)
    build = time.perf_counter() - started
    base = time_asks(baseline.ask, questions)
    print(f"LangChain baseline: build {build:.1f} s; ask p50 {base.p50_ms:.1f} ms, p95 {base.p95_ms:.1f} ms")
    print(f"peak memory of this process: {_peak_rss_mb(resource.RUSAGE_SELF):.0f} MB")
    print("answer quality: `report-qa eval --compare` (the same questions, ours beside the baseline)")
    return 0


def _questions(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["question"] for line in lines if line.strip()]


def time_fresh_ingest(scratch: Path) -> tuple[float, dict[str, int]]:
    index_root = scratch / "index"
    started = time.perf_counter()
    done = _cli(["ingest", "--json", "--index-root", str(index_root), str(BUNDLED_REPORT)])
    seconds = time.perf_counter() - started
    return seconds, json.loads(done.stdout)["counts"]


def time_batch(scratch: Path, questions: list[str]) -> tuple[float, float]:
    batch = scratch / "questions.jsonl"
    batch.write_text("".join(json.dumps({"id": f"q{i}", "question": q}) + "\n" for i, q in enumerate(questions)),
                     encoding="utf-8")
    return _measured(["ask", "--index-root", str(scratch / "index"), "--batch", str(batch),
                      "--out", str(scratch / "a.jsonl")])


def time_cold_asks(scratch: Path, question: str, runs: int = COLD_RUNS) -> tuple[float, float]:
    """Median wall seconds and median peak MB of `report-qa ask QUESTION`, each run a new process."""
    runs_measured = [_measured(["ask", "--index-root", str(scratch / "index"), question]) for _ in range(runs)]
    return (statistics.median(seconds for seconds, _ in runs_measured),
            statistics.median(peak for _, peak in runs_measured))


def _measured(argv: list[str]) -> tuple[float, float]:
    """Wall seconds and this child's own peak MB (RUSAGE_CHILDREN would give the largest child so far)."""
    with tempfile.TemporaryFile() as errors:
        started = time.perf_counter()
        child = subprocess.Popen([sys.executable, "-m", "ui.cli", *argv], stdout=subprocess.DEVNULL, stderr=errors,
                                 env=_env(), cwd=Path(__file__).resolve().parent.parent)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)  # reaped here; Popen must not wait again
        if child.returncode not in (0, 2):  # 2: a refused question is still an answer
            from ingest.errors import ReportQAError

            errors.seek(0)
            raise ReportQAError(f"`report-qa {argv[0]}` failed during the benchmark: {errors.read().decode()[-300:]}")
    return seconds, usage.ru_maxrss / 1024


def _env() -> dict[str, str]:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}


def _cli(argv: list[str], allowed: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess:
    env = _env()
    done = subprocess.run([sys.executable, "-m", "ui.cli", *argv], capture_output=True, text=True, env=env,
                          cwd=Path(__file__).resolve().parent.parent, check=False)
    if done.returncode not in allowed:
        from ingest.errors import ReportQAError

        raise ReportQAError(f"`report-qa {argv[0]}` failed during the benchmark: {done.stderr.strip()[-300:]}")
    return done


def time_asks(ask, questions: list[str]) -> Latency:
    ask(questions[0])  # the first call pays one-off costs (tokenizer warm-up); users see warm latency
    timings = []
    for question in questions:
        started = time.perf_counter()
        try:
            ask(question)
        except Exception:  # noqa: BLE001 - a refused question still took time; keep timing the rest
            pass
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return Latency(statistics.median(timings), timings[min(len(timings) - 1, int(0.95 * len(timings)))],
                   len(timings))


def _peak_rss_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # Linux reports kilobytes
