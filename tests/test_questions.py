"""What a question asks for, and what is refused before any search."""

import pytest

from ingest.errors import QuestionError
from retrieval.questions import (
    check_language,
    intent_of,
    question_entities,
    split_question,
    stem,
    validate_question,
)


@pytest.mark.parametrize(
    ("question", "message"),
    [
        ("", "empty"),  # empty question
        ("   \n\t ", "empty"),  # blank question
        ("a" * 100_000, "100,000 characters"),  # a pasted document
        ("what\x00 is RAR", "control characters"),  # NUL byte
        ("what is \x1b[31mRAR", "control characters"),  # terminal escape
        ("?!?", "no words"),  # punctuation only
        (None, "must be text"),  # not a string
    ],
)
def test_bad_questions_are_refused_with_a_clear_message(question, message):
    with pytest.raises(QuestionError, match=message):
        validate_question(question)


def test_whitespace_is_tidied():
    assert validate_question("  What does\nthe acronym   RAR stand for? ") == "What does the acronym RAR stand for?"


@pytest.mark.parametrize(
    "question",
    [
        "¿Cuál es la tasa de reincidencia en Stoke?",  # Spanish
        "Quelle est la charge de travail des agents de probation?",  # French
        "Какова нагрузка на сотрудников?",  # Russian, another script
        "保护公众的工作质量如何？",  # Chinese
    ],
)
def test_questions_in_another_language_are_refused(question):
    with pytest.raises(QuestionError, match="English"):
        check_language(question, frozenset({"probat", "caseload", "stoke"}))


def test_english_questions_pass_the_language_check():
    check_language("How many cases did the inspectors look at in Stoke?", frozenset({"case", "stoke"}))


@pytest.mark.parametrize(
    ("question", "field"),
    [
        ("How many cases were inspected?", "wants_number"),
        ("What proportion of NPS cases had a plan?", "wants_number"),
        ("What does the acronym RAR stand for?", "wants_definition"),
        ("What's an SFO?", "wants_definition"),
        ("When did the CSC become operational?", "wants_date"),
        ("Where are women's services delivered?", "wants_place"),
        ("What is the name given to the man on a life licence?", "wants_name"),
        ("Who is the Police and Crime Commissioner?", "wants_name"),
        ("How much is the contract worth?", "wants_money"),
        ("Did inspectors find any quality assurance?", "wants_judgement"),
        ("Compare the CRC and NPS on drug misuse.", "multi_part"),
    ],
)
def test_intent_reads_the_form_of_the_question(question, field):
    assert getattr(intent_of(question), field) is True


@pytest.mark.parametrize(
    ("question", "field"),
    [
        ("Who owns the CRC?", "wants_name"),  # an organisation, not a person's name
        ("What is the full name of the IOM scheme?", "wants_name"),
        ("What does the rate card refer to?", "wants_number"),  # "rate card" is not a rate
        ("What is the NPS aiming to produce?", "wants_definition"),
        ("How long did the team spend in the area?", "wants_money"),
    ],
)
def test_intent_does_not_overreach(question, field):
    assert getattr(intent_of(question), field) is False


def test_lowest_and_highest():
    assert intent_of("Which need had the lowest score?").extreme == "min"
    assert intent_of("Which need scored highest?").extreme == "max"
    assert intent_of("How many needs were scored?").extreme is None


def test_question_entities_are_names_and_years():
    assert question_entities("What is the reoffending rate for Tamworth in 2019?") == ["Tamworth", "2019"]
    assert question_entities("What does the CRC's plan say?") == ["CRC"]
    assert question_entities("How many cases were there?") == []


@pytest.mark.parametrize(
    ("question", "parts"),
    [
        ("When did the centre open, and at what capacity was it running?",
         ["When did the centre open", "at what capacity was it running?"]),
        ("Compare the CRC and NPS on drug misuse.",
         ["Compare the CRC on drug misuse.", "Compare the NPS on drug misuse."]),
        ("What does the acronym RAR stand for?", ["What does the acronym RAR stand for?"]),
        ("How do thinking and behaviour scores vary?", ["How do thinking and behaviour scores vary?"]),
    ],
)
def test_split_question(question, parts):
    assert split_question(question) == parts


def test_stem_matches_word_forms():
    assert stem("planning") == stem("plan")
    assert stem("interventions") == stem("intervention")


PREVIOUS = "What share of CRC cases with a drug need had enough intervention?"


@pytest.mark.parametrize(
    ("follow_up", "read_as"),
    [
        ("What about the NPS?", "What share of NPS cases with a drug need had enough intervention?"),  # swap a name
        ("And when did it start?", f"And when did it start? {PREVIOUS}"),  # a pronoun leans on the previous one
        ("What does the acronym RAR stand for?", "What does the acronym RAR stand for?"),  # stands on its own
    ],
)
def test_follow_ups_are_read_in_the_light_of_the_previous_question(follow_up, read_as):
    from retrieval.questions import resolve_follow_up

    assert resolve_follow_up(follow_up, PREVIOUS) == read_as


def test_a_follow_up_topic_replaces_the_word_it_stands_beside():
    from retrieval.questions import resolve_follow_up

    together = {("drug", "alcohol"): 5, ("intervent", "alcohol"): 1}
    read = resolve_follow_up("And alcohol?", PREVIOUS, weight=lambda term: 1.0,
                             cooccurrence=lambda a, b: together.get((a, b), 0))
    assert read == "What share of CRC cases with a alcohol need had enough intervention?"


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("What did the inspectors recommend about caseloads?", "recommendation"),
        ("Is there an example of good work with a woman on a suspended sentence?", "practice_example"),
        ("What did a service user say about the Thinking Skills course? How did they describe it in their own "
         "words?", "quote"),
        ("How many cases were inspected?", None),
    ],
)
def test_kind_hint(question, kind):
    from retrieval.questions import kind_hint

    assert kind_hint(question) == kind


def test_rare_acronyms_are_spelled_out_for_search():
    from retrieval.questions import expand_acronyms

    spelled = {"NOMS": "National Offender Management Service"}
    assert expand_acronyms("What was NOMS asked to do?", spelled) == \
        "What was NOMS asked to do? (National Offender Management Service)"
    assert expand_acronyms("What was the CRC asked to do?", spelled) == "What was the CRC asked to do?"


@pytest.mark.parametrize(
    ("question", "counted"),
    [
        ("How many serious further offences were committed?", {"serious", "offenc"}),
        ("How many hours of community payback were completed?", {"hour", "communiti", "payback"}),
        ("About how many people live in the county?", set()),  # too general to look for
        ("What does the acronym RAR stand for?", set()),
        ("What is the current rate of volunteer turnover at the museum?", {"volunt", "turnov"}),  # not "current"
        ("How did the rate of home visits compare with last year?", {"home", "visit"}),
        ("What was the staff sickness absence rate?", {"staff", "sick", "absenc"}),
    ],
)
def test_counted_terms(question, counted):
    from retrieval.questions import counted_terms

    assert counted_terms(question) == counted


@pytest.mark.parametrize(
    ("question", "account"),
    [
        ("What happened when the court team rang the call centre?", True),
        ("Why were RARs rarely used?", True),
        ("How many cases were inspected?", False),
        ("What does the acronym RAR stand for?", False),
    ],
)
def test_questions_asking_for_an_account(question, account):
    assert intent_of(question).wants_account is account
