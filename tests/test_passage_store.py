"""The passage store interface (retrieval/store.py) on both backends: FAISS files in memory and Milvus
(milvus-lite, the Milvus engine in-process). Small invented reports and the hashing embedder: no model."""

from __future__ import annotations

import numpy as np
import pytest

from ingest.errors import ReportQAError
from ingest.settings import BUNDLED_REPORT, load_settings
from retrieval.store import FaissStore, Where, date_key, open_store, report_chunks
from tests.fakes import HashingEmbedder
from tests.sample_reports import BIRMINGHAM, STOKE

pytest.importorskip("pymilvus", reason="the milvus extra is not installed (`pip install -e '.[milvus]'`)")

BACKENDS = ("faiss", "milvus")


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    """Two invented Ofsted reports and the bundled report, indexed with the hashing embedder."""
    from ingest.pipeline import ingest

    folder = tmp_path_factory.mktemp("store-library")
    settings = load_settings(index_root=folder / "index")
    for name, text in (("birmingham-2016", BIRMINGHAM), ("stoke-2015", STOKE)):
        (folder / f"{name}.txt").write_text(text, encoding="utf-8")
        ingest(folder / f"{name}.txt", settings, embedder=HashingEmbedder())
    ingest(BUNDLED_REPORT, settings, embedder=HashingEmbedder())
    return settings


def _indexes(settings):
    from ingest.catalog import list_reports
    from ingest.store import load_index

    return {e.id: load_index(e.path) for e in list_reports(settings.index_root)}


def _store(backend: str, settings, tmp_path):
    if backend == "faiss":
        store = FaissStore()
    else:
        from retrieval.milvus_store import MilvusStore, _client

        uri = str(tmp_path / "milvus" / "store.db")
        store = MilvusStore(_client(uri), uri)
    for index in _indexes(settings).values():
        store.add(report_chunks(index))
    return store


def _ask(store, text: str, k: int = 5, where: Where | None = None, mode: str = "hybrid"):
    return store.search(text, HashingEmbedder().embed([text])[0], k, where, mode)


@pytest.mark.parametrize("backend", BACKENDS)
def test_added_reports_are_searched_and_the_best_passage_comes_first(backend, library, tmp_path):
    store = _store(backend, library, tmp_path)
    assert set(store.versions()) == {"birmingham-2016", "stoke-2015", "staffordshire-and-stoke-2017"}
    hits = _ask(store, "adopters matched quickly and supported after placement")
    assert hits[0].report == "stoke-2015"
    chunks = _indexes(library)["stoke-2015"].document.chunks
    assert hits[0].chunk_id == chunks[hits[0].row].id and "adopters" in chunks[hits[0].row].text


@pytest.mark.parametrize("backend", BACKENDS)
def test_search_filters_by_report_publisher_and_date(backend, library, tmp_path):
    store = _store(backend, library, tmp_path)
    question = "care leavers personal advisers"
    assert {h.report for h in _ask(store, question, 20, Where(reports=("birmingham-2016",)))} == {"birmingham-2016"}
    assert {h.report for h in _ask(store, question, 20, Where(since="2016"))} <= {"birmingham-2016",
                                                                                  "staffordshire-and-stoke-2017"}
    assert {h.report for h in _ask(store, question, 20, Where(until="2015-12"))} == {"stoke-2015"}
    assert {h.report for h in _ask(store, question, 20, Where(publisher="Ofsted"))} == {"birmingham-2016",
                                                                                        "stoke-2015"}
    assert _ask(store, question, 20, Where(publisher="Nobody")) == []
    kinds = {h.row for h in _ask(store, "recommendation", 50, Where(kind="recommendation"))}
    bundled = _indexes(library)["staffordshire-and-stoke-2017"].document.chunks
    assert kinds and all(bundled[row].kind == "recommendation" for row in kinds)


@pytest.mark.parametrize("backend", BACKENDS)
def test_delete_by_report_removes_only_its_passages(backend, library, tmp_path):
    store = _store(backend, library, tmp_path)
    removed = store.delete("stoke-2015")
    assert removed == len(_indexes(library)["stoke-2015"].document.chunks)
    assert "stoke-2015" not in store.versions()
    assert all(h.report != "stoke-2015" for h in _ask(store, "adopters matched quickly", 20))
    assert _ask(store, "care leavers pathway plans", 3)[0].report == "birmingham-2016"
    assert store.delete("stoke-2015") == 0


@pytest.mark.parametrize("backend", BACKENDS)
def test_hybrid_joins_the_words_list_and_the_vector_lists(backend, library, tmp_path):
    store = _store(backend, library, tmp_path)
    where = Where(reports=("staffordshire-and-stoke-2017",))
    words = _ask(store, "alcohol treatment requirement", 10, where, mode="bm25")
    chunks = _indexes(library)["staffordshire-and-stoke-2017"].document.chunks
    texts = [chunks[h.row].search_text().lower() for h in words]
    assert words and "alcohol" in texts[0] and all("alcohol" in t or "treatment" in t or "requir" in t for t in texts)
    hybrid = {h.row for h in _ask(store, "alcohol treatment requirement", 40, where)}
    dense = {h.row for h in _ask(store, "alcohol treatment requirement", 40, where, mode="dense")}
    assert {h.row for h in words} - dense and {h.row for h in words[:3]} <= hybrid
    with pytest.raises(ReportQAError, match="unknown search mode"):
        _ask(store, "alcohol", mode="sparse")


def test_both_backends_rank_the_same_by_vector(library, tmp_path):
    faiss_store, milvus_store = _store("faiss", library, tmp_path), _store("milvus", library, tmp_path)
    for question in ("care leavers accommodation", "unpaid work hours", "adopters supported after placement"):
        first = [(h.report, h.row) for h in _ask(faiss_store, question, 10, mode="dense")]
        second = [(h.report, h.row) for h in _ask(milvus_store, question, 10, mode="dense")]
        assert first[:3] == second[:3], question


def test_engine_with_the_milvus_first_stage_answers_as_with_faiss(library, tmp_path):
    from retrieval.engine import Engine

    settings = load_settings(index_root=library.index_root, store_backend="milvus",
                             store_uri=str(tmp_path / "milvus" / "engine.db"))
    plain = Engine.load(library, embedder=HashingEmbedder())
    staged = Engine.load(settings, embedder=HashingEmbedder())
    assert plain.search.first_stage is None and staged.search.first_stage is not None
    assert "staffordshire-and-stoke-2017" in open_store(settings).versions()
    # Questions the report answers; a declined one lists its nearest passages, which the first stage may narrow.
    for question in ("What does ATR stand for?", "What is a PSO?", "How were victims contacted?",
                     "What should the National Probation Service do?"):
        ours, theirs = plain.ask(question).to_json(), staged.ask(question).to_json()
        assert ours["answer"] == theirs["answer"], question
        assert [c["chunk_id"] for c in ours["citations"]] == [c["chunk_id"] for c in theirs["citations"]]


def test_an_unknown_backend_or_date_is_refused_with_the_known_ones():
    with pytest.raises(ReportQAError, match="faiss, milvus"):
        load_settings(store_backend="elastic")
    with pytest.raises(ReportQAError, match="not a date"):
        Where(since="last year").bounds()
    assert (date_key("2024-07-23"), date_key("2017-01"), date_key("2017"), date_key("")) == (
        20240723, 20170100, 20170000, -1)
    assert Where(since="2016", until="2019").bounds() == (20160000, 20191231)


def test_fused_lists_are_reciprocal_rank_fusion():
    from retrieval.store import rrf

    fused = rrf(["a", "b"], ["b", "c"])
    assert list(fused) == ["b", "a", "c"]
    assert np.isclose(fused["b"], 1 / 62 + 1 / 61)


def test_the_library_first_stage_on_the_store_ranks_as_in_memory_and_follows_removals(library, tmp_path):
    import shutil

    from ingest.catalog import remove_report
    from retrieval.library import DenseShortlist, Library
    from retrieval.store import StoreShortlist

    root = tmp_path / "index"
    shutil.copytree(library.index_root, root)
    plain = Library(load_settings(index_root=root), embedder=HashingEmbedder())
    staged = Library(load_settings(index_root=root, store_backend="milvus", store_uri=str(tmp_path / "lib.db")),
                     embedder=HashingEmbedder())
    assert isinstance(plain._dense, DenseShortlist) and isinstance(staged._dense, StoreShortlist)
    for one in (plain, staged):
        one.shortlist_size = 1
    question = "How quickly were children matched with adopters?"
    assert plain.rank(question, plain.entries)[0][0].id == staged.rank(question, staged.entries)[0][0].id == (
        "stoke-2015")
    assert plain.ask(question).to_json()["answer"] == staged.ask(question).to_json()["answer"]
    remove_report(root, "stoke-2015")
    staged.entries = [e for e in staged.entries if e.id != "stoke-2015"]
    staged.rank(question, staged.entries)
    assert "stoke-2015" not in open_store(staged.settings).versions()


def test_the_backend_is_chosen_by_option_or_environment(monkeypatch):
    import argparse

    from ingest.cli_options import common_options, settings_from

    parser = argparse.ArgumentParser(parents=[common_options()])
    assert settings_from(parser.parse_args([])).store_backend == "faiss"
    assert settings_from(parser.parse_args(["--store-backend", "milvus"])).store_backend == "milvus"
    monkeypatch.setenv("REPORT_QA_STORE_BACKEND", "milvus")
    assert settings_from(parser.parse_args([])).store_backend == "milvus"
    assert settings_from(parser.parse_args(["--store-backend", "faiss"])).store_backend == "faiss"



def test_the_stored_reports_are_read_whole_page_by_page(library, tmp_path):
    """More stored reports than one page holds: every one is still read, page after page."""
    from dataclasses import replace

    from retrieval.milvus_store import REPORTS, MilvusStore, _client

    uri = str(tmp_path / "milvus" / "pages.db")
    store = MilvusStore(_client(uri), uri)
    smallest = min(_indexes(library).values(), key=lambda index: len(index.document.chunks))
    store.add_many([replace(report_chunks(smallest), report=f"copy-{n}") for n in range(5)])
    batches = []
    real = store.client.query_iterator

    def spied(*args, **kwargs):
        batches.append(kwargs["batch_size"])
        return real(*args, **kwargs)

    reread = MilvusStore(store.client, uri)
    reread.client = type("Spy", (), {"query_iterator": staticmethod(spied)})()
    reread.page = 2  # 5 reports: 3 pages
    assert sorted(reread.versions()) == [f"copy-{n}" for n in range(5)]
    assert batches == [2]
    assert len(store.client.query(REPORTS, filter='report != ""', output_fields=["report"], limit=2)) == 2
