"""Ingest repairs, on small made-up texts: lone footer page numbers leave the text, every improvement list under
its heading becomes items (and only its items), a signature's role line is not a heading."""

from __future__ import annotations

from ingest import records as kinds
from ingest.blocks import build_blocks
from ingest.chunking import build_document
from ingest.clean import clean_report, page_number_lines
from ingest.records import Document
from ingest.structure import NO_PROFILE, Profile, outline, profile_named


def _document(raw: str, profile: Profile = NO_PROFILE) -> Document:
    cleaned = clean_report(raw)
    return build_document("made-up", outline(build_blocks(cleaned), profile=profile), cleaned.footnotes)


# --- lone page-number footers ---------------------------------------------------------------------


PAGES = ("Summary of the report\nServices improve outcomes\n\n1\n\n"
         "\fThe second page says more about services.\n\n2\n\n"
         "\fThe third page ends here.\n\n3\n")


def test_lone_page_numbers_leave_the_text_and_number_the_pages():
    lines = clean_report(PAGES).lines
    texts = [line.text for line in lines if line.text]
    assert texts == ["Summary of the report", "Services improve outcomes", "The second page says more about services.",
                     "The third page ends here."]
    assert [line.page for line in lines if line.text] == [1, 1, 2, 3]
    assert "outcomes 1" not in _document(PAGES).text


def test_numbers_that_do_not_count_pages_stay():
    raw = ("Figures\n\n9.\n\n\fTotal\n\n46\n\n\fnext page\n\n3\n\n\fmore\n\n4\n")
    numbers = page_number_lines(raw.split("\n"))
    assert sorted(numbers.values()) == [3, 4]  # "9." is a list item; "46" ends page 2 but no page is 46
    texts = [line.text for line in clean_report(raw).lines if line.text]
    assert "9." in texts and "46" in texts and "3" not in texts and "4" not in texts


def test_a_single_lone_number_or_none_is_left_alone():
    assert page_number_lines(["Only one page", "", "7"]) == {}
    assert page_number_lines([]) == {} and page_number_lines(["", "\f", "  "]) == {}


# --- every improvement list becomes items --------------------------------------------------------


BOARD = """What does the council need to improve?
Areas for improvement
1. Ensure that plans for children are reviewed on time by every team.
2. Improve the quality of supervision for all social workers in the service.

\fSection 2: The effectiveness of the board
The effectiveness of the board is good
Areas for improvement
101. Monitor the contribution of partners to strategy meetings and conferences.
102. Monitor the new assessment framework and hold partner agencies to account.
Key strengths and weaknesses of the board
103. Governance arrangements of the board are strong, effective and compliant with duties.
104. The board has benefited from an independent chair who is strong and commands respect.
"""


def test_improvement_list_inside_a_block_becomes_items_and_ends_at_the_next_title():
    doc = _document(BOARD, profile_named("ofsted"))
    items = [c for c in doc.chunks if c.kind == kinds.RECOMMENDATION]
    assert [c.label for c in items] == ["Recommendation 1", "Recommendation 2", "Recommendation 101",
                                        "Recommendation 102"]
    assert items[2].text.startswith("101. Monitor") and "Key strengths" not in items[3].text
    assert "Key strengths and weaknesses of the board" in [s.title for s in doc.sections]


def test_improvement_words_in_prose_do_not_start_a_list():
    raw = "The board reviewed its plan and\nareas for improvement\n1. were noted in the minutes of the meeting.\n"
    doc = _document(raw, profile_named("ofsted"))
    assert not [c for c in doc.chunks if c.kind == kinds.RECOMMENDATION]


# --- a signature's role line is not a heading ----------------------------------------------------


COVER = """Inspection of a made-up council's children's services

Lead inspectors: Ann Example, His Majesty's Inspector, and Bob Sample,

His Majesty's Inspector

Services for children in the area have improved substantially since the last inspection in the spring.

Leadership and governance

Leaders know their services well and have a clear plan for what should improve next year.
"""


def test_role_line_finishing_a_signature_is_not_a_section():
    titles = [s.title for s in _document(COVER, profile_named("ofsted")).sections]
    assert "His Majesty's Inspector" not in titles and "Leadership and governance" in titles


def test_role_line_alone_is_not_a_section_in_its_family_but_other_reports_keep_titles():
    raw = COVER.replace(", and Bob Sample,", " and Bob Sample.")
    assert "His Majesty's Inspector" not in [s.title for s in _document(raw, profile_named("ofsted")).sections]
    assert "Leadership and governance" in [s.title for s in _document(raw).sections]


def test_a_bracketed_recommendation_tag_ending_a_paragraph_does_not_open_a_list():
    raw = ("Inspection findings\n113. Managers do not yet check that plans for children are reviewed on time and\n"
           "in line with guidance.\n\n(Recommendation)\n\n114. Commissioning arrangements are effective and "
           "give careful attention to the needs of children.\n115. Social workers like working in the area.\n")
    doc = _document(raw, profile_named("ofsted"))
    assert not [c for c in doc.chunks if c.kind == kinds.RECOMMENDATION]
    assert "(Recommendation)" not in [s.title for s in doc.sections]


def test_numbered_paragraphs_after_prose_under_a_recommendations_heading_are_not_items():
    raw = ("Recommendations\n\n150. Ensure that the chair challenges partners who do not attend board meetings.\n\n"
           "The board's findings follow in the rest of this section\nof the made-up report, paragraph by paragraph,\n"
           "with the evidence inspectors saw.\n\n"
           "157. While the board offers a wide range of training, its impact is not yet evaluated well.\n")
    doc = _document(raw, profile_named("ofsted"))
    assert [c.label for c in doc.chunks if c.kind == kinds.RECOMMENDATION] == ["Recommendation 150"]


def test_a_bullet_list_does_not_go_on_into_the_numbered_paragraphs_after_it():
    raw = ("What needs to improve\n\n◼ The quality of plans for children in need.\n\n"
           "◼ The response to children who go missing from home.\n\n"
           "1. Services for children who need help are inadequate because risk is not always recognised.\n\n"
           "2. Since the last visit, leaders have improved the front door, but practice is still too variable.\n")
    doc = _document(raw, profile_named("ofsted"))
    items = [c for c in doc.chunks if c.kind == kinds.RECOMMENDATION]
    assert [c.text[:6] for c in items] == ["◼ The ", "◼ The "]


def test_bullets_under_a_numbered_item_keep_the_list_going():
    raw = ("Recommendations\n\n7. Improve services to care leavers by ensuring that:\n\n"
           "• pathway plans are reviewed regularly and include clear actions\n\n"
           "8. Ensure that decisions about brothers and sisters living together are recorded.\n")
    doc = _document(raw, profile_named("ofsted"))
    assert [c.label for c in doc.chunks if c.kind == kinds.RECOMMENDATION][-1] == "Recommendation 8"


# --- PDF ingest repairs (raised footnote marker, soft hyphen, wrapped bold heading, lone paragraph numbers) ----


def _pdf_document(lines: list, profile_name: str = "ofsted") -> Document:
    from ingest.pdf import PdfPage, join_row_pieces, report_from_pages

    cleaned = report_from_pages([PdfPage(0, 842, join_row_pieces(lines), "")])
    return build_document("made-up", outline(build_blocks(cleaned), profile=profile_named(profile_name)),
                          cleaned.footnotes)


def _improvement_page_lines() -> list:
    from ingest.pdf import PdfLine

    # geometry as PDFium reports it: a 9pt "1" raised after a 14pt title, items, a bold 12pt title over two lines
    return [
        PdfLine("Body text of the opening page runs across the whole width of it here.", 745.6, 733.9, 71.3,
                736.4, 12.0, False, 517.6),
        PdfLine("What needs to improve?", 704.0, 690.5, 71.2, 693.3, 14.0, True, 242.0),
        PdfLine("1", 704.9, 698.4, 243.2, 698.4, 9.0, True, 247.5),
        PdfLine("◼ The uptake of the made-up service and what it does with it.", 681.6, 670.1, 72.0, 672.5,
                12.0, False, 484.0),
        PdfLine("◼ The workloads of the made-up team.", 646.7, 635.1, 72.0, 637.5, 12.0, False, 416.7),
        PdfLine("The experiences and progress of made-up people in the made-up area:", 570.7, 559.1, 70.9,
                561.5, 12.0, True, 505.5),
        PdfLine("good", 556.2, 544.6, 71.2, 547.0, 12.0, True, 142.7),
        PdfLine("1. People receive a very strong offer here. The offer is well supported by five hubs.", 530.0,
                518.4, 71.5, 520.9, 12.0, False, 476.9),
        PdfLine("1 The areas for improvement are made up for this test of footnotes here.", 91.0, 80.8, 71.7,
                86.3, 6.5, False, 518.4),
    ]


def test_a_raised_footnote_number_after_an_improvement_title_does_not_stop_its_list():
    document = _pdf_document(_improvement_page_lines())
    items = [c for c in document.chunks if c.kind == kinds.RECOMMENDATION]
    assert [c.text.split(".")[0] for c in items] == ["◼ The uptake of the made-up service and what it does with it",
                                                     "◼ The workloads of the made-up team"]
    assert all("experiences" not in c.text for c in items)
    note = next(c for c in document.chunks if "areas for improvement are made up" in c.text)
    assert note.kind == kinds.FOOTNOTE


def test_a_bold_title_wrapped_over_two_lines_heads_the_paragraphs_after_it():
    document = _pdf_document(_improvement_page_lines())
    paragraph = next(c for c in document.chunks if c.text.startswith("1. People receive"))
    title = "The experiences and progress of made-up people in the made-up area: good"
    assert any(title in str(part) for part in paragraph.section_path)


def test_a_lone_digit_beside_a_line_in_the_same_font_is_not_a_footnote_marker():
    from ingest.pdf import PdfLine, join_row_pieces

    line = PdfLine("Total", 704.0, 690.5, 71.2, 693.3, 12.0, False, 100.0)
    same = PdfLine("1", 704.0, 690.5, 101.0, 693.3, 12.0, False, 107.0)
    assert "¹" not in " ".join(ln.text for ln in join_row_pieces([line, same]))


def test_soft_hyphen_marks_are_joined_and_never_left_in_the_text():
    from ingest.clean import join_broken_words

    lines = ["their well\ufffebeing and the proba\ufffetion service", "probation is here and self-care",
             "good self\ufffecare at the end well\ufffe", "being \uffff", "\ufffe"]
    out = join_broken_words(lines)
    assert out[0] == "their well-being and the probation service"
    assert out[2].startswith("good self-care at the end well-being")
    assert not any(ch in "".join(out) for ch in "\ufffe\uffff")


def test_a_lone_paragraph_number_is_not_a_sentence():
    from ingest.text import split_sentences

    text = "It was good. 15. Next one here. We saw 3 cases.\n15.\nAlone"
    sentences = [text[s.start : s.end] for s in split_sentences(text)]
    assert sentences == ["It was good.", "Next one here.", "We saw 3 cases.", "Alone"]
    assert [text[s.start : s.end] for s in split_sentences("2.1.")] == []
