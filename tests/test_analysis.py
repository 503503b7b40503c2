"""The question analysis: one record per question (wordings here are invented, not from evals/)."""

import pytest

from retrieval.analysis import AnswerType, analyse, answer_type_of


@pytest.mark.parametrize("question, expected", [
    ("What percentage of the sampled files had a risk plan?", AnswerType.PERCENTAGE),
    ("How many hostels does the county have?", AnswerType.NUMBER),
    ("How many days did the fieldwork last?", AnswerType.DURATION),
    ("How much did the new scheme cost?", AnswerType.MONEY),
    ("When was the review published?", AnswerType.DATE),
    ("In which year did the partnership start?", AnswerType.DATE),
    ("Who signed the foreword?", AnswerType.PERSON),
    ("Where is the main office?", AnswerType.PLACE),
    ("Which agency runs the helpline?", AnswerType.ORGANISATION),
    ("How was leadership rated?", AnswerType.VERDICT),
    ("Which recommendations were made to the council?", AnswerType.LIST),
    ("Why were visits delayed?", AnswerType.REASON),
    ("Is the service improving?", AnswerType.YES_NO),
    ("What does MAPPA stand for?", AnswerType.DEFINITION),
    ("What is a hostel?", AnswerType.DEFINITION),
    ("Describe the approach to missing children.", AnswerType.DESCRIPTION),
])
def test_answer_type_from_the_form_of_the_question(question, expected):
    assert answer_type_of(question) == expected


def test_parts_inherit_the_shared_names():
    analysis = analyse("How many cases did Northshire Probation hold, and how many were high risk?")
    assert analysis.multi_part
    assert [p.answer_type for p in analysis.parts] == [AnswerType.NUMBER, AnswerType.NUMBER]
    assert "Northshire" in analysis.parts[1].constraints


def test_a_later_part_shares_only_the_scope_it_names_after_a_preposition():
    own = analyse("When did the audit start and when was the last HWRB review?").parts
    assert own[0].constraints == () and own[1].constraints == ("HWRB",)
    scope = analyse("How many staff and how many volunteers are there in Eastmoor?").parts
    assert all(p.constraints == ("Eastmoor",) for p in scope)


def test_years_are_constraints_and_listed():
    analysis = analyse("What was the caseload of the Riverton team in 2019?")
    assert analysis.years == ("2019",)
    assert "Riverton" in analysis.constraints and "2019" in analysis.constraints


def test_a_single_question_has_one_part_and_a_focus():
    analysis = analyse("What share of staff had been trained?")
    assert not analysis.multi_part
    assert {"staff", "train"} <= set(analysis.focus)
    assert analysis.to_json()["answer_type"] == "percentage"


@pytest.mark.parametrize("junk", ["1", "a", "Birmingham", "???"])
def test_odd_questions_still_get_an_analysis(junk):
    analysis = analyse(junk)
    assert analysis.answer_type in set(AnswerType)
    assert len(analysis.parts) == 1
