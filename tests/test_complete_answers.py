"""Complete answers on a small invented report: a list question gets the whole list, a part the report does
not answer is named, and "who"/"when" prefer a name or a date of the kind asked."""

from __future__ import annotations

import pytest

from ingest import records as kinds
from retrieval.analysis import AnswerType, analyse
from retrieval.forms import FIT, date_fit, person_fit
from tests.fakes import engine_over_text

PARK_REPORT = """Inspection of the Riverside park service

Summary

The park service is good. Gardeners keep the lawns tidy and the cafe opens every day.

What needs to improve

1. Repair the broken benches by the lake within three months.
2. Publish the opening hours of the cafe on the gate.
3. Train every gardener in first aid.

Information about this inspection

The inspection took place from 4 March 2019 to 15 March 2019. It was led by Harriet Quill, a senior inspector.
"""


@pytest.fixture(scope="module")
def park_engine(tmp_path_factory):
    return engine_over_text(tmp_path_factory.mktemp("complete"), PARK_REPORT)


def test_the_invented_report_has_its_list_as_recommendations(park_engine):
    items = [c for c in park_engine.document.chunks if c.kind == kinds.RECOMMENDATION]
    assert len(items) == 3


def test_a_list_question_quotes_every_item_of_the_list(park_engine):
    assert analyse("What needs to be improved at the park?").answer_type == AnswerType.LIST
    answer = park_engine.ask("What needs to be improved at the park?")
    assert not answer.abstained
    for words in ("benches", "opening hours", "first aid"):
        assert words in answer.answer
    assert len(answer.citations) == 3  # each item cited on its own


def test_a_list_question_with_a_topic_keeps_the_items_on_it(park_engine):
    answer = park_engine.ask("Which recommendations concern the cafe opening hours?")
    assert "opening hours" in answer.answer
    assert "benches" not in answer.answer


def test_a_question_about_one_item_is_not_a_list(park_engine):
    answer = park_engine.ask("How soon should the benches be repaired?")
    assert "benches" in answer.answer and "first aid" not in answer.answer


def test_every_part_of_a_two_part_question_is_answered_or_named(park_engine):
    answer = park_engine.ask("When did the park inspection take place, and who led it?")
    assert not answer.abstained
    assert "March 2019" in answer.answer
    assert "Harriet Quill" in answer.answer or "does not answer" in (answer.note or "")


def test_a_when_question_prefers_a_full_date_to_a_bare_year():
    assert date_fit("It took place from 4 to 15 March 2019.") == FIT
    assert date_fit("It was autumn 2013 when it opened.") == FIT
    assert 0 < date_fit("Back in 2012 the park was smaller.") < FIT
    assert date_fit("The lawns are tidy.") < 0


def test_a_who_question_prefers_a_name_and_a_signature_line_most():
    assert person_fit("Harriet Quill") == FIT
    assert person_fit("Dr Amos Vale, chair of the board") == FIT
    assert 0 < person_fit("The visit was planned with care and led by Harriet Quill over two weeks.") < FIT
    assert person_fit("The Local Authority agreed the plan.") == 0
    assert person_fit("the lawns are tidy") == 0


def test_a_part_inherits_the_shared_constraints():
    analysis = analyse("How many benches does Riverside have, and when were they repaired?")
    assert analysis.multi_part
    assert all("Riverside" in part.constraints for part in analysis.parts)
    assert analysis.parts[1].answer_type == AnswerType.DATE


def test_ask_analyses_the_question_once(park_engine, monkeypatch):
    import retrieval.engine as engine_module

    calls = []
    real = engine_module.analyse
    monkeypatch.setattr(engine_module, "analyse", lambda q, *rest: calls.append(q) or real(q, *rest))
    park_engine.ask("When did the park inspection take place, and who led it?")
    assert len(calls) == 1


@pytest.mark.parametrize(("question", "first", "second"), [
    ("Who planted the oak and when did it flower?", "Who planted the oak", "when did the oak flower?"),  # "it" named
    ("How many ducks hatched in 2017 compared with 2018?", "How many ducks hatched in 2017?",
     "How many ducks hatched in 2018?"),
    ("What were the grades for the lawns and for the ponds?", "What were the grades for the lawns?",
     "What were the grades for the ponds?"),
])
def test_three_general_forms_of_a_two_part_question_are_split(question, first, second):
    parts = analyse(question).parts
    assert [p.text for p in parts] == [first, second]


def test_a_plain_question_stays_one_part():
    assert len(analyse("What were the strengths and weaknesses of the cafe?").parts) == 1
    assert len(analyse("How many benches are by the lake?").parts) == 1


def test_a_who_question_gets_the_sentence_naming_a_person(park_engine):
    answer = park_engine.ask("Who led this inspection?")
    assert "Harriet Quill" in answer.answer


def test_the_role_asked_about_and_the_reports_lower_case_words_are_not_a_name(park_engine):
    not_names = park_engine.composer.not_name_words("Who is the Chief Gardener?")
    assert person_fit("Chief Gardener", not_names) == 0  # the role asked about
    assert person_fit("The Broken Benches", not_names) == 0  # words the report writes in lower case
    assert person_fit("Harriet Quill", not_names) == FIT


def test_a_when_question_also_considers_the_reports_opening_passage(park_engine):
    from retrieval.records import Hit

    chunks = park_engine.document.chunks
    later = [Hit(c, 0.5, i) for i, c in enumerate(chunks[-2:], 1)]
    opening = park_engine.composer.front_matter(later)
    assert [h.chunk.id for h in opening] == [chunks[0].id] and opening[0].score == 0.5
    assert park_engine.composer.front_matter(opening) == []  # already there: not added twice


def test_whom_a_list_is_addressed_to_does_not_narrow_it(park_engine):
    from types import SimpleNamespace

    items = [SimpleNamespace(addressed_to="The park trust", text="The park trust should: 1. repair the benches."),
             SimpleNamespace(addressed_to="The park trust", text="2. train every gardener in first aid.")]
    assert park_engine.composer.on_topic("What are the recommendations for the park trust?", items) == items
    narrowed = park_engine.composer.on_topic("Which recommendations for the park trust concern benches?", items)
    assert narrowed == items[:1]
