"""`report-qa fit-scorer`: fit the candidate scorer's weights on the eval train split (retrieval/scorer.py).

    report-qa fit-scorer                              # all evals/*.jsonl -> retrieval/scorer_weights.json
    report-qa fit-scorer --out /tmp/w.json
    REPORT_QA_SCORER=/tmp/w.json report-qa eval --dataset 'evals/*.jsonl'   # try them without shipping

Every answerable TRAIN item (test items are never read) is asked with the hand weights, recording each list
of candidates the composer ranks for it: each candidate's features, and whether it would make the item
correct (its text matches the item's expected answer, `EvalItem.accepts`, the eval's own check). A logistic
regression is fitted on the candidates of the lists holding both a right and a wrong one, each list's
features centred on its own mean (so it learns which candidate of a list is better, not which question is
easier). Its regularisation is chosen by leave-one-report-out cross-validation on train: the share of lists
whose top candidate is right, each report's lists ranked by weights fitted without it, against the hand
weights on the same lists. The weights are rescaled to the hand scores' mean and spread (the composer's
ratios and the answerability model read scores on that scale) and written with the CV numbers -- only
when they rank better than the hand weights across reports (--keep-worse writes them anyway; a tie is not
written: the hand weights are the simpler rule).

A second model is tried alongside: a listwise fit (a conditional logit: the softmax over each list of its
candidates' scores, maximising the probability of its right ones) of a correction to the hand score,
score = hand score + w . standardised features, with an L2 penalty on w. A strong penalty gives the hand
weights back, so it never starts from a worse ranking; the weights stay one linear vector (same file).
Whichever model and penalty ranks best in the leave-one-report-out CV is the one written.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from evals.dataset import EvalItem, load_dataset, merge_datasets
from ingest.errors import QuestionError, ReportQAError
from retrieval.scorer import DEFAULT_WEIGHTS, FEATURES, HAND_WEIGHTS, Scorer, use_scorer

EVALS = Path(__file__).resolve().parent
C_GRID = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0)  # inverse regularisation strengths tried
LAMBDA_GRID = (0.3, 1.0, 3.0, 10.0, 30.0)  # L2 penalties of the listwise correction tried
MIN_SHARPNESS = 0.1  # the listwise fit's lowest multiplier of the hand score


@dataclass
class Group:
    """One ranked list of candidates for one train question: features, the later score adjustments the
    composer adds outside the weighted sum, and which candidates would make the item correct."""

    report: str
    item_id: str
    features: np.ndarray  # candidates x FEATURES
    adjust: np.ndarray  # score - weighted sum (a named agent, a contradicted time: applied after scoring)
    right: np.ndarray  # bool per candidate

    @property
    def mixed(self) -> bool:
        return bool(self.right.any() and not self.right.all())


def collect(engine, items: list[EvalItem], report: str,
            progress: Callable[[int, int], None] | None = None) -> list[Group]:
    """Ask each item with the hand weights, keeping every distinct candidate list the composer ranked."""
    composer = engine.composer
    original = composer.candidates
    recorded: list[tuple[str, list]] = []

    def recording(question, *args, **kwargs):
        found = original(question, *args, **kwargs)
        recorded.append((question, list(found)))
        return found

    hand = Scorer()
    use_scorer(hand)
    composer.candidates = recording
    groups: list[Group] = []
    try:
        for done, item in enumerate(items, 1):
            recorded.clear()
            try:
                engine.ask(item.question, id=item.id)
            except QuestionError:
                continue
            seen: set[tuple[str, int]] = set()
            for question, found in recorded:
                kept = [c for c in found if c.features]
                if not kept or (question, len(kept)) in seen:
                    continue
                seen.add((question, len(kept)))
                x = np.array([c.features for c in kept], dtype=float)
                adjust = np.array([c.score - hand.score(c.features) for c in kept])
                right = np.array([item.accepts(c.text) for c in kept])
                groups.append(Group(report, item.id, x, adjust, right))
            if progress:
                progress(done, len(items))
    finally:
        composer.candidates = original
        use_scorer(None)
    return groups


def top_right(groups: list[Group], weights: np.ndarray, intercept: float = 0.0) -> float | None:
    """Share of the lists holding a right candidate whose top candidate (weights . features + the
    adjustments) is right."""
    judged = [g for g in groups if g.right.any()]
    if not judged:
        return None
    hits = sum(bool(g.right[int(np.argmax(g.features @ weights + intercept + g.adjust))]) for g in judged)
    return hits / len(judged)


def fit_weights(groups: list[Group], c: float) -> tuple[np.ndarray, float]:
    """Logistic regression on per-list-centred features, rescaled to the hand scores' mean and spread."""
    from sklearn.linear_model import LogisticRegression

    mixed = [g for g in groups if g.mixed]
    if len(mixed) < 2:
        raise ReportQAError(f"only {len(mixed)} train question(s) have both a right and a wrong candidate; "
                            "add answerable train items to evals/*.jsonl")
    x = np.vstack([g.features - g.features.mean(axis=0) for g in mixed])
    y = np.concatenate([g.right for g in mixed]).astype(int)
    spread = x.std(axis=0)
    spread[spread == 0] = 1.0
    model = LogisticRegression(C=c, fit_intercept=False, class_weight="balanced", max_iter=2000)
    model.fit(x / spread, y)
    raw = model.coef_[0] / spread
    everything = np.vstack([g.features for g in groups])
    hand_scores = everything @ np.array(HAND_WEIGHTS)
    fitted = everything @ raw
    scale = hand_scores.std() / fitted.std() if fitted.std() > 0 else 1.0
    weights = raw * scale
    return weights, float(hand_scores.mean() - (everything @ weights).mean())


def fit_listwise(groups: list[Group], penalty: float) -> tuple[np.ndarray, float]:
    """The hand weights plus a listwise-fitted correction (module docstring); intercept 0 (a list's ranking
    does not depend on it, and the hand scores' scale is kept)."""
    from scipy.optimize import minimize
    from scipy.special import logsumexp

    mixed = [g for g in groups if g.mixed]
    if len(mixed) < 2:
        raise ReportQAError(f"only {len(mixed)} train question(s) have both a right and a wrong candidate; "
                            "add answerable train items to evals/*.jsonl")
    hand = np.array(HAND_WEIGHTS)
    spread = np.vstack([g.features for g in mixed]).std(axis=0)
    spread[spread == 0] = 1.0
    # centred per list (a list's ranking ignores a shift): a feature constant in every list keeps weight 0
    lists = [(g.features @ hand + g.adjust, (g.features - g.features.mean(axis=0)) / spread, g.right)
             for g in mixed]

    def loss(params: np.ndarray) -> tuple[float, np.ndarray]:
        scale, w = params[0], params[1:]
        total, gradient = penalty * float(w @ w), np.zeros_like(params)
        gradient[1:] = 2 * penalty * w
        for hand_score, z, right in lists:
            s = scale * hand_score + z @ w
            every, good = logsumexp(s), logsumexp(s[right])
            total -= good - every
            d = np.exp(s - every) - np.where(right, np.exp(s - good), 0.0)
            gradient[0] += d @ hand_score
            gradient[1:] += z.T @ d
        return total, gradient

    start = np.zeros(1 + len(FEATURES))
    start[0] = 10.0  # the hand scores differ by tenths: a sharp softmax to begin with
    # the hand score's sharpness stays >= MIN_SHARPNESS, so the correction (divided by it) stays bounded
    bounds = [(MIN_SHARPNESS, None)] + [(None, None)] * len(FEATURES)
    params = minimize(loss, start, jac=True, method="L-BFGS-B", bounds=bounds).x
    return hand + params[1:] / spread / params[0], 0.0


def cross_validate(groups: list[Group]) -> dict:
    """Leave-one-report-out top-1 share for each C and the hand weights, pooled over the held-out lists."""
    reports = sorted({g.report for g in groups})
    hand = np.array(HAND_WEIGHTS)
    judged = [g for g in groups if g.right.any()]
    result: dict = {"reports": reports, "lists_with_a_right_candidate": len(judged),
                    "hand": top_right(groups, hand), "by_c": {}, "hand_by_report": {}}
    for report in reports:
        result["hand_by_report"][report] = top_right([g for g in groups if g.report == report], hand)
    if len(reports) < 2:
        raise ReportQAError(f"cross-validation across reports needs two or more, found {reports}; "
                            "add a dataset of another report to evals/")
    by_report, listwise_by_report = {}, {}
    for c in C_GRID:
        result["by_c"][str(c)], by_report[str(c)] = _held_out(groups, reports, lambda gs, c=c: fit_weights(gs, c))
    result["by_lambda"] = {}
    for penalty in LAMBDA_GRID:
        result["by_lambda"][str(penalty)], listwise_by_report[str(penalty)] = _held_out(
            groups, reports, lambda gs, p=penalty: fit_listwise(gs, p))
    best = max(C_GRID, key=lambda c: result["by_c"][str(c)] or 0.0)
    best_penalty = max(reversed(LAMBDA_GRID), key=lambda p: result["by_lambda"][str(p)] or 0.0)
    result["chosen_c"], result["chosen_lambda"] = best, best_penalty
    if (result["by_lambda"][str(best_penalty)] or 0.0) > (result["by_c"][str(best)] or 0.0):
        result["model"] = "listwise"
        result["fitted"] = result["by_lambda"][str(best_penalty)]
        result["fitted_by_report"] = listwise_by_report[str(best_penalty)]
    else:
        result["model"] = "pointwise"
        result["fitted"] = result["by_c"][str(best)]
        result["fitted_by_report"] = by_report[str(best)]
    return result


def _held_out(groups: list[Group], reports: list[str],
              fit: Callable[[list[Group]], tuple[np.ndarray, float]]) -> tuple[float | None, dict[str, float]]:
    """Top-1 share pooled over each report's lists ranked by weights `fit` on the other reports, and per report."""
    hits = total = 0
    per_report = {}
    for report in reports:
        held = [g for g in groups if g.report == report and g.right.any()]
        weights, intercept = fit([g for g in groups if g.report != report])
        per_report[report] = top_right(held, weights, intercept) or 0.0
        hits += per_report[report] * len(held)
        total += len(held)
    return (hits / total if total else None), per_report


def fit_chosen(groups: list[Group], cv: dict) -> tuple[np.ndarray, float]:
    """The weights of the model and penalty the cross-validation chose, fitted on every train list."""
    if cv.get("model") == "listwise":
        return fit_listwise(groups, cv["chosen_lambda"])
    return fit_weights(groups, cv["chosen_c"])


# -- the command ----------------------------------------------------------------------------------


def add_fit_scorer_command(commands: argparse._SubParsersAction) -> None:
    from ingest.cli_options import common_options

    parser = commands.add_parser(
        "fit-scorer", help="fit the candidate scorer's weights on the eval train split",
        description="Ask every answerable train item of the eval datasets with the hand weights, label each "
                    "ranked candidate right when its text matches the expected answer, fit a logistic "
                    "regression on per-question-centred candidate features (regularisation chosen by "
                    "leave-one-report-out cross-validation on train) and write the weights with the CV "
                    "numbers. Test items are never read. The weights are used once the file is at its "
                    "default place; REPORT_QA_SCORER=FILE tries a file without shipping it, "
                    "REPORT_QA_SCORER=off uses the hand weights.",
        parents=[common_options()])
    parser.add_argument("--dataset", action="append", metavar="FILE",
                        help="JSONL dataset; repeatable, globs expand (default: every evals/*.jsonl)")
    parser.add_argument("--out", type=Path, default=DEFAULT_WEIGHTS, metavar="FILE",
                        help=f"where the weights go (default: {DEFAULT_WEIGHTS})")
    parser.add_argument("--keep-worse", action="store_true",
                        help="write the weights even when they rank no better than the hand weights in CV")
    parser.set_defaults(handler=run_fit_scorer_command)


def train_items_by_report(paths: list[Path]) -> dict[str | None, list[EvalItem]]:
    """The answerable train items of the datasets, per report (None: the default report)."""
    datasets = [load_dataset(p) for p in paths]
    merge_datasets(datasets)  # duplicate ids across files are an error, as for `eval`
    by_report: dict[str | None, list[EvalItem]] = {}
    for dataset in datasets:
        for item in dataset.items:
            if (item.split or "train") == "train" and item.answerable:
                by_report.setdefault(item.report, []).append(item)
    return by_report


def run_fit_scorer_command(args: argparse.Namespace) -> int:
    from evals.cli import dataset_paths
    from evals.reports import ensure_index
    from ingest.cli_options import settings_from
    from retrieval.engine import Engine

    settings = settings_from(args)
    paths = dataset_paths(args.dataset) if args.dataset else sorted(EVALS.glob("*.jsonl"))
    groups: list[Group] = []
    for report, items in train_items_by_report(paths).items():
        if report is not None and not ensure_index(report, settings).ready:
            print(f"skipping {len(items)} item(s) of report {report}: no index and no source", file=sys.stderr)
            continue
        engine = Engine.load(settings=settings, report=report)
        print(f"{engine.document.name}: asking {len(items)} train questions…", file=sys.stderr)
        groups += collect(engine, items, engine.document.name)
    cv = cross_validate(groups)
    weights, intercept = fit_chosen(groups, cv)
    cv["train_lists"] = len(groups)
    cv["train_candidates"] = int(sum(len(g.right) for g in groups))
    cv["in_sample_fitted"] = top_right(groups, weights, intercept)
    scorer = Scorer(tuple(float(w) for w in weights), intercept, False, str(args.out), {"cv": cv})
    _print(scorer)
    if (cv["fitted"] or 0.0) <= (cv["hand"] or 0.0) and not args.keep_worse:
        print(f"not written: the fitted weights rank no better than the hand weights across reports; {args.out} "
              "is left as it was (--keep-worse writes them anyway)", file=sys.stderr)
        return 0
    scorer.save(args.out)
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


def _print(scorer: Scorer) -> None:
    cv = scorer.numbers["cv"]
    print(f"top candidate right, leave-one-report-out on train ({cv['lists_with_a_right_candidate']} lists): "
          f"hand {cv['hand']:.3f} -> fitted {cv['fitted']:.3f} ({cv['model']}, C={cv['chosen_c']}, "
          f"lambda={cv['chosen_lambda']})")
    for report in cv["reports"]:
        print(f"  {report:40} hand {cv['hand_by_report'][report] or 0:.3f} -> "
              f"fitted {cv['fitted_by_report'][report]:.3f}")
    print("  pointwise by C: " + ", ".join(f"{c}: {v:.3f}" for c, v in cv["by_c"].items()))
    print("  listwise by lambda: " + ", ".join(f"{p}: {v:.3f}" for p, v in cv["by_lambda"].items()))
    print("weights: " + ", ".join(f"{n} {w:+.3f}" for n, w in zip(FEATURES, scorer.weights, strict=True))
          + f", intercept {scorer.intercept:+.3f}")
