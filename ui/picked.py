"""What the chat's report picker has picked, for the parts of the page that follow it: the page heading and
the trainers tab (ui/trainers_tab.py).

    reports = picked_reports(engine, library, ["ofsted-stoke-2015"], own_title)
    heading = page_heading(engine, library, ["ofsted-stoke-2015"], own_title)

None picked means the whole library for the chat; report-specific content (practice examples, the handout's
title) then shows the app's own report, as the single-report app did.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ingest.errors import ReportQAError
from ingest.records import Document
from ui import render

# The tab's title follows the heading (a change of the Markdown does not reach <title>).
TAB_TITLE_JS = ("() => { const h = document.querySelector('#rq-title h2'); "
                "if (h) document.title = `${h.textContent} · Report Q&A`; }")
MAX_TITLES = 3  # several picked: the heading names this many, then "and N more"
ASK_ONE = "Ask this report: answers quote it verbatim, with [n] markers pointing at the cited passages."


@dataclass(frozen=True)
class PickedReport:
    id: str
    title: str
    document: Document
    about: Any  # has .publisher and .date (a manifest or a catalogue entry's metadata), or None


def picked_ids(engine, library, chosen: list[str] | None) -> list[str]:
    """The chosen reports still in the library, in the picker's order; none: the app's own report."""
    known = {e.id for e in library.entries} if library is not None else set()
    ids = [r for r in dict.fromkeys(chosen or []) if r in known]
    return ids or [engine.document.name]


def picked_reports(engine, library, chosen: list[str] | None, own_title: str) -> list[PickedReport]:
    """Each picked report with its title and document (engines are loaded once, by the library)."""
    reports = []
    for report in picked_ids(engine, library, chosen):
        if report == engine.document.name:
            reports.append(PickedReport(report, own_title, engine.document, getattr(engine, "manifest", None)))
            continue
        try:
            entry = library.entry(report)
            document = library.engine(report).document
        except (ReportQAError, KeyError):
            continue  # removed since the picker was drawn: skip it rather than fail the tab
        reports.append(PickedReport(report, entry.title or report, document, entry.metadata))
    return reports or [PickedReport(engine.document.name, own_title, engine.document,
                                    getattr(engine, "manifest", None))]


def page_heading(engine, library, chosen: list[str] | None, own_title: str) -> str:
    """The page's heading (Markdown): the report's title with one report; with a library, what is asked.

    Examples: library of 3, none picked -> "## Report library: 3 reports"; two picked -> "## 2 reports:
    Birmingham … · Stoke …"; one picked -> its title.
    """
    count = len(library.entries) if library is not None else 0
    if count < 2:
        return f"## {render.plain(own_title)}\n{ASK_ONE}"
    known = {e.id: e for e in library.entries}
    ids = [r for r in dict.fromkeys(chosen or []) if r in known]
    if not ids:
        return (f"## Report library: {count} reports\nAsk all {count} at once, or pick reports above: answers "
                "quote them verbatim, with [n] markers pointing at the cited passages.")
    titles = [own_title if r == engine.document.name else (known[r].title or r) for r in ids]
    if len(titles) == 1:
        return f"## {render.plain(titles[0])}\n{ASK_ONE}"
    named = " · ".join(render.plain(t) for t in titles[:MAX_TITLES])
    more = f" and {len(titles) - MAX_TITLES} more" if len(titles) > MAX_TITLES else ""
    return (f"## {len(titles)} reports: {named}{more}\nAsk these reports: answers quote them verbatim, with [n] "
            "markers pointing at the cited passages (and name their report).")


def wire_heading(heading, picker, engine, library, own_title: str, demo=None) -> None:
    """Keep `heading` (and the browser tab's title) in step with the chat's report `picker`."""

    def follow(chosen):
        return page_heading(engine, library, chosen, own_title)

    if picker is not None:
        picker.change(follow, picker, heading, api_visibility="private").then(
            None, js=TAB_TITLE_JS, api_visibility="private")
    if demo is not None:
        demo.load(None, js=TAB_TITLE_JS)
