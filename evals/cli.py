"""`report-qa eval`: run the dataset, print the metrics, write the reports, optionally gate on thresholds.

Registered in ui/commands.py; the only module of evals/ that prints.
"""

from __future__ import annotations

import argparse
import glob
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from ingest.errors import ReportQAError

if TYPE_CHECKING:
    from evals.gate import Thresholds
    from evals.runner import EvalRun

DEFAULT_DATASET = Path(__file__).resolve().parent / "dataset.jsonl"
DEFAULT_OUT = Path("evals") / "runs" / "latest"
EXIT_CHECK_FAILED = 1
MAX_WARNINGS_SHOWN = 10  # more than this and the table scrolls away; the rest are counted


def add_eval_command(commands: argparse._SubParsersAction) -> None:
    from evals.gate import DEFAULT_THRESHOLDS
    from ingest.cli_options import common_options

    parser = commands.add_parser(
        "eval", help="measure answers against the dataset of known answers",
        description="Run every dataset question through `ask` and report retrieval, answer and citation "
                    "metrics overall and per category.", parents=[common_options()])
    parser.add_argument("--dataset", action="append", metavar="FILE",
                        help="JSONL dataset; repeatable, and a glob such as 'evals/ofsted-*.jsonl' works "
                             "(default: evals/dataset.jsonl; format: evals/README.md)")
    parser.add_argument("--report", metavar="NAME",
                        help="ingested report to ask items without a `report` field, by index name "
                             "(default: the bundled report)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, metavar="DIR",
                        help=f"folder for report.md, report.html, results.jsonl and summary.json "
                             f"(default: {DEFAULT_OUT})")
    parser.add_argument("--compare", action="store_true",
                        help="run fused, dense, bm25 and the LangChain baseline side by side")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 when a metric of the gated configuration breaks its threshold")
    parser.add_argument("--thresholds", type=Path, default=DEFAULT_THRESHOLDS, metavar="FILE",
                        help="thresholds for --check (default: evals/thresholds.toml)")
    parser.add_argument("-k", type=int, default=None, metavar="N",
                        help="passages retrieved per question (default: the top_k setting, 5)")
    parser.set_defaults(handler=run_eval_command)


def run_eval_command(args: argparse.Namespace) -> int:
    from evals import gate, runner
    from evals.dataset import evidence_warnings, load_dataset, merge_datasets
    from evals.outputs import write_outputs
    from ingest.cli_options import settings_from

    settings = settings_from(args)
    k = args.k if args.k is not None else settings.top_k
    if k < 1:
        raise ReportQAError(f"-k must be at least 1, not {k}.")
    # Bad input is found before the model and index load (seconds) and the run (a minute) -- not after.
    dataset = merge_datasets([load_dataset(path) for path in dataset_paths(args.dataset)])
    thresholds = gate.load_thresholds(args.thresholds) if args.check else None
    _prepare(args.out)
    names = _config_names(args.compare, thresholds)
    _warn(dataset.warnings)
    groups = _ready_groups(dataset.items, args.report, settings)

    def load(report: str | None):
        print(f"loading index {report or 'of the bundled report'} and {len(names)} configuration(s)…",
              file=sys.stderr)
        return runner.load_configs(names, settings, report)

    def checked(report: str, loaded, items) -> None:
        _warn(evidence_warnings(items, loaded.document.text))

    run = runner.run_reports(load, groups, str(dataset.path), k, progress=_counter(), checked=checked)
    _print_tables(run, write_outputs(run, args.out))
    if thresholds is None:
        return 0
    return _gate(run.config(thresholds.config).summary.overall.to_json(), thresholds, args.thresholds)


def dataset_paths(given: list[str] | None) -> list[Path]:
    """The --dataset values as files: a glob expands (sorted), a plain name is kept as it is, so a missing
    file is reported by the loader. Example: ["evals/ofsted-*.jsonl"] -> the two Ofsted files."""
    if not given:
        return [DEFAULT_DATASET]
    paths: list[Path] = []
    for value in given:
        if any(ch in value for ch in "*?["):
            matched = sorted(Path(p) for p in glob.glob(value))
            if not matched:
                raise ReportQAError(f"--dataset {value!r} matches no file; give a .jsonl file or a glob "
                                    "that matches one.")
            paths += matched
        else:
            paths.append(Path(value))
    return list(dict.fromkeys(paths))


def _ready_groups(items, default: str | None, settings) -> dict:
    """Items per report to ask. Items naming their own report get its index built from the source when
    it is missing, or are skipped with a message; the others go to --report (None: the bundled report)."""
    from evals.reports import ensure_index
    from ingest.pipeline import report_name
    from ingest.settings import BUNDLED_REPORT

    groups: dict[str | None, list] = {}
    for item in items:
        groups.setdefault(item.report or default, []).append(item)
    own = {item.report for item in items if item.report}
    ready = {}
    for report, group in groups.items():
        if report in own or report is None:  # the bundled report's index is built too when it is missing
            name = report or report_name(BUNDLED_REPORT)
            print(f"checking the index of {name}…", file=sys.stderr)
            readiness = ensure_index(name, settings)
            if readiness.message:
                verb = "" if readiness.ready else f"skipping {len(group)} item(s) of report {name}: "
                print(f"{verb}{readiness.message}", file=sys.stderr)
            if not readiness.ready:
                continue
        ready[report] = group
    if not ready:
        raise ReportQAError("no dataset item has a report with an index or a source to build one from; "
                            "run `report-qa ingest FILE` for the reports the items name.")
    return ready


def _prepare(out: Path) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ReportQAError(f"cannot write the eval reports to {out} ({err.strerror}); give another --out.") \
            from None


def _config_names(compare: bool, thresholds: Thresholds | None) -> tuple[str, ...]:
    from evals.runner import COMPARE, DEFAULT_CONFIG

    names = COMPARE if compare else (DEFAULT_CONFIG,)
    if thresholds is not None and thresholds.config not in names:  # the gated config always runs
        names = (*names, thresholds.config)
    return names


def _print_tables(run: EvalRun, written: list[Path]) -> None:
    from evals.tables import category_rows, group_rows, overall_rows, text_table

    print(text_table(*overall_rows(run)))
    print()
    print("correct by category (unanswerable: share declined)")
    print(text_table(*category_rows(run)))
    print()
    grouped = group_rows(run)
    if grouped is not None:
        print("per report and split (every configuration: accuracy / hit@1 / declined unanswerable / "
              "wrongly declined / n)")
        print(text_table(*grouped))
        print()
    print(f"wrote {', '.join(str(p) for p in written)}")


def _gate(metrics: dict[str, float | int | None], thresholds: Thresholds, path: Path) -> int:
    from evals import gate

    broken = gate.check(metrics, thresholds)
    for failure in broken:
        print(f"check failed ({thresholds.config}): {failure}", file=sys.stderr)
    if broken:
        return EXIT_CHECK_FAILED
    count = len(thresholds.minimum) + len(thresholds.maximum)
    print(f"check passed ({thresholds.config}): {count} thresholds in {path} met")
    return 0


def _warn(warnings: list[str]) -> None:
    for warning in warnings[:MAX_WARNINGS_SHOWN]:
        print(f"warning: {warning}", file=sys.stderr)
    if len(warnings) > MAX_WARNINGS_SHOWN:
        print(f"warning: … and {len(warnings) - MAX_WARNINGS_SHOWN} more", file=sys.stderr)


def _counter():
    """progress(config, done, total) as a counter on stderr: rewritten in place on a terminal, else one line
    per configuration so CI logs stay short."""
    interactive = sys.stderr.isatty()
    started: dict[str, float] = {}

    def show(config: str, done: int, total: int) -> None:
        started.setdefault(config, time.perf_counter())
        seconds = time.perf_counter() - started[config]
        if interactive:
            end = "\n" if done == total else ""
            sys.stderr.write(f"\r{config:<20} {done:>4}/{total} {seconds:6.1f}s{end}")
            sys.stderr.flush()
        elif done == total:
            print(f"{config:<20} {done:>4}/{total} {seconds:6.1f}s", file=sys.stderr)

    return show
