"""Do reports asked through their PDFs answer as well as through their `.txt` copies? (issue 10)

    .venv/bin/python scripts/pdf_parity.py [--corpus ../shared/corpus/other-reports] [--dataset 'evals/*.jsonl']
                                           [--pdf-index-root DIR] [--show-items] [--json]

For every PDF in the corpus folder that has a `.txt` copy beside it and eval items naming it (by report id,
as `report-qa eval` maps them: evals/reports.py), the PDF is ingested into a temporary library
(`--pdf-index-root` keeps it, so a second run reuses its index or the vectors of unchanged texts). The
report's eval items are then asked twice with the fused engine of `report-qa eval`: against the index built
from the `.txt` copy (the normal path: the default index root, built or brought up to date as the eval does)
and against the one built from the PDF. It prints, per report and over all of them, for txt, pdf and pdf - txt:

    items, accuracy (answerable items answered right), hit@1 (evidence in the first passage),
    declined (answers that declined, any item), wrong (answers given that are wrong: an answerable item
    answered with no accepted pattern, or an unanswerable one answered)

`--show-items` lists the items whose outcome differs between the two. ~1 minute on 2 cores with a fresh
temporary library (most of it embedding the PDFs). Exit code 0 whatever the numbers; 2 on a usage error (no
such folder, no PDF with items, a bad dataset).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import asdict, dataclass, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from evals.cli import dataset_paths  # noqa: E402
from evals.dataset import EvalItem, load_dataset, merge_datasets  # noqa: E402
from evals.metrics import ItemResult, compute  # noqa: E402
from evals.reports import ensure_index, shared_root  # noqa: E402
from evals.runner import DEFAULT_CONFIG, run_config  # noqa: E402
from evals.tables import text_table  # noqa: E402
from ingest.errors import ReportQAError  # noqa: E402
from ingest.pipeline import ingest, report_name  # noqa: E402
from ingest.settings import PROJECT_ROOT, Settings, load_settings  # noqa: E402

EXIT_USAGE = 2
DEFAULT_DATASET = str(PROJECT_ROOT / "evals" / "*.jsonl")
COLUMNS = ("items", "acc", "hit@1", "declined", "wrong")


@dataclass
class Side:
    """One report's items asked through one source copy: the scores of the table."""

    items: int
    acc: float | None
    hit_at_1: float | None
    declined: int
    wrong: int

    @classmethod
    def of(cls, results: list[ItemResult]) -> Side:
        metrics = compute(results)
        return cls(len(results), metrics.accuracy, metrics.hit_at_1, sum(r.abstained for r in results),
                   sum(not r.correct and not r.abstained for r in results))

    def cells(self) -> list[str]:
        return [str(self.items), _share(self.acc), _share(self.hit_at_1), str(self.declined), str(self.wrong)]


@dataclass
class Parity:
    report: str
    txt: Side
    pdf: Side
    changed: list[dict]  # items whose outcome differs: id, category, txt/pdf correct and evidence rank

    def difference(self) -> list[str]:
        return [f"{self.pdf.items - self.txt.items:+d}", _delta(self.txt.acc, self.pdf.acc),
                _delta(self.txt.hit_at_1, self.pdf.hit_at_1), f"{self.pdf.declined - self.txt.declined:+d}",
                f"{self.pdf.wrong - self.txt.wrong:+d}"]


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings(None, index_root=args.txt_index_root)
        pairs = _pairs(args.corpus)
        items = _items_by_report(args.dataset, set(pairs))
        if not items:
            raise ReportQAError(f"no eval item in {', '.join(args.dataset)} names a report of {args.corpus} "
                                "with both a .pdf and a .txt copy; nothing to compare.")
        if args.pdf_index_root is not None:
            rows = _compare(pairs, items, settings, args.pdf_index_root)
        else:
            with tempfile.TemporaryDirectory(prefix="pdf-parity-") as folder:
                rows = _compare(pairs, items, settings, Path(folder))
    except ReportQAError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USAGE
    print(json.dumps([asdict(row) for row in rows], indent=1) if args.json else _table(rows, args.show_items))
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pdf_parity.py", description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 2)[2], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=shared_root() / "corpus" / "other-reports",
                        help="folder of reports as NAME.pdf + NAME.txt (default: ../shared/corpus/other-reports)")
    parser.add_argument("--dataset", action="append", metavar="FILE",
                        help="eval JSONL file or glob, repeatable (default: evals/*.jsonl)")
    parser.add_argument("--pdf-index-root", type=Path, metavar="DIR",
                        help="library to ingest the PDFs into and keep (default: a temporary folder, removed)")
    parser.add_argument("--txt-index-root", type=Path, metavar="DIR",
                        help="library of the .txt-built indexes (default: the index_root setting, corpus/index)")
    parser.add_argument("--show-items", action="store_true", help="list the items whose outcome differs")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    parser.set_defaults(dataset=None)
    return parser


def _pairs(corpus: Path) -> dict[str, tuple[Path, Path]]:
    """Report id -> (its PDF, its .txt copy), for every PDF of `corpus` with a .txt beside it."""
    if not corpus.is_dir():
        raise ReportQAError(f"{corpus} is not a folder; give --corpus a folder of NAME.pdf + NAME.txt reports.")
    pairs = {report_name(pdf): (pdf, pdf.with_suffix(".txt")) for pdf in sorted(corpus.glob("*.pdf"))
             if pdf.with_suffix(".txt").is_file()}
    if not pairs:
        raise ReportQAError(f"{corpus} holds no NAME.pdf with a NAME.txt beside it; nothing to compare.")
    return pairs


def _items_by_report(patterns: list[str] | None, reports: set[str]) -> dict[str, list[EvalItem]]:
    dataset = merge_datasets([load_dataset(path) for path in dataset_paths(patterns or [DEFAULT_DATASET])])
    grouped: dict[str, list[EvalItem]] = {}
    for item in dataset.items:
        if item.report in reports:
            grouped.setdefault(item.report, []).append(item)
    return grouped


def _compare(pairs: dict[str, tuple[Path, Path]], items: dict[str, list[EvalItem]], settings: Settings,
             pdf_root: Path) -> list[Parity]:
    pdf_settings = replace(settings, index_root=pdf_root)
    rows, every_txt, every_pdf = [], [], []
    for report, group in items.items():
        pdf, _ = pairs[report]
        print(f"{report}: ingesting {pdf.name} into {pdf_root}…", file=sys.stderr)
        ingest(pdf, pdf_settings)
        readiness = ensure_index(report, settings)  # the eval's own path: builds the .txt index when missing
        if not readiness.ready:
            raise ReportQAError(readiness.message)
        print(f"{report}: asking {len(group)} items of the txt and the pdf index…", file=sys.stderr)
        txt, pdf_results = _ask(report, group, settings), _ask(report, group, pdf_settings)
        rows.append(Parity(report, Side.of(txt), Side.of(pdf_results), _changed(txt, pdf_results)))
        every_txt += txt
        every_pdf += pdf_results
    if len(rows) > 1:
        rows.append(Parity("all", Side.of(every_txt), Side.of(every_pdf), []))
    return rows


def _ask(report: str, group: list[EvalItem], settings: Settings) -> list[ItemResult]:
    """The fused engine's scored results over `report`'s index in `settings.index_root`, as `report-qa eval`."""
    from retrieval.engine import Engine

    engine = Engine.load(settings=settings, report=report, strategy=DEFAULT_CONFIG)
    return run_config(DEFAULT_CONFIG, engine, group, settings.top_k).results


def _changed(txt: list[ItemResult], pdf: list[ItemResult]) -> list[dict]:
    return [{"id": a.id, "category": a.category, "txt": [a.correct, a.evidence_rank],
             "pdf": [b.correct, b.evidence_rank]}
            for a, b in zip(txt, pdf, strict=True)
            if (a.correct, a.evidence_rank) != (b.correct, b.evidence_rank)]


def _table(rows: list[Parity], show_items: bool) -> str:
    header = ["report", "source", *COLUMNS]
    body = []
    for row in rows:
        body += [[row.report, "txt", *row.txt.cells()], ["", "pdf", *row.pdf.cells()],
                 ["", "pdf-txt", *row.difference()]]
    lines = [text_table(header, body)]
    if show_items:
        lines.append("")
        lines.append("items whose outcome differs (correct, evidence rank):")
        lines += [f"  {c['id']:<22} {c['category']:<14} txt {c['txt']}  pdf {c['pdf']}"
                  for row in rows for c in row.changed]
    return "\n".join(lines)


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _delta(before: float | None, after: float | None) -> str:
    return "-" if before is None or after is None else f"{after - before:+.2f}"


if __name__ == "__main__":
    sys.exit(main())
