"""Build small PDF reports with reportlab for the PDF ingest tests (never committed: built into tmp_path).

`build_report_pdf` lays out paragraphs of the bundled report on A4 pages with a heading in a bigger bold font,
a judgement/grade grid, a running header and a running footer "<title> N" whose printed N differs from the
physical page (physical page 1 prints `first_printed`). A paragraph runs over each page break mid-sentence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen import canvas

from ingest.blocks import build_blocks
from ingest.clean import clean_report, load_report

BUNDLED = Path(__file__).resolve().parents[1] / "corpus" / "staffordshire-and-stoke-2017.txt"
TITLE = "Quality & Impact inspection: Staffordshire and Stoke"
BODY_FONT, BODY_SIZE, LEADING = "Helvetica", 11, 14
MARGIN = 72
GRID = [("Protecting the public", "Good"), ("Reducing reoffending", "Requires improvement"),
        ("Abiding by the sentence", "Good")]


@dataclass
class BuiltPdf:
    path: Path
    paragraphs: list[str]
    pages_of: list[list[int]] = field(default_factory=list)  # physical pages each paragraph is printed on
    first_printed: int = 7

    def printed(self, physical: int) -> int:
        return physical - 1 + self.first_printed


def bundled_paragraphs(count: int = 9, min_words: int = 45) -> list[str]:
    """Long prose paragraphs of the project's own report copy, in order."""
    blocks = build_blocks(clean_report(load_report(BUNDLED)))
    prose = [b.text for b in blocks if len(b.text.split()) >= min_words and b.text.endswith(".")
             and "  " not in b.text and not b.text[:1].isdigit() and _standard_font_can_draw(b.text)]
    return prose[:count]


def _standard_font_can_draw(text: str) -> bool:
    """Helvetica in reportlab draws WinAnsi only (a superscript footnote number would become a box)."""
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return not any(ch in "¹²³" for ch in text)


def build_report_pdf(path: Path, paragraphs: list[str], first_printed: int = 7,
                     heading: str = "Key findings") -> BuiltPdf:
    width, height = A4
    pdf = canvas.Canvas(str(path), pagesize=A4)
    built = BuiltPdf(path, paragraphs, first_printed=first_printed)
    physical = 1
    y = height - MARGIN

    def running_lines() -> None:
        pdf.setFont(BODY_FONT, 9)
        pdf.drawString(MARGIN, height - 36, "HM Inspectorate of Probation")
        pdf.drawString(MARGIN, 30, f"{TITLE} {built.printed(physical)}")

    def new_page() -> None:
        nonlocal physical, y
        running_lines()
        pdf.showPage()
        physical += 1
        y = height - MARGIN

    pdf.setFont("Helvetica-Bold", 18)
    pdf.drawString(MARGIN, y, heading)
    y -= 34
    pdf.setFont(BODY_FONT, BODY_SIZE)
    for judgement, grade in GRID:
        pdf.drawString(MARGIN, y, judgement)
        pdf.drawString(MARGIN + 300, y, grade)
        y -= LEADING + 6
    y -= LEADING
    for text in paragraphs:
        pages = [physical]
        pdf.setFont(BODY_FONT, BODY_SIZE)
        for line in simpleSplit(text, BODY_FONT, BODY_SIZE, width - 2 * MARGIN):
            if y < MARGIN + 20:
                new_page()
                pdf.setFont(BODY_FONT, BODY_SIZE)
                pages.append(physical)
            pdf.drawString(MARGIN, y, line)
            y -= LEADING
        built.pages_of.append(pages)
        y -= LEADING  # the gap between paragraphs
    running_lines()
    pdf.showPage()
    pdf.save()
    return built


def build_text_free_pdf(path: Path, pages: int = 2) -> Path:
    """A 'scan': pages with only drawn shapes, no text layer."""
    pdf = canvas.Canvas(str(path), pagesize=A4)
    for _ in range(pages):
        pdf.rect(100, 100, 300, 500, fill=1)
        pdf.showPage()
    pdf.save()
    return path


def build_encrypted_pdf(path: Path) -> Path:
    from reportlab.lib import pdfencrypt

    pdf = canvas.Canvas(str(path), pagesize=A4,
                        encrypt=pdfencrypt.StandardEncryption("secret", ownerPassword="owner", canPrint=0))
    pdf.drawString(72, 700, "A confidential inspection report with enough words to count as text.")
    pdf.showPage()
    pdf.save()
    return path



TEAM = [("Lead inspector", "Ann Example"), ("Deputy lead inspector", "Ben Sample"),
        ("Senior data analyst", "Cat Placeholder"), ("Quality assurance manager", "Dan Invented")]


def build_spaced_list_pdf(path: Path, paragraphs: list[str]) -> Path:
    """One page of prose, then a "Label: value" list printed with a paragraph-sized gap between its entries
    (Ofsted's "The inspection team" page): each entry is one short line standing alone."""
    pdf = canvas.Canvas(str(path), pagesize=A4)
    y = A4[1] - MARGIN
    pdf.setFont(BODY_FONT, BODY_SIZE)
    for text in paragraphs:
        for line in simpleSplit(text, BODY_FONT, BODY_SIZE, A4[0] - 2 * MARGIN):
            pdf.drawString(MARGIN, y, line)
            y -= LEADING
        y -= LEADING
    pdf.drawString(MARGIN, y, "The team")
    for label, name in TEAM:
        y -= 2 * LEADING
        pdf.drawString(MARGIN, y, f"{label}: {name}")
    pdf.showPage()
    pdf.save()
    return path


HEADLINE = "Services for children in Northwick are good"  # a title that states a grade (made up)
GRADED_TITLES = [  # (title lines at 14pt bold, the grade, printed a column away or run on after the title)
    (["The experiences and progress of", "children in the imagined care service"], "Requires improvement", "cell"),
    (["Leadership, management and", "governance of the service"], "Inadequate", "cell"),
    (["The help and protection given to", "children by the service"], "Requires improvement", "run on"),
]


def build_titled_domains_pdf(path: Path, paragraphs: list[str]) -> Path:
    """An Ofsted-like report (made-up titles): a 16pt headline stating the overall grade above prose, then one
    page per domain whose 14pt bold title wraps over two lines with its grade beside the last line (in a
    cell of its own, or run on at the end of the line as PDFium sometimes reads it), a bold "Summary" and prose.
    No two titles share a line (a line at the top of many pages would be a running header).
    "Ofsted" is named in the first paragraph so the family's grade words apply."""
    pdf = canvas.Canvas(str(path), pagesize=A4)
    width, height = A4

    def prose(y: float, text: str) -> float:
        pdf.setFont(BODY_FONT, BODY_SIZE)
        for line in simpleSplit(text, BODY_FONT, BODY_SIZE, width - 2 * MARGIN):
            pdf.drawString(MARGIN, y, line)
            y -= LEADING
        return y - LEADING

    y = height - MARGIN
    pdf.setFont("Helvetica-Bold", 16)
    pdf.drawString(MARGIN, y, HEADLINE)
    y = prose(y - 30, "Ofsted inspected these services. " + paragraphs[0])
    pdf.showPage()
    for (lines, grade, where), text in zip(GRADED_TITLES, paragraphs[1:], strict=False):
        y = height - MARGIN
        pdf.setFont("Helvetica-Bold", 14)
        for k, line in enumerate(lines):
            last = k == len(lines) - 1
            pdf.drawString(MARGIN, y, f"{line} {grade}" if last and where == "run on" else line)
            if last and where == "cell":
                pdf.drawString(MARGIN + 300, y, grade)
            y -= 17
        y -= 14
        pdf.setFont("Helvetica-Bold", BODY_SIZE)
        pdf.drawString(MARGIN, y, "Summary")
        y = prose(y - 28, text)
        pdf.showPage()
    pdf.save()
    return path
