"""The LangChain retriever adapter: LangChain's standard retriever tests, metadata, k and filters."""

from __future__ import annotations

from pathlib import Path

import pytest
from langchain_core.documents import Document
from langchain_core.runnables import RunnableLambda
from langchain_tests.integration_tests import RetrieversIntegrationTests

from ingest.errors import QuestionError, ReportQAError
from retrieval.engine import Engine
from retrieval.langchain_adapter import ReportRetriever
from retrieval.records import Filters
from tests.fakes import engine_over_text

# Four sections, one passage each: enough for k = 3 and small enough to index in milliseconds.
SMALL_REPORT = """Findings

The service was good overall. Staff were kind and knew their cases.

Alcohol

Eighty per cent of cases with an alcohol need had a sufficient intervention. Resolve is an accredited \
programme for anger management.

Method

We read forty case files over two weeks in March 2016 and met 12 staff.

Courts

Sentencers valued the reports they received. Reports were delivered on time in 66 cases.
"""
METADATA_KEYS = {"chunk_id", "section", "pages", "kind", "label", "score", "rank"}


def build_small_engine(folder: Path) -> Engine:
    return engine_over_text(folder, SMALL_REPORT)


@pytest.fixture(scope="module")
def small_engine(tmp_path_factory) -> Engine:
    return build_small_engine(tmp_path_factory.mktemp("small-report"))


@pytest.mark.anyio  # one standard test is async; anyio runs it and leaves the sync ones alone
class TestReportRetrieverStandard(RetrieversIntegrationTests):
    """LangChain's own conformance tests (`langchain-tests`), run unchanged."""

    @pytest.fixture(autouse=True)
    def _engine(self, small_engine: Engine) -> None:
        # The standard tests read plain properties; an autouse fixture hands them the engine first.
        self.engine = small_engine

    @property
    def retriever_constructor(self) -> type[ReportRetriever]:
        return ReportRetriever

    @property
    def retriever_constructor_params(self) -> dict:
        return {"engine": self.engine}

    @property
    def retriever_query_example(self) -> str:
        return "Which cases with an alcohol need had an intervention?"


def test_documents_carry_the_passage_and_where_it_is(small_engine):
    docs = ReportRetriever(engine=small_engine, k=2).invoke("alcohol need intervention")
    assert [d.metadata["rank"] for d in docs] == [1, 2]
    top = docs[0]
    assert set(top.metadata) == METADATA_KEYS
    assert top.metadata["chunk_id"] == "findings/alcohol#text" == top.id
    assert top.page_content.startswith("Eighty per cent of cases with an alcohol need")
    assert top.metadata["section"] == "Findings > Alcohol"
    assert top.metadata["kind"] == "text"
    assert docs[0].metadata["score"] >= docs[1].metadata["score"]


def test_documents_follow_the_engine_ranking(small_engine):
    question = "reports delivered on time to sentencers"
    hits = small_engine.retrieve(question, 4)
    docs = ReportRetriever(engine=small_engine, k=4).invoke(question)
    assert [d.metadata["chunk_id"] for d in docs] == [h.chunk.id for h in hits]


def test_k_given_per_call_overrides_the_constructor(small_engine):
    retriever = ReportRetriever(engine=small_engine, k=1)
    assert len(retriever.invoke("staff", k=3)) == 3
    assert len(retriever.invoke("staff")) == 1


@pytest.mark.anyio
async def test_async_invoke_honours_k(small_engine):
    docs = await ReportRetriever(engine=small_engine).ainvoke("staff", k=2)
    assert len(docs) == 2 and all(isinstance(d, Document) for d in docs)


def test_filters_restrict_the_sections(small_engine):
    only_courts = ReportRetriever(engine=small_engine, filters=Filters(section="Courts"))
    docs = only_courts.invoke("alcohol need")  # the best match overall is under Alcohol
    assert [d.metadata["section"] for d in docs] == ["Findings > Courts"]
    per_call = ReportRetriever(engine=small_engine).invoke("alcohol need", filters=Filters(section="Method"))
    assert [d.metadata["section"] for d in per_call] == ["Findings > Method"]


def test_k_below_one_is_a_clear_error(small_engine):
    with pytest.raises(ReportQAError, match="k must be at least 1"):
        ReportRetriever(engine=small_engine).invoke("staff", k=0)


@pytest.mark.parametrize("question", ["", "   "], ids=["empty", "blank"])
def test_bad_question_gives_the_engines_clear_error(small_engine, question):
    with pytest.raises(QuestionError):
        ReportRetriever(engine=small_engine).invoke(question)


def test_plugs_into_a_chain(small_engine):
    top_id = RunnableLambda(lambda docs: docs[0].metadata["chunk_id"])
    chain = ReportRetriever(engine=small_engine, k=1) | top_id
    assert chain.invoke("accredited programme for anger management") == "findings/alcohol#text"


@pytest.mark.slow
def test_real_index_finds_the_paraphrased_course(real_index):
    settings, _ = real_index
    retriever = ReportRetriever(engine=Engine.load(settings), k=5)
    docs = retriever.invoke("Which accredited course deals with temper?")
    assert len(docs) == 5
    top = docs[0]
    assert top.metadata["label"] == "Table 4" and top.metadata["kind"] == "table"
    assert "Temper control" in top.page_content
    assert top.metadata["pages"] and all(isinstance(p, int) for p in top.metadata["pages"])
