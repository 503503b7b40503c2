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
    """Ready when the index exists and is current; else ingest the source if one is found; else not ready,
    saying why. An index built from the source found here is brought up to date (ingest reuses it when the file,
    model, chunker and parser version are unchanged, so this costs a checksum); an index built from another copy
    (the PDF where the eval prefers the text) is used as it is."""
    source = find_source(report, folders)
    if has_index(report, settings):
        if source is None or not _built_from(report, settings, source):
            return Readiness(report, True, "")
        result = _ingester(ingest)(source, settings)
        if getattr(result, "reused", True):
            return Readiness(report, True, "")
        return Readiness(report, True, f"rebuilt {settings.index_dir(report)} ({getattr(result, 'reason', '')})")
    if source is None:
        where = ", ".join(str(f) for f in (folders if folders is not None else source_folders()))
        return Readiness(report, False, f"no index for report {report!r} in {settings.index_root} and no "
                                        f"source file for it in {where}; run `report-qa ingest FILE` first")
    log.info("ingesting %s for the eval", source)
    _ingester(ingest)(source, settings)
    return Readiness(report, True, f"ingested {source} into {settings.index_dir(report)}")


def _built_from(report: str, settings: Settings, source: Path) -> bool:
    from ingest.errors import ReportQAError
    from ingest.store import read_manifest

    try:
        manifest = read_manifest(settings.index_dir(report))
    except ReportQAError:  # a damaged index: loading it says so, with the next step
        return False
    recorded = getattr(manifest, "source_path", "") if manifest is not None else ""
    return bool(recorded) and Path(recorded) == source.resolve()


def _ingester(ingest: Callable[[Path, Settings], object] | None) -> Callable[[Path, Settings], object]:
    if ingest is not None:
        return ingest
    from ingest.pipeline import ingest as ingest_report

    return lambda path, s: ingest_report(path, s)
