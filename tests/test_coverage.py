"""Coverage on cases with known truth, built small from CLINC150 and Banking77 (benchmarks/coverage_validity.py
runs the full battery), plus the minimum-sample unknown and the per-line verdicts."""

from __future__ import annotations

import json

import numpy as np
import pytest

from benchmarks.coverage_validity import build_cases, run_case
from dataaudit.checks.base import Status
from dataaudit.checks.coverage import CoverageConfig, coverage_lines, estimate_coverage
from dataaudit.checks.coverage_estimate import classifier_top_probability
from dataaudit.report import to_jsonable
from tests.conftest import shared_dataset

TRAIN_PER_INTENT, TEST_PER_INTENT = 30, 10
CASES = {  # case -> tolerance on the covered share at this size (the full battery's errors are in the README)
    "CLINC150, 3 domains absent, 25% (seed 1)": 0.05,
    "CLINC150, 8 intents absent, 5% (seed 0)": 0.05,  # no scenario named, and at this size the gap reads under 5%
    "CLINC150 out-of-scope, 25%": 0.05,
    "CLINC150, 25-intent mix only": 0.05,
    "Banking77, 10 intents absent (seed 0)": 0.07,
    "Banking77, 25 production inputs": None,
}


@pytest.fixture(scope="module")
def battery():
    shared_dataset("clinc150"), shared_dataset("banking77")
    return {c.name: c for c in build_cases(TRAIN_PER_INTENT, TEST_PER_INTENT, only=set(CASES))}


@pytest.fixture(scope="module")
def outcomes(battery, embedder):
    return {name: run_case(case, embedder) for name, case in battery.items()}


MISSED: dict[str, str] = {  # cases whose status or covered share the rule misses at this size; strict xfails
    "CLINC150, 8 intents absent, 5% (seed 0)": "75 of 1,495 production inputs absent at this size, 5.02%, just over the 5% "
                                               "bound: fail expected; it reads 0.958 and its uncovered scenarios hold "
                                               "4.2%, under the bound, so it warns (on the battery's cached vectors "
                                               "0.999, nothing named: pass; the full battery warns)",
}
# No longer missed: CLINC150 out-of-scope 25% read 0.810 here (0.060 too covered) before the share was read on
# the 3 nearest rows, cross-fitted, with the near-copy count matched to production's covered part; now within
# 0.05 (0.772 on the battery's cached vectors).


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=MISSED[n])) if n in MISSED else n
                                  for n in sorted(CASES)])
def test_battery_case_status_and_covered_share(outcomes, name):
    row = outcomes[name]
    assert row["got"] == row["expected"], row
    tolerance = CASES[name]
    if tolerance is None:
        assert row["estimated"] is None
    else:
        assert abs(row["estimated"] - row["true_covered"]) <= tolerance, row


def test_a_gap_ranks_uncovered_lines_first_and_names_them(outcomes):
    for name in ("CLINC150, 3 domains absent, 25% (seed 1)", "Banking77, 10 intents absent (seed 0)"):
        row = outcomes[name]
        assert row["auroc"] >= 0.93, row
        assert row["precision"] >= 0.7 and row["recall"] >= 0.5, row


def test_nothing_absent_or_a_mix_change_names_no_gap_and_reports_the_mix(outcomes):
    row = outcomes["CLINC150, 25-intent mix only"]
    assert row["false_named_lines"] == 0 and not row["result"].uncovered, row
    assert row["mix_shift"] >= 0.6
    assert sum(row["result"].production_label_mix.values()) == pytest.approx(1, abs=0.01)


def test_below_the_minimum_sample_coverage_is_unknown_with_the_reason(outcomes):
    row = outcomes["Banking77, 25 production inputs"]
    result, finding = row["result"], row["finding"]
    assert result.covered_share is None and "production_inputs 25 < min_production_inputs 30" in result.not_measured
    assert list(coverage_lines(result)) == []
    assert finding.status is Status.UNKNOWN and "production_inputs 25" in finding.summary


def test_per_line_verdicts_point_at_their_scenario_and_nearest_training_input(battery, outcomes):
    case = battery["Banking77, 10 intents absent (seed 0)"]
    result = outcomes[case.name]["result"]
    lines = list(coverage_lines(result))
    assert len(lines) == len(case.production)
    assert [line["line"] for line in lines] == list(range(1, len(case.production) + 1))
    ids = {s.id: s for s in result.scenarios}
    assert len(ids) == len(result.scenarios) and result.uncovered == [s for s in result.scenarios if s.uncovered]
    train_text = {i + 1: t for i, (t, _) in enumerate(case.train)}
    train_label = {i + 1: label for i, (_, label) in enumerate(case.train)}
    for line in lines:
        assert set(line) == {"file", "line", "covered", "score", "nearest", "scenario"}
        scenario = ids[line["scenario"]]
        assert scenario.uncovered == (not line["covered"])  # an uncovered scenario holds only uncovered lines
        assert line["nearest"]["file"] == "train.jsonl" and line["nearest"]["label"] == train_label[line["nearest"]["line"]]
        assert 0 < line["nearest"]["similarity"] <= 1.0001 and train_text[line["nearest"]["line"]]
    sizes = {s.id: s.size for s in result.scenarios}
    assert sum(sizes.values()) == len(case.production)
    for scenario_id, size in sizes.items():
        assert sum(line["scenario"] == scenario_id for line in lines) == size
    # Scores rank: the mean score of truly absent lines is below that of the rest.
    absent = np.array([intent in case.absent for _, intent in case.production])
    score = np.array([line["score"] for line in lines])
    assert score[absent].mean() < score[~absent].mean()
    # The JSON form keeps the report keys and leaves the per-line data out.
    payload = json.loads(json.dumps(to_jsonable(result), default=lambda o: "NOT-JSON"))
    assert {"covered_share", "scenarios", "uncovered", "production_inputs", "production_label_mix", "mix_shift"} <= set(payload)
    assert {"id", "uncovered", "label", "share", "covered_share", "examples"} <= set(payload["scenarios"][0])


def test_label_mix_em_recovers_a_known_mix_without_novel_inputs():
    rng = np.random.default_rng(0)
    centres = np.eye(4, 16)
    train = np.vstack([c + 0.05 * rng.standard_normal((60, 16)) for c in centres])
    labels = [str(i) for i in range(4) for _ in range(60)]
    sizes = [120, 40, 30, 10]
    prod = np.vstack([centres[i] + 0.05 * rng.standard_normal((n, 16)) for i, n in enumerate(sizes)])
    train /= np.linalg.norm(train, axis=1, keepdims=True)
    prod /= np.linalg.norm(prod, axis=1, keepdims=True)
    estimate = estimate_coverage(train.astype(np.float32), labels, prod.astype(np.float32), np.ones(len(prod)),
                                 CoverageConfig(neighbours=20, label_neighbours=10))
    assert np.allclose(estimate.label_mix, np.array(sizes) / sum(sizes), atol=0.02)
    assert estimate.covered_share >= 0.97 and estimate.covered.all()


def _labelled_rows(sitting_rows: int | None, seed: int = 0, sitting_seed: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """20 labels x 100 unit rows in file order; with sitting_rows, each run of that many rows of a label shares
    a direction of its own besides the label's. The label centres come from `seed`, the sittings and rows
    from `sitting_seed` (default: the same generator), so another sitting_seed writes new rows of the same labels."""
    rng = np.random.default_rng(seed)
    centres = [rng.standard_normal(32) for _ in range(20)]
    if sitting_seed is not None:
        rng = np.random.default_rng(sitting_seed)
    rows, labels = [], []
    for label in range(20):
        centre = centres[label]
        for start in range(0, 100, sitting_rows or 100):
            sitting = rng.standard_normal(32) if sitting_rows else np.zeros(32)
            block = min(sitting_rows or 100, 100 - start)
            rows.append(centre + 0.8 * sitting + rng.standard_normal((block, 32)))
            labels += [label] * block
    vectors = np.vstack(rows)
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32), np.array(labels)


def test_near_copies_are_left_out_whatever_the_file_order():
    # Training written in sittings of 10 rows per label; production is new sittings of the same labels, so
    # nothing is absent. The same rows shuffled must give the same estimate (file order once set a window).
    vectors, labels = _labelled_rows(10)
    production, _ = _labelled_rows(10, seed=0, sitting_seed=1)
    config = CoverageConfig(neighbours=20, label_neighbours=10, classifier_weight=0.0)
    names = [str(x) for x in labels]
    in_order = estimate_coverage(vectors, names, production, np.ones(len(production)), config)
    order = np.random.default_rng(5).permutation(len(labels))
    shuffled = estimate_coverage(vectors[order], [names[i] for i in order], production, np.ones(len(production)), config)
    assert shuffled.covered_share == pytest.approx(in_order.covered_share, abs=1e-9)
    import dataaudit.checks.coverage_estimate as estimate_module

    with pytest.MonkeyPatch.context() as patch:  # the same with no near-copy left out
        patch.setattr(estimate_module, "NEAR_COPY_MAX", 0)
        kept_all = estimate_coverage(vectors, names, production, np.ones(len(production)), config)
    # measured: 0.990 against 0.273: with its sittings counted, clean production reads mostly uncovered
    assert in_order.covered_share >= 0.95 and kept_all.covered_share <= 0.5, (in_order.covered_share, kept_all.covered_share)


def test_a_few_one_row_labels_do_not_stop_a_large_labels_near_copies_being_left_out():
    # 3 labels of 100 rows in sittings of 10, production new sittings of them (nothing absent), and 4 stray
    # one-row labels: the median label size was 1, so the cap on near-copies was 0 and clean production read
    # mostly uncovered (measured 0.053 against 0.984 without the strays).
    vectors, labels = _labelled_rows(10)
    production, production_labels = _labelled_rows(10, seed=0, sitting_seed=1)
    kept, production = labels < 3, production[production_labels < 3]
    strays = np.random.default_rng(9).standard_normal((4, 32))
    strays /= np.linalg.norm(strays, axis=1, keepdims=True)
    names = [str(x) for x in labels[kept]]
    config = CoverageConfig(neighbours=20, label_neighbours=10, classifier_weight=0.0)
    alone = estimate_coverage(vectors[kept], names, production, np.ones(len(production)), config)
    with_strays = estimate_coverage(np.vstack([vectors[kept], strays]).astype(np.float32), names + ["w", "x", "y", "z"],
                                    production, np.ones(len(production)), config)
    assert alone.covered_share >= 0.95
    assert with_strays.covered_share == pytest.approx(alone.covered_share, abs=0.02)


def test_near_copy_count_is_what_brings_training_down_to_production():
    from dataaudit.checks.coverage_estimate import PooledNeighbours, near_copy_count, same_label_ranks

    # two training queries (rows 0, 1) of label 0; neighbours: itself, two same-label rows, then other labels
    labels = np.array([0, 0, 0, 0, 1, 1])
    index = np.array([[0, 2, 3, 4, 5], [1, 3, 2, 4, 5]])
    similarity = np.array([[1.0, 0.95, 0.9, 0.6, 0.6], [1.0, 0.95, 0.9, 0.6, 0.6]])
    pooled = PooledNeighbours(6, np.array([0, 1]), similarity, index)
    ranks = same_label_ranks(pooled, labels)
    assert ranks.tolist() == [[0, 1, 2, 0, 0], [0, 1, 2, 0, 0]]
    weights = np.ones(2)
    # mean of the 2 nearest kept: 0.925 with none left out, 0.75 with one, 0.6 with two
    assert near_copy_count(pooled, ranks, 2, weights, np.array([0.93]), np.ones(1), 2, 5) == 0
    assert near_copy_count(pooled, ranks, 2, weights, np.array([0.8]), np.ones(1), 2, 5) == 1
    assert near_copy_count(pooled, ranks, 2, weights, np.array([0.7]), np.ones(1), 2, 5) == 2
    assert near_copy_count(pooled, ranks, 2, weights, np.array([0.7]), np.ones(1), 2, 1) == 1  # at most `most`


def test_the_cross_fitted_best_bin_reads_no_lower_than_the_truth_by_its_own_noise():
    """The best bin chooses the threshold where its ratio reads lowest on the sample, then reads it there;
    chosen on one half and read on the other, the noise that chose is not the noise that reads."""
    from dataaudit.checks.coverage_estimate import best_bin_share, cross_fitted_share

    def readings(gap: int) -> tuple[float, float]:
        single, crossed = [], []
        for seed in range(100):
            rng = np.random.default_rng(seed)
            train = rng.normal(size=800)
            production = np.r_[rng.normal(size=300 - gap), rng.normal(-3.0, 0.5, size=gap)]
            halves = rng.integers(0, 2, 800).astype(bool), rng.integers(0, 2, 300).astype(bool)
            single.append(best_bin_share(train, np.ones(800), production, np.ones(300)))
            crossed.append(cross_fitted_share(train, np.ones(800), production, np.ones(300), *halves))
        return float(np.mean(single)), float(np.mean(crossed))

    # measured: nothing absent 0.966 against 0.989; 20% absent (well below training) 0.774 against 0.802
    single, crossed = readings(0)
    assert single < 0.97 and crossed > 0.98, (single, crossed)
    single, crossed = readings(60)
    assert single < 0.78 and abs(crossed - 0.8) < 0.01, (single, crossed)


def test_the_cross_fitted_best_bin_reads_each_half_at_the_other_halfs_threshold():
    from dataaudit.checks.coverage_estimate import best_bin_threshold, cross_fitted_share, mass_ratio_above

    # a fifth of production well below training: each half reads a ratio under 1 (0.800 and 0.778; a shift of
    # the whole of production by -0.3, the first fixture, read 1.0 both ways and tested nothing)
    rng = np.random.default_rng(0)
    train, production = rng.normal(size=40), np.r_[rng.normal(size=24), rng.normal(-3.0, 0.5, size=6)]
    train_half, production_half = np.arange(40) % 2 == 1, np.arange(30) % 3 == 0
    ones_t, ones_p = np.ones(40), np.ones(30)
    expected = []
    for choose, read in ((False, True), (True, False)):
        t, p = train_half == choose, production_half == choose
        threshold = best_bin_threshold(train[t], ones_t[t], production[p], ones_p[p])
        t, p = train_half == read, production_half == read
        expected.append(mass_ratio_above(train[t], ones_t[t], production[p], ones_p[p], threshold))
    assert cross_fitted_share(train, ones_t, production, ones_p, train_half, production_half) == pytest.approx(np.mean(expected))
    assert 0 < np.mean(expected) < 1 and expected[0] != expected[1]
    # a half with under 2 rows: the plain best bin on all rows
    from dataaudit.checks.coverage_estimate import best_bin_share

    lonely = np.zeros(30, dtype=bool)
    lonely[0] = True
    assert cross_fitted_share(train, ones_t, production, ones_p, train_half, lonely) == best_bin_share(train, ones_t, production, ones_p)


def test_the_near_copy_count_is_matched_to_the_median_of_productions_covered_part():
    from dataaudit.checks.coverage_estimate import covered_part_quantile

    # nothing uncovered: production's median; a quarter uncovered and lying below: the covered three quarters'
    # median is production's 62.5th percentile
    assert covered_part_quantile(1.0) == 0.5 and covered_part_quantile(0.75) == pytest.approx(0.625)
    assert covered_part_quantile(0.0) == 1.0


def test_the_training_reference_is_drawn_in_the_estimated_label_mix():
    from dataaudit.checks.coverage_estimate import reference_in_mix, sample_priority

    labels = np.repeat(np.arange(4), 500)
    keys = [f"query {i}" for i in range(len(labels))]
    reference = reference_in_mix(labels, np.ones(len(labels)), np.array([0.7, 0.2, 0.1, 0.0]), 400,
                                 sample_priority(np.zeros((len(keys), 4), dtype=np.float32), keys, seed=0))
    assert np.bincount(labels[reference], minlength=4).tolist() == [280, 80, 40, 1]
    assert len(set(reference.tolist())) == len(reference)


def test_the_training_reference_keeps_its_rows_when_a_batch_adds_rows():
    """The reference is the rows of lowest seeded rank per label, a rank that belongs to the row: a batch that adds
    500 rows to 2,000 keeps every reference row whose rank no new row undercuts, so the kept neighbour lists of
    the last run serve again (a draw by position gave a new sample: search_memo then searched it whole)."""
    from dataaudit.checks.coverage_estimate import reference_in_mix, sample_priority

    rng = np.random.default_rng(3)
    keys = [f"query {i}" for i in range(2500)]
    labels = rng.integers(0, 5, 2500)
    vectors = rng.normal(size=(2500, 8)).astype(np.float32)
    mix = np.full(5, 0.2)

    def drawn(n: int, by_keys: bool, seed: int = 0) -> set[str]:
        priority = sample_priority(vectors[:n], keys[:n] if by_keys else None, seed)
        return {keys[i] for i in reference_in_mix(labels[:n], np.ones(n), mix, 400, priority).tolist()}

    for by_keys in (True, False):
        before, after = drawn(2000, by_keys), drawn(2500, by_keys)
        assert len(before) == len(after) == 400
        # Each label keeps its 80 rows but for new rows that rank below them: about a fifth here (500 of 2,500).
        assert 280 <= len(before & after) < 400, len(before & after)
        assert drawn(2000, by_keys) == before  # the same rows, the same sample
        assert len(drawn(2000, by_keys, seed=1) & before) < 120  # another seed, another sample (about 80 alike by chance)


def test_a_gap_too_spread_to_name_warns_beyond_the_estimates_error_and_passes_within_it(outcomes):
    # At this size the case reads a gap under 5% (true 5.0%): 0.958 with uncovered scenarios holding 4.2%, a
    # warning; on the battery's cached vectors 0.999 naming nothing, a pass (MISSED either way); the full battery warns.
    row = outcomes["CLINC150, 8 intents absent, 5% (seed 0)"]
    assert row["estimated"] > 0.95 and row["uncovered_share"] < 0.05 and row["got"] == ("warn" if row["result"].uncovered else "pass"), row
    from types import SimpleNamespace

    from dataaudit.checks.coverage import CoverageResult, judge
    from dataaudit.config import Config

    unnamed = CoverageResult("m", "rule", 10, 500, 1000, 0.95, [], [], [], None, {})
    (finding,) = judge(unnamed, SimpleNamespace(config=Config(), not_run={}))
    assert finding.status is Status.WARN and "no scenario stands out" in finding.summary
    assert (finding.evidence["min_gap_share"], finding.evidence["min_unnamed_gap_share"]) == (0.02, 0.05)


def test_an_unnamed_gap_within_the_estimates_error_on_clean_data_passes():
    """The battery's clean CLINC150 cases read 0.960 with nothing absent and warned through min_gap_share (2%);
    an unnamed gap warns only at min_unnamed_gap_share (5%), a named one still from min_gap_share."""
    from types import SimpleNamespace

    from dataaudit.checks.coverage import CoverageResult, Scenario, judge
    from dataaudit.config import Config, config_with_overrides

    def status(covered, uncovered=(), config=None):
        result = CoverageResult("m", "rule", 10, 1000, 1000, covered, list(uncovered), list(uncovered), [], None, {})
        return judge(result, SimpleNamespace(config=config or Config(), not_run={}))[0].status

    assert status(0.960) is Status.PASS and status(0.970) is Status.PASS
    assert status(0.931) is Status.WARN and status(0.922) is Status.WARN  # CLINC150, 8 intents absent at 5%
    named = Scenario("s1", "gap", 30, 0.03, 0.1, True, ["example"], [])
    assert status(0.970, [named]) is Status.WARN  # a named scenario warns below the unnamed bound
    assert status(0.960, config=config_with_overrides(Config(), {"coverage.min_unnamed_gap_share": 0.03})) is Status.WARN
    assert status(0.960, config=config_with_overrides(Config(), {"coverage.min_gap_share": 0.01})) is Status.PASS


def test_thresholds_compare_the_unrounded_share_and_the_summary_never_shows_the_threshold():
    from types import SimpleNamespace

    from dataaudit.checks.coverage import CoverageResult, Scenario, _percent, judge
    from dataaudit.config import Config

    ctx = SimpleNamespace(config=Config(), not_run={})
    (finding,) = judge(CoverageResult("m", "rule", 10, 500, 1000, 0.89996, [], [], [], None, {}), ctx)
    assert finding.status is Status.FAIL and "an estimated 89.996% of production" in finding.summary
    (finding,) = judge(CoverageResult("m", "rule", 10, 500, 1000, 0.896, [], [], [], None, {}), ctx)
    assert "an estimated 89.6% of production" in finding.summary
    gap = Scenario("s1", "gap", 1251, 0.05004, 0.1, True, ["example"], [])
    (finding,) = judge(CoverageResult("m", "rule", 10, 25000, 1000, 0.95, [gap], [gap], [], None, {}), ctx)
    assert finding.status is Status.FAIL and "5.004% of production" in finding.summary
    assert _percent(0.9, 0.9) == "90.0%" and _percent(0.953, 0.9) == "95.3%"
    assert _percent(0.8999999, 0.9) == "89.99999%" and _percent(0.9 - 1e-12, 0.9) == "just under 90.0%"


def test_uncovered_scenarios_fail_together_when_each_is_under_the_limit():
    from types import SimpleNamespace

    from dataaudit.checks.coverage import CoverageResult, Scenario, judge
    from dataaudit.config import Config

    ctx = SimpleNamespace(config=Config(), not_run={})
    split = [Scenario("s1", "age / limit", 45, 0.045, 0.1, True, ["how old must i be"], []),
             Scenario("s2", "open / children", 30, 0.030, 0.1, True, ["can my child open one"], [])]
    (finding,) = judge(CoverageResult("m", "rule", 10, 1000, 1000, 0.93, split, split, [], None, {}), ctx)
    assert finding.status is Status.FAIL and "2 uncovered scenarios hold 7.5% of production" in finding.summary
    (finding,) = judge(CoverageResult("m", "rule", 10, 1000, 1000, 0.96, split[1:], split[1:], [], None, {}), ctx)
    assert finding.status is Status.WARN
    # Shares rounded for the report sum past the limit (0.0143 + 0.0471 + 0.0143 = 0.05000000000000001): the sizes decide.
    exact = [Scenario(f"s{i}", f"gap {i}", n, n / 700, 0.1, True, ["x"], []) for i, n in enumerate((1, 33, 1))]
    assert sum(s.share for s in exact) > 0.05
    (finding,) = judge(CoverageResult("m", "rule", 10, 700, 1000, 0.96, exact, exact, [], None, {}), ctx)
    assert finding.status is Status.WARN and "3 uncovered scenarios hold 5.0% of production" in finding.summary


def test_uncovered_clusters_with_one_nearest_training_label_become_one_where_they_are_one_topic():
    from dataaudit.checks.coverage import _merged_by_nearest_label

    def unit(*values):
        vector = np.array(values, dtype=float)
        return vector / np.linalg.norm(vector)

    # training: rows 0-1 label "a" along axis 0, row 2 label "b" along axis 1, row 3 unlabelled along axis 4
    train_labels = ["a", "a", "b", None]
    train_vectors = np.array([unit(1, 0, 0, 0, 0), unit(1, 0, 0, 0, 0), unit(0, 1, 0, 0, 0), unit(0, 0, 0, 0, 1)])
    # five clusters: 0 and 2 nearest to "a" and to each other (an intent split in two), 1 nearest to "b",
    # 3 nearest to "a" but another topic (cosine 0.25 to cluster 0, 0.5 to "a"), 4 nearest to unlabelled rows
    centroids = np.array([unit(1, 0, 1.732, 0, 0), unit(0, 1, 0, 0, 0), unit(1, 0, 1.6, 0.3, 0), unit(1, 0, 0, 1.732, 0),
                          unit(0, 0, 0, 0, 1)])
    assignment = np.array([0, 0, 0, 1, 1, 2, 2, 3, 3, 4])
    nearest = np.array([0, 0, 1, 2, 2, 1, 0, 0, 1, 3])
    vectors = centroids[assignment]
    merged, merged_centroids = _merged_by_nearest_label(assignment, centroids, vectors, np.ones(10), nearest, train_labels,
                                                        train_vectors)
    assert merged.tolist() == [0, 0, 0, 1, 1, 0, 0, 3, 3, 4]
    expected = 3 * centroids[0] + 2 * centroids[2]
    assert np.allclose(merged_centroids[0], expected / np.linalg.norm(expected))
    # the unrelated cluster stays apart where it is the largest of "a", and the split intent's smaller part
    # joins its larger part (the second target of "a"), not the largest cluster of the label
    larger = np.array([0, 3, 1, 1, 2, 2, 3, 3, 3, 4])
    apart, _ = _merged_by_nearest_label(larger, centroids, centroids[larger], np.ones(10), np.array([0, 0, 2, 2, 1, 0, 0, 1, 0, 3]),
                                        train_labels, train_vectors)
    assert apart.tolist() == [2, 3, 1, 1, 2, 2, 3, 3, 3, 4]
    same, _ = _merged_by_nearest_label(assignment, centroids, vectors, np.ones(10), nearest, [None] * 4, train_vectors)
    assert same.tolist() == assignment.tolist()  # unlabelled training merges nothing


def test_a_merged_uncovered_scenario_is_named_from_its_own_texts(monkeypatch):
    """Training nearly one label: every uncovered cluster's nearest label is that one. A money-transfer cluster
    beside uncovered translate queries must neither join them nor be named from their words."""
    from types import SimpleNamespace

    import dataaudit.checks.coverage as coverage

    def unit(*values):
        vector = np.array(values, dtype=float)
        return vector / np.linalg.norm(vector)

    texts = (["could you translate this into chinese", "translate a phrase into mandarin", "translate this sentence into chinese"]
             + [f"move {n} dollars from my checking account to my savings" for n in (10, 20, 30, 40, 50)])
    production_vectors = np.array([unit(1, 0.6, 0.05 * i, 0) for i in range(3)] + [unit(0.1, 0, 0.05 * i, 1) for i in range(5)])
    train_vectors = np.array([unit(1, 0, 0, 0), unit(1, 0.1, 0, 0), unit(0, 1, 0, 0)])
    train_labels = ["translate", "translate", "weather"]
    # k-means found the two topics; the transfer cluster is the larger
    monkeypatch.setattr(coverage, "_scenario_clusters",
                        lambda vectors, config, cache: (np.array([0, 0, 0, 1, 1, 1, 1, 1]),
                                                        np.array([unit(1, 0.6, 0.05, 0), unit(0.1, 0, 0.1, 1)])))
    records = [SimpleNamespace(query_text=t, source="prod.jsonl", line=i + 1) for i, t in enumerate(texts)]
    production = SimpleNamespace(vectors=production_vectors, records=records, distinct=texts,
                                 positions={t: [i] for i, t in enumerate(texts)})
    train_records = [SimpleNamespace(query_text=f"train {j}", source="train.jsonl", line=j + 1) for j in range(3)]
    train = SimpleNamespace(vectors=train_vectors, records=train_records, distinct=["t0", "t1", "t2"],
                            positions={"t0": [0], "t1": [1], "t2": [2]})
    ctx = SimpleNamespace(production=production, train=train, config=SimpleNamespace(embeddings=SimpleNamespace(cache=False)))
    monkeypatch.setattr(coverage, "results_folder", lambda embeddings: None)
    n = len(texts)
    estimate = SimpleNamespace(covered=np.zeros(n, dtype=bool), covered_probability=np.zeros(n), score=np.zeros(n),
                               covered_share=0.0, aggregate_share=0.0)
    nearest_idx = np.zeros((n, 1), dtype=int)
    pca = SimpleNamespace(transform=lambda x: np.zeros((len(x), 2)))
    scenarios, scenario_of, _ = coverage._scenarios(ctx, CoverageConfig(), estimate, np.ones(n), np.ones((n, 1)), nearest_idx,
                                                    train_labels=train_labels, pca=pca)
    assert [(s.size, s.uncovered) for s in scenarios] == [(5, True), (3, True)]
    transfer, translate = scenarios
    assert scenario_of == [translate.id] * 3 + [transfer.id] * 5
    assert "translate" not in transfer.label and "chinese" not in transfer.label
    assert set(transfer.label.split(" / ")) <= {"move", "dollars", "checking", "account", "savings"}
    assert set(translate.label.split(" / ")) <= {"translate", "chinese", "phrase", "mandarin", "sentence"}
    assert all("dollars" in e for e in transfer.examples)


def test_the_label_mix_em_leaves_out_zero_weights_and_unit_products_exactly():
    from dataaudit.checks.coverage_estimate import knn_label_posteriors, saerens_em

    rng = np.random.default_rng(3)
    prior = np.bincount(rng.integers(0, 12, 3000), minlength=12) / 3000
    posteriors = knn_label_posteriors(rng.integers(0, 3000, (400, 20)), rng.integers(0, 12, 3000), 12, prior)

    def weighted_in_full(weights):  # the EM as it was written, every row weighted
        mix, base = prior.copy(), posteriors / prior
        for _ in range(200):
            adjusted = base * mix
            adjusted /= adjusted.sum(axis=1, keepdims=True)
            new = (weights[:, None] * adjusted).sum(axis=0) / max(float(weights.sum()), 1e-12)
            done, mix = np.abs(new - mix).max() < 1e-7, new
            if done:
                break
        return mix

    for weights in (np.ones(400), (rng.random(400) > 0.2).astype(float), rng.integers(0, 3, 400).astype(float)):
        assert saerens_em(posteriors, prior, weights).tobytes() == weighted_in_full(weights).tobytes()


def test_scenario_clusters_are_reused_only_for_the_same_vectors(tmp_path):
    from dataaudit.checks.coverage import _scenario_clusters
    from dataaudit.result_cache import ResultCache

    vectors, _ = _labelled_rows(None)
    cache, config = ResultCache(tmp_path), CoverageConfig()
    measured = _scenario_clusters(vectors, config, None)
    first = _scenario_clusters(vectors, config, cache)
    again = _scenario_clusters(vectors, config, cache)
    assert len(list(tmp_path.glob("*.pickle"))) == 1
    for got in (first, again):
        assert all(a.tobytes() == b.tobytes() for a, b in zip(measured, got))
    moved = vectors.copy()
    moved[0] = -moved[0]
    _scenario_clusters(moved, config, cache)
    assert len(list(tmp_path.glob("*.pickle"))) == 2


def test_classifier_term_handles_labels_smaller_than_its_folds_and_ranks_a_novel_cluster_last():
    rng = np.random.default_rng(0)
    centres = np.eye(5, 16)
    sizes = [60, 60, 40, 3, 1]  # the last two labels are below CLASSIFIER_FOLDS: in every fold's model
    train = np.vstack([c + 0.05 * rng.standard_normal((n, 16)) for c, n in zip(centres, sizes)])
    labels = [str(i) for i, n in enumerate(sizes) for _ in range(n)]
    prod = np.vstack([centres[i] + 0.05 * rng.standard_normal((n, 16)) for i, n in enumerate([50, 30, 20])]
                     + [np.eye(1, 16, 9) + 0.05 * rng.standard_normal((15, 16))])
    train /= np.linalg.norm(train, axis=1, keepdims=True)
    prod /= np.linalg.norm(prod, axis=1, keepdims=True)
    ids = np.unique(labels, return_inverse=True)[1]
    train_top, production_top = classifier_top_probability(train, ids, 5, prod, 0)
    assert np.isfinite(train_top).all() and np.isfinite(production_top).all()
    assert production_top[100:].mean() < production_top[:100].mean()
    config = CoverageConfig(neighbours=20, label_neighbours=10)
    estimate = estimate_coverage(train.astype(np.float32), labels, prod.astype(np.float32), np.ones(len(prod)), config)
    assert np.isfinite(estimate.score).all() and not estimate.covered[100:].any() and estimate.covered[:100].mean() >= 0.95
    off = estimate_coverage(train.astype(np.float32), labels, prod.astype(np.float32), np.ones(len(prod)),
                            CoverageConfig(neighbours=20, label_neighbours=10, classifier_weight=0.0))
    assert not np.array_equal(off.score, estimate.score)
    without_local = estimate_coverage(train.astype(np.float32), labels, prod.astype(np.float32), np.ones(len(prod)),
                                      CoverageConfig(neighbours=20, label_neighbours=10, own_mix_local_weight=0.0))
    assert not np.array_equal(without_local.score, estimate.score) and not without_local.covered[100:].any()


def test_the_coverage_action_asks_for_what_the_run_lacked(tmp_path, embedder):
    from dataaudit.api import audit
    from dataaudit.config import Config
    from tests.conftest import write_jsonl

    train = write_jsonl(tmp_path / "train.jsonl", [{"text": f"where is my parcel number {i}", "label": "shipping"} for i in range(25)])
    production = write_jsonl(tmp_path / "production.jsonl", [{"text": f"my parcel {i} has not arrived"} for i in range(40)])

    def coverage(**kwargs):
        return next(c for c in audit(train, Config(), production=production, **kwargs).verdict.conditions if c.id == "coverage")

    switched_off = coverage(embed=False)
    assert "--no-embeddings" in switched_off.action and "--production" not in switched_off.action
    few_training = coverage(embedder=embedder)
    assert "training_inputs 25 < min_training_inputs 30" in few_training.summary
    assert few_training.action == "Coverage needs at least 30 training inputs to compare with: add training data."


def test_more_than_five_uncovered_scenarios_are_counted_not_cut():
    from types import SimpleNamespace

    from dataaudit.checks.coverage import CoverageResult, Scenario, judge
    from dataaudit.config import Config
    from dataaudit.render.sections.coverage import SECTION

    gaps = [Scenario(f"s{i}", f"gap {i}", 10, 0.02 - i * 0.001, 0.1, True, [f"example {i}"], []) for i in range(7)]
    result = CoverageResult("m", "rule", 10, 500, 1000, 0.86, gaps, gaps, [], None, {})
    ctx = SimpleNamespace(config=Config(), not_run={})
    (finding,) = judge(result, ctx)
    assert finding.action.endswith("'gap 4' (1.6%), and 2 more.")  # the check cannot know which files are written
    report = SimpleNamespace(checks={"coverage": result}, verdict=SimpleNamespace(conditions=[]))
    content = SECTION.build(report)
    assert content.lines[-1] == "... and 2 more uncovered scenario(s)"
    assert len(content.tables[0].rows) == 7


def test_scenario_names_are_built_from_masked_text():
    from dataaudit.checks.coverage import _cluster_labels

    domains = ["gmail.com", "yahoo.com", "outlook.com", "proton.me"]
    personal = [f"write to zebediah.quarshie@{domains[i % 4]} today" for i in range(12)]
    personal += [f"ring me on +44 20 7946 09{i:02d} please" for i in range(12)]
    personal += [f"pay into GB82WEST12345698765432 or 4111 1111 1111 1111 {'soon' if i % 2 else 'now'}" for i in range(12)]
    ordinary = [f"what is the weather in {city} tomorrow" for city in ("paris", "rome", "oslo", "lima")] * 3
    texts = personal + ordinary
    assignment = np.array([0] * 12 + [1] * 12 + [2] * 12 + [3] * 12)
    names = _cluster_labels(texts, assignment, 4)
    words = {w for name in names for w in name.split(" / ")}
    leaked = {"zebediah", "quarshie", "gmail", "yahoo", "outlook", "proton", "west"} & words
    placeholder = {"email", "phone", "iban", "credit", "card", "com", "me"} & words
    assert not leaked and not placeholder, names
    assert set(names[0].split(" / ")) == {"write", "today"}  # what is left of the text still names it
    assert set(names[1].split(" / ")) == {"ring"}  # "me" and "on" are stop words
    assert set(names[2].split(" / ")) == {"pay", "soon"}  # "now" is a stop word
    assert "weather" in names[3] and "tomorrow" in names[3]


def test_a_scenario_of_nothing_but_sensitive_values_gets_a_number_not_their_parts():
    from dataaudit.checks.coverage import _cluster_labels

    texts = [f"alice.{i}@example.org" for i in range(5)] + ["cancel my order please", "cancel the order"]
    names = _cluster_labels(texts, np.array([0] * 5 + [1] * 2), 2)
    assert names == ["scenario 1", "cancel / order"]


def _copies_case(seed: int = 2, dim: int = 24, noise: float = 0.35):
    """5 trained topics x 40 rows; production: 24 verbatim training inputs and 30 new topics x 6 (about 88%
    uncovered, as QA's Banking77 probe with 5 of 77 intents trained). Vectors made up: no model, no shared data."""
    from dataaudit.checks.base import AuditContext
    from dataaudit.config import Config
    from dataaudit.index import build_index
    from dataaudit.load.records import Dataset, Record

    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(35, dim))
    train = [(f"trained {c} example {i}", c) for c in range(5) for i in range(40)]
    copied = [train[i][0] for i in rng.choice(len(train), 24, replace=False)]
    production = copied + [f"novel {c} question {i}" for c in range(5, 35) for i in range(6)]
    raw = {text: centres[c] + noise * rng.normal(size=dim) for text, c in train}
    raw.update({text: centres[int(text.split()[1])] + noise * rng.normal(size=dim) for text in production[24:]})
    unit = {text: (v / np.linalg.norm(v)).astype(np.float32) for text, v in raw.items()}

    def index(role: str, rows: list[tuple[str, int | None]]):
        records = [Record(f"{role}.jsonl", i + 1, "text_label", text, label=None if c is None else f"topic {c}")
                   for i, (text, c) in enumerate(rows)]
        built = build_index(role, Dataset(role, [], records, [], len(records), 0), lambda s: " ".join(s.split()).casefold())
        return built.with_vectors({k: unit[k] for k in built.distinct}, dim)

    ctx = AuditContext(config=Config(), train=index("train", train), production=index("production", [(t, None) for t in production]),
                       embedding_model="made-up")
    return ctx, len(copied)


def test_verbatim_copies_of_training_inputs_are_covered_and_name_no_uncovered_scenario(monkeypatch):
    import dataaudit.checks.coverage as coverage
    from dataaudit.checks.coverage import CHECK

    ctx, copies = _copies_case()
    assert coverage.training_copies(ctx.train, ctx.production).tolist() == [True] * copies + [False] * 180

    # The mixture alone, its prior near 12% covered: it read 0.0 and judged all 24 copies uncovered, in an
    # uncovered scenario, while the duplicates check counts them seen in training.
    with monkeypatch.context() as patched:
        patched.setattr(coverage, "with_training_copies_covered", lambda result, copied, counts: result)
        unruled = CHECK.measure(ctx)
    unruled_lines = list(coverage_lines(unruled))[:copies]
    assert unruled.covered_share == 0.0 and not any(line["covered"] for line in unruled_lines)

    result = CHECK.measure(ctx)
    lines = list(coverage_lines(result))
    uncovered_ids = {s.id for s in result.uncovered}
    assert all(line["covered"] and line["scenario"] not in uncovered_ids for line in lines[:copies])
    assert all(line["nearest"]["similarity"] == pytest.approx(1.0, abs=1e-4) for line in lines[:copies])
    assert not any(line["covered"] for line in lines[copies:])  # the new topics stay uncovered
    assert result.covered_share == pytest.approx(24 / 204, abs=1e-4) and result.covered_lines == copies
    examples = {e.text for s in result.uncovered for e in s.uncovered_examples}
    assert examples and not any(text.startswith("trained") for text in examples)
    finding = CHECK.judge(result, ctx)[0]
    assert finding.status is Status.FAIL and "11.8%" in finding.summary


def test_copies_raise_the_share_to_what_the_verdicts_leave_and_at_least_their_own():
    from dataaudit.checks.coverage import with_training_copies_covered
    from dataaudit.checks.coverage_estimate import Estimate

    counts = np.array([2.0, 1.0, 1.0, 6.0])
    estimate = Estimate(np.zeros(4), np.array([0.2, 0.9, 0.1, 0.1]), np.array([False, True, False, False]), 0.1, None, None,
                        aggregate_share=0.3)
    copied = np.array([True, False, False, False])
    marked = with_training_copies_covered(estimate, copied, counts)
    # the verdicts now leave 30% covered (2 + 1 of 10 records), the aggregate read 30%
    assert marked.covered.tolist() == [True, True, False, False] and marked.covered_probability[0] == 1.0
    assert marked.covered_share == pytest.approx(0.3)
    # an aggregate below the copies' own share: the share is theirs
    low = with_training_copies_covered(Estimate(np.zeros(4), np.full(4, 0.1), np.zeros(4, bool), 0.0, None, None, aggregate_share=0.0),
                                       copied, counts)
    assert low.covered_share == pytest.approx(0.2)
    # a later bound by the verdicts (a cluster turned uncovered) keeps the copies' floor: it takes the aggregate too
    from dataaudit.checks.coverage_estimate import bounded_by_verdicts

    assert bounded_by_verdicts(low, counts).covered_share == pytest.approx(0.2) and low.aggregate_share == pytest.approx(0.2)
    assert with_training_copies_covered(estimate, np.zeros(4, bool), counts) is estimate


def test_the_cross_fitted_halves_follow_the_inputs_keys_not_their_vectors_last_bits():
    """The model gives a text other last bits in another batch (up to 9e-8 measured); halves drawn from the
    vectors' bytes moved the covered share with them."""
    rng = np.random.default_rng(3)
    centres = rng.normal(size=(6, 16))
    train = centres[rng.integers(0, 6, 240)] + 0.3 * rng.normal(size=(240, 16))
    production = np.vstack([centres[rng.integers(0, 5, 60)], rng.normal(size=(20, 16)) * 2]) + 0.3 * rng.normal(size=(80, 16))
    train, production = (v / np.linalg.norm(v, axis=1, keepdims=True) for v in (train, production))
    config = CoverageConfig(min_production_inputs=10, min_training_inputs=10)
    keys = [f"production {i}" for i in range(80)]

    def share(vectors):
        return estimate_coverage(train.astype(np.float32), None, vectors.astype(np.float32), np.ones(80), config,
                                 train_keys=[f"train {i}" for i in range(240)], production_keys=keys).covered_share

    nudged = production + rng.normal(scale=1e-7, size=production.shape)
    assert share(production) == share(nudged / np.linalg.norm(nudged, axis=1, keepdims=True))


def test_the_near_copy_count_is_the_first_count_whose_median_reaches_productions():
    """Written as a fraction rounded up, a crossing just past a count lost its tiny remainder to float rounding and
    read one count fewer (medians .95, .9, .85, a hair above .7, .2 against production's .7: 3, where 4 is right)."""
    from dataaudit.checks.coverage_estimate import near_copies

    medians = {0: 0.95, 1: 0.9, 2: 0.85, 3: float(np.nextafter(0.7, 1.0)), 4: 0.2}
    production = np.array([0.7]), np.array([1.0])
    assert near_copies(medians.__getitem__, *production, most=4) == 4
    assert near_copies(medians.__getitem__, np.array([0.96]), np.array([1.0]), most=4) == 0
    assert near_copies(medians.__getitem__, np.array([0.1]), np.array([1.0]), most=4) == 4  # none reaches: most
    assert near_copies(medians.__getitem__, np.array([0.88]), np.array([1.0]), most=4) == 2


def _per_label_case(rows_per_label: list[int], labelled: bool = True, seed: int = 5, dim: int = 24):
    """Made-up vectors: one topic per label with the given training rows each, production 4 inputs of every
    topic; no model, no shared data."""
    from dataaudit.checks.base import AuditContext
    from dataaudit.config import Config
    from dataaudit.index import build_index
    from dataaudit.load.records import Dataset, Record

    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(len(rows_per_label), dim))
    train = [(f"trained {c} example {i}", c) for c, rows in enumerate(rows_per_label) for i in range(rows)]
    production = [(f"asked {c} question {i}", None) for c in range(len(rows_per_label)) for i in range(4)]
    unit = {}
    for text, _ in train + production:
        vector = centres[int(text.split()[1])] + 0.35 * rng.normal(size=dim)
        unit[text] = (vector / np.linalg.norm(vector)).astype(np.float32)

    def index(role: str, rows, with_labels: bool):
        records = [Record(f"{role}.jsonl", i + 1, "text_label", text, label=f"topic {c}" if with_labels and c is not None else None)
                   for i, (text, c) in enumerate(rows)]
        built = build_index(role, Dataset(role, [], records, [], len(records), 0), lambda s: " ".join(s.split()).casefold())
        return built.with_vectors({k: unit[k] for k in built.distinct}, dim)

    def context(config: Config | None = None) -> AuditContext:
        return AuditContext(config=config or Config(), train=index("train", train, labelled),
                            production=index("production", production, False), embedding_model="made-up")
    return context


def test_a_training_set_too_thin_per_label_leaves_coverage_unknown_with_the_reason():
    """Issue 21: a random 300-item Banking77 batch (77 intents, about 4 rows each) read 36.2% covered where 99% was
    true, naming a 32.5% scenario of intents it holds; random samples of 2-16 rows per label read 0.12-0.90 covered
    (benchmarks/results/coverage_validity.md). Below min_training_inputs_per_label coverage is not estimated."""
    from dataaudit.checks.coverage import CHECK
    from dataaudit.config import config_from_dict

    context = _per_label_case([4] * 25)  # 100 training inputs: above min_training_inputs, 4 per label
    ctx = context()
    result = CHECK.measure(ctx)
    assert result.covered_share is None and result.scenarios == [] and result.training_inputs_per_label == 4.0
    assert list(coverage_lines(result)) == []
    finding = CHECK.judge(result, ctx)[0]
    assert finding.status is Status.UNKNOWN
    assert finding.summary == ("training holds too few distinct inputs per label to estimate coverage (100 labelled training inputs over 25 labels, "
                               f"4.0 per label < min_training_inputs_per_label {CoverageConfig().min_training_inputs_per_label:g})")
    assert finding.action.startswith(f"Coverage needs at least {CoverageConfig().min_training_inputs_per_label:g} training inputs per label")
    # 27.999 a label read "28.00 < 28": the figure keeps the places that put it under its bound
    from dataaudit.checks.coverage import _per_label_text
    assert _per_label_text(27.999, CoverageConfig()) == "27.999" and _per_label_text(4.04, CoverageConfig()) == "4.0"
    # The same rows where the minimum is lowered to them: measured.
    lowered = context(config_from_dict({"coverage": {"min_training_inputs_per_label": 4}}))
    measured = CHECK.measure(lowered)
    assert measured.not_measured == "" and measured.covered_share is not None and len(list(coverage_lines(measured))) == 100


def test_the_per_label_minimum_counts_distinct_labelled_inputs_and_spares_unlabelled_training():
    from dataaudit.checks.coverage import CHECK, inputs_per_label
    from dataaudit.config import config_from_dict

    assert inputs_per_label(["a", "a", None, "b"]) == (3, 2, 1.5)
    assert inputs_per_label([None, None]) == (0, 0, None)
    # 299 inputs over 25 labels, 11.96 a label, just under a minimum of 12: shown with the places that tell them apart
    twelve = config_from_dict({"coverage": {"min_training_inputs_per_label": 12}})
    result = CHECK.measure(_per_label_case([12] * 24 + [11])(twelve))
    assert result.not_measured == "299 labelled training inputs over 25 labels, 11.96 per label < min_training_inputs_per_label 12"
    assert CHECK.measure(_per_label_case([12] * 25)(twelve)).not_measured == ""
    # Unlabelled training has no label to be thin in: measured at 4 rows per topic.
    unlabelled = CHECK.measure(_per_label_case([4] * 25, labelled=False)())
    assert unlabelled.not_measured == "" and unlabelled.training_inputs_per_label is None and unlabelled.covered_share is not None


def test_a_random_300_row_banking77_batch_is_too_thin_per_label_to_judge_coverage(embedder):
    """QA's case on the battery's own draw: 300 random Banking77 training rows (4 a label), production 600 random
    test queries with 2.5% of an intent the batch lacks. Without the minimum it read 0.703 and failed, naming a
    'virtual / card / disposable' scenario of 10.8% (benchmarks/results/coverage_validity.md, 2026-12-08)."""
    shared_dataset("clinc150"), shared_dataset("banking77")
    (case,) = build_cases(only={"Banking77, 300 random training rows (seed 1)"})
    row = run_case(case, embedder)
    assert row["true_covered"] == pytest.approx(0.975) and row["expected"] == "unknown" and row["got"] == "unknown"
    assert row["estimated"] is None and row["result"].scenarios == []
    assert row["finding"].summary == ("training holds too few distinct inputs per label to estimate coverage (300 labelled training inputs over 75 labels, "
                                      "4.0 per label < min_training_inputs_per_label 28)")
