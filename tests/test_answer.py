"""The answer step: quoting, tables, checks that never trust a citation."""

import re

import pytest

from ingest import records as kinds
from retrieval.citations import check_answer, verify
from retrieval.records import NOT_IN_REPORT, Answer, Citation
from retrieval.rows import table_rows


def _answer(text, quote, passage):
    citation = Citation(1, "c#1", "Section", [3], "text", quote, passage)
    return Answer(question="q", answer=text, abstained=False, citations=[citation])


def test_a_correct_answer_passes_the_checks():
    passage = "We found 61 cases. Of these 40 were CRC cases."
    assert check_answer(_answer("We found 61 cases. [1]", "We found 61 cases.", passage)) == []


@pytest.mark.parametrize(
    ("text", "quote", "problem"),
    [
        ("We found 61 cases. [2]", "We found 61 cases.", "marker [2] cites no passage"),  # invented marker
        ("We found 61 cases. [1]", "We found 62 cases.", "not in its passage"),  # misquote
        ("We found 75 cases. [1]", "We found 61 cases.", "number 75 is in no cited passage"),  # invented figure
    ],
)
def test_untrustworthy_answers_are_caught(text, quote, problem):
    passage = "We found 61 cases. Of these 40 were CRC cases."
    problems = check_answer(_answer(text, quote, passage))
    assert any(problem in p for p in problems)


def test_verify_declines_an_answer_that_fails():
    passage = "We found 61 cases."
    checked = verify(_answer("We found 75 cases. [1]", "We found 61 cases.", passage))
    assert checked.abstained and checked.answer.startswith(NOT_IN_REPORT)
    assert "75" in checked.note


def test_numbers_match_whatever_their_formatting():
    passage = "The caseload is 2,523, or 17.8%."
    assert check_answer(_answer("It is 2523 (17.8 %) [1]", "The caseload is 2,523, or 17.8%.", passage)) == []


def test_table_rows_are_located_in_the_table_text(document):
    table = next(c for c in document.chunks if c.label == "Table 11")
    rows = table_rows(table)
    assert len(rows) == 6
    span, cells = rows[-1]
    assert cells == ["Alcohol", "80%"]
    assert table.text[span.start : span.end] == "Alcohol 80%"


def test_every_table_with_rows_locates_them_all(document):
    for chunk in document.chunks:
        if chunk.kind == kinds.TABLE and chunk.table.rows:
            numbered = chunk.table.columns[0] == "No."
            expected = sum(1 for row in chunk.table.rows for cell in row[1:] if cell) if numbered \
                else len(chunk.table.rows)
            assert len(table_rows(chunk)) == expected, chunk.label


def test_enabler_and_barrier_statements_stand_alone(document):
    table = next(c for c in document.chunks if c.label == "Table 5")
    units = table_rows(table)
    assert [cells[0] for _, cells in units[:2]] == ["Enablers", "Barriers"]
    span, cells = units[1]
    assert table.text[span.start : span.end].startswith("The pace and extent")


def test_answers_from_the_engine_always_pass_their_own_checks(fake_engine):
    for question in ("What does ATR stand for?", "How many cases were inspected?", "Which need scored lowest?",
                     "Who signed the foreword?", "Compare the CRC and NPS on alcohol misuse."):
        answer = fake_engine.ask(question)
        assert answer.abstained or check_answer(answer) == []
        for citation in answer.citations:
            assert re.sub(r"\s+", " ", citation.quote.split(" … ")[0]) in re.sub(r"\s+", " ", citation.text)
