"""List questions: which of a report's lists a question names (its heading and addressee, the passage just
before it, the words its items share), who made the list (which does not pick it), and what the question says
the items are about (which narrows it).

Every report and question here is invented; none is an eval item."""

from __future__ import annotations

import pytest

from retrieval.wording import list_makers, list_topic
from tests.fakes import engine_over_text

HARBOUR_REPORT = """Inspection of harbour services in Porthaven

Summary

The harbour is well run. The ferry terminal opens early and the slipway is kept clear.

Areas for improvement

1. Repaint the warning lines on the slipway within six months.
2. Extend the opening hours of the ferry terminal in summer.
3. Publish the tide tables on the harbour website.

Review of the Porthaven Mooring Committee (PMC)

The Porthaven Mooring Committee oversees the allocation of moorings. Its minutes are not published and its
members are not trained in conflict resolution.

Recommendations

4. Publish the minutes of every meeting within a month.
5. Train every member in conflict resolution.
"""


@pytest.fixture(scope="module")
def harbour(tmp_path_factory):
    return engine_over_text(tmp_path_factory.mktemp("lists"), HARBOUR_REPORT)


@pytest.mark.parametrize(("question", "makers"), [
    ("Name the recommendations the panel made.", ["the panel"]),
    ("What did the auditors recommend?", ["the auditors"]),
    ("Which areas for improvement that inspectors identified matter most?", ["inspectors"]),
    ("What are the recommendations for the council?", []),
    ("", []),
])
def test_list_makers_names_who_made_the_list_and_nothing_else(question, makers):
    assert list_makers(question) == makers


@pytest.mark.parametrize(("question", "topic"), [
    ("How many recommendations concern the cafe?", "the cafe"),
    ("Which areas for improvement relate to staff training?", "staff training"),
    ("List the actions about water safety", "water safety"),
    ("What are the recommendations for the board?", ""),
    ("", ""),
])
def test_list_topic_is_what_the_items_are_said_to_be_about(question, topic):
    assert list_topic(question) == topic


def test_a_list_is_named_by_the_passage_before_its_unnamed_heading(harbour):
    """The second list's heading ("Recommendations") does not say whose it is; the passage before it does."""
    answer = harbour.ask("What are the PMC recommendations?")
    assert "minutes" in answer.answer and "conflict resolution" in answer.answer
    assert "slipway" not in answer.answer and "tide tables" not in answer.answer


def test_a_word_said_before_a_list_still_narrows_it_when_the_question_says_the_items_are_about_it(harbour):
    """"ferry terminal" is in the summary just before "Areas for improvement" and in one of its items."""
    answer = harbour.ask("How many areas for improvement concern the ferry terminal?")
    assert answer.answer.startswith("One item under") and "opening hours" in answer.answer
    assert harbour.ask("How many areas for improvement are there?").answer.startswith("Three items under")


def test_who_made_a_list_does_not_pick_or_narrow_it(harbour):
    answer = harbour.ask("What areas for improvement did the harbour inspectors identify?")
    for words in ("warning lines", "opening hours", "tide tables"):
        assert words in answer.answer


def test_a_topic_no_item_of_a_list_is_about_is_not_answered_from_that_list(harbour):
    answer = harbour.ask("How many areas for improvement concern the lighthouse?")
    assert not answer.answer.startswith(("One item", "Two items", "Three items"))


def test_a_title_ending_in_its_acronym_is_a_heading_and_ends_the_list_before_it(harbour):
    """"Review of the Porthaven Mooring Committee (PMC)" ends in ")" yet is a title: the paragraph under it
    is its own passage, not the tail of the last area for improvement."""
    last_item = next(c for c in harbour.search.chunks if c.text.startswith("3. "))
    assert "Mooring Committee" not in last_item.text
    assert any(c.section_id.endswith("review-of-the-porthaven") for c in harbour.search.chunks)
