"""Reliability statistics on an items x values count table: Krippendorff's alpha (the `krippendorff`
package) with a fast bootstrap interval, Fleiss' kappa (statsmodels), Gwet's AC1 and percent agreement.

The agreement check builds the table from the annotations and reads these; they know nothing of records,
annotators or reports, so they can be checked against published values on their own.
"""

from __future__ import annotations

import math
import warnings

import krippendorff
import numpy as np


def _set_metric(distances: np.ndarray):
    """A `krippendorff` distance callable that looks set distances up by value index."""
    def metric(v1, v2, i1, i2, n_v, dtype=np.float64):
        return distances[i1, i2].astype(dtype)
    return metric


def _check_ratio(level: str, scale: np.ndarray | None) -> None:
    """The ratio metric (c - k)^2 / (c + k)^2 is a distance only on values >= 0: -1 against 1 would divide by 0."""
    if level == "ratio" and scale is not None and len(scale) and float(np.min(scale)) < 0:
        raise ValueError("ratio data cannot be negative; use the interval level for values that can be")


def krippendorff_alpha(counts: np.ndarray, level: str, scale: np.ndarray | None) -> float | None:
    _check_ratio(level, scale)
    pairable = counts[counts.sum(axis=1) >= 2]
    if pairable.size == 0 or np.count_nonzero(pairable.sum(axis=0)) < 2:
        return None
    if level == "set":
        domain, metric = np.arange(counts.shape[1]), _set_metric(scale)
    else:
        domain, metric = (scale if scale is not None else np.arange(counts.shape[1])), level
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        value = krippendorff.alpha(value_counts=pairable, value_domain=domain, level_of_measurement=metric)
    return None if value is None or math.isnan(value) else float(value)


def _delta(level: str, values: np.ndarray, marginals: np.ndarray, distances: np.ndarray | None = None) -> np.ndarray:
    """Krippendorff's squared difference function; marginals: (B, V) value frequencies (ordinal needs them)."""
    if level == "set":
        return np.broadcast_to(distances, (len(marginals), len(values), len(values)))
    if level == "nominal":
        return np.broadcast_to(1.0 - np.eye(len(values)), (len(marginals), len(values), len(values)))
    if level == "interval":
        return np.broadcast_to(np.subtract.outer(values, values) ** 2, (len(marginals), len(values), len(values)))
    if level == "ratio":
        # c + k is 0 only for 0 against 0 (no negative values reach here): distance 0, as the package has it
        sums = np.add.outer(values, values)
        ratio = np.divide(np.subtract.outer(values, values), sums, out=np.zeros_like(sums), where=sums != 0) ** 2
        return np.broadcast_to(ratio, (len(marginals), len(values), len(values)))
    cumulative = np.cumsum(marginals, axis=1)  # ordinal: ranks by the resample's own marginals
    low = np.minimum.outer(np.arange(len(values)), np.arange(len(values)))
    high = np.maximum.outer(np.arange(len(values)), np.arange(len(values)))
    before_low = np.where(low > 0, cumulative[:, np.maximum(low - 1, 0)], 0.0)
    between = cumulative[:, high] - before_low
    return (between - (marginals[:, low] + marginals[:, high]) / 2) ** 2


def alpha_from_weights(per_unit, weights: np.ndarray, level: str, values: np.ndarray, distances: np.ndarray | None = None) -> np.ndarray:
    """Alpha for each row of unit weights (B, units): the coincidence matrix is a weighted sum of the
    units' own coincidences, so a resample costs one sparse product instead of a full recomputation."""
    size = len(values)
    coincidences = np.asarray(per_unit.T.dot(weights.T).T).reshape(len(weights), size, size)
    marginals = coincidences.sum(axis=2)
    total = marginals.sum(axis=1)
    delta = _delta(level, values, marginals, distances)
    observed = (coincidences * delta).sum(axis=(1, 2))
    expected = np.einsum("bc,bck,bk->b", marginals, delta, marginals) / np.maximum(total - 1, 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return 1.0 - observed / expected


def unit_coincidences(pairable: np.ndarray):
    """Sparse (units, V*V) matrix of each unit's coincidences: (n_c n_k - [c = k] n_c) / (m - 1)."""
    from scipy import sparse

    units, size = pairable.shape
    m = pairable.sum(axis=1)
    rows, cols = np.nonzero(pairable)
    by_unit = np.split(cols, np.searchsorted(rows, np.arange(1, units)))
    r_idx, c_idx, data = [], [], []
    for u, present in enumerate(by_unit):
        n = pairable[u, present]
        block = (np.outer(n, n) - np.diag(n)) / (m[u] - 1)
        r_idx.append(np.full(len(present) ** 2, u))
        c_idx.append((present[:, None] * size + present[None, :]).ravel())
        data.append(block.ravel())
    return sparse.csr_matrix((np.concatenate(data), (np.concatenate(r_idx), np.concatenate(c_idx))), shape=(units, size * size))


def alpha_bootstrap(counts: np.ndarray, level: str, scale: np.ndarray | None, resamples: int,
                    seed: int) -> tuple[list[float] | None, int]:
    """Percentile 95% interval of alpha over items resampled with replacement (seeded; the items taken in the
    order of their count rows, so the rows' order does not matter), and how many resamples
    had no alpha (every pairable rating one value: no variation) and were left out of it: with rare values
    that is many (13% on the probe's rare.csv), and the interval is then over the resamples that kept them.

    The `krippendorff` package has no bootstrap, and calling it once per resample costs 33 s for 1,000
    resamples of 100,000 items; resampling the units' coincidences gives the same alphas in seconds
    (tests check it against the package on the full sample at every level).
    """
    _check_ratio(level, scale)
    pairable = counts[counts.sum(axis=1) >= 2]
    if resamples <= 0 or len(pairable) < 2:
        return None, 0
    # The seeded draws pick units by position: in rows sorted by their counts the same items give the same
    # interval whatever order the files list them in (a batch exported shuffled moved it 0.318-0.423 to 0.316-0.426).
    pairable = pairable[np.lexsort(pairable.T[::-1])]
    numeric = scale if level in ("interval", "ratio") else None
    values = numeric if numeric is not None else np.arange(counts.shape[1], dtype=float)
    per_unit = unit_coincidences(pairable)
    rng = np.random.default_rng(seed)
    units = len(pairable)
    estimates = []
    for start in range(0, resamples, 64):
        chunk = min(64, resamples - start)
        weights = np.stack([np.bincount(rng.integers(0, units, units), minlength=units) for _ in range(chunk)]).astype(float)
        estimates.append(alpha_from_weights(per_unit, weights, level, values, scale if level == "set" else None))
    alphas = np.concatenate(estimates)
    defined = alphas[np.isfinite(alphas)]
    undefined = len(alphas) - len(defined)
    if not len(defined):
        return None, undefined
    low, high = np.percentile(defined, [2.5, 97.5])
    return [round(float(low), 4), round(float(high), 4)], undefined


def pairwise_agreement_per_item(counts: np.ndarray) -> np.ndarray:
    """Share of agreeing ordered rating pairs in each item (nan where fewer than 2 ratings)."""
    r = counts.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(r >= 2, (counts * (counts - 1)).sum(axis=1) / (r * (r - 1)), np.nan)


def gwet_ac1(counts: np.ndarray) -> float | None:
    """Gwet's AC1 for several raters with missing ratings (Gwet 2014, ch. 4, unweighted)."""
    r = counts.sum(axis=1)
    q = counts.shape[1]
    multi = r >= 2
    rated = r >= 1
    if not multi.any() or q < 2:
        return None
    pa = float(((counts[multi] * (counts[multi] - 1)).sum(axis=1) / (r[multi] * (r[multi] - 1))).mean())
    pi = (counts[rated] / r[rated, None]).mean(axis=0)
    pe = float((pi * (1 - pi)).sum() / (q - 1))
    return None if pe == 1 else (pa - pe) / (1 - pe)


def fleiss_kappa(counts: np.ndarray) -> float | None:
    from statsmodels.stats.inter_rater import fleiss_kappa

    rated = counts[counts.sum(axis=1) > 0]
    per_item = rated.sum(axis=1)
    if len(rated) == 0 or per_item.min() < 2 or per_item.min() != per_item.max() or np.count_nonzero(rated.sum(axis=0)) < 2:
        return None
    with np.errstate(invalid="ignore", divide="ignore"):
        value = float(fleiss_kappa(rated, method="fleiss"))
    return None if math.isnan(value) else value


def annotator_alphas(counts: np.ndarray, codes: np.ndarray, level: str, scale: np.ndarray | None) -> list[float | None]:
    """Each annotator's own alpha: 1 - D_o(a) / D_e, their observed disagreement with the others on the items they
    share over the expected disagreement of all pairable values, at the level's distance. D_o(a) is the mean, over
    their pairable values, of the value's mean distance to the item's other values, as each value enters alpha's
    D_o; so alpha itself is the value-weighted mean of these, and one rater's figure does not shrink as the crowd
    grows, as alpha without them does. codes: annotators x items value codes (nan: no rating), rows of `counts`.
    None for an annotator who shares no item, or where alpha is undefined (no expected disagreement)."""
    _check_ratio(level, scale)
    rated = counts.sum(axis=1)
    pairable = counts[rated >= 2]
    if pairable.size == 0:
        return [None] * len(codes)
    weighted = pairable / (pairable.sum(axis=1) - 1)[:, None]
    coincidences = weighted.T @ pairable - np.diag(weighted.sum(axis=0))
    marginals = coincidences.sum(axis=1)
    total = marginals.sum()
    numeric = scale if level in ("interval", "ratio") else None
    values = numeric if numeric is not None else np.arange(counts.shape[1], dtype=float)
    delta = _delta(level, values, marginals[None, :], scale if level == "set" else None)[0]
    expected = float(marginals @ delta @ marginals) / (total - 1) / total if total > 1 else 0.0
    if expected <= 0:
        return [None] * len(codes)
    figures: list[float | None] = []
    for row in codes:
        labelled = ~np.isnan(row)
        own = row[labelled].astype(int)
        others = counts[labelled].copy()
        others[np.arange(len(own)), own] -= 1
        shared = others.sum(axis=1) > 0
        if not shared.any():
            figures.append(None)
            continue
        distance = (others[shared] * delta[own[shared]]).sum(axis=1) / others[shared].sum(axis=1)
        figures.append(float(1.0 - distance.mean() / expected))
    return figures
