"""Which report an eval item is asked of, and making sure that report has an index before the run.

An item's `report` is an index name (`ofsted-birmingham-2016`). When its index is missing and the source
text is found -- the bundled report, a file under ../shared/corpus/other-reports/, or a PDF under
../shared/corpus/library/ (REPORT_QA_SHARED overrides ../shared) -- it is ingested into the index root
first; otherwise its items are skipped and the caller says so.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ingest.pipeline import report_name
from ingest.settings import BUNDLED_REPORT, PROJECT_ROOT, Settings

log = logging.getLogger(__name__)

SOURCE_SUFFIXES = (".txt", ".pdf")  # the text copy first: it is what the evidence quotes were checked against


def shared_root() -> Path:
    """../shared next to the repository, or $REPORT_QA_SHARED."""
    override = os.environ.get("REPORT_QA_SHARED")
    return Path(override) if override else PROJECT_ROOT.parent / "shared"


LIBRARY_SUFFIXES = (".pdf",)  # the library folder holds the published PDFs only (no checked text copies)


def source_folders() -> list[Path]:
    corpus = shared_root() / "corpus"
    return [BUNDLED_REPORT.parent, corpus / "other-reports", corpus, corpus / "library"]


def _suffixes(folder: Path) -> tuple[str, ...]:
    return LIBRARY_SUFFIXES if folder.name == "library" else SOURCE_SUFFIXES


def find_source(report: str, folders: list[Path] | None = None) -> Path | None:
    """The report file whose index name is `report`, or None. Example: "ofsted-birmingham-2016" ->
    ../shared/corpus/other-reports/ofsted-birmingham-2016.txt; "ofsted-sunderland-11-march-2025" ->
    ../shared/corpus/library/ofsted-sunderland-11-march-2025.pdf."""
    for folder in folders if folders is not None else source_folders():
        for suffix in _suffixes(folder):
            for path in sorted(folder.glob(f"*{suffix}")) if folder.is_dir() else []:
                if report_name(path) == report:
                    return path
    return None


def has_index(report: str, settings: Settings) -> bool:
    return (settings.index_dir(report) / "manifest.json").exists()


@dataclass(frozen=True)
class Readiness:
    report: str
    ready: bool
    message: str  # what happened, for the user: "ingested ...", or why the items are skipped


def ensure_index(report: str, settings: Settings, ingest: Callable[[Path, Settings], object] | None = None,
                 folders: list[Path] | None = None) -> Readiness:
    """Ready when the index exists; else ingest the source if one is found; else not ready, saying why."""
    if has_index(report, settings):
        return Readiness(report, True, "")
    source = find_source(report, folders)
    if source is None:
        where = ", ".join(str(f) for f in (folders if folders is not None else source_folders()))
        return Readiness(report, False, f"no index for report {report!r} in {settings.index_root} and no "
                                        f"source file for it in {where}; run `report-qa ingest FILE` first")
    if ingest is None:
        from ingest.pipeline import ingest as ingest_report

        def ingest(path: Path, s: Settings) -> object:
            return ingest_report(path, s)
    log.info("ingesting %s for the eval", source)
    ingest(source, settings)
    return Readiness(report, True, f"ingested {source} into {settings.index_dir(report)}")
