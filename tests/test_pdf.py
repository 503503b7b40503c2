"""PDF ingest: a PDF built here from the bundled report's text, bad PDFs, and the real Ofsted PDFs (slow)."""

from __future__ import annotations

import os
import random
import re
from pathlib import Path

import pytest

from ingest.errors import InputError
from ingest.pdf import (
    PdfLine,
    PdfPage,
    extract_pdf,
    join_grid_rows,
    join_note_markers,
    join_row_pieces,
    report_from_pages,
)
from ingest.pipeline import _read_bytes, parse_report
from ingest.records import Chunk, Document
from tests.pdf_fixture import (
    TEAM,
    TITLE,
    build_encrypted_pdf,
    build_report_pdf,
    build_spaced_list_pdf,
    build_text_free_pdf,
    bundled_paragraphs,
)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build_report_pdf(tmp_path_factory.mktemp("pdf") / "report.pdf", bundled_paragraphs())


@pytest.fixture(scope="module")
def document(built) -> Document:
    return parse_report(built.path)


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def test_running_footer_and_header_removed(built):
    text = "\n".join(line.text for line in extract_pdf(built.path).lines)
    assert TITLE not in text
    assert "HM Inspectorate of Probation" not in text
    assert "Key findings" in text


def test_printed_page_comes_from_the_footer_and_pdf_page_is_physical(built):
    lines = extract_pdf(built.path).lines
    assert {(ln.page, ln.pdf_page) for ln in lines} == {(7, 1), (8, 2)}
    assert lines[0].page_start and lines[0].page == 7


def test_a_quote_cites_printed_and_physical_pages(built, document):
    last = built.paragraphs[-1]
    quote = " ".join(last.split()[:12])
    chunk = next(c for c in document.chunks if quote in _squash(c.text))
    assert chunk.pages == [built.printed(p) for p in built.pages_of[-1]] == [8]
    assert chunk.pdf_pages == built.pages_of[-1] == [2]
    assert document.pdf_page_starts[0] == (0, 1)


def test_paragraphs_come_back_whole_across_line_and_page_breaks(built, document):
    joined = "\n".join(c.text for c in document.chunks)
    for paragraph, pages in zip(built.paragraphs, built.pages_of, strict=True):
        words = paragraph.split()
        assert _squash(" ".join(words[:25])) in joined, paragraph[:60]
        if len(pages) > 1:  # the one running over the page break: its end joins its start
            assert _squash(" ".join(words[-30:])) in joined


def test_heading_in_a_bigger_font_is_a_section(document):
    assert document.sections[0].title == "Key findings"


def test_grid_rows_keep_judgement_and_grade_apart(built):
    lines = [ln.text for ln in extract_pdf(built.path).lines]
    assert "Reducing reoffending   Requires improvement" in lines


def test_chunk_pdf_pages_round_trip_and_old_chunks_still_load(document):
    chunk = document.chunks[-1]
    assert Chunk.from_json(chunk.to_json()).pdf_pages == chunk.pdf_pages
    old = chunk.to_json()
    del old["pdf_pages"]
    assert Chunk.from_json(old).pdf_pages == []


def test_a_pdf_ingests_and_its_physical_pages_survive_the_index(built, tmp_path):
    from ingest import store
    from ingest.pipeline import ingest
    from ingest.settings import load_settings
    from tests.fakes import HashingEmbedder

    result = ingest(built.path, load_settings(index_root=tmp_path / "index"), embedder=HashingEmbedder())
    loaded = store.load_index(result.index_dir).document
    assert loaded.pdf_page_starts == result.document.pdf_page_starts == [(0, 1), loaded.pdf_page_starts[1]]
    assert [c.pdf_pages for c in loaded.chunks] == [c.pdf_pages for c in result.document.chunks]
    assert loaded.chunks[-1].pdf_pages == [2]


def test_text_reports_have_no_pdf_pages(tmp_path):
    path = tmp_path / "plain.txt"
    path.write_text("Summary\n\n" + " ".join(bundled_paragraphs(2)) + "\n", encoding="utf-8")
    doc = parse_report(path)
    assert doc.pdf_page_starts == [] and all(c.pdf_pages == [] for c in doc.chunks)


def test_dispatch_is_by_content_not_name(built, tmp_path):
    renamed = tmp_path / "report.txt"
    renamed.write_bytes(built.path.read_bytes())
    assert parse_report(renamed).chunks[0].pdf_pages == [1]


def test_html_saved_as_pdf_is_named_in_one_line(tmp_path):
    path = tmp_path / "ofsted-rotherham.pdf"
    path.write_text("<!DOCTYPE html>\n<html><head><title>Ofsted</title></head><body>Not found</body></html>\n")
    for call in (parse_report, _read_bytes):
        with pytest.raises(InputError, match=r"ofsted-rotherham\.pdf is not a PDF .*HTML") as err:
            call(path)
        assert "\n" not in str(err.value)


def test_corrupt_pdf(tmp_path, built):
    path = tmp_path / "broken.pdf"
    path.write_bytes(built.path.read_bytes()[:400])
    with pytest.raises(InputError, match=r"broken\.pdf is a damaged PDF"):
        _read_bytes(path)


def test_encrypted_pdf(tmp_path):
    path = build_encrypted_pdf(tmp_path / "locked.pdf")
    with pytest.raises(InputError, match=r"locked\.pdf is password-protected"):
        parse_report(path)


def test_pdf_without_text_layer(tmp_path):
    path = build_text_free_pdf(tmp_path / "scan.pdf")
    with pytest.raises(InputError, match=r"scan\.pdf has no text layer.*OCR"):
        parse_report(path)


def test_missing_pdf(tmp_path):
    with pytest.raises(InputError, match=r"report not found: .*gone\.pdf"):
        _read_bytes(tmp_path / "gone.pdf")


def test_empty_pdf_file(tmp_path):
    path = tmp_path / "empty.pdf"
    path.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        parse_report(path)


def _line(text: str, y: float) -> PdfLine:
    return PdfLine(text, y + 9, y - 2, 72, y, 11, False)


def test_page_labels_win_over_footers_and_years_are_not_page_numbers():
    pages = [PdfPage(i, 842, [_line("Body text on this page of the report.", 700),
                              _line(f"Published 2016 {i + 3}", 30)], label="") for i in range(3)]
    report = report_from_pages(pages)
    assert [ln.page for ln in report.lines if ln.page_start] == [3, 4, 5]
    pages[1].label = "40"
    assert [ln.page for ln in report_from_pages(pages).lines if ln.page_start] == [3, 40, 5]
    dated = [PdfPage(i, 842, [_line("Body text.", 700), _line("Report 2016", 30)], "") for i in range(3)]
    assert [ln.page for ln in report_from_pages(dated).lines if ln.page_start] == [1, 2, 3]


def test_a_raised_footnote_number_joins_its_note():
    marker = PdfLine("1", 95, 90, 71, 90, 6.5, False, 75)
    note = PdfLine("The local authority was given the opportunity to review this.", 93, 83, 78, 85, 10, False, 500)
    joined = join_note_markers([marker, note])
    assert [ln.text for ln in joined] == ["1 The local authority was given the opportunity to review this."]
    report = report_from_pages([PdfPage(0, 842, [_line("Body text about the area1 and more.", 700), *joined], "")])
    assert report.footnotes == {1: "The local authority was given the opportunity to review this."}
    assert report.lines[0].text == "Body text about the area¹ and more."


def test_a_cell_printed_beside_two_wrapped_lines_joins_them_as_one_row():
    lines = [PdfLine("The experiences and progress of", 536, 525, 77, 527, 12, False, 250),
             PdfLine("children in care", 522, 510, 77, 513, 12, False, 160),
             PdfLine("Outstanding", 530, 519, 303, 520, 12, False, 370),
             PdfLine("A long paragraph of body text that runs the whole width of the page ...", 480, 470, 72, 471,
                     12, False, 520)]
    assert [ln.text for ln in join_grid_rows(lines)] == [
        "The experiences and progress of children in care   Outstanding",
        "A long paragraph of body text that runs the whole width of the page ..."]


def test_a_spaced_label_list_stays_one_passage_not_a_heading_per_entry(tmp_path):
    path = build_spaced_list_pdf(tmp_path / "team.pdf", bundled_paragraphs(2))
    document = parse_report(path)
    entries = " ".join(f"{label}: {name}" for label, name in TEAM)
    assert any(entries in chunk.text for chunk in document.chunks)
    titles = {section.title for section in document.sections}
    assert not any(label in title for title in titles for label, _ in TEAM)
    lines = [ln.text for ln in extract_pdf(path).lines]
    assert lines[lines.index("The team") + 1] == ""  # the list's title and a prose paragraph keep their breaks


def test_a_piece_broken_off_at_a_raised_footnote_number_continues_its_line():
    # geometry as PDFium reports a bullet of a real Ofsted PDF: the piece starts right of "schools," level with it
    start = PdfLine("• Seven live in residential special schools,", 310.0, 298.5, 116.5, 300.9, 12.0, False, 341.0)
    piece = PdfLine("3 of whom 100% live out of the", 310.0, 300.7, 343.9, 300.9, 12.0, False, 520.0)
    below = PdfLine("authority area.", 295.6, 284.1, 133.7, 286.5, 12.0, False, 210.0)
    grade = PdfLine("Good", 310.0, 298.5, 420.0, 300.9, 12.0, False, 450.0)
    assert [ln.text for ln in join_row_pieces([start, piece, below])] == [
        "• Seven live in residential special schools,3 of whom 100% live out of the", "authority area."]
    assert len(join_row_pieces([start, grade])) == 2  # a cell further right is not a piece of the line
    report = report_from_pages([PdfPage(0, 842, join_row_pieces([start, piece, below]), "")])
    assert "" not in [ln.text for ln in report.lines]


# --- the real Ofsted PDFs -----------------------------------------------------------------------------------

SHARED = Path(os.environ.get("REPORT_QA_SHARED") or Path(__file__).resolve().parents[2] / "shared")
OTHER_REPORTS = SHARED / "corpus" / "other-reports"


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.lower())


def _footer_numbers(txt: Path) -> list[int | None]:
    """The printed page number of each physical page of a pdftotext copy (one form feed per page)."""
    numbers = []
    for page in txt.read_text(encoding="utf-8").split("\f"):
        found = [int(line) for line in page.split("\n") if re.fullmatch(r"\s*\d{1,3}\s*", line)]
        numbers.append(found[-1] if found else None)
    return numbers


@pytest.mark.slow
def test_printed_pages_of_sampled_sentences_match_the_real_pdfs():
    pdfs = sorted(OTHER_REPORTS.glob("*.pdf"))
    if not pdfs:
        pytest.skip(f"{OTHER_REPORTS} absent: ../shared/corpus absent")
    rng = random.Random(2026)
    checked, right, wrong = 0, 0, []
    quotas = [40 // len(pdfs) + (k < 40 % len(pdfs)) for k in range(len(pdfs))]
    for pdf, quota in zip(pdfs, quotas, strict=True):
        doc = parse_report(pdf)
        txt_pages = [_norm(p) for p in pdf.with_suffix(".txt").read_text(encoding="utf-8").split("\f")]
        printed = _footer_numbers(pdf.with_suffix(".txt"))
        sentences = [(c, s) for c in doc.chunks for s in c.sentences if s.end - s.start > 60]
        rng.shuffle(sentences)
        taken = 0
        for chunk, span in sentences:
            key = _norm(chunk.text[span.start : span.end])[:50]
            where = [i for i, page in enumerate(txt_pages) if key in page]
            if len(where) != 1 or printed[where[0]] is None:
                continue  # printed on more than one page, or split over a page break in the copy
            got = doc.pages_for(chunk.start + span.start, chunk.start + span.end)[0]
            checked, right = checked + 1, right + (got == printed[where[0]])
            assert where[0] + 1 in chunk.pdf_pages
            if got != printed[where[0]]:
                wrong.append((pdf.name, got, printed[where[0]], chunk.text[span.start : span.start + 50]))
            taken += 1
            if taken == quota:
                break
    share = right / checked
    print(f"printed page right for {right}/{checked} sampled sentences ({share:.0%}); wrong: {wrong}")
    assert checked >= 35 and share >= 0.95, wrong


@pytest.mark.slow
def test_ofsted_grading_grid_comes_out_as_judgement_grade_rows():
    pdf = OTHER_REPORTS / "ofsted-birmingham-2016.pdf"
    if not pdf.exists():
        pytest.skip(f"{pdf} absent: ../shared/corpus absent")
    first_page = [ln.text for ln in extract_pdf(pdf).lines if ln.pdf_page == 1]
    assert "3. Leadership, management and governance   Inadequate" in first_page
    assert "2. Children looked after and achieving permanence   Requires improvement" in first_page


# --- grading grids of every layout, outline headings, headline sentences ---------------------------

ILACS_ROWS = [  # (label lines, grade lines): wrapped labels, a grade cell wrapped under itself
    (["The impact of leaders on social work", "practice with children and families"],
     ["Requires improvement", "to be good"]),
    (["The experiences and progress of", "children who need help and protection"], ["Good"]),
    (["The experiences and progress of", "children in care"], ["Outstanding"]),
    (["Overall effectiveness"], ["Requires Improvement", "to be good"]),
]
BOOKMARKED = "Children in care, and care leavers"  # a comma: no title by its words, only by the outline


def _build_grid_pdf(path: Path, paragraphs: list[str]) -> Path:
    """An Ofsted-2018+-like first page: a 26pt title, a "Judgement   Grade" grid whose labels and grades wrap,
    a big-font headline sentence; then prose, a 14pt "What needs to improve?" and a body-font line only the
    PDF outline marks as a heading. "Ofsted" is named on the last page only."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import simpleSplit
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path), pagesize=A4)
    width, height = A4
    y = height - 90

    def prose(text: str) -> None:
        nonlocal y
        pdf.setFont("Helvetica", 11)
        for line in simpleSplit(text, "Helvetica", 11, width - 144):
            pdf.drawString(72, y, line)
            y -= 14
        y -= 14

    pdf.setFont("Helvetica", 26)
    pdf.drawString(72, y, "Inspection of Northwick local authority")
    y -= 60
    pdf.setFont("Helvetica-Bold", 11)
    pdf.drawString(76, y, "Judgement")
    pdf.drawString(300, y, "Grade")
    y -= 30
    pdf.setFont("Helvetica", 11)
    for labels, grades in ILACS_ROWS:
        for k, text in enumerate(labels):
            pdf.drawString(76, y - 14 * k, text)
        for k, text in enumerate(grades):
            pdf.drawString(300, y - 14 * k, text)
        y -= 14 * max(len(labels), len(grades)) + 14
    y -= 10
    pdf.setFont("Helvetica-Bold", 14)
    for line in ["There are widespread and serious failures that leave", "children at risk of harm"]:
        pdf.drawString(72, y, line)
        y -= 17
    y -= 14
    prose(paragraphs[0])
    pdf.setFont("Helvetica-Bold", 14)
    pdf.drawString(72, y, "What needs to improve?")
    y -= 28
    prose(paragraphs[1])
    pdf.showPage()
    y = height - 90
    pdf.bookmarkPage("care")
    pdf.addOutlineEntry(BOOKMARKED, "care", level=0)
    pdf.setFont("Helvetica", 11)
    pdf.drawString(72, y, BOOKMARKED)
    y -= 28
    prose(paragraphs[2])
    prose("Ofsted is the Office for Standards in Education. This publication is Crown copyright.")
    pdf.showPage()
    pdf.save()
    return path


@pytest.fixture(scope="module")
def grid_document(tmp_path_factory) -> Document:
    path = _build_grid_pdf(tmp_path_factory.mktemp("grid") / "northwick.pdf", bundled_paragraphs(3))
    return parse_report(path)


def test_a_wrapped_grid_with_wrapped_grades_is_one_judgements_table(grid_document):
    tables = [c.table for c in grid_document.chunks if c.label == "Judgements"]
    assert len(tables) == 1
    assert tables[0].rows == [
        ["The impact of leaders on social work practice with children and families", "Requires improvement to be good"],
        ["The experiences and progress of children who need help and protection", "Good"],
        ["The experiences and progress of children in care", "Outstanding"],
        ["Overall effectiveness", "Requires improvement to be good"],  # spelt as the profile spells it
    ]
    assert "Judgement Grade" not in [s.title for s in grid_document.sections]  # the grid's header row


def test_a_bookmark_and_a_big_font_make_headings_a_headline_sentence_stays_text(grid_document):
    titles = [s.title for s in grid_document.sections]
    assert BOOKMARKED in titles
    assert "What needs to improve?" in titles
    headline = "There are widespread and serious failures that leave children at risk of harm"
    assert headline not in titles
    assert any(headline in c.text for c in grid_document.chunks)


def test_a_cell_wrapped_under_itself_continues_its_row():
    lines = [PdfLine("The impact of leaders on social work", 536, 525, 77, 527, 12, False, 250),
             PdfLine("practice with children and families", 522, 510, 77, 513, 12, False, 240),
             PdfLine("Requires improvement", 536, 525, 304, 527, 12, False, 420),
             PdfLine("to be good", 522, 510, 304, 513, 12, False, 360),
             PdfLine("The experiences and progress of", 494, 483, 77, 485, 12, False, 250)]
    rows = [ln.text for ln in join_grid_rows(lines)]
    assert rows == ["The impact of leaders on social work practice with children and families   "
                    "Requires improvement to be good", "The experiences and progress of"]


@pytest.mark.slow
def test_every_library_report_with_a_grading_grid_gets_its_judgements_table():
    library = SHARED / "corpus" / "library"
    if not library.is_dir():
        pytest.skip(f"{library} absent: ../shared/corpus absent")
    from scripts.judgement_coverage import coverage

    found = coverage(sorted(library.glob("*.pdf")))
    gridded = [r for r in found if r.grid_on_page]
    covered = [r for r in gridded if r.rows]
    assert len(gridded) >= 100 and len(covered) >= 0.95 * len(gridded), [r.report for r in gridded if not r.rows]


def test_a_dated_field_or_a_statement_in_a_big_font_is_no_title():
    from ingest.pdf import _is_title

    def big(text: str) -> PdfLine:
        return PdfLine(text, 600, 586, 72, 588, 14, True, 400)

    assert _is_title(big("What needs to improve?"), 12)
    assert _is_title(big("The experiences and progress of children in care: outstanding"), 12)
    assert not _is_title(big("Inspection date: 1/06/2015 – 25/06/2015"), 12)  # its text is an answer
    assert not _is_title(big("There are widespread and serious failures that leave children at risk of harm"), 12)
    assert not _is_title(PdfLine("What needs to improve?", 600, 588, 72, 590, 12, True, 400), 12)  # body size
