"""`compare`: one judgement's grade across a library, read from each report's judgements table.

The reports are invented, in the manner of Ofsted's (a page-1 grading grid under a headline judgement);
the real Ofsted PDFs in ../shared/corpus/other-reports are compared by the `slow` test at the end.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from ingest.errors import ReportQAError
from tests.fakes import HashingEmbedder

PARAGRAPH = ("Inspectors read case files and talked with staff and managers about the help that was given to "
             "children and families and the difference it made to them.")


def _ofsted_like(place: str, dates: str, headline: str, grades: tuple[str, str, str], overall: str = "") -> str:
    return f"""{place} Council

Inspection of local authority children's services
Ofsted inspection dates: {dates}

{headline}

{overall}1. The impact of leaders on social work practice with children and families

{grades[0]}

2. The experiences and progress of children who need help and protection

{grades[1]}

3. The experiences and progress of care leavers   {grades[2]}

\f
Executive summary
{PARAGRAPH}

{PARAGRAPH}
"""


REPORTS = {
    "northwick": _ofsted_like("Northwick Borough", "3 March 2025 to 14 March 2025",
                              "Children's services in Northwick require improvement to be good",
                              ("Requires improvement", "Inadequate", "Good")),
    # the grid's own "Overall effectiveness" row wins over the headline above it
    "eastmoor": _ofsted_like("Eastmoor County", "7 May 2019 to 18 May 2019", "Children's services in Eastmoor are good",
                             ("Good", "Good", "Outstanding"), overall="The overall effectiveness of children's "
                             "services   Outstanding\n\n"),
    # its headline states a grade its own grid does not use: read with the grade words of the whole library
    "southbay": _ofsted_like("Southbay City", "2 June 2022 to 13 June 2022",
                             "Children's services in Southbay require improvement to be good",
                             ("Good", "Inadequate", "Good")),
    "riverside-review": f"""Annual review of the Riverside Library Service

Summary
{PARAGRAPH}

Background
{PARAGRAPH}
""",
}


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    from ingest.pipeline import ingest
    from ingest.settings import load_settings
    from retrieval.library import Library

    folder = tmp_path_factory.mktemp("compare")
    settings = load_settings(index_root=folder / "index")
    for name, text in REPORTS.items():
        path = folder / f"{name}.txt"
        path.write_text(text, encoding="utf-8")
        ingest(path, settings, embedder=HashingEmbedder())
    return Library(settings, embedder=HashingEmbedder())


def _values(results) -> dict[str, str | None]:
    return {r.report["id"]: r.value for r in results}


def test_a_grid_row_gives_each_report_its_grade(library):
    from retrieval.compare import compare

    assert _values(compare(library, "care leavers")) == {"northwick": "Good", "eastmoor": "Outstanding",
                                                          "southbay": "Good", "riverside-review": None}
    assert _values(compare(library, "help and protection"))["northwick"] == "Inadequate"
    assert _values(compare(library, "leaders' impact"))["eastmoor"] == "Good"  # words, not the exact phrase


def test_the_headline_over_the_grid_is_the_overall_judgement(library):
    from retrieval.compare import compare

    results = compare(library, "overall effectiveness")
    assert _values(results) == {"northwick": "Requires improvement", "eastmoor": "Outstanding",
                                "southbay": "Requires improvement", "riverside-review": None}
    found = {r.report["id"]: r for r in results}
    assert found["eastmoor"].judgement == "The overall effectiveness of children's services"
    assert found["northwick"].citation.quote == "Children's services in Northwick require improvement to be good"
    assert [r.report["id"] for r in results] == ["eastmoor", "southbay", "northwick", "riverside-review"]  # by date


def test_each_grade_cites_its_table_chunk(library):
    from retrieval.compare import compare

    found = {r.report["id"]: r for r in compare(library, "care leavers")}
    citation = found["northwick"].citation
    assert citation.kind == "table" and citation.label == "Judgements"
    assert citation.report["id"] == "northwick" and citation.pages
    assert citation.quote in citation.text and "care leavers" in citation.quote
    span = citation.quote_spans[0]
    assert citation.text[span.start:span.end] == citation.quote
    assert found["riverside-review"].citation is None


def test_cli_json_shape(library, capsys):
    from ui.cli import main

    assert main(["compare", "overall effectiveness", "--json", "--index-root", str(library.settings.index_root)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {d["report"]["id"] for d in data} == set(REPORTS)
    for item in data:
        assert set(item["report"]) == {"id", "title", "date"}
        assert {"report", "value", "citation"} <= set(item)
    graded = next(d for d in data if d["report"]["id"] == "eastmoor")
    assert graded["value"] == "Outstanding"
    assert graded["citation"]["report"]["id"] == "eastmoor" and graded["citation"]["pages"]
    assert next(d for d in data if d["report"]["id"] == "riverside-review")["value"] is None


def test_cli_table_and_filters(library, capsys):
    from ui.cli import main

    root = str(library.settings.index_root)
    assert main(["compare", "care leavers", "--since", "2020", "--index-root", root]) == 0
    out = capsys.readouterr().out
    assert "northwick" in out and "southbay" in out and "Good" in out and "eastmoor" not in out
    assert out.splitlines()[0].split() == ["report", "date", "grade", "citation"]


def test_nothing_matching_is_one_clear_error(library, capsys):
    from retrieval.compare import compare
    from ui.cli import main

    with pytest.raises(ReportQAError, match="no report grades a judgement matching 'budget'.*care leavers"):
        compare(library, "budget")
    with pytest.raises(ReportQAError, match="no words"):
        compare(library, "the of")
    assert main(["compare", "budget", "--index-root", str(library.settings.index_root)]) == 2
    assert "budget" in capsys.readouterr().err


def test_an_empty_library_is_one_clear_error(tmp_path, capsys):
    from ui.cli import main

    assert main(["compare", "overall effectiveness", "--index-root", str(tmp_path / "none")]) == 2
    assert "no reports indexed" in capsys.readouterr().err


def _corpus() -> Path:
    shared = os.environ.get("REPORT_QA_SHARED")
    root = Path(shared) if shared else Path(__file__).resolve().parents[2] / "shared"
    return root / "corpus" / "other-reports"


@pytest.mark.slow
def test_the_three_ofsted_pdfs_compared(tmp_path):
    from ingest.pipeline import ingest
    from ingest.settings import load_settings
    from retrieval.compare import compare
    from retrieval.library import Library
    from ui.compare_cli import format_comparison

    pdfs = sorted(_corpus().glob("*.pdf"))
    if len(pdfs) < 3:
        pytest.skip(f"the three Ofsted PDFs are not in {_corpus()} (../shared/corpus absent)")
    settings = load_settings(index_root=tmp_path / "index")
    for pdf in pdfs:
        ingest(pdf, settings, embedder=HashingEmbedder())
    results = compare(Library(settings, embedder=HashingEmbedder()), "overall effectiveness")
    print("\n" + format_comparison(results))
    assert _values(results) == {"ofsted-staffordshire-2014": "Good",
                                "ofsted-stoke-on-trent-2015": "Requires improvement",
                                "ofsted-birmingham-2016": "Inadequate"}
    assert all(r.citation.pages == [1] and r.citation.pdf_pages == [1] for r in results)
    leadership = _values(compare(Library(settings), "leadership, management and governance"))
    assert leadership["ofsted-birmingham-2016"] == "Inadequate"


# --- verdicts asked across reports, in ask and the chat ------------------------------------------------


def _comparison(answer):
    from retrieval.compare import COMPARISON_LABEL

    return next((f for f in answer.figures if f.label == COMPARISON_LABEL), None)


def test_a_rating_asked_of_several_reports_is_answered_from_their_tables(library):
    answer = library.ask("Which councils were rated inadequate for help and protection?")
    table = _comparison(answer)
    assert table is not None and table.columns == ["Report", "Date", "Judgement", "Grade", "Cited"]
    assert [(row[0], row[3]) for row in table.rows] == [("Southbay", "Inadequate"), ("Northwick", "Inadequate")]
    assert answer.answer.startswith("2 of 3 reports grade") and "[1]" in answer.answer and "[2]" in answer.answer
    assert [p.chunk_id for p in answer.passages] == [c.chunk_id for c in answer.citations]
    for marker, (citation, row) in enumerate(zip(answer.citations, table.rows, strict=True), 1):
        assert citation.marker == marker and row[4] == f"[{marker}] p. {citation.pages[0]}"
        assert citation.report["id"] == row[0].lower() and citation.label == "Judgements"
        assert "Inadequate" in citation.quote


def test_ratings_without_a_grade_list_every_graded_report_oldest_first(library):
    answer = library.ask("How were care leavers rated in these inspections?")
    rows = _comparison(answer).rows
    assert [(row[0], row[3]) for row in rows] == [("Eastmoor", "Outstanding"), ("Southbay", "Good"),
                                                  ("Northwick", "Good")]
    assert all(row[2] == "The experiences and progress of care leavers" for row in rows)


def test_a_grade_no_report_gives_still_shows_the_grades(library):
    answer = library.ask("Which councils were judged outstanding for help and protection?")
    assert answer.answer.startswith("None of the 3 reports") and len(_comparison(answer).rows) == 3


def test_a_question_naming_no_rating_is_searched_as_usual(library):
    for question in ("How well are care leavers supported?", "What did inspectors find about care leavers?"):
        assert _comparison(library.ask(question)) is None, question


def test_one_named_report_is_asked_as_usual(library):
    answer = library.ask("How was Eastmoor rated for care leavers?")
    assert _comparison(answer) is None and {c.report["id"] for c in answer.citations} <= {"eastmoor"}


def test_the_comparison_is_charted_in_the_chat(library):
    import gradio as gr

    from ui.app import chat_turn, table_updates
    from ui.render import grade_chart

    messages, answer = chat_turn(None, "Which councils were rated inadequate for help and protection?", [],
                                 library=library)
    assert answer is not None and "Southbay" in messages[-1]["content"] + str(messages)
    frame, plot, _picker = table_updates(answer)
    assert isinstance(plot, gr.Plot) and plot.visible and plot.value is not None
    many = _comparison(answer)
    many.rows = [[f"Place {n}", "2020-01-01", "Overall", grade, ""] for n, grade in
                 enumerate(["Good", "Inadequate", "Requires improvement to be good", "Outstanding"] * 8)]
    assert grade_chart(many) is not None  # 32 reports: how many have each grade


def test_grades_share_a_scale():
    from retrieval.compare import grade_rank, same_grade, scale_of

    assert same_grade("Requires improvement to be good", "requires improvement")
    assert not same_grade("Good", "Requires improvement to be good")
    scale = scale_of(["Good", "Requires improvement to be good"])  # the Ofsted profile's grade_scale
    assert [grade_rank(g, scale) for g in ("Outstanding", "Good", "Requires improvement to be good", "Inadequate",
                                           "Strong")] == [4, 3, 2, 1, None]


def test_one_place_inspected_twice_reads_as_its_ratings_over_time():
    from retrieval.compare import _over_time

    rows = [["Northwick", "2019-05-01", "Overall effectiveness", "Inadequate", "[1] p. 1"],
            ["Northwick", "2023-06-01", "Overall effectiveness", "Requires improvement to be good", "[2] p. 1"]]
    assert _over_time("Northwick", "overall effectiveness", rows) == (
        "In Northwick, overall effectiveness improved: Inadequate (2019-05-01) [1], then Requires improvement to "
        "be good (2023-06-01) [2].")


def test_since_a_year_in_the_question_keeps_the_reports_of_that_year_and_later(library):
    answer = library.ask("Which councils were rated good for care leavers since 2020?")
    assert [row[0] for row in _comparison(answer).rows] == ["Southbay", "Northwick"]
    assert "names its year" in answer.note


# -- a made-up report family: nothing in compare is one family's -----------------------------------------------

WIDGET_PROFILE = {"name": "widgets", "publisher": "Widget Standards Board", "detect": ["Widget Standards Board"],
                  "grades": ["Strong", "Adequate", "Weak"], "grade_scale": ["Strong", "Adequate", "Weak"],
                  "headline_judgement": "Overall standard"}


def _graded_report(folder: Path, report: str, publisher: str, date: str, headline: str,
                   rows: list[list[str]]):
    """A report entry whose only chunks are a headline passage and the judgements grid under it."""
    from ingest.catalog import ReportEntry
    from ingest.metadata import ReportMetadata
    from ingest.records import TABLE, Chunk, Table
    from retrieval.compare import JUDGEMENT_LABEL

    grid = "\n".join("   ".join(row) for row in rows)
    chunks = [Chunk("summary#1", "summary", ["Summary"], [1], "prose", headline, 0, len(headline), [], "h"),
              Chunk("summary#table", "summary", ["Summary"], [1], TABLE, grid, 0, len(grid), [], "t",
                    label=JUDGEMENT_LABEL, table=Table("", "", None, ["Judgement", "Grade"], rows, True))]
    path = folder / report
    path.mkdir(parents=True)
    (path / "chunks.jsonl").write_text("".join(json.dumps(c.to_json()) + "\n" for c in chunks), encoding="utf-8")
    (path / "manifest.json").write_text("{}", encoding="utf-8")
    place = report.split("-")[0].title()
    return ReportEntry(report, ReportMetadata(f"{place} widget review", publisher, date, place, "review", 1, 2),
                       f"{report}.txt", "2026-01-01", path)


@pytest.fixture
def widgets(tmp_path, monkeypatch):
    """Three reports of a made-up family graded strong / adequate / weak (its profile in a folder of its own),
    and one with no profile."""
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    (profiles / "widgets.json").write_text(json.dumps(WIDGET_PROFILE), encoding="utf-8")
    monkeypatch.setattr("ingest.profiles.PROFILE_DIR", profiles)
    board = "Widget Standards Board"
    return [
        _graded_report(tmp_path, "ashford-2019", board, "2019-04-01", "Widget work in Ashford is weak",
                       [["Quality of widgets", "Weak"], ["Safety of widgets", "Adequate"]]),
        _graded_report(tmp_path, "ashford-2023", board, "2023-04-01", "Widget work in Ashford is strong",
                       [["Quality of widgets", "Strong"], ["Safety of widgets", "Strong"]]),
        _graded_report(tmp_path, "brook-2022", board, "2022-09-01", "Widget work in Brook is adequate",
                       [["Quality of widgets", "Adequate"], ["Safety of widgets", "Weak"]]),
        _graded_report(tmp_path, "carrow-2021", "", "2021-01-01", "Widget work in Carrow is weak",
                       [["Quality of widgets", "Weak"], ["Safety of widgets", "Weak"]]),
    ]


class _Entries:
    def __init__(self, entries):
        self.entries = entries

    def select(self, selection=None):
        return self.entries


def test_a_made_up_familys_headline_and_scale_come_from_its_profile(widgets):
    from retrieval.compare import compare, grade_rank, judgement_rows, scale_of

    assert [r.judgement for r in judgement_rows(widgets[0]) if r.quote] == ["Overall standard"]
    assert [r.judgement for r in judgement_rows(widgets[3]) if r.quote] == ["Overall judgement"]  # no profile
    rows = compare(_Entries(widgets[:3]), "overall standard")
    assert [(r.report["id"], r.value) for r in rows] == [("ashford-2019", "Weak"), ("brook-2022", "Adequate"),
                                                         ("ashford-2023", "Strong")]
    assert scale_of(["Weak", "Strong"]) == ("Strong", "Adequate", "Weak")
    assert [grade_rank(g, scale_of(["Weak"])) for g in ("Strong", "Adequate", "Weak", "Good")] == [3, 2, 1, None]
    assert scale_of(["Good", "Strong"]) == ()  # grades of two families (or none): no one scale


def test_a_made_up_familys_ratings_over_time_read_on_its_scale(widgets):
    from retrieval.compare import judgement_answer

    answer = judgement_answer("How did Ashford's ratings change?", widgets[:2])
    assert answer is not None
    assert answer.answer.startswith("In Ashford, overall standard improved: Weak (2019-04-01) [1], then Strong")
    leaders = judgement_answer("Which places were rated weak for safety?", widgets[:3])
    assert leaders is not None and [row[0] for row in leaders.figures[0].rows] == ["Brook"]


def test_a_made_up_familys_comparison_is_charted_on_its_scale_and_grades_of_no_scale_counted(widgets):
    from retrieval.compare import judgement_answer
    from ui.render import grade_chart

    answer = judgement_answer("Which places were rated for quality of widgets?", widgets)
    assert answer is not None and len(answer.figures[0].rows) == 4
    ranked = judgement_answer("Which places were rated for quality of widgets?", widgets[:3])
    chart = grade_chart(ranked.figures[0])
    assert [t.get_text() for t in chart.axes[0].get_xticklabels()] == ["Weak", "Adequate", "Strong"]
    figure = answer.figures[0]
    grades = ["Weak", "So-so", "Weak", "Top"]
    figure.rows = [[*row[:3], grade, row[4]] for row, grade in zip(figure.rows, grades, strict=True)]
    counted = grade_chart(figure)  # grades on no profile's scale: how many reports have each
    assert counted is not None and [t.get_text() for t in counted.axes[0].get_yticklabels()][-1] == "Weak"


def test_a_headline_run_into_the_grids_passage_is_read_as_its_lead_line():
    from ingest import records as kinds
    from ingest.records import Chunk, Table
    from retrieval.compare import _headline, _lead_line

    text = ("Children's services in Northwick require improvement to be good 1. Children who need help and "
            "protection Requires improvement\n2. Children looked after Good")
    table = Table(number="", caption="Judgements", source=None, complete=True, columns=["Judgement", "Grade"],
                  rows=[["Children who need help and protection", "Requires "
                  "improvement"], ["Children looked after", "Good"]])
    chunk = Chunk(id="n#judgements", section_id="n", section_path=["Northwick"], pages=[1], kind=kinds.TABLE,
                  text=text, start=0, end=len(text), sentences=[], content_hash="x", table=table)
    assert _lead_line(chunk) == "Children's services in Northwick require improvement to be good"
    assert _headline(chunk, None, ["Requires improvement to be good", "Good"])[1] == "Requires improvement to be good"
    bare = Chunk(**{**chunk.__dict__, "text": text[text.index("1. "):]})
    assert _lead_line(bare) is None  # nothing before the first row
