"""The trainers' quiz area: pick a report, sections, a theme and a number of questions; build a checked,
cited quiz; preview it and download it as Markdown, .docx, Moodle GIFT or CSV.

    quiz = build(engine, library, chat_reports)   # inside the trainers tab of ui.app.build_app

Handlers are module functions (no Gradio state), so tests call them without a server.
"""

from __future__ import annotations

import gradio as gr

from ingest.errors import ReportQAError
from retrieval.quiz import MAX_N, Quiz, build_quiz
from ui import downloads, render
from ui.quiz_export import FORMATS, SUFFIXES, quiz_bytes, quiz_markdown

LABELS = {"md": "Markdown", "docx": ".docx", "gift": "Moodle GIFT", "csv": "CSV"}
EMPTY = "*Choose the number of questions (and, if you like, sections or a theme), then **Build quiz**.*"


# ---------- handlers ----------


def engine_for(engine, library, report: str | None):
    """The engine of `report` in the library, or the app's own engine (no library, or its own report)."""
    if library is None or not report or report == engine.document.name:
        return engine
    return library.engine(report)


def make_quiz(engine, library, report: str | None, n, sections: list[str] | None,
              theme: str | None) -> tuple[Quiz | None, str]:
    """The quiz and a one-line status; (None, the error line) for bad input."""
    try:
        count = int(n) if n is not None and float(n) == int(n) else n
        if not isinstance(count, int) or count < 1:
            raise ReportQAError(f"the number of questions must be a whole number from 1 to {MAX_N}, not {n!r}.")
        quiz = build_quiz(engine_for(engine, library, report), n=count, sections=list(sections or []),
                          theme=(theme or "").strip() or None)
    except (ReportQAError, ValueError, TypeError) as err:
        return None, f"**Could not build the quiz:** {render.escape(str(err))}"
    return quiz, status_line(quiz, count)


def status_line(quiz: Quiz, wanted: int) -> str:
    """Example: "10 questions kept of 11 asked: 1 dropped (the system answered otherwise); 85 candidates; 0.4 s"."""
    short = f" The report has no more checkable material for {wanted}." if len(quiz.items) < wanted else ""
    return (f"*{len(quiz.items)} questions kept of {quiz.asked} asked: {len(quiz.dropped)} dropped (the system "
            f"answered otherwise); {quiz.generated} candidates in the report; {quiz.seconds:.1f} s.{short}*")


def write_files(quiz: Quiz) -> dict[str, str]:
    """The quiz in every format in a fresh temporary folder (Gradio serves them from there)."""
    folder = downloads.fresh_folder("quiz")
    paths = {}
    for fmt in FORMATS:
        path = folder / f"quiz-{quiz.report.id}{SUFFIXES[fmt]}"
        path.write_bytes(quiz_bytes(quiz, fmt))
        paths[fmt] = str(path)
    return paths


def report_sections(engine, library, report: str | None) -> list[tuple[str, str]]:
    try:
        return render.section_choices(engine_for(engine, library, report).document)
    except ReportQAError:
        return []


def followed_report(chosen: list[str] | None, current: str | None) -> str | None:
    """The report the chat's picker points at: its first chosen one; the current one when none is chosen."""
    return (chosen or [None])[0] or current


def report_choices(engine, library) -> list[tuple[str, str]]:
    """Every report of the library by title (the app's own report first when it is not in the library).
    A dropdown shows its labels as plain text, so they are not made inert for Markdown ("A&#58; B" would show)."""
    choices = [(e.title, e.id) for e in library.entries] if library is not None else []
    if engine.document.name not in [value for _, value in choices]:
        choices.insert(0, (engine.document.name, engine.document.name))
    return choices


# ---------- the area ----------


def build(engine, library=None, picker=None) -> dict:
    """The quiz area; with the chat's report `picker`, the quiz follows the first report chosen there."""
    own = engine.document.name
    choices = report_choices(engine, library)
    with gr.Accordion("Quiz: questions with checked, cited answer keys", open=True, elem_id="rq-quiz"):
        with gr.Row():
            report = gr.Dropdown(choices, value=own, label="Report", scale=3, visible=library is not None,
                                 elem_id="rq-quiz-report")
            # No minimum/maximum here: Gradio would refuse 0 with its own error; make_quiz says it in one line.
            n = gr.Number(10, precision=0, label="Number of questions", scale=1,
                          elem_id="rq-quiz-n")
            sections = gr.Dropdown(render.section_choices(engine.document), value=[], multiselect=True, scale=3,
                                   label="Sections (none chosen: the whole report)", elem_id="rq-quiz-sections")
            theme = gr.Textbox(label="Theme (optional)", placeholder="e.g. training", scale=2,
                               elem_id="rq-quiz-theme")
        make = gr.Button("Build quiz", variant="primary", elem_id="rq-quiz-build")
        status = gr.Markdown("", elem_id="rq-quiz-status")
        with gr.Row():
            downloads = [gr.DownloadButton(f"Download {LABELS[fmt]}", visible=False, elem_id=f"rq-quiz-{fmt}")
                         for fmt in FORMATS]
        preview = gr.Markdown(EMPTY, elem_id="rq-quiz-preview")

    def on_build(report_, n_, sections_, theme_):
        quiz, line = make_quiz(engine, library, report_, n_, sections_, theme_)
        if quiz is None:
            return (line, gr.skip(), *(gr.DownloadButton(visible=False) for _ in FORMATS))
        paths = write_files(quiz)
        return (line, quiz_markdown(quiz), *(gr.DownloadButton(value=paths[fmt], visible=True) for fmt in FORMATS))

    make.click(on_build, [report, n, sections, theme], [status, preview, *downloads], api_visibility="private",
               concurrency_id="engine")

    def on_report(report_):
        hidden = (gr.DownloadButton(visible=False) for _ in FORMATS)
        return (gr.Dropdown(choices=report_sections(engine, library, report_), value=[]), EMPTY, "", *hidden)

    report.change(on_report, report, [sections, preview, status, *downloads], api_visibility="private")
    if picker is not None:
        def follow(chosen, current):  # the library may have grown (an upload) since the app started
            return gr.Dropdown(choices=report_choices(engine, library), value=followed_report(chosen, current),
                               visible=True)

        picker.change(follow, [picker, report], report, api_visibility="private")
    return {"report": report, "n": n, "sections": sections, "theme": theme, "build": make, "status": status,
            "preview": preview, "downloads": downloads}
