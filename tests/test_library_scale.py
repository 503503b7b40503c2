"""Asking across a library at scale: the dense first stage that shortlists reports, and `bench --library`."""

import json
import os
from pathlib import Path

import pytest

from tests.fakes import HashingEmbedder
from tests.test_library import BIRMINGHAM, PROBATION, STOKE
from ui.cli import main

FAKE_MODEL = HashingEmbedder.name

EXTRA = """Hartlepool Borough Council

Inspection of children's social care services
Report published: 28 August 2018

Fostering

Foster carers in Hartlepool are recruited from the local area and receive training every year.
"""


@pytest.fixture
def fake_model(monkeypatch):
    import retrieval.engine  # noqa: F401 (first: imported after the patch below, it would keep the fake)

    monkeypatch.setattr("ingest.embed.make_embedder", lambda *a, **k: HashingEmbedder())
    monkeypatch.setattr("retrieval.engine.make_embedder", lambda *a, **k: HashingEmbedder(), raising=False)


@pytest.fixture
def four(tmp_path, fake_model):
    """Four small reports ingested through the CLI; a Library over them and its embedder."""
    from ingest.settings import load_settings
    from retrieval.library import Library

    folder = tmp_path / "reports"
    folder.mkdir()
    for name, text in [("ofsted-birmingham-2016.txt", BIRMINGHAM), ("ofsted-stoke-on-trent-2015.txt", STOKE),
                       ("staffordshire-and-stoke-2017.txt", PROBATION), ("ofsted-hartlepool-2018.txt", EXTRA)]:
        (folder / name).write_text(text, encoding="utf-8")
    root = tmp_path / "index"
    assert main(["ingest", "--index-root", str(root), "--model", FAKE_MODEL, str(folder)]) == 0
    embedder = HashingEmbedder()
    return Library(load_settings(index_root=root, model=FAKE_MODEL), embedder=embedder), embedder, folder, root


def test_the_first_stage_ranks_reports_by_their_best_passage(four):
    from retrieval.library import DenseShortlist

    library, embedder, _, _ = four
    vector = embedder.embed(["Are foster carers recruited from the local area?"])[0]
    ranked = DenseShortlist().rank(library.entries, vector, FAKE_MODEL)
    assert ranked[0][0].id == "ofsted-hartlepool-2018"
    assert sorted(e.id for e, _ in ranked) == sorted(e.id for e in library.entries)
    assert [s for _, s in ranked] == sorted((s for _, s in ranked), reverse=True)


def test_a_selection_reuses_the_library_matrices_and_ranks_only_what_it_names(four):
    from retrieval.library import DenseShortlist

    library, embedder, _, _ = four
    shortlist = DenseShortlist()
    vector = embedder.embed(["Are adopters well supported?"])[0]
    shortlist.rank(library.entries, vector, FAKE_MODEL)
    key = shortlist._key  # noqa: SLF001
    some = library.entries[:2]
    ranked = shortlist.rank(some, vector, FAKE_MODEL, library.entries)
    assert {e.id for e, _ in ranked} == {e.id for e in some} and shortlist._key == key  # noqa: SLF001


def test_a_report_of_another_model_is_never_ranked_out(four):
    from retrieval.library import DenseShortlist

    library, embedder, _, _ = four
    ranked = DenseShortlist().rank(library.entries, embedder.embed(["adopters"])[0], "another-model")
    assert all(score == float("inf") for _, score in ranked)


def test_only_the_shortlisted_reports_are_scored_and_loaded(four):
    library, embedder, _, _ = four
    library.shortlist_size = 1
    question = "Are adopters well supported after placement?"
    answer = library.ask(question)
    assert answer.citations[0].report["id"] == "ofsted-stoke-on-trent-2015"
    assert "best match of 4 reports" in answer.note
    assert set(library._engines) == {"ofsted-stoke-on-trent-2015"}  # noqa: SLF001
    assert sum(call.count(question) for call in embedder.calls) == 1
    hits = library.retrieve("Are foster carers trained every year?", k=3)
    assert hits and {entry.id for entry, _ in hits} == {"ofsted-hartlepool-2018"}


def test_a_rebuilt_report_is_read_again_and_the_others_are_not(four, monkeypatch):
    import retrieval.library as lib
    from ingest.catalog import list_reports

    library, embedder, folder, root = four
    library.shortlist_size = 1
    library.ask("Are adopters well supported after placement?")
    read = []
    real = lib._read_vectors  # noqa: SLF001
    monkeypatch.setattr(lib, "_read_vectors", lambda entry: read.append(entry.id) or real(entry))
    (folder / "ofsted-hartlepool-2018.txt").write_text(EXTRA + "\nAdopters in Hartlepool wait for panels.\n",
                                                      encoding="utf-8")
    assert main(["ingest", "--index-root", str(root), "--model", FAKE_MODEL, "--rebuild",
                 str(folder / "ofsted-hartlepool-2018.txt")]) == 0
    library.entries = list_reports(root)
    library.ask("Do adopters wait for panels?")
    assert read == ["ofsted-hartlepool-2018"]


def test_warm_reads_the_first_stage_and_optionally_every_engine(four):
    library, _, _, _ = four
    library.warm()
    assert library._dense._ids  # noqa: SLF001
    library.warm(engines=True)
    assert len(library._engines) == 4  # noqa: SLF001


def test_library_questions_are_an_even_sample_of_the_ofsted_eval_questions():
    from evals.bench import library_questions

    questions = library_questions()
    assert len(questions) == 50 and len(set(questions)) == 50


def test_bench_library_only_needs_a_library(capsys):
    assert main(["bench", "--library-only"]) == 2
    assert "--library FOLDER" in capsys.readouterr().err


def _library_folder() -> Path:
    shared = Path(os.environ.get("REPORT_QA_SHARED") or Path(__file__).resolve().parents[2] / "shared")
    return shared / "corpus" / "library"


@pytest.mark.slow
def test_five_library_pdfs_and_the_html_one_ingest_with_one_error_line(tmp_path, capsys):
    folder = _library_folder()
    names = ["ofsted-bolton-12-june-2018.pdf", "ofsted-bracknell-forest-29-july-2022.pdf",
             "ofsted-hartlepool-28-august-2018.pdf", "ofsted-halton-03-february-2015.pdf",
             "ofsted-york-07-february-2017.pdf", "ofsted-rotherham-10-august-2012.pdf"]
    files = [folder / n for n in names]
    if not all(f.is_file() for f in files):
        pytest.skip(f"{folder} absent: ../shared/corpus absent")
    root = tmp_path / "index"
    assert main(["ingest", "--index-root", str(root), *map(str, files)]) == 2
    captured = capsys.readouterr()
    errors = [line for line in captured.err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "ofsted-rotherham-10-august-2012.pdf" in errors[0]
    assert "5 built" in captured.out and "1 failed" in captured.out and "pages/s" in captured.out
    assert main(["reports", "--index-root", str(root), "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert len(listed) == 5 and all(r["pages"] > 0 and r["chunks"] > 0 for r in listed)
    assert main(["ask", "--index-root", str(root), "--json", "How are foster carers supported?"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["passages"] and all(p["report"]["id"].startswith("ofsted-") for p in data["passages"])


def test_the_first_stage_score_is_the_dense_part_of_the_fused_score_even_with_a_chunk_without_sentences():
    import numpy as np

    from retrieval.library import W_PASSAGE_VECTOR, DenseShortlist

    rng = np.random.default_rng(0)
    shortlist = DenseShortlist()
    chunks, sentences = rng.normal(size=(5, 8)).astype(np.float32), rng.normal(size=(7, 8)).astype(np.float32)
    owner = np.array([0, 0, 2, 2, 2, 3, 4])  # chunk 1 has no sentence
    shortlist._chunks, shortlist._sentences, shortlist._owner = chunks, sentences, owner  # noqa: SLF001
    shortlist._starts, shortlist._ids = np.array([0, 3]), ["a", "b"]  # noqa: SLF001
    shortlist._sentence_starts = np.searchsorted(owner, np.arange(6))  # noqa: SLF001
    vector = rng.normal(size=8).astype(np.float32)
    best = np.full(5, -1.0, dtype=np.float32)
    np.maximum.at(best, owner, sentences @ vector)
    dense = W_PASSAGE_VECTOR * (chunks @ vector) + (1 - W_PASSAGE_VECTOR) * best
    expected = [dense[:3].max(), dense[3:].max()]
    assert np.allclose(shortlist._best_per_report(vector), expected)  # noqa: SLF001
