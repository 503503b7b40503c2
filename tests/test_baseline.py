"""The LangChain baseline: 1000/200 character chunks, FAISS top-k, best sentence of the top passage."""

from __future__ import annotations

import pytest

from ingest.errors import QuestionError
from retrieval.baseline import CHUNK_SIZE, LangChainBaseline, split_report
from tests.fakes import HashingEmbedder


@pytest.fixture(scope="module")
def baseline(document):
    return LangChainBaseline(document, HashingEmbedder())


def test_chunks_are_slices_of_the_report_of_at_most_1000_characters(document):
    chunks = split_report(document.text)
    assert len(chunks) > len(document.text) // CHUNK_SIZE
    for chunk in chunks:
        start = chunk.metadata["start_index"]
        assert len(chunk.page_content) <= CHUNK_SIZE
        assert document.text[start : start + len(chunk.page_content)] == chunk.page_content


def test_ask_returns_k_passages_and_the_best_sentence_of_the_first(baseline):
    answer = baseline.ask("What does ATR stand for? Alcohol Treatment Requirement", k=3, id="gloss-01")
    assert [p.rank for p in answer.passages] == [1, 2, 3]
    assert all(p.chunk_id.startswith("baseline#") for p in answer.passages)
    assert answer.passages[0].score >= answer.passages[1].score >= answer.passages[2].score
    assert answer.passages[0].pages  # printed pages come from the report's page map
    (citation,) = answer.citations
    assert citation.chunk_id == answer.passages[0].chunk_id
    assert citation.quote in answer.passages[0].text
    span = citation.quote_spans[0]
    assert citation.text[span.start : span.end] == citation.quote
    assert answer.answer == f"{citation.quote} [1]"
    assert answer.id == "gloss-01"
    assert set(answer.timings_ms) == {"retrieve", "answer", "total"}


def test_it_never_abstains(baseline):
    answer = baseline.ask("What is the yearly budget of the NPS Midlands division?", k=5)
    assert not answer.abstained and len(answer.passages) == 5


@pytest.mark.parametrize("question", ["", "   ", 12])  # empty, blank, not text
def test_invalid_questions_raise_like_the_engine(baseline, question):
    with pytest.raises(QuestionError):
        baseline.ask(question)
