"""Report families: a profile is chosen from what the first pages say, and a report with none still parses.

The texts here are invented, in the manner of an Ofsted and an HMIP report; the real Ofsted reports in
../shared/corpus/other-reports are checked by the `slow` test at the end.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from ingest import records as kinds
from ingest.blocks import build_blocks
from ingest.clean import clean_report, load_report
from ingest.pipeline import parse_report
from ingest.structure import NO_PROFILE, find_person, profile_named, profiles, select_profile, speaker_role

PARAGRAPH = ("Inspectors looked closely at the experiences of children and families, read case files and talked "
             "with staff and managers about the help that was given and the difference it made.")

OFSTED_LIKE = f"""Northwick Borough Council

Inspection of services for children in need of help and protection
Ofsted inspection dates: 3 March 2025 to 14 March 2025

Children's services in Northwick require improvement to be good
1. Children who need help and protection

Requires improvement

2. Children looked after and achieving permanence

Good

3. Leadership, management and governance   Inadequate

\f
Executive summary
{PARAGRAPH}

{PARAGRAPH}

\f
What does the local authority need to improve?
Areas for improvement
1. Ensure that strategy meetings are attended by the police and health partners.
2. Improve the quality of assessments so that they take account of children's history.
3. Reduce the number of changes of social worker for children in care.

Information about this inspection
{PARAGRAPH}
"""

HMIP_LIKE = f"""Quality & Impact inspection
The effectiveness of probation work in Westmoor
An inspection by HM Inspectorate of Probation

Protecting the public
{PARAGRAPH}

Good practice example: Arthur is a 53 year old man who was supervised by the National Probation Service
after a burglary, and his officer worked closely with the police to manage the risk he posed.

{PARAGRAPH}
"""

NO_FAMILY = f"""Annual review of the Riverside Library Service

Summary
{PARAGRAPH}

Recommendations
• Extend the opening hours of the central library on Saturdays.
• Publish the number of visitors every quarter.

Background
{PARAGRAPH}
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _profile_of(path: Path):
    return select_profile(build_blocks(clean_report(load_report(path))))


def test_profiles_load_and_are_named():
    names = {p.name for p in profiles()}
    assert {"hmip", "ofsted"} <= names
    assert profile_named("ofsted").grades == ("Outstanding", "Good", "Requires improvement to be good",
                                             "Requires improvement", "Inadequate")
    assert "Protecting the public" in profile_named("hmip").domains
    with pytest.raises(ValueError, match="unknown report profile 'acme'.*hmip"):
        profile_named("acme")


def test_profile_is_chosen_from_the_first_pages(tmp_path):
    assert _profile_of(_write(tmp_path, "o.txt", OFSTED_LIKE)).name == "ofsted"
    assert _profile_of(_write(tmp_path, "h.txt", HMIP_LIKE)).name == "hmip"
    assert _profile_of(_write(tmp_path, "n.txt", NO_FAMILY)) is NO_PROFILE


def test_bundled_report_is_hmip(document):
    assert select_profile(build_blocks(clean_report(load_report(Path("corpus/staffordshire-and-stoke-2017.txt")))
                                       )).name == "hmip"
    assert {c.organisation for c in document.chunks if c.organisation} == {"CRC", "NPS", "CRC and NPS"}


def test_ofsted_grade_lines_become_a_judgement_table(tmp_path):
    doc = parse_report(_write(tmp_path, "northwick.txt", OFSTED_LIKE))
    tables = [c for c in doc.chunks if c.kind == kinds.TABLE]
    assert len(tables) == 1
    table = tables[0].table
    assert table.columns == ["Judgement", "Grade"]
    assert table.rows == [["Children who need help and protection", "Requires improvement"],
                          ["Children looked after and achieving permanence", "Good"],
                          ["Leadership, management and governance", "Inadequate"]]
    assert tables[0].label == "Judgements"
    assert not any(s.title in profile_named("ofsted").grades for s in doc.sections)  # grades are not headings


def test_what_needs_to_improve_list_is_recommendations(tmp_path):
    doc = parse_report(_write(tmp_path, "northwick.txt", OFSTED_LIKE))
    recs = [c for c in doc.chunks if c.kind == kinds.RECOMMENDATION]
    assert [c.label for c in recs] == ["Recommendation 1", "Recommendation 2", "Recommendation 3"]
    assert recs[0].text.startswith("1. Ensure that strategy meetings")
    assert "What does the local authority need to improve?" in [s.title for s in doc.sections]
    assert recs[-1].section_path[-1] == "Areas for improvement"
    # the list ends at the next heading: the paragraph after it is prose
    after = [c for c in doc.chunks if c.section_path[-1] == "Information about this inspection"]
    assert after and all(c.kind == kinds.TEXT for c in after)


def test_bare_number_markers_and_bullets_are_items(tmp_path):
    text = f"Recommendations\n1.\n\nStrengthen the oversight of\nthe front door.\n\n2.\n\nReview every plan.\n\n" \
           f"Summary\n{PARAGRAPH}\n"
    doc = parse_report(_write(tmp_path, "markers.txt", text))
    recs = [c for c in doc.chunks if c.kind == kinds.RECOMMENDATION]
    assert [c.label for c in recs] == ["Recommendation 1", "Recommendation 2"]
    assert "front door" in recs[0].text
    bulleted = parse_report(_write(tmp_path, "riverside.txt", NO_FAMILY))
    items = [c for c in bulleted.chunks if c.kind == kinds.RECOMMENDATION]
    assert [c.label for c in items] == ["Recommendation 1", "Recommendation 2"]
    assert "Saturdays" in items[0].text


def test_a_report_with_no_profile_still_ingests_well(tmp_path):
    doc = parse_report(_write(tmp_path, "riverside.txt", NO_FAMILY))
    titles = [s.title for s in doc.sections]
    assert {"Summary", "Recommendations", "Background"} <= set(titles)
    assert all(c.organisation is None and c.domain is None and c.stage is None for c in doc.chunks)
    assert sum(c.kind == kinds.TEXT for c in doc.chunks) >= 2


def test_hmip_like_report_keeps_its_vocabulary(tmp_path):
    doc = parse_report(_write(tmp_path, "westmoor.txt", HMIP_LIKE))
    examples = [c for c in doc.chunks if c.kind == kinds.PRACTICE_EXAMPLE]
    assert len(examples) == 1
    assert examples[0].polarity == "good" and examples[0].person == "Arthur"
    assert examples[0].domain == "Protecting the public"
    ofsted = parse_report(_write(tmp_path, "northwick.txt", OFSTED_LIKE))
    assert all(c.domain is None for c in ofsted.chunks)


def test_profile_words_apply_only_with_their_profile():
    hmip = profile_named("hmip")
    assert find_person("Work in Staffordshire was led well", hmip) is None
    assert find_person("Work in Staffordshire was led well") == "Staffordshire"  # no profile: not excluded
    assert speaker_role("When asked, one said:", hmip) == "service user"
    assert speaker_role("When asked, one said:") is None
    assert speaker_role("A young inspector noted:") == "inspector"


def test_answer_json_carries_pdf_pages(tmp_path):
    from ingest.pipeline import ingest
    from ingest.settings import load_settings
    from retrieval.engine import Engine
    from tests.fakes import HashingEmbedder
    from tests.pdf_fixture import build_report_pdf, bundled_paragraphs

    built = build_report_pdf(tmp_path / "report.pdf", bundled_paragraphs())
    settings = load_settings(index_root=tmp_path / "index")
    ingest(built.path, settings, embedder=HashingEmbedder())
    engine = Engine.load(settings, report="report", embedder=HashingEmbedder())
    data = json.loads(json.dumps(engine.ask("What did inspectors find about the CRC?").to_json()))
    assert data["passages"]
    assert all(p["pdf_pages"] and all(n >= 1 for n in p["pdf_pages"]) for p in data["passages"])
    assert all("pdf_pages" in c for c in data["citations"])
    assert any(p["pdf_pages"] != p["pages"] for p in data["passages"])  # physical, not printed


def test_text_report_answer_json_has_empty_pdf_pages(fake_engine):
    data = json.loads(json.dumps(fake_engine.ask("What does ATR stand for?").to_json()))
    assert data["passages"] and all(p["pdf_pages"] == [] for p in data["passages"])
    assert all(c["pdf_pages"] == [] for c in data["citations"])


def _other_reports() -> Path:
    shared = os.environ.get("REPORT_QA_SHARED")
    root = Path(shared) if shared else Path(__file__).resolve().parents[2] / "shared"
    return root / "corpus" / "other-reports"


@pytest.mark.slow
def test_other_reports_recommendations_and_grades_from_pdf_and_text():
    folder = _other_reports()
    if not (folder / "ofsted-birmingham-2016.pdf").is_file():
        pytest.skip(f"{folder} absent: ../shared/corpus absent")
    for name in ("ofsted-birmingham-2016.pdf", "ofsted-birmingham-2016.txt"):
        doc = parse_report(folder / name)
        recs = [c for c in doc.chunks if c.kind == kinds.RECOMMENDATION]
        assert len(recs) == 17, name
        assert "MASH" in recs[0].text
        grades = next(c.table for c in doc.chunks if c.label == "Judgements")
        assert ["Leadership, management and governance", "Inadequate"] in grades.rows, name
    # the safeguarding board's list counts too: Staffordshire 2014 9 + 3 (100-102), Stoke 2015 14 + 7 (144-150)
    expected = {"ofsted-birmingham-2016": 17, "ofsted-staffordshire-2014": 12, "ofsted-stoke-on-trent-2015": 21}
    for path in sorted(folder.glob("*.pdf")) + sorted(folder.glob("*.txt")):
        doc = parse_report(path)
        assert any(c.label == "Judgements" for c in doc.chunks), path.name
        assert sum(c.kind == kinds.RECOMMENDATION for c in doc.chunks) == expected.get(path.stem), path.name
        if path.suffix == ".pdf":
            assert all(c.pdf_pages for c in doc.chunks), path.name


def test_numbered_paragraphs_are_labelled(tmp_path):
    body = "\n\n".join(f"{n}. {PARAGRAPH}" for n in range(1, 13))
    doc = parse_report(_write(tmp_path, "numbered.txt", f"Inspection findings\n\n{body}\n"))
    labels = [c.label for c in doc.chunks if c.kind == kinds.TEXT]
    assert labels[0] == "Paragraph 1" or labels[0].startswith("Paragraphs 1–")
    assert labels[-1].endswith("12")
    few = parse_report(_write(tmp_path, "few.txt", f"Findings\n1. {PARAGRAPH}\n\n2. {PARAGRAPH}\n"))
    assert all(c.label is None for c in few.chunks if c.kind == kinds.TEXT)  # a short list is not numbering


def test_a_grade_under_a_wrapped_title_grades_that_section(tmp_path):
    text = (f"Ofsted inspection of Northwick\n\nExecutive summary\n{PARAGRAPH}\n\n"
            f"Leadership, management and\ngovernance\n\nInadequate\n\nSummary\n{PARAGRAPH}\n")
    doc = parse_report(_write(tmp_path, "graded.txt", text))
    assert "Leadership, management and governance" in [s.title for s in doc.sections]
    assert "Inadequate" not in [s.title for s in doc.sections]
    graded = next(c for c in doc.chunks if c.label == "Judgement")
    assert graded.table.rows == [["Leadership, management and governance", "Inadequate"]]


def test_a_publisher_named_only_on_the_closing_pages_still_selects_its_profile():
    from ingest.blocks import Block
    from ingest.structure import select_profile

    body = [Block([f"Paragraph {n} of an inspection report about a council's services."], [n]) for n in range(1, 12)]
    closing = Block(["Ofsted is the Office for Standards in Education, Children's Services and Skills."], [12])
    assert select_profile(body).name == "none"
    assert select_profile([*body, closing]).name == "ofsted"
