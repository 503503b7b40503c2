"""PDF titles that state something, titles printed with their grade, field lists and list marks (issue 10:
a report asked through its PDF answers as well as through its text copy). Self-built PDFs and made-up lines."""

from __future__ import annotations

import pytest

from ingest.blocks import Block, title_statement
from ingest.chunking import without_bullets
from ingest.pdf import extract_pdf, headline_sentence
from ingest.pipeline import parse_report
from ingest.records import Span
from ingest.structure import split_heading_lines
from ingest.text import split_sentences
from tests.pdf_fixture import GRADED_TITLES, HEADLINE, build_titled_domains_pdf, bundled_paragraphs


@pytest.fixture(scope="module")
def titled(tmp_path_factory):
    path = build_titled_domains_pdf(tmp_path_factory.mktemp("titled") / "northwick.pdf", bundled_paragraphs(4))
    return path, parse_report(path)


@pytest.mark.parametrize("text, expected", [
    ("Services for children in Northwick are good", True),
    ("The safeguarding board requires improvement", True),
    ("What needs to improve?", False),  # a question
    ("Children who are looked after", False),  # the verb is a relative clause's
    ("Adoption performance", False),  # no verb
    ("Overall effectiveness: good", False),  # a "subject: grade" field
    ("Care is good", False),  # under four words
    ("The experiences of children in care Requires improvement", False),  # a capitalised grade: another cell
])
def test_a_title_is_a_statement_when_it_reads_as_a_sentence(text, expected):
    assert title_statement(text) is expected


def test_a_capitalised_verb_after_the_first_word_is_no_headline_verb():
    assert headline_sentence("There are widespread and serious failures that leave children at risk of harm")
    assert not headline_sentence("The experiences and progress of children who need help Requires improvement")
    assert headline_sentence("THERE ARE WIDESPREAD AND SERIOUS FAILURES THAT LEAVE CHILDREN AT RISK")


def test_a_title_stating_a_grade_heads_its_section_and_is_its_first_sentence(titled):
    path, document = titled
    line = next(ln for ln in extract_pdf(path).lines if ln.text == HEADLINE)
    assert line.heading and line.statement
    section = next(s for s in document.sections if s.title == HEADLINE)
    first = next(c for c in document.chunks if c.section_id == section.id)
    assert first.text.startswith(HEADLINE)
    assert first.text[first.sentences[0].start : first.sentences[0].end] == HEADLINE
    assert document.text[first.start : first.end] == first.text


def test_a_title_that_is_no_statement_is_not_quoted_as_text(titled):
    _, document = titled
    summaries = [s for s in document.sections if s.title == "Summary"]
    assert summaries
    assert not any(c.text.startswith("Summary") for c in document.chunks)


def test_a_title_printed_with_its_grade_is_a_heading_graded_by_a_one_row_table(titled):
    _, document = titled
    titles = [s.title for s in document.sections]
    for lines, grade, _ in GRADED_TITLES:
        title = " ".join(lines)
        assert title in titles, (title, titles)
        graded = [c for c in document.chunks if c.label == "Judgement" and c.caption == title]
        assert [c.table.rows for c in graded] == [[[title, grade]]]
    assert not any(grade in t for t in titles for _, grade, _ in GRADED_TITLES)


def test_a_grid_row_beside_another_stays_a_grid_row():
    from ingest.structure import outline, profile_named

    rows = [Block(["Leadership of the imagined service   Good"], [1]),
            Block(["Help for children in the imagined area   Inadequate"], [1])]
    prose = Block(["A paragraph of prose long enough to be body text, about the imagined service and its work."],
                  [1])
    items = outline([*rows, prose], profile=profile_named("ofsted")).items
    tables = [i for i in items if getattr(i, "label", None) == "Judgements"]
    assert len(tables) == 1 and len(tables[0].table.rows) == 2


def test_a_field_list_is_not_split_into_a_heading_and_a_paragraph():
    fields = Block(["Lead inspector: Ann Example",
                    "Team inspectors: Ben Sample, Cat Placeholder, Dan Invented, Eve Madeup, Fay Fictional"], [6])
    assert [b.lines for b in split_heading_lines([fields])] == [fields.lines]
    glued = Block(["Local context", "Here we report on the services delivered in the imagined area, in detail."],
                  [6])
    assert len(split_heading_lines([glued])) == 2  # a real heading glued to its paragraph is still split


@pytest.mark.parametrize("text, sentences", [
    ("• At 31 March, 609 children were in care. This rose.\n\n• Of this number, 234 live outside the area.",
     ["At 31 March, 609 children were in care.", "This rose.", "Of this number, 234 live outside the area."]),
    ("\uf0b7 One item\n\uf0b7 Another item", ["One item", "Another item"]),
    ("- a dash may be a word of the sentence", ["- a dash may be a word of the sentence"]),
    ("•", ["•"]),  # a mark alone is left as it is, never an empty sentence
])
def test_a_sentence_is_quoted_without_its_list_mark(text, sentences):
    spans = without_bullets(text, split_sentences(text))
    assert [text[s.start : s.end] for s in spans] == sentences
    assert all(isinstance(s, Span) and s.end > s.start for s in spans)


PROSE = ("A paragraph of prose long enough to be body text, about the imagined service, what it does for the "
         "people it helps and how well it does it.")


def _outline_of(blocks):
    from ingest.structure import Heading, outline

    return [(i.title, i.level) for i in outline(blocks).items if isinstance(i, Heading)]


def test_a_heading_found_by_its_words_that_states_something_is_quoted_too():
    from ingest.chunking import build_document
    from ingest.structure import outline

    blocks = [Block(["Services in the imagined area are good"], [1], page_start=True), Block([PROSE], [1]),
              Block(["Adoption in the imagined area"], [1]), Block([PROSE], [1])]
    document = build_document("imagined", outline(blocks), {})
    assert [s.title for s in document.sections] == ["Services in the imagined area are good",
                                                    "Adoption in the imagined area"]
    first, second = document.chunks
    assert first.text.startswith("Services in the imagined area are good\n\n")
    assert second.text == PROSE  # a title that states nothing is not quoted


def test_a_title_met_before_keeps_its_level_when_it_opens_a_page():
    blocks = [Block(["First imagined domain"], [2], page_start=True), Block([PROSE], [2]),
              Block(["Findings"], [2]), Block([PROSE], [2]),
              Block(["Second imagined domain"], [3], page_start=True), Block([PROSE], [3]),
              Block(["Findings"], [4], page_start=True), Block([PROSE], [4])]
    assert _outline_of(blocks) == [("First imagined domain", 1), ("Findings", 2), ("Second imagined domain", 1),
                                   ("Findings", 2)]  # not 1: it stays under its domain
