"""The index on disk: plain files only (FAISS + JSON/JSONL, never pickle), written atomically.

    <index_root>/<report>/manifest.json   format version, model, dimension, chunker settings, source hash
                         chunks.jsonl     one Chunk per line
                         sections.json    the section tree
                         report.txt       the cleaned report (chunks are slices of it)
                         pages.json       (offset, printed page) pairs
                         pdf_pages.json   (offset, physical PDF page) pairs, PDF reports only
                         chunks.faiss     one normalised vector per chunk (inner product = cosine)
                         sentences.faiss  one vector per sentence, in chunk order
A build goes to a temporary sibling folder and is renamed into place, so a crash or kill mid-ingest
leaves the previous index usable.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import faiss
import numpy as np

from ingest.errors import IndexProblem
from ingest.records import Chunk, Document, Section

log = logging.getLogger(__name__)

FORMAT_VERSION = 1


@dataclass
class Manifest:
    format_version: int
    report_name: str
    source_name: str
    source_sha256: str
    model: str
    dimension: int
    chunker: dict[str, int]
    counts: dict[str, int]
    built_at: str
    build_seconds: float
    # What the report is (ingest.metadata); optional so that manifests written before them still load.
    title: str = ""
    publisher: str = ""
    date: str = ""  # ISO "2024-07-23", "2017-01" or "2017"
    place: str = ""
    kind: str = ""
    pages: int = 0
    # index file -> SHA-256 of its bytes, checked at every load; None in manifests from before checksums.
    files: dict[str, str] | None = None
    # The report file the index was built from (absolute); "" in manifests from before it was recorded.
    source_path: str = ""


@dataclass
class StoredIndex:
    manifest: Manifest
    document: Document
    chunk_vectors: faiss.Index
    sentence_vectors: faiss.Index
    sentence_owner: np.ndarray  # sentence row -> chunk row
    path: Path


def write_index(target: Path, manifest: Manifest, document: Document, chunk_vectors: np.ndarray,
                sentence_vectors: np.ndarray, sentence_owner: np.ndarray) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    clean_leftovers(target)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.building-", dir=target.parent))
    try:
        _write_files(staging, manifest, document, chunk_vectors, sentence_vectors, sentence_owner)
        _swap_in(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _write_files(folder: Path, manifest: Manifest, document: Document, chunk_vectors: np.ndarray,
                 sentence_vectors: np.ndarray, sentence_owner: np.ndarray) -> None:
    with open(folder / "chunks.jsonl", "w", encoding="utf-8") as out:
        for chunk in document.chunks:
            out.write(json.dumps(chunk.to_json(), ensure_ascii=False) + "\n")
    (folder / "sections.json").write_text(
        json.dumps([asdict(s) for s in document.sections], ensure_ascii=False, indent=1), encoding="utf-8")
    (folder / "report.txt").write_text(document.text, encoding="utf-8")
    (folder / "pages.json").write_text(json.dumps(document.page_starts), encoding="utf-8")
    if document.pdf_page_starts:  # PDF reports only; an index without the file loads as before
        (folder / "pdf_pages.json").write_text(json.dumps(document.pdf_page_starts), encoding="utf-8")
    faiss.write_index(_flat(chunk_vectors), str(folder / "chunks.faiss"))
    faiss.write_index(_flat(sentence_vectors), str(folder / "sentences.faiss"))
    np.save(folder / "sentence_owner.npy", sentence_owner.astype(np.int32), allow_pickle=False)
    # The manifest goes last: a folder without one is an unfinished build. It records each file's SHA-256.
    data = {**asdict(manifest), "files": {p.name: _sha256(p) for p in sorted(folder.iterdir()) if p.is_file()}}
    (folder / "manifest.json").write_text(json.dumps(data, indent=1), encoding="utf-8")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as source:
        for block in iter(lambda: source.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _flat(vectors: np.ndarray) -> faiss.Index:
    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def _swap_in(staging: Path, target: Path) -> None:
    """Rename the new build into place; the old one is kept as <name>.old until the rename is done."""
    old = target.with_name(target.name + ".old")
    if (target / "manifest.json").exists():
        # The current build is complete, so the previous .old (if any) can go: one usable index remains.
        if old.exists():
            shutil.rmtree(old)
        target.rename(old)
    elif target.exists():
        # An unfinished or damaged folder: never the usable one. `.old`, if present, is kept until the end.
        shutil.rmtree(target)
    staging.rename(target)
    shutil.rmtree(old, ignore_errors=True)


LEFTOVER_SECONDS = 600  # a staging folder older than this belongs to a build that was killed


def clean_leftovers(target: Path) -> list[Path]:
    """Remove staging folders (`.<name>.building-*`) left by killed builds; returns what was removed.

    Only folders older than LEFTOVER_SECONDS go, so a build running at the same moment is left alone.
    """
    removed = []
    now = time.time()
    for folder in target.parent.glob(f".{target.name}.building-*"):
        try:
            if folder.is_dir() and now - folder.stat().st_mtime > LEFTOVER_SECONDS:
                shutil.rmtree(folder)
                removed.append(folder)
        except OSError as err:  # another process removed it first, or it is not ours to remove
            log.warning("could not remove leftover build folder %s: %s", folder, err)
    if removed:
        log.info("removed %d leftover build folder(s) of %s", len(removed), target.name)
    return removed


def read_manifest(folder: Path) -> Manifest | None:
    folder = _usable_folder(folder)
    path = folder / "manifest.json"
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        known = {f.name for f in fields(Manifest)}
        return Manifest(**{k: v for k, v in data.items() if k in known})  # fields a newer version adds: ignored
    except (json.JSONDecodeError, TypeError, AttributeError):
        return None


def _usable_folder(folder: Path) -> Path:
    """After a kill between the two renames only <name>.old holds the previous index."""
    old = folder.with_name(folder.name + ".old")
    if not (folder / "manifest.json").exists() and (old / "manifest.json").exists():
        return old
    return folder


def verify_files(folder: Path, manifest: Manifest) -> None:
    """Refuse an index whose files do not match the SHA-256 sums in its manifest (edited, damaged, swapped)."""
    if manifest.files is None:
        log.warning("index at %s has no checksums (built by an older version), so it cannot be checked; "
                    "run `report-qa ingest --rebuild` to add them.", folder)
        return
    for name, expected in sorted(manifest.files.items()):
        path = folder / name
        if not path.is_file():
            raise IndexProblem(f"index file {path} is missing; run `report-qa ingest --rebuild`.")
        if _sha256(path) != expected:
            raise IndexProblem(f"index file {path} does not match the checksum in its manifest (changed or "
                               "damaged since it was built); run `report-qa ingest --rebuild`.")


def load_index(folder: Path) -> StoredIndex:
    folder = _usable_folder(folder)
    manifest = read_manifest(folder)
    if manifest is None:
        raise IndexProblem(f"no index at {folder}; run `report-qa ingest` first.")
    if manifest.format_version != FORMAT_VERSION:
        raise IndexProblem(
            f"index at {folder} has format {manifest.format_version}, this version reads {FORMAT_VERSION}; "
            "run `report-qa ingest --rebuild`."
        )
    verify_files(folder, manifest)
    try:
        chunks = [Chunk.from_json(json.loads(line))
                  for line in (folder / "chunks.jsonl").read_text(encoding="utf-8").splitlines() if line]
        sections = [Section(**s) for s in json.loads((folder / "sections.json").read_text(encoding="utf-8"))]
        text = (folder / "report.txt").read_text(encoding="utf-8")
        pages = [tuple(p) for p in json.loads((folder / "pages.json").read_text(encoding="utf-8"))]
        pdf_file = folder / "pdf_pages.json"
        pdf_pages = [tuple(p) for p in json.loads(pdf_file.read_text(encoding="utf-8"))] if pdf_file.exists() else []
        chunk_vectors = faiss.read_index(str(folder / "chunks.faiss"))
        sentence_vectors = faiss.read_index(str(folder / "sentences.faiss"))
        owner = np.load(folder / "sentence_owner.npy", allow_pickle=False)
    except (OSError, ValueError, TypeError, KeyError, RuntimeError) as err:
        raise IndexProblem(
            f"index at {folder} is damaged ({type(err).__name__}: {err}); run `report-qa ingest --rebuild`."
        ) from None
    document = Document(manifest.report_name, text, pages, sections, chunks, pdf_pages)
    if chunk_vectors.ntotal != len(chunks) or sentence_vectors.ntotal != len(owner):
        raise IndexProblem(f"index at {folder} is inconsistent; run `report-qa ingest --rebuild`.")
    if owner.ndim != 1 or owner.dtype.kind not in "iu" or (len(owner) and not 0 <= owner.min() <= owner.max()
                                                           < len(chunks)):
        raise IndexProblem(f"index file {folder / 'sentence_owner.npy'} points at passages that do not exist "
                           f"(the index has {len(chunks)}); run `report-qa ingest --rebuild`.")
    return StoredIndex(manifest, document, chunk_vectors, sentence_vectors, owner, folder)
