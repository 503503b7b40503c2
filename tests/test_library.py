"""A library of reports: ids, metadata, ingest of many files, reports/remove, routing, asking across reports."""

import json
import os
from pathlib import Path

import pytest

from ingest.errors import InputError, ReportQAError
from ingest.metadata import describe, report_id
from tests.fakes import HashingEmbedder
from tests.sample_reports import BIRMINGHAM, STOKE
from ui.cli import main

FAKE_MODEL = HashingEmbedder.name


PROBATION = """Foreword

This is our inspection of probation work in Staffordshire and Stoke. Caseloads of officers in the \
Community Rehabilitation Company were too high, some up to 80 cases.

Dame Glenys Stacey
HM Chief Inspector of Probation
January 2017
"""


# -- ids and metadata ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("stem", "expected"), [
    ("ofsted-barnet-23-july-2024", "ofsted-barnet-23-july-2024"),
    ("Ofsted Barnet, 23 July 2024", "ofsted-barnet-23-july-2024"),
    ("staffordshire-and-stoke-2017", "staffordshire-and-stoke-2017"),
    ("__Children’s  services (final)__", "children-s-services-final"),
    ("Éire Report", "eire-report"),
])
def test_report_id_is_the_lower_cased_stem_with_runs_of_other_characters_as_dashes(stem, expected):
    assert report_id(stem) == expected


def test_report_id_without_letters_or_digits_is_a_clear_error():
    with pytest.raises(InputError, match="no letters or digits"):
        report_id("--- ___")


def test_bundled_report_keeps_its_id():
    from ingest.pipeline import report_name
    from ingest.settings import BUNDLED_REPORT

    assert report_name(BUNDLED_REPORT) == "staffordshire-and-stoke-2017"


def test_metadata_of_an_inspection_title_page():
    meta = describe(BIRMINGHAM, "ofsted-birmingham-2016")
    assert meta.title == "Birmingham: Re-inspection of services for children in need of help and protection"
    assert (meta.publisher, meta.date, meta.place) == ("Ofsted", "2016-11-25", "Birmingham")
    assert meta.kind == "children's services inspection" and meta.year == 2016


def test_metadata_reads_numeric_uk_dates_and_strips_council_names():
    meta = describe(STOKE, "stoke")
    assert (meta.date, meta.place) == ("2015-08-10", "Stoke-on-Trent")


def test_metadata_without_a_title_falls_back_to_the_file_name():
    meta = describe(PROBATION, "staffordshire-and-stoke-2017")
    assert meta.title == "Staffordshire and Stoke 2017" and meta.place == "Staffordshire and Stoke"
    assert (meta.publisher, meta.date, meta.kind) == ("HM Inspectorate of Probation", "2017-01",
                                                      "probation inspection")


def test_metadata_of_an_unknown_family_is_generic():
    text = "Inspection of Barnet local authority\nchildren’s services\nInspection dates: 10 to 14 June 2024\n"
    meta = describe(text, "barnet", profiles={"publishers": [], "generic_kinds": [
        {"pattern": "inspection", "kind": "inspection"}]})
    assert meta.title == "Inspection of Barnet local authority children’s services"
    assert (meta.publisher, meta.date, meta.place, meta.kind) == ("", "2024-06-14", "Barnet", "inspection")


def test_metadata_from_the_file_name_alone():
    meta = describe("Some paragraphs with no title page.", "ofsted-cheshire-west-and-chester-19-february-2016")
    assert (meta.publisher, meta.date, meta.place) == ("Ofsted", "2016-02-19", "Cheshire West and Chester")


# -- ingest, reports, remove ----------------------------------------------------------------------------------


@pytest.fixture
def fake_model(monkeypatch):
    """Every embedder the CLI makes is the hashing fake (named like the --model the tests pass)."""
    # Imported first: a first import after ingest.embed is patched would bind (and later "restore") the fake.
    import retrieval.engine  # noqa: F401

    monkeypatch.setattr("ingest.embed.SentenceTransformerEmbedder", lambda *a, **k: HashingEmbedder())
    monkeypatch.setattr("ingest.embed.make_embedder", lambda *a, **k: HashingEmbedder())
    for name in ("SentenceTransformerEmbedder", "make_embedder"):
        monkeypatch.setattr(f"retrieval.engine.{name}", lambda *a, **k: HashingEmbedder(), raising=False)


@pytest.fixture
def library(tmp_path, fake_model):
    """Three small reports and one bad file in a folder, ingested through the CLI."""
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "ofsted-birmingham-2016.txt").write_text(BIRMINGHAM, encoding="utf-8")
    (folder / "ofsted-stoke-on-trent-2015.md").write_text(STOKE, encoding="utf-8")
    (folder / "staffordshire-and-stoke-2017.txt").write_text(PROBATION, encoding="utf-8")
    (folder / "broken.txt").write_bytes(b"\x00\x01\x02 not text")
    (folder / "notes.csv").write_text("ignored", encoding="utf-8")
    root = tmp_path / "index"
    return folder, root


def _cli(root, *argv):
    return main([argv[0], "--index-root", str(root), "--model", FAKE_MODEL, *argv[1:]])


def test_ingest_of_a_folder_names_the_bad_file_and_ingests_the_rest(library, capsys):
    folder, root = library
    assert _cli(root, "ingest", str(folder)) == 2
    captured = capsys.readouterr()
    errors = [line for line in captured.err.splitlines() if line.startswith("error:")]
    assert errors == [errors[0]] and "broken.txt" in errors[0] and "binary" in errors[0]
    assert "3 built" in captured.out and "1 failed" in captured.out
    assert sorted(p.name for p in root.iterdir()) == ["ofsted-birmingham-2016", "ofsted-stoke-on-trent-2015",
                                                       "staffordshire-and-stoke-2017"]


def test_ingest_again_skips_unchanged_reports_and_rebuilds_only_the_changed_one(library, capsys):
    folder, root = library
    (folder / "broken.txt").unlink()
    assert _cli(root, "ingest", str(folder)) == 0
    before = {p.name: (p / "manifest.json").stat().st_mtime_ns for p in root.iterdir()}
    (folder / "ofsted-stoke-on-trent-2015.md").write_text(STOKE + "\nA new paragraph about adoption.\n", "utf-8")
    capsys.readouterr()
    assert _cli(root, "ingest", str(folder)) == 0
    out = capsys.readouterr().out
    assert "1 built, 2 unchanged" in out
    after = {p.name: (p / "manifest.json").stat().st_mtime_ns for p in root.iterdir()}
    assert after["ofsted-birmingham-2016"] == before["ofsted-birmingham-2016"]
    assert after["ofsted-stoke-on-trent-2015"] != before["ofsted-stoke-on-trent-2015"]


def test_reports_lists_metadata_and_remove_deletes_one(library, capsys):
    folder, root = library
    _cli(root, "ingest", str(folder))
    capsys.readouterr()
    assert _cli(root, "reports", "--json") == 0
    listed = {r["id"]: r for r in json.loads(capsys.readouterr().out)}
    assert set(listed) == {"ofsted-birmingham-2016", "ofsted-stoke-on-trent-2015", "staffordshire-and-stoke-2017"}
    birmingham = listed["ofsted-birmingham-2016"]
    assert {k: birmingham[k] for k in ("publisher", "date", "place")} == {
        "publisher": "Ofsted", "date": "2016-11-25", "place": "Birmingham"}
    assert birmingham["chunks"] > 0 and birmingham["pages"] >= 1 and birmingham["title"].startswith("Birmingham")
    assert _cli(root, "reports") == 0
    assert "ofsted-birmingham-2016" in capsys.readouterr().out

    assert _cli(root, "remove", "ofsted-birmingham-2015") == 2
    err = capsys.readouterr().err
    assert "ofsted-birmingham-2015" in err and "ofsted-birmingham-2016" in err and len(err.strip().splitlines()) == 1
    assert _cli(root, "remove", "ofsted-birmingham-2016") == 0
    assert not (root / "ofsted-birmingham-2016").exists() and (root / "ofsted-stoke-on-trent-2015").exists()
    capsys.readouterr()
    _cli(root, "reports", "--json")
    assert len(json.loads(capsys.readouterr().out)) == 2


def test_an_interrupted_ingest_leaves_the_reports_finished_so_far_usable(library, monkeypatch, capsys):
    from ingest.catalog import list_reports
    from ingest.settings import load_settings
    from retrieval.library import Library

    folder, root = library
    (folder / "broken.txt").unlink()

    class InterruptedOnTheSecondReport(HashingEmbedder):
        def embed(self, texts):
            if any("Stoke-on-Trent" in t for t in texts):
                raise KeyboardInterrupt  # Ctrl-C while the second report is being embedded
            return super().embed(texts)

    monkeypatch.setattr("ingest.embed.SentenceTransformerEmbedder", lambda *a, **k: InterruptedOnTheSecondReport())
    monkeypatch.setattr("ingest.embed.make_embedder", lambda *a, **k: InterruptedOnTheSecondReport())
    assert _cli(root, "ingest", str(folder)) == 130
    assert [e.id for e in list_reports(root)] == ["ofsted-birmingham-2016"]
    assert not [p for p in root.iterdir() if p.name.startswith(".")]  # the half-built one was cleaned up
    library = Library(load_settings(index_root=root, model=FAKE_MODEL), embedder=HashingEmbedder())
    assert library.ask("How often do personal advisers visit care leavers?").citations


def test_an_unfinished_build_is_not_listed(library):
    from ingest.catalog import list_reports

    folder, root = library
    _cli(root, "ingest", str(folder))
    (root / ".ofsted-x.building-123").mkdir()  # an ingest killed mid-build
    (root / "half-done").mkdir()  # a folder without a manifest
    assert len(list_reports(root)) == 3


def test_an_old_manifest_without_metadata_still_lists(library, capsys):
    folder, root = library
    _cli(root, "ingest", str(folder))
    path = root / "ofsted-birmingham-2016" / "manifest.json"
    data = json.loads(path.read_text())
    for key in ("title", "publisher", "date", "place", "kind", "pages"):
        data.pop(key)
    path.write_text(json.dumps(data))
    capsys.readouterr()
    _cli(root, "reports", "--json")
    listed = {r["id"]: r for r in json.loads(capsys.readouterr().out)}
    assert listed["ofsted-birmingham-2016"]["date"] == "2016-11-25"


# -- asking across reports ------------------------------------------------------------------------------------


@pytest.fixture
def built(library):
    from ingest.settings import load_settings
    from retrieval.library import Library

    folder, root = library
    (folder / "broken.txt").unlink()
    assert _cli(root, "ingest", str(folder)) == 0
    settings = load_settings(index_root=root, model=FAKE_MODEL)
    embedder = HashingEmbedder()
    return Library(settings, embedder=embedder), embedder, root


def test_a_question_naming_a_place_is_routed_to_that_report(built):
    library, _, _ = built
    chosen, why = library.route("How are care leavers supported in Birmingham?", library.select())
    assert [e.id for e in chosen] == ["ofsted-birmingham-2016"] and "place" in why
    # "Stoke-on-Trent" names that report, not also the one about "Staffordshire and Stoke"
    chosen, _ = library.route("What about adoption in Stoke-on-Trent?", library.select())
    assert [e.id for e in chosen] == ["ofsted-stoke-on-trent-2015"]
    chosen, _ = library.route("What did the inspection in Stoke find?", library.select())
    assert [e.id for e in chosen] == ["staffordshire-and-stoke-2017"]


def test_a_question_naming_a_year_is_routed_to_that_report(built):
    library, _, _ = built
    chosen, why = library.route("What did inspectors find in 2015?", library.select())
    assert [e.id for e in chosen] == ["ofsted-stoke-on-trent-2015"] and "year" in why
    chosen, why = library.route("What do care leavers get?", library.select())
    assert len(chosen) == 3 and why is None


def test_ask_across_reports_names_the_report_of_every_citation_and_passage(built):
    library, embedder, _ = built
    answer = library.ask("How often do personal advisers visit care leavers in Birmingham?")
    assert not answer.abstained
    assert answer.citations and all(c.report["id"] == "ofsted-birmingham-2016" for c in answer.citations)
    assert all(p.report and p.report["date"] == "2016-11-25" for p in answer.passages)
    record = answer.to_json()
    assert record["citations"][0]["report"]["title"].startswith("Birmingham")
    assert {"marker", "chunk_id", "section", "pages", "quote"} <= set(record["citations"][0])


def test_ask_across_reports_ranks_reports_and_embeds_the_question_once(built):
    library, embedder, _ = built
    question = "Are adopters well supported after placement?"
    answer = library.ask(question)
    assert answer.citations[0].report["id"] == "ofsted-stoke-on-trent-2015"
    assert sum(call.count(question) for call in embedder.calls) == 1
    assert "best match of 3 reports" in answer.note


def test_selection_by_id_where_and_since(built):
    from retrieval.library import Selection

    library, _, _ = built
    pick = library.select
    assert [e.id for e in pick(Selection.parse(where=["publisher=ofsted"], since=2016))] == ["ofsted-birmingham-2016"]
    assert [e.id for e in pick(Selection.parse(where=["place=Stoke-on-Trent"]))] == ["ofsted-stoke-on-trent-2015"]
    assert len(pick(Selection.parse(reports=["ofsted-birmingham-2016", "staffordshire-and-stoke-2017"]))) == 2
    with pytest.raises(ReportQAError, match="known: "):
        pick(Selection.parse(since=2030))
    with pytest.raises(ReportQAError, match="use one of publisher, kind, place"):
        Selection.parse(where=["colour=red"])
    with pytest.raises(ReportQAError, match="known reports: ofsted-birmingham-2016"):
        pick(Selection.parse(reports=["nope"]))


def test_cli_ask_searches_the_whole_library_and_takes_report_where_since(built, capsys):
    _, _, root = built
    assert _cli(root, "ask", "--json", "Are adopters well supported after placement?") == 0
    data = json.loads(capsys.readouterr().out)
    assert data["citations"][0]["report"]["id"] == "ofsted-stoke-on-trent-2015"
    assert _cli(root, "ask", "--report", "ofsted-birmingham-2016", "--report", "staffordshire-and-stoke-2017",
                "How high were the caseloads of officers?") == 0
    out = capsys.readouterr().out
    assert "staffordshire-and-stoke-2017 · " in out and "ofsted-stoke-on-trent-2015 · " not in out
    assert _cli(root, "ask", "--where", "publisher=Ofsted", "--since", "2016", "How are care leavers housed?") == 0
    out = capsys.readouterr().out
    assert "ofsted-birmingham-2016 · " in out
    assert _cli(root, "ask", "--report", "missing", "What is it?") == 2
    assert "known reports:" in capsys.readouterr().err


def test_with_one_report_the_answer_is_that_engines_answer(fake_engine):
    from retrieval.library import Library

    library = Library(fake_engine.settings, embedder=fake_engine.embedder)
    ours = library.ask("What does ATR stand for?").to_json()
    theirs = fake_engine.ask("What does ATR stand for?").to_json()
    for record in (ours, theirs):
        record.pop("timings_ms")
        for item in record["citations"] + record["passages"]:
            item.pop("report")
    assert ours == theirs


# -- the real corpus ------------------------------------------------------------------------------------------


def _shared() -> Path:
    return Path(os.environ.get("REPORT_QA_SHARED") or Path(__file__).resolve().parents[2] / "shared")


@pytest.mark.slow
def test_the_three_ofsted_reports_ingest_into_one_library(tmp_path, capsys):
    folder = _shared() / "corpus" / "other-reports"
    texts = sorted(folder.glob("*.txt"))
    if len(texts) < 3:
        pytest.skip(f"{folder}/*.txt absent: ../shared/corpus absent")
    root = tmp_path / "index"
    assert main(["ingest", "--index-root", str(root), *map(str, texts)]) == 0
    capsys.readouterr()
    assert main(["reports", "--index-root", str(root), "--json"]) == 0
    listed = {r["id"]: r for r in json.loads(capsys.readouterr().out)}
    assert {k: (v["place"], v["date"][:4], v["publisher"]) for k, v in listed.items()} == {
        "ofsted-birmingham-2016": ("Birmingham", "2016", "Ofsted"),
        "ofsted-staffordshire-2014": ("Staffordshire", "2014", "Ofsted"),
        "ofsted-stoke-on-trent-2015": ("Stoke-on-Trent", "2015", "Ofsted"),
    }
    assert main(["ask", "--index-root", str(root), "--json",
                 "How effective is the multi-agency safeguarding hub in Birmingham in 2016?"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert "Asked of ofsted-birmingham-2016" in data["note"]
    assert {p["report"]["id"] for p in data["passages"] + data["citations"]} == {"ofsted-birmingham-2016"}
    assert main(["ask", "--index-root", str(root), "--json", "How good was adoption performance?"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["passages"] and all(p["report"]["id"].startswith("ofsted-") for p in data["passages"])


# -- loaded engines: bounded, least recently used dropped, one load per report ---------------------------------


class _FakeEngine:
    def __init__(self, report: str) -> None:
        from types import SimpleNamespace

        self.report = report
        self.embedder = HashingEmbedder()
        self.document = SimpleNamespace(name=report)


def _counting_library(tmp_path, monkeypatch, max_engines: int, delay: float = 0.0):
    """A library of reports r0..r9 whose engines are fakes; `loads` counts Engine.load per report."""
    import time
    from collections import Counter
    from types import SimpleNamespace

    from ingest.settings import Settings
    from retrieval.library import Library

    loads: Counter = Counter()

    def load(settings, report, embedder=None, strategy="fused"):
        loads[report] += 1
        time.sleep(delay)
        return _FakeEngine(report)

    monkeypatch.setattr("retrieval.library.Engine.load", load)
    library = Library(Settings(index_root=tmp_path, max_engines=max_engines), embedder=HashingEmbedder())
    library.entries = [SimpleNamespace(id=f"r{n}") for n in range(10)]
    return library, loads


def test_loaded_engines_are_bounded_least_recently_used_first(tmp_path, monkeypatch):
    library, loads = _counting_library(tmp_path, monkeypatch, max_engines=3)
    for report in ("r0", "r1", "r2", "r0", "r3"):  # r0 asked again: r1 is the least recently used
        assert library.engine(report).report == report
    assert list(library._engines) == ["r2", "r0", "r3"]  # noqa: SLF001
    library.engine("r1")  # dropped, so loaded again
    assert loads["r1"] == 2 and loads["r0"] == 1 and len(library._engines) == 3  # noqa: SLF001


def test_an_engine_loaded_elsewhere_is_adopted_once_and_a_forgotten_one_is_loaded_again(tmp_path, monkeypatch):
    library, loads = _counting_library(tmp_path, monkeypatch, max_engines=3)
    mine = _FakeEngine("r4")
    assert library.adopt(mine) is mine and library.engine("r4") is mine and loads["r4"] == 0
    other = _FakeEngine("r4")
    assert library.adopt(other) is mine  # the one already held stays
    library.forget("r4")
    library.forget("never-loaded")  # nothing to drop: no error
    assert library.engine("r4") is not mine and loads["r4"] == 1


def test_many_first_questions_together_load_a_report_once(tmp_path, monkeypatch):
    from concurrent.futures import ThreadPoolExecutor

    library, loads = _counting_library(tmp_path, monkeypatch, max_engines=4, delay=0.05)
    with ThreadPoolExecutor(16) as pool:
        engines = list(pool.map(lambda n: library.engine(f"r{n % 2}"), range(32)))
    assert loads == {"r0": 1, "r1": 1}
    assert len({id(e) for e in engines}) == 2


def test_engines_from_many_threads_never_exceed_the_bound(tmp_path, monkeypatch):
    from concurrent.futures import ThreadPoolExecutor

    library, _loads = _counting_library(tmp_path, monkeypatch, max_engines=3)
    with ThreadPoolExecutor(8) as pool:
        found = list(pool.map(lambda n: library.engine(f"r{n % 10}").report, range(200)))
    assert found == [f"r{n % 10}" for n in range(200)]
    assert len(library._engines) == 3  # noqa: SLF001


def test_max_engines_setting_is_checked():
    from ingest.settings import load_settings

    assert load_settings(max_engines="5").max_engines == 5
    with pytest.raises(ReportQAError, match="max_engines"):
        load_settings(max_engines=0)
