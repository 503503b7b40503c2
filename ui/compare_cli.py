"""`report-qa compare "overall effectiveness"`: one judgement's grade in every report, each with a citation."""

from __future__ import annotations

import argparse
import json

NO_VALUE = "-"


def add_compare(commands) -> None:
    from ui.cli import common_options

    compare = commands.add_parser(
        "compare", parents=[common_options()], help="one judgement's grade across the library's reports",
        description="The grade each report gives a judgement, read from its judgements table (the grading grid), "
                    "with a citation. The row whose judgement shares most of the words given is taken; a report "
                    "with no matching row is listed with no grade (JSON: \"value\": null, \"citation\": null).",
        epilog='Examples:\n  report-qa compare "overall effectiveness"\n'
               '  report-qa compare leadership --since 2015 --json',
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    compare.add_argument("judgement", help="the judgement, in words (quote it), e.g. \"overall effectiveness\"")
    compare.add_argument("--json", action="store_true", help="print a list of {report, value, judgement, citation}")
    compare.add_argument("--report", action="append", metavar="ID", help="only this report (repeatable)")
    compare.add_argument("--where", action="append", metavar="KEY=VALUE", help="only reports whose publisher, kind "
                         "or place is VALUE, e.g. --where 'publisher=Ofsted' (repeatable)")
    compare.add_argument("--since", type=int, metavar="YEAR", help="only reports dated YEAR or later")
    compare.set_defaults(handler=run_compare)


def run_compare(args: argparse.Namespace) -> int:
    from retrieval.compare import compare
    from retrieval.library import Library, Selection
    from ui.cli import settings_from

    library = Library(settings_from(args))
    results = compare(library, args.judgement, Selection.parse(args.report, args.where, args.since))
    if args.json:
        print(json.dumps([r.to_json() for r in results], ensure_ascii=False, indent=1))
        return 0
    print(format_comparison(results))
    return 0


def format_comparison(results) -> str:
    header = ("report", "date", "grade", "citation")
    rows = [(r.report["id"], r.report.get("date") or "undated", r.value or NO_VALUE, _cite(r)) for r in results]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(3)]
    lines = ["  ".join([*(cell.ljust(widths[i]) for i, cell in enumerate(row[:3])), row[3]]).rstrip()
             for row in [header, *rows]]
    missing = sum(r.value is None for r in results)
    lines.append(f"{len(results) - missing} of {len(results)} report(s) grade it"
                 + (f"; {missing} have no matching judgement ({NO_VALUE})." if missing else "."))
    return "\n".join(lines)


def _cite(result) -> str:
    c = result.citation
    if c is None:
        return ""
    pages = ", ".join(map(str, c.pages)) or "?"
    pdf = f" (pdf {', '.join(map(str, c.pdf_pages))})" if c.pdf_pages and c.pdf_pages != c.pages else ""
    return f"{result.judgement!r}: {c.label or c.kind}, p. {pages}{pdf}, {c.section}"
