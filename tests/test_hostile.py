"""Hostile input: every case gives one clear line (exit 2) or a decline, never an internal error or lost data.

Cases from the reliability probe at 72066ef (issue 13). All run with the fake embedder and tmp_path.
"""

from __future__ import annotations

import json

import pytest

from ui.cli import main


@pytest.fixture
def index_root(fake_engine, monkeypatch):
    """The CLI pointed at the fake-embedder index of the bundled report."""
    from tests.fakes import HashingEmbedder

    monkeypatch.setattr("ingest.embed.SentenceTransformerEmbedder", lambda *args, **kwargs: HashingEmbedder())
    monkeypatch.setattr("retrieval.engine.make_embedder", lambda *args, **kwargs: HashingEmbedder())
    return str(fake_engine.settings.index_root)


def _one_clear_line(capsys, *words: str) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err and "internal error" not in err, err
    assert len(err.strip().splitlines()) == 1, err
    for word in words:
        assert word in err, err
    return err


# 1. Text validation -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("question", ["What does ATR stand for? \udcff\udcfe", "What does ATR stand for? \ud800"])
def test_undecodable_question_on_the_command_line_is_one_clear_line(index_root, capsys, question):
    # Invalid UTF-8 in argv reaches Python as surrogate escapes (\udcff); a JSON "\ud800" is a lone surrogate.
    assert main(["ask", "--index-root", index_root, question]) == 2
    _one_clear_line(capsys, "not valid text")


def test_lone_surrogate_batch_line_is_reported_and_later_lines_still_answered(index_root, tmp_path, capsys):
    questions = tmp_path / "s.jsonl"
    questions.write_bytes(
        b'{"id":"g1","question":"What does ATR stand for?"}\n'
        b'{"id":"s1","question":"What does ATR stand for? \\ud800"}\n'
        b'{"id":"\\udfff","question":"What is a PSR?"}\n'
        b'{"id":"x1","question":"What does ATR stand for? \xff\xfe\xc3("}\n'
        b'{"id":"g2","question":"What is a PSR?"}\n')
    out = tmp_path / "a.jsonl"
    assert main(["ask", "--index-root", index_root, "--batch", str(questions), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "line 2:" in err and "not valid text" in err and "line 4:" in err and "not UTF-8" in err
    assert "internal error" not in err
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in records] == ["g1", "s1", "\\udfff", None, "g2"]
    assert records[0]["answer"] and records[2]["answer"] and records[4]["answer"]
    assert "error" in records[1] and records[3]["line"] == 4


def test_batch_file_with_a_utf8_bom_has_line_1_answered(index_root, tmp_path, capsys):
    questions = tmp_path / "bom.jsonl"
    questions.write_bytes(b'\xef\xbb\xbf{"id":"b","question":"What does ATR stand for?"}\n')
    out = tmp_path / "a.jsonl"
    assert main(["ask", "--index-root", index_root, "--batch", str(questions), "--out", str(out)]) == 0
    assert "Alcohol Treatment Requirement" in json.loads(out.read_text())["answer"]


def test_duplicate_batch_ids_are_warned_about_and_both_answered(index_root, tmp_path, capsys):
    questions = tmp_path / "dup.jsonl"
    questions.write_text('{"id":"q1","question":"What does ATR stand for?"}\n'
                         '{"id":"q1","question":"What is a PSR?"}\n', encoding="utf-8")
    out = tmp_path / "a.jsonl"
    assert main(["ask", "--index-root", index_root, "--batch", str(questions), "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "line 2: warning: id 'q1' was already used on line 1" in err
    assert len(out.read_text().splitlines()) == 2


def test_latin1_batch_file_is_refused_whole(index_root, tmp_path, capsys):
    questions = tmp_path / "latin.jsonl"
    questions.write_bytes('{"id":"q","question":"Qu\u00e9 es ATR?"}\n'.encode("latin-1"))
    assert main(["ask", "--index-root", index_root, "--batch", str(questions)]) == 2
    _one_clear_line(capsys, "not UTF-8")


# 2. File arguments --------------------------------------------------------------------------------------------

def _questions(tmp_path):
    path = tmp_path / "q.jsonl"
    path.write_text('{"id":"q1","question":"What does ATR stand for?"}\n', encoding="utf-8")
    return path


def test_batch_given_a_folder_is_one_clear_line(index_root, tmp_path, capsys):
    assert main(["ask", "--index-root", index_root, "--batch", str(tmp_path)]) == 2
    _one_clear_line(capsys, str(tmp_path), "folder")


def test_out_in_a_missing_folder_is_one_clear_line(index_root, tmp_path, capsys):
    out = tmp_path / "no" / "such" / "a.jsonl"
    assert main(["ask", "--index-root", index_root, "--batch", str(_questions(tmp_path)), "--out", str(out)]) == 2
    _one_clear_line(capsys, "does not exist", str(out))


def test_out_that_cannot_be_written_is_one_clear_line(index_root, tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    out = blocker / "a.jsonl"  # a "folder" that is a file: unwritable even for root
    assert main(["ask", "--index-root", index_root, "--batch", str(_questions(tmp_path)), "--out", str(out)]) == 2
    _one_clear_line(capsys, str(out))


def test_out_that_is_a_folder_is_one_clear_line(index_root, tmp_path, capsys):
    assert main(["ask", "--index-root", index_root, "--batch", str(_questions(tmp_path)),
                 "--out", str(tmp_path)]) == 2
    _one_clear_line(capsys, "is a folder")


@pytest.mark.parametrize("spelling", ["same", "relative", "hardlink"])
def test_out_same_as_batch_is_refused_and_the_questions_survive(index_root, tmp_path, capsys, monkeypatch,
                                                                 spelling):
    questions = _questions(tmp_path)
    before = questions.read_bytes()
    out = questions
    if spelling == "relative":
        monkeypatch.chdir(tmp_path)
        out = tmp_path / "." / "q.jsonl"
    elif spelling == "hardlink":
        out = tmp_path / "link.jsonl"
        out.hardlink_to(questions)
    assert main(["ask", "--index-root", index_root, "--batch", str(questions), "--out", str(out)]) == 2
    _one_clear_line(capsys, "is the --batch file itself", str(out))
    assert questions.read_bytes() == before


# 3. Settings and options --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("variable", "value"), [("REPORT_QA_BATCH_SIZE", "0"), ("REPORT_QA_MAX_WORDS", "0"),
                                                 ("REPORT_QA_MAX_WORDS", "-5"), ("REPORT_QA_TOP_K", "0")])
def test_out_of_range_settings_are_one_clear_line(tmp_path, capsys, monkeypatch, variable, value):
    report = tmp_path / "small.md"
    report.write_text("# Title\n\nOne paragraph of text here.\n\nAnother paragraph.\n", encoding="utf-8")
    monkeypatch.setenv(variable, value)
    assert main(["ingest", str(report), "--index-root", str(tmp_path / "index")]) == 2
    _one_clear_line(capsys, variable.removeprefix("REPORT_QA_").lower(), "out of range")
    assert not (tmp_path / "index").exists()


def test_huge_k_is_capped_with_a_note(index_root, capsys):
    assert main(["ask", "--index-root", index_root, "--json", "-k", "100000", "What does ATR stand for?"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["passages"]) == 50 and "the most -k allows" in data["note"]


def test_empty_kind_is_an_error_not_ignored(index_root, capsys):
    assert main(["ask", "--index-root", index_root, "--kind", "", "What does ATR stand for?"]) == 2
    _one_clear_line(capsys, "unknown --kind ''", "glossary")


# 4. Unknown filter values -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("option", "value", "named"), [
    ("--organisation", "ACME", "'NPS'"), ("--section", "no-such-section", "ch3"), ("--section", " ", "empty")])
def test_unknown_filter_value_names_the_valid_values(index_root, capsys, option, value, named):
    assert main(["ask", "--index-root", index_root, option, value, "What does ATR stand for?"]) == 2
    err = _one_clear_line(capsys, named)
    assert "does not say" not in err


def test_known_filter_values_still_work(fake_engine):
    from retrieval.records import Filters

    assert fake_engine.retrieve("quality of work", k=3, filters=Filters(organisation="nps"))
    assert fake_engine.retrieve("quality of work", k=3, filters=Filters(section="Reducing reoffending"))


# 5. Questions with nothing to look for ------------------------------------------------------------------------

@pytest.mark.parametrize("question", ["a", "x", "1", "asdf", "What?", "the the the", "qwertyuiop zxcvbnm?"])
def test_question_with_no_report_word_is_declined_without_citations(fake_engine, question):
    answer = fake_engine.ask(question)
    assert answer.abstained and not answer.citations
    assert answer.answer.startswith("The report does not say")


def test_a_real_question_is_still_answered(fake_engine):
    answer = fake_engine.ask("What does ATR stand for?")
    assert not answer.abstained and "Alcohol Treatment Requirement" in answer.answer


# 6. Bounded parsing -------------------------------------------------------------------------------------------

def test_crafted_file_of_page_start_lines_parses_in_bounded_time(tmp_path):
    """8,000 lines that each look like a page start and a heading took 146 s at 72066ef (O(sections x pages))."""
    import time

    from ingest.pipeline import parse_report

    crafted = tmp_path / "pages.txt"
    crafted.write_text("".join(f" {i} Quality & Impact inspection: Staffordshire and Stoke {i % 999}\n"
                               for i in range(8000)), encoding="utf-8")
    started = time.perf_counter()
    document = parse_report(crafted)
    assert time.perf_counter() - started < 30  # ~0.5 s here; generous for a loaded 2-core runner
    assert len(document.sections) > 7000 and len({s.id for s in document.sections}) == len(document.sections)
    assert all(s.pages for s in document.sections[1:])


def test_pages_for_matches_a_plain_scan():
    import random

    from ingest.records import Document

    rng = random.Random(7)
    for _ in range(200):
        offsets = sorted(rng.sample(range(0, 500), rng.randint(1, 30)))
        starts = [(o, rng.randint(1, 9)) for o in offsets]
        doc = Document("d", "x" * 520, starts, [], [])
        start = rng.randrange(0, 520)
        end = rng.randrange(start, 521)
        expected = []
        for i, (offset, page) in enumerate(starts):
            next_offset = starts[i + 1][0] if i + 1 < len(starts) else len(doc.text) + 1
            if offset < max(end, start + 1) and next_offset > start and page not in expected:
                expected.append(page)
        assert doc.pages_for(start, end) == expected


# 7. Index integrity -------------------------------------------------------------------------------------------

_SMALL = ("# Small report\n\nThe inspectors looked at 120 cases in 2016. Alcohol 80% of cases.\n\n"
          "## Findings\n\nThe CRC had too few staff. The NPS was good at court work.\n")


def _small_index(tmp_path):
    from ingest.pipeline import ingest
    from ingest.settings import load_settings
    from tests.fakes import HashingEmbedder

    report = tmp_path / "small-report.md"
    report.write_text(_SMALL, encoding="utf-8")
    settings = load_settings(index_root=tmp_path / "index")
    result = ingest(report, settings, embedder=HashingEmbedder())
    return result.index_dir


def test_manifest_records_a_sha256_of_every_index_file(tmp_path):
    import hashlib

    folder = _small_index(tmp_path)
    files = json.loads((folder / "manifest.json").read_text())["files"]
    on_disk = {p.name for p in folder.iterdir()} - {"manifest.json"}
    assert set(files) == on_disk and {"chunks.jsonl", "chunks.faiss", "sentence_owner.npy"} <= on_disk
    for name, digest in files.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest


@pytest.mark.parametrize("name", ["chunks.jsonl", "chunks.faiss", "sentences.faiss", "report.txt",
                                  "sentence_owner.npy"])
def test_a_tampered_index_file_is_refused_naming_the_file(tmp_path, name):
    from ingest.errors import IndexProblem
    from ingest.store import load_index

    folder = _small_index(tmp_path)
    path = folder / name
    data = bytearray(path.read_bytes())
    if name == "chunks.jsonl":
        data = bytearray(bytes(data).replace(b"80%", b"8%"))
    else:
        data[-5] ^= 0xFF  # one flipped byte in the data
    path.write_bytes(bytes(data))
    with pytest.raises(IndexProblem) as err:
        load_index(folder)
    assert str(path) in str(err.value) and "ingest --rebuild" in str(err.value)
    assert "\n" not in str(err.value)


def test_tampered_index_is_one_clear_line_from_the_cli(tmp_path, capsys, monkeypatch):
    from tests.fakes import HashingEmbedder

    monkeypatch.setattr("retrieval.engine.make_embedder", lambda *args, **kwargs: HashingEmbedder(), raising=False)
    monkeypatch.setattr("retrieval.engine.SentenceTransformerEmbedder", lambda *args, **kwargs: HashingEmbedder(),
                        raising=False)
    folder = _small_index(tmp_path)
    data = bytearray((folder / "chunks.faiss").read_bytes())
    data[-7] ^= 0xFF
    (folder / "chunks.faiss").write_bytes(bytes(data))
    assert main(["ask", "--index-root", str(folder.parent), "--report", "small-report", "How many cases?"]) == 2
    _one_clear_line(capsys, "chunks.faiss", "checksum", "ingest --rebuild")


def test_an_old_manifest_without_checksums_loads_with_a_warning(tmp_path, caplog):
    from ingest.store import load_index

    folder = _small_index(tmp_path)
    manifest = json.loads((folder / "manifest.json").read_text())
    del manifest["files"]
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with caplog.at_level("WARNING"):
        index = load_index(folder)
    assert index.document.chunks and "no checksums" in caplog.text


def test_sentence_owner_out_of_range_is_refused_at_load(tmp_path):
    import numpy as np

    from ingest.errors import IndexProblem
    from ingest.store import _sha256, load_index

    folder = _small_index(tmp_path)
    owner = np.load(folder / "sentence_owner.npy")
    owner[-1] = 65281
    np.save(folder / "sentence_owner.npy", owner, allow_pickle=False)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["files"]["sentence_owner.npy"] = _sha256(folder / "sentence_owner.npy")  # a consistent forgery
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexProblem, match="sentence_owner.npy points at passages that do not exist"):
        load_index(folder)


@pytest.mark.parametrize("start", ["target", "old only", "target and old", "broken target and old"])
def test_swap_in_never_passes_through_a_moment_with_no_index(tmp_path, monkeypatch, start):
    """Checked before and after every rename and delete, as if `kill -9` landed there."""
    import pathlib
    import shutil

    from ingest import store

    target = tmp_path / "report"
    old = tmp_path / "report.old"

    def build(folder, tag):
        folder.mkdir()
        (folder / "manifest.json").write_text(tag)

    if start in ("target", "target and old"):
        build(target, "current")
    if start in ("old only", "target and old", "broken target and old"):
        build(old, "previous")
    if start == "broken target and old":
        target.mkdir()  # no manifest: an unfinished folder
    staging = tmp_path / ".report.building-x"
    build(staging, "new")

    def some_index() -> bool:
        return (target / "manifest.json").exists() or (old / "manifest.json").exists()

    real_rename, real_rmtree = pathlib.Path.rename, shutil.rmtree

    def rename(self, dest):
        assert some_index()
        result = real_rename(self, dest)
        assert some_index()
        return result

    def rmtree(path, *args, **kwargs):
        assert some_index()
        real_rmtree(path, *args, **kwargs)
        assert some_index()

    monkeypatch.setattr(pathlib.Path, "rename", rename)
    monkeypatch.setattr(shutil, "rmtree", rmtree)
    store._swap_in(staging, target)
    assert (target / "manifest.json").read_text() == "new" and not old.exists() and not staging.exists()


def test_leftover_build_folders_are_cleaned_at_the_next_ingest(tmp_path):
    import os
    import time

    from ingest.pipeline import ingest
    from ingest.settings import load_settings
    from tests.fakes import HashingEmbedder

    folder = _small_index(tmp_path)
    stale = folder.parent / f".{folder.name}.building-stale"
    fresh = folder.parent / f".{folder.name}.building-fresh"  # another build, running now: left alone
    for leftover in (stale, fresh):
        leftover.mkdir()
        (leftover / "chunks.jsonl").write_text("")
    an_hour_ago = time.time() - 3600
    os.utime(stale, (an_hour_ago, an_hour_ago))
    ingest(tmp_path / "small-report.md", load_settings(index_root=folder.parent), embedder=HashingEmbedder(),
           rebuild=True)
    assert not stale.exists() and fresh.exists() and (folder / "manifest.json").exists()


# 8. Reports keyed by content ----------------------------------------------------------------------------------

def test_a_different_file_with_the_same_name_is_refused_not_swapped_in(tmp_path, capsys):
    folder = _small_index(tmp_path)
    before = (folder / "manifest.json").read_text()
    other = tmp_path / "other" / "small-report.md"
    other.parent.mkdir()
    other.write_text("The inspectors looked at 3 cases.\n", encoding="utf-8")
    assert main(["ingest", str(other), "--index-root", str(folder.parent)]) == 2
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "Traceback" not in err and "internal error" not in err
    assert "already holds another report" in errors[0] and "--rebuild" in errors[0] and "Rename" in errors[0]
    assert (folder / "manifest.json").read_text() == before


def test_rebuild_replaces_it_when_asked(tmp_path):
    from ingest.pipeline import ingest
    from ingest.settings import load_settings
    from tests.fakes import HashingEmbedder

    folder = _small_index(tmp_path)
    other = tmp_path / "other" / "small-report.md"
    other.parent.mkdir()
    other.write_text("The inspectors looked at 3 cases.\n", encoding="utf-8")
    result = ingest(other, load_settings(index_root=folder.parent), embedder=HashingEmbedder(), rebuild=True)
    assert result.counts["chunks"] == 1
    assert json.loads((folder / "manifest.json").read_text())["source_path"] == str(other.resolve())


def test_the_same_file_edited_is_rebuilt_as_before(tmp_path):
    from ingest.pipeline import ingest
    from ingest.settings import load_settings
    from tests.fakes import HashingEmbedder

    folder = _small_index(tmp_path)
    report = tmp_path / "small-report.md"
    report.write_text(_SMALL + "\n## More\n\nA new paragraph about unpaid work.\n", encoding="utf-8")
    result = ingest(report, load_settings(index_root=folder.parent), embedder=HashingEmbedder())
    assert not result.reused and result.reason == "the report changed: rebuilding"


def test_the_same_content_elsewhere_reuses_the_index(tmp_path):
    from ingest.pipeline import ingest
    from ingest.settings import load_settings
    from tests.fakes import HashingEmbedder

    folder = _small_index(tmp_path)
    copy = tmp_path / "copy" / "small-report.md"
    copy.parent.mkdir()
    copy.write_text(_SMALL, encoding="utf-8")
    assert ingest(copy, load_settings(index_root=folder.parent), embedder=HashingEmbedder()).reused
