"""A follow-on part's "it" names the first part's subject, so the part's own words say what it asks about."""

import pytest

from retrieval.analysis import analyse, antecedent, resolved_pairs


@pytest.mark.parametrize(("text", "wanted"), [
    ("Who chaired the review", "the review"),
    ("When was the audit carried out", "the audit"),
    ("What is the overall quality grade", "the overall quality grade"),
    ("Who chaired it", None),
    ("How many were there", None),
])
def test_antecedent_is_the_first_determiner_phrase(text, wanted):
    assert antecedent(text) == wanted


def test_a_follow_on_it_becomes_the_first_parts_subject():
    parts = analyse("Who chaired the review and when did it finish?").parts
    assert [p.text for p in parts] == ["Who chaired the review", "when did the review finish?"]
    assert parts[1].query == "when did the review finish? Who chaired the review"
    assert str(parts[1].answer_type) == "date"


def test_parts_without_a_follow_on_it_are_unchanged():
    pairs = [("How many in 2014?", "How many in 2014?"), ("How many in 2015?", "How many in 2015?")]
    assert resolved_pairs(pairs) == pairs  # compared parts: each a whole question
    assert resolved_pairs([("Who led it", "Who led it"), ("when did it end?", "when did it end? Who led it")]) == \
        [("Who led it", "Who led it"), ("when did it end?", "when did it end? Who led it")]
    assert resolved_pairs([("a", "a")]) == [("a", "a")]
    # "it's" is not the pronoun standing alone
    assert resolved_pairs([("Who runs the hub", "Who runs the hub"),
                           ("why is it's name odd?", "why is it's name odd? Who runs the hub")])[1][0] == \
        "why is it's name odd?"


@pytest.mark.parametrize(("question", "number"), [
    ("What does ABC mean?", False),  # the verb: a meaning is asked for
    ("What do the inspectors mean by drift?", False),
    ("What does the mean waiting time mean?", True),  # the noun is still there
    ("What is the mean waiting time?", True),
    ("What was the annual mean?", True),
])
def test_mean_the_verb_is_not_a_number_cue(question, number):
    from retrieval.questions import intent_of

    assert intent_of(question).wants_number is number


@pytest.mark.parametrize("question", ["How are managers using the new tool?", "How is the hub run?",
                                      "How was the hub run?"])
def test_how_in_any_tense_asks_for_an_account(question):
    from retrieval.questions import intent_of

    assert intent_of(question).wants_account
