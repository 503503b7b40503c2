"""The index on disk: round trip, reuse, rebuild on changed settings, atomic writes."""

import json
from pathlib import Path

import pytest

from ingest import store
from ingest.errors import IndexProblem, InputError
from ingest.pipeline import ingest
from ingest.settings import load_settings
from tests.fakes import HashingEmbedder

REPORT = "Findings\n\nThe service was good overall. Staff were kind and knew their cases.\n\n" \
         "Method\n\nWe read forty case files over two weeks in March 2016 and met 12 staff.\n"


@pytest.fixture
def report(tmp_path: Path) -> Path:
    path = tmp_path / "small-report.txt"
    path.write_text(REPORT, encoding="utf-8")
    return path


def test_save_then_load_gives_the_same_index(tmp_path, report):
    settings = load_settings(index_root=tmp_path / "index")
    result = ingest(report, settings, embedder=HashingEmbedder())
    loaded = store.load_index(result.index_dir)
    assert [c.to_json() for c in loaded.document.chunks] == [c.to_json() for c in result.document.chunks]
    assert loaded.document.text == result.document.text
    assert loaded.chunk_vectors.ntotal == len(result.document.chunks)
    assert loaded.manifest.model == "fake-hashing-embedder"
    assert loaded.manifest.dimension == 64
    assert not list(result.index_dir.glob("*.pkl"))


def test_unchanged_report_is_reused_without_embedding(tmp_path, report):
    settings = load_settings(index_root=tmp_path / "index")
    ingest(report, settings, embedder=HashingEmbedder())
    embedder = HashingEmbedder()
    again = ingest(report, settings, embedder=embedder)
    assert again.reused and embedder.calls == []
    assert again.seconds < 1.0


def test_changed_report_or_chunker_setting_rebuilds_and_says_why(tmp_path, report):
    settings = load_settings(index_root=tmp_path / "index")
    ingest(report, settings, embedder=HashingEmbedder())
    changed = ingest(report, load_settings(index_root=tmp_path / "index", max_words=50), embedder=HashingEmbedder())
    assert not changed.reused and "chunker settings changed" in changed.reason
    report.write_text(REPORT + "\nA new closing paragraph about the future of the service.\n", encoding="utf-8")
    again = ingest(report, load_settings(index_root=tmp_path / "index", max_words=50), embedder=HashingEmbedder())
    assert "report changed" in again.reason


def test_bad_input_leaves_the_existing_index_untouched(tmp_path, report):
    settings = load_settings(index_root=tmp_path / "index")
    first = ingest(report, settings, embedder=HashingEmbedder())
    before = (first.index_dir / "chunks.jsonl").read_bytes()
    report.write_bytes(b"\x00\x00binary")
    with pytest.raises(InputError):
        ingest(report, settings, embedder=HashingEmbedder())
    assert (first.index_dir / "chunks.jsonl").read_bytes() == before


class ExplodingEmbedder(HashingEmbedder):
    def embed(self, texts):
        raise RuntimeError("killed mid-ingest")


def test_a_crash_mid_ingest_leaves_the_previous_index_usable(tmp_path, report):
    settings = load_settings(index_root=tmp_path / "index")
    first = ingest(report, settings, embedder=HashingEmbedder())
    with pytest.raises(RuntimeError):
        ingest(report, settings, embedder=ExplodingEmbedder(), rebuild=True)
    assert store.load_index(first.index_dir).document.chunks
    assert not [p for p in first.index_dir.parent.iterdir() if ".building-" in p.name]


def test_a_kill_between_renames_falls_back_to_the_old_index(tmp_path, report):
    settings = load_settings(index_root=tmp_path / "index")
    first = ingest(report, settings, embedder=HashingEmbedder())
    first.index_dir.rename(first.index_dir.with_name(first.index_dir.name + ".old"))
    assert store.load_index(first.index_dir).document.chunks


def test_missing_or_damaged_index_is_a_clear_error(tmp_path, report):
    with pytest.raises(IndexProblem, match="report-qa ingest"):
        store.load_index(tmp_path / "nothing-here")
    settings = load_settings(index_root=tmp_path / "index")
    result = ingest(report, settings, embedder=HashingEmbedder())
    (result.index_dir / "chunks.faiss").write_bytes(b"garbage")
    with pytest.raises(IndexProblem, match="damaged"):
        store.load_index(result.index_dir)


def test_manifest_describes_the_index(tmp_path, report):
    settings = load_settings(index_root=tmp_path / "index")
    result = ingest(report, settings, embedder=HashingEmbedder())
    manifest = json.loads((result.index_dir / "manifest.json").read_text())
    assert set(manifest) >= {"format_version", "model", "dimension", "chunker", "source_sha256", "counts"}


def test_unknown_setting_is_an_error(tmp_path):
    from ingest.errors import ReportQAError

    config = tmp_path / "report-qa.toml"
    config.write_text('modle = "x"\n')
    with pytest.raises(ReportQAError, match="unknown setting"):
        load_settings(config)
