"""Facts about the bundled report that the structure must get right."""

import re

from ingest import records as kinds
from ingest.pipeline import parse_report
from ingest.structure import find_person, glossary_term, speaker_role
from ingest.text import normalise_for_match, split_sentences


def test_tree_has_the_three_chapters_and_four_appendices(document):
    top = [s.title for s in document.sections if s.level == 1]
    chapters = [t for t in top if re.match(r"^\d\. ", t)]
    appendices = [t for t in top if t.startswith("Appendix")]
    assert len(chapters) == 3
    assert chapters[0].startswith("1. Overall judgements")
    assert len(appendices) == 4
    assert "Foreword" in top and "Key facts" in top


def test_chapter_three_has_domains_organisations_and_stages(document):
    ids = {s.id for s in document.sections}
    assert "ch3/reducing-reoffending/nps-effectiveness/delivery" in ids
    assert "ch3/protecting-the-public/crc-effectiveness/assessment-and-planning" in ids
    assert "ch3/abiding-by-the-sentence/the-crc-and-nps" in ids


def test_every_section_has_printed_pages(document):
    assert all(s.pages for s in document.sections)
    foreword = document.section("foreword")
    assert foreword.pages == [5]


def _table(document, number):
    return next(c.table for c in document.chunks if c.kind == kinds.TABLE and c.label == f"Table {number}")


def test_all_sixteen_tables_are_chunks(document):
    labels = [c.label for c in document.chunks if c.kind == kinds.TABLE]
    assert labels == [f"Table {n}" for n in range(1, 17)]


def test_table_11_has_six_rows_with_alcohol_at_80_percent(document):
    table = _table(document, 11)
    assert len(table.rows) == 6
    assert ["Alcohol", "80%"] in table.rows
    assert table.columns == ["Area of assessed need", "% of cases with sufficient intervention"]
    assert "NPS inspection sample" in table.caption


def test_table_8_has_six_needs(document):
    assert ["Drug misuse", "81%"] in _table(document, 8).rows
    assert len(_table(document, 8).rows) == 6


def test_table_4_lists_ten_interventions(document):
    table = _table(document, 4)
    assert len(table.rows) == 10
    assert table.rows[2] == ["Anger Management", "Temper control", "Group-based: 6 sessions"]
    assert table.source.startswith("Staffordshire")


def test_table_3_is_grade_establishment_caseload(document):
    table = _table(document, 3)
    assert table.columns == ["Staff grade", "Establishment", "Mean average caseload"]
    assert table.rows[1] == ["probation practitioners - probation officer equivalent", "16.5", "66"]


def test_enabler_barrier_tables_pair_numbered_items(document):
    table = _table(document, 6)
    assert table.columns == ["No.", "Enablers", "Barriers"]
    assert len(table.rows) == 3 and table.rows[1][2] == ""
    assert len(_table(document, 10).rows) == 6


def test_table_2_cannot_be_recovered_but_is_still_one_readable_chunk(document):
    chunk = next(c for c in document.chunks if c.label == "Table 2")
    assert chunk.table.complete is False
    assert "Customer Service Centre" in chunk.text.replace("\n", " ")


def test_figures_keep_caption_and_source_and_say_the_chart_is_missing(document):
    figures = {c.label: c for c in document.chunks if c.kind == kinds.FIGURE}
    assert "Figure 1.1" in figures and "Figure 3.4" in figures
    assert figures["Figure 1.1"].caption.startswith("Organogram")
    assert figures["Figure 2.1"].source == "Office for National Statistics, June 2015"
    assert all(not f.chart_in_text for f in figures.values())


def test_glossary_defines_atr(document):
    entries = {c.term: c for c in document.chunks if c.kind == kinds.GLOSSARY}
    assert entries["ATR"].text.startswith("ATR Alcohol Treatment Requirement")
    assert "Active Risk Management System" in entries
    assert "MoJ" in entries and "nDelius" in entries
    assert len(entries) == 34


def test_key_facts_are_addressable_with_their_sources(document):
    facts = {c.label: c for c in document.chunks if c.kind == kinds.KEY_FACT}
    assert set(facts) >= {"258,748", "43%", "67.1%", "-18%", "2 (of 21)"}
    assert "Ministry of Justice" in facts["67.1%"].source
    assert facts["67.1%"].footnotes == [2, 3]


def test_eight_recommendations_with_addressees(document):
    recs = [c for c in document.chunks if c.kind == kinds.RECOMMENDATION]
    assert [r.label for r in recs] == [f"Recommendation {n}" for n in range(1, 9)]
    assert recs[7].addressed_to == "The National Offender Management Service"
    assert recs[4].addressed_to == "The Community Rehabilitation Company"


def test_practice_examples_have_polarity_person_and_place(document):
    examples = {c.person: c for c in document.chunks if c.kind == kinds.PRACTICE_EXAMPLE and c.person}
    june = examples["June"]
    assert june.polarity == "good" and june.organisation == "CRC"
    assert june.domain == "Abiding by the sentence" and june.stage == "Delivery"
    assert examples["Eric"].polarity == "poor"
    assert "sentenced for a new violent offence" in examples["Eric"].text  # whole example, one chunk


def test_quotes_know_who_speaks(document):
    quotes = [c for c in document.chunks if c.kind == kinds.QUOTE]
    assert len(quotes) >= 12
    assert any(q.speaker == "sentencer" for q in quotes)
    assert any(q.speaker == "service user" and "turn my life around" in q.text for q in quotes)


def test_footnotes_are_chunks(document):
    notes = [c for c in document.chunks if c.kind == kinds.FOOTNOTE]
    assert [n.label for n in notes] == [f"Footnote {n}" for n in range(1, 19)]


def test_every_chunk_is_a_verbatim_slice_of_the_cleaned_report(document):
    for chunk in document.chunks:
        assert document.text[chunk.start : chunk.end] == chunk.text
        for span in chunk.sentences:
            assert chunk.text[span.start : span.end].strip()


def test_no_chunk_crosses_a_section(document):
    for chunk in document.chunks:
        section = document.section(chunk.section_id)
        assert section.start <= chunk.start and chunk.end <= section.end, chunk.id
        deeper = [s for s in document.sections if s.parent_id == section.id]
        assert not any(chunk.start < s.start < chunk.end for s in deeper), chunk.id


def test_prose_chunks_fit_the_model(document):
    for chunk in document.chunks:
        if chunk.kind == kinds.TEXT:
            assert len(chunk.text.split()) <= 170, chunk.id


def test_ids_are_unique_readable_and_stable(document):
    ids = [c.id for c in document.chunks]
    assert len(ids) == len(set(ids))
    assert "ch3/reducing-reoffending/nps-effectiveness/delivery#table-11" in ids
    again = parse_report_again()
    assert [c.id for c in again.chunks] == ids
    assert [c.content_hash for c in again.chunks] == [c.content_hash for c in document.chunks]


def parse_report_again():
    from ingest.settings import BUNDLED_REPORT

    return parse_report(BUNDLED_REPORT)


def test_pages_of_a_passage_spanning_a_page_break(document):
    chunk = next(c for c in document.chunks if "disruption to the continuity of supervision due to" in c.text)
    assert chunk.pages == [9, 10]


def test_markdown_and_plain_reports_without_the_patterns_still_ingest(tmp_path):
    md = tmp_path / "notes.md"
    md.write_text("# Findings\n\nThe service was good overall. Staff were kind.\n\n## Method\n\n"
                  "We read forty case files over two weeks in March.\n", encoding="utf-8")
    doc = parse_report(md)
    assert [s.title for s in doc.sections] == ["Findings", "Method"]
    assert doc.sections[1].parent_id == doc.sections[0].id
    assert any("forty case files" in c.text for c in doc.chunks)
    plain = tmp_path / "plain.txt"
    plain.write_text("Just one paragraph of findings about the service and its staff.\n", encoding="utf-8")
    assert parse_report(plain).chunks[0].kind == kinds.TEXT


def test_find_person():
    assert find_person("Arthur is a 53 year old convicted of burglary") == "Arthur"
    assert find_person("Ariadne, a woman in her forties") == "Ariadne"
    assert find_person("One barrier in June’s case was her lack of funds") == "June"
    assert find_person("In one case, the PSR writer demonstrated a full understanding") is None


def test_glossary_term():
    assert glossary_term("ATR Alcohol Treatment Requirement: a requirement") == "ATR"
    assert glossary_term("Rate card Offending behaviour services offered") == "Rate card"
    assert glossary_term("Through the Gate Through the Gate services are") == "Through the Gate"
    assert glossary_term("nDelius National Delius: the approved") == "nDelius"


def test_speaker_role():
    assert speaker_role("A service user observed:") == "service user"
    assert speaker_role("the magistrates who offered the view that:") == "sentencer"
    assert speaker_role("In observing the preparation of oral reports, one inspector noted:") == "inspector"


def test_split_sentences_keeps_abbreviations_and_rows():
    text = "We saw it, e.g. in Leek. It was good.\nDrug misuse 81%"
    assert [text[s.start:s.end] for s in split_sentences(text)] == [
        "We saw it, e.g. in Leek.", "It was good.", "Drug misuse 81%"]


def test_normalise_for_match():
    assert normalise_for_match("The  ‘step down’\napproach") == "the 'step down' approach"


def test_bundled_report_parse_is_pinned(document):
    """The eval gate depends on this parse: profiles must not change it (bump PARSER_VERSION if they do)."""
    assert document.counts() == {"sections": 75, "chunks": 267, "tables": 16, "figures": 11, "examples": 33,
                                 "quotes": 14, "recommendations": 8, "key_facts": 8, "glossary_entries": 34,
                                 "footnotes": 18}


def test_bundled_report_without_its_profile_still_parses():
    from ingest.blocks import build_blocks
    from ingest.chunking import build_document
    from ingest.clean import clean_report, load_report
    from ingest.settings import BUNDLED_REPORT
    from ingest.structure import NO_PROFILE, outline

    cleaned = clean_report(load_report(BUNDLED_REPORT))
    doc = build_document("plain", outline(build_blocks(cleaned), profile=NO_PROFILE), cleaned.footnotes)
    counts = doc.counts()
    assert counts["tables"] == 16 and counts["recommendations"] == 8 and counts["glossary_entries"] == 34
    assert all(c.organisation is None and c.domain is None for c in doc.chunks)
    assert len([s for s in doc.sections if s.level == 1 and s.title[:2] in ("1.", "2.", "3.")]) == 3
