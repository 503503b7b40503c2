"""The ONNX file the fast embedder runs: exported once from the model's own weights, checked, cached.

Cache: $REPORT_QA_CACHE/onnx/<model>-<fingerprint>/model.onnx (default ~/.cache/report-qa). The fingerprint covers
the weights file (size and time), config.json and the export recipe, so new weights get a new file. The export
is written to a temporary file beside its target, checked against torch, and renamed into place: a reader never
sees half a file, and two processes exporting at once both end with a whole one.

`make install` runs `python -m ingest.onnx_export` so the first `ask` is fast; without it, the first use exports
(~10 s, logged). Export needs torch + transformers; running the file needs only onnxruntime.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from ingest.errors import IndexProblem

log = logging.getLogger(__name__)

RECIPE = "torchscript-opset17-eager-v1"  # bump when the export changes, so caches refresh
WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")
# The ONNX file must give the same vectors as torch on these (short, long, padded together) before it is kept.
CHECK_TEXTS = [
    "What does ATR stand for?",
    "Probation",
    "The inspection found that the quality of work to protect the public was not good enough in the CRC, "
    "with too few home visits and little checking of information with the police and children's services. " * 4,
]
MIN_COSINE = 0.9999


def cache_root() -> Path:
    return Path(os.environ.get("REPORT_QA_CACHE") or Path.home() / ".cache" / "report-qa")


def onnx_path(model: str, folder: Path) -> Path:
    """Where the export of `model` (its files in `folder`) lives; cheap: file sizes and times, not contents."""
    digest = hashlib.sha256(RECIPE.encode())
    digest.update(str(folder.resolve()).encode())
    for name in WEIGHT_FILES:
        if (folder / name).exists():
            stat = (folder / name).stat()
            digest.update(f"{name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    if (folder / "config.json").exists():
        digest.update((folder / "config.json").read_bytes())
    slug = "".join(c if c.isalnum() or c in "-_." else "-" for c in model.strip("/")).strip("-")[-60:]
    return cache_root() / "onnx" / f"{slug}-{digest.hexdigest()[:12]}" / "model.onnx"


def ensure_onnx(model: str, folder: Path) -> Path:
    """The cached ONNX file for `model`, exported now if missing (logged: it takes seconds and needs torch)."""
    target = onnx_path(model, folder)
    if target.exists():
        return target
    failed = target.with_name("export-failed.txt")  # one failed export is not retried at every start
    if failed.exists():
        raise IndexProblem(f"{failed.read_text(encoding='utf-8').strip()} (delete {failed} to retry)")
    log.warning("exporting embedding model %s to ONNX at %s (once; `make install` does this ahead)", model, target)
    started = time.perf_counter()
    try:
        export_onnx(folder, target)
    except Exception as err:
        target.parent.mkdir(parents=True, exist_ok=True)
        failed.write_text(f"ONNX export of {model} failed: {type(err).__name__}: {err}", encoding="utf-8")
        raise
    log.warning("exported %s to ONNX in %.1fs", model, time.perf_counter() - started)
    return target


def export_onnx(folder: Path, target: Path) -> None:
    """Export the transformer of `folder` to `target` atomically: temp file, check against torch, rename."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=".model-", suffix=".onnx.tmp", dir=target.parent)
    os.close(handle)
    temp = Path(temp_name)
    try:
        reference = _torch_export(folder, temp)
        _check(folder, temp, reference)
        temp.chmod(0o644)  # mkstemp makes it private; the cache is for every user of the machine's venv
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)


def _torch_export(folder: Path, temp: Path) -> np.ndarray:
    """Write the ONNX graph (input_ids, attention_mask, token_type_ids -> token vectors); torch's check vectors."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()

    try:
        # Eager attention traces into plain ops that hold for any batch and length; sdpa's shortcuts may not.
        st_model = SentenceTransformer(str(folder), device="cpu", model_kwargs={"attn_implementation": "eager"})
        transformer = st_model[0].auto_model
    except Exception as err:  # the libraries raise many types for a folder they cannot read
        raise IndexProblem(f"cannot export {folder} to ONNX: it does not load in sentence-transformers "
                           f"({type(err).__name__}: {err}); set embed_backend = \"torch\".") from None
    reference = st_model.encode(CHECK_TEXTS, normalize_embeddings=True, convert_to_numpy=True)

    class TokenVectors(torch.nn.Module):
        def __init__(self, inner) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.inner(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    example = torch.ones((2, 16), dtype=torch.long)
    names = ["input_ids", "attention_mask", "token_type_ids"]
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer chatter about constants that do not change here
        torch.onnx.export(
            TokenVectors(transformer.eval()), (example, torch.ones_like(example), torch.zeros_like(example)),
            str(temp), input_names=names, output_names=["token_embeddings"], opset_version=17, dynamo=False,
            dynamic_axes={name: {0: "batch", 1: "tokens"} for name in [*names, "token_embeddings"]},
        )
    return np.asarray(reference, dtype=np.float32)


def _check(folder: Path, temp: Path, reference: np.ndarray) -> None:
    from ingest.embed import load_tokenizer, mean_pool_normalise, onnx_session

    session = onnx_session(temp)
    encodings = load_tokenizer(folder).encode_batch(CHECK_TEXTS)
    ids = np.array([e.ids for e in encodings], dtype=np.int64)
    mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
    types = np.array([e.type_ids for e in encodings], dtype=np.int64)
    tokens = session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})[0]
    cosine = (mean_pool_normalise(tokens, mask) * reference).sum(axis=1)
    if cosine.min() < MIN_COSINE:
        raise IndexProblem(f"the ONNX export of {folder} disagrees with torch (cosine {cosine.min():.5f} < "
                           f"{MIN_COSINE}); set embed_backend = \"torch\".")


def main() -> int:
    """`python -m ingest.onnx_export [MODEL]`: export ahead of time (make install). Prints the file's path."""
    from ingest.embed import onnx_unavailable, resolve_model_path
    from ingest.settings import load_settings

    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    model = sys.argv[1] if len(sys.argv) > 1 else load_settings().model
    reason = onnx_unavailable(model)
    if reason is not None:
        print(f"no ONNX export for {model}: {reason}; `ask` will use torch", file=sys.stderr)
        return 0
    try:
        print(ensure_onnx(model, Path(resolve_model_path(model))))
    except Exception as err:  # noqa: BLE001 - an install must not fail for this: `ask` then runs on torch
        print(f"no ONNX export for {model} ({type(err).__name__}: {err}); `ask` will use torch", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
