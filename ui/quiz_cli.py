"""`report-qa quiz`: a cited quiz from one report, every answer key checked by the answerer itself."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ingest.errors import ReportQAError


def add_quiz(commands) -> None:
    from ui.cli import common_options
    from ui.quiz_export import FORMATS

    quiz = commands.add_parser(
        "quiz", parents=[common_options()], help="a cited quiz for trainers (Markdown, .docx, Moodle GIFT, CSV)",
        description="N questions with answer keys from the report's key facts, glossary, tables, recommendations "
                    "and practice examples. Each key carries its citation (report, section, printed page, quote) "
                    "and is checked: the question is asked of the system, and an item it answers otherwise is "
                    "dropped (the count is printed on stderr). Multiple-choice distractors are values of the same "
                    "kind from the same report.",
        epilog="Examples:\n  report-qa quiz -n 10\n  report-qa quiz --report ofsted-birmingham-2016 --format gift "
               "--out quiz.gift.txt\n  report-qa quiz --section appendix-4 --format docx --out glossary-quiz.docx",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    quiz.add_argument("--report", metavar="ID", help="the report (see `report-qa reports`; default: the bundled one)")
    quiz.add_argument("--section", action="append", metavar="S", default=[],
                      help="only this section: an id prefix or words of a title (repeatable)")
    quiz.add_argument("--theme", metavar="WORDS", help="only passages holding these words, e.g. 'alcohol'")
    quiz.add_argument("-n", type=int, default=10, metavar="N", help="number of questions (default 10)")
    quiz.add_argument("--format", choices=FORMATS, help="md (default), docx, gift (Moodle) or csv; "
                      "default from --out's suffix")
    quiz.add_argument("--out", type=Path, metavar="FILE", help="write here (default: stdout; docx needs it)")
    quiz.add_argument("--seed", type=int, default=0, help="another seed picks other items and option orders")
    quiz.set_defaults(handler=run_quiz)


def run_quiz(args: argparse.Namespace) -> int:
    from retrieval.library import Library
    from retrieval.quiz import build_quiz
    from ui.cli import settings_from
    from ui.quiz_export import quiz_bytes

    fmt = output_format(args.format, args.out)
    if args.n < 1:
        raise ReportQAError(f"-n must be at least 1, not {args.n}.")
    settings = settings_from(args)
    library = Library(settings)
    engine = library.engine(args.report) if args.report else _bundled(library)
    quiz = build_quiz(engine, n=args.n, sections=args.section, theme=args.theme, seed=args.seed)
    data = quiz_bytes(quiz, fmt)
    if args.out:
        try:
            args.out.write_bytes(data)
        except OSError as err:
            raise ReportQAError(f"cannot write {args.out}: {err.strerror}; choose another --out.") from err
    else:
        sys.stdout.write(data.decode("utf-8"))
    print(summary_line(quiz, args.n, args.out), file=sys.stderr)
    return 0


def output_format(fmt: str | None, out: Path | None) -> str:
    """--format, else read from --out ("quiz.docx" -> docx, "x.gift.txt" -> gift), else md."""
    if fmt is None and out is not None:
        name = out.name.lower()
        fmt = next((f for f in ("docx", "gift", "csv", "md") if name.endswith(f".{f}") or f".{f}." in name), "md")
    fmt = fmt or "md"
    if fmt == "docx" and out is None:
        raise ReportQAError("--format docx writes a binary file: give --out FILE.docx.")
    return fmt


def summary_line(quiz, wanted: int, out: Path | None) -> str:
    """Example: "10 of 10 questions (12 asked, 2 dropped: the system answered otherwise) in 0.4 s -> quiz.md"."""
    short = f"; the report has no more checkable material for {wanted}" if len(quiz.items) < wanted else ""
    where = f" -> {out}" if out else ""
    return (f"{len(quiz.items)} of {wanted} questions ({quiz.asked} asked, {len(quiz.dropped)} dropped: the "
            f"system answered otherwise{short}) in {quiz.seconds:.1f} s{where}")


def _bundled(library):
    from ingest.pipeline import report_name
    from ingest.settings import BUNDLED_REPORT

    return library.engine(report_name(BUNDLED_REPORT))
