"""`report-qa bench`: speed and memory, measured, with the LangChain baseline in the same run.

What it measures, each the way a user meets it:
- ingest: a fresh `report-qa ingest` of the bundled report in a new process (imports and model load included);
- cold ask: `report-qa ask "…"` in a new process, wall time and peak memory, median of 5 (what a shell user pays);
- ask: warm single-question latency (p50 / p95) over the eval questions, in this process;
- batch: `report-qa ask --batch` of 100 questions in a new process, index and model load included;
- memory: peak resident memory of the batch process and of this one;
- baseline: the plain LangChain pipeline's build time and warm ask latency, on the same questions.
- library (only with --library FOLDER or --library-index DIR): a fresh `report-qa ingest FOLDER` in a new
  process (wall, pages/s, files refused), then, in another new process holding the whole library, its load
  time (what `serve` pays before the first answer), warm `ask` p50 / p95 across all reports over the
  Ofsted eval questions, and that process's memory.
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
LIBRARY_QUESTIONS = sorted(Path(__file__).resolve().parent.glob("ofsted-*.jsonl"))
BATCH_SIZE = 100
COLD_RUNS = 5
LIBRARY_ASKS = 50


@dataclass
class Latency:
    p50_ms: float
    p95_ms: float
    n: int


def add_bench(commands) -> None:
    from ingest.cli_options import common_options

    bench = commands.add_parser("bench", parents=[common_options()], help="measure ingest time, latency, memory",
                                description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    bench.add_argument("--dataset", type=Path, default=DATASET, help="questions to time (default: the eval set)")
    bench.add_argument("--library", type=Path, metavar="FOLDER",
                       help="also ingest this folder of reports fresh and time asking across all of them")
    bench.add_argument("--library-index", type=Path, metavar="DIR",
                       help="also time asking across this already-built library (no ingest timed)")
    bench.add_argument("--library-only", action="store_true", help="with --library/--library-index: skip the "
                       "bundled-report measurements")
    bench.set_defaults(handler=run_bench)


def run_bench(args: argparse.Namespace) -> int:
    from ingest.errors import ReportQAError

    if args.library_only and not (args.library or args.library_index):
        raise ReportQAError("--library-only needs --library FOLDER or --library-index DIR.")
    if not args.library_only:
        run_bundled_bench(args)
    if args.library or args.library_index:
        run_library_bench(args.library, args.library_index)
    return 0


def run_bundled_bench(args: argparse.Namespace) -> None:
    from ingest.cli_options import settings_from
    from retrieval.baseline import LangChainBaseline
    from retrieval.engine import Engine

    questions = _questions(args.dataset)
    with tempfile.TemporaryDirectory(prefix="report-qa-bench-") as scratch:
        ingest_seconds, record = time_fresh_ingest(Path(scratch))
        counts = record["counts"]
        print(f"ingest (new process, model load included): {ingest_seconds:.1f} s — "
              + ", ".join(f"{k} {v}" for k, v in counts.items() if k in ("sections", "chunks", "tables",
                                                                           "figures", "examples",
                                                                           "glossary_entries")))
        print(f"  stages: {stage_text(record.get('stages', {}))} · {record.get('pages', 0)} pages, "
              f"{record.get('pages', 0) / max(ingest_seconds, 1e-9):.1f} pages/s")
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


def run_library_bench(folder: Path | None, index_root: Path | None) -> None:
    """Ingest `folder` fresh (unless a built `index_root` is given) and time asks across the whole library."""
    from ingest.errors import ReportQAError

    with tempfile.TemporaryDirectory(prefix="report-qa-bench-library-") as scratch:
        if index_root is None:
            if not folder.is_dir():
                raise ReportQAError(f"--library {folder} is not a folder; give a folder of .pdf/.txt/.md reports.")
            index_root = Path(scratch) / "index"
            ingest = time_library_ingest(folder, index_root)
            print(f"library ingest of {folder} (new process): {ingest.seconds:.0f} s ({ingest.seconds / 60:.1f} min) · "
                  f"{ingest.built} reports built, {ingest.failed} refused · {ingest.pages} pages, "
                  f"{ingest.pages / max(ingest.seconds, 1e-9):.1f} pages/s")
            print(f"  stages, summed over the reports (parsing runs beside embedding): {stage_text(ingest.stages)}")
            for line in ingest.errors:
                print(f"  {line}")
        stats = time_library_asks(index_root, library_questions())
        print(f"library of {stats['reports']} reports, {stats['chunks']} passages: load {stats['load_s']:.2f} s "
              f"(reports listed, model and first-stage vectors read)")
        print(f"ask across the library, warm: p50 {stats['p50_ms']:.1f} ms, p95 {stats['p95_ms']:.1f} ms over "
              f"{stats['n']} questions (first pass, engines loading: p95 {stats['first_p95_ms']:.0f} ms; "
              f"{stats['engines']} report engines loaded)")
        print(f"memory of the process holding the library: {stats['rss_mb']:.0f} MB resident, "
              f"peak {stats['peak_mb']:.0f} MB")


@dataclass
class LibraryIngest:
    seconds: float
    built: int
    failed: int
    pages: int
    errors: list[str]
    stages: dict[str, float]


def time_library_ingest(folder: Path, index_root: Path) -> LibraryIngest:
    started = time.perf_counter()
    done = _cli(["ingest", "--json", "--index-root", str(index_root), str(folder)], allowed=(0, 2))
    seconds = time.perf_counter() - started
    out = json.loads(done.stdout or '{"reports": []}')
    records = out["reports"] if isinstance(out, dict) and "reports" in out else [out]  # one file: its object
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    pages = sum(_pages(Path(r["index_dir"])) for r in records if not r.get("reused"))
    stages = out.get("total", {}).get("stages") or records[0].get("stages", {}) if records else {}
    return LibraryIngest(seconds, sum(1 for r in records if not r.get("reused")), len(errors), pages, errors,
                         stages)


def stage_text(stages: dict[str, float]) -> str:
    """Example: {"parse": 0.4, "embed": 3.1} -> "parse 0.4 s · embed 3.1 s"."""
    return " · ".join(f"{stage} {seconds:.1f} s" for stage, seconds in stages.items()) or "not reported"


def _pages(index_dir: Path) -> int:
    from ingest.store import read_manifest

    manifest = read_manifest(index_dir)
    return int(manifest.pages or 0) if manifest is not None else 0


def library_questions(limit: int = LIBRARY_ASKS) -> list[str]:
    """An even sample of the Ofsted eval questions (some name a place, most do not)."""
    questions = list(dict.fromkeys(q for path in LIBRARY_QUESTIONS for q in _questions(path)))
    step = max(1, len(questions) // limit)
    return questions[::step][:limit]


def time_library_asks(index_root: Path, questions: list[str]) -> dict:
    """Asks across the library in a new process: its load time, latency and memory are the library's own."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(questions, handle)
    try:
        with tempfile.TemporaryFile() as out:
            child = subprocess.Popen([sys.executable, "-c", "import evals.bench as b; b._library_worker()",
                                      str(index_root), handle.name], stdout=out, stderr=subprocess.PIPE, env=_env(),
                                     cwd=Path(__file__).resolve().parent.parent)
            errors = child.stderr.read()
            _, status, usage = os.wait4(child.pid, 0)
            child.returncode = os.waitstatus_to_exitcode(status)
            out.seek(0)
            text = out.read().decode()
        if child.returncode != 0:
            from ingest.errors import ReportQAError

            raise ReportQAError(f"asking across the library {index_root} failed: {errors.decode()[-300:]}")
        return {**json.loads(text), "peak_mb": usage.ru_maxrss / 1024}
    finally:
        os.unlink(handle.name)


def _library_worker() -> None:
    """Child of `time_library_asks`: argv is INDEX_ROOT QUESTIONS.json; prints one JSON object."""
    from ingest.settings import load_settings
    from retrieval.library import Library

    index_root, questions_file = sys.argv[1], sys.argv[2]
    questions = json.loads(Path(questions_file).read_text(encoding="utf-8"))
    started = time.perf_counter()
    library = Library(load_settings(index_root=Path(index_root)))
    library.warm()
    load = time.perf_counter() - started
    first = time_asks(library.ask, questions)  # loads the engines the questions reach
    warm = time_asks(library.ask, questions)
    print(json.dumps({"reports": len(library.entries), "chunks": sum(e.metadata.chunks for e in library.entries),
                      "load_s": load, "p50_ms": warm.p50_ms, "p95_ms": warm.p95_ms, "n": warm.n,
                      "first_p95_ms": first.p95_ms, "engines": len(library._engines),  # noqa: SLF001
                      "rss_mb": _current_rss_mb()}))


def _current_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return _peak_rss_mb(resource.RUSAGE_SELF)


def _questions(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["question"] for line in lines if line.strip()]


def time_fresh_ingest(scratch: Path) -> tuple[float, dict]:
    """Wall seconds of a fresh ingest of the bundled report in a new process, and its JSON record (counts,
    seconds per stage, pages)."""
    index_root = scratch / "index"
    started = time.perf_counter()
    done = _cli(["ingest", "--json", "--index-root", str(index_root), str(BUNDLED_REPORT)])
    seconds = time.perf_counter() - started
    return seconds, json.loads(done.stdout)


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
