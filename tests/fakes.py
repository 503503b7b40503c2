"""Deterministic stand-ins for the expensive dependencies; they record what they were asked."""

from __future__ import annotations

import hashlib
import re

import numpy as np

DIM = 64


class HashingEmbedder:
    """One dimension per hashed word (plus word pairs), L2-normalised: texts sharing words are close."""

    name = "fake-hashing-embedder"

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def embed(self, texts: list[str]) -> np.ndarray:
        self.calls.append(list(texts))
        vectors = np.zeros((len(texts), DIM), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"[a-z0-9]+", text.lower()):
                bucket = int(hashlib.md5(word.encode()).hexdigest(), 16) % DIM
                vectors[row, bucket] += 1.0
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        return vectors / norms


def engine_over_text(folder, text: str):
    """An Engine over a few paragraphs written to `folder` and indexed with the hashing embedder."""
    from ingest.pipeline import ingest
    from ingest.settings import load_settings
    from retrieval.engine import Engine

    report = folder / "small-report.txt"
    report.write_text(text, encoding="utf-8")
    settings = load_settings(index_root=folder / "index")
    ingest(report, settings, embedder=HashingEmbedder())
    return Engine.load(settings, report="small-report", embedder=HashingEmbedder())
