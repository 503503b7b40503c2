"""A full answer gate gives the chat a clear "busy, try again in N s" reply, never a hang or an error."""

from __future__ import annotations

import threading
import time

import pytest

from ui import busy
from ui.api import RETRY_AFTER, AnswerGate


def answered(message="How are cases allocated?", history=None):
    return [*(history or []), {"role": "user", "content": message},
            {"role": "assistant", "content": "an answer"}], "answer-object"


def test_a_free_gate_runs_the_turn():
    gate = AnswerGate(concurrency=1, waiting=0)
    assert busy.answer_or_busy(gate, answered, "How are cases allocated?", []) == answered()
    assert gate.pending == 0  # the place is given back


def test_a_full_gate_says_busy_at_once_and_keeps_the_question():
    gate = AnswerGate(concurrency=1, waiting=0)
    gate.enter()  # someone else is being answered
    history = [{"role": "user", "content": "earlier"}, {"role": "assistant", "content": "reply"}]
    called = []
    messages, answer = busy.answer_or_busy(gate, lambda: called.append(1), "How are cases allocated?", history)
    assert called == [] and answer is None
    assert messages[:2] == history
    assert messages[2] == {"role": "user", "content": "How are cases allocated?"}
    assert f"try again in {RETRY_AFTER} s" in messages[3]["content"]
    assert messages[3]["role"] == "assistant"
    gate.leave()
    assert gate.pending == 0


def test_waiting_too_long_for_a_slot_says_busy():
    gate = AnswerGate(concurrency=1, waiting=1, wait_seconds=0.05)
    release = threading.Event()
    holder = threading.Thread(target=lambda: busy.answer_or_busy(
        gate, lambda: (release.wait(5), answered())[1], "first question here", None))
    holder.start()
    while gate.pending == 0:
        pass
    messages, answer = busy.answer_or_busy(gate, answered, "second question here", None)
    release.set()
    holder.join(5)
    assert answer is None and "busy" in messages[-1]["content"]
    assert gate.pending == 0


def test_blank_messages_and_no_gate_skip_the_gate():
    gate = AnswerGate(concurrency=1, waiting=0)
    gate.enter()
    assert busy.answer_or_busy(gate, lambda: ([], None), "   ", []) == ([], None)
    assert busy.answer_or_busy(None, answered, "How are cases allocated?", []) == answered()


def test_the_busy_text_is_plain_and_names_the_seconds():
    assert busy.busy_text(7).startswith("The server is busy answering other questions; try again in 7 s.")
    messages, _ = busy.busy_turn("![x](http://example.com/p.png)", None)
    assert "](http" not in messages[0]["content"]  # the question is echoed as plain text


def test_the_chat_answers_through_the_gate(fake_engine):
    """The chat's respond handler in the app: a full gate gives the busy reply."""
    from ui.app import build_app

    gate = AnswerGate(concurrency=1, waiting=0)
    demo = build_app(fake_engine, feedback_store=None, library=None, gate=gate)
    respond = next(fn for fn in demo.fns.values() if fn.fn is not None and fn.fn.__name__ == "respond")
    gate.enter()
    out = respond.fn("How are cases allocated?", [], [])
    assert "try again in" in out[0][-1]["content"] and out[2] is None
    gate.leave()
    out = respond.fn("How are cases allocated?", [], [])
    assert "try again in" not in out[0][-1]["content"] and out[2] is not None


def test_a_chart_is_drawn_in_the_handler_not_in_gradios_event_loop():
    import gradio as gr
    from gradio.components.plot import PlotData
    from matplotlib.figure import Figure

    chart = Figure()
    chart.add_subplot().barh(["a", "b"], [1, 2])
    data = busy.drawn(chart)
    assert isinstance(data, PlotData) and data.plot.startswith("data:image/webp;base64,")
    assert gr.Plot().postprocess(data) is data  # Gradio passes it through: nothing left to draw
    assert busy.drawn(None) is None


def test_a_long_gradio_queue_says_busy_before_taking_a_slot():
    gate = AnswerGate(concurrency=1, waiting=0)
    messages, answer = busy.answer_or_busy(gate, answered, "How are cases allocated?", [], backlog=lambda: 40)
    assert answer is None and "try again in" in messages[-1]["content"] and gate.pending == 0
    assert busy.answer_or_busy(gate, answered, "How are cases allocated?", [], backlog=lambda: 3) == answered()
    assert busy.gradio_backlog() == 0  # outside a Gradio handler: nothing waits


def test_the_backlog_is_read_from_inside_a_gradio_handler():
    """Three turns at once through a queue of one worker: the last ones see the others waiting."""
    import gradio as gr
    from gradio_client import Client

    from tests.test_app_server import free_port

    release = threading.Event()
    seen = []

    def turn(text):
        release.wait(5)  # the first turn holds the worker until the other two are queued
        seen.append(busy.gradio_backlog("slow"))
        return text

    with gr.Blocks(analytics_enabled=False) as demo:
        box = gr.Textbox()
        box.submit(turn, box, box, api_name="turn", concurrency_id="slow", concurrency_limit=1)
    demo.queue()
    _, url, _ = demo.launch(server_port=free_port(), prevent_thread_lock=True, quiet=True)
    try:
        client = Client(url, verbose=False, analytics_enabled=False)
        jobs = [client.submit("x", api_name="/turn") for _ in range(3)]
        waiting = demo._queue.event_queue_per_concurrency_id  # noqa: SLF001
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and len(getattr(waiting.get("slow"), "queue", ())) < 2:
            time.sleep(0.05)  # until all three joined: one at work, two queued behind it
        release.set()
        [job.result(timeout=10) for job in jobs]
    finally:
        demo.close()
    assert seen[0] == 2 and seen[1:] == [1, 0]


def _figure(label="Table 1", rows=(("Alcohol", "80%"), ("Drugs", "60%"))):
    from retrieval.records import Figure

    return Figure(kind="table", label=label, value=None, describes="", columns=["Need", "Share"],
                  rows=[list(r) for r in rows], caption="Sufficiency of work", source="Inspection data")


@pytest.fixture()
def no_charts(monkeypatch):
    """An empty chart cache for the test (the module's one is shared by the whole app)."""
    from collections import OrderedDict

    monkeypatch.setattr(busy, "_CHARTS", OrderedDict())
    return busy._CHARTS


def test_the_same_table_is_drawn_once(no_charts):
    drawn = []
    draw = lambda figure: drawn.append(figure.label) or f"chart of {figure.label}"  # noqa: E731
    first = busy.chart_of(_figure(), draw)
    again = busy.chart_of(_figure(), draw)  # an equal figure of another answer: the same key
    assert first == again == "chart of Table 1" and drawn == ["Table 1"]
    busy.chart_of(_figure(rows=(("Alcohol", "81%"),)), draw)  # other rows: another chart
    assert drawn == ["Table 1", "Table 1"]


def test_a_table_without_a_chart_is_remembered_too(no_charts):
    drawn = []
    assert busy.chart_of(_figure(), lambda f: drawn.append(1)) is None
    assert busy.chart_of(_figure(), lambda f: drawn.append(1)) is None and drawn == [1]


def test_the_chart_cache_keeps_the_most_recently_shown(no_charts, monkeypatch):
    monkeypatch.setattr(busy, "MAX_CHARTS", 3)
    drawn = []
    draw = lambda figure: drawn.append(figure.label) or figure.label  # noqa: E731
    for n in range(5):
        busy.chart_of(_figure(f"Table {n}"), draw)
    assert len(no_charts) == 3  # bounded
    busy.chart_of(_figure("Table 2"), draw)  # still kept: not drawn again, now the most recent
    busy.chart_of(_figure("Table 5"), draw)  # pushes out the least recently shown, Table 3
    busy.chart_of(_figure("Table 3"), draw)
    assert drawn == [f"Table {n}" for n in range(5)] + ["Table 5", "Table 3"]
    assert len(no_charts) == 3


def test_a_real_chart_is_drawn_to_plot_data_off_the_event_loop(no_charts):
    from gradio.components.plot import PlotData

    chart = busy.chart_of(_figure())
    assert isinstance(chart, PlotData) and chart.type == "matplotlib" and chart.plot.startswith("data:image")
    assert busy.chart_of(_figure()) is chart
