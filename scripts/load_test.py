"""Many users at once against a running `report-qa serve`: bounded, loopback, through the `/ask` endpoint.

    report-qa serve &                      # in another shell; this script starts nothing itself
    python scripts/load_test.py            # 16 users x 4 questions against http://127.0.0.1:7860
    python scripts/load_test.py --users 8 --questions 2 --url http://127.0.0.1:7861

Each simulated user opens its own gradio_client connection and asks its questions one after another,
as a person would; latency is measured per question, from submit to answer.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

QUESTIONS = [
    "What does ATR stand for?",
    "How many cases were in the inspection sample?",
    "What proportion of NPS cases with an alcohol need had sufficient intervention?",
    "How many cases do some CRC officers hold?",
    "What is the CJMH team?",
    "What does the report say about the weather in Stoke?",  # an abstention costs the same work
]
# Bounds: this is a check that a small team can share the app, not a stress tool.
MAX_USERS = 64
MAX_QUESTIONS = 20


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)  # seconds, answered questions only
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile. Example: percentile([1, 2, 3, 4], 0.5) -> 2; (..., 0.95) -> 4."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * share // 1))  # ceil(n * share), at least the first value
    return ordered[int(rank) - 1]


def one_user(url: str, user: int, questions: int) -> tuple[list[float], list[str]]:
    from gradio_client import Client

    latencies, failures = [], []
    try:
        client = Client(url, analytics_enabled=False, verbose=False)
    except Exception as err:  # the server is down or refused us: every question of this user fails
        return [], [f"user {user}: cannot connect ({type(err).__name__}: {err})"] * questions
    for i in range(questions):
        question = QUESTIONS[(user + i) % len(QUESTIONS)]
        started = time.perf_counter()
        try:
            answer = client.predict(question, api_name="/ask")
        except Exception as err:
            failures.append(f"user {user}: {type(err).__name__}: {err}")
            continue
        if not isinstance(answer, dict) or "error" in answer or not answer.get("answer"):
            failures.append(f"user {user}: bad answer to {question!r}: {str(answer)[:120]}")
            continue
        latencies.append(time.perf_counter() - started)
    return latencies, failures


def run(url: str, users: int = 16, questions: int = 4) -> Result:
    users, questions = min(users, MAX_USERS), min(questions, MAX_QUESTIONS)
    result = Result()
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=users) as pool:
        for latencies, failures in pool.map(lambda u: one_user(url, u, questions), range(users)):
            result.latencies += latencies
            result.failures += failures
    result.seconds = time.perf_counter() - started
    return result


def report(result: Result, users: int, questions: int) -> str:
    asked = len(result.latencies) + len(result.failures)
    lines = [
        f"{users} users x {questions} questions = {asked} requests in {result.seconds:.1f}s "
        f"({asked / result.seconds:.1f} answers/s)" if result.seconds else "no requests",
        f"answered {len(result.latencies)}, failed {len(result.failures)}",
        f"latency p50 {percentile(result.latencies, 0.5) * 1000:.0f} ms, "
        f"p95 {percentile(result.latencies, 0.95) * 1000:.0f} ms, "
        f"max {max(result.latencies, default=float('nan')) * 1000:.0f} ms",
    ]
    lines += [f"  failure: {f}" for f in result.failures[:10]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:7860", help="a running app (default: %(default)s)")
    parser.add_argument("--users", type=int, default=16, help=f"concurrent users (max {MAX_USERS})")
    parser.add_argument("--questions", type=int, default=4, help=f"questions per user (max {MAX_QUESTIONS})")
    args = parser.parse_args(argv)
    if args.users < 1 or args.questions < 1:
        parser.error("--users and --questions must be at least 1")
    users, questions = min(args.users, MAX_USERS), min(args.questions, MAX_QUESTIONS)
    result = run(args.url, users, questions)
    print(report(result, users, questions))
    return 1 if result.failures else 0


if __name__ == "__main__":
    sys.exit(main())
