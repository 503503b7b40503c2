"""A checked quiz (retrieval.quiz) written out: Markdown, .docx, Moodle GIFT and CSV.

Every format starts with the report's title, publisher and date and gives each answer key its citation:
section, the quote's printed page and the quote itself. Pure functions from a `Quiz` to text or bytes.

    text = quiz_text(quiz, "gift")             # Moodle: Question bank > Import > GIFT format
"""

from __future__ import annotations

import csv
import io
import re

from retrieval.quiz import Quiz, QuizItem
from ui.handout import readable_date
from ui.render import drop_footnote_marks, pages_text

FORMATS = ("md", "docx", "gift", "csv")
SUFFIXES = {"md": ".md", "docx": ".docx", "gift": ".gift.txt", "csv": ".csv"}
CSV_COLUMNS = ("number", "kind", "question", "option_a", "option_b", "option_c", "option_d", "answer",
               "correct_option", "report", "publisher", "date", "section", "pages", "quote", "checked")
LETTERS = "ABCD"


def quiz_text(quiz: Quiz, fmt: str) -> str:
    """The quiz as text in `fmt` (md, gift or csv; .docx is bytes: see `quiz_docx`)."""
    writers = {"md": quiz_markdown, "gift": quiz_gift, "csv": quiz_csv}
    if fmt not in writers:
        raise ValueError(f"no text form for {fmt!r}; use one of {', '.join(writers)} (or quiz_docx)")
    return writers[fmt](quiz)


def quiz_bytes(quiz: Quiz, fmt: str) -> bytes:
    return quiz_docx(quiz) if fmt == "docx" else quiz_text(quiz, fmt).encode("utf-8")


def heading(quiz: Quiz) -> str:
    """Example: "Quiz: Staffordshire and Stoke 2017"."""
    return f"Quiz: {quiz.report.title}"


def byline(quiz: Quiz) -> str:
    """Example: "HM Inspectorate of Probation, January 2017 · 10 questions, each answered by the system as keyed"."""
    who = ", ".join([quiz.report.publisher or "publisher not known", readable_date(quiz.report.date) or "undated"])
    scope = f" · sections: {', '.join(quiz.sections)}" if quiz.sections else ""
    theme = f" · theme: {quiz.theme}" if quiz.theme else ""
    return f"{who} · {len(quiz.items)} questions, each answered by the system as keyed{scope}{theme}"


def reference(item: QuizItem) -> str:
    """Example: "Staffordshire and Stoke 2017, Appendix 4: Glossary, p. 61"."""
    c = item.citation
    return f"{c.report}, {c.section}, {pages_text(c.pages) or 'page not known'}"


def quote(item: QuizItem) -> str:
    """The quote on one line, footnote marks dropped (the quiz carries no footnotes)."""
    return " ".join(drop_footnote_marks(item.citation.quote).split())


# ---------- Markdown ----------


def _md(text: str) -> str:
    """Report text in Markdown, always after a prefix ("**1.** ", "- A. ", "> "): only "<" is escaped, as
    it alone can open a tag. Example: "<b> & 6 sessions" -> "&lt;b> & 6 sessions"."""
    return text.replace("<", "&lt;")


SHORT_ANSWER = "*Answer: ______________________*"  # an item with no options is answered in the trainee's words


def quiz_markdown(quiz: Quiz) -> str:
    """Questions first (options A–D), then the answer key with each answer's quote and page."""
    parts = [f"# {_md(heading(quiz))}", f"*{_md(byline(quiz))}*", "## Questions"]
    for number, item in enumerate(quiz.items, 1):
        lines = [f"**{number}.** {_md(item.question)}"]
        lines += [f"- {LETTERS[i]}. {_md(option)}" for i, option in enumerate(item.options)] or [SHORT_ANSWER]
        parts.append("\n".join(lines))
    parts.append("## Answer key")
    for number, item in enumerate(quiz.items, 1):
        letter = f"{LETTERS[item.correct]}. " if item.correct is not None else ""
        parts.append(f"**{number}.** {letter}{_md(item.answer)}\n\n> {_md(quote(item))}\n>\n"
                     f"> — {_md(reference(item))}")
    return "\n\n".join(parts) + "\n"


# ---------- .docx ----------


def quiz_docx(quiz: Quiz) -> bytes:
    """The quiz as .docx bytes: title, byline, questions, then the answer key with quotes and pages."""
    from docx import Document
    from docx.shared import Pt

    doc = Document()
    doc.add_heading(heading(quiz), level=0)
    doc.add_paragraph(byline(quiz))
    doc.add_heading("Questions", level=1)
    for number, item in enumerate(quiz.items, 1):
        doc.add_paragraph(f"{number}. {item.question}")
        for i, option in enumerate(item.options):
            doc.add_paragraph(f"{LETTERS[i]}. {option}", style="List Bullet")
        if not item.options:
            doc.add_paragraph(SHORT_ANSWER.strip("*"))
    doc.add_heading("Answer key", level=1)
    for number, item in enumerate(quiz.items, 1):
        letter = f"{LETTERS[item.correct]}. " if item.correct is not None else ""
        doc.add_paragraph(f"{number}. {letter}{item.answer}")
        doc.add_paragraph(quote(item), style="Quote")
        doc.add_paragraph(f"— {reference(item)}").runs[0].font.size = Pt(9)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


# ---------- Moodle GIFT ----------

_GIFT_SPECIAL = re.compile(r"([~=#{}:\\])")


def gift_escape(text: str) -> str:
    """GIFT's special characters backslash-escaped, on one line.

    Example: "p. 6: 43% {est.} = ~half #1" -> "p. 6\\: 43% \\{est.\\} \\= \\~half \\#1".
    """
    return _GIFT_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def quiz_gift(quiz: Quiz) -> str:
    """Moodle GIFT: multiple choice where the item has options, else short answer; the citation is each
    question's general feedback (shown after the attempt)."""
    lines = [f"// {' '.join(heading(quiz).split())}", f"// {' '.join(byline(quiz).split())}", ""]
    for number, item in enumerate(quiz.items, 1):
        feedback = gift_escape(f"{reference(item)}: “{quote(item)}”")
        if item.options:
            choices = " ".join(("=" if option == item.answer else "~") + gift_escape(option)
                               for option in item.options)
        else:
            choices = "=" + gift_escape(item.answer)
        lines.append(f"::Q{number} {item.kind}::{gift_escape(item.question)} {{{choices} ####{feedback}}}")
        lines.append("")
    return "\n".join(lines)


# ---------- CSV ----------


def quiz_csv(quiz: Quiz) -> str:
    """One row per question in CSV_COLUMNS: up to four options, the key and its letter, the citation."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for number, item in enumerate(quiz.items, 1):
        options = [*item.options, "", "", "", ""][:4]
        letter = LETTERS[item.correct] if item.correct is not None else ""
        c = item.citation
        writer.writerow([number, item.kind, item.question, *options, item.answer, letter, c.report,
                         quiz.report.publisher, quiz.report.date, c.section, " ".join(map(str, c.pages)),
                         quote(item), "yes" if item.checked else "no"])
    return out.getvalue()
