"""Ingest's stage times, its parse budget and memory cap per file, and parsing in child processes."""

import json
import os
import time

import numpy as np
import pytest

from ingest.batch import ingest_files, totals
from ingest.errors import InputError, ReportQAError
from ingest.isolate import ParseBudgetExceeded, ParseCrashed, ParsePool, document_from_json, document_to_json
from ingest.pipeline import STAGES, build_index, embed_texts, parse_stages, plan_ingest
from ingest.settings import load_settings
from tests.fakes import HashingEmbedder
from tests.sample_reports import BIRMINGHAM, STOKE
from ui.cli import main

FAKE_MODEL = HashingEmbedder.name
PLAIN = """Fostering in Northby

Foster carers in Northby are recruited from the local area and receive training every year.

Adoption

Children wait 14 months on average before they are placed with a family.
"""


@pytest.fixture
def fake_model(monkeypatch):
    monkeypatch.setattr("ingest.embed.make_embedder", lambda *a, **k: HashingEmbedder())


@pytest.fixture
def folder(tmp_path):
    reports = tmp_path / "reports"
    reports.mkdir()
    for name, text in [("ofsted-birmingham-2016.txt", BIRMINGHAM), ("ofsted-stoke-on-trent-2015.md", STOKE),
                       ("northby-2020.txt", PLAIN)]:
        (reports / name).write_text(text, encoding="utf-8")
    return reports


def _cli(root, *argv):
    return main(["ingest", "--index-root", str(root), "--model", FAKE_MODEL, *argv])


# -- stage times ------------------------------------------------------------------------------------------------


def test_json_of_one_file_gives_seconds_per_stage_and_pages_per_second(tmp_path, folder, fake_model, capsys):
    assert _cli(tmp_path / "index", "--json", str(folder / "northby-2020.txt")) == 0
    record = json.loads(capsys.readouterr().out)
    assert list(record["stages"]) == list(STAGES) and all(v >= 0 for v in record["stages"].values())
    assert record["pages"] >= 1 and record["pages_per_s"] > 0 and not record["reused"]


def test_json_of_a_folder_gives_each_report_and_the_total(tmp_path, folder, fake_model, capsys):
    assert _cli(tmp_path / "index", "--json", str(folder)) == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out["reports"]) == 3 and all(set(r["stages"]) == set(STAGES) for r in out["reports"])
    total = out["total"]
    assert total["built"] == 3 and total["failed"] == 0 and total["pages"] == sum(r["pages"] for r in out["reports"])
    assert total["stages"]["embed"] == pytest.approx(sum(r["stages"]["embed"] for r in out["reports"]), abs=0.05)
    assert total["pages_per_s"] > 0
    assert _cli(tmp_path / "index", "--json", str(folder)) == 0  # again: nothing to build, no stage times
    again = json.loads(capsys.readouterr().out)
    assert again["total"]["reused"] == 3 and all(r["stages"] == {} for r in again["reports"])


def test_the_text_summary_names_the_stages(tmp_path, folder, fake_model, capsys):
    assert _cli(tmp_path / "index", str(folder)) == 0
    out = capsys.readouterr().out
    assert "(parse " in out and "structure " in out and "embed " in out and "write " in out
    assert "stage seconds, summed over the reports built" in out and "pages/s" in out


def test_totals_sum_built_reports_only():
    from ingest.pipeline import IngestResult

    built = IngestResult("a", None, {}, False, "", 2.0, stages={s: 1.0 for s in STAGES}, pages=10)
    reused = IngestResult("b", None, {}, True, "", 0.0)
    total = totals([built, reused], 4.0)
    assert total["pages"] == 10 and total["pages_per_s"] == 2.5 and total["stages"]["embed"] == 1.0
    assert (total["built"], total["reused"]) == (1, 1)


# -- the time budget and the memory cap ------------------------------------------------------------------------


def _slow_on_purpose(path, max_words):
    """A stand-in parser: a file named slow*.txt never finishes; others parse as usual."""
    if path.name.startswith("slow"):
        time.sleep(60)
    return parse_stages(path, max_words)


def test_a_file_past_the_parse_budget_is_named_with_the_budget_and_the_batch_goes_on(tmp_path, folder, fake_model,
                                                                                    monkeypatch, capsys):
    (folder / "slow-report.txt").write_text(PLAIN.replace("Northby", "Slowtown"), encoding="utf-8")
    monkeypatch.setattr("ingest.pipeline.parse_stages", _slow_on_purpose)  # the forked children see it too
    started = time.monotonic()
    assert _cli(tmp_path / "index", "--parse-timeout", "1", str(folder)) == 2
    assert time.monotonic() - started < 30
    captured = capsys.readouterr()
    errors = [line for line in captured.err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "slow-report.txt" in errors[0] and "1 s budget" in errors[0]
    assert "3 built" in captured.out and "1 failed" in captured.out
    assert sorted(p.name for p in (tmp_path / "index").iterdir()) == [
        "northby-2020", "ofsted-birmingham-2016", "ofsted-stoke-on-trent-2015"]


def test_ingest_files_reports_the_runaway_file_and_keeps_order(tmp_path, folder):
    (folder / "slow.txt").write_text(PLAIN, encoding="utf-8")
    files = sorted(folder.iterdir())
    settings = load_settings(index_root=tmp_path / "index", parse_timeout=0.5, parse_workers=2)
    outcomes = list(ingest_files(files, settings, embedder=HashingEmbedder(), parser=_slow_on_purpose))
    assert [o.path for o in outcomes] == files
    failed = [o for o in outcomes if o.error is not None]
    assert [o.path.name for o in failed] == ["slow.txt"] and isinstance(failed[0].error, ParseBudgetExceeded)
    assert "0.5 s budget" in str(failed[0].error) and "REPORT_QA_PARSE_TIMEOUT" in str(failed[0].error)


def _greedy(path, max_words):
    hoard = bytearray(512 * 1024 * 1024)  # past a 64 MB cap
    return hoard


def _crashes(path, max_words):
    os._exit(3)


def _raises(path, max_words):
    if path.name.startswith("bad"):
        raise InputError(f"{path} is not a report this parser knows")
    raise ValueError("a parser bug")


@pytest.mark.parametrize("parser, max_mb, message", [(_greedy, 64, "64 MB memory cap"), (_crashes, 512, "exit code 3")])
def test_a_parse_past_the_memory_cap_or_a_crashed_child_is_a_clear_error(tmp_path, parser, max_mb, message):
    report = tmp_path / "x.txt"
    report.write_text(PLAIN, encoding="utf-8")
    with ParsePool(1, budget=30, max_mb=max_mb, parser=parser) as pool:
        with pytest.raises(ParseCrashed, match=message):
            pool.submit(report, 170).result()


def test_errors_raised_in_a_child_come_back_with_their_type(tmp_path):
    report = tmp_path / "x.txt"
    report.write_text(PLAIN, encoding="utf-8")
    bad = tmp_path / "bad.txt"
    bad.write_text(PLAIN, encoding="utf-8")
    with ParsePool(2, budget=30, max_mb=512, parser=_raises) as pool:
        first, second = pool.submit(bad, 170), pool.submit(report, 170)
        with pytest.raises(InputError, match="not a report this parser knows"):
            first.result()
        with pytest.raises(ValueError, match="a parser bug"):
            second.result()


def test_closing_the_pool_stops_a_parse_in_progress(tmp_path):
    report = tmp_path / "slow.txt"
    report.write_text(PLAIN, encoding="utf-8")
    pool = ParsePool(1, budget=60, max_mb=512, parser=_slow_on_purpose)
    future = pool.submit(report, 170)
    time.sleep(0.3)
    started = time.monotonic()
    pool.close()
    assert time.monotonic() - started < 5
    with pytest.raises(RuntimeError, match="cancelled"):
        future.result(timeout=1)


@pytest.mark.parametrize("argv, setting", [(["--parse-timeout", "0"], "parse_timeout"),
                                           (["--parse-timeout", "-3"], "parse_timeout"),
                                           (["--workers", "-1"], "parse_workers")])
def test_a_budget_or_worker_count_out_of_range_is_one_clear_line(tmp_path, folder, argv, setting, capsys):
    assert _cli(tmp_path / "index", *argv, str(folder)) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and setting in err[0] and "out of range" in err[0]
    assert not (tmp_path / "index").exists()


def test_a_budget_that_is_not_a_number_is_refused(monkeypatch):
    monkeypatch.setenv("REPORT_QA_PARSE_TIMEOUT", "soon")
    with pytest.raises(ReportQAError, match="parse_timeout='soon'"):
        load_settings()


# -- parallel parsing gives the index serial parsing gives --------------------------------------------------------


def _index_files(folder):
    files = {p.name: p.read_bytes() for p in folder.iterdir() if p.name != "manifest.json"}
    manifest = json.loads((folder / "manifest.json").read_text())
    for key in ("built_at", "build_seconds"):
        manifest.pop(key)
    return files, manifest


def test_parallel_ingest_builds_the_same_index_as_serial_in_process_parsing(tmp_path, folder):
    files = sorted(folder.iterdir())
    serial = load_settings(index_root=tmp_path / "serial")
    for path in files:  # no children at all: parse here, then embed and write
        build_index(plan_ingest(path, serial, HashingEmbedder()), parse_stages(path), serial, HashingEmbedder())
    parallel = load_settings(index_root=tmp_path / "parallel", parse_workers=3)
    outcomes = list(ingest_files(files, parallel, embedder=HashingEmbedder()))
    assert all(o.error is None and not o.result.reused for o in outcomes)
    names = sorted(p.name for p in (tmp_path / "serial").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "parallel").iterdir()) and len(names) == 3
    for name in names:
        assert _index_files(tmp_path / "serial" / name) == _index_files(tmp_path / "parallel" / name)


def test_a_document_survives_the_trip_from_the_child_as_json(folder):
    document = parse_stages(folder / "ofsted-birmingham-2016.txt").document
    again = document_from_json(json.loads(json.dumps(document_to_json(document))))
    assert again == document and again.pages_for(0, 10) == document.pages_for(0, 10)


# -- embedding: each distinct text once ---------------------------------------------------------------------------


def test_each_distinct_text_is_embedded_once_and_rows_follow_the_input():
    embedder = HashingEmbedder()
    texts = ["a b", "c d e", "a b", "f", "c d e"]
    vectors = embed_texts(embedder, texts, step=2)
    assert sorted(t for call in embedder.calls for t in call) == ["a b", "c d e", "f"]
    assert [len(call) for call in embedder.calls] == [2, 1] and embedder.calls[0][0] == "c d e"  # longest first
    assert np.array_equal(vectors, HashingEmbedder().embed(texts))


# -- a rebuilt report embeds only what changed ---------------------------------------------------------------------


UNCHANGED = "Foster carers in Northby are recruited from the local area and receive training every year."


def _embedded(embedder):
    return [t for call in embedder.calls for t in call]


@pytest.fixture
def built_once(tmp_path):
    """A small report ingested once; (report, settings, the embedder that built it)."""
    from ingest.pipeline import ingest

    report = tmp_path / "northby-2020.txt"
    report.write_text(PLAIN, encoding="utf-8")
    settings = load_settings(index_root=tmp_path / "index")
    first = HashingEmbedder()
    ingest(report, settings, embedder=first)
    return report, settings, first


def test_an_edited_report_embeds_only_its_new_texts_and_the_index_is_as_if_built_afresh(tmp_path, built_once):
    from ingest.pipeline import ingest

    report, settings, first = built_once
    report.write_text(PLAIN + "\nSchools\n\nEvery school in Northby has a designated teacher for children in care.\n",
                      encoding="utf-8")
    again = HashingEmbedder()
    result = ingest(report, settings, embedder=again)
    assert result.reason == "the report changed: rebuilding"
    assert "Every school in Northby has a designated teacher for children in care." in _embedded(again)
    assert UNCHANGED in _embedded(first) and UNCHANGED not in _embedded(again)
    fresh = load_settings(index_root=tmp_path / "fresh")
    ingest(report, fresh, embedder=HashingEmbedder())
    assert _index_files(tmp_path / "index" / "northby-2020")[0] == _index_files(tmp_path / "fresh" / "northby-2020")[0]


def test_rebuild_asked_for_or_a_damaged_index_embeds_everything_again(tmp_path, built_once):
    from ingest.pipeline import ingest

    report, settings, first = built_once
    forced = HashingEmbedder()
    ingest(report, settings, embedder=forced, rebuild=True)
    assert sorted(_embedded(forced)) == sorted(_embedded(first))
    vectors = tmp_path / "index" / "northby-2020" / "sentences.faiss"
    data = bytearray(vectors.read_bytes())
    data[-8:] = b"\xff" * 8
    vectors.write_bytes(data)
    report.write_text(PLAIN + "\nOne more sentence here.\n", encoding="utf-8")
    damaged = HashingEmbedder()
    ingest(report, settings, embedder=damaged)
    assert UNCHANGED in _embedded(damaged)  # the damaged index's vectors were not trusted
