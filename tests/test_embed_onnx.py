"""The ONNX embedder: same vectors as torch, picked when it can run, torch when it cannot, cache written whole."""

from __future__ import annotations

import os

import numpy as np
import pytest

from ingest import embed, onnx_export
from ingest.embed import OnnxEmbedder, SentenceTransformerEmbedder, make_embedder, mean_pool_normalise
from ingest.errors import ReportQAError
from ingest.settings import PACKAGED_MODEL, load_settings


def test_default_backend_is_onnx_and_the_name_stays_the_model_id(monkeypatch):
    monkeypatch.setattr(embed, "onnx_unavailable", lambda model: None)
    chosen = make_embedder(PACKAGED_MODEL, 32, threads=1)
    assert isinstance(chosen, OnnxEmbedder) and chosen.name == PACKAGED_MODEL  # manifests stay valid
    assert load_settings().embed_backend == "onnx"


def test_torch_backend_when_asked(monkeypatch):
    monkeypatch.setattr(embed, "onnx_unavailable", lambda model: pytest.fail("not consulted for torch"))
    chosen = make_embedder(PACKAGED_MODEL, backend="torch")
    assert isinstance(chosen, SentenceTransformerEmbedder) and chosen.name == PACKAGED_MODEL


def test_unknown_backend_names_the_value_and_the_choices():
    with pytest.raises(ReportQAError, match="'tensorflow'.*onnx, torch"):
        make_embedder(PACKAGED_MODEL, backend="tensorflow")


def test_backend_setting_from_environment(monkeypatch):
    monkeypatch.setenv("REPORT_QA_EMBED_BACKEND", "torch")
    assert load_settings().embed_backend == "torch"


def test_missing_onnxruntime_falls_back_to_torch(monkeypatch, caplog):
    import builtins

    real_import = builtins.__import__

    def no_onnxruntime(name, *args, **kwargs):
        if name == "onnxruntime":
            raise ImportError("No module named 'onnxruntime'", name="onnxruntime")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_onnxruntime)
    chosen = make_embedder(PACKAGED_MODEL)
    assert isinstance(chosen, SentenceTransformerEmbedder)
    assert "onnxruntime is not installed" in caplog.text


def test_folder_without_tokenizer_json_uses_torch(tmp_path, caplog):
    (tmp_path / "config.json").write_text("{}")
    chosen = make_embedder(str(tmp_path))
    assert isinstance(chosen, SentenceTransformerEmbedder) and "no tokenizer.json" in caplog.text


def test_folder_with_cls_pooling_uses_torch(tmp_path):
    (tmp_path / "tokenizer.json").write_text("{}")
    (tmp_path / "modules.json").write_text('[{"type": "sentence_transformers.models.Transformer"}, '
                                          '{"type": "sentence_transformers.models.Pooling"}]')
    (tmp_path / "1_Pooling").mkdir()
    (tmp_path / "1_Pooling" / "config.json").write_text('{"pooling_mode_cls_token": true}')
    assert "not mean pooling" in embed.unsupported_layout(tmp_path)
    assert embed.unsupported_layout(embed_model_folder()) is None


def embed_model_folder():
    from pathlib import Path

    return Path(embed.resolve_model_path(PACKAGED_MODEL))


def test_missing_export_is_exported_once_then_reused(tmp_path, monkeypatch):
    monkeypatch.setenv("REPORT_QA_CACHE", str(tmp_path))
    calls = []

    def fake_export(folder, target):
        calls.append(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(b"onnx")

    monkeypatch.setattr(onnx_export, "export_onnx", fake_export)
    first = onnx_export.ensure_onnx(PACKAGED_MODEL, embed_model_folder())
    second = onnx_export.ensure_onnx(PACKAGED_MODEL, embed_model_folder())
    assert first == second and calls == [first] and first.is_relative_to(tmp_path / "onnx")
    assert first.parent.name.startswith("sentence-transformers-all-MiniLM-L6-v2-")


def test_failed_export_leaves_no_file_behind(tmp_path, monkeypatch):
    target = tmp_path / "m" / "model.onnx"

    def half_written(folder, temp):
        temp.write_bytes(b"half a graph")
        raise RuntimeError("export crashed")

    monkeypatch.setattr(onnx_export, "_torch_export", half_written)
    with pytest.raises(RuntimeError):
        onnx_export.export_onnx(embed_model_folder(), target)
    assert list(target.parent.iterdir()) == []  # neither the target nor the temp file


def test_export_is_renamed_into_place_after_the_check(tmp_path, monkeypatch):
    target = tmp_path / "m" / "model.onnx"
    seen = []
    monkeypatch.setattr(onnx_export, "_torch_export", lambda folder, temp: temp.write_bytes(b"graph") and None)
    monkeypatch.setattr(onnx_export, "_check", lambda folder, temp, ref: seen.append(target.exists()))
    real_replace = os.replace
    monkeypatch.setattr(onnx_export.os, "replace", lambda a, b: (seen.append(("rename", a != b)), real_replace(a, b)))
    onnx_export.export_onnx(embed_model_folder(), target)
    assert seen == [False, ("rename", True)] and target.read_bytes() == b"graph"
    assert [p.name for p in target.parent.iterdir()] == ["model.onnx"]


def test_mean_pool_ignores_padding_and_normalises():
    tokens = np.array([[[1.0, 0.0], [3.0, 0.0], [9.0, 9.0]]], dtype=np.float32)
    assert np.allclose(mean_pool_normalise(tokens, np.array([[1, 1, 0]])), [[1.0, 0.0]])


def test_embed_keeps_input_order_across_length_sorted_batches(monkeypatch):
    chosen = OnnxEmbedder(batch_size=2)
    monkeypatch.setattr(chosen, "_load", lambda: None)
    def encode(texts):  # one word piece per letter, padded to the longest
        mask = np.array([[1] * len(t) + [0] * (5 - len(t)) for t in texts], dtype=np.int64)
        return {"input_ids": mask, "attention_mask": mask, "token_type_ids": 0 * mask}

    batches = []
    chosen.token_budget = 6  # word pieces per call: 5 alone, 4 alone, 3 + 2, then 1
    monkeypatch.setattr(chosen, "_encode", encode)
    monkeypatch.setattr(chosen, "_run", lambda feeds: batches.append(feeds["attention_mask"].shape) or np.array(
        [[n, 1.0] for n in feeds["attention_mask"].sum(axis=1)], np.float32))
    texts = ["aaa", "a", "aaaaa", "aa", "aaaa"]
    assert chosen.embed(texts)[:, 0].tolist() == [3, 1, 5, 2, 4]
    assert batches == [(1, 5), (1, 4), (2, 3), (1, 1)]  # each batch cut at its own longest text


def test_token_batches_keep_word_pieces_per_call_within_the_budget():
    from ingest.embed import token_batches

    assert [g.tolist() for g in token_batches(np.array([3, 250, 10, 9]), budget=256)] == [[1], [2, 3, 0]]
    lengths = np.array([256] * 20 + [12] * 300)
    groups = token_batches(lengths, budget=2048, most=64)
    assert sorted(int(i) for g in groups for i in g) == list(range(320))
    assert max(len(g) * lengths[g].max() for g in groups) <= 2048 and max(len(g) for g in groups) == 64


@pytest.mark.slow
def test_onnx_vectors_match_torch_on_the_bundled_report(document):
    """Uses (or makes) the export `make install` made, in $REPORT_QA_CACHE or ~/.cache/report-qa."""
    texts = [c.search_text() for c in document.chunks[:60]]
    texts += [s for c in document.chunks[:40] for s in c.sentence_texts()][:200]
    texts += ["What does ATR stand for?", "x", "word " * 400]  # a question, one token, longer than 256
    fast = OnnxEmbedder(batch_size=32).embed(texts)
    slow = SentenceTransformerEmbedder(batch_size=32).embed(texts)
    assert fast.dtype == np.float32 and fast.shape == slow.shape
    assert np.allclose(np.linalg.norm(fast, axis=1), 1.0, atol=1e-5)
    assert (fast * slow).sum(axis=1).min() >= 0.9999


def test_failed_export_falls_back_to_torch_and_is_not_retried(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("REPORT_QA_CACHE", str(tmp_path))
    attempts = []

    def broken_export(folder, target):
        attempts.append(target)
        raise RuntimeError("cannot trace this model")

    monkeypatch.setattr(onnx_export, "export_onnx", broken_export)
    monkeypatch.setattr(SentenceTransformerEmbedder, "embed", lambda self, texts: np.ones((len(texts), 3), np.float32))
    for _ in range(2):
        chosen = OnnxEmbedder(PACKAGED_MODEL)
        assert chosen.embed(["a", "b"]).shape == (2, 3) and chosen.name == PACKAGED_MODEL
    assert len(attempts) == 1 and "cannot trace this model" in caplog.text
    assert not list((tmp_path / "onnx").glob("*/model.onnx"))
