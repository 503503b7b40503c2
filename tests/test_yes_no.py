"""Yes/no questions answered yes, no or "not directly"; relative periods as "when" values; example sentences
first for "give an example". Unit tests on made-up text plus one small engine with the fake embedder."""

from __future__ import annotations

import pytest

from retrieval.answer import ASKS_FOR_EXAMPLE, GIVES_EXAMPLE, examples_first
from retrieval.citations import INDIRECT_LEAD, NO_LEAD, YES_LEAD, negated, predicate_coverage, yes_no_lead
from retrieval.forms import FIT, RELATIVE_PERIOD, date_fit, dated_only_by_its_subject
from tests.fakes import engine_over_text

GARDEN_REPORT = """Gardens review

The gardening team relies on volunteers for most of its weekly work. The team does not use contractors for
pruning. Hedges are trimmed in spring. Over the last two years the team has planted three hundred trees.

For example, volunteers rebuilt the old greenhouse and cleared the pond. The greenhouse is near the gate.
"""


def test_affirming_sentence_answers_yes() -> None:
    lead = yes_no_lead("Does the gardening team rely on volunteers?",
                       "The gardening team relies on volunteers for most of its weekly work.")
    assert lead == YES_LEAD


def test_negating_sentence_answers_no() -> None:
    assert yes_no_lead("Does the team use contractors for pruning?",
                       "The team does not use contractors for pruning.") == NO_LEAD
    assert yes_no_lead("Is the plan still in use?", "The plan is no longer in use.") == NO_LEAD
    assert yes_no_lead("Does the board review its plan?", "The board fails to review its plan.") == NO_LEAD


def test_negative_question_is_answered_in_its_own_terms() -> None:
    assert yes_no_lead("Is there no pruning plan?", "There is no pruning plan.") == YES_LEAD


def test_sentence_that_only_shares_words_is_marked_indirect() -> None:
    lead = yes_no_lead("Does the team keep bees on the allotment roof?", "The team planted trees.")
    assert lead == INDIRECT_LEAD


def test_negation_and_coverage_helpers() -> None:
    assert negated("Staff can't find it.") and negated("There was little or no use of it.")
    assert not negated("Notable progress was made.")  # "not" inside a word is no negation
    assert predicate_coverage("Is it?", "Anything.") == 0.0
    assert predicate_coverage("Does the team rely on agency staff?", "There is no reliance on agency staff.") >= 0.75


def test_relative_periods_count_as_period_values() -> None:
    for text in ("Leaders changed in the past year.", "over the last 12 months", "since the last inspection",
                 "since the previous full inspection", "in recent years"):
        assert RELATIVE_PERIOD.search(text), text
        assert date_fit(text) > date_fit("Leaders are kind."), text
    assert date_fit("in May 2016") == FIT
    assert date_fit("Leaders are kind.") < 0
    assert not RELATIVE_PERIOD.search("This is in the past.")


def test_a_period_anchored_on_the_asked_event_does_not_date_it() -> None:
    assert dated_only_by_its_subject("Much has changed since the last inspection.", "When did the inspection end?")
    assert not dated_only_by_its_subject("Much has changed since the last inspection.", "When did leaders change?")
    assert not dated_only_by_its_subject("Leaders changed in the past year.", "When did leaders change?")
    assert not dated_only_by_its_subject("The visit was in May 2016.", "When was the visit?")
    assert not dated_only_by_its_subject("No period here.", "When was the visit?")


def test_sharing_most_words_without_the_verb_is_no_yes() -> None:
    assert yes_no_lead("Do the wardens attend committee meetings?",
                       "Monitor the wardens' work at committee meetings.") == INDIRECT_LEAD


class _Fake:
    def __init__(self, text: str, score: float) -> None:
        self.text, self.score = text, score


def test_example_sentence_comes_first_when_close() -> None:
    best, example = _Fake("Volunteers did many jobs.", 1.0), _Fake("For example, they rebuilt a shed.", 0.9)
    assert examples_first("Give an example of volunteer work.", [best, example]) == [example, best]
    assert examples_first("What is an example of volunteer work?", [best, example])[0] is example
    far = _Fake("For example, they rebuilt a shed.", 0.5)
    assert examples_first("Give an example of volunteer work.", [best, far]) == [best, far]
    assert examples_first("What did volunteers do?", [best, example]) == [best, example]
    assert examples_first("Give an example of volunteer work.", []) == []
    assert ASKS_FOR_EXAMPLE.search("Is there an example of this?")
    assert GIVES_EXAMPLE.search("Examples seen included new ramps.")


@pytest.fixture(scope="module")
def garden(tmp_path_factory):
    return engine_over_text(tmp_path_factory.mktemp("yes-no"), GARDEN_REPORT)


def test_engine_answers_yes_no(garden) -> None:
    answer = garden.ask("Does the gardening team use contractors for pruning?")
    assert not answer.abstained
    assert answer.answer.startswith(NO_LEAD), answer.answer


def test_engine_bad_input_yes_no_about_something_absent(garden) -> None:
    answer = garden.ask("Does the gardening team keep bees on the greenhouse roof?")
    text = answer.answer
    # never a bare sentence: either declined or marked as not a direct answer
    assert answer.abstained or text.startswith(INDIRECT_LEAD), text
    assert not text.startswith((YES_LEAD, NO_LEAD)), text


def test_engine_non_yes_no_answer_has_no_lead(garden) -> None:
    answer = garden.ask("When are the hedges trimmed?")
    assert not answer.answer.startswith((YES_LEAD, NO_LEAD, INDIRECT_LEAD))
