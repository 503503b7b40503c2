"""The evaluator tab's run panel: pick a dataset, run the evaluation with a progress bar, cancel it, read the
numbers per category and per report/split, the failures, and download the HTML report.

The work is in plain functions (`dataset_choices`, `load_items`, `run_evaluation`, `failure_rows`, ...) that
tests call without a server; `build` lays the panel out and wires it. The numbers come from evals/ (runner,
tables, html) -- the same code and formatting as `report-qa eval`; evals/ never imports ui/.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # before gradio is imported: no outbound call
import gradio as gr  # noqa: E402  (the handlers' gr.Request and gr.Progress are found by their annotations)

from evals.dataset import Dataset, DatasetError, load_dataset, merge_datasets, parse_line  # noqa: E402
from evals.reports import has_index  # noqa: E402
from evals.runner import DEFAULT_CONFIG, STRATEGIES, EvalCancelled, EvalRun, Loaded, run_reports  # noqa: E402
from evals.tables import category_rows, failures, group_rows, overall_rows, what_was_answered  # noqa: E402
from ingest.errors import ReportQAError  # noqa: E402
from ingest.pipeline import report_name  # noqa: E402
from ingest.settings import BUNDLED_REPORT, PROJECT_ROOT  # noqa: E402
from ui.render import plain  # noqa: E402  (names and messages may quote an uploaded file: shown as text)

log = logging.getLogger(__name__)

EVALS_FOLDER = PROJECT_ROOT / "evals"
FEEDBACK = "feedback"  # dataset choice: the chat's feedback, exported as eval items
UPLOAD = "upload"  # dataset choice: a JSONL file the user uploads
MAX_DATASET_BYTES = 5_000_000
MAX_FAILURES_SHOWN = 300
PREVIEW_CHARS = 100
FAILURE_COLUMNS = ["report", "id", "category", "question", "expected", "answered", "evidence",
                   "passages cited"]
IDLE = "*Choose a dataset and press Run evaluation.*"

# progress(config, done, total) and cancelled() as the runner takes them.
Progress = Callable[[str, int, int], None]


# ---------- datasets ----------


def dataset_choices(folder: Path = EVALS_FOLDER, store: Any = None) -> list[tuple[str, str]]:
    """(label, value) per dataset file in `folder`, then the chat's feedback (with a store), then an upload.
    Example: [("dataset.jsonl (80 questions)", "/…/evals/dataset.jsonl"), …, ("An uploaded JSONL file", "upload")]."""
    choices = [(f"{path.name} ({_count_lines(path)} questions)", str(path))
               for path in sorted(folder.glob("*.jsonl"))]
    if store is not None:
        choices.append(("Feedback from the chat (as eval items)", FEEDBACK))
    choices.append(("An uploaded JSONL file", UPLOAD))
    return choices


def _count_lines(path: Path) -> int:
    with path.open(encoding="utf-8", errors="replace") as handle:
        return sum(1 for line in handle if line.strip())


def _feedback_lines(store) -> tuple[list[str], int]:
    from ui.feedback import export_lines

    return export_lines(store.records())


def load_items(choice: str | None, upload: str | None = None, store: Any = None,
               folder: Path = EVALS_FOLDER) -> Dataset:
    """The chosen dataset, checked; a DatasetError saying what to do when it cannot be used."""
    if not choice:
        raise DatasetError("choose a dataset first.")
    if choice == FEEDBACK:
        return _feedback_dataset(store)
    if choice == UPLOAD:
        return _uploaded_dataset(upload)
    path = Path(choice)
    allowed = {p.resolve() for p in folder.glob("*.jsonl")}
    if path.resolve() not in allowed:  # only the listed files: a crafted value must not read any path
        raise DatasetError(f"dataset {path.name!r} is not one of the files in {folder}; pick one from the list.")
    return load_dataset(path)


def _feedback_dataset(store) -> Dataset:
    if store is None:
        raise DatasetError("this app keeps no feedback store; give feedback in the chat first.")
    lines, skipped = _feedback_lines(store)
    if not lines:
        why = f" ({skipped} wrong verdict(s) have no expected answer)" if skipped else ""
        raise DatasetError(f"no feedback can be scored yet{why}; judge answers in the chat, adding the "
                           "expected answer to a wrong one.")
    items = [parse_line(line, number) for number, line in enumerate(lines, start=1)]
    warnings = [f"{skipped} feedback record(s) left out: a wrong verdict with no expected answer"] if skipped else []
    return Dataset(Path("feedback"), items, warnings)


def _uploaded_dataset(upload: str | None) -> Dataset:
    if not upload:
        raise DatasetError("upload a .jsonl file first (one eval item per line; format: evals/README.md).")
    path = Path(upload)
    if path.suffix.lower() not in (".jsonl", ".json"):
        raise DatasetError(f"{path.name!r} is not a .jsonl file; upload one eval item per line.")
    if path.stat().st_size > MAX_DATASET_BYTES:
        raise DatasetError(f"{path.name!r} is over {MAX_DATASET_BYTES // 1_000_000} MB; split it.")
    dataset = load_dataset(path)
    return merge_datasets([Dataset(Path(path.name), dataset.items, dataset.warnings)])


# ---------- running ----------


class EvalJobs:
    """One cancel flag per browser session: Run sets one up, Cancel raises it, the runner reads it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._flags: dict[str, threading.Event] = {}
        self._outputs: dict[str, Path] = {}

    def start(self, key: str) -> threading.Event:
        with self._lock:
            flag = self._flags[key] = threading.Event()
            return flag

    def cancel(self, key: str) -> bool:
        """True when a run of that session was running and is now told to stop."""
        with self._lock:
            flag = self._flags.get(key)
        if flag is None:
            return False
        flag.set()
        return True

    def finish(self, key: str) -> None:
        with self._lock:
            self._flags.pop(key, None)

    def output_folder(self, key: str) -> Path:
        """A new folder for this session's reports; the session's previous one is removed."""
        folder = Path(tempfile.mkdtemp(prefix="report-qa-eval-"))
        with self._lock:
            old, self._outputs[key] = self._outputs.get(key), folder
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        return folder


@dataclass
class Outcome:
    """What a run shows: a status line, the run (None when nothing ran) and where its HTML report is."""

    status: str
    run: EvalRun | None = None
    html: Path | None = None
    skipped: list[str] = field(default_factory=list)


def plan(dataset: Dataset, settings, limit: int | None = None) -> tuple[dict[str | None, list], list[str]]:
    """Items per report to ask (None: the bundled report) and a line per report skipped for want of an index.
    `limit` keeps the first N items of the dataset (0 or None: all)."""
    items = dataset.items[:limit] if limit else dataset.items
    groups: dict[str | None, list] = {}
    for item in items:
        groups.setdefault(item.report, []).append(item)
    ready, skipped = {}, []
    for report, group in groups.items():
        name = report or report_name(BUNDLED_REPORT)
        if has_index(name, settings):
            ready[report] = group
        else:
            skipped.append(f"skipped {len(group)} item(s) of report {name}: it has no index in "
                           f"{settings.index_root}; run `report-qa ingest FILE` (or `report-qa eval`) first.")
    return ready, skipped


def loader(engine, config: str, library: Any = None) -> Callable[[str | None], Loaded]:
    """Load one report's engine for the run, sharing the app's embedding model. The app's own engine, and the
    library's engines (already loaded for the chat), are reused when they use the run's configuration."""
    from retrieval.engine import Engine

    def load(report: str | None) -> Loaded:
        name = report or report_name(BUNDLED_REPORT)
        if name == engine.document.name and getattr(engine, "strategy", DEFAULT_CONFIG) == config:
            return Loaded({config: engine}, engine.document)
        if library is not None and library.strategy == config and any(e.id == name for e in library.entries):
            shared = library.engine(name)
            return Loaded({config: shared}, shared.document)
        other = Engine.load(settings=engine.settings, report=name, embedder=engine.embedder, strategy=config)
        return Loaded({config: other}, other.document)

    return load


def run_evaluation(engine, dataset: Dataset, out: Path, config: str = DEFAULT_CONFIG, limit: int | None = None,
                   k: int | None = None, progress: Progress | None = None,
                   cancelled: Callable[[], bool] | None = None,
                   load: Callable[[str | None], Loaded] | None = None) -> Outcome:
    """Run `dataset` through `engine`'s index root with one configuration and write the reports into `out`.
    Never raises for a user's mistake or a cancel: the status line says what happened."""
    from evals.outputs import write_outputs

    if config not in STRATEGIES:
        return Outcome(f"Unknown configuration {config!r}; choose one of {', '.join(STRATEGIES)}.")
    groups, skipped = plan(dataset, engine.settings, limit)
    if not groups:
        return Outcome("Nothing to run: " + plain(" ".join(skipped)), skipped=skipped)
    total = sum(len(g) for g in groups.values())
    try:
        run = run_reports(load or loader(engine, config), groups, str(dataset.path), k or engine.settings.top_k,
                          progress=progress, cancelled=cancelled)
    except EvalCancelled as stop:
        return Outcome(f"Cancelled after {stop.done} of {stop.total} questions; nothing was scored.",
                       skipped=skipped)
    except ReportQAError as err:
        return Outcome(f"The evaluation stopped: {plain(str(err))}", skipped=skipped)
    write_outputs(run, out)
    overall = run.configs[0].summary.overall
    accuracy = "–" if overall.accuracy is None else f"{overall.accuracy:.2f}"
    seconds = run.configs[0].seconds
    questions = f"{total} question{'' if total == 1 else 's'}"
    status = (f"Ran {questions} of {plain(dataset.path.name)} with **{config}** in {seconds:.1f} s: "
              f"answer accuracy {accuracy}, {len(failures(run.configs[0].results))} failure(s).")
    return Outcome(status, run, out / "report.html", skipped)


# ---------- what the panel shows ----------


def tables(run: EvalRun | None) -> tuple[list[list[str]], list[list[str]], list[list[str]]]:
    """Overall, per category and per report/split rows (header first in each), as `report-qa eval` prints."""
    if run is None:
        return [], [], []
    grouped = group_rows(run)
    if grouped is None:  # one report, no split: the group "all" alone
        grouped = (["group", "n", "accuracy"], [["all", str(run.configs[0].summary.overall.n),
                                                _fmt(run.configs[0].summary.overall.accuracy)]])
    return [_with_header(*overall_rows(run)), _with_header(*category_rows(run)), _with_header(*grouped)]


def _fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def _with_header(header: list[str], rows: list[list[str]]) -> list[list[str]]:
    return [header, *rows]


def failure_rows(run: EvalRun | None, limit: int = MAX_FAILURES_SHOWN) -> list[list[str]]:
    """One row per failed question: report, id, category, question, expected, answered, where the evidence
    was, and the passages the answer cited (id and opening words; all retrieved ones when it cited none)."""
    if run is None:
        return []
    rows = []
    for r in failures(run.configs[0].results)[:limit]:
        if not r.answerable:
            evidence = "unanswerable: should decline"
        else:
            evidence = f"rank {r.evidence_rank}" if r.evidence_rank else "not retrieved"
        previews = dict(zip(r.passages, r.passage_previews, strict=True))
        shown = r.citations or r.passages
        passages = "\n".join(f"{cid}: {previews.get(cid, '')[:PREVIEW_CHARS]}" for cid in shown)
        rows.append([r.report, r.id, r.category, r.question, r.expected or "(not in the report)",
                     what_was_answered(r), evidence, passages])
    return rows


def progress_line(config: str, done: int, total: int) -> str:
    """Example: ("fused", 3, 40) -> "fused: 3/40 questions"."""
    return f"{config}: {done}/{total} questions"


# ---------- the Gradio panel ----------


def build(engine, store: Any = None, folder: Path = EVALS_FOLDER, jobs: EvalJobs | None = None,
          library: Any = None) -> dict:
    """Lay the run panel out inside the current tab and wire it; returns its components (tests, other tabs)."""
    jobs = jobs or EvalJobs()
    gr.Markdown("### Run an evaluation\nAsk every question of a dataset through this app's engine and "
                "score the answers (the same numbers as `report-qa eval`).")
    with gr.Row():
        choices = dataset_choices(folder, store)
        dataset = gr.Dropdown(choices, value=choices[0][1] if choices else None, label="Dataset", scale=3,
                              elem_id="rq-eval-dataset")
        config = gr.Dropdown(list(STRATEGIES), value=DEFAULT_CONFIG, label="Configuration", scale=1,
                             elem_id="rq-eval-config")
        limit = gr.Number(0, precision=0, minimum=0, label="First N questions (0: all)", scale=1,
                          elem_id="rq-eval-limit")
    upload = gr.File(label="Dataset file (.jsonl, when 'An uploaded JSONL file' is chosen)",
                     file_types=[".jsonl"], type="filepath", height=120, elem_id="rq-eval-upload")
    with gr.Row():
        start = gr.Button("Run evaluation", variant="primary", elem_id="rq-eval-run")
        stop = gr.Button("Cancel", variant="stop", elem_id="rq-eval-cancel")
    status = gr.Markdown(IDLE, elem_id="rq-eval-status")
    overall = gr.Dataframe(visible=False, interactive=False, label="Overall", elem_id="rq-eval-overall")
    by_category = gr.Dataframe(visible=False, interactive=False, label="Correct by category (unanswerable: "
                               "share declined)", elem_id="rq-eval-categories")
    by_group = gr.Dataframe(visible=False, interactive=False, label="Per report and split",
                            elem_id="rq-eval-groups")
    failed = gr.Dataframe(visible=False, interactive=False, wrap=True, headers=FAILURE_COLUMNS,
                          label="Failures (expected vs answered, the passages cited)", elem_id="rq-eval-failures")
    report = gr.File(visible=False, interactive=False, label="HTML report", elem_id="rq-eval-report")

    def table(rows: list[list[str]]):
        if not rows:
            return gr.Dataframe(visible=False)
        return gr.Dataframe(value=rows[1:], headers=rows[0], visible=True)

    def run(choice, uploaded, chosen_config, first_n, request: gr.Request,
            progress=gr.Progress()):  # noqa: B008 (how Gradio hands a handler its progress bar)
        key = getattr(request, "session_hash", None) or "default"
        try:
            items = load_items(choice, uploaded, store, folder)
        except ReportQAError as err:
            return (f"Cannot run: {plain(str(err))}", *(gr.skip(),) * 5)
        flag = jobs.start(key)

        def shown(config_name: str, done: int, total: int) -> None:
            progress((done, total), desc=progress_line(config_name, done, total))

        try:
            outcome = run_evaluation(engine, items, jobs.output_folder(key), chosen_config,
                                     int(first_n or 0) or None, progress=shown, cancelled=flag.is_set,
                                     load=loader(engine, chosen_config, library))
        finally:
            jobs.finish(key)
        text = "\n\n".join([outcome.status, *map(plain, [*outcome.skipped, *items.warnings[:5]])])
        overall_rows_, category_rows_, group_rows_ = tables(outcome.run)
        rows = failure_rows(outcome.run)
        html = gr.File(value=str(outcome.html), visible=True) if outcome.html else gr.File(visible=False)
        return (text, table(overall_rows_), table(category_rows_), table(group_rows_),
                gr.Dataframe(value=rows or None, headers=FAILURE_COLUMNS, visible=outcome.run is not None), html)

    def cancel(request: gr.Request):
        key = getattr(request, "session_hash", None) or "default"
        return "*Cancelling… the run stops before its next question.*" if jobs.cancel(key) else gr.skip()

    outputs = [status, overall, by_category, by_group, failed, report]
    upload.upload(lambda: UPLOAD, None, dataset, api_visibility="private")  # a file given is the one to run
    start.click(run, [dataset, upload, config, limit], outputs, api_visibility="private",
                concurrency_limit=1, concurrency_id="evaluation")  # one run at a time: it keeps both cores busy
    stop.click(cancel, None, status, api_visibility="private", concurrency_limit=None)  # never waits for the run
    return {"dataset": dataset, "run": start, "cancel": stop, "status": status, "failures": failed,
            "report": report, "jobs": jobs}
