"""`report-qa fit-answerability`: fit the "does the report say?" model on the train split, report the test split.

    report-qa fit-answerability                       # all evals/*.jsonl -> retrieval/answerability.json
    report-qa fit-answerability --out /tmp/a.json --index-root /tmp/index
    REPORT_QA_ANSWERABILITY=/tmp/a.json report-qa eval --dataset 'evals/*.jsonl'   # try it without shipping

Every item of the train split (all reports) is asked with the model switched off, recording the features of
each composed answer (`retrieval.answerability`). A real answerable item is a positive (right or wrong:
refusing either counts as wrongly declined); an unanswerable item or a generated hard negative is a
negative. Hard negatives are near-misses made from real answerable train questions: a year, name or
organisation swapped for one the report lacks, a year it never mentions added to a count, a role it never
names asked for, a share asked where no sentence on the topic gives one. A logistic regression is fitted on
them; the threshold keeps every answerable train item declined (by the composer before the model, or by
it) at <= 3 %, also when each report's scores come from a model fitted without it. The test split is then
asked the same way and its numbers before and after are reported -- never tuned on.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from evals.dataset import EvalItem, load_dataset, merge_datasets
from ingest.errors import QuestionError, ReportQAError
from ingest.text import normalise_for_match
from retrieval.analysis import AnswerType, answer_type_of
from retrieval.answerability import DEFAULT_MODEL, FEATURES, AnswerabilityModel
from retrieval.questions import YEAR, content_terms, question_entities

EVALS = Path(__file__).resolve().parent
MAX_FALSE_REFUSALS = 0.03  # of the train items answered right
C = 0.3  # inverse regularisation strength of the logistic regression (0.05-1 measured alike on train)
# Replacements for a question's name or organisation; each is used only where the report never mentions it.
ACRONYM_POOL = ("DVLA", "UCAS", "RSPB", "HMRC", "DEFRA", "OFWAT", "NHSBT", "ACAS")
NAME_POOL = ("Northumbria", "Cornwall", "Cumbria", "Gwent", "Lincolnshire", "Suffolk", "Wiltshire", "Dyfed-Powys")
YEAR_SHIFTS = (3, -4, 6, -7, 9, -11, 13)
# Roles a public body has that a report may never name: "Who is the <role>?" is then a near-miss.
ROLE_POOL = ("finance director", "deputy chair", "press officer", "head of human resources", "data protection officer",
             "chief operating officer", "head of estates", "communications manager")
# "How many ..." asks a count; "What percentage of ..." the same topic as a share the report may not give.
_HOW_MANY = re.compile(r"^\s*how many\b", re.I)
_WHO_IS = re.compile(r"^\s*(?:who (?:is|was|are|were)|what (?:is|was) the name of) the\s+", re.I)
_PERCENT = re.compile(r"\d\s*(?:%|per ?cent)", re.I)
_END = re.compile(r"\s*[?.!]*\s*$")


@dataclass
class Row:
    """One question asked with the model off: what came back, and the features if it was answered."""

    id: str
    group: str  # the dataset file stem ("dataset", "ofsted-birmingham-2016") or "<stem> / negatives"
    split: str
    answerable: bool
    negative: bool  # a generated hard negative
    abstained: bool
    correct: bool  # answerable: right and not abstained; unanswerable: abstained
    features: dict[str, float] | None = None  # None when abstained
    p: float | None = None
    report: str = ""  # which report it was asked of (the cross-report threshold holds one out at a time)

    @property
    def label(self) -> int:
        """1 for a real answerable question, right or wrong: refusing either counts as wrongly declined."""
        return int(self.answerable and not self.negative)


class Recorder:
    """Stands in for the model while asking: keeps the features, lets every answer through."""

    threshold = 0.0

    def __init__(self) -> None:
        self.last: dict[str, float] | None = None

    def predict_proba(self, features: dict[str, float]) -> float:
        self.last = dict(features)
        return 1.0


@dataclass
class Question:
    id: str
    question: str
    group: str
    split: str
    answerable: bool
    negative: bool
    item: EvalItem | None = None


@dataclass
class FitResult:
    model: AnswerabilityModel
    rows: list[Row] = field(default_factory=list)


# -- hard negatives -------------------------------------------------------------------------------


def swap_for_absent(question: str, report_text: str, seed: str) -> str | None:
    """`question` with one year, name or organisation swapped for one `report_text` does not contain, or None.

    Example: "How many cases in 2015?" over a report without "2018" -> "How many cases in 2018?".
    """
    text = normalise_for_match(report_text)
    start = int(hashlib.sha256(seed.encode()).hexdigest(), 16)
    years = YEAR.findall(question)
    if years:
        year = int(years[0])
        for shift in YEAR_SHIFTS:
            other = str(year + shift)
            if other not in text:
                return question.replace(years[0], other, 1)
    names = [e for e in question_entities(question) if not YEAR.fullmatch(e)]
    if not names:
        return None
    name = names[0]
    pool = ACRONYM_POOL if name.isupper() and len(name) <= 6 else NAME_POOL
    for i in range(len(pool)):
        other = pool[(start + i) % len(pool)]
        if normalise_for_match(other) not in text:
            return question.replace(name, other, 1)
    return None


def add_absent_year(question: str, report_text: str) -> str | None:
    """A count or share question that pins no year, pinned to a year `report_text` never mentions, or None.

    Example: "How many cases were read?" over a report of 2016 -> "How many cases were read in 2010?".
    """
    if YEAR.search(question) or answer_type_of(question) not in (AnswerType.NUMBER, AnswerType.PERCENTAGE):
        return None
    years = YEAR.findall(report_text)
    if not years:
        return None
    latest = max(int(y) for y in years)
    text = normalise_for_match(report_text)
    for shift in (-6, -8, -10, 5, 7):
        other = str(latest + shift)
        if other not in text:
            return f"{_END.sub('', question)} in {other}?"
    return None


def swap_role(question: str, report_text: str, seed: str) -> str | None:
    """"Who is the <role>?" with the role swapped for one `report_text` never names, or None.

    Example: "Who is the lead inspector?" -> "Who is the press officer?".
    """
    found = _WHO_IS.match(question)
    if not found:
        return None
    text = normalise_for_match(report_text)
    start = int(hashlib.sha256(seed.encode()).hexdigest(), 16)
    for i in range(len(ROLE_POOL)):
        role = ROLE_POOL[(start + i) % len(ROLE_POOL)]
        if role not in text:
            return f"{question[: found.end()]}{role}?"
    return None


def ask_share_not_count(question: str, sentences: list[str]) -> str | None:
    """"How many X ...?" asked as "What percentage of X ...?" when no sentence of the report that uses all of
    the question's words gives a percentage (so the share is not there to find), or None.

    Example: "How many staff left?" over a report giving only "12 staff left" -> "What percentage of staff left?".
    """
    if not _HOW_MANY.match(question):
        return None
    terms = set(content_terms(question))
    if not terms:
        return None
    for sentence in sentences:
        if _PERCENT.search(sentence) and terms <= set(content_terms(sentence)):
            return None
    return _HOW_MANY.sub("What percentage of", question, count=1)


# -- asking ---------------------------------------------------------------------------------------


def questions_of(items: list[tuple[str, EvalItem]], splits: tuple[str, ...]) -> list[Question]:
    return [Question(item.id, item.question, group, item.split or "train", item.answerable, False, item)
            for group, item in items if (item.split or "train") in splits]


def negatives_of(questions: list[Question], report_text: str, sentences: list[str] | None = None) -> list[Question]:
    """Hard negatives from the answerable train questions: a year, name or organisation swapped for one the
    report lacks, a year the report never mentions added, a role it never names asked for, or a share asked
    where it only gives a count. Each generated question is a near-miss: the right topic, a fact not there."""
    sentences = sentences or []
    found = []
    for q in questions:
        if q.split != "train" or not q.answerable:
            continue
        made = {"neg": swap_for_absent(q.question, report_text, q.id),
                "year": add_absent_year(q.question, report_text),
                "role": swap_role(q.question, report_text, q.id),
                "share": ask_share_not_count(q.question, sentences)}
        for kind, swapped in made.items():
            if swapped and swapped != q.question:
                found.append(Question(f"{q.id}~{kind}", swapped, f"{q.group} / negatives", "train", False, True))
    return found


def report_sentences(engine) -> list[str]:
    """Every sentence of the report's passages, as text."""
    return [chunk.text[span.start : span.end] for chunk in engine.document.chunks for span in chunk.sentences]


def ask_all(engine, questions: list[Question], progress: Callable[[int, int], None] | None = None) -> list[Row]:
    """Every question asked with the model off (a `Recorder` in its place), one `Row` each."""
    recorder = Recorder()
    engine.answerability = recorder
    rows = []
    for done, q in enumerate(questions, 1):
        recorder.last = None
        try:
            answer = engine.ask(q.question, id=q.id)
        except QuestionError:
            rows.append(Row(q.id, q.group, q.split, q.answerable, q.negative, True, not q.answerable))
            continue
        if q.answerable:
            correct = not answer.abstained and q.item is not None and q.item.accepts(answer.answer)
        else:
            correct = answer.abstained
        features = recorder.last if not answer.abstained else None
        rows.append(Row(q.id, q.group, q.split, q.answerable, q.negative, answer.abstained, correct, features))
        if progress:
            progress(done, len(questions))
    return rows


# -- fitting --------------------------------------------------------------------------------------


def fit(rows: list[Row]) -> AnswerabilityModel:
    """Logistic regression on the answered train rows (answerable questions against unanswerable ones and
    generated near-misses), with the threshold that keeps every answerable train item declined -- before the
    model or by it -- at <= 3 %. With two or more reports the cut is also chosen on scores from models fitted
    without each report in turn, and the lower of the two is kept: a new report's questions must not be
    refused more often than the train reports' own."""
    train = [r for r in rows if r.split == "train" and r.features is not None]
    model = regression_of(train)
    for r in rows:
        if r.features is not None:
            r.p = model.predict_proba(r.features)
    answerable = [r for r in rows if r.split == "train" and r.answerable and not r.negative]
    model.threshold = cut_for(answerable, {id(r): r.p for r in answerable})
    cross = cross_report_scores(train, answerable)
    if cross is not None:
        model.threshold = min(model.threshold, cut_for(answerable, cross))
    return model


def regression_of(train: list[Row]) -> AnswerabilityModel:
    """The logistic regression over standardised `FEATURES` of answered train rows (threshold 0)."""
    from sklearn.linear_model import LogisticRegression

    labels = np.asarray([r.label for r in train])
    if len(set(labels.tolist())) < 2:
        raise ReportQAError(f"the train split gave {len(train)} answered item(s) of one class only; add "
                            "unanswerable items or check the indexes before fitting.")
    x = np.asarray([[r.features[n] for n in FEATURES] for r in train], dtype=float)
    means = x.mean(axis=0)
    scales = x.std(axis=0)
    scales[scales < 1e-9] = 1.0
    regression = LogisticRegression(C=C, max_iter=2000).fit((x - means) / scales, labels)
    return AnswerabilityModel(list(FEATURES), [float(c) for c in regression.coef_[0]],
                              float(regression.intercept_[0]), means.tolist(), scales.tolist(), 0.0)


def cut_for(answerable: list[Row], scores: dict[int, float | None]) -> float:
    """The highest cut keeping the answerable items declined (already declined: score -1) at <= 3 %."""
    values = [scores.get(id(r)) for r in answerable]
    return choose_threshold([-1.0 if v is None else v for v in values], MAX_FALSE_REFUSALS)


def cross_report_scores(train: list[Row], answerable: list[Row]) -> dict[int, float | None] | None:
    """Each answerable row's score from a model fitted without its report; None with fewer than two reports
    (or when a held-out fit has one class only)."""
    reports = sorted({r.report for r in train})
    if len(reports) < 2:
        return None
    scores: dict[int, float | None] = {}
    for report in reports:
        try:
            held_out = regression_of([r for r in train if r.report != report])
        except ReportQAError:
            return None
        for r in answerable:
            if r.report == report:
                scores[id(r)] = held_out.predict_proba(r.features) if r.features is not None else None
    return scores


def choose_threshold(positive_scores: list[float], max_false_refusals: float = MAX_FALSE_REFUSALS) -> float:
    """The highest cut that refuses (score < cut) at most `max_false_refusals` of the positives.

    Example: 100 positives, 0.03 -> the 4th lowest score: the 3 below it are refused, no more.
    """
    if not positive_scores:
        return 0.0
    ordered = sorted(positive_scores)
    allowed = int(np.floor(max_false_refusals * len(ordered) + 1e-9))
    return float(ordered[min(allowed, len(ordered) - 1)])


# -- numbers --------------------------------------------------------------------------------------


def measures(rows: list[Row], threshold: float | None) -> dict[str, float | int | None]:
    """accuracy, declined unanswerable, wrongly declined of `rows`, with the model at `threshold` (None: off)."""

    def declined(r: Row) -> bool:
        return r.abstained or (threshold is not None and r.p is not None and r.p < threshold)

    answerable = [r for r in rows if r.answerable]
    unanswerable = [r for r in rows if not r.answerable]
    return {"n": len(rows),
            "accuracy": _share(sum(r.correct and not declined(r) for r in answerable), len(answerable)),
            "declined_unanswerable": _share(sum(declined(r) for r in unanswerable), len(unanswerable)),
            "wrongly_declined": _share(sum(declined(r) for r in answerable), len(answerable))}


def numbers(rows: list[Row], threshold: float) -> dict[str, dict]:
    """Before/after per group and split, for the bundled sets together, the negatives and everything."""
    keys: dict[str, list[Row]] = {}
    for r in rows:
        real = not r.negative
        for key in ([f"{r.group} / {r.split}"] if real else [r.group]) + (
                [f"bundled / {r.split}"] if real and not r.group.startswith("ofsted") else []) + (
                [f"all / {r.split}"] if real else ["all negatives"]):
            keys.setdefault(key, []).append(r)
    return {key: {"before": measures(group, None), "after": measures(group, threshold)}
            for key, group in sorted(keys.items())}


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


# -- the command ----------------------------------------------------------------------------------


def default_datasets() -> list[Path]:
    return sorted(EVALS.glob("*.jsonl"))


def add_fit_command(commands: argparse._SubParsersAction) -> None:
    from ingest.cli_options import common_options

    parser = commands.add_parser(
        "fit-answerability", help="fit the 'the report does not say' model on the eval train split",
        description="Ask every train item of the eval datasets, fit the answerability model on the answers "
                    "(answerable items against unanswerable ones and generated near-misses: a year, name, "
                    "role or measure the report lacks), choose its threshold so that <= 3%% of answerable "
                    "train items are declined in all (also when each report is held out of the fit), and "
                    "report the test split before and after. The model is used once the file is at its "
                    "default place; REPORT_QA_ANSWERABILITY=FILE tries one without shipping it.",
        parents=[common_options()])
    parser.add_argument("--dataset", action="append", metavar="FILE",
                        help="JSONL dataset; repeatable, globs expand (default: every evals/*.jsonl)")
    parser.add_argument("--out", type=Path, default=DEFAULT_MODEL, metavar="FILE",
                        help=f"where the fitted model goes (default: {DEFAULT_MODEL})")
    parser.set_defaults(handler=run_fit_command)


def run_fit_command(args: argparse.Namespace) -> int:
    from evals.cli import dataset_paths
    from evals.reports import ensure_index
    from ingest.cli_options import settings_from
    from retrieval.engine import Engine

    settings = settings_from(args)
    paths = dataset_paths(args.dataset) if args.dataset else default_datasets()
    datasets = [load_dataset(p) for p in paths]
    merge_datasets(datasets)  # duplicate ids across files are an error, as for `eval`
    by_report: dict[str | None, list[tuple[str, EvalItem]]] = {}
    for path, dataset in zip(paths, datasets, strict=True):
        for item in dataset.items:
            by_report.setdefault(item.report, []).append((path.stem, item))
    rows: list[Row] = []
    for report, items in by_report.items():
        if report is not None and not ensure_index(report, settings).ready:
            print(f"skipping {len(items)} item(s) of report {report}: no index and no source", file=sys.stderr)
            continue
        engine = Engine.load(settings=settings, report=report)
        asked = questions_of(items, ("train", "test"))
        asked += negatives_of(asked, engine.document.text, report_sentences(engine))
        print(f"{engine.document.name}: asking {len(asked)} questions…", file=sys.stderr)
        for row in ask_all(engine, asked):
            row.report = engine.document.name
            rows.append(row)
    model = fit(rows)
    model.numbers = {"threshold": model.threshold, "max_false_refusals": MAX_FALSE_REFUSALS,
                     "train_answered": sum(1 for r in rows if r.split == "train" and r.features is not None),
                     "train_negatives": sum(1 for r in rows if r.negative),
                     "groups": numbers(rows, model.threshold)}
    model.save(args.out)
    _print(model)
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


def _print(model: AnswerabilityModel) -> None:
    print(f"threshold {model.threshold:.3f} (train: <= {MAX_FALSE_REFUSALS:.0%} of answerable items declined in "
          "all, also with each report held out); before -> after:")
    print(f"{'group / split':44} {'n':>4}  {'accuracy':>11}  {'declined unans':>14}  {'wrongly declined':>16}")
    for key, pair in model.numbers["groups"].items():
        b, a = pair["before"], pair["after"]
        cells = [f"{_f(b[m])}->{_f(a[m])}" for m in ("accuracy", "declined_unanswerable", "wrongly_declined")]
        print(f"{key:44} {b['n']:>4}  {cells[0]:>11}  {cells[1]:>14}  {cells[2]:>16}")


def _f(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"
