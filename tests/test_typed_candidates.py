"""Typed candidates and the question analysis they are chosen by: grade grids, labelled fields, sign-offs,
sentence pairs, acronyms spelled out in the text, counted lists and the constraints of a question's parts.

Every report and question here is invented; none is an eval item."""

from __future__ import annotations

import pytest

from ingest import records as kinds
from ingest.records import Chunk, Span, Table
from ingest.text import split_sentences
from retrieval.analysis import AnswerType, analyse, intent_for, type_words
from retrieval.candidate import Candidate
from retrieval.citations import build_answer
from retrieval.fields import fields_of, label_match, sign_offs
from retrieval.forms import carries_value, is_graded, person_fit
from retrieval.questions import stem
from retrieval.records import Hit
from retrieval.rows import table_rows
from retrieval.wording import focus_terms, leans_on_previous, number_in_words, states_all, text_acronyms
from tests.fakes import engine_over_text


def _chunk(text: str, kind: str = kinds.TEXT, table: Table | None = None, label: str | None = None,
           section: str = "Summary", id: str = "s#text") -> Chunk:
    return Chunk(id=id, section_id=section.lower(), section_path=[section], pages=[1], kind=kind, text=text,
                 start=0, end=len(text), sentences=split_sentences(text), content_hash="x", label=label,
                 table=table)


def _grid() -> Chunk:
    text = ("The park service is good 1. Lawns and beds\nGood\n2. Cafe\nRequires improvement\n"
            "3. Play areas\nInadequate")
    rows = [["Lawns and beds", "Good"], ["Cafe", "Requires improvement"], ["Play areas", "Inadequate"]]
    return _chunk(text, kinds.TABLE, Table("", "Judgements and grades", None, ["Judgement", "Grade"], rows, True),
                  label="Judgements")


def _candidate(chunk: Chunk, span: Span, is_row: bool = False, cells: list[str] | None = None) -> Candidate:
    return Candidate(Hit(chunk, 1.0, 1), span, chunk.text[span.start : span.end], 1.0, 0.5, 0.5, is_row,
                     cells or [])


# -- grade grids -------------------------------------------------------------------------------------


def test_a_grade_grid_whose_first_row_shares_the_headline_line_is_read_as_rows():
    rows = table_rows(_grid())
    assert [cells for _, cells in rows][0] == ["Lawns and beds", "Good"]
    assert len(rows) == 3


def test_a_table_whose_first_line_is_its_label_still_skips_that_line():
    text = "Table 2\nCafe 40%\nLawns 60%"
    chunk = _chunk(text, kinds.TABLE, Table("2", "Scores", None, ["Area", "Score"],
                                            [["Cafe", "40%"], ["Lawns", "60%"]], True), label="Table 2")
    assert [cells for _, cells in table_rows(chunk)] == [["Cafe", "40%"], ["Lawns", "60%"]]


def test_only_a_table_of_short_verdict_words_is_graded():
    assert is_graded(_grid())
    numeric = _chunk("Table 2\nCafe 40%", kinds.TABLE, Table("2", "Scores", None, ["Area", "Score"],
                                                             [["Cafe", "40%"]], True), label="Table 2")
    assert not is_graded(numeric)
    assert not is_graded(_chunk("The cafe is good."))  # not a table at all


def test_a_verdict_question_is_typed_and_its_type_words_are_not_its_focus():
    assert analyse("What were the judgements for the cafe?").answer_type == AnswerType.VERDICT
    assert analyse("How were the play areas graded?").answer_type == AnswerType.VERDICT
    focus = focus_terms("What was the judgement for the cafe?", "verdict", lambda t: 1.0)
    assert stem("cafe") in focus and stem("judgement") not in focus
    assert stem("judgement") in type_words("verdict")
    # a question made only of type words keeps them: something must be matched
    assert focus_terms("What was the judgement?", "verdict", lambda t: 1.0) == {stem("judgement"): 1.0}


# -- parts and their constraints ---------------------------------------------------------------------


def test_a_comparison_of_two_periods_sets_each_part_apart_by_its_own_year():
    analysis = analyse("How many gardeners were hired in 2014-15 compared with 2015-16?")
    assert [p.distinct for p in analysis.parts] == [("2014",), ("2015",)]


def test_a_part_with_its_own_scope_does_not_inherit_the_other_parts_names():
    analysis = analyse("How many benches does the Riverside park have and how many are there in all of Leeds?")
    first, second = analysis.parts
    assert "Riverside" in first.constraints
    assert second.constraints == ("Leeds",)
    # a part naming nothing inherits the question's names
    led = analyse("Who runs the Riverside cafe and when did it open?").parts[1]
    assert "Riverside" in led.constraints


def test_a_quote_must_state_what_sets_its_part_apart():
    chunk = _chunk("In 2014-15, 45 were hired. This rose in 2015-16 to 70.")
    first, second = chunk.sentences
    assert states_all(_candidate(chunk, second), ("2015",))
    assert not states_all(_candidate(chunk, first), ("2015",))
    assert states_all(_candidate(chunk, first), ())


def test_two_names_joined_by_and_are_two_parts_unless_the_report_writes_them_as_one():
    from retrieval.analysis import named_pair_parts

    question = "How many sessions do the Lake Walks and Tree Climbing courses run to?"
    report = "lake walks run to six sessions; tree climbing runs to two. staffordshire and stoke is one area."
    one_name = lambda phrase: phrase.lower() in report  # noqa: E731
    assert [t for t, _ in named_pair_parts(question, one_name)] == [
        "How many sessions do the Lake Walks courses run to?", "How many sessions do the Tree Climbing courses run to?"]
    whole = "How many cases are there in Staffordshire and Stoke?"
    assert named_pair_parts(whole, one_name) == [(whole, whole)]  # the report's own name for one area
    assert len(analyse(question, one_name).parts) == 2
    assert len(analyse(question).parts) == 1  # without the report, no guess
    assert named_pair_parts("", one_name) == [("", "")]


def test_a_numeric_answer_type_makes_the_form_checks_want_a_figure():
    question = "What was the visitor figure in 2016?"
    assert analyse(question).answer_type == AnswerType.NUMBER
    assert intent_for(question, AnswerType.NUMBER).wants_number
    assert not intent_for("Who runs the cafe?", AnswerType.PERSON).wants_number


def test_the_time_a_question_speaks_of_is_read_from_its_words():
    from retrieval.forms import time_reference

    assert time_reference("When did the previous chair of the friends group start?") == "previous"
    assert time_reference("When was the park last inspected before this?") == "previous"
    assert time_reference("Who is the current chair?") == "current"
    assert time_reference("Who chairs the friends group?") is None
    assert time_reference("The new chair replaced the previous one.") is None  # both: says nothing


def test_a_question_in_the_present_tense_asks_of_the_current_state():
    from retrieval.forms import asked_time

    assert asked_time("What is the overall grade of the park?") == "current"
    assert asked_time("What was the grade of the park?") is None
    assert asked_time("What was the previous grade of the park?") == "previous"
    assert asked_time("") is None


# -- sentence pairs ----------------------------------------------------------------------------------


@pytest.mark.parametrize("sentence, expected", [
    ("This increased in 2015-16 to 70.", True),
    ("At 46%, higher than the national average, this has not reduced.", True),
    ("These children were well supported.", True),
    ("In 2014-15, 45 adopters were approved.", False),
    ("", False),
])
def test_a_sentence_pointing_back_is_recognised(sentence, expected):
    assert leans_on_previous(sentence) is expected


def test_a_value_is_recognised_by_the_type_asked_for():
    assert carries_value("The cafe was judged good.", "verdict")
    assert carries_value("The previous visit was in 2011.", "verdict") is False
    assert carries_value("It has 12 benches.", "number")
    assert carries_value("Anything at all.", "description") is None


def test_a_pair_quoted_after_its_first_sentence_is_quoted_once():
    chunk = _chunk("In 2014-15, 45 were hired. This rose in 2015-16 to 70.")
    first, second = chunk.sentences
    single = _candidate(chunk, first)
    pair = _candidate(chunk, Span(first.start, second.end))
    answer = build_answer("How many were hired?", [single, pair])
    assert answer.answer.count("45 were hired") == 1


def test_a_passive_agent_answers_who_does_it():
    from retrieval.wording import names_the_agent

    assert names_the_agent("Who runs the cafe by the lake?", "The cafe is run by the Riverside Parks Trust.")
    assert names_the_agent("Who planted the oaks?", "The oaks were planted by volunteers in 2010.")
    assert not names_the_agent("Who planted the oaks?", "The oaks were planted in 2010.")
    assert not names_the_agent("When were the oaks planted?", "The oaks were planted by volunteers.")
    assert not names_the_agent("", "")


# -- acronyms spelled out in the text ----------------------------------------------------------------


def test_acronyms_are_spelled_out_from_the_reports_own_text():
    texts = ["The Riverside Parks Trust (RPT) runs the cafe. RPT also owns the lake.",
             "Staff of North & West Leeds (NWL) said so. NWL is large."]
    found = text_acronyms(texts, {})
    assert found["RPT"] == "Riverside Parks Trust"
    assert found["NWL"] == "North & West Leeds"
    assert "RPT" not in text_acronyms(texts, {"RPT": "from the glossary"})  # the glossary's own are kept
    assert text_acronyms([], {}) == {}
    assert text_acronyms(["no capitals here at all"], {}) == {}


# -- labelled fields and sign-offs -------------------------------------------------------------------


def test_labelled_fields_are_split_where_the_next_label_starts():
    chunk = _chunk("The team Lead inspector: Jane Smith Deputy lead inspector: Tom Brown Team inspectors: A B")
    found = {f.label: f.value for f in fields_of(chunk)}
    assert found["Lead inspector"] == "Jane Smith"
    assert found["Deputy lead inspector"] == "Tom Brown"
    for field in fields_of(chunk):
        assert chunk.text[field.span.start : field.span.end].endswith(field.value)


def test_a_date_field_ends_with_its_dates():
    chunk = _chunk("Visit dates: 4 March 2019 to 15 March 2019 The overall judgement is good")
    (field,) = fields_of(chunk)
    assert field.value == "4 March 2019 to 15 March 2019"


def test_text_without_labels_has_no_fields():
    assert fields_of(_chunk("The cafe opens every day. Gardeners keep the lawns tidy.")) == []
    assert fields_of(_chunk("")) == []


def test_the_label_closest_to_the_question_matches_best():
    chunk = _chunk("Lead inspector: Jane Smith Deputy lead inspector: Tom Brown")
    lead, deputy = fields_of(chunk)
    assert label_match(lead, "Who led the visit?") > label_match(deputy, "Who led the visit?")
    assert label_match(deputy, "Who was deputy lead inspector at the park?") > label_match(
        lead, "Who was deputy lead inspector at the park?")
    assert label_match(lead, "") == 0.0


def test_a_question_naming_another_modifier_of_the_labels_noun_does_not_match_it():
    chunk = _chunk("Lead inspector: Jane Smith")
    (lead,) = fields_of(chunk)
    assert label_match(lead, "Who was the assistant lead inspector at the park?") == 0.0
    assert label_match(lead, "Who was the lead inspector at the park?") > 0.0


def test_a_sections_closing_signature_is_a_field_named_by_the_section():
    text = "We visited the park in May. The cafe was busy.\nJane Smith Chief Inspector of Parks May 2019"
    chunk = _chunk(text, section="Foreword", id="foreword#text")
    (signed,) = sign_offs([chunk], lambda sentence: person_fit(sentence) > 0)
    assert signed.label == "Foreword" and signed.value.startswith("Jane Smith")
    assert sign_offs([_chunk("No names here at all.")], lambda sentence: person_fit(sentence) > 0) == []


# -- whole reports -----------------------------------------------------------------------------------

PARK_REPORT = """Inspection of the Riverside park service

Lead inspector: Harriet Quill Deputy lead inspector: Omar Finch
Inspection dates: 4 March 2019 to 15 March 2019

Summary

The park service is good. Gardeners keep the lawns tidy and the cafe opens every day. The Riverside Parks Trust
(RPT) runs the cafe. In 2017-18, 45 volunteers helped. This rose in 2018-19 to 70.

Areas for improvement

1. Repair the broken benches by the lake within three months.
2. Publish the opening hours of the cafe on the gate.
3. Train every gardener in first aid.
"""


@pytest.fixture(scope="module")
def park(tmp_path_factory):
    return engine_over_text(tmp_path_factory.mktemp("typed"), PARK_REPORT)


def test_who_led_is_answered_by_the_labelled_field(park):
    answer = park.ask("Who led the inspection of the park?")
    assert "Harriet Quill" in answer.answer and "Omar Finch" not in answer.answer


def test_when_is_answered_by_the_dates_field(park):
    answer = park.ask("When did the inspection of the park take place?")
    assert "4 March 2019" in answer.answer


def test_how_many_items_of_a_list_counts_them_in_words(park):
    answer = park.ask("How many areas for improvement are listed?")
    assert answer.answer.startswith("Three items under")
    assert "first aid" in answer.answer and not answer.abstained


def test_a_count_of_a_list_on_one_topic_counts_the_items_on_it(park):
    answer = park.ask("How many areas for improvement concern the cafe?")
    assert answer.answer.startswith("One item under") and "opening hours" in answer.answer
    assert park.ask("How many areas for improvement?").answer.startswith("Three items under")
    # a count of something that is not a list of the report is not a count of a list
    assert not park.ask("How many volunteers helped in 2017-18?").answer.startswith("Three items")


def test_a_list_question_naming_recommendations_gets_the_list_whatever_its_heading(park):
    answer = park.ask("What are the recommendations for improvement?")  # headed "Areas for improvement"
    for words in ("benches", "opening hours", "first aid"):
        assert words in answer.answer
    assert "benches" not in park.ask("Which areas of the park does the trust run?").answer


def test_a_comparison_of_periods_quotes_the_sentence_pointing_back(park):
    answer = park.ask("How many volunteers helped in 2017-18 compared with 2018-19?")
    assert "45" in answer.answer and "70" in answer.answer


@pytest.mark.parametrize("question", ["Harriet", "2019", "Were the lawns tidy?", "¿Dónde está el café?"])
def test_bad_input_gets_an_answer_or_a_clear_decline(park, question):
    from ingest.errors import QuestionError

    try:
        answer = park.ask(question)
    except QuestionError as err:  # another language: a clear error naming what to do
        assert "English" in str(err)
        return
    assert answer.answer


def test_counts_are_written_in_words():
    assert [number_in_words(n) for n in (1, 8, 17, 42, 150)] == ["one", "eight", "seventeen", "forty-two", "150"]


# -- sentences the splitter left joined ----------------------------------------------------------------

BULLETED_REPORT = """Inspection of the Riverside park service

Report published: 10 May 2016 The park service requires improvement in every area we visited

Local leadership

The park manager has been in post since May 2014. \uf06e The chair of the friends group has been there since June 2015.
The cafe was judged good. \uf06e The previous visit to the lake was in July 2012. \uf06e The lake was judged to be poor.
"""


@pytest.fixture(scope="module")
def bulleted(tmp_path_factory):
    return engine_over_text(tmp_path_factory.mktemp("bulleted"), BULLETED_REPORT)


def test_a_sentence_joined_at_a_symbol_font_bullet_is_cut_there(bulleted):
    chunk = next(c for c in bulleted.document.chunks if "friends group" in c.text)
    row = bulleted.composer.chunk_rows[chunk.id]
    texts = [chunk.text[span.start : span.end] for _, span, _ in bulleted.composer.pieces(chunk, row)]
    assert "The chair of the friends group has been there since June 2015." in texts
    assert not any("\uf06e" in text for text in texts)


def test_a_value_sentence_is_quoted_with_the_subject_sentence_before_it(bulleted):
    answer = bulleted.ask("How was the lake judged at the previous visit in July 2012?")
    assert "poor" in answer.answer and "July 2012" in answer.answer


def test_the_prose_after_a_run_of_fields_is_a_candidate_of_its_own(bulleted, park):
    chunk = next(c for c in bulleted.document.chunks if "Report published" in c.text)
    line = next(span for span in chunk.sentences if "Report published" in chunk.text[span.start : span.end])
    rest = bulleted.composer.after_fields(chunk, line)
    assert chunk.text[rest.start : rest.end] == "The park service requires improvement in every area we visited"
    dates = park.document.chunks[0]
    last = next(span for span in dates.sentences if "Inspection dates" in dates.text[span.start : span.end])
    assert park.composer.after_fields(dates, last) is None  # nothing follows the last field


CHAIRS_REPORT = """Inspection of the Riverside park service

Leadership

The previous chair of the friends group took up the post in May 2011 and left the post in March 2015.
The chair of the friends group has been in post since June 2015. The cafe opens every day of the week.
"""


def test_a_candidate_contradicting_the_time_the_question_names_is_not_an_answer(tmp_path):
    engine = engine_over_text(tmp_path, CHAIRS_REPORT)
    answer = engine.ask("When did the current chair of the friends group take up the post?")
    assert "June 2015" in answer.answer and "May 2011" not in answer.answer
    assert "May 2011" in engine.ask("When did the previous chair of the friends group take up the post?").answer
