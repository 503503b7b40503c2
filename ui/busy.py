"""When every answer slot is taken: the chat says "busy, try again in N s" instead of hanging or failing.

The chat and the REST API (`report-qa serve` shares one `AnswerGate` between them) answer at most
`concurrency` questions at once and let a bounded number more wait for a slot. A question beyond that, or
one that waited the gate's whole `wait_seconds`, is answered at once with the busy message; the question
stays in the conversation so the user can send it again. Gradio's own queue in front of the chat is sized
in ui/app.py (MAX_QUEUE) so that 64 users never reach its "application is busy" limit; when more than
MAX_BACKLOG chat turns wait in it, a turn is answered "busy" too, so that an overload is told at once instead
of every turn waiting ever longer there.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from retrieval.records import Answer
from ui import render
from ui.api import RETRY_AFTER, AnswerGate, ApiError

MAX_BACKLOG = 32  # chat turns waiting in Gradio's queue (beyond those at the gate) before a turn says "busy"
_DRAW_LOCK = threading.Lock()  # matplotlib shares its font cache between figures: one drawing at a time
# Charts already drawn, by table: a report has a few dozen tables and the same ones answer many questions,
# so a chart (~100 ms of CPU, most of a chat turn's cost) is drawn once per table, not once per answer.
MAX_CHARTS = 128  # a drawn chart is ~20-40 KB
_CHARTS: OrderedDict[tuple, Any] = OrderedDict()
_CHARTS_LOCK = threading.Lock()
BUSY_TEXT = ("The server is busy answering other questions; try again in {seconds} s. "
             "Your question is kept above: send it again then.")
ChatResult = tuple[list[dict], Answer | None]


def busy_text(seconds: int = RETRY_AFTER) -> str:
    """Example: busy_text(2) -> "The server is busy answering other questions; try again in 2 s. ..."."""
    return BUSY_TEXT.format(seconds=seconds)


def busy_turn(message: str, history: list[dict] | None, seconds: int = RETRY_AFTER) -> ChatResult:
    """The conversation with the question and, as the reply, the busy message (no answer object)."""
    messages = render.normalise_history(history)
    return [*messages, {"role": "user", "content": render.user_echo(message)},
            render.error_message(busy_text(seconds))], None


def gradio_backlog(concurrency_id: str = "chat") -> int:
    """How many turns of `concurrency_id` wait in Gradio's queue, seen from inside an event handler; 0 when
    Gradio does not say (outside a handler, or a Gradio whose queue is laid out otherwise: a private detail)."""
    from gradio.context import LocalContext

    try:
        blocks = LocalContext.blocks.get(None)
        return len(blocks._queue.event_queue_per_concurrency_id[concurrency_id].queue)  # noqa: SLF001
    except (AttributeError, KeyError, TypeError):
        return 0


def answer_or_busy(gate: AnswerGate | None, work: Callable[[], ChatResult], message: str,
                   history: list[dict] | None, backlog: Callable[[], int] = gradio_backlog,
                   max_backlog: int = MAX_BACKLOG) -> ChatResult:
    """`work()` (one chat turn) inside the gate, or the busy turn when the gate is full, the wait for a slot
    too long, or more than `max_backlog` turns wait in Gradio's queue behind this one.
    A blank message never takes a slot. Without a gate the work runs as it is."""
    if gate is None or not (message or "").strip():
        return work()
    if backlog() > max_backlog:
        return busy_turn(message, history)
    try:
        gate.enter()
    except ApiError:
        return busy_turn(message, history)
    try:
        return gate.run(work)
    except ApiError:  # waited `wait_seconds` without a slot
        return busy_turn(message, history)
    finally:
        gate.leave()


def chat_gate(gate: Any = None) -> AnswerGate:
    """The gate the chat answers through: the one given (serve shares the REST API's), else a new one."""
    return gate if isinstance(gate, AnswerGate) else AnswerGate()


def drawn(chart: Any) -> Any:
    """A matplotlib chart drawn to an image here, in the handler's worker thread, as Gradio's PlotData.

    Left as a figure, Gradio draws it in its event loop, which then serves no other user -- no queue update,
    no answer sent -- for the ~120 ms a chart takes (most of a loaded server's latency spikes). None stays None.
    """
    if chart is None or "matplotlib" not in type(chart).__module__:
        return chart
    from gradio import processing_utils
    from gradio.components.plot import PlotData

    with _DRAW_LOCK:
        image = processing_utils.encode_plot_to_base64(chart, "webp")  # gr.Plot's own default format
    return PlotData(type="matplotlib", plot=image)


def figure_key(figure: Any) -> tuple:
    """What a table's chart depends on: its label, caption, source, columns and rows."""
    return (figure.kind, figure.label, figure.caption, figure.source, tuple(figure.columns),
            tuple(tuple(row) for row in figure.rows))


def chart_of(figure: Any, draw: Callable[[Any], Any] = render.chart_figure) -> Any:
    """The table's chart as Gradio's PlotData (None when the table makes no chart), drawn once and kept
    for the next answer that shows the same table (the MAX_CHARTS most recently shown)."""
    key = figure_key(figure)
    with _CHARTS_LOCK:
        if key in _CHARTS:
            _CHARTS.move_to_end(key)
            return _CHARTS[key]
    chart = drawn(draw(figure))
    with _CHARTS_LOCK:
        _CHARTS[key] = chart
        while len(_CHARTS) > MAX_CHARTS:
            _CHARTS.popitem(last=False)
    return chart
