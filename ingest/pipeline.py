"""The ingest pipeline in one place: load -> clean -> blocks -> outline -> chunks -> embed -> index."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from ingest.blocks import build_blocks
from ingest.chunking import build_document
from ingest.clean import clean_report, load_report
from ingest.embed import Embedder, make_embedder
from ingest.errors import InputError
from ingest.metadata import describe_document, report_id
from ingest.pdf import check_pdf_file, extract_pdf, is_pdf
from ingest.records import Document
from ingest.settings import Settings
from ingest.store import FORMAT_VERSION, Manifest, read_manifest, write_index
from ingest.structure import outline

log = logging.getLogger(__name__)

# Bump when cleaning, structure or chunking change what an ingest produces: an index built by an older
# parser is then rebuilt rather than reused.
PARSER_VERSION = 3

# progress(stage, done, total): the CLI draws it; the library only reports.
Progress = Callable[[str, int, int], None]


@dataclass
class IngestResult:
    report_name: str
    index_dir: Path
    counts: dict[str, int]
    reused: bool
    reason: str  # why the index was built or reused, in words
    seconds: float
    document: Document | None = None


def report_name(path: Path) -> str:
    """Example: "corpus/Staffordshire and Stoke 2017.txt" -> "staffordshire-and-stoke-2017"."""
    return report_id(path.stem)


def parse_report(path: Path, max_words: int = 170) -> Document:
    """Everything before embedding: a report file (PDF by content, else text) to cleaned text, sections, chunks."""
    cleaned = extract_pdf(path) if _looks_like_pdf(path) else clean_report(load_report(path))
    blocks = build_blocks(cleaned)
    document = build_document(report_name(path), outline(blocks, markdown=_is_markdown(path)), cleaned.footnotes,
                              max_words=max_words, pdf_pages=_physical_pages(cleaned))
    if not document.chunks:
        raise InputError(f"{path} gave no passages to index (no paragraphs found); check it is a text report.")
    return document


def _looks_like_pdf(path: Path) -> bool:
    """A file starting with %PDF, or named .pdf (then checked, so an HTML page saved as .pdf is refused)."""
    return path.suffix.lower() == ".pdf" or (path.is_file() and is_pdf(path))


def _physical_pages(cleaned) -> dict[int, list[int]]:
    """Printed page -> the physical PDF pages printed with it (empty for text reports)."""
    pages: dict[int, list[int]] = {}
    for line in cleaned.lines:
        if line.pdf_page is not None and line.pdf_page not in pages.setdefault(line.page, []):
            pages[line.page].append(line.pdf_page)
    return pages


def _is_markdown(path: Path) -> bool:
    return path.suffix.lower() in (".md", ".markdown")


def ingest(path: Path, settings: Settings, embedder: Embedder | None = None, rebuild: bool = False,
           progress: Progress | None = None) -> IngestResult:
    started = time.perf_counter()
    progress = progress or (lambda stage, done, total: None)
    raw_bytes = _read_bytes(path)
    name = report_name(path)
    target = settings.index_dir(name)
    model = embedder.name if embedder is not None else settings.model
    wanted = _settings_fingerprint(settings, model, hashlib.sha256(raw_bytes).hexdigest())
    existing = read_manifest(target)
    if not rebuild:
        _refuse_another_file(existing, path, name, wanted["source"])
    reason = _rebuild_reason(existing, wanted)
    if existing is not None and reason is None and not rebuild:
        return IngestResult(name, target, existing.counts, True, "unchanged report and settings: index reused",
                            time.perf_counter() - started)
    reason = "rebuild asked for" if rebuild and reason is None else (reason or "no index yet")
    progress("parse", 0, 1)
    document = parse_report(path, settings.max_words)
    progress("parse", 1, 1)
    embedder = embedder or make_embedder(settings.model, settings.batch_size, backend=settings.embed_backend)
    chunk_vectors, sentence_vectors, owner = embed_document(document, embedder, settings.batch_size, progress)
    manifest = Manifest(
        format_version=FORMAT_VERSION, report_name=name, source_name=path.name, source_sha256=wanted["source"],
        source_path=str(path.resolve()),
        model=embedder.name, dimension=int(chunk_vectors.shape[1]), chunker=wanted["chunker"],
        counts=document.counts(), built_at=datetime.now(UTC).isoformat(timespec="seconds"),
        build_seconds=round(time.perf_counter() - started, 2),
        **describe_document(document, path.stem).manifest_fields(),
    )
    progress("write", 0, 1)
    write_index(target, manifest, document, chunk_vectors, sentence_vectors, owner)
    progress("write", 1, 1)
    log.info("indexed %s: %s", name, manifest.counts)
    return IngestResult(name, target, manifest.counts, False, reason, time.perf_counter() - started, document)


def _refuse_another_file(existing: Manifest | None, path: Path, name: str, source_sha256: str) -> None:
    """An index is keyed by name *and* content: a different file that happens to have the same name must not
    silently replace another report's index. The same file edited (same recorded path) is rebuilt as usual."""
    if existing is None or existing.source_sha256 == source_sha256 or not existing.source_path:
        return
    if Path(existing.source_path) == path.resolve():
        return
    raise InputError(
        f"an index named {name!r} already holds another report ({existing.source_path}); {path} has the same "
        f"name but different content. Rename {path.name} (e.g. {name}-2{path.suffix}) to index both, or run "
        f"`report-qa ingest --rebuild {path}` to replace it."
    )


def _read_bytes(path: Path) -> bytes:
    if _looks_like_pdf(path):
        check_pdf_file(path)  # validates: not a PDF (an HTML page named .pdf), encrypted, damaged
    else:
        load_report(path)  # validates: missing, empty, binary, not UTF-8, no text
    return path.read_bytes()


def _settings_fingerprint(settings: Settings, model: str, source_sha256: str) -> dict:
    return {"source": source_sha256, "model": model,
            "chunker": {"max_words": settings.max_words, "parser": PARSER_VERSION},
            "format": FORMAT_VERSION}


def _rebuild_reason(existing: Manifest | None, wanted: dict) -> str | None:
    if existing is None:
        return "no index yet"
    if existing.format_version != wanted["format"]:
        return f"index format {existing.format_version} -> {wanted['format']}: rebuilding"
    if existing.source_sha256 != wanted["source"]:
        return "the report changed: rebuilding"
    if existing.model != wanted["model"]:
        return f"embedding model changed ({existing.model} -> {wanted['model']}): rebuilding"
    if existing.chunker != wanted["chunker"]:
        return f"chunker settings changed ({existing.chunker} -> {wanted['chunker']}): rebuilding"
    return None


def embed_document(document: Document, embedder: Embedder, batch_size: int = 64,
                   progress: Progress | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vectors for every chunk and every sentence; `owner[i]` is the chunk row of sentence i."""
    progress = progress or (lambda stage, done, total: None)
    chunk_texts = [c.search_text() for c in document.chunks]
    sentence_texts: list[str] = []
    owner: list[int] = []
    for row, chunk in enumerate(document.chunks):
        for sentence in chunk.sentence_texts():
            sentence_texts.append(sentence)
            owner.append(row)
    # Batches of a few hundred: the model sorts each call by length, which pads less than small batches.
    chunk_vectors = _embed_in_batches(embedder, chunk_texts, batch_size * 2, "embed passages", progress)
    sentence_vectors = _embed_in_batches(embedder, sentence_texts, batch_size * 4, "embed sentences", progress)
    return chunk_vectors, sentence_vectors, np.asarray(owner, dtype=np.int32)


def _embed_in_batches(embedder: Embedder, texts: list[str], batch: int, stage: str, progress: Progress) -> np.ndarray:
    parts = []
    progress(stage, 0, len(texts))
    for start in range(0, len(texts), batch):
        parts.append(embedder.embed(texts[start : start + batch]))
        progress(stage, min(start + batch, len(texts)), len(texts))
    return np.vstack(parts).astype(np.float32)
