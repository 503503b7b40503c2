"""Optional generative mode: replies from LangChain's fake chat models are parsed, checked, or fall back.

No test reaches the network: sockets are disabled (pytest-socket) and every model is a fake.
"""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel, GenericFakeChatModel
from langchain_core.messages import AIMessage

from ingest.errors import ReportQAError
from ingest.records import Span
from ingest.settings import Settings, load_settings
from retrieval.citations import check_answer
from retrieval.engine import Engine
from retrieval.generate import (
    Generator,
    build_chat_model,
    build_messages,
    claims,
    locate,
    merge_adjacent,
    normalise_markers,
    quoted_fragments,
)
from retrieval.records import Answer, Hit
from tests.fakes import HashingEmbedder, engine_over_text

pytestmark = pytest.mark.usefixtures("socket_disabled")

SMALL_REPORT = """Findings

The service was good overall. Staff were kind and knew their cases.

Alcohol

Eighty per cent of cases with an alcohol need had a sufficient intervention. Of the 40 cases we read, 32 \
had an alcohol need.

Method

We read forty case files over two weeks in March 2016 and met 12 staff.
"""
QUESTION = "How many cases had an alcohol need?"
ALCOHOL = "findings/alcohol#text"
FINDINGS = "findings#text"
NEED_SENTENCE = "Of the 40 cases we read, 32 had an alcohol need."
FALLBACK = "generative answer failed the citation check ("


class BrokenChatModel(FakeListChatModel):
    """A fake endpoint that refuses the connection."""

    def _call(self, *args, **kwargs) -> str:
        raise ConnectionError("connection refused by localhost:11434")


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    return engine_over_text(tmp_path, SMALL_REPORT)


@pytest.fixture
def asked(engine) -> tuple[Answer, list[Hit]]:
    """The extractive answer to QUESTION and the passages a generator would see."""
    answer = engine.ask(QUESTION, k=3)
    assert not answer.abstained and answer.mode == "extractive"
    return answer, engine.retrieve(QUESTION, 3)


def marker_of(hits: list[Hit], chunk_id: str) -> int:
    return next(h.rank for h in hits if h.chunk.id == chunk_id)


def improve_with(reply: str, asked: tuple[Answer, list[Hit]]) -> Answer:
    extractive, hits = asked
    return Generator(FakeListChatModel(responses=[reply])).improve(extractive, hits)


# -- a reply that passes -----------------------------------------------------------------------------


def test_good_reply_becomes_the_checked_generative_answer(asked):
    n = marker_of(asked[1], ALCOHOL)
    reply = f'The inspectors found that "32 had an alcohol need" out of 40 cases [{n}].'
    answer = improve_with(reply, asked)
    assert answer.mode == "generative" and answer.note is None and not answer.abstained
    assert answer.answer == reply
    [citation] = answer.citations
    assert (citation.marker, citation.chunk_id, citation.section) == (n, ALCOHOL, "Findings > Alcohol")
    assert citation.quote == NEED_SENTENCE  # the whole sentence the quotation comes from
    assert [citation.text[s.start : s.end] for s in citation.quote_spans] == [NEED_SENTENCE]
    assert citation.pages == [1] and citation.kind == "text"
    assert check_answer(answer) == []
    assert answer.passages == asked[0].passages and answer.question == QUESTION


def test_unquoted_reply_cites_the_passage_sentence_most_like_it(asked):
    n = marker_of(asked[1], ALCOHOL)
    reply = f"Thirty-two of the forty cases read had a need around alcohol, 32 in all [{n}]."
    answer = improve_with(reply, asked)
    assert answer.mode == "generative"
    assert answer.citations[0].quote == NEED_SENTENCE


def test_two_quoted_sentences_of_one_passage_quote_as_one_piece(asked):
    n = marker_of(asked[1], ALCOHOL)
    reply = (f'"Eighty per cent of cases with an alcohol need had a sufficient intervention" and '
             f'"32 had an alcohol need" [{n}].')
    [citation] = improve_with(reply, asked).citations
    assert citation.quote == citation.text  # adjacent sentences merge into one verbatim span


def test_markers_listed_together_cite_each_passage(asked):
    hits = asked[1]
    alcohol, findings = marker_of(hits, ALCOHOL), marker_of(hits, FINDINGS)
    answer = improve_with(f"Staff were kind and 32 cases had an alcohol need [{alcohol}, {findings}].", asked)
    assert answer.mode == "generative"
    assert {c.chunk_id for c in answer.citations} == {ALCOHOL, FINDINGS}
    assert answer.answer.endswith(f"[{alcohol}][{findings}].")  # "[a, b]" read as "[a][b]"


def test_figures_of_a_cited_passage_are_reused_under_the_new_marker(asked):
    extractive, hits = asked
    n = marker_of(hits, ALCOHOL)
    answer = improve_with(f'"Of the 40 cases we read, 32 had an alcohol need" [{n}].', asked)
    assert {f.value for f in extractive.figures} == {"40", "32"}
    assert [(f.value, f.marker) for f in answer.figures] == [("40", n), ("32", n)]


def test_a_number_the_extractive_answer_lacked_is_listed_with_its_sentence(asked):
    n = marker_of(asked[1], ALCOHOL)
    answer = improve_with(f'"Eighty per cent of cases with an alcohol need had a sufficient intervention"; '
                          f'32 of 40 cases had the need [{n}].', asked)
    assert answer.mode == "generative"
    statistic = next(f for f in answer.figures if f.value == "32")
    assert statistic.marker == n and statistic.describes == NEED_SENTENCE


def test_reasoning_is_stripped_from_the_reply(asked):
    n = marker_of(asked[1], ALCOHOL)
    extractive, hits = asked
    thinking = AIMessage(f'<think>Look at [9].</think> "32 had an alcohol need" [{n}].')
    model = GenericFakeChatModel(messages=iter([thinking]))
    answer = Generator(model).improve(extractive, hits)
    assert answer.mode == "generative" and answer.answer == f'"32 had an alcohol need" [{n}].'


def test_engine_asks_through_the_generator(engine):
    hits = engine.retrieve(QUESTION, 3)
    n = marker_of(hits, ALCOHOL)
    engine.generator = Generator(FakeListChatModel(responses=[f'"32 had an alcohol need" [{n}].']))
    answer = engine.ask(QUESTION, k=3, id="q1")
    assert answer.mode == "generative" and answer.id == "q1"
    assert [p.chunk_id for p in answer.passages] == [h.chunk.id for h in hits]
    assert answer.timings_ms["total"] >= answer.timings_ms["answer"]


# -- replies that fall back --------------------------------------------------------------------------


def assert_fell_back(answer: Answer, extractive: Answer, reason: str) -> None:
    assert answer.mode == "extractive"
    assert answer.note.startswith(FALLBACK) and answer.note.endswith("); showing the extractive answer")
    assert reason in answer.note
    assert (answer.answer, answer.citations, answer.figures) == (extractive.answer, extractive.citations,
                                                               extractive.figures)


def test_reply_citing_a_marker_that_does_not_exist_falls_back(asked):
    answer = improve_with("32 cases had an alcohol need [7].", asked)
    assert_fell_back(answer, asked[0], "marker [7] cites no passage")


def test_reply_with_a_number_not_in_the_cited_passage_falls_back(asked):
    n = marker_of(asked[1], FINDINGS)  # 32 is in the Alcohol passage, not the one cited
    answer = improve_with(f"Staff were kind and 32 cases had an alcohol need [{n}].", asked)
    assert_fell_back(answer, asked[0], "number 32 is in no cited passage")


def test_reply_quoting_words_the_passage_lacks_falls_back(asked):
    n = marker_of(asked[1], FINDINGS)
    answer = improve_with(f'The report says "staff were rude and careless" [{n}].', asked)
    assert_fell_back(answer, asked[0], f"quote for [{n}] is not in its passage")


@pytest.mark.parametrize(("reply", "reason"), [
    ("", "the model gave an empty reply"),  # empty
    ("The report does not say.", "the model found no answer in the passages"),  # the model declines
    ("Staff were kind.", "the reply cites no passage"),  # no marker at all
    ("Staff were kind [1]. And they all worked very hard indeed.",  # an uncited statement at the end
     "a statement after the last marker cites no passage"),
])
def test_reply_without_usable_citations_falls_back(asked, reply, reason):
    assert_fell_back(improve_with(reply, asked), asked[0], reason)


def test_model_that_raises_falls_back(asked):
    extractive, hits = asked
    answer = Generator(BrokenChatModel(responses=["unused"])).improve(extractive, hits)
    assert_fell_back(answer, extractive, "the model did not answer: ConnectionError: connection refused")


def test_model_that_times_out_falls_back(asked):
    extractive, hits = asked
    slow = FakeListChatModel(responses=['"32 had an alcohol need" [1].'], sleep=2.0)
    answer = Generator(slow, timeout_s=0.05).improve(extractive, hits)
    assert_fell_back(answer, extractive, "TimeoutError: no reply within 0.05 s")


def test_fallback_leaves_the_extractive_answer_untouched(asked):
    extractive, _ = asked
    improve_with("32 cases [7].", asked)
    assert extractive.note is None and extractive.mode == "extractive"


# -- the prompt and the pure text helpers -------------------------------------------------------------


def test_prompt_numbers_the_passages_with_section_and_page(asked):
    _, hits = asked
    system, human = build_messages(QUESTION, hits)
    assert "only the numbered passages" in system.content and "[2]" in system.content
    for number, hit in enumerate(hits, start=1):
        assert f"[{number}] {hit.chunk.section_text} · p. 1\n{hit.chunk.text}" in human.content
    assert human.content.rstrip().endswith(f"Question: {QUESTION}")


def test_claims_pair_each_marker_group_with_the_text_before_it():
    assert claims("Staff were kind [1]. Most had help [2][3].") == [([1], "Staff were kind"),
                                                                   ([2, 3], "Most had help")]
    assert claims("No markers here.") == []


@pytest.mark.parametrize(("text", "expected"), [
    ("as seen [1, 3].", "as seen [1][3]."),
    ("as seen [1;2]", "as seen [1][2]"),
    ("Table [1] stays", "Table [1] stays"),
])
def test_marker_lists_are_split(text, expected):
    assert normalise_markers(text) == expected


def test_quoted_fragments_skip_terms_and_split_at_ellipses():
    claim = 'It found “staff were kind … knew their cases” in "RAR" cases'
    assert quoted_fragments(claim) == ["staff were kind", "knew their cases"]


def test_locate_ignores_case_spacing_and_curly_quotes():
    assert locate("staff  were KIND", "The staff were kind.") == Span(4, 19)
    assert locate("the 'step down'", "In the ‘step\ndown’ approach") == Span(3, 18)
    assert locate("staff were rude", "The staff were kind.") is None


def test_merge_adjacent_joins_neighbouring_sentences_only():
    text = "A. B. C."
    assert merge_adjacent([Span(0, 2), Span(3, 5)], text) == [Span(0, 5)]
    assert merge_adjacent([Span(0, 2), Span(6, 8)], text) == [Span(0, 2), Span(6, 8)]


# -- building the chat model from settings ------------------------------------------------------------


class RecordingChatModel:
    """Stands in for ChatOpenAI / ChatOllama: records the options it was built with."""

    def __init__(self, **options) -> None:
        self.options = options


def fake_provider_module(monkeypatch, module: str, class_name: str) -> None:
    monkeypatch.setitem(sys.modules, module, types.SimpleNamespace(**{class_name: RecordingChatModel}))


def test_generative_mode_is_off_by_default(monkeypatch):
    monkeypatch.delenv("REPORT_QA_LLM_PROVIDER", raising=False)
    assert build_chat_model(Settings()) is None
    assert build_chat_model(load_settings()) is None


def test_unknown_provider_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("REPORT_QA_LLM_PROVIDER", "skynet")
    with pytest.raises(ReportQAError, match=r"unknown llm_provider 'skynet'; use one of openai, ollama"):
        build_chat_model(load_settings())


def test_provider_without_a_model_is_a_clear_error():
    with pytest.raises(ReportQAError, match="llm_model is empty; set REPORT_QA_LLM_MODEL"):
        build_chat_model(Settings(llm_provider="ollama"))


def test_missing_provider_package_gives_the_install_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "langchain_openai", None)  # import fails as if not installed
    with pytest.raises(ReportQAError) as error:
        build_chat_model(Settings(llm_provider="openai", llm_model="gpt-4o-mini"))
    assert "needs the langchain-openai package; run `pip install langchain-openai`" in str(error.value)


def test_openai_compatible_server_gets_its_url_and_a_placeholder_key(monkeypatch):
    fake_provider_module(monkeypatch, "langchain_openai", "ChatOpenAI")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    settings = Settings(llm_provider="OpenAI", llm_model="qwen2.5", llm_base_url="http://localhost:8000/v1")
    model = build_chat_model(settings)
    assert model.options["model"] == "qwen2.5" and model.options["base_url"] == "http://localhost:8000/v1"
    assert model.options["api_key"] == "not-needed" and model.options["temperature"] == 0


def test_ollama_model_comes_from_the_environment(monkeypatch):
    fake_provider_module(monkeypatch, "langchain_ollama", "ChatOllama")
    monkeypatch.setenv("REPORT_QA_LLM_PROVIDER", "ollama")
    monkeypatch.setenv("REPORT_QA_LLM_MODEL", "llama3.1:8b")
    model = build_chat_model(load_settings())
    assert model.options["model"] == "llama3.1:8b" and "base_url" not in model.options


def test_engine_load_attaches_a_generator_only_when_asked(monkeypatch, engine):
    fake_provider_module(monkeypatch, "langchain_ollama", "ChatOllama")
    settings = engine.settings
    assert engine.generator is None
    with_llm = load_settings(index_root=settings.index_root, llm_provider="ollama", llm_model="llama3.1:8b")
    generative = Engine.load(with_llm, report="small-report", embedder=HashingEmbedder())
    assert isinstance(generative.generator, Generator)
    assert generative.generator.chat_model.options["model"] == "llama3.1:8b"


def test_engine_does_not_ask_the_model_when_the_report_has_no_answer(engine):
    engine.generator = Generator(BrokenChatModel(responses=["unused"]))
    answer = engine.ask("How many ducks did inspectors count?", k=3)  # declined on this small report
    assert answer.abstained and answer.mode == "extractive" and answer.note is None
