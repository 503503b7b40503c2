"""Feedback on answers, kept durably and turned into evaluation items.

    store = FeedbackStore.at(settings.index_root)          # <index_root>/feedback.sqlite
    record_id = store.add(question, answer.to_json(), "wrong_answer", report="…", expected="67.1%")
    lines = export_lines(store.records())                  # eval-item JSONL for `report-qa eval --dataset`

SQLite (standard library), one short transaction per write, WAL journal: a crash or kill never leaves half
a record, and several app workers may write at once. Nothing here imports gradio, so `report-qa feedback
export` stays fast.
"""

from __future__ import annotations

import argparse
import json
import re
import sqlite3
import sys
from collections.abc import Iterable
from dataclasses import asdict, dataclass, is_dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ingest.errors import ReportQAError

FILENAME = "feedback.sqlite"
VERDICTS = ("correct", "wrong_answer", "wrong_evidence")
MAX_TEXT = 2_000  # note and expected answer: a sentence or a paragraph, not a document
MARKERS = re.compile(r"\s*\[\d+\]")
# Expected answers that mean "the report cannot answer this": the item is replayed as unanswerable.
DECLINE = re.compile(r"(?i)^\s*(?:the report does not say|not in the report|unanswerable|none|n/?a)\b")
SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    question TEXT NOT NULL,
    verdict TEXT NOT NULL,
    answer_json TEXT NOT NULL,
    report TEXT,
    settings_json TEXT NOT NULL,
    note TEXT,
    expected TEXT
)
"""


class FeedbackError(ReportQAError):
    """Feedback that cannot be stored or exported as given."""


@dataclass(frozen=True)
class FeedbackRecord:
    id: int
    created_at: str  # ISO 8601, UTC
    question: str
    verdict: str  # one of VERDICTS
    answer: dict[str, Any]  # Answer.to_json()
    report: str | None
    settings: dict[str, Any]
    note: str | None = None
    expected: str | None = None


def check_verdict(verdict: str) -> str:
    """The verdict in its stored form. Example: "Wrong answer" -> "wrong_answer"; "bad" -> FeedbackError."""
    normal = str(verdict or "").strip().lower().replace(" ", "_").replace("-", "_")
    if normal not in VERDICTS:
        raise FeedbackError(f"verdict {verdict!r} is not one of {', '.join(VERDICTS)}; "
                            "pick one of those.")
    return normal


def _check_text(value: str | None, name: str) -> str | None:
    if value is None or not str(value).strip():
        return None
    text = str(value).strip()
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise FeedbackError(f"the {name} holds text that is not valid Unicode; retype it.") from None
    if len(text) > MAX_TEXT:
        raise FeedbackError(f"the {name} is {len(text):,} characters long; keep it under {MAX_TEXT:,}.")
    return text


def settings_json(settings: Any) -> dict[str, Any]:
    """Settings as JSON-safe values (paths as strings). Example: Settings(top_k=5, …) -> {"top_k": 5, …}."""
    data = asdict(settings) if is_dataclass(settings) else dict(settings or {})
    return json.loads(json.dumps(data, default=str))


class FeedbackStore:
    """Feedback records in one SQLite file."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        if not self.path.parent.is_dir():
            raise FeedbackError(f"cannot keep feedback in {self.path}: folder {self.path.parent} does not "
                                "exist; build an index first (`report-qa ingest`) or pass --index-root.")
        with self._connect() as db:
            db.execute(SCHEMA)

    @classmethod
    def at(cls, index_root: Path) -> FeedbackStore:
        return cls(Path(index_root) / FILENAME)

    def _connect(self) -> sqlite3.Connection:
        try:
            db = sqlite3.connect(self.path, timeout=10)
            db.execute("PRAGMA journal_mode=WAL")
        except sqlite3.Error as err:
            raise FeedbackError(f"cannot open the feedback store {self.path} ({err}); check that the file "
                                "is writable, or move it away to start a new one.") from None
        return db

    def add(self, question: str, answer: dict[str, Any], verdict: str, *, report: str | None = None,
            settings: Any = None, note: str | None = None, expected: str | None = None) -> int:
        """Store one verdict on one answer; returns the new record's id."""
        verdict = check_verdict(verdict)
        question = _check_text(question, "question")
        if question is None:
            raise FeedbackError("feedback needs the question that was asked.")
        if not isinstance(answer, dict):
            raise FeedbackError(f"the answer must be an answer object (JSON), not {type(answer).__name__}.")
        row = (datetime.now(UTC).isoformat(timespec="seconds"), question, verdict,
               json.dumps(answer, ensure_ascii=False, default=str), report,
               json.dumps(settings_json(settings), ensure_ascii=False), _check_text(note, "note"),
               _check_text(expected, "expected answer"))
        db = self._connect()
        try:
            with db:  # one transaction: the record is there whole, or not at all
                cursor = db.execute("INSERT INTO feedback (created_at, question, verdict, answer_json, report, "
                                    "settings_json, note, expected) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", row)
            return int(cursor.lastrowid)
        finally:
            db.close()

    def update(self, record_id: int, *, note: str | None = None, expected: str | None = None,
               verdict: str | None = None) -> None:
        """Add a note, an expected answer or a new verdict to a stored record (None leaves a field alone)."""
        changes = {"note": _check_text(note, "note"), "expected": _check_text(expected, "expected answer"),
                   "verdict": check_verdict(verdict) if verdict is not None else None}
        changes = {k: v for k, v in changes.items() if v is not None}
        if not changes:
            return
        db = self._connect()
        try:
            with db:
                cursor = db.execute(f"UPDATE feedback SET {', '.join(f'{k} = ?' for k in changes)} WHERE id = ?",
                                    [*changes.values(), int(record_id)])
            if cursor.rowcount == 0:
                raise FeedbackError(f"no feedback record {record_id} in {self.path}.")
        finally:
            db.close()

    def records(self, limit: int | None = None) -> list[FeedbackRecord]:
        """Every record, oldest first (or the newest `limit`, still oldest first)."""
        query = "SELECT id, created_at, question, verdict, answer_json, report, settings_json, note, expected " \
                "FROM feedback ORDER BY id"
        db = self._connect()
        try:
            rows = db.execute(query).fetchall()
        finally:
            db.close()
        records = [FeedbackRecord(r[0], r[1], r[2], r[3], _loads(r[4]), r[5], _loads(r[6]), r[7], r[8])
                   for r in rows]
        return records[-limit:] if limit else records


def _loads(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


# ---------- export as evaluation items ----------

# Citation kinds that name a dataset category; anything else is a "finding".
KIND_CATEGORIES = {"glossary": "glossary", "table": "table", "recommendation": "recommendation",
                   "practice_example": "practice_example", "key_fact": "statistic"}


def answer_text(answer: dict[str, Any]) -> str:
    """The answer without its [n] markers. Example: "ATR Alcohol Treatment Requirement [1]" -> "ATR Alcohol…"."""
    return MARKERS.sub("", str(answer.get("answer") or "")).strip()


def pattern_for(expected: str) -> str:
    """A regex that accepts the expected answer, any spacing. Example: "67.1 %" -> r"67\\.1\\s+%"."""
    return r"\s+".join(re.escape(word) for word in expected.split())


def _opening(text: str, limit: int = 80) -> str:
    """Example: a 200-character answer -> its first 80 characters, cut at a word."""
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0]


def eval_item(record: FeedbackRecord) -> dict[str, Any] | None:
    """The record as an eval-item dict (evals/dataset.py's format), or None when it cannot be scored.

    correct: the answer given is the expected one (unless an expected answer was typed), its quotes the
    evidence. wrong_answer / wrong_evidence: the typed expected answer; evidence only from cited quotes that
    hold it. An expected answer like "The report does not say" makes the item unanswerable. A wrong verdict
    with no expected answer says what is wrong but not what is right: it is not exported.
    """
    answer = record.answer
    citations = [c for c in answer.get("citations") or [] if isinstance(c, dict)]
    quotes = [str(c.get("quote") or "").strip() for c in citations]
    expected = record.expected or (answer_text(answer) if record.verdict == "correct" else "")
    if record.verdict == "correct" and answer.get("abstained") and not record.expected:
        expected = "The report does not say"
    if not expected:
        return None
    typed = bool(record.expected)
    item: dict[str, Any] = {"id": f"fb-{record.id:04d}", "question": record.question}
    if DECLINE.match(expected):
        item.update(category="unanswerable", expected=expected, patterns=[], evidence=[])
    else:
        if record.verdict == "correct" and not record.expected:
            evidence = quotes
        elif record.verdict == "wrong_evidence":
            evidence = []
        else:
            evidence = [q for q in quotes if expected.lower() in q.lower()]
        kinds = [KIND_CATEGORIES.get(str(c.get("kind"))) for c in citations]
        category = next((k for k in kinds if k), "finding")
        # An answer judged correct is long: its opening words are enough to recognise it again.
        accepted = expected if typed else _opening(expected)
        item.update(category=category, expected=expected, patterns=[pattern_for(accepted)],
                    evidence=[q for q in evidence if q])
    if record.report:
        item["report"] = record.report
    return item


def export_lines(records: Iterable[FeedbackRecord]) -> tuple[list[str], int]:
    """(JSONL lines, number of records left out because they cannot be scored)."""
    lines, skipped = [], 0
    for record in records:
        item = eval_item(record)
        if item is None:
            skipped += 1
        else:
            lines.append(json.dumps(item, ensure_ascii=False))
    return lines, skipped


# ---------- `report-qa feedback export` ----------


def add_feedback_command(commands) -> None:
    from ui.cli import common_options

    feedback = commands.add_parser("feedback", help="feedback given in the app (export as eval items)",
                                   description="Work with the feedback people gave on answers in the app.")
    actions = feedback.add_subparsers(dest="action", metavar="ACTION", required=True)
    export = actions.add_parser("export", parents=[common_options()],
                                help="write the feedback as eval-item JSONL (for `report-qa eval --dataset`)",
                                description="Write each stored feedback record as one eval-item JSON line "
                                "(stdout by default). Wrong verdicts without an expected answer are left out.")
    export.add_argument("--out", type=Path, help="file to write (default: stdout)")
    export.set_defaults(handler=run_export)


def run_export(args: argparse.Namespace) -> int:
    from ui.cli import settings_from

    settings = settings_from(args)
    path = Path(settings.index_root) / FILENAME
    if not path.is_file():
        raise FeedbackError(f"no feedback yet: {path} does not exist; give feedback in the app "
                            "(`report-qa serve`) or pass --index-root.")
    lines, skipped = export_lines(FeedbackStore(path).records())
    text = "".join(line + "\n" for line in lines)
    if args.out is None:
        sys.stdout.write(text)
    else:
        out = Path(args.out)
        if out.is_dir() or not out.parent.is_dir():
            raise FeedbackError(f"cannot write {out}: give a file in an existing folder with --out.")
        temporary = out.with_name(out.name + ".tmp")
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(out)  # readers never see half a file
    note = f"; {skipped} left out (a wrong verdict with no expected answer)" if skipped else ""
    where = f" to {args.out}" if args.out else ""
    print(f"exported {len(lines)} feedback item(s){where}{note}", file=sys.stderr)
    return 0
