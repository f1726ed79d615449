"""The covered share of production as a mixture-proportion estimate under label shift (pure numpy + faiss).

The coverage check (coverage.py) calls `estimate_coverage` and builds scenarios and verdicts from it; the steps
are described there. Every neighbour query of the estimate (nearest training, kNN label posteriors, kNN
density, nearest training other than a row's near-copies) is served by one exact search over training +
production: separate searches per question took most of the estimate's time.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property
from typing import TYPE_CHECKING, Callable, Sequence

import numpy as np

from ..discriminant import discriminant_scores, stratified_folds, temperature
from ..engine.base import DataSteps, SerialSteps

if TYPE_CHECKING:
    from .coverage import CoverageConfig

NEAR_COPY_QUANTILE = 0.5  # where the reference's similarity is matched to production's (near_copy_count)
NEAR_COPY_NEIGHBOURS = 3  # the reference's and production's mean cosine to this many nearest training rows is matched
NEAR_COPY_MIN = 2  # fewer near-copies than this are none
NEAR_COPY_MAX = 30  # at most this many same-label rows are left out per training row, and extra neighbours fetched
NEAR_COPY_MAX_LABEL_SHARE = 0.5  # nor more than this share of a typical label's other rows (the label of the median row)
NEAREST_KEPT = 3  # nearest training inputs kept per production input (shown beside uncovered examples)
# Thresholds keep at least half of training: above its median, covered production scores higher than the
# training reference even with nothing absent (share signal, CLINC150: 9% more production than training mass
# above training's 60th percentile, 23% above its 80th; Banking77 6% and 9%; near-copies across the two), and
# with fewer rows per label (the tests' battery) a best bin chosen up there read gaps 0.09-0.18 too large.
BBE_MIN_TRAIN_MASS = 0.5
BBE_DELTA = 0.1
BBE_GAMMA = 0.01
POSTERIOR_BINS = 20
LOG_FLOOR = 1e-3
LABEL_PSEUDO_VOTE = 0.05
# The covered share is read on the statistic the near-copy count matches (the mean cosine to the 3 nearest
# training rows): over 10, a training row's farther neighbours still hold sitting-mates beyond those left out,
# which production's inputs lack, so with the medians of the 3 matched CLINC150 read 0.960 with nothing absent.
SHARE_NEIGHBOURS = NEAR_COPY_NEIGHBOURS
# A gap's own inputs pull production's median down, so the near-copy count is matched again to the median of
# production's covered part (below); at most this many times, until the count stays the same.
NEAR_COPY_GAP_PASSES = 6
CLASSIFIER_FOLDS = 5  # out-of-fold top probabilities of the training reference; smaller labels are in every fold's model


@dataclass(frozen=True)
class Estimate:
    score: np.ndarray  # per production vector, higher = better covered
    covered_probability: np.ndarray
    covered: np.ndarray
    covered_share: float
    label_mix: np.ndarray | None  # production's, over training's label ids
    training_mix: np.ndarray | None
    nearest_similarity: np.ndarray | None = None  # (production, NEAREST_KEPT) cosines to the nearest training rows
    nearest_index: np.ndarray | None = None  # their training rows, best first (-1 where training is smaller)
    aggregate_share: float | None = None  # the best-bin reading before the per-line verdicts bounded it (covered_share)
    reference_score: np.ndarray | None = None  # the training reference's scores, and their weights (training_floor)
    reference_weights: np.ndarray | None = None


@dataclass(frozen=True)
class PooledNeighbours:
    """Each query's nearest rows of the pool (training rows first, then production), best first."""

    n_train: int
    queries: np.ndarray  # pool row of each query: the reference training rows, then every production row
    similarity: np.ndarray
    index: np.ndarray  # -1 where the pool is smaller than k

    def is_train(self) -> np.ndarray:
        return self._is_train

    @cached_property
    def _is_train(self) -> np.ndarray:
        # Asked 14 times a run over the pooled lists (CLINC150: 8,500 x ~200), once measured; read-only, as shared.
        mask = (self.index >= 0) & (self.index < self.n_train)
        mask.setflags(write=False)
        return mask


def pooled_search(pool: np.ndarray, n_train: int, queries: np.ndarray, k: int, steps: DataSteps) -> PooledNeighbours:
    """The k nearest pool rows (training rows first, then production) of the given pool rows, searched on
    the engine's steps (on Ray: the pool once in the object store, the queries in blocks, one task each)."""
    similarity, index = steps.search(pool, pool[queries], min(k, len(pool)))
    return PooledNeighbours(n_train, queries, similarity, index)


def nearest_training(pooled: PooledNeighbours, train_vectors: np.ndarray, production_vectors: np.ndarray,
                     count: int, steps: DataSteps) -> tuple[np.ndarray, np.ndarray]:
    """Each production input's `count` nearest training inputs: the training rows of its pooled neighbours in
    order (the same as a training-only search), searched again for the few inputs whose pooled neighbours
    hold fewer (a dense novel topic can fill them with production rows)."""
    rows = slice(len(pooled.queries) - len(production_vectors), None)
    index, similarity, is_train = pooled.index[rows], pooled.similarity[rows], pooled.is_train()[rows]
    order = np.argsort(~is_train, axis=1, kind="stable")[:, :count]
    valid = np.take_along_axis(is_train, order, axis=1)
    picked_index = np.where(valid, np.take_along_axis(index, order, axis=1), -1)
    picked_similarity = np.where(valid, np.take_along_axis(similarity, order, axis=1), -np.inf).astype(np.float32)
    if picked_index.shape[1] < count:
        pad = count - picked_index.shape[1]
        picked_index = np.hstack([picked_index, np.full((len(index), pad), -1)])
        picked_similarity = np.hstack([picked_similarity, np.full((len(index), pad), -np.inf, dtype=np.float32)])
    short = np.where(is_train.sum(axis=1) < min(count, pooled.n_train))[0]
    if len(short):
        picked_similarity[short], picked_index[short] = steps.search(train_vectors, production_vectors[short], count)
    return picked_similarity, picked_index


def knn_label_posteriors(neighbour_index: np.ndarray, label_ids: np.ndarray, n_labels: int, prior: np.ndarray) -> np.ndarray:
    """p(label | x) under training's label mix: the label votes of the k nearest training inputs, plus a small
    pseudo-vote spread by the training mix so that no label gets probability zero (a whole vote skews the EM
    mix towards large labels: measured on separated synthetic clusters)."""
    votes = np.zeros((len(neighbour_index), n_labels))
    rows = np.repeat(np.arange(len(neighbour_index)), neighbour_index.shape[1])
    valid = neighbour_index.ravel() >= 0
    np.add.at(votes, (rows[valid], label_ids[neighbour_index.ravel()[valid]]), 1.0)
    votes += LABEL_PSEUDO_VOTE * prior
    return votes / votes.sum(axis=1, keepdims=True)


def saerens_em(posteriors: np.ndarray, train_prior: np.ndarray, weights: np.ndarray, iterations: int = 200,
               tol: float = 1e-7) -> np.ndarray:
    """Production's label mix by EM re-estimation of the posteriors (Saerens, Latinne & Decaestecker 2002)."""
    mix = train_prior.copy()
    total = max(float(weights.sum()), 1e-12)
    # Inputs of weight zero add exact zeros to the column sums, and weight one leaves a row as it is, so they
    # are left out and the product skipped: the same sums in the same row order (the second pass weighs the
    # inputs that look covered by 0 or 1, and distinct inputs mostly count once). The weighting was a third
    # of the EM's time (CLINC150 4,500 x 151, both runs: 2.6 s against 1.8 s with other jobs running).
    weighted_rows = weights != 0
    if not weighted_rows.any():
        weighted_rows[:] = True
    base = posteriors[weighted_rows] / train_prior
    row_weights = weights[weighted_rows][:, None]
    unit_weights = bool(np.all(row_weights == 1.0))
    for _ in range(iterations):
        adjusted = base * mix
        adjusted /= adjusted.sum(axis=1, keepdims=True)
        new = (adjusted if unit_weights else row_weights * adjusted).sum(axis=0) / total
        done = np.abs(new - mix).max() < tol
        mix = new
        if done:
            break
    return mix


def same_label_ranks(pooled: PooledNeighbours, label_ids: np.ndarray) -> np.ndarray:
    """Per pooled neighbour of a training query: its rank (1 = nearest) among the query's same-label training
    neighbours other than itself; 0 for every other neighbour and for production queries."""
    index, queries, n_train = pooled.index, pooled.queries, pooled.n_train
    safe = np.clip(index, 0, n_train - 1)
    query_row = np.minimum(queries, n_train - 1)
    same = ((queries < n_train)[:, None] & pooled.is_train() & (index != queries[:, None])
            & (label_ids[safe] == label_ids[query_row][:, None]))
    return np.where(same, np.cumsum(same, axis=1), 0)


def near_copy_count(pooled: PooledNeighbours, ranks: np.ndarray, reference_rows: int, reference_weights: np.ndarray,
                    production_similarity: np.ndarray, production_weights: np.ndarray, count: int, most: int,
                    production_quantile: float = NEAR_COPY_QUANTILE) -> int:
    """How many of each training row's nearest same-label rows are near-copies, left out of its neighbours: the
    fewest whose removal brings the reference's mean cosine to its `count` nearest training rows down to
    production's at the NEAR_COPY_QUANTILE (its median: at the top quantiles near-duplicate queries across
    training and production decide, and CLINC150's sittings went unseen). Rows written
    together resemble each other beyond their label (CLINC150's crowd sittings), which production's inputs do
    not; this was measured from file order, which a shuffled file loses (CLINC150 shuffled read 0.73 covered
    with nothing absent). production_quantile: where production's side is read (covered_part_quantile)."""
    medians = reference_medians(pooled, ranks, reference_rows, reference_weights, count)
    return near_copies(medians, production_similarity, production_weights, most, production_quantile)


def reference_medians(pooled: PooledNeighbours, ranks: np.ndarray, reference_rows: int, reference_weights: np.ndarray,
                      count: int) -> Callable[[int], float]:
    """The reference's weighted median mean cosine to its `count` nearest training rows with each row's `copies`
    nearest same-label rows left out, per count, each measured once (the count is matched several times)."""
    measured: dict[int, float] = {}

    def median(copies: int) -> float:
        if copies not in measured:
            similarity = mean_training_similarity(pooled, _left_out(pooled, ranks, copies), reference_rows, count,
                                                  np.zeros(reference_rows))
            measured[copies] = _weighted_quantile(similarity, reference_weights, NEAR_COPY_QUANTILE)
        return measured[copies]
    return median


def near_copies(median: Callable[[int], float], production_similarity: np.ndarray, production_weights: np.ndarray,
                most: int, production_quantile: float = NEAR_COPY_QUANTILE) -> int:
    """near_copy_count from the reference's medians per count (reference_medians): the fewest copies left out
    that bring the reference's median to production's or below it, `most` if none does."""
    target = _weighted_quantile(production_similarity, production_weights, production_quantile)
    return next((copies for copies in range(most + 1) if median(copies) <= target), most)


def _finite_row_mean(similarity: np.ndarray) -> np.ndarray:
    """Each row's mean over its found neighbours (a missing one is -inf); 0 for a row with none."""
    found = np.isfinite(similarity)
    return np.where(found, similarity, 0.0).sum(axis=1) / np.maximum(found.sum(axis=1), 1)


def _weighted_quantile(values: np.ndarray, weights: np.ndarray, quantile: float) -> float:
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weights[order])
    position = np.searchsorted(cumulative, quantile * cumulative[-1], side="left")
    return float(values[order][min(position, len(values) - 1)])


def _left_out(pooled: PooledNeighbours, ranks: np.ndarray, copies: int) -> np.ndarray:
    """Per pooled neighbour: the query itself, a missing neighbour, or (for a training query) one of its
    `copies` nearest same-label training rows."""
    return (pooled.index == pooled.queries[:, None]) | (pooled.index < 0) | ((ranks > 0) & (ranks <= copies))


def nearest_kept(pooled: PooledNeighbours, excluded: np.ndarray, rows: int) -> np.ndarray:
    """Each of the first `rows` queries' cosine to its nearest training row that is not left out (its last
    pooled training neighbour where all are)."""
    candidate = pooled.is_train()[:rows] & ~excluded[:rows]
    similarity = pooled.similarity[:rows]
    best = np.where(candidate, similarity, -np.inf).max(axis=1)
    last = np.where(pooled.is_train()[:rows], similarity, np.inf).min(axis=1)
    return np.where(np.isfinite(best), best, np.where(np.isfinite(last), last, 0.0))


def mean_training_similarity(pooled: PooledNeighbours, excluded: np.ndarray, rows: int, count: int,
                              fallback: np.ndarray) -> np.ndarray:
    """Mean cosine of each of the first `rows` queries (reference training rows) to its `count` nearest training
    rows other than its near-copies; `fallback` where none of its pooled neighbours is one."""
    candidate = pooled.is_train()[:rows] & ~excluded[:rows]
    keep = candidate & (np.cumsum(candidate, axis=1) <= count)
    found = keep.sum(axis=1)
    total = np.where(keep, pooled.similarity[:rows], 0.0).sum(axis=1)
    return np.where(found > 0, total / np.maximum(found, 1), fallback)


def density_share(pooled: PooledNeighbours, excluded: np.ndarray, mass: np.ndarray, k: int) -> np.ndarray:
    """Weighted training share of the k nearest pooled neighbours of each query, leaving out the `excluded`
    ones (the query itself and, for a training query, its near-copies). `mass` is per pool row."""
    keep = ~excluded & (np.cumsum(~excluded, axis=1) <= k)
    weight = np.where(keep, mass[np.maximum(pooled.index, 0)], 0.0)
    train_part = np.where(pooled.is_train(), weight, 0.0).sum(axis=1)
    return train_part / np.maximum(weight.sum(axis=1), 1e-12)


def weighted_percentile(reference: np.ndarray, weights: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Weighted share of the reference at or below each value."""
    order = np.argsort(reference, kind="stable")
    cumulative = np.cumsum(weights[order])
    cumulative /= cumulative[-1]
    position = np.searchsorted(reference[order], values, side="right")
    return np.where(position > 0, cumulative[np.maximum(position - 1, 0)], 0.0)


def best_bin_share(train_scores: np.ndarray, train_weights: np.ndarray, production_scores: np.ndarray,
                   production_weights: np.ndarray) -> float:
    """Share of production drawn from the (weighted) training distribution, by best-bin estimation (Garg et al.
    2021): over thresholds keeping at least BBE_MIN_TRAIN_MASS of training, the ratio of production to training
    mass above the threshold whose upper confidence bound is smallest."""
    threshold = best_bin_threshold(train_scores, train_weights, production_scores, production_weights)
    return mass_ratio_above(train_scores, train_weights, production_scores, production_weights, threshold)


def best_bin_threshold(train_scores: np.ndarray, train_weights: np.ndarray, production_scores: np.ndarray,
                       production_weights: np.ndarray) -> float | None:
    """The threshold best_bin_share reads at (None where none keeps BBE_MIN_TRAIN_MASS of training)."""
    train_mass = train_weights / train_weights.sum()
    production_mass = production_weights / production_weights.sum()
    penalty = (np.sqrt(np.log(4 / BBE_DELTA) / (2 * len(production_scores)))
               + np.sqrt(np.log(4 / BBE_DELTA) / (2 * len(train_scores))))
    best, best_bound = None, np.inf
    for threshold in np.quantile(train_scores, np.linspace(0, 1 - BBE_MIN_TRAIN_MASS, 60)):
        above_train = train_mass[train_scores >= threshold].sum()
        if above_train < BBE_MIN_TRAIN_MASS:
            continue
        above_production = production_mass[production_scores >= threshold].sum()
        bound = (above_production + (1 + BBE_GAMMA) * penalty) / above_train
        if bound < best_bound:
            best_bound, best = bound, float(threshold)
    return best


def mass_ratio_above(train_scores: np.ndarray, train_weights: np.ndarray, production_scores: np.ndarray,
                     production_weights: np.ndarray, threshold: float | None) -> float:
    """Production's over training's (weighted) mass at or above the threshold, at most 1; 1 without a threshold."""
    if threshold is None:
        return 1.0
    above_train = train_weights[train_scores >= threshold].sum() / train_weights.sum()
    above_production = production_weights[production_scores >= threshold].sum() / production_weights.sum()
    return float(min(above_production / max(above_train, 1e-12), 1.0))


def cross_fitted_share(train_scores: np.ndarray, train_weights: np.ndarray, production_scores: np.ndarray,
                       production_weights: np.ndarray, train_half: np.ndarray, production_half: np.ndarray) -> float:
    """best_bin_share with the threshold chosen on one half of the reference and of production and the ratio
    read on the other halves, both ways, averaged. On one sample, the threshold of the smallest bound is where
    the ratio happens to read lowest, so the best bin read low by its own noise (Banking77, one intent absent at
    7% of 571 lines: -0.058; the half that chose never reads). Halves under 2 rows: best_bin_share."""
    halves = [(train_half == side, production_half == side) for side in (False, True)]
    if any(t.sum() < 2 or p.sum() < 2 for t, p in halves):
        return best_bin_share(train_scores, train_weights, production_scores, production_weights)
    readings = []
    for (train_choose, production_choose), (train_read, production_read) in zip(halves, halves[::-1]):
        threshold = best_bin_threshold(train_scores[train_choose], train_weights[train_choose],
                                       production_scores[production_choose], production_weights[production_choose])
        readings.append(mass_ratio_above(train_scores[train_read], train_weights[train_read], production_scores[production_read],
                                         production_weights[production_read], threshold))
    return float(np.mean(readings))


# Cross-fitting splits averaged: one seeded split into halves is one draw, and the share moved with it (the
# battery's Banking77 "4 intents absent" read 0.966 on one split and 0.982 on another, naming 3 or 0 of its
# intents); each split is one bit of each row's seeded hash, so the splits cost no more hashing.
CROSS_FIT_SPLITS = 8


def repeated_cross_fitted_share(train_scores: np.ndarray, train_weights: np.ndarray, production_scores: np.ndarray,
                                production_weights: np.ndarray, train_ranks: np.ndarray, production_ranks: np.ndarray) -> float:
    """cross_fitted_share averaged over CROSS_FIT_SPLITS splits, split j putting each row in the half its seeded
    rank's bit j says (ranks: `sample_priority`, a hash of the row's key)."""
    return float(np.mean([cross_fitted_share(train_scores, train_weights, production_scores, production_weights,
                                             ((train_ranks >> np.uint64(j)) & np.uint64(1)).astype(bool),
                                             ((production_ranks >> np.uint64(j)) & np.uint64(1)).astype(bool))
                          for j in range(CROSS_FIT_SPLITS)]))


def covered_part_quantile(covered_share: float) -> float:
    """Production's quantile at the NEAR_COPY_QUANTILE of its covered part, where the uncovered inputs lie below
    that part's median: a gap's own inputs pull production's median down, and the near-copy count matched to it
    grew with the gap (a review measured 0 left out at no gap, 1 at 10%, 2 at 25%, 6 at 40%), which read large
    gaps too covered (CLINC150 out-of-scope at 25%: 7 left out, 0.804)."""
    return 1.0 - covered_share * (1.0 - NEAR_COPY_QUANTILE)


def covered_probability(train_scores: np.ndarray, train_weights: np.ndarray, production_scores: np.ndarray,
                        production_weights: np.ndarray, covered_share: float) -> np.ndarray:
    """P(covered | score) = covered share x training density / production density, in production-quantile bins,
    made non-decreasing in the score."""
    from sklearn.isotonic import IsotonicRegression

    edges = np.unique(np.quantile(production_scores, np.linspace(0, 1, POSTERIOR_BINS + 1)))
    if len(edges) < 2:
        return np.full(len(production_scores), covered_share)
    edges[0], edges[-1] = -np.inf, np.inf
    bins = len(edges) - 1
    train_bin = np.clip(np.searchsorted(edges, train_scores, side="right") - 1, 0, bins - 1)
    production_bin = np.clip(np.searchsorted(edges, production_scores, side="right") - 1, 0, bins - 1)
    train_mass = np.bincount(train_bin, weights=train_weights, minlength=bins) / train_weights.sum()
    production_mass = np.bincount(production_bin, weights=production_weights, minlength=bins) / production_weights.sum()
    ratio = np.minimum(1.0, covered_share * train_mass / np.maximum(production_mass, 1e-12))
    occupied = production_mass > 0
    centres = np.array([np.median(production_scores[production_bin == b]) for b in np.where(occupied)[0]])
    model = IsotonicRegression(increasing=True, y_min=0.0, y_max=1.0, out_of_bounds="clip")
    model.fit(centres, ratio[occupied], sample_weight=production_mass[occupied])
    return model.predict(production_scores)


def reference_in_mix(label_ids: np.ndarray, train_counts: np.ndarray, mix: np.ndarray, size: int, priority: np.ndarray) -> np.ndarray:
    """A sample of training drawn in production's estimated label mix: about size x mix rows of each label (at
    least one, at most all), the rows of lowest `priority` (`sample_priority`). A uniform sample reweighted to a
    narrow mix leaves few rows carrying the weight (a 25-of-150-intent mix: a sixth), and the percentiles and
    best bin are then noisy."""
    picked = []
    for label in np.flatnonzero(np.bincount(label_ids, minlength=len(mix))):
        members = np.flatnonzero(label_ids == label)
        wanted = min(len(members), max(1, int(np.ceil(size * mix[label]))))
        picked.append(members[np.argsort(priority[members], kind="stable")[:wanted]])
    return np.sort(np.concatenate(picked))


def sample_priority(train_vectors: np.ndarray, train_keys: Sequence[str] | None, seed: int) -> np.ndarray:
    """A seeded pseudo-random rank per training row that belongs to the row, not to its position or to the
    other rows: a hash of its key (of its vector's bytes when no keys are given). The training reference is
    the rows of lowest rank, so a batch that adds rows keeps nearly all of the last run's reference, whose
    kept neighbour lists (search_memo) are then extended rather than searched again; a generator's draw
    (rng.choice over row positions) gave a new sample at every added row (CLINC150 + 500: 0 of 4,070 kept)."""
    import hashlib

    salt = str(int(seed)).encode()
    if train_keys is not None:
        return np.fromiter((int.from_bytes(hashlib.blake2b(k.encode("utf-8", "surrogatepass"), digest_size=8, key=salt).digest(), "little")
                            for k in train_keys), dtype=np.uint64, count=len(train_keys))
    from ..search_memo import row_hashes

    mixed = row_hashes(train_vectors)[:, 0] ^ np.uint64(int.from_bytes(hashlib.blake2b(salt, digest_size=8).digest(), "little"))
    with np.errstate(over="ignore"):  # splitmix64's finaliser: nearby hashes get unrelated ranks
        mixed = (mixed ^ (mixed >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        mixed = (mixed ^ (mixed >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return mixed ^ (mixed >> np.uint64(31))


def _reference_weights(reference: np.ndarray, label_ids: np.ndarray, train_counts: np.ndarray, mix: np.ndarray | None) -> np.ndarray:
    """Weights that make the reference rows training in the given label mix (within a label, by record count)."""
    counts = train_counts[reference]
    if mix is None:
        return counts / counts.sum()
    labels = label_ids[reference]
    label_total = np.bincount(labels, weights=counts, minlength=len(mix))
    return counts * mix[labels] / np.maximum(label_total[labels], 1e-12)


def classifier_top_probability(train_vectors: np.ndarray, label_ids: np.ndarray, n_labels: int,
                               production_vectors: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The top label probability of the label-noise check's linear discriminant (dataaudit/discriminant.py,
    one distinct training input per row): out-of-fold (seeded, stratified) for each training input, under the
    model of all training for each production input. A label with fewer than CLASSIFIER_FOLDS inputs is in every
    fold's model and its inputs get the all-training model's probability."""
    from scipy.special import softmax

    sizes = np.bincount(label_ids, minlength=n_labels)
    fold_of = np.full(len(label_ids), -1, dtype=np.int64)
    held = sizes[label_ids] >= CLASSIFIER_FOLDS
    if np.unique(label_ids[held]).size >= 2:
        fold_of[held] = stratified_folds(label_ids[held], CLASSIFIER_FOLDS, seed)
    # BLAS threads are left as the caller set them: threadpoolctl's limit is process-wide, and the coverage check
    # measures this at one thread before it starts clustering training in a thread beside the estimate.
    train_scores, production_scores = discriminant_scores(train_vectors, label_ids, n_labels, CLASSIFIER_FOLDS, fold_of,
                                                          np.arange(len(label_ids)), production_vectors)
    scale = temperature(train_scores, label_ids)
    return softmax(train_scores / scale, axis=1).max(axis=1), softmax(production_scores / scale, axis=1).max(axis=1)


def label_codes(train_labels: list[str | None] | None) -> tuple[np.ndarray, np.ndarray] | None:
    """The label names (sorted, "" for no label, "=" before each label) and each row's code; None when unlabelled."""
    if train_labels is None or all(label is None for label in train_labels):
        return None
    return np.unique(np.array(["" if x is None else f"={x}" for x in train_labels]), return_inverse=True)


def classifier_terms(train_vectors: np.ndarray, train_labels: list[str | None] | None, production_vectors: np.ndarray,
                     config: CoverageConfig) -> tuple[np.ndarray, np.ndarray] | None:
    """`classifier_top_probability` for `estimate_coverage(classifier=...)`, or None where it adds no term."""
    codes = label_codes(train_labels)
    if codes is None or len(codes[0]) < 2 or config.classifier_weight <= 0:
        return None
    return classifier_top_probability(train_vectors, codes[1], len(codes[0]), production_vectors, config.seed)


def estimate_coverage(train_vectors: np.ndarray, train_labels: list[str | None] | None, production_vectors: np.ndarray,
                      production_counts: np.ndarray, config: CoverageConfig, train_counts: np.ndarray | None = None,
                      steps: DataSteps | None = None, classifier: tuple[np.ndarray, np.ndarray] | None = None,
                      remember: Callable[[DataSteps, str], DataSteps] | None = None,
                      train_keys: Sequence[str] | None = None, production_keys: Sequence[str] | None = None) -> Estimate:
    """The covered share of production and a per-input score, probability and verdict. Vectors are unit rows;
    counts say how many records each row stands for; train_labels None (or all None) means unlabelled.
    steps: the engine whose steps run the neighbour searches (None: this process). classifier: the
    classifier's top probabilities as `classifier_terms` gives them, measured already (None: measured here).
    remember: gives the steps that run a named pooled search and keep it for the next run
    (`search_memo.remembering`; None: the searches are not kept). train_keys: one stable name per training row
    (its normalised key), which draws the training reference (`sample_priority`; None: the vectors' bytes);
    production_keys: the same for production's rows, which split production into the cross-fitted halves."""
    steps = steps or SerialSteps()
    remember = remember or (lambda plain, purpose: plain)
    n_train = len(train_vectors)
    train_counts = np.ones(n_train) if train_counts is None else np.asarray(train_counts, dtype=float)
    production_counts = np.asarray(production_counts, dtype=float)
    codes = label_codes(train_labels)
    labelled = codes is not None
    if labelled:
        names, label_ids = codes
        prior = np.bincount(label_ids, weights=train_counts, minlength=len(names)) / train_counts.sum()
    else:
        label_ids, prior = np.zeros(n_train, dtype=np.int64), None
    sizes = np.bincount(label_ids)
    # The typical label is the median row's, not the median of the label sizes: a few stray one-row labels beside
    # one large label (a chat file: 63 rows of `translate`, 3 of two others) made the median label one or two rows,
    # so no near-copy was left out and its sittings read production (20 translate queries, 11 others) 0.37 covered.
    most_copies = int(min(NEAR_COPY_MAX, NEAR_COPY_MAX_LABEL_SHARE * (np.median(sizes[label_ids]) - 1)))
    k = max(max(config.neighbours, config.own_mix_neighbours, config.own_mix_local_neighbours) + 1 + most_copies,
            config.label_neighbours, NEAREST_KEPT)
    # One pooled index; production is queried first because the training reference is drawn in the label mix
    # that production's neighbours give.
    pool = np.vstack([train_vectors, production_vectors]).astype(np.float32, copy=False)
    production_side = pooled_search(pool, n_train, n_train + np.arange(len(production_vectors)), k,
                                    remember(steps, "coverage.production"))
    kept_similarity, kept_index = nearest_training(production_side, train_vectors, production_vectors,
                                                   max(NEAREST_KEPT, config.label_neighbours), steps)
    posteriors = first_mix = None
    if labelled:
        posteriors = knn_label_posteriors(kept_index[:, :config.label_neighbours], label_ids, len(names), prior)
        first_mix = saerens_em(posteriors, prior, production_counts)
    # The training reference is a seeded sample: its scores need every training input as neighbour, not as query.
    priority = sample_priority(train_vectors, train_keys, config.seed)
    if n_train <= config.reference_sample:
        reference = np.arange(n_train)
    else:
        reference = (reference_in_mix(label_ids, train_counts, first_mix, config.reference_sample, priority) if first_mix is not None
                     else np.sort(np.argsort(priority, kind="stable")[:config.reference_sample]))
    reference_side = pooled_search(pool, n_train, reference, k, remember(steps, "coverage.reference"))
    pooled = PooledNeighbours(n_train, np.r_[reference, production_side.queries],
                              np.vstack([reference_side.similarity, production_side.similarity]),
                              np.vstack([reference_side.index, production_side.index]))
    share_count = min(SHARE_NEIGHBOURS, kept_similarity.shape[1])
    kept = kept_similarity[:, :share_count]
    share_production = _finite_row_mean(kept)
    ranks = same_label_ranks(pooled, label_ids)
    # Matched on the mean cosine to the 3 nearest training rows: near-copies are a row's very nearest (on the 10
    # of the share signal, a Banking77 gap alone pulled the median by 2 rows, 0.07-0.10 too covered; on the
    # nearest alone, 30 CLINC150 intents x 100 rows found 1 where 2-4 were needed, 0.78 with nothing absent).
    # One row is what a gap's inputs alone pull the median by (Banking77, 10 intents absent, no sittings), so a
    # single near-copy counts as none.
    near = kept_similarity[:, :NEAR_COPY_NEIGHBOURS]
    near_production = _finite_row_mean(near)
    first_weights = _reference_weights(reference, label_ids, train_counts, first_mix)
    # The cross-fitted best bin's halves: by a seeded hash of each row, not its position (no file order enters).
    # By keys, not the vectors' bytes: the model gives a text other last bits in another batch, and halves by
    # bytes moved the share with them.
    train_ranks = priority[reference]
    production_ranks = sample_priority(production_vectors, production_keys, config.seed)

    signals: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    def share_signal(copies: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The left-out neighbours, the reference's nearest kept cosine and its share signal at this count (each
        count measured once: the gap passes and the final reading ask for the same counts)."""
        if copies not in signals:
            excluded = _left_out(pooled, ranks, copies)
            nearest_train = nearest_kept(pooled, excluded, len(reference))
            signals[copies] = excluded, nearest_train, mean_training_similarity(pooled, excluded, len(reference), share_count,
                                                                                nearest_train)
        return signals[copies]

    median = reference_medians(pooled, ranks, len(reference), first_weights, NEAR_COPY_NEIGHBOURS)

    def copies_at(production_quantile: float) -> int:
        return near_copies(median, near_production, production_counts, most_copies, production_quantile)

    copies = copies_at(NEAR_COPY_QUANTILE)
    if copies < NEAR_COPY_MIN:
        copies = 0
    else:
        # Matched again to the median of production's covered part, as the share read at the count before says
        # it lies. Never more than the plain count (a gap only pulls production's median down) nor under
        # NEAR_COPY_MIN: that the plain count found sittings is not what the gap decides.
        most_plain = copies
        for _ in range(NEAR_COPY_GAP_PASSES):
            share_now = repeated_cross_fitted_share(share_signal(copies)[2], first_weights, share_production, production_counts,
                                                    train_ranks, production_ranks)
            corrected = min(most_plain, max(NEAR_COPY_MIN, copies_at(covered_part_quantile(share_now))))
            if corrected == copies:
                break
            copies = corrected
    excluded, nearest_train, share_train = share_signal(copies)
    nearest_production = kept_similarity[:, 0]
    # share_train is the covered share's signal: a training-only score, calibrated against the reference in the
    # same way as the per-line score but without the density ratio, whose reference runs low when a row's
    # near-copies are left out (CLINC150, nothing absent: 28% more production than training mass above
    # training's 40th percentile), so a best bin on the combined score read diffuse gaps (out-of-scope queries)
    # 0.04-0.06 too covered.
    # The second density signal weighs training in its own label mix, so it needs no estimate and is measured once.
    own_mix = train_counts * production_counts.sum() / max(train_counts.sum(), 1e-12)
    own_density = density_share(pooled, excluded, np.r_[own_mix, production_counts], config.own_mix_neighbours)
    own_train, own_production = own_density[:len(reference)], own_density[len(reference):]
    # The same ratio over few neighbours: a rare new topic (an absent intent at 1% of production, ~28 lines)
    # fills its own small neighbourhood, but over 150 neighbours its trained sibling's rows outweigh it
    # (CLINC150, 8 intents absent at 5%: user_name beside what_is_your_name, shopping_list beside
    # shopping_list_update). Added at own_mix_local_weight, chosen on benchmarks/coverage_validity.py (README).
    local = None
    if config.own_mix_local_weight > 0:
        local_density = density_share(pooled, excluded, np.r_[own_mix, production_counts], config.own_mix_local_neighbours)
        local = local_density[:len(reference)], local_density[len(reference):]
    if classifier is None and labelled and len(names) >= 2 and config.classifier_weight > 0:
        classifier = classifier_top_probability(train_vectors, label_ids, len(names), production_vectors, config.seed)
    if classifier is not None:
        train_top, production_top = classifier
        classifier = train_top[reference], production_top
    em_weights = production_counts
    mix = None
    result = None
    for _ in range(max(1, config.label_mix_passes if labelled else 1)):
        if labelled:
            if mix is not None and np.array_equal(em_weights, production_counts):
                # Every input looks covered (the usual verdict): the EM would run again on the first one's
                # weights and return the first mix, and after a pass on that mix this pass would repeat it
                # exactly (CLINC150: the EM alone took 0.6 s with other jobs running).
                if mix is first_mix:
                    break
                mix = first_mix
            else:
                mix = first_mix if mix is None else saerens_em(posteriors, prior, em_weights)
            train_weights = train_counts * (mix / prior)[label_ids]
        else:
            train_weights = train_counts.copy()
        train_weights *= production_counts.sum() / max(train_weights.sum(), 1e-12)
        density = density_share(pooled, excluded, np.r_[train_weights, production_counts], config.neighbours)
        density_train, density_production = density[:len(reference)], density[len(reference):]
        reference_weights = _reference_weights(reference, label_ids, train_counts, mix) * production_counts.sum()
        score_train = _combined(weighted_percentile(nearest_train, reference_weights, nearest_train),
                                weighted_percentile(density_train, reference_weights, density_train),
                                weighted_percentile(own_train, reference_weights, own_train))
        score_production = _combined(weighted_percentile(nearest_train, reference_weights, nearest_production),
                                     weighted_percentile(density_train, reference_weights, density_production),
                                     weighted_percentile(own_train, reference_weights, own_production))
        # The weighted terms, each its values' percentile among the reference's, in log as _combined's are.
        for weight, term in ((config.classifier_weight, classifier), (config.own_mix_local_weight, local)):
            if term is not None:
                term_train, term_production = term
                score_train = score_train + weight * np.log(weighted_percentile(term_train, reference_weights, term_train) + LOG_FLOOR)
                score_production = score_production + weight * np.log(
                    weighted_percentile(term_train, reference_weights, term_production) + LOG_FLOOR)
        share = repeated_cross_fitted_share(share_train, reference_weights, share_production, production_counts, train_ranks,
                                            production_ranks)
        probability = covered_probability(score_train, reference_weights, score_production, production_counts, share)
        covered = probability >= 0.5 if 1.0 - share >= config.min_gap_share else np.ones(len(production_vectors), dtype=bool)
        result = Estimate(score_production, probability, covered, share, mix, prior,
                          kept_similarity[:, :NEAREST_KEPT], kept_index[:, :NEAREST_KEPT],
                          reference_score=score_train, reference_weights=reference_weights)
        em_weights = production_counts * covered
        if em_weights.sum() <= 0:
            break
    assert result is not None
    return bounded_by_verdicts(result, production_counts)


def bounded_by_verdicts(estimate: Estimate, production_counts: np.ndarray) -> Estimate:
    """The estimate with its covered share at most the share of production its per-line verdicts leave covered.
    Every line judged uncovered is in an uncovered scenario, so a larger share told the reader that covered
    and uncovered production together exceed 100% (20 CLINC150 intents x 40 rows, 25% of production from 2
    absent intents: the best bin read 0.899 while 50 of 200 lines, exactly the absent ones, were judged
    uncovered). On few rows per label the best bin reads a gap too small (covered production scores above the
    training reference); where the lines find more, they are the better reading. On the battery the bound moved
    8 of 25 estimates, each towards the truth and none past it: within 0.03 of the truth 19 cases, was 14. The
    lines' uncovered share weighted by each line's 1 - P(covered) as the bound moved the same cases less (16),
    and left covered + uncovered above 100% (benchmarks/results/coverage_validity.md)."""
    total = float(production_counts.sum())
    if total <= 0:
        return estimate
    aggregate = estimate.covered_share if estimate.aggregate_share is None else estimate.aggregate_share
    uncovered = float(production_counts[~estimate.covered].sum()) / total
    return replace(estimate, covered_share=min(aggregate, 1.0 - uncovered), aggregate_share=aggregate)


def training_floor(estimate: Estimate, quantile: float) -> float:
    """The score below which `quantile` of the (weighted) training reference lies; -inf without a reference."""
    if estimate.reference_score is None or len(estimate.reference_score) == 0:
        return -np.inf
    return _weighted_quantile(estimate.reference_score, estimate.reference_weights, quantile)


def _combined(nearest_percentile: np.ndarray, density_percentile: np.ndarray, own_mix_percentile: np.ndarray) -> np.ndarray:
    """Fisher-style sum of log percentiles; the two density signals share one weight. Training reweighted to
    the EM mix hides a gap: the kNN posteriors give an absent intent's inputs to its trained siblings, the EM
    raises those siblings' share, and their training rows then outweigh the new inputs beside them (CLINC150,
    8 intents absent at 5%, seed 0: the EM-weighted ratio alone ranks lines with AUROC 0.80, the own-mix one,
    here the true mix, 0.97). Training in its own mix reads a real change of mix as a gap instead (Banking77
    seed 1, imbalanced training and balanced production: the own-mix ratio in place of the EM-weighted one
    took the score's AUROC from 0.959 to 0.947). Half of each, the own-mix one over 150 neighbours, was the
    best of those measured on benchmarks/coverage_validity.py (README)."""
    return (np.log(nearest_percentile + LOG_FLOOR)
            + 0.5 * (np.log(density_percentile + LOG_FLOOR) + np.log(own_mix_percentile + LOG_FLOOR)))
