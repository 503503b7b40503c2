"""How many reports with a grading grid get a Judgements table (judgement -> grade) from ingest.

    .venv/bin/python scripts/judgement_coverage.py ../shared/corpus/library [--json] [--show-missing]

Parses each PDF (or text report) as ingest does, without embedding (~15 s for the 108 library PDFs on 2
cores), and reports, per report: whether its first pages print a grading grid (read independently from the
raw page text: three or more lines ending, after a column gap or alone, in a grade word of the report's
profile), and the rows of its Judgements table. Prints the coverage: reports with a grid that got a table.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import re
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ingest.errors import InputError  # noqa: E402
from ingest.pipeline import parse_report  # noqa: E402
from ingest.records import TABLE  # noqa: E402
from ingest.structure import GRADE_TABLE_LABEL, profile_named  # noqa: E402

GRID_PAGES = 2  # a grading grid is printed on the first pages
MIN_GRADE_LINES = 3


@dataclass
class Coverage:
    report: str
    grid_on_page: bool  # the first pages' raw text prints a grading grid
    rows: list[list[str]]  # the Judgements table's rows ([] when ingest made none)
    pages: list[int]
    error: str = ""


def coverage(paths: list[Path], workers: int = 2) -> list[Coverage]:
    # Spawned, not forked: a fork of a process running threads (a test run's gRPC, a server) can inherit a
    # held lock and hang for ever.
    with ProcessPoolExecutor(max(1, workers), mp_context=multiprocessing.get_context("spawn")) as pool:
        return list(pool.map(_one, paths))


def _one(path: Path) -> Coverage:
    try:
        document = parse_report(path)
    except InputError as error:
        return Coverage(path.stem, False, [], [], str(error).splitlines()[0])
    tables = [c for c in document.chunks if c.kind == TABLE and c.label == GRADE_TABLE_LABEL and c.table]
    rows = tables[0].table.rows if tables else []
    return Coverage(path.stem, _prints_grid(path), rows, tables[0].pages if tables else [])


def _prints_grid(path: Path) -> bool:
    """Three lines or more on the first pages end in a grade word after a wide gap, or are a grade alone."""
    grades = "|".join(re.escape(g) for g in profile_named("ofsted").grades)
    graded = re.compile(rf"(?:^|\s{{3,}})(?:{grades})(?: to be good)?$", re.I)
    text = _first_pages_text(path)
    return sum(bool(graded.search(line.strip())) for line in text.splitlines()) >= MIN_GRADE_LINES


def _first_pages_text(path: Path) -> str:
    if path.suffix.lower() != ".pdf":
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[:120])
    from ingest.pdf import _open, _read_page

    pdf = _open(path)
    try:
        return "\n".join(line.text for i in range(min(GRID_PAGES, len(pdf))) for line in _read_page(pdf, i).lines)
    finally:
        pdf.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", type=Path, help="report files or folders")
    parser.add_argument("--json", action="store_true", help="one JSON object per report")
    parser.add_argument("--show-missing", action="store_true", help="name the reports with a grid but no table")
    args = parser.parse_args(argv)
    files = sorted(f for p in args.paths for f in ([p] if p.is_file() else p.glob("*")) if f.suffix.lower()
                   in (".pdf", ".txt", ".md"))
    found = coverage(files)
    if args.json:
        for item in found:
            print(json.dumps(asdict(item)))
        return 0
    parsed = [r for r in found if not r.error]
    gridded = [r for r in parsed if r.grid_on_page]
    covered = [r for r in gridded if r.rows]
    tables = [r for r in parsed if r.rows]
    share = len(covered) / len(gridded) if gridded else 0.0
    print(f"{len(parsed)} reports parsed ({len(found) - len(parsed)} refused); {len(tables)} have a Judgements "
          f"table; {len(covered)}/{len(gridded)} of those printing a grading grid ({share:.1%})")
    if args.show_missing:
        for r in gridded:
            if not r.rows:
                print(f"  no table: {r.report}")
        for r in tables:
            if not r.grid_on_page:
                print(f"  table without a grid on its first pages: {r.report} (pages {r.pages})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
