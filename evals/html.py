"""report.html: one self-contained page -- inline CSS, inline SVG charts, no script, nothing fetched.

It has to open from a CI artifact or an email attachment on a machine with no network, so even the
fonts are the system's own.
"""

from __future__ import annotations

from html import escape

from evals.metrics import ItemResult
from evals.runner import EvalRun
from evals.tables import (
    CATEGORY_NOTE,
    RATE_KEYS,
    categories,
    category_rows,
    config_category_rows,
    correct_share,
    failures,
    overall_rows,
    what_was_answered,
)

PALETTE = ("#2f6fb0", "#e07b39", "#5a9e4b", "#8e6bb8", "#c2464b", "#6d6d6d")
RATE_LABELS = {"hit@1": "hit@1", "hit@5": "hit@5", "mrr": "MRR", "accuracy": "accuracy",
               "citation_precision": "citation precision", "declined_unanswerable": "declined unanswerable",
               "wrongly_declined": "wrongly declined"}
CSS = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #222; max-width: 1100px;
       margin: 2em auto; padding: 0 1em; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ddd; }
.meta { color: #666; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.92em; }
th, td { padding: 3px 10px; border-bottom: 1px solid #eee; text-align: right; }
th:first-child, td:first-child { text-align: left; }
th { background: #f5f5f5; }
.chart { margin: 0.5em 0 1.5em; max-width: 100%; height: auto; }
.legend span { display: inline-block; margin-right: 1.2em; }
.legend i { display: inline-block; width: 12px; height: 12px; margin-right: 4px; vertical-align: -1px; }
details { margin: 0.6em 0; } summary { cursor: pointer; font-weight: 600; }
.failure { border-left: 3px solid #c2464b; padding: 0.2em 0.8em; margin: 0.8em 0; background: #fcf7f7; }
.failure p { margin: 0.25em 0; }
.failure ol { margin: 0.25em 0; font-size: 0.9em; color: #444; }
code { font-size: 0.9em; background: #f0f0f0; padding: 0 3px; }
"""


def render_html(run: EvalRun) -> str:
    names = [c.name for c in run.configs]
    body = [
        f"<h1>Evaluation: {escape(run.report)}</h1>",
        f"<p class=meta>{escape(run.created_at)} · dataset <code>{escape(run.dataset)}</code> · "
        f"top-k {run.k} · {len(run.configs[0].results)} questions</p>",
        "<h2>Overall</h2>", legend(names), overall_chart(run), html_table(*overall_rows(run)),
        "<h2>Correct by category</h2>",
        f"<p>{CATEGORY_NOTE}</p>",
        category_chart(run), html_table(*category_rows(run)),
        "<h2>Latency</h2>", latency_chart(run),
    ]
    for config in run.configs:
        body.append(f"<details><summary>{escape(config.name)}: every metric by category</summary>"
                    f"{html_table(*config_category_rows(run, config.name))}</details>")
    body.append("<h2>Failures</h2>")
    for i, config in enumerate(run.configs):
        body.append(failures_html(config.name, failures(config.results), open_=i == 0))
    return ("<!doctype html>\n<html lang=en><head><meta charset=utf-8>"
            f"<title>Evaluation: {escape(run.report)}</title><style>{CSS}</style></head>\n<body>\n"
            + "\n".join(body) + "\n</body></html>\n")


def html_table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def legend(names: list[str]) -> str:
    items = "".join(f'<span><i style="background:{colour(i)}"></i>{escape(name)}</span>'
                    for i, name in enumerate(names))
    return f"<p class=legend>{items}</p>"


def colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def overall_chart(run: EvalRun) -> str:
    values = [[c.summary.overall.to_json()[key] for c in run.configs] for key in RATE_KEYS]
    labels = [RATE_LABELS[k] for k in RATE_KEYS]
    return bar_chart(labels, values, top=1.0, title="Overall rates by configuration")


def category_chart(run: EvalRun) -> str:
    groups, values = [], []
    for category, answerable, n in categories(run):
        groups.append(f"{category} ({n})")
        values.append([correct_share(c.summary.by_category[category], answerable) for c in run.configs])
    return bar_chart(groups, values, top=1.0, title="Correct share by category")


def latency_chart(run: EvalRun) -> str:
    keys = ("latency_p50_ms", "latency_p95_ms")
    values = [[c.summary.overall.to_json()[k] for c in run.configs] for k in keys]
    top = max((v for row in values for v in row if v is not None), default=1.0) or 1.0
    return bar_chart(["p50 ms", "p95 ms"], values, top=top, title="Latency per question (ms)", digits=0)


def bar_chart(groups: list[str], values: list[list[float | None]], top: float, title: str,
              digits: int = 2) -> str:
    """Grouped vertical bars: one group per label, one bar per configuration, each labelled with its value.

    Example: groups ["hit@1"], values [[0.9, 0.7]] -> two bars, 90% and 70% of the plot height.
    """
    bars = max((len(row) for row in values), default=1)
    bar_w, gap, plot_h, left, bottom = 24, 24, 160, 40, 100
    group_w = bars * bar_w + gap
    width, height = left + group_w * len(groups) + 10, plot_h + bottom + 14
    # viewBox + max-width: a wide chart (ten categories x four configs) shrinks to the page, no scrollbar.
    parts = [f'<svg class=chart width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
             f'role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>']
    parts += _axis(left, plot_h, width, top, digits)
    for g, (label, row) in enumerate(zip(groups, values, strict=True)):
        x0 = left + g * group_w + gap // 2
        for b, value in enumerate(row):
            parts.append(_bar(x0 + b * bar_w, bar_w - 2, value, top, plot_h, colour(b), digits))
        parts.append(f'<text x="{x0 + bars * bar_w / 2:.0f}" y="{plot_h + 24}" font-size="11" '
                     f'text-anchor="end" transform="rotate(-30 {x0 + bars * bar_w / 2:.0f} {plot_h + 24})">'
                     f"{escape(label)}</text>")
    parts.append("</svg>")
    return "".join(parts)


def _axis(left: int, plot_h: int, width: int, top: float, digits: int) -> list[str]:
    parts = []
    for step in range(5):
        y = 10 + plot_h - plot_h * step / 4
        parts.append(f'<line x1="{left}" x2="{width - 6}" y1="{y:.0f}" y2="{y:.0f}" stroke="#e5e5e5"/>'
                     f'<text x="{left - 4}" y="{y + 4:.0f}" font-size="10" text-anchor="end" fill="#777">'
                     f"{top * step / 4:.{min(digits, 2)}f}</text>")
    return parts


def _bar(x: float, w: float, value: float | None, top: float, plot_h: int, fill: str, digits: int) -> str:
    if value is None:  # nothing measured: a dash on the axis, not a zero bar
        return f'<text x="{x + w / 2:.0f}" y="{plot_h + 6}" font-size="10" text-anchor="middle">–</text>'
    h = plot_h * min(max(value / top, 0.0), 1.0)
    y = 10 + plot_h - h
    label = f"{value:.{digits}f}"
    return (f'<rect x="{x:.0f}" y="{y:.1f}" width="{w}" height="{h:.1f}" fill="{fill}">'
            f"<title>{label}</title></rect>"
            f'<text x="{x + w / 2:.0f}" y="{y - 2:.0f}" font-size="9" text-anchor="middle">{label}</text>')


def failures_html(name: str, failed: list[ItemResult], open_: bool) -> str:
    items = "".join(_failure(r) for r in failed) or "<p>None.</p>"
    return (f"<details{' open' if open_ else ''}><summary>{escape(name)}: {len(failed)} failures</summary>"
            f"{items}</details>")


def _failure(r: ItemResult) -> str:
    rank = (f"evidence at rank {r.evidence_rank}" if r.evidence_rank else "evidence not retrieved") \
        if r.answerable else "unanswerable: should decline"
    passages = "".join(f"<li><code>{escape(cid)}</code> {escape(preview)}</li>"
                       for cid, preview in zip(r.passages, r.passage_previews, strict=True))
    return (f'<div class=failure><p><b>{escape(r.id)}</b> ({escape(r.category)}) {escape(r.question)}</p>'
            f"<p>expected: {escape(r.expected or '(not in the report)')}</p>"
            f"<p>answered: {escape(what_was_answered(r))}</p><p>{rank}</p><ol>{passages}</ol></div>")
