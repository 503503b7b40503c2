"""Measure the passage store's backends over a built library: size on disk, load/sync time, memory, search
and warm-ask latency (the numbers in docs/scaling.md).

    .venv/bin/python scripts/store_bench.py --index-root /tmp/lib [--backend faiss --backend milvus]

Each backend runs in its own process, so its memory is its own. The questions are written here, generic
to children's services and probation reports (none is an eval question).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

QUESTIONS = [
    "How well are care leavers supported into education and employment?",
    "What did inspectors find about the multi-agency safeguarding hub?",
    "How stable is the social work workforce?",
    "Are children in care visited regularly by their social workers?",
    "What should the local authority improve first?",
    "How good is the quality of assessments?",
    "How are children who go missing from home helped?",
    "What is the overall judgement for children who need help and protection?",
    "How effective is the local safeguarding children board?",
    "How well does the council track adoption performance?",
    "Do managers oversee casework effectively?",
    "How are the voices of children heard in planning?",
    "What happens when a child is at risk of sexual exploitation?",
    "How quickly are children placed with adopters?",
    "How well are private fostering arrangements identified?",
    "What support do personal advisers give young people leaving care?",
    "Are caseloads manageable for social workers?",
    "How does the authority respond to domestic abuse referrals?",
    "What is the quality of supervision for frontline staff?",
    "How are disabled children supported?",
]
FILTERS = {"none": {}, "publisher": {"publisher": "Ofsted"}, "since 2020": {"since": "2020"}}


def _rss_mb() -> float:
    """Resident memory of this process and its children now (milvus-lite runs its engine in a child)."""
    total = 0
    pids = [os.getpid()]
    try:
        pids += [int(p) for p in Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").read_text().split()]
    except OSError:
        pass
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def _percentiles(seconds: list[float]) -> dict[str, float]:
    ms = sorted(s * 1000 for s in seconds)
    return {"p50_ms": round(statistics.median(ms), 1), "p95_ms": round(ms[int(0.95 * (len(ms) - 1))], 1)}


def _folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def measure(backend: str, index_root: Path, store_uri: str) -> dict:
    from ingest.catalog import list_reports
    from ingest.embed import make_embedder
    from ingest.settings import load_settings
    from retrieval.library import Library
    from retrieval.store import Where, open_store, sync_library

    settings = load_settings(index_root=index_root, store_backend=backend, store_uri=store_uri)
    entries = list_reports(index_root)
    embedder = make_embedder(settings.model, settings.batch_size, 1, settings.embed_backend)
    vectors = embedder.embed(QUESTIONS)
    before = _rss_mb()
    started = time.perf_counter()
    store = open_store(settings)
    sync_library(store, entries)
    loaded = time.perf_counter() - started
    store.search(QUESTIONS[0], vectors[0], 60)  # first search builds what the store keeps in memory
    result = {"backend": backend, "reports": len(entries), "load_or_sync_s": round(time.perf_counter() - started, 2),
              "sync_only_s": round(loaded, 2), "store_rss_mb": round(_rss_mb() - before, 1)}
    if backend == "faiss":
        result["disk_mb"] = round(sum(_folder_bytes(e.path) for e in entries) / 2**20, 1)
        result["vector_files_mb"] = round(sum((e.path / n).stat().st_size for e in entries
                                              for n in ("chunks.faiss", "sentences.faiss")) / 2**20, 1)
    else:
        uri = Path(store_uri or Path(index_root) / ".milvus" / "store.db")
        result["disk_mb"] = round(_folder_bytes(uri.parent) / 2**20, 1) if uri.exists() else None
    for name, where in FILTERS.items():
        for mode in ("hybrid", "dense"):
            times = []
            for _ in range(3):
                for question, vector in zip(QUESTIONS, vectors, strict=True):
                    t = time.perf_counter()
                    store.search(question, vector, 60, Where(**where), mode)
                    times.append(time.perf_counter() - t)
            result[f"search {mode} k60 filter={name}"] = _percentiles(times)
    one = entries[len(entries) // 2].id
    times = []
    for question, vector in zip(QUESTIONS, vectors, strict=True):
        t = time.perf_counter()
        store.search(question, vector, 60, Where(reports=(one,)))
        times.append(time.perf_counter() - t)
    result["search hybrid k60 one report"] = _percentiles(times)
    library = Library(settings, embedder=embedder)
    library.warm()
    for question in QUESTIONS:  # first pass loads the shortlisted reports' engines
        library.ask(question)
    times = []
    for question in QUESTIONS * 2:
        t = time.perf_counter()
        library.ask(question)
        times.append(time.perf_counter() - t)
    result["library warm ask"] = _percentiles(times)
    result["process_rss_mb"] = round(_rss_mb(), 1)
    result["max_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index-root", type=Path, required=True, help="a built library (report-qa ingest ...)")
    parser.add_argument("--backend", action="append", choices=("faiss", "milvus"),
                        help="repeatable (default: both)")
    parser.add_argument("--store-uri", default="", help="milvus: a file or server (default: under --index-root)")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # a child process: measure this backend, print JSON
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.index_root, args.store_uri)))
        return 0
    for backend in args.backend or ["faiss", "milvus"]:
        out = subprocess.run([sys.executable, __file__, "--index-root", str(args.index_root), "--store-uri",
                              args.store_uri, "--one", backend], capture_output=True, text=True, check=False)
        if out.returncode:
            print(out.stderr[-2000:], file=sys.stderr)
            return out.returncode
        print(json.dumps(json.loads(out.stdout.strip().splitlines()[-1]), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
