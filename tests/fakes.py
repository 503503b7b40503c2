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
