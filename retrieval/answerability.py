"""Does the report say? A fitted, calibrated test on a composed answer, deciding "the report does not say".

    model = AnswerabilityModel.load(DEFAULT_MODEL)       # None of this runs when the file is missing
    answer = screen(engine, question, answer, hits, scores)

The features describe how well the composed answer fits the question, never what one report or one question
says: the best candidate's score and its margin over the next, the composer's confidence, the meaning
similarity of the quoted sentence and of its passage, word coverage, whether the quote carries a value of
the type asked for, the share of the question's rare words the report uses anywhere, and whether the
question's names and years are in the cited passage. A logistic regression over them is fitted by
`report-qa fit-answerability` (evals/fit.py) on the train split and saved as plain JSON
(retrieval/answerability.json); its threshold keeps false refusals of right answers at <= 3 % on train.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ingest.errors import ReportQAError
from ingest.text import normalise_for_match
from retrieval.analysis import AnswerType, analyse
from retrieval.candidate import Candidate
from retrieval.citations import decline
from retrieval.lexical import LexicalIndex, matched_text
from retrieval.questions import content_terms
from retrieval.records import Answer, Hit
from retrieval.search import QueryScores

DEFAULT_MODEL = Path(__file__).resolve().parent / "answerability.json"
FORMAT = "report-qa answerability 1"
RARE_SHARE_OF_MAX_IDF = 0.5  # a question word is "rare" when its IDF is at least this share of an unseen word's
CANDIDATE_PASSAGES = 5

FEATURES = (
    "top_score",  # the best candidate's score
    "margin",  # its lead over the second candidate
    "chosen_score",  # the score of the candidate actually quoted
    "confidence",  # Composer.confidence of the quoted candidate
    "sentence_dense",  # meaning similarity of the quoted sentence
    "passage_dense",  # meaning similarity of its passage
    "coverage",  # share of the question's weighted words in the quote
    "passage_coverage",  # ... in its passage
    "type_expected",  # the question asks for a number, percentage, money, date, duration or person
    "type_missing",  # ... and the quote carries no value of that type
    "rare_share",  # share of the question's rare words found anywhere in the report
    "unknown_share",  # share of all the question's content words the report never uses
    "constraints_cited",  # share of the question's names and years in the cited passages (or their headings)
    "constraints_in_report",  # share of them the report mentions anywhere
)

_MONTH = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|" \
         r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
_NUMBER_WORD = r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|" \
               r"hundred|thousand|million|half|third|quarter|dozen)"
VALUE_PATTERNS: dict[AnswerType, re.Pattern[str]] = {
    AnswerType.NUMBER: re.compile(rf"\b\d[\d,]*(?:\.\d+)?\b|\b{_NUMBER_WORD}\b", re.I),
    AnswerType.PERCENTAGE: re.compile(r"\d(?:[\d,]*\.?\d*)\s*(?:%|per ?cent)|\b(?:half|third|quarter|majority|"
                                      r"minority|most|all|none)\b", re.I),
    AnswerType.MONEY: re.compile(r"[£$€]\s?\d|\b\d[\d,.]*\s*(?:pounds|million|billion|bn|m|k)\b", re.I),
    AnswerType.DATE: re.compile(rf"\b(?:19|20)\d\d\b|\b{_MONTH}\b|\b\d{{1,2}}/\d{{1,2}}/\d{{2,4}}\b", re.I),
    AnswerType.DURATION: re.compile(rf"\b(?:\d+|{_NUMBER_WORD})\s*(?:-\s*)?(?:days?|weeks?|months?|years?|hours?|"
                                    r"minutes?)\b", re.I),
    AnswerType.PERSON: re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Dr|Sir|Dame|Lord|Lady|Professor)\b\.?\s+[A-Z]|"
                                  r"\b[A-Z][a-z]+(?:\s+[A-Z]\.)?\s+[A-Z][a-z]+(?:-[A-Z][a-z]+)?\b"),
}


class Scorer(Protocol):
    """What `screen` needs of a model: a probability that the answer is right, and where to cut."""

    threshold: float

    def predict_proba(self, features: dict[str, float]) -> float: ...


@dataclass
class AnswerabilityModel:
    """A logistic regression over standardised `FEATURES`, stored as plain JSON (no pickle)."""

    feature_names: list[str]
    coefficients: list[float]
    intercept: float
    means: list[float]
    scales: list[float]
    threshold: float
    numbers: dict[str, Any] = field(default_factory=dict)  # train/test measurements written by the fit

    def predict_proba(self, features: dict[str, float]) -> float:
        """P(the composed answer is right). A feature the model knows but `features` lacks is an error."""
        missing = [n for n in self.feature_names if n not in features]
        if missing:
            raise ReportQAError(f"answerability features missing: {', '.join(missing)}; refit with "
                                "`report-qa fit-answerability`.")
        z = self.intercept + sum(c * (float(features[n]) - m) / s for n, c, m, s in
                                 zip(self.feature_names, self.coefficients, self.means, self.scales, strict=True))
        return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, **asdict(self)}

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_json(), indent=1) + "\n", encoding="utf-8")

    @classmethod
    def from_json(cls, data: dict[str, Any], source: str = "answerability model") -> AnswerabilityModel:
        if data.get("format") != FORMAT:
            raise ReportQAError(f"{source} is not a {FORMAT!r} file (format {data.get('format')!r}); rerun "
                                "`report-qa fit-answerability`.")
        try:
            model = cls(list(data["feature_names"]), [float(c) for c in data["coefficients"]],
                        float(data["intercept"]), [float(m) for m in data["means"]],
                        [float(s) for s in data["scales"]], float(data["threshold"]), dict(data.get("numbers", {})))
        except (KeyError, TypeError, ValueError) as err:
            raise ReportQAError(f"{source} is malformed ({err!r}); rerun `report-qa fit-answerability`.") from None
        sizes = {len(model.feature_names), len(model.coefficients), len(model.means), len(model.scales)}
        if len(sizes) != 1 or any(s <= 0 for s in model.scales):
            raise ReportQAError(f"{source} has mismatched feature lists; rerun `report-qa fit-answerability`.")
        return model

    @classmethod
    def load(cls, path: Path) -> AnswerabilityModel:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise ReportQAError(f"cannot read the answerability model {path} ({err}); rerun "
                                "`report-qa fit-answerability` or delete the file.") from None
        return cls.from_json(data, str(path))


_LOADED: dict[Path, AnswerabilityModel | None] = {}


def default_model(path: Path | None = None) -> AnswerabilityModel | None:
    """The shipped model, read once; None when the file is absent (the engine then answers as without it)."""
    path = path or DEFAULT_MODEL
    if path not in _LOADED:
        _LOADED[path] = AnswerabilityModel.load(path) if path.exists() else None
    return _LOADED[path]


def model_of(engine) -> Scorer | None:
    """The engine's model: its own `answerability` attribute when set (tests, the fit), else the shipped one."""
    if not hasattr(engine, "answerability"):
        engine.answerability = default_model()
    return engine.answerability


def screen(engine, question: str, answer: Answer, hits: list[Hit], scores: QueryScores) -> Answer:
    """`answer`, or "the report does not say" when the model gives it a probability below its threshold."""
    if answer.abstained or not answer.citations:
        return answer
    model = model_of(engine)
    if model is None:
        return answer
    features = answer_features(engine, question, answer, hits, scores)
    if model.predict_proba(features) >= model.threshold:
        return answer
    return decline(question, hits)


# -- features -------------------------------------------------------------------------------------


def answer_features(engine, question: str, answer: Answer, hits: list[Hit], scores: QueryScores) -> dict[str, float]:
    """The features of one composed (not yet verified) answer, from the engine's composer and indexes."""
    composer = engine.composer
    analysis = analyse(question)
    candidates = composer.candidates(question, analysis.intent, hits[:CANDIDATE_PASSAGES], scores)
    cited = answer.citations[0]
    chosen = quoted_candidate(candidates, cited.chunk_id, cited.quote)
    row = composer.chunk_rows.get(cited.chunk_id)
    quotes = " ".join(c.quote for c in answer.citations)
    chunks = [engine.document.chunks[composer.chunk_rows[c.chunk_id]] for c in answer.citations
              if c.chunk_id in composer.chunk_rows]
    # A passage names what its heading or a spelled-out acronym names ("the National Probation Service": NPS).
    passages = " ".join(f"{' '.join(ch.section_path)} {matched_text(ch, composer.lexical.acronyms)}" for ch in chunks)
    return candidate_features(
        candidates, chosen,
        confidence=composer.confidence(chosen, scores) if chosen is not None and row is not None else 0.0,
        passage_dense=float(scores.dense[row]) if row is not None else 0.0,
        passage_coverage=float(scores.passage_coverage[row]) if row is not None else 0.0,
        answer_type=analysis.answer_type, quote=quotes, passage=passages,
        question=question, constraints=analysis.constraints, lexical=composer.lexical,
        report=report_text(engine))


def quoted_candidate(candidates: list[Candidate], chunk_id: str, quote: str) -> Candidate | None:
    """The candidate the answer quotes first: same passage, text inside the quote; else the passage's best."""
    same = [c for c in candidates if c.hit.chunk.id == chunk_id]
    for candidate in same:
        if candidate.text.strip() and candidate.text.strip() in quote:
            return candidate
    return same[0] if same else (candidates[0] if candidates else None)


def candidate_features(candidates: list[Candidate], chosen: Candidate | None, *, confidence: float,
                       passage_dense: float, passage_coverage: float, answer_type: AnswerType, quote: str,
                       passage: str, question: str, constraints: tuple[str, ...],
                       lexical: LexicalIndex, report: str = "") -> dict[str, float]:
    top = candidates[0].score if candidates else 0.0
    second = candidates[1].score if len(candidates) > 1 else 0.0
    expected = answer_type in VALUE_PATTERNS
    return {
        "top_score": top,
        "margin": top - second,
        "chosen_score": chosen.score if chosen is not None else 0.0,
        "confidence": confidence,
        "sentence_dense": chosen.dense if chosen is not None else 0.0,
        "passage_dense": passage_dense,
        "coverage": chosen.coverage if chosen is not None else 0.0,
        "passage_coverage": passage_coverage,
        "type_expected": float(expected),
        "type_missing": float(expected and not carries_value(quote, answer_type)),
        "rare_share": rare_share(question, lexical),
        "unknown_share": unknown_share(question, lexical),
        "constraints_cited": constraints_cited(constraints, passage),
        "constraints_in_report": constraints_cited(constraints, report),
    }


def report_text(engine) -> str:
    """The whole report in `normalise_for_match` form, computed once per engine."""
    text = getattr(engine, "_answerability_text", None)
    if text is None:
        text = normalise_for_match(engine.document.text)
        engine._answerability_text = text
    return text


def carries_value(text: str, answer_type: AnswerType) -> bool:
    """The text holds a value of the type: a figure for NUMBER, a "%" for PERCENTAGE, a name for PERSON ..."""
    pattern = VALUE_PATTERNS.get(answer_type)
    return pattern is None or bool(pattern.search(text))


def rare_terms(question: str, lexical: LexicalIndex) -> list[str]:
    """The question's content words as rare as words used in only a few passages (an unseen word is rarest)."""
    cut = RARE_SHARE_OF_MAX_IDF * lexical.default_idf
    return [t for t in dict.fromkeys(content_terms(question)) if lexical.weight(t) >= cut]


def rare_share(question: str, lexical: LexicalIndex) -> float:
    rare = rare_terms(question, lexical)
    if not rare:
        return 1.0
    return sum(1 for t in rare if lexical.frequency(t) > 0) / len(rare)


def unknown_share(question: str, lexical: LexicalIndex) -> float:
    terms = list(dict.fromkeys(content_terms(question)))
    if not terms:
        return 0.0
    return sum(1 for t in terms if lexical.frequency(t) == 0) / len(terms)


def constraints_cited(constraints: tuple[str, ...], passage: str) -> float:
    """Share of the question's names and years that the cited passages mention (1.0 when it pins none)."""
    if not constraints:
        return 1.0
    text = normalise_for_match(passage)
    return sum(1 for c in constraints if normalise_for_match(c) in text) / len(constraints)
