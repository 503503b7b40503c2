"""`report-qa ask`: one question, or a JSONL file of them with one load of the index."""

from __future__ import annotations

import argparse
import json
import os
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
    ask.add_argument("--report", action="append", metavar="ID", help="ask this report (repeatable; default: the "
                     "whole library, or its one report; `report-qa reports` lists the ids)")
    ask.add_argument("--where", action="append", metavar="KEY=VALUE", help="only reports whose publisher, kind or "
                     "place is VALUE, e.g. --where 'publisher=Ofsted' (repeatable)")
    ask.add_argument("--since", type=int, metavar="YEAR", help="only reports dated YEAR or later")
    ask.add_argument("--section", help="only passages under this section (id prefix or title words)")
    ask.add_argument("--kind", help="only passages of this kind (table, glossary, practice_example, ...)")
    ask.add_argument("--organisation", help="only passages about CRC, NPS or 'CRC and NPS'")
    ask.set_defaults(handler=run_ask)


def run_ask(args: argparse.Namespace) -> int:
    from retrieval.library import Library, Selection
    from ui.cli import settings_from

    if (args.question is None) == (args.batch is None):
        raise ReportQAError('give one question ("report-qa ask \\"...\\"") or --batch FILE, not both or neither.')
    if args.out and not args.batch:
        raise ReportQAError("--out goes with --batch; for one question use --json and redirect the output.")
    filters = _filters(args)
    library = Library(settings_from(args))
    engine = LibraryAsker(library, Selection.parse(args.report, args.where, args.since))
    engine.check()
    if args.batch:
        return run_batch(engine, args.batch, args.out, args.k, filters)
    answer = engine.ask(args.question, k=args.k, filters=filters)
    text = format_answer(answer, show_report=len(library.entries) > 1)
    print(json.dumps(answer.to_json(), ensure_ascii=False, indent=1) if args.json else text)
    return 0


class LibraryAsker:
    """The library narrowed to the reports asked for, with the `ask` of one engine (what run_batch calls)."""

    def __init__(self, library, selection) -> None:
        self.library = library
        self.selection = selection

    def check(self) -> None:
        """Unknown ids, an empty library or a filter matching nothing: one clear error before any question."""
        self.library.select(self.selection)

    def ask(self, question: str, k: int | None = None, filters: Filters | None = None, id: str | None = None,
            previous: str | None = None) -> Answer:
        return self.library.ask(question, k=k, filters=filters, id=id, previous=previous, selection=self.selection)


def _filters(args: argparse.Namespace) -> Filters | None:
    from ingest.records import KINDS

    if args.kind is not None and args.kind not in KINDS:  # --kind '' is an error, not "any kind"
        raise ReportQAError(f"unknown --kind {args.kind!r}; use one of {', '.join(KINDS)}.")
    if args.section is None and args.kind is None and args.organisation is None:
        return None
    return Filters(section=args.section, kind=args.kind, organisation=args.organisation)


def run_batch(engine, path: Path, out: Path | None, k: int | None, filters: Filters | None) -> int:
    """Answer every line; a bad line is reported by its number and the rest are still answered."""
    lines = read_batch_lines(path)
    check_out_path(out, path)  # before anything is opened for writing: the input must never be truncated
    bad = 0
    seen: dict[str, int] = {}
    try:
        sink = open(out, "w", encoding="utf-8") if out else sys.stdout  # noqa: SIM115 - closed below
    except OSError as err:
        raise ReportQAError(f"cannot write --out {out} ({err.strerror}); choose a writable file.") from None
    try:
        for number, line in lines:
            if isinstance(line, str) and not line.strip():
                continue
            item_id = None
            try:
                item_id, question = _parse_line(line, number)
                if item_id is not None and item_id in seen:
                    print(f"line {number}: warning: id {item_id!r} was already used on line {seen[item_id]}; "
                          "both are answered.", file=sys.stderr)
                elif item_id is not None:
                    seen[item_id] = number
                record = engine.ask(question, k=k, filters=filters, id=item_id).to_json()
            except ReportQAError as err:
                bad += 1
                print(f"line {number}: {err}", file=sys.stderr)
                record = {"id": item_id, "line": number, "error": str(err)}
            except Exception as err:  # noqa: BLE001 - one bad line must never stop the others
                bad += 1
                message = f"internal error ({type(err).__name__}: {_safe(str(err))})"
                print(f"line {number}: {message}", file=sys.stderr)
                record = {"id": item_id, "line": number, "error": message}
            sink.write(json.dumps(record, ensure_ascii=False) + "\n")
    finally:
        if out:
            sink.close()
    if bad:
        print(f"{bad} line(s) could not be answered; the others were.", file=sys.stderr)
    return 2 if bad else 0


def read_batch_lines(path: Path) -> list[tuple[int, str | bytes]]:
    """(line number, text) for every line; a line that is not UTF-8 stays bytes, to be reported on its own.

    A UTF-8 byte-order mark before line 1 is dropped. A file with no UTF-8 line at all is refused whole.
    """
    if not path.exists():
        raise ReportQAError(f"batch file not found: {path}")
    if path.is_dir():
        raise ReportQAError(f"--batch {path} is a folder; give a JSONL file of questions.")
    try:
        data = path.read_bytes()
    except OSError as err:
        raise ReportQAError(f"cannot read --batch {path} ({err.strerror}).") from None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    lines: list[tuple[int, str | bytes]] = []
    for number, raw in enumerate(data.splitlines(), start=1):
        try:
            lines.append((number, raw.decode("utf-8")))
        except UnicodeDecodeError:
            lines.append((number, raw))
    if lines and all(isinstance(line, bytes) for _, line in lines):
        raise ReportQAError(f"{path} is not UTF-8 text; convert it first.")
    return lines


def check_out_path(out: Path | None, batch: Path) -> None:
    """Refuse an --out that is the batch file itself, a folder, or in a folder that does not exist."""
    if out is None:
        return
    if out.resolve() == batch.resolve() or (out.exists() and os.path.samefile(out, batch)):
        raise ReportQAError(f"--out {out} is the --batch file itself; writing would erase the questions. "
                            "Choose another output file.")
    if out.is_dir():
        raise ReportQAError(f"--out {out} is a folder; give a file name, e.g. {out / 'answers.jsonl'}.")
    parent = out.resolve().parent
    if not parent.is_dir():
        raise ReportQAError(f"--out {out}: the folder {parent} does not exist; create it or choose another path.")
    if not os.access(parent, os.W_OK) or (out.exists() and not os.access(out, os.W_OK)):
        raise ReportQAError(f"--out {out} is not writable; choose a file in a folder you can write to.")


def _parse_line(line: str | bytes, number: int) -> tuple[str | None, object]:
    if isinstance(line, bytes):
        bad = _first_bad_byte(line)
        raise ReportQAError(f"not UTF-8 text (byte 0x{line[bad]:02x} at column {bad + 1}); save the file as UTF-8.")
    try:
        item = json.loads(line)
    except json.JSONDecodeError as err:
        raise ReportQAError(f"not valid JSON ({err.msg} at column {err.colno})") from None
    if not isinstance(item, dict) or "question" not in item:
        raise ReportQAError('expected an object with a "question" field, e.g. {"id": "q1", "question": "..."}')
    item_id = item.get("id")
    return (_safe(str(item_id)) if item_id is not None else None), item["question"]


def _first_bad_byte(raw: bytes) -> int:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as err:
        return err.start
    return 0


def _safe(text: str) -> str:
    """Text that can always be written as UTF-8: a lone surrogate becomes its escape, e.g. "\\ud800"."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def format_answer(answer: Answer, show_report: bool = False) -> str:
    """The answer as a person reads it in a terminal; `show_report`: name each citation's report."""
    lines = [_wrap(answer.answer), ""]
    for citation in answer.citations:
        pages = ", ".join(map(str, citation.pages))
        where = f"{citation.report['id']} · " if show_report and citation.report else ""
        lines.append(f"[{citation.marker}] {where}{citation.section} · p. {pages} · {citation.kind} · "
                     f"{citation.chunk_id}")
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
