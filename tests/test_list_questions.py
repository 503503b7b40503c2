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


TRAVEL_REPORT = """Travel to school in Westbury

Pupils in this area

• Approximately 12,400 pupils attend schools in Westbury.

• The proportion of pupils who walk to school:

• in primary schools is 41% (the national average is 30%)

• in secondary schools is 22% (the national average is 19%).

• The proportion of pupils who cycle to school:

• in primary schools is 7% (the national average is 5%)

• in secondary schools is 9% (the national average is 6%).

• Most pupils live within two miles of their school.
"""


def test_an_item_of_a_list_is_matched_with_its_lead_in(tmp_path):
    """Two lists of items worded alike: which share "in primary schools is 7%" is, only its lead-in says."""
    engine = engine_over_text(tmp_path, TRAVEL_REPORT)
    assert "9%" in engine.ask("What share of secondary school pupils cycle to school?").answer
    assert "22%" in engine.ask("What proportion of secondary school pupils walk to school?").answer


def test_a_lead_in_lasts_to_the_end_of_its_list():
    from retrieval.answer import LeadIn

    lead = LeadIn().after("• The proportion who cycle:", {"cycl"})
    assert lead.words_of("• The proportion who cycle:", {"cycl"}) == {"cycl"}
    item = lead.after("• in primary schools is 7%", {"primari"})
    assert item.words_of("• in primary schools is 7%", {"primari"}) == {"primari", "cycl"}
    last = item.after("• in secondary schools is 9%.", {"secondari"})
    assert last.terms == frozenset({"cycl"})
    assert last.after("• Most pupils live nearby.", {"pupil"}).terms == frozenset()  # a new point
    assert LeadIn().after("• in primary schools is 7%", {"primari"}).terms == frozenset()  # no lead-in


def test_names_an_organisation_wants_a_name_not_the_word():
    from retrieval.forms import names_an_organisation

    assert names_an_organisation("The ferry is run by Harbour Link Services on behalf of the council.")
    assert names_an_organisation("The service is commissioned by the PCT.")
    assert not names_an_organisation("This is a real strength for the organisation and its staff.")
    assert not names_an_organisation("")


def test_which_organisation_is_answered_by_a_sentence_naming_one(tmp_path):
    engine = engine_over_text(tmp_path, """Ferry services in Porthaven

Summary

The statutory ferry service is a real strength for the organisation and the town. Passengers value the
ferry. The statutory ferry service is delivered for the council by Harbour Link Services.
""")
    assert "Harbour Link Services" in engine.ask("Which organisation delivers the statutory ferry service?").answer


def test_items_run_together_at_symbol_bullets_are_quoted_one_by_one(tmp_path):
    """A PDF's symbol-font bullets with no full stop between items: each item is its own quote."""
    engine = engine_over_text(tmp_path, "Pupils in Westbury\n\nWhere pupils board\n\n"
                              "Boarding in this area \uf02d 120 pupils board with host families \uf02d 30 pupils "
                              "board in school boarding houses \uf02d 12 pupils board in hostels\n")
    answer = engine.ask("How many pupils board in school boarding houses?").answer
    assert answer.startswith("30 pupils board in school boarding houses") and "host families" not in answer


def test_a_share_question_fits_a_share_better_than_a_count():
    from ingest import records as kinds
    from ingest.records import Chunk
    from retrieval.forms import fit_bonus
    from retrieval.questions import intent_of

    chunk = Chunk(id="a#text", section_id="a", section_path=["The area"], pages=[1], kind=kinds.TEXT, text="x",
                  start=0, end=1, sentences=[], content_hash="x")
    intent = intent_of("What share of Westbury's children live in poverty?")

    def fit(text: str) -> float:
        return fit_bonus(text, chunk, intent, False, "percentage")

    share = fit("Approximately 18% of the local authority's children are living in poverty.")
    assert share > fit("Approximately 12,400 children and young people live in Westbury.")
    assert fit("Just over a quarter of children are living in poverty.") > fit("Children live in poverty.")


def test_a_sentence_inside_an_earlier_parts_quote_overlaps_it():
    from ingest import records as kinds
    from ingest.records import Chunk, Span
    from retrieval.answer import overlaps
    from retrieval.candidate import Candidate
    from retrieval.records import Hit

    text = "Most passengers are local. Just over a quarter travel at peak times. A third are commuters."
    chunk = Chunk(id="a#text", section_id="a", section_path=["Passengers"], pages=[1], kind=kinds.TEXT, text=text,
                  start=0, end=len(text), sentences=[], content_hash="x")

    def quote(start: int, end: int) -> Candidate:
        return Candidate(Hit(chunk, 1.0, 0), Span(start, end), text[start:end], 1.0, 1.0, 1.0, False)

    pair, inside, after = quote(0, 67), quote(27, 67), quote(68, len(text))
    assert overlaps(inside, pair) and overlaps(pair, inside)
    assert not overlaps(after, pair)


def test_a_share_is_the_value_a_percentage_question_wants():
    from retrieval.forms import carries_value

    assert carries_value("Just over a quarter of care leavers stay put.", "percentage")
    assert carries_value("In 2016, 26.9% were living in poverty.", "percentage")
    assert not carries_value("Young people may stay with carers beyond the age of 18.", "percentage")
    assert carries_value("Young people may stay with carers beyond the age of 18.", "number")


CHILDREN_REPORT = """Inspection of children's services in Porthaven

Judgement summary

Children's services in Porthaven are good. A very small number of children stay in unregistered hostels.

What needs to improve?

◼ The uptake of return interviews for children leaving hostels.

◼ Risk assessments for children placed out of area.

◼ The workloads of personal advisers.
"""


def test_a_count_of_a_list_named_by_its_kind_when_the_report_never_says_the_word(tmp_path):
    """The report's list is headed "What needs to improve?" and never says "recommendation"."""
    engine = engine_over_text(tmp_path, CHILDREN_REPORT)
    assert engine.ask("How many recommendations are there?").answer.startswith("Three items under")


def test_a_count_of_a_thing_the_reports_title_names_is_not_a_count_of_its_list(tmp_path):
    """"children" is in the report's title, above the list's own heading: the list does not count children."""
    engine = engine_over_text(tmp_path, CHILDREN_REPORT)
    answer = engine.ask("How many children stay in unregistered hostels?").answer
    assert not answer.startswith(("One item", "Two items", "Three items"))


def test_areas_for_improvement_name_a_list_headed_otherwise(tmp_path):
    engine = engine_over_text(tmp_path, CHILDREN_REPORT)
    assert engine.ask("How many areas for improvement are set out?").answer.startswith("Three items under")


@pytest.mark.parametrize(("text", "figure"), [
    ("For a copy in large print, please telephone 0300 123 1231 or email enquiries@example.org.", False),
    ("Write to Piccadilly Gate, Manchester M1 2WD.", False),
    ("In 2016 the service moved.", False),
    ("At 31 March, 1,816 children were looked after.", True),
    ("Caseloads average 20 cases per worker.", True),
])
def test_a_telephone_number_or_postcode_is_not_a_figure(text, figure):
    from retrieval.forms import has_figure

    assert has_figure(text) is figure


def _grid_report() -> str:
    from tests.test_compare import _ofsted_like

    return _ofsted_like("Northwick Borough", "3 March 2025 to 14 March 2025",
                        "Children's services in Northwick require improvement to be good",
                        ("Requires improvement to be good", "Good", "Requires improvement to be good")).replace(
        "children who need help and protection", "children in care") + (
        "\nChildren in care receive a good service from social workers who know them well. Care leavers are "
        "helped by personal advisers, although too few are in education, employment or training.\n")


def test_how_was_x_judged_is_answered_by_the_grade_grids_row(tmp_path):
    """The grid's row, not a sentence that happens to use a grade word ("a good service")."""
    engine = engine_over_text(tmp_path, _grid_report())
    answer = engine.ask("How were children in care judged?").answer
    assert answer.startswith("Judgements:") and "children in care" in answer and "Good" in answer
    assert "Requires improvement to be good" in engine.ask("How were care leavers judged?").answer


def test_a_five_word_grade_is_still_a_grade():
    from ingest import records as kinds
    from ingest.records import Chunk, Table
    from retrieval.forms import is_graded

    table = Table(number="", caption="Judgements", source=None, complete=True, columns=["Judgement", "Grade"],
                  rows=[["Care leavers", "Requires improvement to be good"], ["Children in care", "Good"]])
    chunk = Chunk(id="t", section_id="t", section_path=["T"], pages=[1], kind=kinds.TABLE, text="x", start=0,
                  end=1, sentences=[], content_hash="x", table=table)
    assert is_graded(chunk)


def test_a_change_between_two_years_is_quoted_with_both(tmp_path):
    engine = engine_over_text(tmp_path, "Harbour report\n\nMoorings\n\nAt 31 March 2015, 420 boats were moored in "
                              "the harbour. This is a fall from 510 at 31 March 2014, when several owners took their "
                              "yachts to marinas further along the coast for the winter storms and did not return."
                              "\n")
    answer = engine.ask("How did the number of boats moored in the harbour change between March 2014 and "
                        "March 2015?").answer
    assert "420" in answer and "510" in answer
