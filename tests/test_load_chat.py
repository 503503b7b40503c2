"""scripts/load_test.py --target chat: the Gradio queue protocol the browser speaks, and busy replies counted
apart from errors. Helpers without a server; then a bounded run against `serve`'s wiring (hashing fake)."""

from __future__ import annotations

import threading
import time

import pytest


@pytest.fixture(scope="module")
def lt():
    """scripts/load_test.py as the module `load_test` (the one tests/test_load_script.py loads, if it did)."""
    import importlib
    import sys
    from pathlib import Path

    scripts = str(Path(__file__).resolve().parents[1] / "scripts")
    if scripts not in sys.path:
        sys.path.append(scripts)
    return importlib.import_module("load_test")


CONFIG = {
    "components": [{"id": 1, "type": "textbox", "props": {"elem_id": "rq-question"}},
                   {"id": 2, "type": "chatbot", "props": {"elem_id": "rq-chat"}},
                   {"id": 3, "type": "state", "props": {}},
                   {"id": 5, "type": "button", "props": {"elem_id": "rq-ask"}}],
    "dependencies": [{"id": 0, "targets": [[1, "submit"]], "inputs": [1, 2, 3]},
                     {"id": 4, "targets": [[5, "click"]], "inputs": [1, 2, 3]}],
}


def completed(text, success=True):
    return {"msg": "process_completed", "success": success,
            "output": {"data": [[{"role": "user", "content": "q"},
                                 {"role": "assistant", "content": [{"type": "text", "text": text}]}]]}}


def test_the_ask_button_event_is_found_in_the_config(lt):
    endpoint = lt.chat_endpoint(CONFIG)
    assert endpoint == lt.ChatEndpoint(4, ("textbox", "chatbot", "state"))
    with pytest.raises(SystemExit, match="rq-ask"):
        lt.chat_endpoint({"components": [], "dependencies": []})


def test_the_join_body_is_what_the_browser_sends(lt):
    import json

    body = json.loads(lt.chat_payload(lt.ChatEndpoint(4, ("textbox", "chatbot", "state", "dropdown")),
                                      "How are cases allocated?", "s1"))
    assert body == {"data": ["How are cases allocated?", [], None, []], "event_data": None, "fn_index": 4,
                    "trigger_id": None, "session_hash": "s1"}


def test_outcomes_answered_busy_and_error(lt):
    assert lt.chat_outcome(completed("Caseloads are 40 [1]"))[0] == "answered"
    busy = "⚠️ The server is busy answering other questions; try again in 2 s."
    assert lt.chat_outcome(completed(busy))[0] == "busy"
    assert lt.chat_outcome(completed("⚠️ Something went wrong (IndexError)"))[0] == "error"
    assert lt.chat_outcome({"msg": "process_completed", "success": False, "output": {"error": "boom"}}) == \
        ("error", "event failed: boom")
    assert lt.chat_reply_text({"data": [[{"role": "assistant", "content": "plain"}]]}) == "plain"


def test_the_report_names_the_target(lt):
    stats = lt.Stats(latencies=[0.1], refused=2, seconds=1.0)
    assert "Gradio chat" in lt.report(stats, 64, 5.0, "chat") and "busy 2" in lt.report(stats, 64, 5.0, "chat")
    assert "429 2" in lt.report(stats, 64, 5.0)


def test_target_is_an_option(lt):
    assert lt.parser().parse_args(["--target", "chat"]).target == "chat"
    assert lt.parser().parse_args([]).target == "api"


class Slow:
    """The engine, slowed, so a gate of one slot fills while a question is being answered."""

    def __init__(self, engine, seconds: float) -> None:
        self.engine, self.seconds = engine, seconds

    def __getattr__(self, name):
        return getattr(self.engine, name)

    def ask(self, *args, **kwargs):
        time.sleep(self.seconds)
        return self.engine.ask(*args, **kwargs)


def _serve(engine, gate=None):
    from tests.test_app_server import free_port
    from ui import api
    from ui.app import build_app, launch_app

    service = api.ApiService.for_engine(engine)
    demo = api.harden(build_app(engine, feedback_store=None, library=None, gate=gate or service.gate), service,
                      api.ServeSecurity())
    _, url, _ = launch_app(demo, "127.0.0.1", free_port(), prevent_thread_lock=True, quiet=True)
    return demo, url.rstrip("/")


@pytest.mark.slow
def test_sixteen_chat_users_get_answers_and_a_full_gate_says_busy(lt, fake_engine):
    demo, url = _serve(fake_engine)
    try:
        stats = lt.run_chat(url, clients=16, think=0.0, duration=60.0, max_requests=32,
                            questions=lt.load_questions())
    finally:
        demo.close()
    assert stats.errors == [] and len(stats.latencies) == 32 and stats.refused == 0

    from ui.api import AnswerGate

    demo, url = _serve(Slow(fake_engine, 0.5), AnswerGate(concurrency=1, waiting=0))
    try:
        results = {}
        threads = [threading.Thread(target=lambda i=i: results.setdefault(i, lt.run_chat(
            url, clients=1, think=0.0, duration=30.0, max_requests=1, questions=lt.load_questions(), seed=i)))
            for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        demo.close()
    answered = sum(len(s.latencies) for s in results.values())
    busy = sum(s.refused for s in results.values())
    assert sum(len(s.errors) for s in results.values()) == 0
    assert answered >= 1 and busy >= 1 and answered + busy == 4  # never an error, never a hang


def _turn(lt, url, question, session):
    """One Ask through Gradio's queue, as the browser sends it: the process_completed message."""
    import http.client
    import json

    host, port = lt.check_url(url)
    endpoint = lt.find_chat(host, port)
    conn = http.client.HTTPConnection(host, port, timeout=30)
    try:
        conn.request("POST", f"{lt.GRADIO}/queue/join", lt.chat_payload(endpoint, question, session),
                     {"Content-Type": "application/json"})
        event_id = json.loads(conn.getresponse().read())["event_id"]
        conn.request("GET", f"{lt.GRADIO}/queue/data?session_hash={session}")
        return lt._completed(conn.getresponse(), event_id)  # noqa: SLF001
    finally:
        conn.close()


@pytest.mark.slow
def test_a_chat_turn_brings_the_conversation_to_keep_and_sessions_are_bounded(lt, fake_engine):
    """The browser's copy of the conversation comes with the answer (no second event per turn); each new
    conversation holds only its own turns; Gradio keeps at most MAX_SESSIONS sessions' state."""
    from ui.app import MAX_SESSIONS

    demo, url = _serve(fake_engine)
    try:
        assert demo.state_session_capacity == MAX_SESSIONS
        for _ in range(3):  # the same browser session, each question in a new conversation
            message = _turn(lt, url, "How many cases were in the inspection sample?", "kept1")
            assert lt.chat_outcome(message)[0] == "answered"
        saved = message["output"]["data"][-1]
        shown = message["output"]["data"][0]  # the chat as Gradio sends it: content as a list of parts
        assert len(saved["messages"]) == len(shown)
        assert lt.chat_reply_text({"data": [shown]}) == saved["messages"][-1]["content"]
        assert saved["messages"][0] == {"role": "user", "content": "How many cases were in the inspection sample?"}
        assert [t["question"] for t in saved["turns"]] == ["How many cases were in the inspection sample?"]
    finally:
        demo.close()
