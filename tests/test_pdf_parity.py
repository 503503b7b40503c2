"""scripts/pdf_parity.py: the three Ofsted reports asked through their PDFs and through their .txt copies."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("REPORT_QA_SHARED") or ROOT.parent / "shared")
OTHER_REPORTS = SHARED / "corpus" / "other-reports"
SCRIPT = ROOT / "scripts" / "pdf_parity.py"


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=600)


def test_a_missing_corpus_folder_is_a_usage_error_in_one_line(tmp_path):
    done = _run("--corpus", str(tmp_path / "absent"))
    assert done.returncode == 2
    assert done.stderr.strip().startswith("error: ") and len(done.stderr.strip().splitlines()) == 1


def test_a_folder_without_pdf_and_txt_pairs_is_a_usage_error(tmp_path):
    (tmp_path / "only.txt").write_text("A report with no PDF beside it.", encoding="utf-8")
    done = _run("--corpus", str(tmp_path))
    assert done.returncode == 2 and "NAME.pdf" in done.stderr


def test_help_says_what_it_prints():
    done = _run("--help")
    assert done.returncode == 0
    assert all(word in done.stdout for word in ("accuracy", "hit@1", "declined", "wrong", "--pdf-index-root"))


@pytest.mark.slow
def test_the_pdfs_answer_at_least_as_well_as_their_text_copies(tmp_path):
    if not OTHER_REPORTS.is_dir():
        pytest.skip(f"{OTHER_REPORTS} absent: the Ofsted PDFs and their .txt copies live in ../shared/corpus")
    done = _run("--json", "--pdf-index-root", str(tmp_path / "pdf"), "--txt-index-root", str(tmp_path / "txt"))
    assert done.returncode == 0, done.stderr
    rows = {row["report"]: row for row in json.loads(done.stdout)}
    assert {"ofsted-birmingham-2016", "ofsted-staffordshire-2014", "ofsted-stoke-on-trent-2015", "all"} <= set(rows)
    for row in rows.values():
        assert row["pdf"]["items"] == row["txt"]["items"] > 0
    assert rows["all"]["pdf"]["acc"] >= rows["all"]["txt"]["acc"] - 0.02, rows["all"]
