"""Unit tests must not quote evaluation questions: a test pinned to an eval wording rewards memorising it."""

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _eval_questions() -> dict[str, str]:
    found = {}
    for path in sorted((ROOT / "evals").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                item = json.loads(line)
                found[" ".join(item["question"].lower().split())] = f"{path.name}:{item['id']}"
    return found


def test_no_test_quotes_an_eval_question_word_for_word():
    questions = _eval_questions()
    assert questions, "no eval questions found under evals/"
    leaks = []
    for test_file in sorted((ROOT / "tests").glob("*.py")):
        for literal in re.findall(r'"([^"\n]{12,})"', test_file.read_text(encoding="utf-8")):
            key = " ".join(literal.lower().split())
            if key in questions:
                leaks.append(f"{test_file.name} quotes {questions[key]}: {literal!r}")
    assert not leaks, "\n".join(leaks)
