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
    from retrieval.compare import grade_rank, same_grade

    assert same_grade("Requires improvement to be good", "requires improvement")
    assert not same_grade("Good", "Requires improvement to be good")
    assert [grade_rank(g) for g in ("Outstanding", "Good", "Requires improvement to be good", "Inadequate",
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
