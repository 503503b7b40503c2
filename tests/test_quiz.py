"""The trainers' cited quiz: candidates per kind, the self-check, the four export formats, bad input."""

from __future__ import annotations

import csv
import io
import re
import time

import pytest

from ingest.errors import ReportQAError
from ingest.records import GLOSSARY, KEY_FACT, PRACTICE_EXAMPLE, RECOMMENDATION, TABLE
from retrieval import quiz as q
from retrieval.records import Answer


@pytest.fixture(scope="module")
def pool(fake_engine):
    return q.candidates(fake_engine.document, q.report_of(fake_engine))


def _of(pool, kind):
    return [i for i in pool if i.kind == kind]


def _chunk(engine, chunk_id):
    return next(c for c in engine.document.chunks if c.id == chunk_id)


def test_every_kind_gives_candidates_with_verbatim_quotes_and_their_pages(fake_engine, pool):
    assert {i.kind for i in pool} == set(q.QUIZ_KINDS)
    for item in pool:
        chunk = _chunk(fake_engine, item.citation.chunk_id)
        assert item.citation.quote and item.citation.quote in chunk.text  # verbatim
        assert item.citation.pages and set(item.citation.pages) <= set(chunk.pages)
        assert item.citation.report == q.report_of(fake_engine).title
        if item.options:
            assert item.correct is not None and len(set(item.options)) == len(item.options) <= q.OPTIONS
    assert pool[: len(q.QUIZ_KINDS)] == [next(i for i in pool if i.kind == k) for k in q.QUIZ_KINDS]  # turns


def test_glossary_items_ask_for_an_acronym_with_other_expansions_as_distractors(fake_engine, pool):
    glossary = _of(pool, GLOSSARY)
    acronyms = [i for i in glossary if "stand for" in i.question]
    terms = [i for i in glossary if "mean by" in i.question]
    assert acronyms and terms
    entry = _chunk(fake_engine, acronyms[0].citation.chunk_id)
    assert acronyms[0].question == f"What does {entry.term} stand for?"
    assert entry.text.startswith(f"{entry.term} {acronyms[0].answer}")
    keys = {i.answer for i in acronyms}
    assert len(acronyms[0].options) == 4 and set(acronyms[0].options) <= keys  # same-kind values only


def test_key_facts_ask_for_their_figure_with_figures_of_the_same_unit(pool):
    facts = _of(pool, KEY_FACT)
    assert facts
    share = next(i for i in facts if i.answer.endswith("%"))
    assert share.question.startswith("What proportion of ") and share.question.endswith("?")
    assert all(o.endswith("%") for o in share.options)
    assert share.citation.quote.startswith(share.answer)
    assert q.fact_question("The number of cases seen by the panel¹") .startswith("What is the number of cases")
    assert q.fact_question("The proportion of cases which were late") == "What proportion of cases were late?"


def test_table_rows_ask_a_column_of_a_row_and_draw_options_from_that_column(fake_engine, pool):
    rows = _of(pool, TABLE)
    assert rows
    for item in rows:
        table = _chunk(fake_engine, item.citation.chunk_id).table
        assert table.complete and re.search(r"[A-Za-z]", item.question)
        column = next(j for j, c in enumerate(table.columns)
                      if item.question.startswith(f"What is the {q.column_phrase(c)} for "))
        values = {r[column] for r in table.rows}
        assert item.answer in values
        assert item.answer in item.citation.quote
    asked = [i.question for i in rows]
    assert len(asked) == len(set(asked))  # a row label in two tables (two right answers) is left out


def test_recommendations_ask_who_or_a_blanked_key_term_never_quoting_the_key(fake_engine, pool):
    recs = _of(pool, RECOMMENDATION)
    who = [i for i in recs if i.question.startswith("According to the report, who should ")]
    cloze = [i for i in recs if i.question.startswith("Which words complete this recommendation")]
    assert who and cloze and len(who) + len(cloze) == len(recs)
    for item in recs:
        assert normalise(item.answer) not in normalise(item.question)  # no giveaway
        assert len(item.options) >= 3 and item.correct is not None
    for item in who:
        chunk = _chunk(fake_engine, item.citation.chunk_id)
        assert item.answer == chunk.addressed_to and item.check_phrase == f"{item.answer} should"
        assert all(o.startswith("The ") for o in item.options)  # bodies the report addresses, nothing else
        body = item.question.removeprefix("According to the report, who should ").rstrip("?")
        assert normalise(body) in normalise(chunk.text)  # the whole recommendation, not a fragment of it
    for item in cloze:
        assert "___" in item.question and item.answer in item.citation.quote
        assert all(len(o.split()) <= 4 for o in item.options)  # key terms, like the key
    examples = _of(pool, PRACTICE_EXAMPLE)
    assert examples and all(i.must_mention and i.must_mention[0] in i.question for i in examples)
    assert all(i.answer in ("Good practice", "Poor practice") and len(i.options) == 2 for i in examples)


def test_an_addressee_item_wants_that_addressee_not_a_joint_one():
    citation = q.QuizCitation("r", "R", "s", [1], "q", "c")
    item = q.QuizItem(RECOMMENDATION, "According to the report, who should act?", "The Council", citation,
                      check_phrase="The Council should")
    assert q.answer_matches(item, "The Council should: 5. act on it [1]")
    assert not q.answer_matches(item, "The Council and the Board should: 5. act on it [1]")


def normalise(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def test_statistics_are_asked_as_a_cloze_of_their_sentence(fake_engine, pool):
    stats = _of(pool, q.STATISTIC)
    assert stats
    for item in stats:
        assert item.answer.endswith("%") and "___" in item.question and item.answer not in item.question
        assert item.answer in item.citation.quote
        assert all(o.endswith("%") for o in item.options)
    chunk = next(c for c in fake_engine.document.chunks if q._statements(c))
    span, value = q._statements(chunk)[0]
    assert value in chunk.text[span.start : span.end]


def test_answer_matching_keeps_number_boundaries_and_reads_long_keys_by_their_words():
    item = q.QuizItem(KEY_FACT, "q?", "43%", q.QuizCitation("r", "R", "s", [1], "43%", "c"))
    assert q.answer_matches(item, "43% The proportion of cases [1]")
    assert not q.answer_matches(item, "143% of cases") and not q.answer_matches(item, "43.5% of cases")
    long = q.QuizItem(RECOMMENDATION, "q?", "develop a structured plan for the deployment of rehabilitative "
                      "interventions across the county", item.citation)
    assert q.answer_matches(long, "The CRC should: 3. develop a structured plan (with timescales) for the "
                                  "deployment of all rehabilitative interventions across the county [1]")
    assert not q.answer_matches(long, "develop a plan [1]")
    person = q.QuizItem(PRACTICE_EXAMPLE, "q?", "Good practice", item.citation, must_mention=["Ada"])
    assert q.answer_matches(person, "Good practice example: Ada is ...")
    assert not q.answer_matches(person, "Good practice example: Bo is ...")


class WrongOnce:
    """The fake engine, answering one chosen question wrongly (to see the self-check drop it)."""

    def __init__(self, engine, wrong: str) -> None:
        self.inner, self.wrong, self.asked = engine, wrong, []
        self.document, self.manifest = engine.document, engine.manifest

    def ask(self, question: str, **kwargs) -> Answer:
        self.asked.append(question)
        if question == self.wrong:
            return Answer(question=question, answer="Something else entirely [1]", abstained=False)
        return self.inner.ask(question, **kwargs)


def test_the_self_check_drops_an_item_the_engine_answers_otherwise(fake_engine, pool):
    first = pool[0]
    engine = WrongOnce(fake_engine, first.question)
    quiz = q.build_quiz(engine, n=5)
    assert first.question not in [i.question for i in quiz.items]
    assert first.question in [i.question for i in quiz.dropped]
    assert len(quiz.items) == 5 and all(i.checked and i.engine_answer for i in quiz.items)
    assert quiz.asked == len(quiz.items) + len(quiz.dropped) == len(engine.asked)
    assert quiz.generated == len(pool)
    unchecked = q.build_quiz(engine, n=3, check=False)
    assert len(unchecked.items) == 3 and not any(i.checked for i in unchecked.items)


def test_sections_and_themes_narrow_the_quiz_and_bad_input_says_what_to_do(fake_engine):
    glossary = q.build_quiz(fake_engine, n=4, sections=["appendix-4"])
    assert glossary.items and all(i.kind == GLOSSARY for i in glossary.items)
    themed = q.candidates(fake_engine.document, q.report_of(fake_engine), theme="alcohol")
    assert themed and all("alcohol" in _chunk(fake_engine, i.citation.chunk_id).search_text().lower()
                          for i in themed)
    for bad in (0, -3, q.MAX_N + 1, 2.5):
        with pytest.raises(ReportQAError, match="-n must be"):
            q.build_quiz(fake_engine, n=bad)
    with pytest.raises(ReportQAError, match="no section matches --section 'nowhere'"):
        q.build_quiz(fake_engine, sections=["nowhere"])
    with pytest.raises(ReportQAError, match="no quiz material"):
        q.build_quiz(fake_engine, theme="xylophone")
    with pytest.raises(ReportQAError, match="no words"):
        q.build_quiz(fake_engine, theme="the of")


@pytest.fixture(scope="module")
def quiz(fake_engine):
    return q.build_quiz(fake_engine, n=10)


def test_markdown_names_report_publisher_date_and_every_quote_page(quiz):
    from ui.quiz_export import quiz_markdown

    text = quiz_markdown(quiz)
    assert text.startswith(f"# Quiz: {quiz.report.title}\n")
    assert quiz.report.publisher in text.splitlines()[2]
    assert text.count("> — ") == len(quiz.items)
    for item in quiz.items:
        assert f"p. {item.citation.pages[0]}" in text or f"pp. {item.citation.pages[0]}" in text
    assert text.index("## Questions") < text.index("## Answer key")


def test_an_item_without_options_leaves_room_for_a_short_answer(quiz):
    from dataclasses import replace

    from ui.quiz_export import SHORT_ANSWER, quiz_docx, quiz_markdown

    short = replace(quiz, items=[replace(quiz.items[0], options=[])])
    text = quiz_markdown(short)
    assert text.split("## Answer key")[0].rstrip().endswith(SHORT_ANSWER)
    assert quiz_docx(short)  # written without options too


def parse_gift(text: str) -> list[dict]:
    """A small GIFT reader for the subset we write: ::title::question {=right ~wrong ####feedback}."""
    unescape = lambda s: re.sub(r"\\([~=#{}:\\])", r"\1", s).strip()  # noqa: E731
    items = []
    for block in [b for b in text.split("\n\n") if b.strip() and not b.lstrip().startswith("//")]:
        match = re.fullmatch(r"::((?:[^:\\]|\\.)*)::((?:[^{\\]|\\.)*)\{((?:[^}\\]|\\.)*)\}", block.strip())
        assert match, f"not GIFT: {block!r}"
        body, _, feedback = match.group(3).partition("####")
        answers = re.findall(r"(?<!\\)([=~])((?:[^=~\\]|\\.)*)", body)
        items.append({"title": match.group(1), "question": unescape(match.group(2)),
                      "right": [unescape(a) for mark, a in answers if mark == "="],
                      "wrong": [unescape(a) for mark, a in answers if mark == "~"], "feedback": unescape(feedback)})
    return items


def test_gift_parses_back_with_special_characters_escaped(quiz):
    from ui.quiz_export import gift_escape, quiz_gift

    assert gift_escape("a: {b} = ~c #d\\") == "a\\: \\{b\\} \\= \\~c \\#d\\\\"
    text = quiz_gift(quiz)
    assert text.splitlines()[0] == f"// Quiz: {quiz.report.title}"
    parsed = parse_gift(text)
    assert len(parsed) == len(quiz.items)
    for item, back in zip(quiz.items, parsed, strict=True):
        assert back["question"] == item.question
        assert back["right"] == [" ".join(item.answer.split())]
        assert sorted(back["wrong"]) == sorted(" ".join(o.split()) for o in item.options if o != item.answer)
        assert item.citation.section in back["feedback"] and "p. " in back["feedback"]


def test_csv_has_its_columns_and_one_row_per_question(quiz):
    from ui.quiz_export import CSV_COLUMNS, quiz_csv

    rows = list(csv.DictReader(io.StringIO(quiz_csv(quiz))))
    assert tuple(rows[0].keys()) == CSV_COLUMNS and len(rows) == len(quiz.items)
    for item, row in zip(quiz.items, rows, strict=True):
        assert row["question"] == item.question and row["answer"] == item.answer
        assert row["pages"] == " ".join(map(str, item.citation.pages)) and row["checked"] == "yes"
        if item.options:
            assert row[f"option_{row['correct_option'].lower()}"] == item.answer
        assert row["publisher"] == quiz.report.publisher


def test_docx_opens_with_title_byline_questions_and_cited_keys(quiz):
    from docx import Document

    from ui.quiz_export import quiz_docx

    paragraphs = [p.text for p in Document(io.BytesIO(quiz_docx(quiz))).paragraphs]
    assert paragraphs[0] == f"Quiz: {quiz.report.title}" and quiz.report.publisher in paragraphs[1]
    assert f"1. {quiz.items[0].question}" in paragraphs
    assert sum(p.startswith("— ") and "p. " in p for p in paragraphs) == len(quiz.items)


def test_quiz_tab_handlers_build_write_and_refuse_bad_input(fake_engine):
    from pathlib import Path

    from ui import quiz_tab

    built, line = quiz_tab.make_quiz(fake_engine, None, None, 4, [], "")
    assert built is not None and len(built.items) == 4 and "4 questions kept" in line
    files = quiz_tab.write_files(built)
    assert sorted(files) == sorted(("md", "docx", "gift", "csv"))
    assert all(Path(p).stat().st_size for p in files.values())
    for bad in (0, None, -1):
        none, line = quiz_tab.make_quiz(fake_engine, None, None, bad, [], "")
        assert none is None and line.startswith("**Could not build the quiz:**")
    none, line = quiz_tab.make_quiz(fake_engine, None, None, 3, ["nowhere"], "")
    assert none is None and "no section matches" in line
    assert quiz_tab.followed_report(["b", "c"], "a") == "b" and quiz_tab.followed_report([], "a") == "a"


def test_handout_titles_name_publisher_and_date():
    from types import SimpleNamespace

    from ui import handout

    manifest = SimpleNamespace(publisher="Ofsted", date="2016-11-25")
    assert handout.sheet_title("Birmingham", manifest) == "Handout: Birmingham (Ofsted, 25 November 2016)"
    assert handout.sheet_title("X", None) == "Handout: X"
    assert handout.readable_date("2017-01") == "January 2017" and handout.readable_date("") == ""
    quote = handout.Quote("text", "Recommendations", (8,), 1, "Birmingham")
    assert quote.reference == "Birmingham, Recommendations, p. 8"


def test_cli_refuses_bad_input_in_one_line(fake_engine, capsys):
    from ui.cli import main

    root = str(fake_engine.settings.index_root)
    assert main(["quiz", "--index-root", root, "-n", "0"]) == 2
    assert capsys.readouterr().err.strip() == "error: -n must be at least 1, not 0."
    assert main(["quiz", "--index-root", root, "--format", "docx"]) == 2
    assert "give --out FILE.docx" in capsys.readouterr().err
    assert main(["quiz", "--index-root", root, "--report", "no-such-report"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: no report 'no-such-report'") and err.count("\n") == 1


def test_the_format_follows_the_out_suffix():
    from pathlib import Path

    from ui.quiz_cli import output_format

    assert output_format(None, Path("a.docx")) == "docx" and output_format(None, Path("a.gift.txt")) == "gift"
    assert output_format(None, Path("a.csv")) == "csv" and output_format(None, None) == "md"
    assert output_format("csv", Path("a.txt")) == "csv"


@pytest.mark.slow
def test_a_real_quiz_of_the_bundled_report_is_checked_and_quick(real_engine):
    started = time.perf_counter()
    quiz = q.build_quiz(real_engine, n=10)
    took = time.perf_counter() - started
    assert len(quiz.items) == 10 and all(i.checked for i in quiz.items)
    assert len({i.kind for i in quiz.items}) == len(q.QUIZ_KINDS)
    assert quiz.asked - len(quiz.items) <= 5  # the templates read as the engine expects, mostly
    assert took < 15


def test_quiz_report_choices_show_titles_as_written():
    # A dropdown label is plain text: a title's colon must not turn into "&#58;".
    from types import SimpleNamespace

    from ui.quiz_tab import report_choices

    library = SimpleNamespace(entries=[SimpleNamespace(title="Harbour Town: a review", id="harbour-town")])
    engine = SimpleNamespace(document=SimpleNamespace(name="own-report"))
    assert report_choices(engine, library) == [("own-report", "own-report"), ("Harbour Town: a review", "harbour-town")]
