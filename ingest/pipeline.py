"""The ingest pipeline in one place: load -> clean -> blocks -> outline -> chunks -> embed -> index."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
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
PARSER_VERSION = 7

# progress(stage, done, total): the CLI draws it; the library only reports.
Progress = Callable[[str, int, int], None]


# The stages an ingest times, in order: read the file into cleaned lines (PDF layout or text cleaning); blocks,
# outline and chunks; vectors; index files.
STAGES = ("parse", "structure", "embed", "write")


@dataclass
class IngestResult:
    report_name: str
    index_dir: Path
    counts: dict[str, int]
    reused: bool
    reason: str  # why the index was built or reused, in words
    seconds: float
    document: Document | None = None
    stages: dict[str, float] = field(default_factory=dict)  # seconds per STAGES entry; {} when reused
    pages: int = 0  # pages of the report built (0 when reused)


@dataclass
class Parsed:
    """A report parsed and structured, not yet embedded, with the seconds its two stages took."""

    document: Document
    stages: dict[str, float]


@dataclass
class Plan:
    """What `ingest` decided before any parsing: reuse the index, or build it and why."""

    path: Path
    name: str
    target: Path
    wanted: dict
    reason: str
    reused: IngestResult | None  # set when the index is reused
    started: float
    rebuild: bool = False  # asked for: nothing is taken from the previous build
    planning: float = 0.0  # seconds the checks above took (a batch plans every file first)


def report_name(path: Path) -> str:
    """Example: "corpus/Staffordshire and Stoke 2017.txt" -> "staffordshire-and-stoke-2017"."""
    return report_id(path.stem)


def parse_report(path: Path, max_words: int = 170) -> Document:
    """Everything before embedding: a report file (PDF by content, else text) to cleaned text, sections, chunks."""
    return parse_stages(path, max_words).document


def parse_stages(path: Path, max_words: int = 170) -> Parsed:
    """`parse_report`, timed: "parse" (PDF layout or text cleaning) and "structure" (blocks, outline, chunks)."""
    started = time.perf_counter()
    cleaned = extract_pdf(path) if _looks_like_pdf(path) else clean_report(load_report(path))
    parsed = time.perf_counter()
    blocks = build_blocks(cleaned)
    document = build_document(report_name(path), outline(blocks, markdown=_is_markdown(path)), cleaned.footnotes,
                              max_words=max_words, pdf_pages=_physical_pages(cleaned))
    if not document.chunks:
        raise InputError(f"{path} gave no passages to index (no paragraphs found); check it is a text report.")
    return Parsed(document, {"parse": parsed - started, "structure": time.perf_counter() - parsed})


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
    """Index one report under settings.index_root (reused when unchanged). Parsing runs in a child process held
    to settings.parse_timeout seconds and parse_max_mb (ingest.isolate), so a runaway file cannot hang the caller."""
    from ingest.isolate import parse_bounded

    plan = plan_ingest(path, settings, embedder, rebuild)
    if plan.reused is not None:
        return plan.reused
    progress = progress or (lambda stage, done, total: None)
    progress("parse", 0, 1)
    parsed = parse_bounded(path, settings)
    progress("parse", 1, 1)
    return build_index(plan, parsed, settings, embedder, progress)


def plan_ingest(path: Path, settings: Settings, embedder: Embedder | None = None, rebuild: bool = False) -> Plan:
    """Validate the file and decide: reuse its index (same content, model and chunker) or build it, and why."""
    started = time.perf_counter()
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
        reused = IngestResult(name, target, existing.counts, True, "unchanged report and settings: index reused",
                              time.perf_counter() - started)
        return Plan(path, name, target, wanted, reused.reason, reused, started)
    reason = "rebuild asked for" if rebuild and reason is None else (reason or "no index yet")
    return Plan(path, name, target, wanted, reason, None, started, rebuild, time.perf_counter() - started)


def build_index(plan: Plan, parsed: Parsed, settings: Settings, embedder: Embedder | None = None,
                progress: Progress | None = None) -> IngestResult:
    """Embed a parsed report and write its index folder (atomically) as `plan` says."""
    progress = progress or (lambda stage, done, total: None)
    document, stages = parsed.document, dict(parsed.stages)
    clock = time.perf_counter()
    embedder = embedder or make_embedder(settings.model, settings.batch_size, backend=settings.embed_backend)
    known = {} if plan.rebuild else previous_vectors(plan.target, embedder.name)
    chunk_vectors, sentence_vectors, owner = embed_document(document, embedder, settings.batch_size, progress, known)
    stages["embed"] = time.perf_counter() - clock
    progress("write", 0, 1)
    clock = time.perf_counter()
    path, name = plan.path, plan.name
    manifest = Manifest(
        format_version=FORMAT_VERSION, report_name=name, source_name=path.name, source_sha256=plan.wanted["source"],
        source_path=str(path.resolve()),
        model=embedder.name, dimension=int(chunk_vectors.shape[1]), chunker=plan.wanted["chunker"],
        counts=document.counts(), built_at=datetime.now(UTC).isoformat(timespec="seconds"),
        build_seconds=round(clock - plan.started, 2),
        **describe_document(document, path.stem).manifest_fields(),
    )
    write_index(plan.target, manifest, document, chunk_vectors, sentence_vectors, owner)
    stages["write"] = time.perf_counter() - clock
    progress("write", 1, 1)
    log.info("indexed %s: %s", name, manifest.counts)
    return IngestResult(name, plan.target, manifest.counts, False, plan.reason, time.perf_counter() - plan.started,
                        document, {stage: round(stages.get(stage, 0.0), 3) for stage in STAGES},
                        int(manifest.pages or 0))


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


def previous_vectors(target: Path, model: str) -> dict[str, np.ndarray]:
    """The vector of every passage and sentence text in the report's current index, when it was built with
    `model` and passes its checksums; {} otherwise. A report rebuilt because it was edited or the parser changed
    then embeds only the texts that changed (the model gives a text the same vector each time)."""
    manifest = read_manifest(target)
    if manifest is None or manifest.model != model:
        return {}
    from ingest.store import load_index

    try:
        stored = load_index(target)
        chunks = stored.chunk_vectors.reconstruct_n(0, stored.chunk_vectors.ntotal)
        sentences = stored.sentence_vectors.reconstruct_n(0, stored.sentence_vectors.ntotal)
    except Exception as err:  # noqa: BLE001 - damaged, other format or backend: embed everything afresh
        log.info("not reusing vectors of %s: %s", target, err)
        return {}
    chunk_texts, sentence_texts = _texts_of(stored.document)
    if len(chunk_texts) != len(chunks) or len(sentence_texts) != len(sentences):
        return {}
    return {**dict(zip(sentence_texts, sentences, strict=True)), **dict(zip(chunk_texts, chunks, strict=True))}


def _texts_of(document: Document) -> tuple[list[str], list[str]]:
    return ([c.search_text() for c in document.chunks],
            [sentence for chunk in document.chunks for sentence in chunk.sentence_texts()])


def embed_document(document: Document, embedder: Embedder, batch_size: int = 64, progress: Progress | None = None,
                   known: dict[str, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vectors for every chunk and every sentence; `owner[i]` is the chunk row of sentence i.

    Each distinct text is embedded once (a sentence repeated in a report, a table row met twice), and all of them
    in one length-sorted pass, so a call holds texts of similar length whichever list they come from. Texts in
    `known` (text -> vector, from the previous build) are not embedded again.
    """
    chunk_texts, sentence_texts = _texts_of(document)
    owner = [row for row, chunk in enumerate(document.chunks) for _ in chunk.sentences]
    vectors = embed_texts(embedder, [*chunk_texts, *sentence_texts], batch_size * 4, progress, known=known)
    return vectors[: len(chunk_texts)], vectors[len(chunk_texts):], np.asarray(owner, dtype=np.int32)


def embed_texts(embedder: Embedder, texts: list[str], step: int = 256, progress: Progress | None = None,
                stage: str = "embed", known: dict[str, np.ndarray] | None = None) -> np.ndarray:
    """One row per text; distinct texts not in `known` embedded once, longest first, `step` texts per call."""
    progress = progress or (lambda stage, done, total: None)
    known = known or {}
    row_of: dict[str, int] = {}
    rows = np.asarray([row_of.setdefault(text, len(row_of)) for text in texts], dtype=np.int64)
    distinct = list(row_of)
    todo = sorted((i for i, text in enumerate(distinct) if text not in known), key=lambda i: -len(distinct[i]))
    dimension = len(next(iter(known.values()))) if known else 0
    vectors = np.empty((len(distinct), dimension), dtype=np.float32)
    for i, text in enumerate(distinct):
        if text in known:
            vectors[i] = known[text]
    progress(stage, 0, len(todo))
    for start in range(0, len(todo), step):
        part = todo[start : start + step]
        got = np.asarray(embedder.embed([distinct[i] for i in part]), dtype=np.float32)
        if got.shape[1] != vectors.shape[1]:
            if known:  # the previous build's vectors do not fit this model after all: embed everything
                return embed_texts(embedder, texts, step, progress, stage)
            vectors = np.empty((len(distinct), got.shape[1]), dtype=np.float32)
        vectors[part] = got
        progress(stage, min(start + step, len(todo)), len(todo))
    if not distinct:
        raise InputError("nothing to embed: the report gave no passages; check it is a text report.")
    return vectors[rows]
