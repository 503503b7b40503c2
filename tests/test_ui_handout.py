"""The trainer's handout: every quote cited by section and page, in Markdown and in .docx."""

from __future__ import annotations

import io

from ingest.records import Span
from retrieval.records import NOT_IN_REPORT, Answer, Citation
from ui import handout

ATR = Answer(
    question="What does ATR stand for?", answer="ATR Alcohol Treatment Requirement [1]", abstained=False,
    citations=[Citation(marker=1, chunk_id="appendix-4#atr", section="Appendix 4: Glossary", pages=[61],
                        kind="glossary", quote="ATR Alcohol Treatment Requirement",
                        text="ATR Alcohol Treatment Requirement: a requirement", quote_spans=[Span(0, 33)],
                        label="ATR")],
)


def example(document, polarity="good"):
    return next(c for c in document.chunks if c.kind == "practice_example" and c.polarity == polarity)


def test_markdown_cites_every_quote_by_section_and_page(document):
    chunk = example(document)
    items = [handout.item_from_answer(ATR), handout.item_from_example(chunk)]
    text = handout.handout_markdown(items, title="Session 1")
    assert text.startswith("# Session 1\n\n## 1. What does ATR stand for?\n\n"
                           "ATR Alcohol Treatment Requirement [1]")
    assert "> ATR Alcohol Treatment Requirement\n>\n> — [1] Appendix 4: Glossary, p. 61" in text
    assert f"## 2. Good practice ({chunk.organisation})" in text
    assert f"> — {chunk.section_text}, p" in text
    first_line = chunk.text.splitlines()[0]
    assert f"> {first_line}" in text


def test_markdown_escapes_html_in_questions_and_quotes():
    answer = Answer(question="<script>x</script>?", answer=f"{NOT_IN_REPORT} — no passage.", abstained=True)
    text = handout.handout_markdown([handout.item_from_answer(answer)])
    assert "<script>" not in text
    assert "&lt;script\\>x&lt;/script\\>?" in text


def test_empty_handout_says_how_to_fill_it():
    assert "Add to handout" in handout.handout_markdown([])


def test_add_item_ignores_a_double_click():
    item = handout.item_from_answer(ATR)
    items = handout.add_item([], item)
    assert handout.add_item(items, item) == [item]
    assert items is not handout.add_item(items, item)  # state lists are never changed in place


def test_docx_holds_headings_quotes_and_references(document):
    from docx import Document

    items = [handout.item_from_answer(ATR), handout.item_from_example(example(document, "poor"))]
    data = handout.handout_docx(items)
    assert data[:2] == b"PK" and len(data) > 5_000  # a zip, like every .docx
    paragraphs = [p.text for p in Document(io.BytesIO(data)).paragraphs]
    assert "1. What does ATR stand for?" in paragraphs
    assert "ATR Alcohol Treatment Requirement" in paragraphs
    assert "— [1] Appendix 4: Glossary, p. 61" in paragraphs
    assert any(p.startswith("2. Poor practice") for p in paragraphs)


def test_a_question_with_markdown_or_html_is_plain_text_in_the_handout():
    markdown_it = __import__("pytest").importorskip("markdown_it")
    question = "![x](http://127.0.0.1:9/p.png) [link](http://x) <b>html</b> **b**"
    answer = Answer(question=question, answer="ATR Alcohol Treatment Requirement [1]", abstained=False,
                    citations=ATR.citations)
    text = handout.handout_markdown([handout.item_from_answer(answer)], title="[t](http://x)")
    out = markdown_it.MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"]).render(text)
    assert "<img" not in out and "<a " not in out and "<b>" not in out and "<strong" not in out
    assert "![x](http://127.0.0.1:9/p.png) [link](http://x) &lt;b&gt;html&lt;/b&gt; **b**" in out
    assert "<blockquote>" in out  # the report's own quote keeps its formatting


def test_handout_is_titled_with_the_report_and_every_quote_has_its_page():
    from docx import Document

    answer = Answer(question="q?", answer="with the CRC² ³. More [1]", abstained=False, citations=[
        Citation(marker=1, chunk_id="k#1", section="Key facts", pages=[6], kind="key_fact",
                 quote="with the CRC² ³. More", text="with the CRC² ³. More", quote_spans=[Span(0, 10)]),
        Citation(marker=2, chunk_id="k#2", section="Key facts", pages=[], kind="text", quote="x",
                 text="x", quote_spans=[])])
    title = "Quality & Impact inspection: Staffordshire and Stoke"
    items = [handout.item_from_answer(answer)]
    text = handout.handout_markdown(items, title)
    assert text.startswith("# Quality \\& Impact inspection\\: Staffordshire and Stoke\n")
    assert "> with the CRC. More\n>\n> — [1] Key facts, p. 6" in text
    assert "— [2] Key facts, page not known" in text
    assert "²" not in text
    paragraphs = [p.text for p in Document(io.BytesIO(handout.handout_docx(items, title))).paragraphs]
    assert paragraphs[0] == title
    assert "— [1] Key facts, p. 6" in paragraphs


def test_a_conversation_exports_as_markdown_with_citations():
    hostile = Answer(question="![x](http://127.0.0.1:9/p.png)?", answer="The report does not say.",
                     abstained=True)
    text = handout.conversation_markdown([ATR.to_json(), hostile.to_json()], "Report <b>")
    assert text.startswith("# Report &lt;b\\>: conversation\n\n## What does ATR stand for?\n\n"
                           "ATR Alcohol Treatment Requirement [1]\n\n> ATR Alcohol Treatment Requirement\n>\n"
                           "> — [1] Appendix 4: Glossary, p. 61")
    assert "## \\!\\[x\\]\\(http\\://127\\.0\\.0\\.1\\:9/p\\.png\\)?" in text
    assert "No questions" in handout.conversation_markdown([], "R")
