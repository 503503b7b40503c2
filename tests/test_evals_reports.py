"""Items naming their own report: its index is used, built from a found source, or its items are skipped."""

from __future__ import annotations

import json
from pathlib import Path

from evals import runner
from evals.reports import ensure_index, find_source
from evals.runner import Loaded
from ingest.records import Document
from ingest.settings import load_settings
from retrieval.records import NOT_IN_REPORT, Answer, Passage
from ui.cli import main


class Engine:
    def ask(self, question: str, k: int | None = None, filters=None, id: str | None = None) -> Answer:
        passage = Passage(1, "c1", "s", [1], "text", 1.0, "The total is 41.")
        if "total" in question:
            return Answer(question, "The total is 41. [1]", False, passages=[passage], timings_ms={"total": 2.0})
        return Answer(question, f"{NOT_IN_REPORT}.", True, passages=[passage], timings_ms={"total": 2.0})


def item(id: str, report: str | None, split: str, question: str = "What is the total?") -> dict:
    answerable = "total" in question
    return {"id": id, "question": question, "category": "statistic" if answerable else "unanswerable",
            "expected": "41" if answerable else "", "patterns": ["41"] if answerable else [],
            "evidence": ["The total is 41"] if answerable else [], "split": split,
            **({"report": report} if report else {})}


def write(path: Path, *items: dict) -> Path:
    path.write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")
    return path


MANIFEST_FIELDS = {"format_version": 1, "report_name": "kept", "source_name": "kept.txt", "source_sha256": "0",
                   "model": "m", "dimension": 8, "chunker": {}, "counts": {}, "built_at": "", "build_seconds": 0.0}


def built(root: Path, name: str) -> None:
    (root / name).mkdir(parents=True)
    (root / name / "manifest.json").write_text("{}", encoding="utf-8")


def test_find_source_matches_the_index_name(tmp_path):
    (tmp_path / "Some Report 2020.txt").write_text("x", encoding="utf-8")
    assert find_source("some-report-2020", [tmp_path]) == tmp_path / "Some Report 2020.txt"
    assert find_source("other", [tmp_path]) is None


def test_ensure_index_uses_builds_or_explains(tmp_path):
    settings = load_settings(None, index_root=tmp_path / "index")
    built(tmp_path / "index", "ready")
    assert ensure_index("ready", settings, folders=[]).ready
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "new-one.txt").write_text("x", encoding="utf-8")
    ingested = []
    readiness = ensure_index("new-one", settings, ingest=lambda path, s: ingested.append(path),
                             folders=[tmp_path / "src"])
    assert readiness.ready and ingested == [tmp_path / "src" / "new-one.txt"]
    assert readiness.message.startswith("ingested ")
    missing = ensure_index("absent", settings, folders=[tmp_path / "src"])
    assert not missing.ready
    assert "no index for report 'absent'" in missing.message and "report-qa ingest FILE" in missing.message


def test_eval_runs_each_report_prints_groups_and_skips_a_report_it_cannot_build(tmp_path, monkeypatch,
                                                                                 capsys):
    monkeypatch.setenv("REPORT_QA_SHARED", str(tmp_path / "no-shared"))
    root = tmp_path / "index"
    built(root, "alpha")
    loaded = []

    def load(names, settings=None, report=None):
        loaded.append(report)
        return Loaded({name: Engine() for name in names}, Document(report or "bundled", "The total is 41.",
                                                                     [], [], []))

    monkeypatch.setattr(runner, "load_configs", load)
    first = write(tmp_path / "a.jsonl", item("a-01", None, "train"), item("a-02", None, "test", "Budget?"))
    write(tmp_path / "b-x.jsonl", item("b-01", "alpha", "test"), item("b-02", "beta", "train"))
    out = tmp_path / "out"
    code = main(["eval", "--index-root", str(root), "--dataset", str(first),
                 "--dataset", str(tmp_path / "b-*.jsonl"), "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert loaded == [None, "alpha"]
    assert "skipping 1 item(s) of report beta: no index for report 'beta'" in captured.err
    assert "per report and split" in captured.out
    for group in ("all / train", "all / test", "bundled / test", "alpha / test"):
        assert group in captured.out
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    by_group = summary["configs"]["fused"]["by_group"]
    assert by_group["alpha"]["n"] == 1 and by_group["alpha"]["accuracy"] == 1.0
    assert by_group["bundled / test"]["declined_unanswerable"] == 1.0
    results = [json.loads(line) for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(r["id"], r["report"], r["split"]) for r in results] == [
        ("a-01", "bundled", "train"), ("a-02", "bundled", "test"), ("b-01", "alpha", "test")]


def test_a_glob_that_matches_nothing_is_one_error_line(tmp_path, capsys):
    code = main(["eval", "--dataset", str(tmp_path / "none-*.jsonl"), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and "matches no file" in err and err.count("\n") == 1


def test_items_naming_no_report_get_the_bundled_index_built_when_it_is_missing(monkeypatch):
    from evals import cli, reports

    asked = []
    monkeypatch.setattr(reports, "ensure_index", lambda name, settings: asked.append(name) or
                        reports.Readiness(name, True, ""))
    item = type("Item", (), {"report": None})()
    groups = cli._ready_groups([item], None, load_settings())
    assert asked == ["staffordshire-and-stoke-2017"]
    assert list(groups) == [None]


def test_source_folders_include_the_shared_library_for_pdfs_only(tmp_path, monkeypatch):
    from evals.reports import source_folders

    monkeypatch.setenv("REPORT_QA_SHARED", str(tmp_path))
    library = tmp_path / "corpus" / "library"
    assert library in source_folders()
    library.mkdir(parents=True)
    (library / "council-2025.pdf").write_bytes(b"%PDF-1.4")
    (library / "notes-2025.txt").write_text("x", encoding="utf-8")
    assert find_source("council-2025") == library / "council-2025.pdf"
    assert find_source("notes-2025") is None  # only PDFs are taken from the library
    other = tmp_path / "corpus" / "other-reports"
    other.mkdir()
    (other / "council-2025.txt").write_text("x", encoding="utf-8")
    assert find_source("council-2025") == other / "council-2025.txt"  # a checked text copy comes first


def test_an_index_built_from_the_source_found_is_brought_up_to_date(tmp_path):
    # A parser or file change since the index was built must not leave the eval on a stale index.
    from types import SimpleNamespace

    settings = load_settings(None, index_root=tmp_path / "index")
    (tmp_path / "src").mkdir()
    source = tmp_path / "src" / "kept.txt"
    source.write_text("x", encoding="utf-8")
    (tmp_path / "index" / "kept").mkdir(parents=True)
    manifest = tmp_path / "index" / "kept" / "manifest.json"
    calls = []

    def ingest(reused):
        return lambda path, s: calls.append(path) or SimpleNamespace(reused=reused, reason="parser changed")

    for recorded in (str(source.resolve()), str(tmp_path / "elsewhere.pdf")):
        manifest.write_text(json.dumps({**MANIFEST_FIELDS, "source_path": recorded}), encoding="utf-8")
        current = ensure_index("kept", settings, ingest=ingest(True), folders=[tmp_path / "src"])
        stale = ensure_index("kept", settings, ingest=ingest(False), folders=[tmp_path / "src"])
        assert current.ready and current.message == "" and stale.ready
        if recorded == str(source.resolve()):
            assert calls == [source, source] and stale.message.startswith("rebuilt ")
        else:  # another copy of the report (its PDF): used as it is, never replaced by the eval
            assert calls == [source, source] and stale.message == ""
