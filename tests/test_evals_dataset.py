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


# --- optional report / split fields, several files, the frozen split -------------------------------------

EVALS = DEFAULT_DATASET.parent
REPORT_FILES = sorted(EVALS.glob("ofsted-*.jsonl"))  # one file per other report, items carry `report`
ALL_FILES = [DEFAULT_DATASET, EVALS / "heldout.jsonl", EVALS / "extra.jsonl", *REPORT_FILES]


def shared_reports() -> Path:
    import os

    root = Path(os.environ["REPORT_QA_SHARED"]) if os.environ.get("REPORT_QA_SHARED") else \
        Path(__file__).resolve().parents[2] / "shared"
    return root / "corpus" / "other-reports"


def test_report_and_split_are_optional_fields(tmp_path):
    dataset = load_dataset(write(tmp_path, line(), line(id="b-01", report="other-2020", split="test")))
    first, second = dataset.items
    assert (first.report, first.split) == (None, None)
    assert (second.report, second.split) == ("other-2020", "test")
    assert dataset.by_report("bundled") == {"bundled": [first], "other-2020": [second]}


@pytest.mark.parametrize(("changes", "wanted"), [
    ({"split": "dev"}, "line 1: field split is 'dev'; use one of train, test"),
    ({"report": ""}, "line 1: field report is empty"),
    ({"report": 3}, "line 1: field report must be a string, not int"),
])
def test_bad_report_or_split(tmp_path, changes, wanted):
    with pytest.raises(DatasetError, match=re.escape(wanted)):
        load_dataset(write(tmp_path, line(**changes)))


def test_merged_datasets_keep_order_and_refuse_a_shared_id(tmp_path):
    from evals.dataset import merge_datasets

    a = tmp_path / "a.jsonl"
    b = tmp_path / "b.jsonl"
    a.write_text(line() + "\n", encoding="utf-8")
    b.write_text(line(id="b-01") + "\n", encoding="utf-8")
    merged = merge_datasets([load_dataset(a), load_dataset(b)])
    assert [i.id for i in merged.items] == ["stat-01", "b-01"]
    b.write_text(line() + "\n", encoding="utf-8")
    with pytest.raises(DatasetError, match="item id 'stat-01' is in both"):
        merge_datasets([load_dataset(a), load_dataset(b)])


def test_split_of_is_a_fixed_hash_and_assigning_is_idempotent():
    from evals.split import assign_line, split_of

    assert split_of("any-id") == split_of("any-id")
    shares = [split_of(f"item-{n}") for n in range(1000)]
    assert 0.25 < shares.count("test") / 1000 < 0.35
    plain = json.dumps(GOOD)
    assigned = assign_line(plain)
    assert json.loads(assigned)["split"] == split_of("stat-01")
    assert assigned.startswith(plain[:-1]) and assign_line(assigned) == assigned
    frozen = json.dumps({**GOOD, "split": "train"})
    assert assign_line(frozen) == frozen  # an existing split is never changed


def test_every_shipped_item_has_its_frozen_split():
    """The test split is frozen: each item's split is the hash of its id, written once."""
    from evals.split import split_of

    for path in ALL_FILES:
        for item in load_dataset(path).items:
            assert item.split == split_of(item.id), f"{path.name}: {item.id} has split {item.split!r}"


def test_other_report_files_name_their_report_and_cover_the_categories():
    assert len(REPORT_FILES) >= 2
    for path in REPORT_FILES:
        dataset = load_dataset(path)
        assert dataset.warnings == []
        assert {i.report for i in dataset.items} == {path.stem}, path.name
        categories = [i.category for i in dataset.items]
        assert len(categories) >= 60
        assert categories.count("unanswerable") >= 8
        assert categories.count("multi_part") + categories.count("comparison") >= 12
        for wanted in ("statistic", "how_many", "who", "when", "judgement", "recommendation", "list", "finding"):
            assert wanted in categories, f"{path.name} has no {wanted} item"
        for item in dataset.items:
            for pattern in item.patterns:
                assert re.search(pattern, item.expected, re.I), f"{item.id}: {pattern!r} misses {item.expected!r}"


def test_other_report_evidence_is_in_the_report_text():
    folder = shared_reports()
    if not folder.is_dir():
        pytest.skip(f"{folder} absent: ../shared/corpus absent, so the Ofsted reports cannot be read")
    from evals.reports import find_source
    from ingest.pdf import extract_pdf

    for path in REPORT_FILES:
        source = find_source(path.stem, [folder, folder.parent / "library"])
        assert source is not None, f"{path.name}: no source for {path.stem} in {folder} or its library"
        if source.suffix == ".pdf":
            text = "\n".join(line.text for line in extract_pdf(source).lines)
        else:
            text = source.read_text(encoding="utf-8")
        assert evidence_warnings(load_dataset(path).items, text) == []


def test_extra_bundled_items_evidence_sits_inside_one_passage(document):
    dataset = load_dataset(EVALS / "extra.jsonl")
    assert dataset.warnings == []
    assert all(i.report is None for i in dataset.items)
    passages = [normalise_for_match(c.text) for c in document.chunks]
    for item in dataset.items:
        for quote in item.evidence:
            assert any(normalise_for_match(quote) in p for p in passages), f"{item.id}: {quote!r}"
        for pattern in item.patterns:
            assert re.search(pattern, item.expected, re.I), f"{item.id}: {pattern!r} misses {item.expected!r}"
    categories = [i.category for i in dataset.items]
    assert len(categories) >= 30 and categories.count("multi_part") >= 10
    assert categories.count("unanswerable") >= 10
