"""The dataset loader: good lines become EvalItems, bad ones a clear error naming the line or item."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from evals.cli import DEFAULT_DATASET
from evals.dataset import DatasetError, EvalItem, evidence_warnings, load_dataset
from ingest.errors import ReportQAError
from ingest.text import normalise_for_match

GOOD = {"id": "stat-01", "question": "How many cases?", "category": "statistic", "expected": "2,523 cases",
        "patterns": [r"\b2,?523\b"], "evidence": ["the caseload is 2,523"]}
UNANSWERABLE = {"id": "unans-01", "question": "What is the budget?", "category": "unanswerable",
                "expected": "", "patterns": [], "evidence": []}


def write(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "data.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def line(**changes) -> str:
    return json.dumps({**GOOD, **changes})


def test_good_lines_become_items(tmp_path):
    dataset = load_dataset(write(tmp_path, line(), "", json.dumps(UNANSWERABLE)))  # a blank line is skipped
    assert [i.id for i in dataset.items] == ["stat-01", "unans-01"]
    assert dataset.items[0] == EvalItem("stat-01", "How many cases?", "statistic", "2,523 cases",
                                        (r"\b2,?523\b",), ("the caseload is 2,523",), line=1)
    assert [i.answerable for i in dataset.items] == [True, False]
    assert dataset.categories() == ["statistic", "unanswerable"]
    assert dataset.warnings == []


def test_accepts_and_supported_by_ignore_case_and_spacing():
    item = EvalItem("x", "q", "statistic", "17.8%", (r"17\.8\s*%", "brighter futures"),
                    ("the  ‘step down’\napproach",))
    assert item.accepts("It is 17.8 % [1]")
    assert item.accepts("BRIGHTER FUTURES runs it")
    assert not item.accepts("The report does not say")
    assert item.supported_by("... The 'Step Down' approach was used.")
    assert not item.supported_by("a step down approach")


@pytest.mark.parametrize(("lines", "wanted"), [
    ([line(), '{"id": "x", "question": '], r"line 2: not valid JSON \(Expecting value at column \d+\)"),
    ([line(), "[1, 2]"], "line 2: expected a JSON object, got list"),
    ([json.dumps({k: v for k, v in GOOD.items() if k != "question"})], "line 1: missing field question"),
    ([json.dumps({"id": "a"})], "line 1: missing fields question, category, expected, patterns, evidence"),
    ([line(patterns=["(unclosed"])], r"line 1: item stat-01 has an invalid regex '\(unclosed'"),
    ([line(patterns="2,523")], "line 1: field patterns must be a list of strings"),
    ([line(question="  ")], "line 1: field question is empty"),
    ([line(id=7)], "line 1: field id must be a string, not int"),
    ([line(patterns=[])], r"line 1: item stat-01 \(statistic\) has no patterns"),
    ([line(), line()], "line 2: id 'stat-01' is already used on line 1"),
    ([json.dumps({**UNANSWERABLE, "patterns": ["x"]})], "item unans-01 is unanswerable but has patterns"),
])
def test_bad_lines_name_the_line_and_the_reason(tmp_path, lines, wanted):
    with pytest.raises(DatasetError) as caught:
        load_dataset(write(tmp_path, *lines))
    assert isinstance(caught.value, ReportQAError)  # so the CLI prints one line and exits 2
    assert re.search(wanted, str(caught.value)), str(caught.value)
    assert "\n" not in str(caught.value)


def test_several_problems_report_the_first_and_count_the_rest(tmp_path):
    with pytest.raises(DatasetError, match=r"line 1: .* \(and 2 more problems\)"):
        load_dataset(write(tmp_path, "nope", "{", line(patterns=["["])))


@pytest.mark.parametrize(("content", "wanted"), [
    (None, "not found"),  # no file
    ("", "has no questions"),  # empty file
    (b"\xff\xfe bad", "is not UTF-8"),
])
def test_unusable_files(tmp_path, content, wanted):
    path = tmp_path / "data.jsonl"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(DatasetError, match=wanted):
        load_dataset(path)


def test_unknown_category_is_allowed_but_reported(tmp_path):
    dataset = load_dataset(write(tmp_path, line(category="statistics")))
    assert len(dataset.items) == 1
    assert dataset.warnings == [
        "item stat-01 (line 1) has unknown category 'statistics'; known: statistic, table, glossary, "
        "finding, practice_example, recommendation, methodology, context, multi_passage, multi_part, "
        "comparison, how_many, who, when, judgement, list, unanswerable"]


def test_evidence_not_in_the_report_is_a_warning_naming_the_item(tmp_path):
    dataset = load_dataset(write(tmp_path, line(), line(id="stat-02", evidence=["words nobody wrote"])))
    report = "We were advised that the caseload  is 2,523; this is 17.8%."
    assert evidence_warnings(dataset.items, report) == [
        "item stat-02: evidence quote not found in the report: 'words nobody wrote'"]


def test_bundled_dataset_evidence_is_in_the_report_and_patterns_match_expected(document):
    dataset = load_dataset(DEFAULT_DATASET)
    assert dataset.warnings == []
    assert evidence_warnings(dataset.items, document.text) == []
    for item in dataset.items:
        for pattern in item.patterns:
            assert re.search(pattern, item.expected, re.I), f"{item.id}: {pattern!r} misses {item.expected!r}"


def test_bundled_dataset_evidence_sits_inside_one_passage(document):
    """A quote spanning two chunks is never retrieved, and hit@k would blame retrieval for the dataset."""
    passages = [normalise_for_match(c.text) for c in document.chunks]
    for item in load_dataset(DEFAULT_DATASET).items:
        for quote in item.evidence:
            assert any(normalise_for_match(quote) in p for p in passages), f"{item.id}: {quote!r}"


def test_bundled_dataset_covers_the_issue(document):
    items = load_dataset(DEFAULT_DATASET).items
    assert len(items) >= 80
    assert sum(not i.answerable for i in items) >= 10
