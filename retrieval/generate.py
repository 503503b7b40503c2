"""Optional generative mode: a LangChain chat model answers from the retrieved passages, and is checked.

Off by default (`llm_provider = ""`). When on, the model sees the top passages numbered [1]..[k] with
their section and pages, and is told to answer briefly from them alone, quote exact sentences and cite
with [n]. Its reply becomes an `Answer` whose citations are located in those passages, then goes through
the same `check_answer` as the extractive answer (markers exist, quotes are in their passage, every number
is in a cited passage). A reply that fails, a model error or a timeout gives back the extractive answer
with a note saying why:

    generator = Generator(ChatOllama(model="llama3.1:8b"))
    engine = Engine(index, embedder, settings, generator=generator)   # or set REPORT_QA_LLM_PROVIDER
    engine.ask("How many cases …?").mode                               # "generative" or "extractive"

A marker keeps the number its passage had in the prompt, so [3] is the third passage shown.
"""

from __future__ import annotations

import importlib
import logging
import os
import re
import threading
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ingest.errors import ReportQAError
from ingest.records import Chunk, Span
from ingest.settings import Settings
from ingest.text import normalise_for_match, number_value, numbers_in
from retrieval.citations import QUOTE_GAP, check_answer
from retrieval.questions import content_terms
from retrieval.records import NOT_IN_REPORT, Answer, Citation, Figure, Hit

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import BaseMessage

log = logging.getLogger(__name__)

# A local model on a CPU can take tens of seconds; after a minute the user is better served by the
# extractive answer they already have.
TIMEOUT_S = 60.0
FALLBACK_NOTE = "generative answer failed the citation check ({reason}); showing the extractive answer"
MIN_QUOTE_WORDS = 3  # shorter text in quotation marks is a term or a name ("RAR"), not a quotation
MAX_REASON_CHARS = 200  # a provider's error can carry a whole HTTP body; the note needs one line

# provider -> (module, chat model class, pip package); imported only when asked for.
PROVIDERS = {
    "openai": ("langchain_openai", "ChatOpenAI", "langchain-openai"),
    "ollama": ("langchain_ollama", "ChatOllama", "langchain-ollama"),
}

SYSTEM_PROMPT = (
    "You answer questions about one inspection report, using only the numbered passages you are given.\n"
    "- Answer briefly, in one to three sentences.\n"
    "- Quote the sentence(s) that answer exactly as written, in double quotation marks.\n"
    "- After each statement put the marker of the passage it comes from, e.g. [2].\n"
    "- Use only the markers shown.\n"
    "- Use only numbers that appear in the passages you cite.\n"
    f"- If the passages do not answer the question, reply only: {NOT_IN_REPORT}."
)

_MARKER = re.compile(r"\[(\d+)\]")
_MARKER_GROUP = re.compile(r"(?:\[\d+\]\s*)+")
_MARKER_LIST = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)+)\]")
_QUOTED = re.compile(r"[\"“]([^\"“”]+)[\"”]")
_ELLIPSIS = re.compile(r"\s*(?:…|\.\.\.|\[\.\.\.\])\s*")
# "Table 11", "page 44": numbers that name a place in the report rather than state a figure.
_REFERENCE = re.compile(
    r"\b(?:Table|Figure|Chart|Chapter|Appendix|Recommendation|page|pp?\.)\s*\d+(?:\.\d+)*", re.I)
_THINKING = re.compile(r"<think>.*?</think>", re.S)  # reasoning models (e.g. via Ollama) think aloud first
# The character forms normalise_for_match uses, applied one character at a time to keep offsets.
_CHAR_FORMS = {"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "\ufffd": "."}

Piece = tuple[Span | None, str]  # a located sentence span, or (None, quoted text the passage lacks)


class Generator:
    """Rewrites an extractive answer with a chat model; keeps it when the model's answer fails the checks."""

    def __init__(self, chat_model: BaseChatModel, timeout_s: float = TIMEOUT_S) -> None:
        self.chat_model = chat_model
        self.timeout_s = timeout_s

    def improve(self, answer: Answer, hits: list[Hit]) -> Answer:
        if not hits:
            return answer
        try:
            reply = ask_model(self.chat_model, build_messages(answer.question, hits), self.timeout_s)
        except Exception as err:  # refused, unauthorised, rate-limited or timed out: keep the extractive
            return fall_back(answer, f"the model did not answer: {type(err).__name__}: {err}")
        generated = parse_reply(reply, answer, hits)
        problems = reply_problems(generated)
        if problems:
            return fall_back(answer, "; ".join(problems))
        log.info("generative answer accepted with %d citation(s)", len(generated.citations))
        return generated


def generator_from_settings(settings: Settings) -> Generator | None:
    """The generator the settings ask for, or None when generative mode is off."""
    model = build_chat_model(settings)
    return Generator(model) if model is not None else None


def build_chat_model(settings: Settings) -> BaseChatModel | None:
    """A chat model for `settings.llm_provider` ("openai" or "ollama"); None when it is empty."""
    provider = settings.llm_provider.strip().lower()
    if not provider:
        return None
    if provider not in PROVIDERS:
        raise ReportQAError(f"unknown llm_provider {settings.llm_provider!r}; use one of "
                            f"{', '.join(PROVIDERS)}, or leave it empty for extractive answers.")
    if not settings.llm_model:
        raise ReportQAError(f"llm_provider is {provider!r} but llm_model is empty; set REPORT_QA_LLM_MODEL "
                            "(e.g. llama3.1:8b).")
    module_name, class_name, package = PROVIDERS[provider]
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        raise ReportQAError(f"llm_provider {provider!r} needs the {package} package; run "
                            f"`pip install {package}`.") from None
    try:
        return getattr(module, class_name)(**_model_options(provider, settings))
    except Exception as err:  # the provider's own validation (a bad URL, a missing key) as one clear line
        raise ReportQAError(f"cannot set up {class_name} for model {settings.llm_model!r}: {err}") from None


def _model_options(provider: str, settings: Settings) -> dict[str, Any]:
    options: dict[str, Any] = {"model": settings.llm_model, "temperature": 0}
    if settings.llm_base_url:
        options["base_url"] = settings.llm_base_url
    if provider == "openai":
        options.update(timeout=TIMEOUT_S, max_retries=1)
        # A local OpenAI-compatible server ignores the key, but the client refuses to start without one.
        if settings.llm_base_url:
            options["api_key"] = os.environ.get("OPENAI_API_KEY") or "not-needed"
    else:
        options["client_kwargs"] = {"timeout": TIMEOUT_S}
    return options


# -- the prompt ----------------------------------------------------------------------------------


def build_messages(question: str, hits: list[Hit]) -> list[BaseMessage]:
    from langchain_core.messages import HumanMessage, SystemMessage

    return [SystemMessage(SYSTEM_PROMPT),
            HumanMessage(f"Passages:\n\n{format_passages(hits)}\n\nQuestion: {question}")]


def format_passages(hits: list[Hit]) -> str:
    """The passages as the model sees them, numbered from 1, each under its place in the report.

    Example: one hit on Table 11 (page 44) ->
        "[1] Table 11 · 3. An evaluation … > Delivery · p. 44\\nTable 11\\nArea of assessed need …"
    """
    blocks = []
    for number, hit in enumerate(hits, start=1):
        chunk = hit.chunk
        where = [x for x in (chunk.label, chunk.section_text, _pages(chunk.pages)) if x]
        blocks.append(f"[{number}] {' · '.join(where)}\n{chunk.text}")
    return "\n\n".join(blocks)


def _pages(pages: list[int]) -> str:
    """Example: [37] -> "p. 37"; [37, 38] -> "pp. 37, 38"; [] -> ""."""
    if not pages:
        return ""
    return f"{'pp.' if len(pages) > 1 else 'p.'} {', '.join(map(str, pages))}"


def ask_model(model: BaseChatModel, messages: list[BaseMessage], timeout_s: float) -> str:
    """The model's reply as text, or TimeoutError after `timeout_s`.

    The call runs in a daemon thread: an endpoint that hangs must neither hang `ask` nor keep the
    process from exiting (the client's own timeout ends the thread later).
    """
    outcome: dict[str, Any] = {}

    def call() -> None:
        try:
            outcome["reply"] = model.invoke(messages)
        except Exception as err:  # handed to the caller's thread below
            outcome["error"] = err

    thread = threading.Thread(target=call, name="report-qa-llm", daemon=True)
    thread.start()
    thread.join(timeout_s)
    if thread.is_alive():
        raise TimeoutError(f"no reply within {timeout_s:g} s")
    if "error" in outcome:
        raise outcome["error"]
    return reply_text(outcome["reply"])


def reply_text(message: Any) -> str:
    """The reply's words, without a reasoning model's <think> block.

    Example: "<think>…</think> Yes [1]" -> "Yes [1]"
    """
    text = message.text if hasattr(message, "text") else str(message)
    return _THINKING.sub("", text).strip()


# -- the reply as an answer ------------------------------------------------------------------------


def parse_reply(reply: str, extractive: Answer, hits: list[Hit]) -> Answer:
    """The reply as an Answer: a citation for every marker that names a passage, quoting what it relies on.

    Markers naming no passage stay in the text for `check_answer` to reject.
    """
    text = normalise_markers(reply)
    pieces: dict[int, list[Piece]] = {}
    for markers, claim in claims(text):
        cite_claim(claim, [m for m in markers if 1 <= m <= len(hits)], hits, pieces)
    citations = [citation_for(m, hits[m - 1].chunk, pieces[m]) for m in sorted(pieces)]
    answer = Answer(question=extractive.question, answer=text, abstained=False, citations=citations,
                    passages=extractive.passages, id=extractive.id, mode="generative")
    answer.figures = figures_for(answer, extractive, hits)
    return answer


def normalise_markers(text: str) -> str:
    """One marker per passage, as the checks read them. Example: "as seen [1, 3]." -> "as seen [1][3]."."""
    return _MARKER_LIST.sub(lambda m: "".join(f"[{n}]" for n in re.split(r"\s*[,;]\s*", m.group(1))), text)


def claims(text: str) -> list[tuple[list[int], str]]:
    """Each group of markers with the reply text it backs: the text since the previous group.

    Example: "Staff were kind [1]. Most had help [2][3]." ->
        [([1], "Staff were kind"), ([2, 3], "Most had help")]
    """
    found = []
    start = 0
    for group in _MARKER_GROUP.finditer(text):
        markers = [int(m) for m in _MARKER.findall(group.group(0))]
        found.append((markers, text[start : group.start()].strip(" .,;:\n")))
        start = group.end()
    return found


def cite_claim(claim: str, markers: list[int], hits: list[Hit], pieces: dict[int, list[Piece]]) -> None:
    """Add to `pieces` what each marked passage contributes to `claim`.

    Text the claim puts in quotation marks must be in one of its marked passages; otherwise it is
    recorded unlocated against the first, and `check_answer` rejects it. A passage the claim quotes
    nothing from is represented by the sentence(s) the claim copies or, failing that, resembles most.
    """
    if not markers:
        return
    quoted: dict[int, list[Span]] = {m: [] for m in markers}
    for fragment in quoted_fragments(claim):
        located = [(m, locate(fragment, hits[m - 1].chunk.text)) for m in markers]
        located = [(m, span) for m, span in located if span is not None]
        if not located:
            pieces.setdefault(markers[0], []).append((None, fragment))
        for marker, span in located:
            quoted[marker].extend(sentences_overlapping(hits[marker - 1].chunk, span))
    for marker in markers:
        chunk = hits[marker - 1].chunk
        spans = quoted[marker] or copied_sentences(claim, chunk) or [most_similar_sentence(claim, chunk)]
        pieces.setdefault(marker, []).extend((span, chunk.text[span.start : span.end]) for span in spans)


def quoted_fragments(claim: str) -> list[str]:
    """Text the claim puts in double quotation marks, long enough to be a quotation.

    A quotation the model shortened with an ellipsis is several fragments, each to be found.

    Example: 'It found "staff were kind … knew their cases" in "RAR" cases'
        -> ["staff were kind", "knew their cases"]
    """
    fragments = [piece.strip(" .,;:")
                 for m in _QUOTED.finditer(claim) for piece in _ELLIPSIS.split(m.group(1))]
    return [f for f in fragments if len(f.split()) >= MIN_QUOTE_WORDS]


def locate(fragment: str, text: str) -> Span | None:
    """Where `fragment` sits in `text`, ignoring case, spacing and curly quotes (as `check_answer` does).

    Example: locate("staff  were KIND", "The staff were kind.") -> Span(4, 19)
    """
    flat, offsets = _flatten(text)
    wanted = normalise_for_match(fragment)
    at = flat.find(wanted) if wanted else -1
    if at < 0:
        return None
    return Span(offsets[at], offsets[at + len(wanted) - 1] + 1)


def _flatten(text: str) -> tuple[str, list[int]]:
    """`normalise_for_match(text)` (bar the final strip) with each character's offset in `text`."""
    chars: list[str] = []
    offsets: list[int] = []
    for i, char in enumerate(text):
        if char.isspace():
            if chars and chars[-1] == " ":
                continue
            char = " "
        for out in _CHAR_FORMS.get(char, char).lower():
            chars.append(out)
            offsets.append(i)
    return "".join(chars), offsets


def sentences_overlapping(chunk: Chunk, span: Span) -> list[Span]:
    """The whole sentences a located quotation falls in, so a citation quotes sentences, not fragments."""
    return [s for s in chunk.sentences if s.start < span.end and span.start < s.end] or [span]


def copied_sentences(claim: str, chunk: Chunk) -> list[Span]:
    """Sentences of the passage the claim repeats word for word, without quotation marks."""
    flat_claim = normalise_for_match(claim)
    copied = []
    for span in chunk.sentences:
        sentence = normalise_for_match(chunk.text[span.start : span.end]).rstrip(" .;:")
        if len(sentence.split()) >= MIN_QUOTE_WORDS and sentence in flat_claim:
            copied.append(span)
    return copied


def most_similar_sentence(claim: str, chunk: Chunk) -> Span:
    """The sentence sharing most of the claim's numbers, then most of its (stemmed) content words; the
    first on a tie. A number the claim states is what its citation must show, so it outweighs words: a
    table's header row shares more words with "80% of cases had a sufficient intervention" than its row.

    Example: "80% of alcohol cases had a sufficient intervention" against "% of cases with sufficient
    intervention" / "Alcohol 80%" -> the span of "Alcohol 80%"
    """
    numbers, terms = _values(_REFERENCE.sub(" ", claim)), set(content_terms(claim))
    sentences = chunk.sentences or [Span(0, len(chunk.text))]

    def shared(span: Span) -> tuple[int, int]:
        sentence = chunk.text[span.start : span.end]
        return len(numbers & _values(sentence)), len(terms & set(content_terms(sentence)))

    return max(sentences, key=shared)


def _values(text: str) -> set[float]:
    """Example: "80% of 2,523" -> {80.0, 2523.0}."""
    return {v for v in map(number_value, numbers_in(text)) if v is not None}


def citation_for(marker: int, chunk: Chunk, pieces: list[Piece]) -> Citation:
    spans = merge_adjacent(sorted({span for span, _ in pieces if span is not None}, key=lambda s: s.start),
                           chunk.text)
    unlocated = list(dict.fromkeys(text for span, text in pieces if span is None))
    quote = QUOTE_GAP.join([chunk.text[s.start : s.end] for s in spans] + unlocated)
    return Citation(marker=marker, chunk_id=chunk.id, section=chunk.section_text, pages=chunk.pages,
                    kind=chunk.kind, quote=quote, text=chunk.text, quote_spans=spans, label=chunk.label,
                    pdf_pages=list(chunk.pdf_pages))


def merge_adjacent(spans: list[Span], text: str) -> list[Span]:
    """Join spans that only whitespace separates, so neighbouring sentences quote as one verbatim piece.

    Example: spans of "A." and "B." in "A. B. C." -> one span of "A. B."
    """
    merged: list[Span] = []
    for span in spans:
        if merged and (span.start <= merged[-1].end or not text[merged[-1].end : span.start].strip()):
            merged[-1] = Span(merged[-1].start, max(merged[-1].end, span.end))
        else:
            merged.append(span)
    return merged


def figures_for(answer: Answer, extractive: Answer, hits: list[Hit]) -> list[Figure]:
    """The extractive answer's figures whose passage the reply cites (under the reply's markers), then a
    statistic for each other number the reply states, described by the cited sentence that holds it."""
    marker_of = {c.chunk_id: c.marker for c in answer.citations}
    chunk_of = {c.marker: c.chunk_id for c in extractive.citations}
    figures = [replace(f, marker=marker_of[chunk_of[f.marker]]) for f in extractive.figures
               if f.marker in chunk_of and chunk_of[f.marker] in marker_of]
    known = {number_value(f.value) for f in figures if f.value}
    for number in numbers_in(_REFERENCE.sub(" ", _MARKER.sub(" ", answer.answer))):
        value = number_value(number)
        if value is None or value in known:
            continue
        sentence, citation = _sentence_with(value, answer.citations, hits)
        if citation is None:
            continue  # a number no cited passage holds fails check_answer anyway
        known.add(value)
        describes = sentence if len(sentence) <= 200 else sentence[:197] + "…"
        figures.append(Figure("statistic", number, number, describes, citation.marker,
                              source=citation.label or citation.section))
    return figures


def _sentence_with(value: float, citations: list[Citation], hits: list[Hit]) -> tuple[str, Citation | None]:
    """The first cited sentence that states `value`, and its citation."""
    for citation in citations:
        for sentence in hits[citation.marker - 1].chunk.sentence_texts():
            if value in _values(sentence):
                return sentence, citation
    return "", None


# -- checks and fallback ---------------------------------------------------------------------------


def reply_problems(answer: Answer) -> list[str]:
    """Why a generative answer cannot be shown, in words; [] when it passes the same checks as any answer."""
    text = answer.answer
    if not text:
        return ["the model gave an empty reply"]
    if normalise_for_match(text).startswith(normalise_for_match(NOT_IN_REPORT)):
        return ["the model found no answer in the passages"]
    if not _MARKER.search(text):
        return ["the reply cites no passage"]
    problems = check_answer(answer)
    if len(uncited_tail(text).split()) > MIN_QUOTE_WORDS:
        problems.append("a statement after the last marker cites no passage")
    return problems


def uncited_tail(text: str) -> str:
    """What the reply says after its last marker. Example: "Yes [1]. So it goes." -> "So it goes"."""
    ends = [m.end() for m in _MARKER.finditer(text)]
    return text[ends[-1] if ends else 0 :].strip(" .,;:\n")


def fall_back(answer: Answer, reason: str) -> Answer:
    """The extractive answer as it was, with a note saying why the generative one is not shown."""
    reason = reason if len(reason) <= MAX_REASON_CHARS else reason[: MAX_REASON_CHARS - 1] + "…"
    log.warning("generative answer rejected: %s", reason)
    return replace(answer, mode="extractive", note=FALLBACK_NOTE.format(reason=reason))
