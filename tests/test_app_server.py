"""A launched server on a free loopback port, asked through `/ask` with gradio_client; the real engine."""

from __future__ import annotations

import importlib.util
import os
import socket
import sys
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

pytestmark = pytest.mark.slow

FAIL_PHRASE = "trigger an internal error"
ROOT = Path(__file__).resolve().parent.parent


class FailsOnDemand:
    """The real engine, except one phrase raises as a bug deep in retrieval would."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.document = engine.document

    def __getattr__(self, name: str):  # settings, manifest, strategy: the real engine's
        return getattr(self.engine, name)

    def ask(self, question: str, **kwargs):
        if FAIL_PHRASE in question:
            raise RuntimeError("simulated failure")
        return self.engine.ask(question, **kwargs)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def launch_for_tests(engine):
    """Launch the app on loopback without blocking; returns (demo, url). The caller closes it."""
    from ui.app import build_app, launch_app

    demo = build_app(FailsOnDemand(engine))
    _, url, _ = launch_app(demo, "127.0.0.1", free_port(), prevent_thread_lock=True, quiet=True)
    return demo, url.rstrip("/")


@pytest.fixture(scope="module")
def real_engine(real_index):
    from retrieval.engine import Engine

    settings, _ = real_index
    return Engine.load(settings=settings)


@pytest.fixture(scope="module")
def server(real_engine):
    demo, url = launch_for_tests(real_engine)
    yield url
    demo.close()


@pytest.fixture(scope="module")
def client(server):
    from gradio_client import Client

    return Client(server, analytics_enabled=False, verbose=False)


def test_ask_returns_the_answer_json_with_citations(client, real_engine):
    result = client.predict("What does ATR stand for?", api_name="/ask")
    expected = real_engine.ask("What does ATR stand for?").to_json()
    # The same JSON as `report-qa ask --json`; only the timings differ between two runs.
    assert result == expected | {"timings_ms": result["timings_ms"]}
    assert "Alcohol Treatment Requirement" in result["answer"]
    citation = result["citations"][0]
    assert citation["pages"] == [61] and citation["quote"] in citation["text"]


@pytest.mark.parametrize("question, words", [
    ("", "empty"),  # empty question
    ("x" * 100_000, "100,000 characters"),  # far too long
])
def test_bad_questions_come_back_as_errors(client, question, words):
    result = client.predict(question, api_name="/ask")
    assert set(result) == {"error"} and words in result["error"]


def test_an_internal_error_is_reported_and_the_server_keeps_serving(client):
    failed = client.predict(f"please {FAIL_PHRASE}", api_name="/ask")
    assert set(failed) == {"error"} and "RuntimeError" in failed["error"]
    assert client.predict("What does ATR stand for?", api_name="/ask")["citations"]


def test_sixteen_people_asking_at_once_all_get_answers(real_engine):
    """scripts/load_test.py, bounded to 16 questions in all, against `serve`'s wiring (chat + REST API)."""
    from ui import api
    from ui.app import build_app, launch_app

    spec = importlib.util.spec_from_file_location("load_test", ROOT / "scripts" / "load_test.py")
    load_test = importlib.util.module_from_spec(spec)
    sys.modules["load_test"] = load_test  # dataclasses look their module up while the class is built
    spec.loader.exec_module(load_test)
    service = api.ApiService.for_engine(real_engine)
    demo = api.harden(build_app(real_engine, feedback_store=None), service, api.ServeSecurity())
    _, url, _ = launch_app(demo, "127.0.0.1", free_port(), prevent_thread_lock=True, quiet=True)
    try:
        stats = load_test.run(url.rstrip("/"), clients=16, think=0.0, duration=60.0, max_requests=16,
                              questions=load_test.load_questions())
    finally:
        demo.close()
    assert stats.errors == []
    assert len(stats.latencies) + stats.refused == 16 and stats.latencies
    assert "p95" in load_test.report(stats, 16, 0.0)
