"""The numbers of an eval run as rows of text: shared by the terminal table, report.md and report.html,
so all three show the same values formatted the same way."""

from __future__ import annotations

from evals.metrics import ItemResult, Metrics
from evals.runner import EvalRun

# Table rows: (summary.json key, label). Rates are shares in [0, 1].
ROWS = (
    ("hit@1", "retrieval hit@1"),
    ("hit@5", "retrieval hit@5"),
    ("mrr", "retrieval MRR"),
    ("accuracy", "answer accuracy"),
    ("citation_precision", "citation precision"),
    ("declined_unanswerable", "declined unanswerable"),
    ("wrongly_declined", "wrongly declined"),
    ("median_answer_chars", "median answer chars"),
    ("latency_p50_ms", "latency p50 ms"),
    ("latency_p95_ms", "latency p95 ms"),
    ("n", "questions"),
)
CATEGORY_NOTE = "Answer accuracy; for unanswerable questions, the share declined."
RATE_KEYS = ("hit@1", "hit@5", "mrr", "accuracy", "citation_precision", "declined_unanswerable",
             "wrongly_declined")


def format_value(key: str, value: float | int | None) -> str:
    """Example: ("accuracy", 0.8696) -> "0.87"; ("latency_p95_ms", 41.234) -> "41.2"; None -> "–"."""
    if value is None:
        return "–"
    if key in RATE_KEYS:
        return f"{value:.2f}"
    if key in ("median_answer_chars", "n"):
        return f"{value:.0f}"
    return f"{value:.1f}"


def correct_share(metrics: Metrics, category_answerable: bool) -> float | None:
    """One number per category: accuracy, or for unanswerable questions the share declined."""
    return metrics.accuracy if category_answerable else metrics.declined_unanswerable


def overall_rows(run: EvalRun) -> tuple[list[str], list[list[str]]]:
    header = ["metric", *(c.name for c in run.configs)]
    rows = [[label, *(format_value(key, c.summary.overall.to_json()[key]) for c in run.configs)]
            for key, label in ROWS]
    return header, rows


def category_rows(run: EvalRun) -> tuple[list[str], list[list[str]]]:
    """Correct share per category and configuration (unanswerable: declined)."""
    header = ["category (n)", *(c.name for c in run.configs)]
    rows = []
    for category, answerable, n in categories(run):
        cells = [format_value("accuracy", correct_share(c.summary.by_category[category], answerable))
                 for c in run.configs]
        rows.append([f"{category} ({n})", *cells])
    return header, rows


def config_category_rows(run: EvalRun, name: str) -> tuple[list[str], list[list[str]]]:
    """Every metric per category for one configuration."""
    keys = [key for key, _ in ROWS]
    header = ["category", *keys]
    summary = run.config(name).summary
    rows = [[category, *(format_value(k, m.to_json()[k]) for k in keys)]
            for category, m in summary.by_category.items()]
    return header, rows


def categories(run: EvalRun) -> list[tuple[str, bool, int]]:
    """(category, answerable, questions) in dataset order; every configuration ran the same items."""
    first = run.configs[0].results
    seen: dict[str, tuple[bool, int]] = {}
    for r in first:
        answerable, n = seen.get(r.category, (r.answerable, 0))
        seen[r.category] = (answerable, n + 1)
    return [(category, answerable, n) for category, (answerable, n) in seen.items()]


def text_table(header: list[str], rows: list[list[str]]) -> str:
    """A fixed-width table for the terminal: first column left-aligned, numbers right-aligned."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths,
                                                                                          strict=True)))
    return "\n".join([line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    align = ["---", *("---:" for _ in header[1:])]
    return "\n".join("| " + " | ".join(cells) + " |" for cells in [header, align, *rows])


def failures(results: list[ItemResult]) -> list[ItemResult]:
    return [r for r in results if not r.correct]


def what_was_answered(result: ItemResult) -> str:
    if result.error:
        return f"(refused: {result.error})"
    return f"(declined) {result.answer}" if result.abstained else result.answer


GROUP_KEYS = (("accuracy", "acc"), ("hit@1", "hit@1"), ("declined_unanswerable", "declined"),
              ("wrongly_declined", "wrongly"))


def groups(results: list[ItemResult]) -> dict[str, Metrics]:
    """The groups a multi-report or split run is read by: all, each split, each report, each report/split.
    Example: two reports, train and test -> all, all / train, all / test, a, a / train, ..."""
    from evals.metrics import UNSPLIT, compute, group_by, group_by_report_and_split

    out = {"all": compute(results)}
    splits = group_by(results, "split")
    if set(splits) != {UNSPLIT}:
        out |= {f"all / {name}": m for name, m in splits.items()}
    reports = group_by(results, "report")
    if len(reports) > 1:
        by_both = group_by_report_and_split(results)
        for report, metrics in reports.items():
            out[report] = metrics
            if set(splits) != {UNSPLIT}:
                out |= {name: m for name, m in by_both.items() if name.startswith(f"{report} / ")}
    return out


def group_rows(run: EvalRun) -> tuple[list[str], list[list[str]]] | None:
    """Accuracy, hit@1, declined and wrongly declined per group and configuration; None when the run is
    one report without splits (the overall table says it all)."""
    per_config = {c.name: groups(c.results) for c in run.configs}
    names = list(per_config[run.configs[0].name])
    if names == ["all"]:
        return None
    header = ["group", "n", *(f"{c.name} {label}" for c in run.configs for _, label in GROUP_KEYS)]
    rows = []
    for name in names:
        n = per_config[run.configs[0].name][name].n
        cells = [format_value(key, per_config[c.name][name].to_json()[key])
                 for c in run.configs for key, _ in GROUP_KEYS]
        rows.append([name, str(n), *cells])
    return header, rows
