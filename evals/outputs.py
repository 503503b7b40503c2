"""What an eval run leaves in --out: summary.json, results.jsonl, report.md and report.html."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from evals.html import render_html
from evals.metrics import ItemResult
from evals.runner import EvalRun
from evals.tables import (
    CATEGORY_NOTE,
    category_rows,
    config_category_rows,
    failures,
    group_rows,
    groups,
    markdown_table,
    overall_rows,
    what_was_answered,
)


def write_outputs(run: EvalRun, out: Path) -> list[Path]:
    """Write the four files into `out` (created if needed) and return their paths."""
    out.mkdir(parents=True, exist_ok=True)
    files = {
        "summary.json": json.dumps(summary_json(run), indent=1) + "\n",
        "results.jsonl": "".join(json.dumps(r.to_json(), ensure_ascii=False) + "\n"
                                 for config in run.configs for r in config.results),
        "report.md": render_markdown(run),
        "report.html": render_html(run),
    }
    for name, text in files.items():
        (out / name).write_text(text, encoding="utf-8")
    return [out / name for name in files]


def summary_json(run: EvalRun) -> dict[str, Any]:
    """The shape the chat UI reads: {created_at, dataset, configs: {name: {overall, by_category}}}."""
    return {"created_at": run.created_at, "dataset": run.dataset,
            "configs": {config.name: _config_json(config) for config in run.configs}}


def _config_json(config) -> dict[str, Any]:
    """overall and by_category; plus by_group (all / split / report / report-split) when the run has more
    than one report or has splits."""
    data = config.summary.to_json()
    grouped = groups(config.results)
    if list(grouped) != ["all"]:
        data["by_group"] = {name: m.to_json() for name, m in grouped.items()}
    return data


def render_markdown(run: EvalRun) -> str:
    parts = [f"# Evaluation: {run.report}", "",
             f"{run.created_at} · dataset `{run.dataset}` · top-k {run.k} · "
             f"{len(run.configs[0].results)} questions", "",
             "## Overall", "", markdown_table(*overall_rows(run)), "",
             "## Correct by category", "", CATEGORY_NOTE, "", markdown_table(*category_rows(run)), ""]
    grouped = group_rows(run)
    if grouped is not None:
        parts += ["## Per report and split", "", markdown_table(*grouped), ""]
    for config in run.configs:
        parts += [f"## {config.name}: every metric by category", "",
                  markdown_table(*config_category_rows(run, config.name)), ""]
    for config in run.configs:
        parts += _markdown_failures(config.name, failures(config.results))
    return "\n".join(parts)


def _markdown_failures(name: str, failed: list[ItemResult]) -> list[str]:
    lines = [f"## Failures: {name} ({len(failed)})", ""]
    for r in failed:
        rank = f"evidence at rank {r.evidence_rank}" if r.evidence_rank else "evidence not retrieved"
        lines += [f"### {r.id} ({r.category})", "", f"**Q:** {r.question}", "",
                  f"- expected: {r.expected or '(not in the report: should decline)'}",
                  f"- answered: {_one_line(what_was_answered(r))}",
                  f"- {rank if r.answerable else 'unanswerable'}",
                  "- passages:"]
        lines += [f"  {i}. `{cid}` {preview}" for i, (cid, preview) in
                  enumerate(zip(r.passages, r.passage_previews, strict=True), start=1)]
        lines.append("")
    return lines


def _one_line(text: str) -> str:
    return " ".join(text.split())
