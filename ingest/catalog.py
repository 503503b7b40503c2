"""The library: every report indexed under one `index_root`, each in its own folder `<index_root>/<report id>/`.

Adding or removing a report never touches the others; a folder without a manifest (an ingest killed before
its last step) is not a report, so an interrupted ingest of many files leaves the ones finished usable.

    entries = list_reports(settings.index_root)   # [ReportEntry(id="ofsted-birmingham-2016", ...), ...]
    remove_report(settings.index_root, "ofsted-birmingham-2016")
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest.errors import IndexProblem, InputError
from ingest.metadata import ReportMetadata, describe
from ingest.store import Manifest, read_manifest

REPORT_SUFFIXES = (".txt", ".md", ".markdown", ".pdf")  # what a folder given to ingest contributes


@dataclass(frozen=True)
class ReportEntry:
    id: str
    metadata: ReportMetadata
    source_name: str
    built_at: str
    path: Path

    @property
    def title(self) -> str:
        return self.metadata.title

    @property
    def year(self) -> int | None:
        return self.metadata.year

    def summary(self) -> dict[str, Any]:
        """What citations carry: {"id", "title", "date"}."""
        return {"id": self.id, "title": self.metadata.title, "date": self.metadata.date}

    def to_json(self) -> dict[str, Any]:
        m = self.metadata
        return {"id": self.id, "title": m.title, "publisher": m.publisher, "date": m.date, "place": m.place,
                "kind": m.kind, "pages": m.pages, "chunks": m.chunks, "source": self.source_name}


def list_reports(index_root: Path) -> list[ReportEntry]:
    """Every usable report under `index_root`, by id."""
    root = Path(index_root)
    if not root.is_dir():
        return []
    entries = []
    for folder in sorted(root.iterdir()):
        if folder.name.startswith(".") or not folder.is_dir():
            continue  # a build in progress (".<id>.building-...") or a removal
        if folder.name.endswith(".old"):
            if (folder.with_name(folder.name[: -len(".old")]) / "manifest.json").exists():
                continue  # the previous build, kept until the new one is renamed in
            folder = folder.with_name(folder.name[: -len(".old")])  # killed between the two renames
        manifest = read_manifest(folder)
        if manifest is not None and not any(e.id == manifest.report_name for e in entries):
            entries.append(entry_for(manifest, folder))
    return entries


def entry_for(manifest: Manifest, folder: Path) -> ReportEntry:
    return ReportEntry(manifest.report_name, _metadata(manifest, folder), manifest.source_name, manifest.built_at,
                       folder)


def _metadata(manifest: Manifest, folder: Path) -> ReportMetadata:
    chunks = int(manifest.counts.get("chunks", 0))
    if manifest.title:
        return ReportMetadata(manifest.title, manifest.publisher, manifest.date, manifest.place, manifest.kind,
                              manifest.pages, chunks)
    # An index built before metadata was kept: read it from the stored report text.
    usable = folder if (folder / "manifest.json").exists() else folder.with_name(folder.name + ".old")
    try:
        text = (usable / "report.txt").read_text(encoding="utf-8")
        pages = len(json.loads((usable / "pages.json").read_text(encoding="utf-8")))
    except (OSError, ValueError):
        text, pages = "", 0
    return describe(text, Path(manifest.source_name).stem or manifest.report_name, pages=pages, chunks=chunks)


def find_report(index_root: Path, report: str) -> ReportEntry:
    entries = list_reports(index_root)
    for entry in entries:
        if entry.id == report:
            return entry
    raise IndexProblem(unknown_report_message(report, entries, index_root))


def unknown_report_message(report: str, entries: list[ReportEntry], index_root: Path) -> str:
    if not entries:
        return f"no report {report!r}: nothing is indexed in {index_root}; run `report-qa ingest PATH` first."
    return (f"no report {report!r} in {index_root}; known reports: {', '.join(e.id for e in entries)} "
            "(`report-qa reports` lists them).")


def remove_report(index_root: Path, report: str) -> ReportEntry:
    """Delete one report's folder. It is renamed away first, so a reader never sees half a report."""
    entry = find_report(index_root, report)
    root = Path(index_root)
    for folder in (root / entry.id, root / f"{entry.id}.old"):
        if folder.exists():
            doomed = Path(tempfile.mkdtemp(prefix=f".{entry.id}.removing-", dir=root))
            folder.rename(doomed / folder.name)
            shutil.rmtree(doomed, ignore_errors=True)
    return entry


def expand_paths(paths: list[Path]) -> list[Path]:
    """Files as given, and each folder's reports (*.txt, *.md, *.pdf directly inside, by name).

    A missing path is kept so that ingest names it in its own error line.
    """
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            inside = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in REPORT_SUFFIXES
                            and not p.name.startswith("."))
            if not inside:
                raise InputError(f"folder {path} holds no .txt, .md or .pdf reports; give report files or another "
                                 "folder.")
            files.extend(inside)
        else:
            files.append(path)
    return list(dict.fromkeys(files))
