"""`report-qa`: ingest a report, ask it questions, serve the chat, run the evaluation, benchmark.

Every error the user can fix prints as one line on stderr with exit code 2; never a traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from dataclasses import asdict
from pathlib import Path

from ingest.cli_options import common_options, settings_from  # noqa: F401  (ui/ modules import them from here)
from ingest.errors import ReportQAError
from ingest.settings import BUNDLED_REPORT

EXIT_USAGE = 2


# Commands defined in this file: running one of them skips importing every other command's module (for
# `ingest` that is ~0.5 s of imports — pandas, the eval metrics — a new process would pay for nothing).
OWN_COMMANDS = ("ingest", "reports", "remove")


def main(argv: list[str] | None = None) -> int:
    first = (sys.argv[1:] if argv is None else argv)[:1]
    parser = build_parser(extras=first[0] not in OWN_COMMANDS if first else True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING, format="%(levelname)s %(message)s")
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return args.handler(args)
    except ReportQAError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and closed early: not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as err:  # one clear line; --debug shows the traceback
        if args.debug:
            raise
        print(f"internal error: {type(err).__name__}: {err} (run with --debug for details)", file=sys.stderr)
        return 1


def build_parser(extras: bool = True) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="report-qa",
        description="Question answering with checked citations over long institutional reports.",
        epilog="Settings also come from report-qa.toml or REPORT_QA_* variables (e.g. REPORT_QA_MODEL).",
    )
    parser.set_defaults(debug=False)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    ingest = commands.add_parser(
        "ingest", help="add reports to the library (default: the bundled report)",
        description="Clean, structure, chunk and embed reports (.txt, .md, .pdf) into the library under "
                    "--index-root, each in its own folder: adding or removing one never rebuilds the others, and "
                    "an unchanged report is skipped. A folder contributes the .txt, .md and .pdf files inside it. "
                    "A file that cannot be read prints one `error:` line; the others are still ingested (exit 2). "
                    "Files are parsed in child processes, several at once, while the main one embeds; a file whose "
                    "parse runs past --parse-timeout (default 120 s) or parse_max_mb of memory (default 2048) is "
                    "stopped and reported, and the batch goes on. Each report's line gives its seconds per stage "
                    "(parse, structure, embed, write).",
        parents=[common_options()])
    ingest.add_argument("paths", nargs="*", type=Path, default=[BUNDLED_REPORT], metavar="PATH",
                        help="report files and folders of reports")
    ingest.add_argument("--rebuild", action="store_true", help="rebuild even when a report is unchanged")
    ingest.add_argument("--json", action="store_true", help="print the result as JSON: for one file an object with "
                        "its seconds per stage (parse, structure, embed, write) and pages/s; else {\"reports\": "
                        "[...], \"total\": {...}}")
    ingest.add_argument("--parse-timeout", type=float, metavar="SECONDS",
                        help="stop parsing a file after this long, report it and go on (default 120; setting "
                             "parse_timeout)")
    ingest.add_argument("--workers", type=int, metavar="N", help="files parsed at once, each in its own process "
                        "(default: one per core; setting parse_workers)")
    ingest.set_defaults(handler=run_ingest)

    reports = commands.add_parser("reports", help="list the reports in the library", parents=[common_options()],
                                  description="Every indexed report: id, title, publisher, date, pages, chunks.")
    reports.add_argument("--json", action="store_true", help="print a JSON list (also place, kind, source file)")
    reports.set_defaults(handler=run_reports)

    remove = commands.add_parser("remove", help="remove a report from the library", parents=[common_options()],
                                 description="Delete one report's index; the other reports are not touched.")
    remove.add_argument("report", metavar="ID", help="the report's id (see `report-qa reports`)")
    remove.set_defaults(handler=run_remove)

    for extra in _extra_commands() if extras else []:
        extra(commands)
    return parser


def _extra_commands():
    """Subcommands living beside their feature (ask, serve, eval, bench) register themselves here."""
    from ui import commands

    return commands.REGISTER


def run_ingest(args: argparse.Namespace) -> int:
    from contextlib import closing

    from ingest.batch import ingest_files, totals
    from ingest.catalog import expand_paths
    from ingest.settings import load_settings

    settings = load_settings(args.config, index_root=args.index_root, model=args.model,
                             store_backend=getattr(args, "store_backend", None), parse_timeout=args.parse_timeout,
                             parse_workers=args.workers)
    started = time.perf_counter()
    files, failed = _report_files(args.paths, expand_paths)
    embedder = _LazyEmbedder(settings)  # the model loads only if some report needs embedding
    progress = _IngestProgress(len(files), quiet=args.json)
    results = []
    try:
        with closing(ingest_files(files, settings, embedder=embedder, rebuild=args.rebuild, progress=progress.step,
                                  on_file=progress.start)) as outcomes:
            for outcome in outcomes:
                path, err = outcome.path, outcome.error
                if isinstance(err, ReportQAError):
                    failed.append(path)
                    progress.say(f"error: {path}: {_without_path(str(err), path)}", error=True)
                elif err is not None:  # a parser bug on one file must not stop the batch; --debug shows it
                    if args.debug:
                        raise err
                    failed.append(path)
                    progress.say(f"error: {path}: internal error: {type(err).__name__}: {err} (run with --debug)",
                                 error=True)
                else:
                    results.append(outcome.result)
                    if not args.json:
                        progress.say(_ingest_line(outcome.result))
    finally:
        progress.close()
    total = totals(results, time.perf_counter() - started)
    if args.json:
        records = [_result_json(r) for r in results]
        one = len(args.paths) == 1 and not args.paths[0].is_dir() and len(records) == 1
        print(json.dumps(records[0] if one else {"reports": records, "total": {**total, "failed": len(failed)}},
                         indent=1))
    else:
        _print_ingest_summary(results, failed, total, settings.index_root)
    return EXIT_USAGE if failed else 0


def _result_json(result) -> dict:
    record = {**asdict(result), "document": None, "index_dir": str(result.index_dir)}
    record["pages_per_s"] = round(result.pages / result.seconds, 2) if result.pages and result.seconds > 0 else 0.0
    return record


def _report_files(paths: list[Path], expand) -> tuple[list[Path], list[Path]]:
    """Files to ingest, one per report id (a folder holding x.pdf and x.txt: the first is kept, said once)."""
    from ingest.pipeline import report_name

    files, failed, owner = [], [], {}
    for path in paths:
        try:
            expanded = expand([path])
        except ReportQAError as err:
            print(f"error: {path}: {_without_path(str(err), path)}", file=sys.stderr)
            failed.append(path)
            continue
        for file in expanded:
            try:
                report = report_name(file)
            except ReportQAError as err:
                print(f"error: {file}: {_without_path(str(err), file)}", file=sys.stderr)
                failed.append(file)
                continue
            if report in owner:
                print(f"warning: {file}: skipped, it would be report {report!r} like {owner[report]}; rename one to "
                      "keep both.", file=sys.stderr)
                continue
            owner[report] = file
            files.append(file)
    return files, failed


def _without_path(message: str, path: Path) -> str:
    """The error line names the file first; a message that starts with it again is shortened."""
    for prefix in (f"{path}: ", f"{path} "):
        if message.startswith(prefix):
            return message[len(prefix):]
    return message


def _ingest_line(result) -> str:
    c = result.counts
    what = "unchanged, skipped" if result.reused else result.reason
    return (f"{result.report_name}: {what} · {c.get('chunks', 0)} chunks · {c.get('tables', 0)} tables · "
            f"{result.seconds:.1f}s{_stage_text(result.stages)}")


def _stage_text(stages: dict[str, float]) -> str:
    """Example: {"parse": 0.1, "structure": 0.05, "embed": 3.2, "write": 0.1} -> " (parse 0.1 · ... · write 0.1)"."""
    if not stages:
        return ""
    return " (" + " · ".join(f"{stage} {seconds:.1f}" for stage, seconds in stages.items()) + ")"


def _print_ingest_summary(results, failed, total: dict, index_root: Path) -> None:
    seconds, pages = total["seconds"], total["pages"]
    rate = f" · {pages} pages, {total['pages_per_s']:.1f} pages/s" if total["built"] and seconds > 0 else ""
    print(f"{len(results) + len(failed)} file(s): {total['built']} built, {total['reused']} unchanged, "
          f"{len(failed)} failed · {seconds:.1f}s{rate}")
    if total["built"] > 1:
        print(f"stage seconds, summed over the reports built{_stage_text(total['stages'])}; parsing runs in "
              "child processes alongside embedding")
    if len(results) == 1 and not failed:
        c = results[0].counts
        print(f"index: {results[0].index_dir}")
        print(f"sections {c['sections']} · chunks {c['chunks']} · tables {c['tables']} · figures {c['figures']} · "
              f"practice examples {c['examples']} · glossary entries {c['glossary_entries']} · "
              f"key facts {c['key_facts']} · recommendations {c['recommendations']} · quotes {c['quotes']} · "
              f"footnotes {c['footnotes']}")
    else:
        print(f"library: {index_root} (`report-qa reports` lists it)")


class _LazyEmbedder:
    """The embedding model, loaded on the first report that needs embedding and shared by the rest."""

    def __init__(self, settings) -> None:
        self.settings = settings
        self.name = settings.model
        self._real = None

    def embed(self, texts):
        if self._real is None:
            from ingest import embed

            self._real = embed.make_embedder(self.settings.model, self.settings.batch_size,
                                             backend=self.settings.embed_backend)
        return self._real.embed(texts)


class _IngestProgress:
    """Two bars on stderr: the reports done of all, and the stages of the current one. Plain lines when
    stderr is not a terminal."""

    def __init__(self, total: int, quiet: bool = False) -> None:
        from tqdm import tqdm

        self.quiet = quiet
        self.interactive = sys.stderr.isatty() and not quiet
        self.overall = tqdm(total=total, desc="reports", unit="report", position=0, file=sys.stderr,
                            disable=not self.interactive, dynamic_ncols=True)
        self.current = tqdm(total=1, desc="", position=1, file=sys.stderr, disable=not self.interactive,
                            bar_format="{desc} {bar} {n_fmt}/{total_fmt}", dynamic_ncols=True, leave=False)
        self.name = ""
        self.count = 0

    def start(self, path: Path) -> None:
        if self.count:
            self.overall.update(1)
        self.count += 1
        self.name = path.name
        if not self.interactive and not self.quiet:
            print(f"[{self.count}/{self.overall.total}] {path}", file=sys.stderr)

    def step(self, stage: str, done: int, total: int) -> None:
        if self.interactive:
            self.current.set_description_str(f"{self.name[:40]}: {stage}", refresh=False)
            self.current.total = max(total, 1)
            self.current.n = done
            self.current.refresh()

    def say(self, line: str, error: bool = False) -> None:
        if self.interactive:
            self.overall.write(line, file=sys.stderr if error else sys.stdout)
        else:
            print(line, file=sys.stderr if error else sys.stdout)

    def close(self) -> None:
        if self.count:
            self.overall.update(1)
        self.current.close()
        self.overall.close()


def run_reports(args: argparse.Namespace) -> int:
    from ingest.catalog import list_reports

    settings = settings_from(args)
    entries = list_reports(settings.index_root)
    if args.json:
        print(json.dumps([e.to_json() for e in entries], ensure_ascii=False, indent=1))
        return 0
    if not entries:
        print(f"no reports in {settings.index_root}; add some with `report-qa ingest PATH...`.", file=sys.stderr)
        return 0
    rows = [(e.id, e.title, e.metadata.publisher, e.metadata.date, str(e.metadata.pages), str(e.metadata.chunks))
            for e in entries]
    header = ("id", "title", "publisher", "date", "pages", "chunks")
    widths = [min(max(len(r[i]) for r in [header, *rows]), 60 if i == 1 else 40) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(cell[: widths[i]].ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
    print(f"{len(entries)} report(s) in {settings.index_root}")
    return 0


def run_remove(args: argparse.Namespace) -> int:
    from ingest.catalog import remove_report

    settings = settings_from(args)
    entry = remove_report(settings.index_root, args.report)
    print(f"removed {entry.id} ({entry.title}); the other reports are unchanged.")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    sys.exit(main())
