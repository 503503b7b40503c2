"""The Gradio app: a thin shell over `Engine.ask`, the same call `report-qa ask` makes.

    demo = build_app(Engine.load())
    launch_app(demo, host="127.0.0.1", port=7860)

Tabs: Chat (answers, cited passages, figures beside), Read the report, For trainers (practice examples,
handout), For evaluators (run an evaluation: ui/eval_tab.py; the latest CLI run; feedback). The named
endpoint `/ask` returns `Answer.to_json()`.
Handlers are module functions taking the engine, so tests call them without a server.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

# Before gradio is imported: with analytics off a running app makes no outbound connection.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
# Gradio's queue rebuilds a pandas table of its last GRADIO_ANALYTICS_MAX_EVENTS (10,000) events after every
# event, for its monitoring page: at 10,000 that is ~10 ms of CPU per chat turn, growing with uptime. Keep
# fewer and summarise every 100th event.
os.environ.setdefault("GRADIO_ANALYTICS_MAX_EVENTS", "1000")
os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", "100")

import gradio as gr  # noqa: E402

from ingest.catalog import list_reports  # noqa: E402
from ingest.clean import MAX_REPORT_BYTES  # noqa: E402
from ingest.errors import ReportQAError  # noqa: E402
from ingest.settings import BUNDLED_REPORT, PROJECT_ROOT  # noqa: E402
from retrieval.library import Library, Selection  # noqa: E402
from retrieval.records import Answer  # noqa: E402
from ui import busy, downloads, eval_tab, feedback, handout, picked, render, sessions, trainers_tab  # noqa: E402

log = logging.getLogger(__name__)

EVAL_SUMMARY = PROJECT_ROOT / "evals" / "runs" / "latest" / "summary.json"
EXAMPLE_QUESTIONS = [
    "What does ATR stand for?",
    "What proportion of NPS cases with an alcohol need had sufficient intervention?",
    "How many cases were in the inspection sample?",
    "How many cases do some CRC officers hold?",
    "What is the CJMH team?",
]
# Two cores: a few answers at once keep both busy; the rest wait in a bounded queue rather than pile up.
CONCURRENCY = 4
# Gradio's queue holds every user's pending events (64 users: a chat turn each) with room to spare; the
# chat's own bound is the answer gate (ui/busy.py), which says "busy, try again in N s".
MAX_QUEUE = 512
# Chat turns handled at once. A turn is CPU-bound Python (answer, Markdown, chart), so more at once only share
# the GIL: 16 closed-loop clients gave p95 2.8 s at 32, 1.15 s at 6, 0.93 s at 3 (same 24 answers/s, before
# charts were kept). Now that a turn costs ~18 CPU-ms, 2, 3, 4, 6 and 8 all gave 46-58 answers/s, p95 0.37-0.48 s
# (the spread of repeated runs on the shared cores). The rest wait in Gradio's queue, in order; past
# busy.MAX_BACKLOG waiting turns a turn is told "busy" at once.
CHAT_WORKERS = 3
# Browser sessions whose server-side state Gradio keeps (its default is 10,000). Every page load is a session,
# and each holds a copy of the app's component configs (~210 KB for this app's 129 blocks) besides its answers,
# so 10,000 could reach ~2 GB; the least recently active past this many are dropped (their next question starts
# a fresh state: earlier answers can no longer be judged or opened from their [n]).
MAX_SESSIONS = 1_000
INTERNAL_ERROR = ("Something went wrong while answering this question ({kind}). The app is still running: "
                  "try again, or rephrase the question.")

CSS = """
.rq-text { white-space: pre-wrap; line-height: 1.55; }
.rq-section { max-height: 72vh; overflow-y: auto; padding: 0 .5rem; }
.rq-crumbs { font-weight: 600; }
.rq-cited { display: inline-block; width: 100%; background: rgba(255, 214, 0, .12);
            border-left: 4px solid #d9a400; padding-left: .5rem; box-sizing: border-box; }
.rq-muted { opacity: .75; }
mark { background: #ffe066; color: inherit; padding: 0 1px; }
.rq-example { border: 1px solid var(--border-color-primary); border-radius: 6px; padding: .4rem .6rem;
              margin: .4rem 0; }
.rq-example summary { cursor: pointer; font-weight: 600; }
.rq-good summary::before { content: "✔ "; color: #2a8a3e; }
.rq-poor summary::before { content: "✘ "; color: #b3261e; }
.rq-contents { max-height: 72vh; overflow-y: auto; }
.rq-hidden { display: none !important; }
/* Phones (390 px): the question box and Ask stay at the bottom of the screen, the chat fits above them;
   the tabs wrap onto a second line (Tabs overflow_behavior="wrap") rather than hiding in a menu. */
@media (max-width: 640px) {
  #rq-chat { height: 55vh !important; max-height: 55vh; }
  #rq-ask-row { position: fixed; left: 0; right: 0; bottom: 0; z-index: 20; margin: 0; padding: .4rem .5rem;
                background: var(--background-fill-primary); border-top: 1px solid var(--border-color-primary);
                flex-wrap: nowrap !important; gap: .4rem; }
  #rq-ask-row > * { min-width: 0 !important; }
  #rq-ask { min-width: 4.5rem !important; flex: 0 0 auto !important; }
  .gradio-container { padding-bottom: 5rem !important; }
}
"""

# The chat shows text with character references (so a question's Markdown/HTML stays literal) and
# <mark> highlights; its copy buttons copy the raw message. This decodes them for the clipboard, so copied
# text is plain ("a > b", not "a &gt; b"). A textarea's innerHTML is parsed as text: nothing can run.
PAGE_JS = """
() => {
  // An answer's [n] is a link "#rq-cite-<answer>-<n>": hand it to the hidden box, whose change event opens
  // the passage in the reader (for any answer in the conversation, not only the last).
  document.addEventListener("click", (event) => {
    const link = event.target.closest?.("#rq-chat a[href^='#rq-cite-']");
    if (!link) return;
    event.preventDefault();
    event.stopPropagation();
    const box = document.querySelector("#rq-cite-link textarea, #rq-cite-link input");
    if (!box) return;
    // A click counter makes each click a change, even on the same [n] twice.
    window.rqClicks = (window.rqClicks || 0) + 1;
    box.value = `${link.getAttribute("href")}@${window.rqClicks}`;
    box.dispatchEvent(new Event("input", { bubbles: true }));
  }, true);
  const clip = navigator.clipboard;
  if (!clip || clip.rqPlain) return;
  const write = clip.writeText.bind(clip);
  const plainText = (text) => {
    const box = document.createElement("textarea");
    box.innerHTML = String(text).replace(/<\\/?mark>/g, "")
      .replace(/\\[\\[(\\d+)\\]\\]\\(#rq-cite-[\\d-]+\\)/g, "[$1]");
    return box.value;
  };
  clip.writeText = (text) =>
    write(document.activeElement?.closest?.("#rq-chat") ? plainText(text) : text);
  clip.rqPlain = true;
}
"""


# ---------- handlers (no gradio state in here: tests call them directly) ----------


def ask_json(engine, question: str) -> dict[str, Any]:
    """The `/ask` endpoint: the answer's JSON, or {"error": "..."} with one clear line."""
    try:
        return engine.ask(question).to_json()
    except ReportQAError as err:
        return {"error": str(err)}
    except Exception as err:  # the server must keep serving; the log has the traceback
        log.exception("ask failed for %.80r", question)
        return {"error": INTERNAL_ERROR.format(kind=type(err).__name__)}


def chat_turn(engine, message: str, history: list[dict] | None,
              turn: int | None = None, *, library: Library | None = None,
              reports: list[str] | None = None) -> tuple[list[dict], Answer | None]:
    """One question in the chat: the history with the question and the answer (or a clear error) added.

    `turn` (how many answers came before) makes the answer's [n] markers links to their passages.
    With a `library`, the question goes to the chosen `reports` (none chosen: the whole library).
    A blank message changes nothing and asks nothing.
    """
    messages = render.normalise_history(history)
    if not (message or "").strip():
        return messages, None
    previous = render.last_question(messages)
    messages.append({"role": "user", "content": render.user_echo(message)})
    try:
        answer = ask_selected(engine, library, message, previous, reports)
    except ReportQAError as err:
        return [*messages, render.error_message(str(err))], None
    except Exception as err:
        log.exception("chat answer failed for %.80r", message)
        return [*messages, render.error_message(INTERNAL_ERROR.format(kind=type(err).__name__))], None
    return messages + render.answer_messages(answer, turn), answer


def table_updates(answer: Answer | None, label: str | None = None) -> tuple:
    """Dataframe, bar chart and table picker for one of the answer's tables (the first by default)."""
    tables = render.table_figures(answer)
    figure = next((t for t in tables if t.label == label), tables[0] if tables else None)
    picker = gr.Dropdown(choices=[t.label for t in tables], value=figure.label if figure else None,
                         visible=len(tables) > 1)
    if figure is None:
        return gr.Dataframe(value=None, visible=False), gr.Plot(value=None, visible=False), picker
    frame = gr.Dataframe(value=render.table_frame(figure), label=render.chart_title(figure), visible=True)
    chart = busy.chart_of(figure)  # drawn once per table, off Gradio's event loop (ui/busy.py)
    return frame, gr.Plot(value=chart, label=f"{figure.label} as a chart", visible=chart is not None), picker


def table_changes(answer: Answer | None, previous: Answer | None) -> tuple:
    """`table_updates(answer)`, or plain empty values when neither this answer nor the one shown before it
    has a table (6 answers in 7 on the bundled report): the hidden table, chart and picker stay hidden.

    A component (or gr.update, or even gr.skip()) returned from a handler makes Gradio build that component
    anew in its event loop and describe it (config, API info): the three cost ~1.4 ms of the loop's CPU per
    turn, which then serves no one else; plain values only pass through the component's postprocess."""
    if not render.table_figures(answer) and not render.table_figures(previous):
        return None, None, None
    return table_updates(answer)


def cited_update(answer: Answer | None, previous: Answer | None) -> Any:
    """The cited-passage picker for `answer`: its citations as choices, the first chosen; a plain None
    (no new component, see table_changes) when neither answer nor the one before it cites anything."""
    choices = render.citation_choices(answer)
    if not choices and not render.citation_choices(previous):
        return None
    return gr.Dropdown(choices=choices, value=choices[0][1] if choices else None)


def shown_turns(turns: list[dict] | None, shown: int) -> list[dict]:
    """The answer turns still in a conversation of `shown` messages: a conversation that came back shorter
    (or empty) than the turns recorded ends those past it, so they are neither linked nor kept.
    Example: turns ending at messages 4 and 8, a conversation of 4 messages -> the first turn only."""
    return [t for t in turns or [] if t["end"] <= shown]


def marker_target(turns: list[dict], href: str) -> tuple[str | None, str | None, list] | None:
    """(report id, chunk id, quote spans) of marker [n] of answer t, from its link "#rq-cite-t-n"."""
    where = render.parse_cite_href(href)
    if where is None or where[0] >= len(turns or []):
        return None
    turn, marker = where
    citation = next((c for c in turns[turn]["answer"].get("citations") or [] if c.get("marker") == marker), None)
    if citation is None:
        return None
    report = (citation.get("report") or {}).get("id")
    return report, citation.get("chunk_id"), [render.as_span(s) for s in citation.get("quote_spans") or []]


def marker_passage(engine, turns: list[dict], href: str, library: Library | None = None) -> tuple[str | None, str]:
    """(section id, section HTML) for marker [n] of answer t, from its link "#rq-cite-t-n"."""
    target = marker_target(turns, href)
    if target is None:
        return None, render.section_html(engine.document, None)
    return open_passage(engine, library, *target)[1:]


def citation_target(answer: Answer | None, chunk_id: str | None) -> tuple[str | None, str | None, list]:
    """(report id, chunk id, quote spans) of the answer's citation (or closest passage) `chunk_id`."""
    citation = next((c for c in (answer.citations if answer else []) if c.chunk_id == chunk_id), None)
    passage = next((p for p in (answer.passages if answer else []) if p.chunk_id == chunk_id), None)
    source = citation or passage
    report = (getattr(source, "report", None) or {}).get("id") if source else None
    # A closest passage of an abstained answer has no quote: it is boxed, nothing is marked.
    spans = [render.as_span(s) for s in citation.quote_spans] if citation else []
    return report, chunk_id, spans


def citation_passage(engine, answer: Answer | None, chunk_id: str | None,
                     library: Library | None = None) -> tuple[str | None, str]:
    """(section id, section HTML) with the cited passage boxed and its quote marked."""
    return open_passage(engine, library, *citation_target(answer, chunk_id))[1:]


def open_passage(engine, library: Library | None, report: str | None, chunk_id: str | None,
                 spans: list) -> tuple[str | None, str | None, str]:
    """(report id, section id, section HTML) of a passage in its own report; (None, None, hint) if gone."""
    document = document_for(engine, library, report)
    chunk = render.find_chunk(document, chunk_id)
    if chunk is None:
        return None, None, render.section_html(document, None)
    label = reader_label(library, report or document.name)
    return (report or document.name, chunk.section_id,
            render.section_html(document, chunk.section_id, chunk.id, spans, report=label))


# ---------- the library: choosing reports, adding one ----------

UPLOAD_SUFFIXES = (".pdf", ".txt", ".md")
MAX_UPLOAD_BYTES = MAX_REPORT_BYTES


def open_library(engine) -> Library | None:
    """The library under the engine's index root, sharing its engine and embedding model (loaded once)."""
    settings = getattr(engine, "settings", None)
    if settings is None or getattr(engine, "document", None) is None:
        return None
    try:
        library = Library(settings, embedder=engine.embedder, strategy=getattr(engine, "strategy", "fused"))
    except (ReportQAError, OSError) as err:
        log.warning("library disabled: %s", err)
        return None
    if any(e.id == engine.document.name for e in library.entries):
        library.adopt(engine)
    return library


def ask_selected(engine, library: Library | None, question: str, previous: str | None,
                 reports: list[str] | None) -> Answer:
    """Ask the chosen reports through the library (none chosen: all of them). With a library of one report
    (or none) the engine answers alone, exactly as the single-report app did: no report named per citation."""
    if library is None or len(library.entries) < 2:
        return engine.ask(question, previous=previous)
    return library.ask(question, previous=previous, selection=Selection(reports=tuple(reports or ())))


def entry_label(entry) -> str:
    """Example: "Inspection of youth offending work in Birmingham · Ofsted · 2016-05"."""
    m = entry.metadata
    return " · ".join([m.title or entry.id, m.publisher or "publisher unknown", m.date or "undated"])


def report_choices(library: Library | None) -> list[tuple[str, str]]:
    return [(entry_label(e), e.id) for e in (library.entries if library else [])]


def refreshed_picker(library: Library | None, chosen: list[str] | None):
    """The picker over the reports on disk now, keeping the chosen ones that are still there."""
    if library is None:
        return gr.skip()
    library.entries = list_reports(library.settings.index_root)
    known = {e.id for e in library.entries}
    return gr.Dropdown(choices=report_choices(library), value=[r for r in chosen or [] if r in known])


def reader_label(library: Library | None, report: str | None) -> str | None:
    """The report's title and date for the reader's heading line; None with a single-report app."""
    if library is None or not report:
        return None
    entry = next((e for e in library.entries if e.id == report), None)
    return render.report_label(entry.summary()) if entry else None


def document_for(engine, library: Library | None, report: str | None):
    """The document of report `report` (the engine's own when it is that one, or unknown)."""
    if library is None or not report or report == engine.document.name:
        return engine.document
    try:
        return library.engine(report).document
    except ReportQAError:
        return engine.document


def sniff_report(path: Path, size: int) -> None:
    """The content decides what a file is: a PDF by its %PDF- header, text by decoding as UTF-8."""
    with open(path, "rb") as handle:
        head = handle.read(8192)
    is_pdf = head[:1024].lstrip().startswith(b"%PDF-")
    named_pdf = path.suffix.lower() == ".pdf"
    if named_pdf and not is_pdf:
        raise ReportQAError(f"{path.name} is named .pdf but its content is not a PDF (it starts "
                            f"{head[:20].decode('latin-1')!r}); upload the real PDF.")
    if is_pdf and not named_pdf:
        raise ReportQAError(f"{path.name} is a PDF named {path.suffix}; rename it to .pdf and upload it again.")
    if not is_pdf:
        if b"\x00" in head:
            raise ReportQAError(f"{path.name} is binary, not text (it holds NUL bytes); upload a PDF, .txt or .md.")
        try:
            path.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError as err:
            raise ReportQAError(f"{path.name} is not UTF-8 text (bad byte at offset {err.start}); save it as "
                                "UTF-8 and upload it again.") from None


def check_upload(path: Path, max_bytes: int = MAX_UPLOAD_BYTES) -> None:
    """Refuse a file the library must not take: wrong suffix, empty, too big, content not what it says."""
    if path.suffix.lower() not in UPLOAD_SUFFIXES:
        raise ReportQAError(f"{path.name} is not a report file; upload a .pdf, .txt or .md file.")
    size = path.stat().st_size
    if size == 0:
        raise ReportQAError(f"{path.name} is empty; upload a report with text in it.")
    if size > max_bytes:
        raise ReportQAError(f"{path.name} is {size:,} bytes, over the {max_bytes:,}-byte limit; split the "
                            "report or upload a smaller file.")
    sniff_report(path, size)


def upload_report(library: Library | None, upload: str | None, progress=None,
                  max_bytes: int = MAX_UPLOAD_BYTES) -> tuple[str | None, str]:
    """Check and ingest one uploaded file into the library: (new report id or None, a line for the user).

    Nothing is written under the index root unless every check passes; a failed ingest leaves the library
    as it was (ingest builds in a hidden folder and renames it in when done).
    """
    from ingest.metadata import report_id
    from ingest.pipeline import ingest

    if library is None:
        return None, "⚠️ Reports cannot be added here (no library folder)."
    if not upload:
        return None, "*Choose a .pdf, .txt or .md file first.*"
    source = Path(upload)
    folder = Path(tempfile.mkdtemp(prefix="report-qa-upload-"))
    try:
        name = render.plain(source.name)
        check_upload(source, max_bytes)
        new_id = report_id(source.stem)
        entries = list_reports(library.settings.index_root)
        if any(e.id == new_id for e in entries):
            raise ReportQAError(f"a report {new_id!r} is already in the library; rename the file to add it "
                                "beside it, or remove the old one (`report-qa remove`).")
        path = folder / source.name
        shutil.copyfile(source, path)
        Path(library.settings.index_root).mkdir(parents=True, exist_ok=True)
        embedder = getattr(library.embedder, "inner", library.embedder)
        step = (lambda stage, done, total: progress(done / total if total else 0, desc=f"Ingesting: {stage}")) \
            if progress is not None else None
        result = ingest(path, library.settings, embedder=embedder, progress=step)
    except ReportQAError as err:
        shown = str(err).replace(str(folder), "the upload")
        return None, f"⚠️ Not added: {render.plain(shown)}"
    except Exception as err:  # a parser crash on a hostile file: the app keeps serving, the log has it
        log.exception("upload of %.80r failed", str(source))
        return None, f"⚠️ Not added: {name} could not be read ({type(err).__name__}); try another file."
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    library.entries = list_reports(library.settings.index_root)
    library.forget(result.report_name)  # a stale engine of an older build
    entry = next((e for e in library.entries if e.id == result.report_name), None)
    label = entry_label(entry) if entry else result.report_name
    return result.report_name, (f"*Added “{render.plain(label)}” ({result.counts.get('chunks', 0)} passages). "
                                "It is selected above: ask it a question.*")


# Shown on every answer (the Chatbot's feedback menu), stored as feedback.VERDICTS.
FEEDBACK_OPTIONS = ("Correct", "Wrong answer", "Wrong evidence")
FEEDBACK_ROWS = 200  # the evaluator tab lists the newest ones


def turn_for(turns: list[dict], index: Any) -> dict | None:
    """The answer turn holding chat message `index` (an answer or one of its cited passages)."""
    position = index[0] if isinstance(index, list | tuple) else index
    if not isinstance(position, int):
        return None
    return next((t for t in turns if t["start"] <= position < t["end"]), None)


def record_feedback(store, engine, turns: list[dict], index: Any, verdict: str | None) -> tuple[int | None, str]:
    """Store a verdict on the answer at chat message `index`: (record id or None, a line for the user).

    A second verdict on the same answer (a changed mind, or the menu's event arriving twice) updates its
    record rather than adding another; the turn remembers the record's id.
    """
    if not verdict:  # the option was unselected: nothing to store
        return None, ""
    if store is None:
        return None, "*Feedback cannot be stored here (no writable index folder).*"
    turn = turn_for(turns, index)
    if turn is None:
        return None, "*That message is not an answer, so there is nothing to judge.*"
    settings = {**feedback.settings_json(getattr(engine, "settings", None)),
                "strategy": getattr(engine, "strategy", None)}
    try:
        if turn.get("feedback_id") is not None:
            record_id = turn["feedback_id"]
            store.update(record_id, verdict=verdict)
        else:
            record_id = store.add(turn["question"], turn["answer"], verdict, report=engine.document.name,
                                  settings=settings)
            turn["feedback_id"] = record_id
    except ReportQAError as err:
        return None, f"⚠️ {render.plain(str(err))}"
    return record_id, (f"*Feedback #{record_id} saved: {render.plain(verdict.lower())} for "
                       f"“{render.plain(turn['question'][:80])}”. Add a note or the expected answer below "
                       "if you like, then press Save details.*")


def save_feedback_details(store, record_id: int | None, note: str, expected: str) -> str:
    if record_id is None or store is None:
        return "*Pick Correct / Wrong answer / Wrong evidence on an answer first (its ⚑ menu).*"
    if not (note or "").strip() and not (expected or "").strip():
        return "*Type a note or the expected answer first.*"
    try:
        store.update(record_id, note=note, expected=expected)
    except ReportQAError as err:
        return f"⚠️ {render.plain(str(err))}"
    return f"*Details added to feedback #{record_id}.*"


def feedback_rows(store) -> list[list[Any]]:
    """The newest feedback, newest first, for the evaluator tab."""
    if store is None:
        return []
    try:
        records = store.records(limit=FEEDBACK_ROWS)
    except ReportQAError:
        return []
    return [[r.id, r.created_at, r.verdict, r.question, r.expected or "", r.note or "",
             feedback.answer_text(r.answer)] for r in reversed(records)]


FEEDBACK_COLUMNS = ["id", "when", "verdict", "question", "expected", "note", "answered"]


# ---------- the conversation kept in the browser ----------

MAX_SAVED_MESSAGES = 300  # localStorage holds ~5 MB; a cited passage is ~1-2 KB


def saved_conversation(messages: list[dict], turns: list[dict], limit: int = MAX_SAVED_MESSAGES) -> dict:
    """What the browser keeps: the conversation, cut at an answer boundary to at most `limit` messages,
    with each answer's message range shifted to match."""
    messages = render.normalise_history(messages)
    cut = 0
    if len(messages) > limit:
        # The first kept answer's question (start - 1) opens the kept part.
        cut = next((t["start"] - 1 for t in turns if len(messages) - (t["start"] - 1) <= limit), len(messages))
    kept = [{**t, "start": t["start"] - cut, "end": t["end"] - cut} for t in turns if t["start"] - 1 >= cut]
    return {"messages": messages[cut:], "turns": kept}


def restored_conversation(value: Any) -> tuple[list[dict], list[dict]]:
    """(messages, turns) from the browser's storage, which anyone can edit: anything malformed -> empty."""
    try:
        messages = [{"role": m["role"], "content": str(m["content"]),
                     **({"metadata": {"title": str(m["metadata"].get("title", "")), "status": "done"}}
                        if isinstance(m.get("metadata"), dict) else {})}
                    for m in value["messages"] if m["role"] in ("user", "assistant")]
        turns = [{"start": int(t["start"]), "end": int(t["end"]), "question": str(t["question"]),
                  "answer": dict(t["answer"])} for t in value["turns"]]
    except (KeyError, TypeError, ValueError, AttributeError):
        return [], []
    if len(messages) != len(value["messages"]) or any(not 0 < t["start"] < t["end"] <= len(messages)
                                                      for t in turns):
        return [], []
    return messages, turns


def browser_secret(engine) -> str | None:
    """A key kept in the index root, so the saved conversation survives a server restart (the default, a
    new random key per start, would make it unreadable). None (a random key) when the folder is read-only."""
    root = getattr(getattr(engine, "settings", None), "index_root", None)
    if root is None:
        return None
    path = Path(root) / "browser-state.key"
    try:
        if not path.exists():
            import secrets

            path.write_text(secrets.token_hex(16), encoding="utf-8")
            path.chmod(0o600)
        return path.read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def open_feedback_store(engine):
    root = getattr(getattr(engine, "settings", None), "index_root", None)
    if root is None:
        return None
    try:
        return feedback.FeedbackStore.at(root)
    except ReportQAError as err:
        log.warning("feedback disabled: %s", err)
        return None


def export_conversation(turns: list[dict], title: str) -> str:
    """The conversation as a Markdown file (questions, answers, cited quotes with pages) for download."""
    folder = downloads.fresh_folder("chat")
    path = folder / "conversation.md"
    path.write_text(handout.conversation_markdown([t["answer"] for t in turns or []], title), encoding="utf-8")
    return str(path)


def report_title(engine) -> str:
    """The report's title (see render.report_title), reading the source's running footers when the
    index records no title and the source file is at hand."""
    manifest = getattr(engine, "manifest", None)
    source_name = getattr(manifest, "source_name", None)
    candidates = [Path(p) for p in (getattr(manifest, "source_path", None),) if p]
    if source_name:
        candidates += [BUNDLED_REPORT.parent / source_name, PROJECT_ROOT / "corpus" / source_name]
    source = next((p for p in candidates if p.is_file() and p.suffix.lower() in (".txt", ".md")), None)
    try:
        text = source.read_text(encoding="utf-8", errors="replace") if source else None
    except OSError:
        text = None
    return render.report_title(engine.document, manifest, text)


def export_handout(items: list[handout.HandoutItem], title: str = handout.DEFAULT_TITLE) -> list[str]:
    """Write the handout as .md and .docx into a fresh temporary folder; Gradio serves them from there."""
    return handout.write_files(items, title)


# ---------- the app ----------


def build_app(engine, eval_summary: Path = EVAL_SUMMARY, feedback_store: Any = "default",
              library: Any = "default", gate: Any = None) -> gr.Blocks:
    """The app over `engine`'s report and the `library` of reports beside it (default: the one under the
    engine's index root, sharing the engine; None: the engine's report alone, no picker or upload)."""
    store = open_feedback_store(engine) if feedback_store == "default" else feedback_store
    library = open_library(engine) if library == "default" else library
    with sessions.App(title="Report Q&A", analytics_enabled=False) as demo:  # ui/sessions.py
        last_answer = gr.State(None)
        items = gr.State([])
        title = report_title(engine)
        # Follows the chat's report picker (ui/picked.py): the library, or the picked report(s).
        heading = gr.Markdown(picked.page_heading(engine, library, [], title), elem_id="rq-title")
        with gr.Tabs(overflow_behavior="wrap") as tabs:  # every tab in sight on a phone
            with gr.Tab("Chat", id="chat"):
                chat = _chat_tab(engine, last_answer, store, library, busy.chat_gate(gate))
            with gr.Tab("Read the report", id="read"):
                reader = _read_tab(engine, library)
            with gr.Tab("For trainers", id="trainers"):
                # Practice examples and handout of the picked report(s): ui/trainers_tab.py
                trainer = trainers_tab.build(engine, library, items, title, chat["reports"])
                from ui import quiz_tab  # the cited quiz: ui/quiz_tab.py

                quiz_tab.build(engine, library, chat["reports"])
            with gr.Tab("For evaluators", id="evaluators"):
                eval_tab.build(engine, store, library=library)  # run an evaluation here: ui/eval_tab.py
                _evaluators_tab(eval_summary, store)
        _wire_cross_tab(engine, library, tabs, chat, reader, trainer, last_answer, items)
        picked.wire_heading(heading, chat["reports"], engine, library, title, demo)
        demo.load(restored_conversation, chat["saved"], [chat["chatbot"], chat["turns"]], api_visibility="private")
        if chat["reports"] is not None:  # reports added or removed elsewhere (CLI, API) since the start
            demo.load(lambda chosen: refreshed_picker(library, chosen), chat["reports"], chat["reports"],
                      api_visibility="private")
        _api(engine)
    return demo


def _api(engine) -> None:
    def ask(question: str) -> dict:
        """Answer a question about the report: the same JSON as `report-qa ask --json`, or {"error": ...}."""
        return ask_json(engine, question)

    gr.api(ask, api_name="ask", concurrency_id="engine")


def _library_box(library: Library | None) -> Any:
    """The report picker (all / one / several) and, beside it, the upload of a new report."""
    if library is None:
        return None
    with gr.Row(elem_id="rq-library"):
        reports = gr.Dropdown(report_choices(library), value=[], multiselect=True, scale=4,
                              label="Reports to ask (none chosen: the whole library)", elem_id="rq-reports")
        with gr.Column(scale=2, min_width=200):
            with gr.Accordion("Add a report (PDF, .txt, .md)", open=False, elem_id="rq-upload-box"):
                upload = gr.File(label=f"Report file (up to {MAX_UPLOAD_BYTES // 1_000_000} MB)",
                                 file_types=list(UPLOAD_SUFFIXES), type="filepath", elem_id="rq-upload")
                add = gr.Button("Add to the library", elem_id="rq-upload-add")
                status = gr.Markdown("", elem_id="rq-upload-status")

    def add_report(path, progress=gr.Progress()):  # noqa: B008 (how Gradio hands a handler its progress bar)
        new_id, line = upload_report(library, path, progress)
        if new_id is None:
            return line, gr.skip(), gr.skip()
        return line, gr.Dropdown(choices=report_choices(library), value=[new_id]), None

    # One upload at a time: ingest keeps both cores busy.
    add.click(add_report, upload, [status, reports, upload], api_visibility="private",
              concurrency_limit=1, concurrency_id="ingest")
    return reports


def _chat_tab(engine, last_answer: gr.State, store, library: Library | None = None, gate: Any = None) -> dict:
    turns = gr.State([])  # {"start", "end", "question", "answer"} per answer, for feedback on any of them
    feedback_id = gr.State(None)
    # The conversation survives a reload (and a restart: the key is kept in the index root); one per report.
    saved = gr.BrowserState({"messages": [], "turns": []}, storage_key=f"report-qa-chat-{engine.document.name}",
                            secret=browser_secret(engine))
    reports = _library_box(library)
    with gr.Row():
        with gr.Column(scale=3):
            # No "share" button: it would post the conversation to the Hugging Face hub.
            chatbot = gr.Chatbot(label="Conversation", height=560, feedback_options=FEEDBACK_OPTIONS,
                                 elem_id="rq-chat",
                                 buttons=["copy", "copy_all"],
                                 placeholder="Ask a question about the report, or pick an example below.")
            with gr.Row(elem_id="rq-ask-row"):
                box = gr.Textbox(placeholder="Ask a question about the report…", show_label=False, scale=5,
                                 lines=1, max_lines=6, elem_id="rq-question")
                send = gr.Button("Ask", variant="primary", scale=1, elem_id="rq-ask")
            gr.Examples(EXAMPLE_QUESTIONS, inputs=box, label="Example questions")
            with gr.Row():
                cited = gr.Dropdown(label="Cited passages", choices=[], scale=3, elem_id="rq-cited-picker")
                open_cited = gr.Button("Open cited passage in the report", scale=2, elem_id="rq-open-cited")
            with gr.Row():
                add_answer = gr.Button("Add last answer to handout", elem_id="rq-add-answer")
                save_chat = gr.Button("Download conversation (.md)", elem_id="rq-save-chat")
                clear = gr.Button("Clear conversation")
            chat_file = gr.File(label="Conversation", visible=False, interactive=False, elem_id="rq-chat-file")
            added = gr.Markdown("")
            # Filled by the page script when an [n] link is clicked (see PAGE_JS); never shown.
            cite_link = gr.Textbox(elem_id="rq-cite-link", elem_classes=["rq-hidden"], show_label=False,
                                   container=False)
            with gr.Accordion("Feedback on an answer", open=False, elem_id="rq-feedback") as feedback_box:
                gr.Markdown("Judge any answer with its ⚑ menu (Correct / Wrong answer / Wrong evidence); "
                            "then, if you like, add a note or the answer you expected. Feedback becomes "
                            "evaluation items (`report-qa feedback export`).")
                feedback_note = gr.Markdown("", elem_id="rq-feedback-status")
                with gr.Row():
                    note_box = gr.Textbox(label="Note (optional)", lines=1, max_lines=4, elem_id="rq-fb-note")
                    expected_box = gr.Textbox(label="Expected answer (optional)", lines=1, max_lines=4,
                                              elem_id="rq-fb-expected")
                save_details = gr.Button("Save details", elem_id="rq-fb-save")
        with gr.Column(scale=2, elem_id="rq-figures"):
            gr.Markdown("### Figures")
            stats = gr.Markdown(render.figures_markdown(None), elem_id="rq-stats")
            picker = gr.Dropdown(label="Table", choices=[], visible=False)
            table = gr.Dataframe(visible=False, interactive=False, wrap=True, elem_id="rq-table")
            chart = gr.Plot(visible=False, elem_id="rq-chart", show_label=False)  # the chart has its title

    # The conversation kept in the browser is an output of the turn itself, not of a follow-up event: a
    # follow-up made the browser send the whole conversation back and Gradio run a second event per turn.
    outputs = [chatbot, box, last_answer, stats, table, chart, picker, cited, turns, saved]

    def respond(message, history, current_turns, previous=None, chosen=None):
        """One turn. `previous` is the answer shown before (last_answer): a component it left as this
        answer needs it gets a plain value, not a new component (table_changes, cited_update)."""
        if not (message or "").strip():  # an empty message sends nothing and changes nothing
            return (gr.skip(),) * len(outputs)
        shown = len(render.normalise_history(history))
        start = shown + 1  # after the question's own message
        current_turns = shown_turns(current_turns, shown)
        messages, answer = busy.answer_or_busy(gate, lambda: chat_turn(
            engine, message, history, turn=len(current_turns or []), library=library, reports=list(chosen or [])),
            message, history)  # all answer slots taken: "busy, try again in N s" (ui/busy.py)
        if answer is not None:
            current_turns = [*(current_turns or []), {"start": start, "end": len(messages),
                                                      "question": message, "answer": answer.to_json()}]
        return (messages, "", answer, render.figures_markdown(answer), *table_changes(answer, previous),
                cited_update(answer, previous), current_turns, saved_conversation(messages, current_turns))

    for trigger in (box.submit, send.click):
        inputs = [box, chatbot, turns, last_answer, *([reports] if reports is not None else [])]
        trigger(respond, inputs, outputs, api_visibility="private", concurrency_id="chat",
                concurrency_limit=CHAT_WORKERS)

    def on_feedback(current_turns, data: gr.LikeData):
        verdict = data.liked if isinstance(data.liked, str) else None
        record_id, line = record_feedback(store, engine, current_turns or [], data.index, verdict)
        if record_id is None and not line:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip()
        # The status and the detail boxes show (what is typed there stays: a repeated event must not wipe
        # it); turns now hold the record id of the judged answer.
        return record_id, line, gr.Accordion(open=True), current_turns

    # One at a time per app, so a repeated event finds the record the first one made.
    chatbot.like(on_feedback, turns, [feedback_id, feedback_note, feedback_box, turns],
                 api_visibility="private", concurrency_limit=1)

    def save_details_(record_id, note, expected):
        line = save_feedback_details(store, record_id, note, expected)
        done = line.startswith("*Details")
        return line, ("" if done else gr.skip()), ("" if done else gr.skip())

    save_details.click(save_details_, [feedback_id, note_box, expected_box], [feedback_note, note_box, expected_box],
                       api_visibility="private")
    picker.input(lambda answer, label: table_updates(answer, label)[:2], [last_answer, picker],
                 [table, chart], api_visibility="private")

    def clear_chat():
        no_citations = gr.Dropdown(choices=[], value=None)
        return [], None, render.figures_markdown(None), *table_updates(None), no_citations, ""

    title = report_title(engine)
    save_chat.click(lambda current: gr.File(export_conversation(current, title), visible=True), turns, chat_file,
                    api_visibility="private")
    forget = (lambda: ([], None, {"messages": [], "turns": []}), None, [turns, feedback_id, saved])
    clear.click(clear_chat, None, [chatbot, last_answer, stats, table, chart, picker, cited, added],
                api_visibility="private").then(*forget, api_visibility="private")
    chatbot.clear(*forget, api_visibility="private")
    return {"cited": cited, "open_cited": open_cited, "add_answer": add_answer, "added": added,
            "cite_link": cite_link, "turns": turns, "saved": saved, "chatbot": chatbot, "reports": reports}


def _read_tab(engine, library: Library | None = None) -> dict:
    document = engine.document
    shown_report = gr.State(document.name)  # the report the reader shows (a citation may open another)
    with gr.Row():
        with gr.Column(scale=1):
            picker = gr.Dropdown(label="Section", choices=render.section_choices(document),
                                 value=document.sections[0].id if document.sections else None,
                                 filterable=True, elem_id="rq-section-picker")
            gr.Markdown(render.contents_markdown(document), elem_classes=["rq-contents"])
        with gr.Column(scale=3):
            first = document.sections[0].id if document.sections else None
            view = gr.HTML(render.section_html(document, first, report=reader_label(library, document.name)),
                           elem_id="rq-reader")

    def read(section_id, report):
        return render.section_html(document_for(engine, library, report), section_id,
                                   report=reader_label(library, report))

    picker.input(read, [picker, shown_report], view, api_visibility="private")
    return {"picker": picker, "view": view, "report": shown_report}


def _evaluators_tab(path: Path, store) -> None:
    summary = render.load_eval_summary(path)
    note = gr.Markdown(render.eval_heading(summary) if summary else render.NO_EVAL_NOTE,
                       elem_id="rq-eval-note")
    table = gr.Dataframe(render.eval_table(summary) if summary else None, visible=summary is not None,
                         interactive=False, label="Metrics per category")
    metrics = _metric_names(summary)
    metric = gr.Dropdown(metrics, value=metrics[0] if metrics else None, label="Metric",
                         visible=bool(metrics))
    chart = gr.Plot(render.eval_chart(summary, metrics[0] if metrics else None), visible=bool(metrics),
                    label="Metric by category", show_label=False, elem_id="rq-eval-chart")
    reload = gr.Button("Reload")

    def refresh(chosen):
        current = render.load_eval_summary(path)
        names = _metric_names(current)
        chosen = chosen if chosen in names else (names[0] if names else None)
        return (render.eval_heading(current) if current else render.NO_EVAL_NOTE,
                gr.Dataframe(render.eval_table(current) if current else None, visible=current is not None),
                gr.Dropdown(names, value=chosen, visible=bool(names)),
                gr.Plot(render.eval_chart(current, chosen), visible=bool(names)))

    gr.Markdown("### Feedback from the chat\nExport it as evaluation items with `report-qa feedback export "
                "--out evals/feedback.jsonl`, then replay them with `report-qa eval --dataset "
                "evals/feedback.jsonl`.")
    feedback_table = gr.Dataframe(feedback_rows(store), headers=FEEDBACK_COLUMNS, interactive=False, wrap=True,
                                  label="Feedback (newest first)", elem_id="rq-feedback-table")
    reload_feedback = gr.Button("Reload feedback")
    reload_feedback.click(lambda: feedback_rows(store), None, feedback_table, api_visibility="private")
    reload.click(refresh, metric, [note, table, metric, chart], api_visibility="private")
    metric.input(lambda m: render.eval_chart(render.load_eval_summary(path), m), metric, chart,
                 api_visibility="private")


def _metric_names(summary: dict | None) -> list[str]:
    """Metrics in the run, "accuracy" first when present: the one most readers look for."""
    if not summary:
        return []
    names = list(dict.fromkeys(render.eval_long_frame(summary)["metric"]))
    return sorted(names, key=lambda name: name != "accuracy")


def _wire_cross_tab(engine, library, tabs, chat: dict, reader: dict, trainer: dict, last_answer,
                    items) -> None:
    """Events that reach across tabs: open a citation in the reader; add the last answer to the handout."""

    def opened(report, section_id, view):
        if section_id is None:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip()
        sections = render.section_choices(document_for(engine, library, report))
        return gr.Tabs(selected="read"), gr.Dropdown(choices=sections, value=section_id), view, report

    def open_citation(answer, chunk_id):
        return opened(*open_passage(engine, library, *citation_target(answer, chunk_id)))

    # The tab's content renders after the switch; scroll once it is there.
    scroll = ("() => setTimeout(() => document.getElementById('rq-cited')"
              "?.scrollIntoView({block: 'center'}), 300)")
    outputs = [tabs, reader["picker"], reader["view"], reader["report"]]
    chat["open_cited"].click(open_citation, [last_answer, chat["cited"]], outputs,
                             api_visibility="private").then(None, js=scroll)

    def open_marker(turns, href):
        target = marker_target(turns, href)
        if target is None:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip()
        return opened(*open_passage(engine, library, *target))

    chat["cite_link"].change(open_marker, [chat["turns"], chat["cite_link"]], outputs,
                            api_visibility="private").then(None, js=scroll)

    def add_answer(answer, current, sheet):  # sheet: the handout's title, following the picker
        if answer is None:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip(), "*Ask a question first: there is no answer to add.*"
        new = handout.add_item(current, handout.item_from_answer(answer))
        note = f"*Added to the handout ({len(new)} item(s)): see For trainers.*"
        return new, *trainers_tab.handout_updates(trainers_tab.handout_view(new, sheet)), note

    chat["add_answer"].click(add_answer, [last_answer, items, trainer["sheet"]],
                             [items, *trainer["handout"], chat["added"]],
                             api_visibility="private")


def launch_app(demo: gr.Blocks, host: str = "127.0.0.1", port: int | None = 7860, *,
               concurrency: int = CONCURRENCY, max_queue: int = MAX_QUEUE, prevent_thread_lock: bool = False,
               quiet: bool = False, max_sessions: int = MAX_SESSIONS):
    """Queue and launch: loopback by default, no share link, no SSR (needs a newer Node than we have), at
    most `max_sessions` browser sessions' state kept."""
    demo.queue(default_concurrency_limit=concurrency, max_size=max_queue)
    return demo.launch(server_name=host, server_port=port, share=False, ssr_mode=False,
                       state_session_capacity=max_sessions,
                       prevent_thread_lock=prevent_thread_lock, quiet=quiet, theme=gr.themes.Default(),
                       css=CSS, js=PAGE_JS, footer_links=["api"], show_error=False)
