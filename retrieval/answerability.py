"""Does the report say? A fitted, calibrated test on a composed answer, deciding "the report does not say".

    model = AnswerabilityModel.load(DEFAULT_MODEL)       # None of this runs when the file is missing
    answer = screen(engine, question, answer, hits, scores)

The features describe how well the composed answer fits the question, never what one report or one question
says: the best candidate's score and its margin over the next, the composer's confidence, the meaning
similarity of the quoted sentence and of its passage, word coverage, whether the quote carries a value of
the type asked for and how much of the question's focus sits beside that value ("86% of staff had
supervision" does not answer "what share of posts are vacant"), the IDF-weighted share of the question's
rare words in the quote, in the cited passages and anywhere in the report, whether the question's names and
years are cited or in the report at all, and the shape of retrieval (one clear first passage, or a flat
spread over several sections). A logistic regression over them is fitted by `report-qa fit-answerability`
(evals/fit.py) on the train split and saved as plain JSON (retrieval/answerability.json); its threshold
keeps all declines of answerable train questions at <= 3 %. REPORT_QA_ANSWERABILITY=FILE tries another
model file without shipping it ("off": none).
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Iterator, Set
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ingest.errors import ReportQAError
from ingest.text import normalise_for_match
from retrieval.analysis import AnswerType, analyse
from retrieval.candidate import Candidate
from retrieval.citations import decline
from retrieval.lexical import LexicalIndex, matched_text
from retrieval.questions import STOPWORDS, content_terms, stem
from retrieval.records import Answer, Hit
from retrieval.search import QueryScores

DEFAULT_MODEL = Path(__file__).resolve().parent / "answerability.json"
ENV_MODEL = "REPORT_QA_ANSWERABILITY"  # another model file to use instead of DEFAULT_MODEL, or "off"
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
    "value_near_focus",  # IDF-weighted share of the focus words beside the closest value of the type asked
    "rare_in_quote",  # IDF-weighted share of the question's rare words the quote uses
    "rare_in_cited",  # ... the cited passages use (with their headings)
    "rare_known_uncited",  # ... the report uses elsewhere but the cited passages do not
    "unknown_weight",  # IDF-weighted share of the question's content words the report never uses
    "passage_lead",  # the first passage's retrieval score over the fifth's: one clear passage, or a flat spread
    "section_agreement",  # share of the top passages in the first one's section
)

_MONTH = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|" \
         r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
_NUMBER_WORD = r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|" \
               r"hundred|thousand|million|half|third|quarter|dozen)"
_NAME = r"(?:O['’])?[A-Z][a-z]+(?:[A-Z][a-z]+)?"  # "Smith", "McLaughlin", "O'Brien"
VALUE_PATTERNS: dict[AnswerType, re.Pattern[str]] = {
    AnswerType.NUMBER: re.compile(rf"\b\d[\d,]*(?:\.\d+)?\b|\b{_NUMBER_WORD}\b", re.I),
    AnswerType.PERCENTAGE: re.compile(r"\d(?:[\d,]*\.?\d*)\s*(?:%|per ?cent)|\b(?:half|third|quarter|majority|"
                                      r"minority|most|all|none)\b", re.I),
    AnswerType.MONEY: re.compile(r"[£$€]\s?\d|\b\d[\d,.]*\s*(?:pounds|million|billion|bn|m|k)\b", re.I),
    AnswerType.DATE: re.compile(rf"\b(?:19|20)\d\d\b|\b{_MONTH}\b|\b\d{{1,2}}/\d{{1,2}}/\d{{2,4}}\b", re.I),
    AnswerType.DURATION: re.compile(rf"\b(?:\d+|{_NUMBER_WORD})\s*(?:-\s*)?(?:[a-z]+\s+)?(?:days?|weeks?|months?|"
                                    r"years?|hours?|minutes?)\b", re.I),
    AnswerType.PERSON: re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Dr|Sir|Dame|Lord|Lady|Professor)\b\.?\s+[A-Z]|"
                                  rf"\b{_NAME}(?:\s+[A-Z]\.)?\s+{_NAME}(?:-{_NAME})?\b"),
    # Inspection grades, plain verdict words and rated levels ("requires improvement", "good", "medium risk").
    AnswerType.VERDICT: re.compile(r"\b(?:outstanding|good|inadequate|requires? improvement|adequate|satisfactory|"
                                   r"poor|effective|ineffective|strong|weak|excellent|sufficient|insufficient|"
                                   r"high|medium|low)\b", re.I),
}
VALUE_WINDOW = 60  # characters either side of a value that count as "beside" it
# Words naming the form of an answer, not its topic: "What *percentage* ...", "the *name* of ...".
FORM_WORDS = frozenset(stem(w) for w in (
    "percentage", "proportion", "number", "figure", "total", "share", "name", "rate", "amount", "value", "date",
    "year", "when", "long", "often", "cost", "person", "people", "level", "grade", "how", "what", "who"))


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
    """The shipped model, read once; None when the file is absent (the engine then answers as without it).
    The environment variable REPORT_QA_ANSWERABILITY names another model file to try, or "off"."""
    override = os.environ.get(ENV_MODEL, "").strip()
    if path is None and override.lower() in ("off", "none", "0"):
        return None
    path = path or (Path(override) if override else DEFAULT_MODEL)
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
    features = candidate_features(
        candidates, chosen,
        confidence=composer.confidence(chosen, scores) if chosen is not None and row is not None else 0.0,
        passage_dense=float(scores.dense[row]) if row is not None else 0.0,
        passage_coverage=float(scores.passage_coverage[row]) if row is not None else 0.0,
        answer_type=analysis.answer_type, quote=quotes, passage=passages,
        question=question, constraints=analysis.constraints, lexical=composer.lexical,
        report=report_text(engine), focus=analysis.focus, not_name=composer.not_name_words(question),
        hits=hits[:CANDIDATE_PASSAGES])
    return features


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
                       lexical: LexicalIndex, report: str = "",
                       focus: tuple[str, ...] | None = None, not_name: Set[str] = frozenset(),
                       hits: list[Hit] | None = None) -> dict[str, float]:
    """The `FEATURES` of one quoted candidate among `candidates`; `hits` (the retrieved passages) default to
    the candidates' passages in order."""
    top = candidates[0].score if candidates else 0.0
    second = candidates[1].score if len(candidates) > 1 else 0.0
    expected = answer_type in VALUE_PATTERNS
    rare = rare_terms(question, lexical)
    quote_terms = set(content_terms(quote))
    cited_terms = set(content_terms(passage)) | quote_terms
    known = [t for t in rare if lexical.frequency(t) > 0]
    focus = tuple(content_terms(question)) if focus is None else focus
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
        "type_missing": float(expected and not carries_value(quote, answer_type, not_name)),
        "rare_share": rare_share(question, lexical),
        "unknown_share": unknown_share(question, lexical),
        "constraints_cited": constraints_cited(constraints, passage),
        "constraints_in_report": constraints_cited(constraints, report),
        "value_near_focus": value_near_focus(quote, answer_type, focus, lexical, not_name) if expected else 1.0,
        "rare_in_quote": weighted_share(rare, quote_terms, lexical),
        "rare_in_cited": weighted_share(rare, cited_terms, lexical),
        "rare_known_uncited": 1.0 - weighted_share(known, cited_terms, lexical) if known else 0.0,
        "unknown_weight": 1.0 - weighted_share(list(dict.fromkeys(content_terms(question))),
                                               lexical.vocabulary, lexical),
        **retrieval_shape(hits if hits is not None else list({id(c.hit): c.hit for c in candidates}.values())),
    }


def report_text(engine) -> str:
    """The whole report in `normalise_for_match` form, computed once per engine."""
    text = getattr(engine, "_answerability_text", None)
    if text is None:
        text = normalise_for_match(engine.document.text)
        engine._answerability_text = text
    return text


def carries_value(text: str, answer_type: AnswerType, not_name: Set[str] = frozenset()) -> bool:
    """The text holds a value of the type: a figure for NUMBER, a "%" for PERCENTAGE, a name for PERSON ...
    A PERSON is not a capitalised pair made only of `not_name` words (stems the report also writes in lower
    case, or the question's own: "Lead Member" is a role, "Mary Smith" a name)."""
    if answer_type not in VALUE_PATTERNS:
        return True
    return any(True for _ in values_of(text, answer_type, not_name))


def values_of(text: str, answer_type: AnswerType, not_name: Set[str] = frozenset()) -> Iterator[re.Match[str]]:
    """The matches of the type's value pattern in `text` (for PERSON, those with a word not in `not_name`)."""
    pattern = VALUE_PATTERNS.get(answer_type)
    if pattern is None:
        return
    for match in pattern.finditer(text):
        if answer_type is AnswerType.PERSON and not_name and not _named(match.group(0), not_name):
            continue
        yield match


def _named(phrase: str, not_name: Set[str]) -> bool:
    """A capitalised pair is a name when a word of it is neither a stopword ("The") nor in `not_name`."""
    words = [w.lower() for w in re.findall(r"[A-Za-z]+", phrase)[-2:]]
    return any(w not in STOPWORDS and stem(w) not in not_name for w in words)


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


def weighted_share(terms: list[str], found: Set[str], lexical: LexicalIndex) -> float:
    """IDF-weighted share of `terms` that are in `found` (1.0 when there are no terms).

    Example: terms ["foster", "carer"], found {"carer"}: the weight of "carer" over both weights.
    """
    terms = list(dict.fromkeys(terms))
    total = sum(lexical.weight(t) for t in terms)
    if total <= 0:
        return 1.0
    return sum(lexical.weight(t) for t in terms if t in found) / total


def value_near_focus(text: str, answer_type: AnswerType, focus: tuple[str, ...], lexical: LexicalIndex,
                     not_name: Set[str] = frozenset()) -> float:
    """How much of what is asked about sits beside a value of the type asked: for each value of that type in
    `text`, the IDF-weighted share of the focus words within VALUE_WINDOW characters; the best of them, 0.0
    when `text` holds no such value. Words naming the form ("percentage", "name") are not the focus.

    Example: "What percentage of posts are vacant?" over "86% of staff had supervision" -> low: the figure
    is beside neither "post" nor "vacant".
    """
    if answer_type not in VALUE_PATTERNS:
        return 1.0
    topic = [t for t in dict.fromkeys(focus) if t not in FORM_WORDS]
    best = 0.0
    for match in values_of(text, answer_type, not_name):
        if not topic:
            return 1.0
        window = text[max(0, match.start() - VALUE_WINDOW): match.end() + VALUE_WINDOW]
        best = max(best, weighted_share(topic, set(content_terms(window)), lexical))
    return best


def retrieval_shape(hits: list[Hit]) -> dict[str, float]:
    """How retrieval went: the first passage's score over the last one's (1.0: nothing to compare) and the
    share of the passages in the first one's section (an answer sits among passages on one topic)."""
    if not hits:
        return {"passage_lead": 1.0, "section_agreement": 0.0}
    first, last = float(hits[0].score), float(hits[-1].score)
    lead = first / last if last > 0 else 1.0
    section = hits[0].chunk.section_id
    return {"passage_lead": min(lead, 10.0),
            "section_agreement": sum(1 for h in hits if h.chunk.section_id == section) / len(hits)}
