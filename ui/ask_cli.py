"""`report-qa ask`: one question, or a JSONL file of them with one load of the index."""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from pathlib import Path

from ingest.errors import ReportQAError
from retrieval.records import Answer, Filters


def add_ask(commands) -> None:
    from ui.cli import common_options

    ask = commands.add_parser(
        "ask", parents=[common_options()], help="ask the report a question",
        description="Answer a question from the report's own sentences, with checked citations.",
        epilog='Examples:\n  report-qa ask "What does RAR stand for?"\n'
               "  report-qa ask --json \"How many cases were inspected?\"\n"
               "  report-qa ask --batch questions.jsonl --out answers.jsonl   # lines: {\"id\": .., \"question\": ..}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ask.add_argument("question", nargs="?", help="the question (quote it)")
    ask.add_argument("-k", type=int, default=None, help="how many passages to retrieve and show (default 5)")
    ask.add_argument("--json", action="store_true", help="print the answer object as JSON")
    ask.add_argument("--batch", type=Path, help="JSONL file of {\"id\", \"question\"} lines to answer")
    ask.add_argument("--out", type=Path, help="with --batch: where to write one answer object per line "
                     "(default: standard output)")
    ask.add_argument("--report", help="which ingested report to ask (default: the bundled report)")
    ask.add_argument("--section", help="only passages under this section (id prefix or title words)")
    ask.add_argument("--kind", help="only passages of this kind (table, glossary, practice_example, ...)")
    ask.add_argument("--organisation", help="only passages about CRC, NPS or 'CRC and NPS'")
    ask.set_defaults(handler=run_ask)


def run_ask(args: argparse.Namespace) -> int:
    from retrieval.engine import Engine
    from ui.cli import settings_from

    if (args.question is None) == (args.batch is None):
        raise ReportQAError('give one question ("report-qa ask \\"...\\"") or --batch FILE, not both or neither.')
    if args.out and not args.batch:
        raise ReportQAError("--out goes with --batch; for one question use --json and redirect the output.")
    filters = _filters(args)
    engine = Engine.load(settings_from(args), report=args.report)
    if args.batch:
        return run_batch(engine, args.batch, args.out, args.k, filters)
    answer = engine.ask(args.question, k=args.k, filters=filters)
    print(json.dumps(answer.to_json(), ensure_ascii=False, indent=1) if args.json else format_answer(answer))
    return 0


def _filters(args: argparse.Namespace) -> Filters | None:
    from ingest.records import KINDS

    if args.kind and args.kind not in KINDS:
        raise ReportQAError(f"unknown --kind {args.kind!r}; use one of {', '.join(KINDS)}.")
    if not (args.section or args.kind or args.organisation):
        return None
    return Filters(section=args.section, kind=args.kind, organisation=args.organisation)


def run_batch(engine, path: Path, out: Path | None, k: int | None, filters: Filters | None) -> int:
    """Answer every line; a bad line is reported by its number and the rest are still answered."""
    if not path.exists():
        raise ReportQAError(f"batch file not found: {path}")
    bad = 0
    sink = open(out, "w", encoding="utf-8") if out else sys.stdout  # noqa: SIM115 - closed below
    try:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                item_id, question = _parse_line(line, number)
                record = engine.ask(question, k=k, filters=filters, id=item_id).to_json()
            except ReportQAError as err:
                bad += 1
                print(f"line {number}: {err}", file=sys.stderr)
                record = {"id": _id_or_none(line), "line": number, "error": str(err)}
            sink.write(json.dumps(record, ensure_ascii=False) + "\n")
    except UnicodeDecodeError:
        raise ReportQAError(f"{path} is not UTF-8 text; convert it first.") from None
    finally:
        if out:
            sink.close()
    if bad:
        print(f"{bad} line(s) could not be answered; the others were.", file=sys.stderr)
    return 2 if bad else 0


def _parse_line(line: str, number: int) -> tuple[str | None, str]:
    try:
        item = json.loads(line)
    except json.JSONDecodeError as err:
        raise ReportQAError(f"not valid JSON ({err.msg} at column {err.colno})") from None
    if not isinstance(item, dict) or "question" not in item:
        raise ReportQAError('expected an object with a "question" field, e.g. {"id": "q1", "question": "..."}')
    item_id = item.get("id")
    return (str(item_id) if item_id is not None else None), item["question"]


def _id_or_none(line: str):
    try:
        item = json.loads(line)
        return item.get("id") if isinstance(item, dict) else None
    except json.JSONDecodeError:
        return None


def format_answer(answer: Answer) -> str:
    """The answer as a person reads it in a terminal."""
    lines = [_wrap(answer.answer), ""]
    for citation in answer.citations:
        pages = ", ".join(map(str, citation.pages))
        lines.append(f"[{citation.marker}] {citation.section} · p. {pages} · {citation.kind} · {citation.chunk_id}")
        lines.append(_wrap(f"“{citation.quote}”", indent="    "))
    figures = [f for f in answer.figures if f.kind != "table"]
    if figures:
        lines += ["", "Figures:"]
        for figure in figures:
            note = "" if figure.chart_in_text else " (chart not in the text: caption and source only)"
            lines.append(_wrap(f"{figure.value or figure.label} — {figure.describes}{note}", indent="  "))
    for figure in (f for f in answer.figures if f.kind == "table"):
        lines += ["", f"{figure.label}: {figure.caption}"]
        lines += _table_lines(figure.columns, figure.rows)
        if figure.source:
            lines.append(f"  Source: {figure.source}")
    if answer.note:
        lines += ["", f"Note: {answer.note}"]
    if answer.abstained and answer.passages:
        lines += ["", "Closest passages:"]
    elif answer.passages:
        lines += ["", "Passages retrieved:"]
    for passage in answer.passages:
        pages = ", ".join(map(str, passage.pages))
        lines.append(f"  {passage.rank}. {passage.section} · p. {pages} · {passage.kind} ({passage.score:.3f})")
        if answer.abstained:
            lines.append(_wrap(passage.text[:300] + ("…" if len(passage.text) > 300 else ""), indent="     "))
    return "\n".join(lines)


def _table_lines(columns: list[str], rows: list[list[str]]) -> list[str]:
    widths = [min(max(len(str(r[i])) if i < len(r) else 0 for r in [columns, *rows]), 48)
              for i in range(len(columns))]

    def fmt(cells: list[str]) -> str:
        return "  " + " | ".join(str(c)[: widths[i]].ljust(widths[i]) for i, c in enumerate(cells))

    return [fmt(columns), "  " + "-+-".join("-" * w for w in widths), *(fmt(r) for r in rows)]


def _wrap(text: str, indent: str = "") -> str:
    return textwrap.fill(text, width=100, initial_indent=indent, subsequent_indent=indent)
