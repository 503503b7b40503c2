"""The quiz as a trainer reads it: no giveaways, distractors of the key's form, questions that read well, grade
rows asked naturally, no page numbers left on a recommendation (retrieval/quiz.py, retrieval/quiz_phrases.py)."""

from __future__ import annotations

import re

import pytest

from ingest.records import GLOSSARY, KEY_FACT, RECOMMENDATION, TABLE, Chunk, Document, Span, Table
from retrieval import quiz as q
from retrieval import quiz_phrases as p


@pytest.fixture(scope="module")
def pool(fake_engine):
    return q.candidates(fake_engine.document, q.report_of(fake_engine))


def _document(texts: list[str], kind: str = RECOMMENDATION, section: str = "Recommendations") -> Document:
    """A small report of `texts`, one chunk each, in reading order."""
    chunks, start, whole = [], 0, ""
    for i, text in enumerate(texts):
        chunks.append(Chunk(f"recs#recommendation-{i + 1}", "recs", [section], [8], kind, text, start,
                            start + len(text), [Span(0, len(text))], f"h{i}", label=f"Recommendation {i + 1}"))
        whole += text + "\n\n"
        start = len(whole)
    return Document("a-report", whole, [(0, 8)], [], chunks)


# ---------- 1. recommendations: no giveaway, the whole recommendation, not a finding


def test_the_bundled_quiz_has_no_option_quoted_in_its_question(pool):
    for item in pool:
        if item.kind in (RECOMMENDATION, GLOSSARY):
            words = lambda s: " ".join(re.findall(r"[a-z0-9]+", s.lower()))  # noqa: E731
            assert words(item.answer) not in words(item.question), item.question


def test_an_addressee_heads_the_recommendations_after_it_and_a_finding_is_not_one():
    doc = _document(["The Council should:\n\n1. review the staffing of the duty team across the city",
                     "2. publish its plan for the duty team within six months.",
                     "The Board should:\n\n3. agree a shared threshold document with partner agencies.",
                     "The inspection did not find any areas for priority and immediate action.",
                     "5.\n\nThe authority should undertake a review of the range of communication needs."])
    recs = q.recommendations(doc.chunks)
    assert [r.addressee for r in recs] == ["The Council", "The Council", "The Board", "The authority"]
    assert recs[1].full == "The Council should publish its plan for the duty team within six months."
    assert recs[3].body.startswith("undertake a review")


def test_a_page_number_left_by_a_page_footer_is_not_part_of_a_recommendation():
    doc = _document(["12.\n\nImprove matching processes to keep placement breakdown to a minimum for children.\n\n8"])
    rec = q.recommendations(doc.chunks)[0]
    assert rec.body.endswith("for children.") and rec.chunk.text[rec.span.end :].strip() == "8"
    assert p.strip_page_number("Ensure that issues are recorded (paragraph 55). 9") == \
        "Ensure that issues are recorded (paragraph 55)."
    assert p.strip_page_number("The figure rose to 2 (of 21)") == "The figure rose to 2 (of 21)"
    assert q._plain("Review the arrangements for staff (paragraph 49).") == "Review the arrangements for staff."


def test_a_cloze_blanks_a_term_the_report_uses_again_and_offers_other_recommendations_terms():
    texts = ["1.\n\nEnsure that care leavers receive their health histories before leaving care.",
             "2.\n\nStrengthen the work of the corporate parenting panel on outcomes.",
             "3.\n\nEnsure that independent reviewing officers challenge care plans.",
             "4.\n\nReduce the number of unallocated cases held by the duty team."]
    doc = _document(texts)
    doc.text += ("Care leavers said so. The corporate parenting panel met. Independent reviewing officers "
                 "visit. The duty team is busy. Care plans are weak. Health histories are missing.")
    report = q.QuizReport("a-report", "A report", "", "")
    items = q.recommendation_items(doc.chunks, doc, report, doc.chunks)
    cloze = [i for i in items if "___" in i.question]
    assert cloze, [i.question for i in items]
    for item in cloze:
        assert item.answer.lower() in item.citation.quote.lower() and item.answer not in item.question
        assert item.question.startswith("Which words complete this recommendation from the report: “")
        assert len(item.options) >= 3 and not any(o.lower() in item.question.lower() for o in item.options)


def test_a_term_spelt_out_by_the_acronym_after_it_is_not_blanked():
    assert q._spelt_out("personal education plans", "Improve the quality of personal education plans (PEPs) now.")
    assert not q._spelt_out("care leavers", "Ensure that care leavers (aged 19) are seen.")


def test_key_terms_are_noun_runs_without_verbs_possessives_or_participles():
    corpus = "care leavers; partner agencies; young people’s; placement breakdown; help young people"
    terms = [t.text for t in p.key_terms("Reduce the number of care leavers aged 19 not in training.", corpus)]
    assert terms == ["care leavers"]  # not "Reduce", not "care leavers aged"
    terms = [t.text for t in p.key_terms("Work with partner agencies to help young people.", corpus)]
    assert "partner agencies" in terms and "help young people" not in terms
    assert "young people’s" not in [t.text for t in p.key_terms("Respond to young people’s needs.", corpus)]


# ---------- 2. distractors of the key's form


def test_numeric_distractors_keep_the_sign_unit_and_shape_of_the_key():
    assert p.same_form("67.1%", ["-18%", "43%", "2 (of 21)", "1,303"]) == ["43%"]
    assert p.same_form("-18%", ["43%", "67.1%"]) == []
    assert p.same_form("1,303", ["2 (of 21)", "13,797", "43%"]) == ["13,797"]
    picked = p.similar_distractors("1,303", ["258,748", "1,410", "16,460", "13,797", "1,303"], "s", 2)
    assert "1,303" not in picked and len(picked) == 2 and "258,748" not in picked  # nearest magnitudes


def test_near_duplicates_and_nested_terms_are_one_option():
    assert p.near_duplicate("Ministry of Justice", "ministry of justice.")
    assert not p.near_duplicate("Group-based: 6 sessions", "Group-based: 4 sessions")
    assert p.unnested(["independent reviewing officers", "reviewing officers", "care plans"]) == \
        ["independent reviewing officers", "care plans"]
    texts = p.similar_distractors("Ministry of Justice", ["Ministry of justice", "Probation officer",
                                                          "National Probation Service"], "s", 3)
    assert "Ministry of justice" not in texts


def test_bundled_distractors_match_their_key(pool):
    for item in pool:
        if not item.options:
            continue
        assert len({o.lower() for o in item.options}) == len(item.options)
        if p.value_form(item.answer)[0] == "number":
            assert all(p.value_form(o)[:4] == p.value_form(item.answer)[:4] for o in item.options), item.options
    facts = [i for i in pool if i.kind == KEY_FACT]
    assert all(not i.options for i in facts if i.answer.startswith("-") or "(" in i.answer)  # no "-18%" beside "67.1%"


def test_acronym_options_are_expansions_and_definitions_blank_their_own_term(pool):
    glossary = [i for i in pool if i.kind == GLOSSARY]
    acronyms = [i for i in glossary if i.question.endswith("stand for?")]
    assert acronyms
    for item in acronyms:
        assert all(len(o.split()) <= q.MAX_EXPANSION_WORDS for o in item.options)
        lengths = [len(o.split()) for o in item.options]
        assert max(lengths) - min(lengths) <= 3, item.options
    blanked = q._blank_term("Partners include statutory organisations", "Partners")
    assert blanked == "___ include statutory organisations"
    for item in glossary:
        term = re.search(r"“(.+)”", item.question)
        if term:
            assert not re.search(rf"\b{re.escape(term.group(1).lower())}\b", item.answer.lower())


# ---------- 3. questions that read well


@pytest.mark.parametrize("question, good", [
    ("What proportion of cases were late?", True),
    ("What does ATR stand for?", True),
    ("What does the report recommend about with partner agencies?", False),
    ("What does the report recommend to ensure that practice for children who are subject?", False),
    ("What does the report recommend about plans for young people as quickly?", False),
    ("What does the report recommend about the opportunities open to?", False),
    ("What figure completes this statement from the report: “The number has increased to ___.”?", True),
    ("What figure completes this statement from the report: “Partners still do not contribute routinely.”?", True),
    ("What is the the grade?", False),
])
def test_questions_that_end_on_a_preposition_or_auxiliary_are_dropped(question, good):
    assert p.reads_well(question) is good


def test_every_bundled_candidate_reads_well(pool):
    assert pool and all(p.reads_well(i.question) for i in pool)


def test_a_statistic_pointing_back_or_worked_out_beside_its_count_is_not_a_cloze():
    assert p.starts_with_anaphor("This is an improvement of 7% on March 2014.")
    assert not p.starts_with_anaphor("At least 40% of managers are not completing audits.")
    texts = ["The cohort of young people not in training fell to 13% (53 of 406) over the year.",
             "At least 40% of the managers in the service are not completing their audits."]
    doc = _document(texts, kind="text", section="Leadership")
    assert [value for c in doc.chunks for _, value in q._statements(c)] == ["40%"]


# ---------- 4. grade rows asked as a trainee would


def test_grade_rows_ask_for_the_grade_with_the_row_in_lower_case():
    text = "children who need help and protection are at risk; anger is a theme"
    assert q.mid_sentence("Children who need help and protection", text) == "children who need help and protection"
    assert q.mid_sentence("Anger Management", text) == "Anger Management"  # Title Case: a name
    assert q.mid_sentence("Birmingham", text) == "Birmingham"  # never written in lower case
    assert q.column_phrase("Grade") == "grade"
    assert q.column_phrase("% of cases seen in time") == "percentage of cases seen in time"
    grid = Table("1", "Judgements and grades", None, ["Judgement", "Grade"],
                 [["Children who need help and protection", "Inadequate"],
                  ["Adoption performance", "Requires improvement"]], True)
    body = "Children who need help and protection\nInadequate\nAdoption performance\nRequires improvement"
    doc = _document([body], kind=TABLE)
    doc.chunks[0].table = grid
    doc.text = body + " children who need help and protection; adoption performance"
    items = q.table_items(doc.chunks, doc, q.QuizReport("a", "A", "", ""), doc.chunks)
    assert [i.question for i in items] == ["What is the grade for children who need help and protection?",
                                           "What is the grade for adoption performance?"]
    assert set(items[0].options) == {"Inadequate", "Requires improvement"}
