"""The engine end to end: the fast fake-embedder engine for behaviour, the real model for known answers."""

import json
import re

import pytest

from ingest.errors import IndexProblem, QuestionError
from retrieval.engine import Engine
from retrieval.records import NOT_IN_REPORT, Filters
from tests.fakes import HashingEmbedder

ANSWER_FIELDS = {"id", "question", "answer", "abstained", "citations", "figures", "passages", "timings_ms"}
CITATION_FIELDS = {"marker", "chunk_id", "section", "pages", "kind", "quote", "text"}
FIGURE_FIELDS = {"kind", "label", "value", "describes", "marker", "columns", "rows"}
PASSAGE_FIELDS = {"rank", "chunk_id", "section", "pages", "kind", "score", "text"}


def test_the_answer_object_has_every_field_evaluators_script_against(fake_engine):
    data = json.loads(json.dumps(fake_engine.ask("What does ATR stand for?", id="q7").to_json()))
    assert ANSWER_FIELDS <= set(data)
    assert data["id"] == "q7"
    assert CITATION_FIELDS <= set(data["citations"][0])
    assert all(PASSAGE_FIELDS <= set(p) for p in data["passages"])
    assert [p["rank"] for p in data["passages"]] == [1, 2, 3, 4, 5]
    assert set(data["timings_ms"]) == {"retrieve", "answer", "total"}


def test_k_sets_how_many_passages(fake_engine):
    assert len(fake_engine.ask("caseloads of probation officers", k=3).passages) == 3
    assert len(fake_engine.ask("caseloads of probation officers", k=8).passages) == 8


def test_filters_restrict_passages(fake_engine):
    answer = fake_engine.ask("What is an ATR?", filters=Filters(kind="glossary"))
    assert {p.kind for p in answer.passages} == {"glossary"}
    nps = fake_engine.retrieve("quality of work", k=5, filters=Filters(organisation="NPS"))
    assert nps and all(h.chunk.organisation == "NPS" for h in nps)
    ch3 = fake_engine.retrieve("quality of work", k=5, filters=Filters(section="ch3/reducing-reoffending"))
    assert all(h.chunk.section_id.startswith("ch3/reducing-reoffending") for h in ch3)


def test_glossary_questions_answer_with_the_entry(fake_engine):
    answer = fake_engine.ask("What does the acronym RAR stand for?")
    assert "Rehabilitation Activity Requirement" in answer.answer
    assert answer.citations[0].kind == "glossary"


def test_table_answers_carry_rows_and_columns(fake_engine):
    answer = fake_engine.ask("Of NPS cases with an alcohol need, what percentage got sufficient intervention?")
    tables = [f for f in answer.figures if f.kind == "table"]
    assert tables, answer.answer
    cited = fake_engine.document.chunks[fake_engine.chunk_rows[answer.citations[0].chunk_id]]
    assert tables[0].label == cited.label and tables[0].rows == cited.table.rows
    assert tables[0].columns == ["Area of assessed need", "% of cases with sufficient intervention"]
    stats = [f for f in answer.figures if f.kind == "statistic"]
    assert stats and all(f.value in answer.answer and cited.label in f.describes for f in stats)


def test_lowest_values_of_a_table_come_back_with_ties(fake_engine):
    answer = fake_engine.ask("In the CRC sample, which area of need had the lowest sufficiency score in Table 8?")
    assert "Relationships" in answer.answer and "Attitudes to offending" in answer.answer


@pytest.mark.parametrize(
    "question",
    [
        "What is the yearly budget of the NPS Midlands division?",  # money the report never gives
        "What is the name of the Reducing Reoffending Partnership's chief executive?",  # a name it lacks
        "What did the 2019 re-inspection find?",  # a year it never mentions
    ],
)
def test_questions_the_report_cannot_answer_are_declined(fake_engine, question):
    answer = fake_engine.ask(question)
    assert answer.abstained
    assert answer.answer.startswith(NOT_IN_REPORT)
    assert answer.citations == [] and len(answer.passages) == 5  # the closest passages are offered


def test_bad_questions_raise_question_error(fake_engine):
    with pytest.raises(QuestionError):
        fake_engine.ask("   ")


def test_missing_index_is_a_clear_error(tmp_path):
    from ingest.settings import load_settings

    with pytest.raises(IndexProblem, match="report-qa ingest"):
        Engine.load(load_settings(index_root=tmp_path))


def test_an_index_built_with_another_model_is_refused(fake_engine):
    class OtherEmbedder(HashingEmbedder):
        name = "some-other-model"

    with pytest.raises(IndexProblem, match="was built with model 'fake-hashing-embedder'"):
        Engine.load(fake_engine.settings, embedder=OtherEmbedder())


# --- the real model and index ---------------------------------------------------------------------

KNOWN_ANSWERS = [
    ("Of NPS cases with an alcohol need, what percentage got sufficient intervention?", r"80\s*%"),
    ("Which accredited course deals with temper?", r"Resolve"),
    ("What does ATR stand for?", r"Alcohol Treatment Requirement"),
    ("In one CRC case a woman could not afford to travel, so she was visited at home. What name is she given?",
     r"June"),
    ("How many cases were in the inspection sample?", r"\b61\b"),
    ("When did the Customer Service Centre become operational?", r"September 2016"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("question", "pattern"), KNOWN_ANSWERS)
def test_known_answers_with_the_real_model(real_engine, question, pattern):
    answer = real_engine.ask(question)
    assert not answer.abstained, answer.answer
    assert re.search(pattern, answer.answer), answer.answer
    assert answer.citations and answer.citations[0].pages


@pytest.mark.slow
def test_the_real_model_declines_what_the_report_does_not_say(real_engine):
    assert real_engine.ask("Who is the Chief Constable of Northumbria Police?").abstained  # never named


def test_a_follow_up_names_how_it_was_read(fake_engine):
    answer = fake_engine.ask("What about the NPS?", previous="What does the CRC's glossary entry say?")
    assert answer.question == "What about the NPS?"
    assert answer.note and answer.note.startswith("Read as:") and "NPS" in answer.note


def test_a_count_must_be_of_the_thing_asked_about(fake_engine):
    from ingest.records import Span
    from retrieval.candidate import Candidate
    from retrieval.questions import intent_of
    from retrieval.records import Hit

    chunk = next(c for c in fake_engine.document.chunks if "previous offences on average" in c.text)
    start = chunk.text.index("There were 11")
    span = Span(start, chunk.text.index(".", start) + 1)
    candidate = Candidate(Hit(chunk, 1.0, 1), span, chunk.text[span.start : span.end], 1.0, 1.0, 1.0, False)
    counts = fake_engine.composer.counts_the_thing_asked
    assert not counts(candidate, intent_of("How many serious further offences were there?"))  # not "serious"
    assert counts(candidate, intent_of("How many previous offences did the Stoke cohort have?"))
    assert counts(candidate, intent_of("How many widgets were there?"))  # nothing the report names: other checks


def test_what_is_a_named_thing_gets_the_sentence_naming_it_and_the_next(fake_engine):
    answer = fake_engine.ask("What's the Evolve project about?")
    assert "Evolve" in answer.answer
    assert len(answer.citations[0].quote_spans) == 2


def test_recommendation_questions_are_answered_by_recommendations(fake_engine):
    answer = fake_engine.ask("What did the inspectors recommend about distributing the caseload?")
    assert answer.citations and answer.citations[0].kind == "recommendation"


def test_a_lead_in_sentence_is_never_the_answer(fake_engine):
    for question in ("Overall, how was the NPS's public protection work rated?",
                     "What are the enablers and barriers for the CRC in protecting the public?"):
        answer = fake_engine.ask(question)
        assert not answer.answer.split(" [")[0].rstrip().endswith(":"), answer.answer


def test_a_multi_part_question_embeds_each_distinct_text_once_in_one_call(fake_engine):
    engine = Engine(fake_engine.index, HashingEmbedder(), fake_engine.settings)
    question = "How many cases were inspected, and what did the inspectors recommend about housing?"
    engine.ask(question)
    calls = engine.embedder.calls  # the caching wrapper passes attribute reads to the fake
    assert len(calls) == 1 and calls[0][0] == question and len(calls[0]) == len(set(calls[0])) >= 2
    engine.ask(question)  # asked again: served from the cache, the same answer
    assert len(engine.embedder.calls) == 1


def test_the_embedding_cache_is_bounded_and_keeps_the_recently_used():
    import numpy as np

    from ingest.embed import CachingEmbedder, caching

    inner = HashingEmbedder()
    cache = CachingEmbedder(inner, size=2)
    first = cache.embed(["a b", "c d"])
    cache.embed(["a b"])  # now the most recently used
    cache.embed(["e f"])  # drops "c d", not "a b"
    assert inner.calls == [["a b", "c d"], ["e f"]]
    assert np.array_equal(cache.embed(["a b", "a b"]), np.vstack([first[0], first[0]]))
    cache.embed(["c d"])
    assert inner.calls[-1] == ["c d"] and len(cache._vectors) == 2
    assert caching(cache) is cache and cache.name == inner.name
    with pytest.raises(Exception, match="keeps none"):
        CachingEmbedder(inner, size=0)


def test_search_shortcuts_give_the_plain_results_to_the_bit(fake_engine):
    """Coverage from the inverted index, ranks from argsort, per-chunk maxima by runs: as the plain loops."""
    from types import SimpleNamespace

    import numpy as np

    from retrieval.search import HybridSearch, best_first, coverage, indexed_coverage, rows_by_term

    search = fake_engine.search
    weights = {"case": 1.7, "women": 3.1, "zzz-unknown": 2.0, "accommod": 0.3}
    for sets in (search.sentence_terms, search.passage_terms):
        assert np.array_equal(indexed_coverage(weights, rows_by_term(sets), len(sets)), coverage(weights, sets))
    assert not indexed_coverage({}, rows_by_term(search.passage_terms), 3).any()
    values = np.asarray([0.2, 0.5, 0.2, 0.5], dtype=np.float32)
    assert best_first(np.asarray([3, 2, 1, 0]), values).tolist() == [3, 1, 2, 0]
    per_sentence = np.random.default_rng(0).random(len(search.sentence_owner)).astype(np.float32)
    plain = np.full(len(search.chunks), -1.0, dtype=np.float32)
    np.maximum.at(plain, search.sentence_owner, per_sentence)
    assert np.array_equal(search._per_chunk_max(per_sentence), plain)
    # a chunk without sentences (row 1 of 3) keeps -1
    owner = np.asarray([0, 0, 2])
    starts = np.searchsorted(owner, np.arange(4))
    tiny = SimpleNamespace(chunks=[0, 1, 2], sentence_start=starts, _has_sentences=np.flatnonzero(np.diff(starts) > 0))
    maxima = HybridSearch._per_chunk_max(tiny, np.asarray([0.1, 0.4, -0.5], dtype=np.float32))
    assert maxima.tolist() == pytest.approx([0.4, -1.0, -0.5])
    both = sum(1 for terms in search.passage_terms if "case" in terms and "women" in terms)
    assert search.cooccurrence("case", "women") == both > 0
