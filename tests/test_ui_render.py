"""Render helpers, without a server or a browser: escaping, highlighting, tables, charts, filters, evals."""

from __future__ import annotations

import html
import json

import pytest

from ingest.records import Document, Section, Span
from retrieval.records import NOT_IN_REPORT, Answer, Citation, Figure, Passage
from ui import render

SCRIPT = "<script>alert('x')</script>"

TABLE_11 = Figure(
    kind="table", label="Table 11", value=None, describes="Sufficiency scores", marker=1,
    columns=["Area of assessed need", "% of cases with sufficient intervention"],
    rows=[["Thinking and behaviour", "67%"], ["Relationships", "36%"], ["Alcohol", "80%"]],
    caption="Sufficiency scores for the NPS sample.", source="HMI Probation inspection data",
)
WORDS_TABLE = Figure(kind="table", label="Table 5", value=None, describes="Enablers",
                     columns=["No.", "Enablers"], rows=[["1.", "Good partnership"], ["2.", "Training"]],
                     caption="Enablers and barriers.")


QUOTED = (Span(8, 28),)


def citation(text="Before. The quoted sentence. After.", spans=QUOTED, **extra) -> Citation:
    fields = dict(marker=1, chunk_id="ch1/x#text", section="1. Chapter > Delivery", pages=[44], kind="text",
                  quote="The quoted sentence.", text=text, quote_spans=list(spans), label=None)
    return Citation(**{**fields, **extra})


# ---------- escaping and highlighting ----------


@pytest.mark.parametrize("text, spans, expected", [
    ("a <b> c", [Span(2, 5)], "a <mark>&lt;b&gt;</mark> c"),  # spans are offsets in the raw text
    ("plain", [], "plain"),  # no quote: nothing marked
    ("abcdef", [Span(4, 6), Span(0, 2)], "<mark>ab</mark>cd<mark>ef</mark>"),  # unsorted spans
    ("abcdef", [Span(0, 4), Span(2, 6)], "<mark>abcd</mark><mark>ef</mark>"),  # overlapping spans
    ("abc", [Span(1, 99)], "a<mark>bc</mark>"),  # a bad offset is clipped, not an error
    ("abc", [Span(2, 2)], "abc"),  # empty span
])
def test_highlight_escapes_then_marks(text, spans, expected):
    assert render.highlight(text, spans) == expected


def test_script_in_report_text_is_escaped_in_the_cited_passage():
    text = f"Intro. {SCRIPT} was in the report."
    message = render.citation_message(citation(text=text, spans=[Span(7, 7 + len(SCRIPT))]))
    assert "<script>" not in message["content"]
    assert "<mark>&lt;script&gt;alert('x')&lt;/script&gt;</mark>" in message["content"]
    assert message["metadata"]["status"] == "done"
    assert message["metadata"]["title"].startswith("[1] ")


def test_script_in_a_question_is_echoed_as_text():
    expected = "&#60;script&#62;alert&#40;'x'&#41;&#60;/script&#62; &#60;b&#62;x&#60;/b&#62;"
    assert render.user_echo(SCRIPT + " <b>x</b>") == expected


def test_a_huge_message_is_cut_in_the_echo():
    echo = render.user_echo("x" * 100_000)
    assert len(echo) < 1_000
    assert "100,000 characters" in echo


@pytest.mark.parametrize("content, expected", [
    ("Hi", "Hi"),  # Gradio 4/5 style
    ([{"type": "text", "text": "Hi"}, {"type": "text", "text": "there"}], "Hi\nthere"),  # Gradio 6 parts
    ({"type": "text", "text": "Hi"}, "Hi"),
    (None, ""),
    ([{"type": "file", "file": {"path": "/x"}}], ""),  # a part without text
])
def test_message_text_reads_every_content_shape(content, expected):
    assert render.message_text(content) == expected


def test_normalise_history_keeps_roles_and_metadata():
    history = [{"role": "user", "content": [{"type": "text", "text": "Q?"}]},
               {"role": "assistant", "content": [{"type": "text", "text": "A"}],
                "metadata": {"title": "[1] x", "status": "done"}}]
    assert render.normalise_history(history) == [
        {"role": "user", "content": "Q?"},
        {"role": "assistant", "content": "A", "metadata": {"title": "[1] x", "status": "done"}}]


@pytest.mark.parametrize("pages, expected", [([], ""), ([8], "p. 8"), ([8, 9, 10], "pp. 8–10")])
def test_pages_text(pages, expected):
    assert render.pages_text(pages) == expected


def test_short_section_cuts_long_titles_at_a_word():
    path = "3. An evaluation of the quality of probation services in Staffordshire and Stoke > Delivery"
    assert render.short_section(path) == "3. An evaluation of the quality of… > Delivery"


# ---------- answers ----------


def test_answer_messages_put_each_citation_in_a_collapsed_message():
    answer = Answer(question="q", answer="It was 80% [1] and good [2].", abstained=False,
                    citations=[citation(), citation(marker=2, pages=[8, 9], label="Table 8")])
    messages = render.answer_messages(answer)
    assert messages[0] == {"role": "assistant", "content": "It was 80% [1] and good [2].\n\n"
                           "Sources: [1] 1. Chapter &gt; Delivery · p. 44; "
                           "[2] Table 8 · 1. Chapter &gt; Delivery · pp. 8–9 (open each passage below)."}
    assert [m["metadata"]["title"] for m in messages[1:]] == [
        "[1] 1. Chapter &gt; Delivery · p. 44", "[2] Table 8 · 1. Chapter &gt; Delivery · pp. 8–9"]
    assert "<mark>The quoted sentence.</mark>" in messages[1]["content"]


def test_an_abstained_answer_shows_the_closest_passages():
    passages = [Passage(rank=i, chunk_id=f"c{i}", section="Key facts", pages=[6], kind="text", score=0.1,
                        text=f"passage {i} <i>", label=None) for i in range(1, 6)]
    answer = Answer(question="q", answer=f"{NOT_IN_REPORT} — no passage answers this question.",
                    abstained=True, passages=passages)
    messages = render.answer_messages(answer)
    assert messages[0]["content"].startswith(NOT_IN_REPORT)
    assert "Closest passages" in messages[0]["content"]
    assert len(messages) == 1 + render.MAX_CLOSEST
    assert messages[1]["content"] == "passage 1 &lt;i&gt;"
    assert messages[1]["metadata"]["title"].startswith("Closest passage 1: Key facts")
    assert [c[1] for c in render.citation_choices(answer)] == ["c1", "c2", "c3"]


def test_citation_choices_pair_titles_with_chunk_ids():
    answer = Answer(question="q", answer="a [1]", abstained=False, citations=[citation()])
    assert render.citation_choices(answer) == [("[1] 1. Chapter > Delivery · p. 44", "ch1/x#text")]
    assert render.citation_choices(None) == []


# ---------- figures ----------


def test_table_becomes_a_dataframe_with_its_columns_and_rows():
    frame = render.table_frame(TABLE_11)
    assert list(frame.columns) == TABLE_11.columns
    assert frame.values.tolist() == TABLE_11.rows


def test_ragged_rows_and_repeated_headers_still_make_a_frame():
    figure = Figure(kind="table", label="Table 2", value=None, describes="", columns=["No.", "No.", "Text"],
                    rows=[["1"], ["2", "b", "c", "extra"]])
    frame = render.table_frame(figure)
    assert list(frame.columns) == ["No.", "No. (2)", "Text"]
    assert frame.values.tolist() == [["1", "", ""], ["2", "b", "c"]]


def test_numeric_table_gives_chart_data():
    data = render.chart_frame(TABLE_11)
    assert data.iloc[:, 0].tolist() == ["Thinking and behaviour", "Relationships", "Alcohol"]
    assert data.iloc[:, 1].tolist() == [67.0, 36.0, 80.0]
    assert render.chart_frame(WORDS_TABLE) is None  # last column is words: no chart


@pytest.mark.parametrize("figure, expected", [
    (TABLE_11, "Table 11: Sufficiency scores for the NPS sample. (Source: HMI Probation inspection data)"),
    (WORDS_TABLE, "Table 5: Enablers and barriers."),  # no source line in the report
])
def test_chart_title_names_table_caption_and_source(figure, expected):
    assert render.chart_title(figure) == expected


def test_chart_figure_is_titled_and_has_one_bar_per_row():
    chart = render.chart_figure(TABLE_11)
    axes = chart.axes[0]
    assert chart.get_suptitle().replace("\n", " ") == render.chart_title(TABLE_11)
    assert len(axes.patches) == 3
    assert render.chart_figure(WORDS_TABLE) is None


def test_figures_markdown_lists_the_statistics_the_answer_quotes():
    answer = Answer(question="q", answer="80% [1]", abstained=False, figures=[
        Figure(kind="statistic", label="80%", value="80%", describes="Alcohol <need>", marker=1), TABLE_11,
        Figure(kind="figure", label="Figure 2.1", value=None, describes="RAR days", caption="RAR days",
               chart_in_text=False)])
    text = render.figures_markdown(answer)
    assert "- **80%** – Alcohol &lt;need&gt; [1]" in text
    assert "**Table 11**" in text
    assert "not in the report's text" in text
    assert "appear here" in render.figures_markdown(None)


def test_table_figures_skips_tables_without_rows():
    empty = Figure(kind="table", label="Table 2", value=None, describes="", columns=[], rows=[])
    answer = Answer(question="q", answer="a", abstained=False, figures=[empty, TABLE_11])
    assert render.table_figures(answer) == [TABLE_11]


# ---------- reading the report ----------


def small_document() -> Document:
    from ingest.records import Chunk

    text = f"Title\nIntro {SCRIPT}. The cited sentence here. Tail."
    section = Section(id="s1", title="Title", path=["Title"], level=1, pages=[3], parent_id=None, start=0,
                      end=len(text))
    start = text.index("The cited")
    chunk = Chunk(id="s1#text", section_id="s1", section_path=["Title"], pages=[3], kind="text",
                  text=text[start:], start=start, end=len(text), sentences=[], content_hash="x")
    return Document("tiny", text, [(0, 3)], [section], [chunk])


def test_section_html_escapes_report_text_and_boxes_the_cited_passage():
    document = small_document()
    view = render.section_html(document, "s1", "s1#text", [Span(0, 24)])
    assert "<script>" not in view
    assert "&lt;script&gt;" in view
    assert "<span id='rq-cited' class='rq-cited'><mark>The cited sentence here.</mark> Tail.</span>" in view
    assert "Title · p. 3" in view


@pytest.mark.parametrize("section_id, expected", [(None, "Pick a section"), ("nope", "No section nope")])
def test_section_html_for_no_or_unknown_section(section_id, expected):
    assert expected in render.section_html(small_document(), section_id)


def test_section_choices_indent_by_level_and_show_pages(document):
    choices = dict((value, label) for label, value in render.section_choices(document))
    assert choices["foreword"] == "Foreword (p. 5)"
    assert choices["ch1/protecting-the-public"].startswith("\u2003Protecting the public (pp.")


# ---------- practice examples ----------


@pytest.mark.parametrize("filters, check", [
    ({}, lambda c: True),
    ({"polarity": "good"}, lambda c: c.polarity == "good"),
    ({"polarity": "poor", "organisation": "CRC"}, lambda c: c.polarity == "poor" and "CRC" in c.organisation),
    ({"domain": "Reducing reoffending"}, lambda c: c.domain == "Reducing reoffending"),
    ({"keyword": "ALCOHOL"}, lambda c: "alcohol" in c.text.lower()),  # case does not matter
])
def test_filter_examples(document, filters, check):
    examples = render.practice_examples(document)
    kept = render.filter_examples(examples, **filters)
    assert kept and all(check(c) for c in kept)
    assert all(c.kind == "practice_example" for c in examples)


def test_filter_examples_keyword_without_match_gives_nothing(document):
    examples = render.practice_examples(document)
    assert render.filter_examples(examples, keyword="zebra") == []
    assert "No practice example" in render.examples_html([])


def test_examples_html_escapes_and_counts(document):
    examples = render.practice_examples(document)[:2]
    html = render.examples_html(examples)
    assert html.count("<details") == 2
    assert "2 example(s)" in html


# ---------- evaluation runs ----------

SUMMARY = {"created_at": "2026-11-22T09:00:00Z", "dataset": "evals/dataset.jsonl", "configs": {
    "fused": {"overall": {"accuracy": 0.7, "recall@5": 0.9, "n": 40, "ok": True},
              "by_category": {"statistic": {"accuracy": 0.6, "recall@5": 0.85}}},
    "lexical": {"overall": {"accuracy": 0.5}, "by_category": {"statistic": {"accuracy": 0.4}}}}}


def test_eval_table_has_a_row_per_config_and_category():
    table = render.eval_table(SUMMARY)
    assert list(table.columns[:2]) == ["config", "category"]
    rows = {(r.config, r.category): r.accuracy for r in table.itertuples()}
    assert rows == {("fused", "overall"): 0.7, ("fused", "statistic"): 0.6, ("lexical", "overall"): 0.5,
                    ("lexical", "statistic"): 0.4}
    assert "ok" not in table.columns  # booleans are not metrics


def test_eval_chart_groups_configs_by_category():
    chart = render.eval_chart(SUMMARY, "accuracy")
    assert len(chart.axes[0].patches) == 4
    assert render.eval_chart(SUMMARY, "missing") is None
    assert render.eval_chart(None, "accuracy") is None


def test_load_eval_summary(tmp_path):
    path = tmp_path / "summary.json"
    assert render.load_eval_summary(path) is None  # no run yet
    path.write_text("{not json", encoding="utf-8")
    assert render.load_eval_summary(path) is None  # a half-written file must not break the tab
    path.write_text(json.dumps(SUMMARY), encoding="utf-8")
    assert render.load_eval_summary(path) == SUMMARY
    assert "2026-11-22" in render.eval_heading(SUMMARY)


HOSTILE = ["![x](http://127.0.0.1:9/p.png)", "[link](http://x)", "<b>html</b>", "**bold** _it_ `code`",
           "# heading", "> quote", "1. list", "$x^2$", "http://127.0.0.1:9/p.png www.example.com a@b.org",
           "&lt;b&gt; \\*"]


def _rendered(markdown: str) -> str:
    markdown_it = pytest.importorskip("markdown_it")
    return markdown_it.MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"]).render(markdown)


@pytest.mark.parametrize("text", HOSTILE)
def test_user_text_in_the_chat_is_shown_literally(text):
    echo = render.user_echo(text)
    out = _rendered(echo)
    for tag in ("<img", "<a ", "<b>", "<strong", "<em", "<code", "<h1", "<blockquote", "<ol"):
        assert tag not in out, (text, out)
    assert html.unescape(echo) == text  # shown as typed
    assert render.last_question([{"role": "user", "content": echo}]) == text  # follow-ups read it back


def test_notes_and_errors_quoting_the_user_are_plain_text():
    answer = Answer(question="q", answer="The report does not say.", abstained=True,
                    note="Read as: ![x](http://127.0.0.1:9/p.png)")
    assert "<img" not in _rendered(render.answer_markdown(answer))
    assert "<a " not in _rendered(render.error_message("unknown section '[link](http://x)'")["content"])


def test_user_text_reaching_the_reader_is_shown_literally(document):
    view = render.section_html(document, "<b>html</b>![x](http://127.0.0.1:9/p.png)")
    assert "<b>" not in view and "<img" not in view
    assert "&lt;b&gt;html&lt;/b&gt;![x]" in view  # gr.HTML does not read Markdown; the tag is escaped


# ---------- answers that read cleanly ----------

KEY_FACT = ("67.1% The proportion of offenders who completed their licence with the CRC² ³. The figure "
            "for all England & Wales was 74.6%, against a target of 65%")


def test_footnote_marks_are_dropped_from_answers_and_quotes():
    answer = Answer(question="q", answer=KEY_FACT + " [1]", abstained=False,
                    citations=[citation(text=KEY_FACT, spans=[Span(0, KEY_FACT.index(". The"))])])
    messages = render.answer_messages(answer)
    assert "with the CRC. The figure" in messages[0]["content"]
    assert "²" not in messages[1]["content"] and "³" not in messages[1]["content"]
    assert "<mark>67.1% The proportion of offenders who completed their licence with the CRC</mark>. The" in (
        messages[1]["content"])
    assert render.drop_footnote_marks("10 m² here") == "10 m here"  # glued marks only: the report has no units


def stat(value, describes, marker=1):
    return Figure(kind="statistic", label=value, value=value, describes=describes, marker=marker)


def test_figures_panel_has_one_line_per_sentence_and_only_measurements():
    answer = Answer(question="q", answer="a", abstained=False, figures=[
        stat("67.1%", KEY_FACT), stat("74.6%", KEY_FACT), stat("65%", KEY_FACT), stat("67.1%", KEY_FACT),
        stat("80", "some probation officer grades holding up to 80 cases."),
        stat("18%", "-18% The volume reduction for the CRC caseload"),
        stat("7", "7. access the range of rehabilitative services on offer", 2),
        stat("2.4", "2.4 The CRC had a plan", 3),
        stat("1", "Recommendation 1 says more", 3),
        stat("11", "Table 11 shows the scores", 3),
        TABLE_11, TABLE_11])
    text = render.figures_markdown(answer)
    lines = [line for line in text.splitlines() if line.startswith("- ")]
    assert lines[0] == ("- **67.1%**, **74.6%**, **65%** – 67.1% The proportion of offenders who completed "
                        "their licence with the CRC. The figure for all England &amp; Wales was 74.6%, against "
                        "a target of 65% [1]")
    assert lines[1].startswith("- **80** – some probation officer grades")
    assert lines[2].startswith("- **−18%** – -18% The volume")
    assert sum("**Table 11**" in line for line in lines) == 1
    assert len(lines) == 4  # "7", "2.4", "1" and "11" are numbers of things, not measurements


def test_only_identifiers_leave_the_panel_empty():
    answer = Answer(question="q", answer="a", abstained=False, figures=[stat("2.4", "2.4 The CRC had a plan")])
    assert "appear here" in render.figures_markdown(answer)


def test_report_title_from_manifest_then_footers_then_name(document):
    class Manifest:
        title = "A <b>title</b>"

    assert render.report_title(document, Manifest()) == "A <b>title</b>"
    footers = "text\nQuality & Impact inspection: Staffordshire and Stoke 53\nmore\n" \
              "Quality & Impact inspection: Staffordshire and Stoke 54\n"
    assert render.report_title(document, None, footers) == "Quality & Impact inspection: Staffordshire and Stoke"
    assert render.report_title(document) == "Staffordshire and stoke 2017"


# ---------- [n] links ----------


def test_markers_of_an_answer_become_links_to_their_passages():
    answer = Answer(question="q", answer="It was 80% [1] and good [2], see [3].", abstained=False,
                    citations=[citation(), citation(marker=2)])
    text = render.answer_markdown(answer, turn=4)
    assert text.startswith("It was 80% [[1]](#rq-cite-4-1) and good [[2]](#rq-cite-4-2), see [3].")
    assert render.answer_markdown(answer).startswith("It was 80% [1] and good [2]")  # no turn: no links
    assert 'href="#rq-cite-4-1"' in _rendered(text)


@pytest.mark.parametrize("value, expected", [("#rq-cite-0-2", (0, 2)), ("3-1", (3, 1)), ("", None),
                                             ("#rq-cite-x-1", None), ("javascript:alert(1)", None),
                                             ("#rq-cite-0-2@5", (0, 2))])
def test_parse_cite_href(value, expected):
    assert render.parse_cite_href(value) == expected
