"""Linear discriminant analysis with one covariance shared by the classes, from sufficient statistics.

Used by the label-noise check (out-of-fold probabilities for confident learning) and the coverage check (the
top class probability of production inputs against the training's out-of-fold ones). The covariance is shrunk
towards a scaled identity by the Ledoit-Wolf rule (scikit-learn's `ledoit_wolf_shrinkage` on the rows centred
on their class means); probabilities are the softmax of the discriminant scores at one temperature fitted to
the out-of-fold scores. Every fold's model comes from the statistics (class sums and counts, one x x' sum) of
all learned rows minus the held-out fold's, so K fits cost one pass over the rows and K solves of a d x d
system. Both checks hold BLAS to one thread around it (on a shared 2-core machine threaded BLAS on these
products was many times slower; the coverage check measures it before it starts clustering training in a
thread beside), so a later call with equal inputs reads the earlier one's fit (`_LAST_FIT`). The two checks'
folds differ (label noise deals groups of copies by a seeded hash of their input, `grouped_folds`; coverage
uses `stratified_folds` on its distinct inputs), so one no longer reads the other's fit.
"""

from __future__ import annotations

import hashlib
from typing import Any, Sequence

import numpy as np


def stratified_folds(labels: np.ndarray, folds: int, seed: int) -> np.ndarray:
    """Each row's held-out fold: stratified, shuffled, seeded (the coverage check's classifier, one distinct
    input per row). Read-only: scikit-learn's splitter took 0.3 s each time on CLINC150's 15,500 rows x 150
    labels, so the last answer is given again for equal labels."""
    kept = _recall(_LAST_FOLDS, (folds, seed), (labels,))
    if kept is not None:
        return kept
    from sklearn.model_selection import StratifiedKFold

    fold_of = np.empty(len(labels), dtype=np.int64)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for fold, (_, held_out) in enumerate(splitter.split(np.zeros((len(labels), 1)), labels)):
        fold_of[held_out] = fold
    fold_of.flags.writeable = False
    _keep(_LAST_FOLDS, (folds, seed), (labels,), fold_of)
    return fold_of


def seeded_ranks(texts: Sequence[str], seed: int) -> np.ndarray:
    """Each text's place in an order that only the texts and the seed decide: by blake2b of seed and text
    (Python's hash() is salted per process), equal digests by the text. Distinct texts get distinct ranks."""
    salt = f"{seed}\x00".encode()
    digests = [hashlib.blake2b(salt + text.encode("utf-8", "surrogatepass"), digest_size=8).digest() for text in texts]
    ranks = np.empty(len(texts), dtype=np.int64)
    ranks[sorted(range(len(texts)), key=lambda i: (digests[i], texts[i]))] = np.arange(len(texts))
    return ranks


def majority_labels(labels: np.ndarray, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct groups (ascending), each row's position among them, and each group's most common label
    (a tie to the lower label): a group whose rows carry different labels is placed as one, by that label."""
    numbers, group_index = np.unique(groups, return_inverse=True)
    pairs, counts = np.unique(group_index.astype(np.int64) * (int(labels.max()) + 1) + labels, return_counts=True)
    group, label = np.divmod(pairs, int(labels.max()) + 1)
    order = np.lexsort((label, -counts, group))  # per group: most rows first, then the lower label
    first = np.ones(len(order), dtype=bool)
    first[1:] = group[order][1:] != group[order][:-1]
    majority = np.empty(len(numbers), dtype=np.int64)
    majority[group[order][first]] = label[order][first]
    return numbers, group_index, majority


def grouped_folds(labels: np.ndarray, groups: np.ndarray, folds: int, learned: np.ndarray | None = None) -> np.ndarray:
    """Each row's held-out fold, every row of one group (the copies of one input) in the same fold: a copy in
    another fold would be in the model that scores its twin and vouch for a wrong label it shares.

    The groups are dealt round-robin to the folds label after label (a group under its most common label),
    within a label in the order of their numbers, the deal running on across labels so the folds stay even.
    Numbered by a seeded hash of their input (seeded_ranks), a group's fold does not depend on where its rows
    lie in the file. A label whose learned rows would all be held out in one fold (one distinct input, or
    copies that all fell together) would be missing from that fold's model: the groups holding them are in
    every fold's model instead (fold -1; discriminant_scores gives them the all-rows model's scores).
    `learned` (default all rows) must take whole groups."""
    numbers, group_index, majority = majority_labels(labels, groups)
    group_fold = np.empty(len(numbers), dtype=np.int64)
    group_fold[np.lexsort((numbers, majority))] = np.arange(len(numbers)) % folds
    in_model = np.zeros(len(labels), dtype=bool)
    in_model[np.arange(len(labels)) if learned is None else learned] = True
    for label in np.unique(labels):
        mine = in_model & (labels == label)
        held = np.unique(group_fold[group_index[mine]])
        if len(held) == 1 and held[0] >= 0:
            group_fold[np.unique(group_index[mine])] = -1
    return group_fold[group_index]


def temperature(scores: np.ndarray, labels: np.ndarray) -> float:
    """The temperature whose softmax(scores / T) has the least log-loss on the given labels (Newton's method).

    The loss is convex in 1/T, so the minimum is unique and the steps below reach it from any start; on
    classes a linear rule separates perfectly there is none (the loss falls towards 0 as T shrinks), so the
    steps stop once the loss no longer moves.
    """
    last = next(iter(_LAST_TEMPERATURE), None)  # read once: another thread may replace the entry meanwhile
    if last is not None and last[0] is scores and _equal(last[1], labels):
        return last[2]  # the same read-only scores (a reused fit) and equal labels
    value = _temperature(scores, labels)
    _LAST_TEMPERATURE[:] = [(scores, np.array(labels, copy=True), value)] if not scores.flags.writeable else []
    return value


def _temperature(scores: np.ndarray, labels: np.ndarray) -> float:
    scores = scores - scores.max(axis=1, keepdims=True)
    given = scores[np.arange(len(labels)), labels]

    def loss_slope_curvature(inverse: float) -> tuple[float, float, float]:
        weights = np.exp(inverse * scores)
        total = weights.sum(axis=1)
        weights *= scores
        mean = weights.sum(axis=1) / total
        weights *= scores
        second = weights.sum(axis=1) / total
        loss = float(np.mean(np.log(total) - inverse * given))
        return loss, float(np.mean(mean - given)), float(np.mean(second - mean ** 2))

    inverse = 1.0 / max(float(scores.std()), 1e-12)
    loss, slope, curvature = loss_slope_curvature(inverse)
    for _ in range(30):
        step = -slope / curvature if curvature > 0 else inverse
        step = float(np.clip(step, -0.75 * inverse, 3 * inverse))  # at most a factor 4 either way per step
        while True:  # halve a step that overshoots (the loss went up)
            new = loss_slope_curvature(inverse + step)
            if new[0] <= loss or abs(step) < 1e-6 * inverse:
                break
            step /= 2
        settled = abs(step) <= 1e-4 * inverse or loss - new[0] <= 1e-7
        inverse, (loss, slope, curvature) = inverse + step, new
        if settled:
            break
    return 1.0 / inverse


def _fit(sums: np.ndarray, counts: np.ndarray, gram: np.ndarray, shrinkage: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Class means, coefficients and the model's shared covariance pieces from the statistics of its rows."""
    n_labels, dim = sums.shape
    means = sums / counts[:, None]
    covariance = (gram - sums.T @ means) / (counts.sum() - n_labels)
    shrunk = (1 - shrinkage) * covariance + shrinkage * np.trace(covariance) / dim * np.eye(dim)
    try:
        coefficients = np.linalg.solve(shrunk, means.T)
    except np.linalg.LinAlgError:  # every row equals its class mean: no spread to model, nearest mean decides
        coefficients = means.T.copy()
    return means, coefficients, counts


def _scores(vectors: np.ndarray, model: tuple[np.ndarray, np.ndarray, np.ndarray]) -> np.ndarray:
    means, coefficients, counts = model
    return (vectors.astype(np.float64) @ coefficients - 0.5 * (means * coefficients.T).sum(axis=1)
            + np.log(counts / counts.sum()))


# The last out-of-fold fit and temperature, reused by a later call whose inputs are equal (compared value by value,
# not by identity; every fit runs at one BLAS thread, so a reused fit is the one a new fit would give, bit for
# bit). One entry: it never holds more than one fit's inputs; it is read once and replaced whole, so audits in
# two threads at most miss a reuse.
_LAST_FIT: list = []
_LAST_FOLDS: list = []
_LAST_TEMPERATURE: list = []


def _equal(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and a.dtype == b.dtype and bool(np.array_equal(a, b))


def _recall(memo: list, key: tuple, arrays: tuple) -> Any:
    """What a one-entry memo keeps for `key` and arrays equal (value by value) to `arrays`; None otherwise. The
    entry is read once: another thread may replace it meanwhile."""
    last = next(iter(memo), None)
    if last is not None and last[0] == key and len(last[1]) == len(arrays) and all(_equal(a, b) for a, b in zip(last[1], arrays)):
        return last[2]
    return None


def _keep(memo: list, key: tuple, arrays: tuple, value: Any) -> None:
    """Replace the memo's entry whole (copies of the arrays: a caller may change its own afterwards)."""
    memo[:] = [(key, tuple(np.array(a, copy=True) for a in arrays), value)]


def discriminant_scores(vectors: np.ndarray, labels: np.ndarray, n_labels: int, folds: int, fold_of: np.ndarray,
                        learned: np.ndarray, new: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """Out-of-fold discriminant scores of every row, and (when `new` is given) the scores of `new` under the
    model of all learned rows. Each fold's model learns from the `learned` rows outside that fold; a row
    outside `learned` is held out of every model, and a learned row of fold -1 is in every model and gets the
    all-rows model's score (for classes too small to be held out). Every class must keep a row in every
    fold's model. The out-of-fold scores are read-only: a later call with equal inputs returns them again."""
    inputs = (vectors, labels, fold_of, learned)
    kept = _recall(_LAST_FIT, (n_labels, folds), inputs)
    if kept is not None:
        scores, statistics, whole = kept
    else:
        scores, statistics, whole = _out_of_fold(vectors, labels, n_labels, folds, fold_of, learned)
        scores.flags.writeable = False
        _keep(_LAST_FIT, (n_labels, folds), inputs, (scores, statistics, whole))
    if new is None:
        return scores, None
    return scores, _scores(new, whole if whole is not None else _fit(*statistics))


def _out_of_fold(vectors: np.ndarray, labels: np.ndarray, n_labels: int, folds: int, fold_of: np.ndarray,
                 learned: np.ndarray) -> tuple[np.ndarray, tuple, tuple | None]:
    """The out-of-fold scores, the all-rows statistics (sums, counts, gram, shrinkage) and, when some rows are
    in every fold's model, the all-rows model."""
    from sklearn.covariance import ledoit_wolf_shrinkage

    n, dim = vectors.shape
    one_hot = np.zeros((len(learned), n_labels))
    one_hot[np.arange(len(learned)), labels[learned]] = 1.0
    sums, counts, grams = np.zeros((folds, n_labels, dim)), np.zeros((folds, n_labels)), np.zeros((folds, dim, dim))
    for fold in range(folds):
        mine = fold_of[learned] == fold
        rows = vectors[learned[mine]].astype(np.float64)  # x x' sums lose digits in float32 at 10,000s of rows
        sums[fold], counts[fold], grams[fold] = one_hot[mine].T @ rows, one_hot[mine].sum(axis=0), rows.T @ rows
    all_sums, all_counts, all_gram = sums.sum(axis=0), counts.sum(axis=0), grams.sum(axis=0)
    always = fold_of[learned] < 0
    if always.any():
        rows = vectors[learned[always]].astype(np.float64)
        all_sums = all_sums + one_hot[always].T @ rows
        all_counts = all_counts + one_hot[always].sum(axis=0)
        all_gram = all_gram + rows.T @ rows
    all_means = all_sums / all_counts[:, None]
    # One shrinkage for every fold, from the rows centred on their class means: a scalar on d = 384 that K
    # nearly equal estimates per fold would only blur.
    shrinkage = float(ledoit_wolf_shrinkage(vectors[learned] - all_means[labels[learned]], assume_centered=True))
    scores = np.empty((n, n_labels))
    for fold in range(folds):
        model = _fit(all_sums - sums[fold], all_counts - counts[fold], all_gram - grams[fold], shrinkage)
        held_out = np.flatnonzero(fold_of == fold)
        scores[held_out] = _scores(vectors[held_out], model)
    whole = None
    if always.any():
        whole = _fit(all_sums, all_counts, all_gram, shrinkage)
        in_every = learned[always]
        scores[in_every] = _scores(vectors[in_every], whole)
    return scores, (all_sums, all_counts, all_gram, shrinkage), whole
