"""scripts/load_test.py: argument bounds and statistics helpers, with no server."""

from __future__ import annotations

import importlib.util
import random
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "load_test.py"


@pytest.fixture(scope="module")
def lt():
    spec = importlib.util.spec_from_file_location("load_test", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["load_test"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_percentile_is_nearest_rank(lt):
    assert lt.percentile([1, 2, 3, 4], 0.5) == 2
    assert lt.percentile([4, 3, 2, 1], 0.95) == 4
    assert lt.percentile([7.0], 0.5) == 7.0
    assert lt.percentile(list(range(1, 101)), 0.95) == 95
    assert lt.percentile([], 0.5) != lt.percentile([], 0.5)  # nan
    with pytest.raises(ValueError, match="share"):
        lt.percentile([1], 0)


def test_summary_counts_answers_errors_and_429_apart(lt):
    stats = lt.Stats(latencies=[0.1, 0.2, 0.3, 0.4], errors=["HTTP 500"], refused=3, seconds=2.0)
    s = lt.summary(stats)
    assert s["requests"] == 8 and s["answered"] == 4 and s["errors"] == 1 and s["refused_429"] == 3
    assert s["throughput"] == 2.0
    assert s["p50_ms"] == 200.0 and s["p95_ms"] == 400.0 and s["max_ms"] == 400.0
    assert "429 3" in lt.report(stats, 16, 0.0)


def test_variants_are_distinct_and_keep_the_question(lt):
    rng = random.Random(1)
    texts = {lt.variant("What is the CJMH team?", rng) for _ in range(200)}
    assert len(texts) == 200
    assert all(t.startswith("What is the CJMH team?") for t in texts)


@pytest.mark.parametrize("argv, fragment", [
    (["--clients", "0"], "--clients"),
    (["--clients", "1000"], "--clients"),
    (["--think", "-1"], "--think"),
    (["--duration", "0"], "--duration"),
    (["--duration", "99999"], "--duration"),
    (["--max-requests", "0"], "--max-requests"),
    (["--soak", "0"], "--soak"),
    (["--server-pid", "0"], "--server-pid"),
    (["--url", "http://example.com:7860"], "loopback"),
    (["--url", "https://127.0.0.1:7860"], "loopback"),
])
def test_bad_arguments_are_refused_with_the_value(lt, argv, fragment, capsys):
    with pytest.raises(SystemExit) as exit_info:
        lt.main(argv)
    assert exit_info.value.code == 2
    assert fragment in capsys.readouterr().err


def test_defaults_are_valid_and_the_help_mentions_the_cache(lt):
    args = lt.parser().parse_args([])
    lt.validate(args)
    assert args.clients == 16 and args.duration == 30.0 and args.url.startswith("http://127.0.0.1")
    assert args.max_requests == 20_000
    soak = lt.parser().parse_args(["--soak", "600"])
    lt.validate(soak)
    assert soak.max_requests == lt.MAX_REQUESTS  # a soak is bounded by its time, not the run's budget
    assert "cache" in lt.parser().format_help()


def test_questions_come_from_the_dataset(lt, tmp_path):
    assert len(lt.load_questions()) > 10
    empty = tmp_path / "q.jsonl"
    empty.write_text('{"id": "x"}\n', encoding="utf-8")
    with pytest.raises(SystemExit, match="no questions"):
        lt.load_questions(empty)
