"""The reliability statistics on count tables, against published values (no records, no loader)."""

from __future__ import annotations

import numpy as np
import pytest

from dataaudit.checks.agreement_stats import (alpha_bootstrap, annotator_alphas, fleiss_kappa, gwet_ac1, krippendorff_alpha,
                                              pairwise_agreement_per_item)
from tests.test_agreement import FLEISS, K2011, K2011_ALPHA

VALUES = np.arange(1, 6, dtype=float)  # the 2011 data rate on 1..5


def k2011_counts() -> np.ndarray:
    """Items x values (1..5): how many observers gave each value to each of the 12 units."""
    counts = np.zeros((12, 5))
    for row in K2011.values():
        for unit, cell in enumerate(row.split()):
            if cell != ".":
                counts[unit, int(cell) - 1] += 1
    return counts


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval", "ratio"])
def test_alpha_on_krippendorff_2011_reliability_data(level):
    scale = VALUES if level in ("interval", "ratio") else None
    assert round(krippendorff_alpha(k2011_counts(), level, scale), 3) == K2011_ALPHA[level]


def test_gwet_ac1_matches_irrcac_and_fleiss_needs_equal_ratings():
    counts = k2011_counts()
    assert gwet_ac1(counts) == pytest.approx(0.7754, abs=1e-4)  # irrCAC 0.4.4 CAC(data).gwet()
    assert fleiss_kappa(counts) is None  # units carry 1 to 4 ratings
    assert round(fleiss_kappa(np.array(FLEISS, dtype=float)), 3) == 0.210  # Fleiss (1971)


def test_percent_agreement_per_item_is_nan_without_two_ratings():
    per_item = pairwise_agreement_per_item(k2011_counts())
    assert np.isnan(per_item[11])  # the last unit has one rating
    assert per_item[0] == 1.0 and per_item[5] == pytest.approx(0.0)  # three 1s; then 1, 2, 3, 4: no pair agrees


def test_undefined_cases_are_none_not_a_crash():
    assert krippendorff_alpha(np.array([[3.0, 0.0], [2.0, 0.0]]), "nominal", None) is None  # one value used
    assert krippendorff_alpha(np.array([[1.0, 0.0], [0.0, 1.0]]), "nominal", None) is None  # nothing pairable
    assert gwet_ac1(np.array([[1.0, 0.0]])) is None


def test_bootstrap_interval_is_seeded_and_brackets_the_estimate():
    counts = np.tile(k2011_counts(), (20, 1))  # 240 units: enough for a stable interval
    first, undefined = alpha_bootstrap(counts, "nominal", None, 500, seed=0)
    assert (first, undefined) == alpha_bootstrap(counts, "nominal", None, 500, seed=0) and undefined == 0
    assert first[0] < krippendorff_alpha(counts, "nominal", None) < first[1]
    assert alpha_bootstrap(counts, "nominal", None, 0, seed=0) == (None, 0)


def test_bootstrap_interval_is_the_2_5_and_97_5_percentiles_of_the_package_alpha_on_resampled_items():
    """The same resamples, drawn as the docstring says (items with replacement, one seeded generator), each
    scored by the `krippendorff` package; resamples using one value have no alpha and are left out."""
    import warnings

    import krippendorff

    # 16 items agree on value 0; 4 carry the only other values, so a resample drawing none of them has no alpha
    counts = np.array([[2.0, 0, 0]] * 16 + [[1.0, 1, 0], [0, 2.0, 0], [0, 1.0, 1], [1.0, 0, 1]])
    rng = np.random.default_rng(2)
    units = counts[np.lexsort(counts.T[::-1])]  # drawn from in the order of their counts, whatever the rows' order
    alphas = []
    for _ in range(400):
        drawn = units[rng.integers(0, len(units), len(units))]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            alphas.append(krippendorff.alpha(value_counts=drawn, value_domain=[0, 1, 2], level_of_measurement="nominal"))
    alphas = np.array(alphas, dtype=float)
    defined = alphas[np.isfinite(alphas)]
    expected_low, expected_high = np.percentile(defined, [2.5, 97.5])  # a 95% interval, 2.5% cut at each end
    interval, undefined = alpha_bootstrap(counts, "nominal", None, 400, seed=2)
    assert undefined == len(alphas) - len(defined) > 0
    assert interval == pytest.approx([expected_low, expected_high], abs=6e-5)  # the interval is rounded to 4 places
    assert interval[0] < interval[1]  # left-out resamples do not collapse the interval


@pytest.mark.parametrize("level", ["nominal", "interval"])
def test_the_bootstrap_interval_does_not_hang_on_the_order_of_the_items(level):
    rng = np.random.default_rng(7)
    counts = np.zeros((120, 5))
    for unit in range(120):
        truth = rng.integers(0, 5)
        for _ in range(3):
            counts[unit, truth if rng.random() < 0.6 else rng.integers(0, 5)] += 1
    scale = VALUES if level == "interval" else None
    ci, undefined = alpha_bootstrap(counts, level, scale, 200, 0)
    shuffled = counts[rng.permutation(len(counts))]
    assert not np.array_equal(shuffled, counts)
    assert alpha_bootstrap(shuffled, level, scale, 200, 0) == (ci, undefined)
    low, high = ci
    assert low < round(krippendorff_alpha(counts, level, scale), 4) < high


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval", "ratio"])
def test_annotator_alphas_average_to_alpha_on_krippendorff_2011(level):
    """Each observer's own alpha, weighted by the values they pair, is alpha: D_o is the mean of their D_o(a)."""
    scale = VALUES if level in ("interval", "ratio") else None
    codes = np.array([[np.nan if cell == "." else int(cell) - 1 for cell in row.split()] for row in K2011.values()])
    counts = k2011_counts()
    own = annotator_alphas(counts, codes, level, scale)
    paired = []
    for row in codes:
        labelled = ~np.isnan(row)
        paired.append(int((counts[labelled].sum(axis=1) >= 2).sum()))
    assert sum(a * n for a, n in zip(own, paired)) / sum(paired) == pytest.approx(krippendorff_alpha(counts, level, scale))
    assert len(set(np.round(own, 6))) > 1  # not alpha repeated


def test_annotator_alpha_by_hand():
    """Two items, three raters at interval level: C always 2 away. Values 0,0,2 and 1,1,3: D_e from the six
    pairable values (mean 7/6, sum of squares 15): 2 * variance = 2 * (15 - 6 * (7/6)**2) / 5 = 3.4667."""
    codes = np.array([[0, 1], [0, 1], [2, 3]], dtype=float)
    counts = np.zeros((2, 4))
    for row in codes:
        counts[[0, 1], row.astype(int)] += 1
    scale = np.array([0.0, 1.0, 2.0, 3.0])
    expected = 2 * (15 - 6 * (7 / 6) ** 2) / 5
    a, b, c = annotator_alphas(counts, codes, "interval", scale)
    assert a == pytest.approx(1 - (0 + 4) / 2 / expected) and b == pytest.approx(a)
    assert c == pytest.approx(1 - 4 / expected)
    # one who shares no item has no figure
    assert annotator_alphas(counts, np.array([[np.nan, np.nan]]), "interval", scale) == [None]
