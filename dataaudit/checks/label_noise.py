"""Label noise from a single-annotator export, estimated by confident learning.

Most exports carry one label per example, so agreement has nothing to compare. Confident learning
(Northcutt et al., 2021) estimates from the data itself how many labels are wrong: a classifier on the
cached sentence embeddings gives out-of-fold probabilities (K folds stratified by label, every copy of an
input in one fold, dealt by a seeded hash of the input, so neither copies nor row order move them), and `cleanlab`
counts the confident disagreements between those probabilities and the given labels (`estimate_joint` for
the rate, `find_label_issues` for the lines). The statistics are cleanlab's, not re-implemented here.

The classifier is linear discriminant analysis with one covariance shared by the classes, shrunk towards a
scaled identity by the Ledoit-Wolf rule (scikit-learn's `ledoit_wolf_shrinkage` on the rows centred on their
class means), its probabilities the softmax of the discriminant scores at one temperature fitted to the
out-of-fold scores (dataaudit/discriminant.py, shared with the coverage check). Every fold's model comes from
sufficient statistics (class sums and counts, one x x' sum) of all rows minus the held-out fold's, so the K
fits cost one pass over the rows and K small solves. It replaced a logistic regression (lbfgs, C = 1) that
took 10-12 s on 2 cores for CLINC150's 15,500 training records x 150 labels, the dominant cost of a re-run
adding a 500-record batch: with other jobs holding the machine at load average 4-5, fit and out-of-fold
probabilities now take 0.6-0.8 s there (the logistic regression 10.6-10.9 s). The bootstrap's 100 resamples
are counted without copying each resample's rows (`resample_error_rates`: cleanlab's estimate_joint to the
last bit, with cleanlab's own calibration; 2.4 s of CPU became about 1 s). On the validity battery
(benchmarks/results/label_noise_validity.md) it is as valid or better: excess within 0.02 of the planted rate
in 41 of 42 planted cases (39 before), condition right in 45 of 47 (44), recall 0.71-0.90 (0.64-0.87), random
labels and RTE still `unknown`; the one place it reads lower is Banking77's uniform errors, up to 0.013 under
the planted rate (0.003 before).

The estimate is only as good as the classifier, so an honesty guard marks it unreliable (and the
condition unknown, never failed) when the embeddings cannot learn the task: cross-validated accuracy not
clearly above the majority baseline (a sentence-pair task such as entailment, random labels), too few
examples per label, or targets that are free text rather than a small set of labels. When several
annotations per item exist, agreement is the primary evidence and this estimate is only shown beside it.

Cannot be split across machines (docs/distributed.md): the classifier is fit and cross-validated on every
sampled training vector at once, on the driver; `max_train_rows` (30,000 per fold's model) caps the rows
it learns from, whatever the dataset's size (every row still gets out-of-fold probabilities).
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..config import listing_cap
from ..digits import percent_text, snapped
from ..discriminant import discriminant_scores, grouped_folds, majority_labels, seeded_ranks, temperature
from ..errors import ConfigError
from .base import AuditContext, Check, Finding, Need, Status

METHOD = "confident learning (cleanlab): estimate_joint off-diagonal mass; find_label_issues prune_by_noise_rate"
CONFUSED_PAIRS_LISTED = 10
WORST_LABELS_IN_EVIDENCE = 3
LINES_IN_ACTION = 10
SMALL_DATA_ROWS = 20_000  # up to this many examples: 5 folds; above: 3 (each fold costs a full fit)


@dataclass
class LabelNoiseConfig:
    fail_error_rate: float = 0.10  # about what two annotators at alpha 0.8 disagree on
    warn_error_rate: float = 0.05
    max_labels: int = 200  # more distinct labels than this: not estimated (too many classes for the classifier)
    max_label_chars: int = 64  # a label longer than this: not estimated (a reply, most likely)
    min_examples_per_label: int = 10  # rarer labels cannot be learned in K folds: left out and named
    max_excluded_share: float = 0.10  # unreliable when the left-out labels hold more of the data than this
    min_lift: float = 0.5  # CV accuracy must close this share of the gap from the majority baseline to 1
    folds: int = 0  # 0: 5 up to 20,000 examples, 3 above
    max_train_rows: int = 30_000  # rows each fold's classifier is fitted on (a stratified sample above it)
    bootstrap_resamples: int = 100  # for error_rate_ci; 0 = no interval
    bootstrap_max_rows: int = 20_000  # rows per resample; above it the spread is rescaled to the full size
    suspects_limit: int = listing_cap(100)  # suspects listed in the report (the suspects file has them all)
    seed: int = 0

    def __post_init__(self) -> None:
        if not 0 < self.warn_error_rate <= self.fail_error_rate <= 1:
            raise ConfigError("label_noise: need 0 < warn_error_rate <= fail_error_rate <= 1")
        if self.folds == 1 or self.folds < 0:
            raise ConfigError("label_noise.folds: use 0 (automatic) or at least 2")
        if self.min_examples_per_label < 2 or self.max_labels < 2:
            raise ConfigError("label_noise: min_examples_per_label and max_labels must be at least 2")


@dataclass(frozen=True)
class LabelNoiseResult:
    method: str
    classifier: str
    cv_accuracy: float | None
    baseline_accuracy: float | None  # share of the most frequent label
    reliable: bool
    reason: str  # why the estimate is not reliable, or ""
    estimated_error_rate: float | None
    error_rate_ci: list[float] | None  # 95% bootstrap interval over examples
    # {file, line, label, suggested, confidence, label_quality}, lowest label_quality (most likely wrong) first; capped
    suspects: list[dict[str, Any]]
    suspects_total: int  # every line cleanlab flags (the suspects file lists them all)
    per_label: list[dict[str, Any]]  # {label, count, estimated_error_rate}, worst first
    confused_pairs: list[dict[str, Any]]  # {given, suggested, count} among the flagged lines, most first
    examples: int  # records the classifier learned from
    labels: int
    folds: int
    excluded_labels: list[dict[str, Any]] = field(default_factory=list)  # {label, count}: too rare to learn
    # the rate as estimated: what the thresholds are compared with (estimated_error_rate is it rounded to 4 places,
    # and 0.049996 rounds to 0.05 while falling short of warn_error_rate 0.05)
    estimated_error_rate_unrounded: float | None = None
    all_suspects: list[dict[str, Any]] = field(default_factory=list, repr=False, metadata={"json": False})  # suspects file only
    suspect_texts: dict[tuple[str, int], str] = field(default_factory=dict, repr=False, metadata={"json": False})  # (file, line) -> input

    def judged_rate(self, *bounds: float) -> float | None:
        """The rate the thresholds compare and the wording writes: unrounded (older results carry only the rounded
        one), and a bound where a float sum left it within digits.FLOAT_NOISE of one."""
        rate = self.estimated_error_rate_unrounded if self.estimated_error_rate_unrounded is not None else self.estimated_error_rate
        return None if rate is None else snapped(rate, *bounds)


def _not_estimated(reason: str, *, examples: int = 0, labels: int = 0, excluded: list | None = None) -> LabelNoiseResult:
    return LabelNoiseResult(METHOD, "", None, None, False, reason, None, None, [], 0, [], [], examples, labels, 0,
                            excluded or [])


def _target(record, task_type: str) -> str | None:
    """The label when the record has one, else a chat/completion target (a label set if it passes the rule);
    in a generation task the targets are replies, never labels."""
    if record.label is not None or task_type == "generation":
        return record.label
    return record.target


def _folds_for(n: int, smallest: int, config: LabelNoiseConfig) -> int:
    folds = config.folds or (5 if n <= SMALL_DATA_ROWS else 3)
    return max(2, min(folds, smallest))


def _training_rows(labels: np.ndarray, groups: np.ndarray, cap: int) -> np.ndarray:
    """Every row, or when there are more than `cap` a sample of whole groups (all copies of an input or none, so a
    held-out copy is never scored by a model that learned its twin), stratified: each label's groups in the order
    of their numbers (a seeded hash of the input) until it holds its share of `cap`. Which rows are learned
    does not depend on where they lie in the file."""
    if len(labels) <= cap:
        return np.arange(len(labels))
    numbers, group_index, majority = majority_labels(labels, groups)
    sizes = np.bincount(group_index)
    share = np.maximum(1, np.round(cap * np.bincount(majority, weights=sizes) / len(labels)))
    order = np.lexsort((numbers, majority))
    sorted_sizes, sorted_labels = sizes[order], majority[order]
    before = np.cumsum(sorted_sizes) - sorted_sizes  # rows of earlier groups, this label's and the labels before
    label_start = np.searchsorted(sorted_labels, sorted_labels)
    taken = np.zeros(len(numbers), dtype=bool)
    taken[order] = before - before[label_start] < share[sorted_labels]
    # A label found only among another label's copies (a conflict) keeps a row in the models: its first group.
    for label in np.setdiff1d(labels, labels[taken[group_index]]):
        taken[group_index[labels == label].min()] = True
    return np.flatnonzero(taken[group_index])


def _side_by_side(fn, items: list) -> list:
    """fn(item) for every item, in item order, one thread per core (the caller holds BLAS to one thread)."""
    from joblib import Parallel, delayed

    return Parallel(n_jobs=max(1, min(len(items), os.cpu_count() or 1)), prefer="threads")(delayed(fn)(item) for item in items)


def _out_of_fold_probabilities(vectors: np.ndarray, labels: np.ndarray, groups: np.ndarray, n_labels: int, folds: int,
                               config: LabelNoiseConfig) -> np.ndarray:
    """Linear discriminant analysis with one shrunk covariance shared by the classes, softmax of its scores.

    Out-of-fold: each fold's model comes from the class sums, counts and x x' sums of every row minus those
    of the held-out fold, so the K fits cost one pass over the rows and K solves of a d x d system. Its
    probabilities are those of Gaussian classes with the class means and the shared covariance; a single
    temperature (chosen on the out-of-fold scores, so on no row's own fit) softens them to the given
    labels' log-loss, as the logistic regression's own fit did; confident learning thresholds on them.
    """
    from threadpoolctl import threadpool_limits

    # One BLAS thread: on a shared 2-core machine threaded BLAS on these products was many times slower.
    with threadpool_limits(1):
        return _discriminant_probabilities(vectors, labels, groups, n_labels, folds, config)


def _discriminant_probabilities(vectors: np.ndarray, labels: np.ndarray, groups: np.ndarray, n_labels: int, folds: int,
                                config: LabelNoiseConfig) -> np.ndarray:
    from scipy.special import softmax

    # Each fold's model learns from at most max_train_rows rows: a stratified sample of all rows is drawn once
    # (a row outside it is held out of every model, so its probabilities are out of sample whichever fold's).
    learned = _training_rows(labels, groups, config.max_train_rows * folds // (folds - 1))
    fold_of = grouped_folds(labels, groups, folds, learned)
    scores, _ = discriminant_scores(vectors, labels, n_labels, folds, fold_of, learned)
    return softmax(scores / temperature(scores, labels), axis=1)


def _error_rate(labels: np.ndarray, probabilities: np.ndarray) -> tuple[float, np.ndarray]:
    from cleanlab.count import estimate_joint

    joint = estimate_joint(labels, probabilities)  # P(given = i, true = j), rows sum to the given shares
    return _off_diagonal(joint), joint


def _off_diagonal(joint: np.ndarray) -> float:
    """The share off the diagonal of a joint that sums to 1: never below 0, where the trace's float sum of a
    clean set reads 1.0000000000000002 ("an estimated -0.0% of labels are wrong")."""
    return max(0.0, float(1.0 - np.trace(joint)))


def _bootstrap_ci(labels: np.ndarray, probabilities: np.ndarray, n_labels: int, rate: float,
                  config: LabelNoiseConfig) -> list[float] | None:
    """95% percentile interval over examples resampled with replacement (seeded).

    Above `bootstrap_max_rows` examples each resample draws that many rows (an m-out-of-n bootstrap) and
    the spread around the full estimate is scaled by sqrt(m / n): the estimate's spread shrinks as
    1/sqrt(size), and a full-size resample at 100,000 x 100 labels costs about as much as a classifier fit.
    """
    if config.bootstrap_resamples <= 0:
        return None
    rng = np.random.default_rng(config.seed)
    n = len(labels)
    size = min(n, config.bootstrap_max_rows)
    samples = [rng.integers(0, n, size) for _ in range(config.bootstrap_resamples)]
    samples = [s for s in samples if np.bincount(labels[s], minlength=n_labels).all()]  # estimate_joint needs every label present
    if not samples:
        return None
    rates = resample_error_rates(labels, probabilities, n_labels, samples)
    spread = (np.asarray(rates) - np.mean(rates)) * np.sqrt(size / n)
    low, high = rate + np.percentile(spread, [2.5, 97.5]) if size < n else np.percentile(rates, [2.5, 97.5])
    return [round(max(float(low), 0.0), 4) + 0.0, round(float(high), 4) + 0.0]  # + 0.0: no -0.0 in reports


def resample_error_rates(labels: np.ndarray, probabilities: np.ndarray, n_labels: int,
                         samples: list[np.ndarray]) -> list[float]:
    """`_error_rate(labels[s], probabilities[s])` for each resample s: cleanlab's estimate_joint, the same
    numbers to the last bit (tests/test_label_noise.py compares every resample's), without copying the
    resample's rows of the probabilities. A resample's rows are rows of the full matrix, so which classes
    each row is confident of (its probabilities against the resample's thresholds) is decided once per
    distinct row and read at the resample's positions; each threshold is the mean of the same values in the
    same order as cleanlab's (its class's rows in resample order), the confident joint the same integer
    counts as its confusion matrix, and the calibration and normalisation are cleanlab's own functions.
    Copying each resample (15,500 x 150 float64) and sklearn's confusion matrix were most of the 100 calls'
    time (36 ms each)."""
    from cleanlab.count import calibrate_confident_joint
    from cleanlab.internal.constants import CONFIDENT_THRESHOLDS_LOWER_BOUND, TINY_VALUE
    from threadpoolctl import threadpool_limits

    top = probabilities.argmax(axis=1)

    def rate_of(sample: np.ndarray) -> float:
        given = labels[sample]
        order = np.argsort(given, kind="stable")  # each class's positions, in resample order
        values = probabilities[sample[order], given[order]]
        bounds = np.searchsorted(given[order], np.arange(n_labels + 1))
        thresholds = np.array([np.mean(values[bounds[k]:bounds[k + 1]]) if bounds[k] < bounds[k + 1] else 2.0
                               for k in range(n_labels)])  # 2: cleanlab's BIG_VALUE for a class absent here
        thresholds = np.clip(thresholds, a_min=CONFIDENT_THRESHOLDS_LOWER_BOUND, a_max=None)
        confident = probabilities >= thresholds - 1e-6
        how_many = confident.sum(axis=1)
        guess = np.where(how_many > 1, top, confident.argmax(axis=1))[sample]
        counted = (how_many > 0)[sample]
        # Counted as cleanlab's confusion matrix (guess by given) and transposed as it is: the calibration's float
        # sums run in memory order, so a C-ordered copy of the same counts gives other last bits.
        joint = np.bincount(guess[counted] * n_labels + given[counted], minlength=n_labels * n_labels).reshape(n_labels, n_labels).T
        np.fill_diagonal(joint, joint.diagonal().clip(min=1))
        calibrated = calibrate_confident_joint(joint, given)
        joint = calibrated / np.clip(float(np.sum(calibrated)), a_min=TINY_VALUE, a_max=None)
        return _off_diagonal(joint)

    # Side by side, one per core with one BLAS thread each, in the order drawn: the same rates as one after another.
    with threadpool_limits(1):
        return _side_by_side(rate_of, samples)


def _unreliable_reason(cv_accuracy: float, baseline: float, excluded_share: float, config: LabelNoiseConfig) -> str:
    needed = baseline + config.min_lift * (1 - baseline)
    if cv_accuracy < needed:
        return (f"the classifier on sentence embeddings cannot learn these labels (cross-validated accuracy "
                f"{percent_text(cv_accuracy, needed)} against {baseline:.1%} for always guessing the most frequent label; "
                f"needs {percent_text(needed, cv_accuracy)}), so its disagreements say nothing about the labels; a task that depends on more "
                f"than one sentence's meaning (such as entailment between two texts) cannot be judged this way")
    if excluded_share > config.max_excluded_share:
        return (f"{percent_text(excluded_share, config.max_excluded_share)} of the examples carry labels with fewer than {config.min_examples_per_label} "
                f"examples each, too few to learn")
    return ""


def measure(ctx: AuditContext) -> LabelNoiseResult | None:
    config: LabelNoiseConfig = ctx.config.section("label_noise")
    index = ctx.train
    if index.vectors is None:
        return None
    embedded = np.asarray(index.key_ids).tolist()  # one conversion: a NumPy scalar per record took 0.2 s at 15,500
    task_type = ctx.config.task_type
    rows = [(i, target) for i, r in enumerate(index.records) if embedded[i] >= 0 and (target := _target(r, task_type)) is not None]
    if not rows:
        return None
    if index.unreadable is not None:  # one vector whatever their label: their labels would read as noise (vocabulary.py)
        readable = [(i, t) for i, t in rows if not index.unreadable[embedded[i]]]
        if not readable:
            return _not_estimated(f"the embedding model cannot read the {len(rows)} labelled inputs (see the warnings)", examples=len(rows))
        rows = readable
    counts = Counter(t for _, t in rows)
    longest = max(counts, key=len)
    if len(counts) > config.max_labels or len(longest) > config.max_label_chars:
        why = (f"{len(counts)} distinct targets (more than {config.max_labels})" if len(counts) > config.max_labels
               else f"a target of {len(longest)} characters (longer than {config.max_label_chars})")
        # Not "free text": the task type (load/targets.py) decides what is a label; these labels are only more
        # or longer than a classifier over them is asked to handle (max_labels, max_label_chars).
        return _not_estimated(f"{why}: label noise is estimated for at most {config.max_labels} labels of at most "
                              f"{config.max_label_chars} characters", examples=len(rows), labels=len(counts))
    excluded = sorted(((label, n) for label, n in counts.items() if n < config.min_examples_per_label), key=lambda x: (x[1], x[0]))
    excluded_list = [{"label": label, "count": n} for label, n in excluded]
    kept_labels = sorted(label for label in counts if counts[label] >= config.min_examples_per_label)
    if len(kept_labels) < 2:
        return _not_estimated(f"fewer than two labels have {config.min_examples_per_label} or more examples, too few to learn",
                              examples=len(rows), labels=len(counts), excluded=excluded_list)
    code = {label: k for k, label in enumerate(kept_labels)}
    used = [(i, t) for i, t in rows if t in code]
    positions = np.array([i for i, _ in used])
    labels = np.array([code[t] for _, t in used])
    # Copies of one input are one group, numbered by a seeded hash of the input; the rows are taken in that order
    # (then label, then line), so folds, learned rows, sums and bootstrap resamples see the same rows in the same
    # order however the file is shuffled: the estimate and the suspects do not depend on row order.
    key_ids = index.key_ids[positions]
    present = np.unique(key_ids)
    rank = np.empty(len(index.distinct), dtype=np.int64)
    rank[present] = seeded_ranks([index.distinct[k] for k in present], config.seed)
    groups = rank[key_ids]
    order = np.lexsort((positions, labels, groups))
    positions, labels, groups = positions[order], labels[order], groups[order]
    vectors = index.vectors[index.key_ids[positions]]
    n, n_labels = len(labels), len(kept_labels)
    folds = _folds_for(n, int(np.bincount(labels).min()), config)

    probabilities = _out_of_fold_probabilities(vectors, labels, groups, n_labels, folds, config)
    predicted = probabilities.argmax(axis=1)
    cv_accuracy = float((predicted == labels).mean())
    baseline = float(np.bincount(labels).max() / n)
    excluded_share = sum(n for _, n in excluded) / len(rows)
    reason = _unreliable_reason(cv_accuracy, baseline, excluded_share, config)

    from cleanlab.filter import find_label_issues

    rate, joint = _error_rate(labels, probabilities)
    flagged = find_label_issues(labels, probabilities, filter_by="prune_by_noise_rate",
                                return_indices_ranked_by="self_confidence", n_jobs=1)
    records = index.records
    suspects = [{"file": records[positions[j]].source, "line": records[positions[j]].line,
                 "label": kept_labels[labels[j]], "suggested": kept_labels[predicted[j]],
                 "confidence": round(float(probabilities[j, predicted[j]]), 4),
                 "label_quality": round(float(probabilities[j, labels[j]]), 4)} for j in flagged]
    given_counts = np.bincount(labels, minlength=n_labels)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_label_rate = 1.0 - np.diag(joint) / joint.sum(axis=1)
    per_label = [{"label": kept_labels[k], "count": int(given_counts[k]), "estimated_error_rate": round(float(per_label_rate[k]), 4)}
                 for k in range(n_labels)]
    per_label.sort(key=lambda p: (-p["estimated_error_rate"], -p["count"], p["label"]))
    pairs = Counter((s["label"], s["suggested"]) for s in suspects)
    confused = [{"given": g, "suggested": s, "count": c}
                for (g, s), c in sorted(pairs.items(), key=lambda kv: (-kv[1], kv[0]))[:CONFUSED_PAIRS_LISTED]]
    classifier = (f"linear discriminant analysis (one Ledoit-Wolf shrunk covariance, softmax at a temperature fitted "
                  f"out of fold) on {vectors.shape[1]}-d sentence embeddings, {folds}-fold stratified out-of-fold "
                  f"probabilities (seed {config.seed})")
    return LabelNoiseResult(
        method=METHOD,
        classifier=classifier,
        cv_accuracy=round(cv_accuracy, 4),
        baseline_accuracy=round(baseline, 4),
        reliable=not reason,
        reason=reason,
        estimated_error_rate=round(rate, 4),
        estimated_error_rate_unrounded=rate,
        error_rate_ci=_bootstrap_ci(labels, probabilities, n_labels, rate, config),
        suspects=suspects[: config.suspects_limit],
        suspects_total=len(suspects),
        per_label=per_label,
        confused_pairs=confused,
        examples=n,
        labels=n_labels,
        folds=folds,
        excluded_labels=excluded_list,
        all_suspects=suspects,
        suspect_texts={(records[positions[j]].source, records[positions[j]].line): records[positions[j]].query_text for j in flagged},
    )


def agreement_is_primary(ctx: AuditContext) -> bool:
    """Two or more annotations on some item: agreement judges consistency, label noise is shown beside it."""
    agreement = ctx.results.get("agreement")
    return agreement is not None and getattr(agreement, "items_multi", 0) > 0


def _lines(suspects: list[dict[str, Any]], limit: int) -> str:
    by_file: dict[str, list[str]] = {}
    for s in suspects[:limit]:
        by_file.setdefault(s["file"], []).append(str(s["line"]))
    return "; ".join(f"{f} lines {', '.join(lines)}" for f, lines in by_file.items())


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def left_out(result: LabelNoiseResult, min_examples: int | None = None) -> str:
    """What the estimate did not cover, in words ("" when it covered every label): a rate over 6 labels of 33
    reads as a rate over all 33 unless the sentence says so."""
    if not result.excluded_labels:
        return ""
    labels = len(result.excluded_labels)
    examples = sum(e["count"] for e in result.excluded_labels)
    rare = f"with fewer than {min_examples} examples each" if min_examples else "too rare to learn"
    return (f"estimated over {result.labels} of {result.labels + labels} labels ({result.examples} of "
            f"{result.examples + examples} examples): {plural(labels, 'label')} {rare} ({plural(examples, 'example')}) left out")


def judge(result: LabelNoiseResult | None, ctx: AuditContext) -> list[Finding]:
    if result is None or agreement_is_primary(ctx):
        return []
    config: LabelNoiseConfig = ctx.config.section("label_noise")
    excluded_examples = sum(e["count"] for e in result.excluded_labels)
    # Every key in both branches (null where it has no value), so a script reads the same keys from every run.
    evidence = {
        "estimated_error_rate": None, "estimated_error_rate_unrounded": None, "error_rate_ci": None,
        "cv_accuracy": result.cv_accuracy,
        "baseline_accuracy": result.baseline_accuracy, "worst_labels": None, "confused_pairs": None, "suspects_total": None,
        "reason": result.reason or None,
        # A result not estimated counts every label it saw; none of them was estimated.
        "labels_estimated": result.labels if result.estimated_error_rate is not None else 0, "labels_left_out": len(result.excluded_labels),
        "examples_left_out": excluded_examples,
    }
    if not result.reliable:
        # The agreement check, when it ran and found no item with two annotations, already asks for them in its
        # own action on this condition: the verdict joins both, so this one would repeat it.
        agreement_asks = "agreement" in ctx.results and ctx.results["agreement"] is None and "agreement" not in ctx.not_run
        action = ("Collect a second annotation on a sample of items (at least 2 per item) so agreement can be measured."
                  if (result.cv_accuracy is not None or result.excluded_labels) and not agreement_asks else "")
        return [Finding("consistency", Status.UNKNOWN, f"label noise not estimated reliably: {result.reason}", evidence, action)]
    rate = result.judged_rate(config.warn_error_rate, config.fail_error_rate)
    status = Status.FAIL if rate >= config.fail_error_rate else Status.WARN if rate >= config.warn_error_rate else Status.PASS
    ci = f" (95% CI {result.error_rate_ci[0]:.1%}-{result.error_rate_ci[1]:.1%})" if result.error_rate_ci else ""
    scope = left_out(result, config.min_examples_per_label)
    shown = percent_text(rate, config.warn_error_rate, config.fail_error_rate)
    summary = (f"an estimated {shown} of labels are wrong{ci}, by confident learning on a classifier with "
               f"{result.cv_accuracy:.1%} cross-validated accuracy; {plural(result.suspects_total, 'line')} flagged"
               + (f"; {scope}" if scope else ""))
    worst = [p for p in result.per_label if p["estimated_error_rate"] > 0][:WORST_LABELS_IN_EVIDENCE]
    evidence.update({
        "estimated_error_rate": result.estimated_error_rate,
        "estimated_error_rate_unrounded": rate,
        "error_rate_ci": result.error_rate_ci,
        "worst_labels": worst,
        "confused_pairs": result.confused_pairs[:WORST_LABELS_IN_EVIDENCE],
        "suspects_total": result.suspects_total,
    })
    actions = []
    if status is not Status.PASS and result.suspects:
        actions.append(f"re-check the flagged labels, most likely wrong first: {_lines(result.suspects, LINES_IN_ACTION)}"
                       + (f" (and {result.suspects_total - LINES_IN_ACTION} more in the suspects file)"
                          if result.suspects_total > LINES_IN_ACTION else ""))
    # A pass is a statement about the labels; with most labels left out it is one about a minority of them
    # (6 of 33), and the left-out ones are the rare labels nobody checked. Such a pass is a warning instead: the
    # left-out examples' share (max_excluded_share) cannot see it when every left-out label is tiny.
    if len(result.excluded_labels) > result.labels:
        if status is Status.PASS:
            status = Status.WARN
            summary += " (the estimate covers a minority of the labels)"
        fewest = ", ".join(f"{e['label']} ({e['count']})" for e in result.excluded_labels[:5])
        more = len(result.excluded_labels) - 5
        actions.append(f"Collect at least {config.min_examples_per_label} examples for each left-out label (or merge rare "
                       f"labels into related ones) so their labels can be checked too; fewest first: {fewest}"
                       + (f" and {more} more." if more > 0 else "."))
    return [Finding("consistency", status, summary, evidence, " ".join(a if a.endswith(".") else a + "." for a in actions))]


CHECK = Check(
    id="label_noise",
    order=45,
    measure=measure,
    judge=judge,
    needs=frozenset({Need.EMBEDDINGS}),
    config_section=("label_noise", LabelNoiseConfig),
    conditions=frozenset({"consistency"}),
)
