"""The cleaner repairs extraction damage and keeps the report's own words."""

from pathlib import Path

import pytest

from ingest.clean import clean_report, join_broken_words, load_report, paginate, repair_characters
from ingest.errors import InputError


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("67\ufffd1%", "67.1%"),  # decimal point
        ("Figure 1\ufffd1", "Figure 1.1"),  # figure number
        ("1\ufffd Overall judgements", "1. Overall judgements"),  # chapter number
        ("a\tb\r\nc", "a b\nc"),  # tabs and Windows line ends
        ("no damage here", "no damage here"),
    ],
)
def test_repair_characters(raw, expected):
    assert repair_characters(raw) == expected


def _texts(raw: str) -> list[str]:
    return [line.text for line in clean_report(raw).lines]


def test_footnote_number_glued_to_word_becomes_a_reference():
    raw = " Key facts\n258,748 The total across England & Wales1\n\n1 Offender Management Caseload Statistics."
    lines = _texts(raw)
    assert "258,748 The total across England & Wales¹" in lines
    report = clean_report(raw)
    assert report.footnotes == {1: "Offender Management Caseload Statistics."}


def test_footnote_reference_after_a_year_and_after_a_bracket():
    raw = " Page\nfrom January 2014 to December 20141.\nthe model (E3)2 was\n\n1 Source: Bulletin.\n2 E3 model."
    lines = _texts(raw)
    assert "from January 2014 to December 2014¹." in lines
    assert "the model (E3)² was" in lines


def test_numbers_that_are_not_footnotes_stay():
    raw = " Page\nofficers hold up to 80 cases in 2016\n\n1 A note."
    assert "officers hold up to 80 cases in 2016" in _texts(raw)


def test_list_items_are_not_footnotes():
    raw = " Recommendations\n1. further develop mechanisms\n2. improve access"
    report = clean_report(raw)
    assert report.footnotes == {}


def test_page_starts_and_footers_give_printed_pages():
    lines = paginate([" First page", "text", " Second page", "more", "Quality & Impact inspection: Town 7",
                      "", "Third page"])
    pages = {line.text: line.page for line in lines if line.text}
    assert pages == {"First page": 6, "text": 6, "Second page": 7, "more": 7, "Third page": 8}


def test_without_footers_pages_count_from_one():
    lines = paginate([" One", " Two"])
    assert [line.page for line in lines] == [1, 2]


def test_spelling_mistakes_are_kept(document):
    assert "supervisd by probation services" in document.text  # the report's own typo


def test_cleaner_turns_the_broken_decimal_into_a_point(document):
    assert "67.1% The proportion of offenders" in document.text
    assert "\ufffd" not in document.text


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "not found"),  # missing path
        (b"", "empty"),  # empty file
        (b"   \n\n", "empty"),  # blank file
        (b"\x00\x01\x02binary", "binary"),  # binary
        (b"caf\xe9 au lait", "not UTF-8"),  # latin-1
        (b"12 34 56\n", "no words"),  # no text
    ],
)
def test_bad_input_gives_one_clear_error(tmp_path: Path, content, message):
    path = tmp_path / "report.txt"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        load_report(path)


def test_a_folder_is_not_a_report(tmp_path: Path):
    with pytest.raises(InputError, match="folder"):
        load_report(tmp_path)


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["the proba-", "tion service", "probation"], ["the probation", "service", "probation"]),  # known word
        (["a well-", "resourced team"], ["a well-resourced", "team"]),  # a hyphenated compound stays hyphenated
        (["pages 5-", "7 of it"], ["pages 5-", "7 of it"]),  # not a word break
        (["ends with -", "next"], ["ends with -", "next"]),  # a dash, not a hyphen
    ],
)
def test_words_broken_across_lines_are_joined(lines, expected):
    assert join_broken_words(lines) == expected
