"""find_regressions: each figure against its bound, on report-shaped dicts."""

from __future__ import annotations

from dataaudit.config import HistoryConfig
from dataaudit.history import regressions
from dataaudit.history.regressions import batch_notes, find_regressions, key_figures
from dataaudit.render.figures import regression_line, shown_value


def _report(alpha=0.85, covered=0.95, usable=600, shares=None, conditions=None, verdict="ready") -> dict:
    return {"verdict": {"status": verdict, "conditions": [{"id": k, "status": v} for k, v in (conditions or {"scale": "pass"}).items()]},
            "checks": {"agreement": {"krippendorff_alpha": alpha}, "coverage": {"covered_share": covered},
                       "duplicates": {"usable": usable, "duplicate_share": 0.01, "conflicts": [], "leakage": []},
                       "balance": {"shares": shares or {"a": 0.5, "b": 0.5}}, "format": {"records": usable, "invalid": 0}}}


def test_no_change_no_regression():
    figures = key_figures(_report())
    assert find_regressions(figures, figures, HistoryConfig()) == []


def test_each_bound_is_exclusive_and_each_regression_named():
    bounds = HistoryConfig(max_alpha_drop=0.05, max_label_share_shift=0.05, max_covered_share_drop=0.02, max_usable_drop=0)
    before = key_figures(_report())
    at_bounds = key_figures(_report(alpha=0.80, covered=0.93, usable=600, shares={"a": 0.54, "b": 0.46}))
    assert find_regressions(before, at_bounds, bounds) == []  # within or at each bound is not a regression
    worse = key_figures(_report(alpha=0.79, covered=0.92, usable=599, shares={"a": 0.6, "b": 0.4},
                                conditions={"scale": "warn"}))
    found = {r["what"]: r for r in find_regressions(before, worse, bounds)}
    assert set(found) == {"krippendorff_alpha", "covered_share", "usable", "label_share:a", "label_share:b", "condition:scale"}
    assert found["krippendorff_alpha"]["before"] == 0.85 and found["krippendorff_alpha"]["now"] == 0.79
    assert found["condition:scale"]["before"] == "pass" and found["condition:scale"]["now"] == "warn"


def test_improvements_and_a_figure_measured_only_now_are_not_regressions_a_figure_lost_now_is():
    before = key_figures(_report(alpha=0.7, covered=0.8, usable=100))
    better = key_figures(_report(alpha=0.9, covered=0.99, usable=900))
    assert find_regressions(before, better, HistoryConfig()) == []
    no_alpha = key_figures(_report(alpha=None, covered=0.8, usable=100))
    assert find_regressions(no_alpha, before, HistoryConfig()) == []
    # The evidence the gate judged by is gone: said, as the regression it is, not passed over in silence.
    assert find_regressions(before, no_alpha, HistoryConfig()) == [
        {"what": "krippendorff_alpha", "before": 0.7, "now": None,
         "detail": "was measured by the previous run and is not measured now (no item with several annotations this run?)"}]


def test_a_condition_that_failed_and_is_unknown_now_is_a_regression_not_a_pass_for_exit_3():
    """coverage failed (80.4% covered); the same run without --production is 'not enough evidence' (exit 3),
    which the README's CI recipe lets through: the figure and the condition it judged are both regressions."""
    before = key_figures(_report(covered=0.804, conditions={"coverage": "fail", "scale": "pass"}, verdict="not_ready"))
    without_production = key_figures(_report(covered=None, conditions={"coverage": "unknown", "scale": "pass"},
                                             verdict="insufficient_evidence"))
    found = find_regressions(before, without_production, HistoryConfig())
    # One input left out is one regression: the condition's, naming the figure that went with it.
    assert [(r["what"], r["before"], r["now"], r["detail"]) for r in found] == [
        ("condition:coverage", "fail", "unknown", "was judged by the previous run and is not judged now (covered_share was "
         "measured by the previous run (0.804) and is not measured now: --production or embeddings left out?)")]
    # from pass and warn alike; unknown to unknown is no change
    for judged in ("pass", "warn"):
        was = key_figures(_report(covered=None, conditions={"coverage": judged}))
        assert [r["what"] for r in find_regressions(was, without_production, HistoryConfig())] == ["condition:coverage"]
    assert find_regressions(without_production, without_production, HistoryConfig()) == []


def test_condition_severity_order_pass_warn_unknown_fail():
    before = key_figures(_report(conditions={"coverage": "unknown", "hygiene": "warn"}))
    after = key_figures(_report(conditions={"coverage": "warn", "hygiene": "fail"}))
    found = [r["what"] for r in find_regressions(before, after, HistoryConfig())]
    assert found == ["condition:hygiene"]  # unknown -> warn is an improvement in evidence, warn -> fail is worse


def _with_files(report: dict, files: dict[str, tuple[int, dict[str, float]]]) -> dict:
    """The report with per-file rows (file -> (labelled items, label shares)) and those files as its inputs."""
    report["per_file"] = [{"file": f, "labelled": n, "label_shares": shares} for f, (n, shares) in files.items()]
    report["inputs"] = [{"path": f, "role": "train"} for f in files]
    return report


def test_a_new_file_is_judged_on_its_own_label_mix_when_the_shift_is_not_chance():
    """Ten batches at 50/50 and an eleventh at 75/25: the cumulative shares move 2.3 points (under the 5-point
    bound), the new file's 25 points on 400 items (binomial p ~ 1e-23)."""
    old = {f"b{i}.jsonl": (400, {"a": 0.5, "b": 0.5}) for i in range(10)}
    before = key_figures(_with_files(_report(shares={"a": 0.5, "b": 0.5}), old))
    skewed = key_figures(_with_files(_report(shares={"a": 0.5227, "b": 0.4773}), {**old, "b10.jsonl": (400, {"a": 0.75, "b": 0.25})}))
    found = {r["what"]: r for r in find_regressions(before, skewed, HistoryConfig())}
    assert set(found) == {"label_share:a:b10.jsonl", "label_share:b:b10.jsonl"}
    assert (found["label_share:a:b10.jsonl"]["before"], found["label_share:a:b10.jsonl"]["now"]) == (0.5, 0.75)
    assert found["label_share:a:b10.jsonl"]["detail"].startswith("this new file's share is +25.00 points off the last run's (400 labelled items, p = ")


def test_a_small_new_batch_off_by_chance_and_an_old_file_are_not_label_regressions():
    old = {f"b{i}.jsonl": (400, {"a": 0.5, "b": 0.5}) for i in range(10)}
    before = key_figures(_with_files(_report(shares={"a": 0.5, "b": 0.5}), old))
    # 40 items at 60/40: ten points off, but 24 of 40 from a fair coin has p = 0.27.
    small = key_figures(_with_files(_report(shares={"a": 0.502, "b": 0.498}), {**old, "b10.jsonl": (40, {"a": 0.6, "b": 0.4})}))
    assert find_regressions(before, small, HistoryConfig()) == []
    # A file the last run already read is part of the cumulative shares, not a new batch.
    again = key_figures(_with_files(_report(shares={"a": 0.5, "b": 0.5}), {**old, "b0.jsonl": (400, {"a": 0.75, "b": 0.25})}))
    assert find_regressions(before, again, HistoryConfig()) == []
    # A label the last run never saw, in a fifth of the new batch, is a shift from 0.
    novel = key_figures(_with_files(_report(shares={"a": 0.49, "b": 0.49, "c": 0.02}),
                                    {**old, "b10.jsonl": (100, {"a": 0.4, "b": 0.4, "c": 0.2})}))
    assert [r["what"] for r in find_regressions(before, novel, HistoryConfig())] == ["label_share:c:b10.jsonl"]


def test_a_condition_judged_before_and_skipped_now_is_a_regression():
    """A pull request that skips 'hygiene' in its own config must not pass a gate that failed on it."""
    before = key_figures(_report(conditions={"hygiene": "fail", "scale": "pass"}, verdict="not_ready"))
    skipped = key_figures(_report(conditions={"scale": "pass"}, verdict="ready"))
    assert find_regressions(before, skipped, HistoryConfig()) == [
        {"what": "condition:hygiene", "before": "fail", "now": "not judged",
         "detail": "was judged by the previous run and is not judged now (skipped in the config?)"}]
    # A condition judged now that the baseline did not judge is no regression (a new check, a new input).
    assert find_regressions(skipped, before, HistoryConfig()) == []


def test_a_figure_of_the_wrong_type_reads_as_missing_not_as_a_crash():
    edited = _report()
    edited["checks"]["duplicates"]["usable"] = "600"
    edited["checks"]["balance"]["shares"] = {"a": "0.5", "b": 0.5}
    figures = key_figures(edited)
    assert figures["usable"] is None and figures["label_shares"] == {"b": 0.5}
    assert find_regressions(key_figures(_report()), figures, HistoryConfig()) == [
        {"what": "label_share:a", "before": 0.5, "now": 0.0,
         "detail": "gone from the training data (50.0% of the labels in the last run; renamed or dropped?)"},
        {"what": "usable", "before": 600, "now": None,
         "detail": "was measured by the previous run and is not measured now (the duplicates check did not run?)"}]


def test_a_lost_figure_and_the_condition_it_judged_are_one_regression_each_with_its_own_hint():
    # Losing alpha and coverage counted four regressions, and alpha's hint blamed --production it does not read.
    before = key_figures(_report(alpha=0.86, covered=0.97, usable=200, conditions={"consistency": "pass", "coverage": "pass"}))
    now = key_figures(_report(alpha=None, covered=None, usable=200, conditions={"consistency": "unknown", "coverage": "unknown"}))
    found = find_regressions(before, now, HistoryConfig())
    assert [(r["what"], r["before"], r["now"]) for r in found] == [("condition:consistency", "pass", "unknown"),
                                                                    ("condition:coverage", "pass", "unknown")]
    assert found[0]["detail"] == ("was judged by the previous run and is not judged now (krippendorff_alpha was measured by the "
                                  "previous run (0.86) and is not measured now: no item with several annotations this run?)")
    assert "--production or embeddings left out?" in found[1]["detail"] and "--production" not in found[0]["detail"]
    # A condition skipped in the config now keeps its own reason and names the figure too.
    skipped = key_figures(_report(alpha=None, covered=0.97, usable=200, conditions={"coverage": "pass"}))
    (only,) = find_regressions(before, skipped, HistoryConfig())
    assert (only["what"], only["now"]) == ("condition:consistency", "not judged")
    assert only["detail"].startswith("was judged by the previous run and is not judged now (skipped in the config?) (krippendorff_alpha")
    # With no condition on it in the baseline, the lost figure is its own regression.
    unjudged = key_figures(_report(alpha=0.86, covered=0.97, usable=200, conditions={"scale": "pass"}))
    assert [r["what"] for r in find_regressions(unjudged, key_figures(_report(alpha=None, covered=0.97, usable=200)),
                                                HistoryConfig())] == ["krippendorff_alpha"]


def test_alpha_drop_is_judged_unrounded_and_shown_with_the_digits_that_differ_from_the_bound():
    def report(unrounded: float) -> dict:
        shaped = _report(alpha=round(unrounded, 4))
        shaped["checks"]["agreement"]["krippendorff_alpha_unrounded"] = unrounded
        return shaped

    bounds = HistoryConfig(max_alpha_drop=0.1)
    before = key_figures(report(0.9))
    assert find_regressions(before, key_figures(report(0.80004)), bounds) == []  # a drop of 0.09996: within, though both round to 0.1
    (found,) = find_regressions(before, key_figures(report(0.79996)), bounds)
    # kept unrounded: the renderers round it once, as every other display of the figure
    assert found["what"] == "krippendorff_alpha" and found["before"] == 0.9 and found["now"] == 0.79996
    assert found["detail"] == "dropped by 0.10004 (bound 0.1)"
    # a report written before the unrounded alpha existed is read by its rounded one
    assert key_figures(_report(alpha=0.8))["krippendorff_alpha"] == 0.8


def test_a_new_file_alpha_is_compared_unrounded_with_the_last_runs_unrounded_alpha():
    """The last run's alpha 0.90004 and a new file's 0.80004 are 0.1 apart, at the bound: the file's rounded 0.8
    would put them 0.10004 apart, a false regression."""
    def report(alpha: float, files: dict[str, float]) -> dict:
        shaped = _with_files(_report(alpha=round(alpha, 4)), {f: (10, {"a": 0.5, "b": 0.5}) for f in files})
        shaped["checks"]["agreement"]["krippendorff_alpha_unrounded"] = alpha
        for row in shaped["per_file"]:
            row["krippendorff_alpha"], row["krippendorff_alpha_unrounded"] = round(files[row["file"]], 4), files[row["file"]]
        return shaped

    bounds = HistoryConfig(max_alpha_drop=0.1)
    before = key_figures(report(0.90004, {"b0.jsonl": 0.90004}))
    within = key_figures(report(0.9, {"b0.jsonl": 0.90004, "b1.jsonl": 0.80004}))
    assert find_regressions(before, within, bounds) == []
    beyond = key_figures(report(0.9, {"b0.jsonl": 0.90004, "b1.jsonl": 0.79996}))
    assert find_regressions(before, beyond, bounds) == [
        {"what": "krippendorff_alpha:b1.jsonl", "before": 0.90004, "now": 0.79996,
         "detail": "this new file's alpha is 0.1001 below the last run's (bound 0.1)"}]


def test_a_drop_or_shift_exactly_equal_to_its_bound_is_not_a_regression():
    """Bounds say 'fell by more than'; 0.75, 0.5, 0.25 are exact in binary, so equal means equal."""
    bounds = HistoryConfig(max_alpha_drop=0.25, max_label_share_shift=0.25, max_covered_share_drop=0.25, max_usable_drop=1)
    before = key_figures(_report(alpha=0.75, covered=1.0, usable=600, shares={"a": 0.75, "b": 0.25}))
    at_bounds = key_figures(_report(alpha=0.5, covered=0.75, usable=599, shares={"a": 0.5, "b": 0.5}))
    assert find_regressions(before, at_bounds, bounds) == []
    beyond = key_figures(_report(alpha=0.375, covered=0.625, usable=598, shares={"a": 0.375, "b": 0.625}))
    assert sorted(r["what"] for r in find_regressions(before, beyond, bounds)) == [
        "covered_share", "krippendorff_alpha", "label_share:a", "label_share:b", "usable"]


def test_a_new_batch_shift_is_a_regression_only_below_p_0_001():
    """40 new items at 30/10 against a 50/50 mix: two-sided exact binomial p = 2 * sum C(40, k) / 2^40 for
    k >= 30 = 0.00222, not below 0.001; at 32/8 (k >= 32) it is 0.000182 (worked with math.comb)."""
    from math import comb

    assert 0.001 < 2 * sum(comb(40, k) for k in range(30, 41)) / 2 ** 40 < 0.01
    old = {f"b{i}.jsonl": (400, {"a": 0.5, "b": 0.5}) for i in range(10)}
    before = key_figures(_with_files(_report(shares={"a": 0.5, "b": 0.5}), old))
    unlikely = key_figures(_with_files(_report(shares={"a": 0.5227, "b": 0.4773}), {**old, "b10.jsonl": (40, {"a": 0.75, "b": 0.25})}))
    assert find_regressions(before, unlikely, HistoryConfig()) == []
    rarer = key_figures(_with_files(_report(shares={"a": 0.5227, "b": 0.4773}), {**old, "b10.jsonl": (40, {"a": 0.8, "b": 0.2})}))
    assert [r["what"] for r in find_regressions(before, rarer, HistoryConfig())] == ["label_share:a:b10.jsonl", "label_share:b:b10.jsonl"]


def _batch(report: dict, since: str = "2026-12-02T00:04:00+00:00", labelled: int | None = None) -> dict:
    """The report as a --since-last run writes it: the window's start in the agreement's export, the labelled count."""
    report["checks"]["agreement"]["export"] = {"tool": "label_studio", "since": since}
    report["checks"]["balance"]["labelled"] = labelled if labelled is not None else report["checks"]["duplicates"]["usable"]
    return report


def test_a_since_last_batch_is_not_judged_on_its_size_and_the_notes_say_so():
    """Day 3 of the lead's cron: 100 new annotations after a night of 147 usable; alpha rose. The batch is
    smaller, not worse. A full run that loses 47 usable examples is still a regression."""
    before = key_figures(_batch(_report(alpha=0.306, usable=147)))
    smaller_night = key_figures(_batch(_report(alpha=0.368, usable=100)))
    assert find_regressions(before, smaller_night, HistoryConfig()) == []
    assert batch_notes(before, smaller_night) == [
        "batch size and the scale condition not compared (usable 147 then, 100 now): a --since-last run audits only the "
        "annotations made since 2026-12-02T00:04:00+00:00, so a night with fewer of them is not a loss of data"]
    full_before, full_now = key_figures(_report(alpha=0.306, usable=147)), key_figures(_report(alpha=0.368, usable=100))
    assert [(r["what"], r["before"], r["now"]) for r in find_regressions(full_before, full_now, HistoryConfig())] == [("usable", 147, 100)]
    assert batch_notes(full_before, full_now) == []
    # a since-last run after a full one is a batch all the same
    assert find_regressions(full_before, smaller_night, HistoryConfig()) == []


def test_a_since_last_batchs_label_shares_shift_only_when_unlikely_by_chance():
    """48/52 then 81 of 150 Entailment (54%): 6 points, past the 5-point bound, but two-sided exact binomial
    p = 0.14 under 48%. 105 of 150 (70%) is p ~ 1e-7."""
    from scipy.stats import binomtest

    assert 0.1 < binomtest(81, 150, 0.48).pvalue < 0.2 and binomtest(105, 150, 0.48).pvalue < 1e-6
    before = key_figures(_batch(_report(shares={"Entailment": 0.48, "No entailment": 0.52}, usable=150)))
    wobble = key_figures(_batch(_report(shares={"Entailment": 0.54, "No entailment": 0.46}, usable=147), labelled=150))
    assert find_regressions(before, wobble, HistoryConfig()) == []
    skewed = key_figures(_batch(_report(shares={"Entailment": 0.7, "No entailment": 0.3}, usable=147), labelled=150))
    found = find_regressions(before, skewed, HistoryConfig())
    assert [(r["what"], r["before"], r["now"]) for r in found] == [
        ("label_share:Entailment", 0.48, 0.7), ("label_share:No entailment", 0.52, 0.3)]
    assert found[0]["detail"].startswith("this batch's share moved by +22.00 points (150 labelled items, p = ")
    # A full run's shares are the dataset's mix, mostly the baseline's items again: the bound alone judges them.
    full = key_figures(_report(shares={"Entailment": 0.54, "No entailment": 0.46}))
    assert [r["what"] for r in find_regressions(key_figures(_report(shares={"Entailment": 0.48, "No entailment": 0.52})), full,
                                                HistoryConfig())] == ["label_share:Entailment", "label_share:No entailment"]


def test_a_regressions_figures_are_kept_unrounded_so_its_line_shows_what_every_other_display_does():
    """A new file's alpha 0.55151 shows 0.552 wherever the report shows it; rounded to 0.5515 first it showed 0.551."""
    old = _with_files(_report(alpha=0.9351), {"b1.jsonl": (10, {"a": 0.5, "b": 0.5})})
    old["checks"]["agreement"]["krippendorff_alpha_unrounded"] = 0.93505
    new = _with_files(_report(alpha=0.7407), {"b1.jsonl": (10, {"a": 0.5, "b": 0.5}), "b2.jsonl": (10, {"a": 0.5, "b": 0.5})})
    new["per_file"][1]["krippendorff_alpha_unrounded"] = 0.55151
    found = {r["what"]: r for r in find_regressions(key_figures(old), key_figures(new), HistoryConfig())}
    line = regression_line(found["krippendorff_alpha:b2.jsonl"])
    assert line.startswith(f"krippendorff_alpha:b2.jsonl: 0.935 -> {shown_value('krippendorff_alpha', 0.55151)} (")
    assert shown_value("krippendorff_alpha", 0.55151) == "0.552"


def test_report_problem_names_the_first_field_of_another_type_and_passes_absent_or_null_ones():
    from dataaudit.history.regressions import report_problem

    assert report_problem(_report()) is None
    nulls = _report(alpha=None, covered=None)
    nulls.update(config=None, per_file=None, inputs=None, dataset=None)
    nulls["checks"].update(coverage=None, embeddings=None)
    assert report_problem(nulls) is None
    for edit, said in ((lambda r: r.update(config=1.5), "config is a number, not an object"),
                       (lambda r: r.update(config={"history": []}), "config.history is a list, not an object"),
                       (lambda r: r["verdict"].update(conditions=[{"id": 3, "status": "pass"}]), "verdict.conditions[0].id is a number, not text"),
                       (lambda r: r["verdict"].update(conditions=[{"id": "scale", "status": ["pass"]}]),
                        "verdict.conditions[0].status is a list, not text"),
                       (lambda r: r["verdict"].update(conditions=[{"id": "scale"}]), "verdict.conditions[0] has no status"),
                       # a null id sorted beside the others' text ids: a traceback (verification pass, fuzz seed 5)
                       (lambda r: r["verdict"].update(conditions=[{"id": None, "status": "pass"}]), "verdict.conditions[0] has no id"),
                       (lambda r: r["checks"]["duplicates"].update(conflicts=5), "checks.duplicates.conflicts is a number, not a list"),
                       (lambda r: r["checks"]["duplicates"].update(usable=True), "checks.duplicates.usable is true or false, not a number"),
                       (lambda r: r["checks"]["balance"].update(shares={"a": "0.5"}), "checks.balance.shares['a'] is text, not a number"),
                       (lambda r: r.update(per_file=[{"file": "b.jsonl", "label_shares": {"a": []}}]),
                        "per_file[0].label_shares['a'] is a list, not a number"),
                       (lambda r: r.update(inputs=[{"path": 7, "role": "train"}]), "inputs[0].path is a number, not text")):
        report = _report()
        edit(report)
        assert report_problem(report) == said


def _single_annotated_batch(tmp_path, since):
    """The fixture's Label Studio export with one submitted annotation per task, read with a --since-last window:
    a nightly batch in which no item is annotated twice, audited without embeddings."""
    import json
    from pathlib import Path

    from dataaudit.api import audit
    from dataaudit.config import Config
    from dataaudit.load.annotation_tools import read_export

    tasks = json.loads((Path(__file__).parent / "fixtures" / "annotation_tools" / "label_studio.json").read_text())
    single = [{**task, "annotations": [a for a in task["annotations"] if not a.get("was_cancelled") and not a.get("ground_truth")][:1]}
              for task in tasks]
    export = tmp_path / "single.json"
    export.write_text(json.dumps(single))
    return audit(read_export([export], Config(), since=since), Config(), embed=False).to_dict()


def test_a_since_last_batch_with_no_item_annotated_twice_is_still_judged_as_a_batch(tmp_path):
    """Agreement has nothing to measure (checks.agreement null), yet the run audited one window: a smaller night
    is no usable regression, and the note names the window."""
    from datetime import datetime, timezone

    report = _single_annotated_batch(tmp_path, datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc))
    assert report["checks"]["agreement"] is None and report["checks"]["format"]["since"] == "2026-11-02T09:00:00+00:00"
    night = key_figures(report)
    assert night["since"] == "2026-11-02T09:00:00+00:00" and night["usable"] == 20
    bigger_night = {**night, "usable": 67}
    assert find_regressions(bigger_night, night, HistoryConfig()) == []
    [note] = batch_notes(bigger_night, night)
    assert "not compared (usable 67 then, 20 now; examples 20 then, 20 now): a --since-last run audits only the " \
           "annotations made since 2026-11-02T09:00:00+00:00" in note
    # the same export read whole is a full run: losing 47 usable examples is a regression
    full = key_figures(_single_annotated_batch(tmp_path, None))
    assert full["since"] == "" and [r["what"] for r in find_regressions({**full, "usable": 67}, full, HistoryConfig())] == ["usable"]


def test_a_full_run_after_a_batch_baseline_tests_the_batchs_share_by_chance_both_ways():
    """A 150-item batch at 54% Entailment, then the full dataset at 48%: the same 6 points as the other way round,
    p = 0.14 for 81 of 150 under 48%, so chance either way; 70% then 48% is not."""
    batch = key_figures(_batch(_report(shares={"Entailment": 0.54, "No entailment": 0.46}, usable=150), labelled=150))
    full = key_figures(_report(shares={"Entailment": 0.48, "No entailment": 0.52}, usable=900))
    assert find_regressions(batch, full, HistoryConfig()) == []
    assert find_regressions(full, batch, HistoryConfig()) == []
    skewed = key_figures(_batch(_report(shares={"Entailment": 0.7, "No entailment": 0.3}, usable=150), labelled=150))
    found = find_regressions(skewed, full, HistoryConfig())
    assert [(r["what"], r["before"], r["now"]) for r in found] == [
        ("label_share:Entailment", 0.7, 0.48), ("label_share:No entailment", 0.3, 0.52)]
    assert found[0]["detail"].startswith("moved by -22.00 points from the last run's batch (150 labelled items, p = ")


def test_a_since_last_batch_is_not_judged_on_the_scale_condition_a_full_run_is():
    """A small night can miss min_examples or hold a rare label: the scale condition judges its size, which a
    --since-last run does not compare."""
    before = key_figures(_batch(_report(usable=600, conditions={"scale": "pass", "consistency": "pass"})))
    small_night = key_figures(_batch(_report(usable=40, conditions={"scale": "fail", "consistency": "fail"})))
    assert [r["what"] for r in find_regressions(before, small_night, HistoryConfig())] == ["condition:consistency"]
    full_small = key_figures(_report(usable=600, conditions={"scale": "fail", "consistency": "pass"}))
    assert [r["what"] for r in find_regressions(before, full_small, HistoryConfig())] == ["condition:scale"]


def test_the_batch_note_without_sizes_names_the_sizes_it_would_list():
    before, night = key_figures(_report(usable=None)), key_figures(_batch(_report(usable=None), labelled=10))
    assert batch_notes(before, night) == [
        "batch size and the scale condition not compared (usable, examples): a --since-last run audits only the annotations "
        "made since 2026-12-02T00:04:00+00:00, so a night with fewer of them is not a loss of data"]


def test_a_history_row_that_kept_long_labels_whole_is_compared_by_their_keys():
    """Runs recorded before long labels were keyed hold them whole: read back, they are keyed as a run keys them
    now, so the same 50/50 mix of two 215-character labels in a new file raises nothing."""
    from dataaudit.checks.balance import label_key
    from dataaudit.history.regressions import masked_labels

    long_a, long_b = "A" * 200 + " long label one", "B" * 200 + " long label two"
    stored = {**key_figures(_with_files(_report(), {"a.jsonl": (100, {"a": 0.5, "b": 0.5})})),
              "label_shares": {long_a: 0.5, long_b: 0.5},
              "file_label_shares": {"a.jsonl": {"labelled": 100, "shares": {long_a: 0.5, long_b: 0.5}}}}
    keyed = {label_key(long_a): 0.5, label_key(long_b): 0.5}
    before = masked_labels(stored)
    assert before["label_shares"] == keyed and before["file_label_shares"]["a.jsonl"]["shares"] == keyed
    now = key_figures(_with_files(_report(shares=keyed), {"a.jsonl": (100, keyed), "b.jsonl": (100, keyed)}))
    assert now["label_shares"] == keyed and find_regressions(before, now, HistoryConfig()) == []


def test_a_change_exactly_at_its_bound_in_float_is_no_regression():
    """0.91 -> 0.89 fell by 0.020000000000000018, 0.50 -> 0.55 moved 0.05000000000000004, 0.75 -> 0.70 dropped by
    0.050000000000000044: each the bound itself, which read "fell by 2.00 points (bound 2.00 points)" (second review)."""
    bounds = HistoryConfig(max_alpha_drop=0.05, max_label_share_shift=0.05, max_covered_share_drop=0.02)
    before = key_figures(_report(alpha=0.75, covered=0.91, shares={"a": 0.50, "b": 0.50}))
    now = key_figures(_report(alpha=0.70, covered=0.89, shares={"a": 0.55, "b": 0.45}))
    assert (0.91 - 0.89 > 0.02, 0.75 - 0.70 > 0.05, 0.55 - 0.50 > 0.05) == (True, True, True)  # what raw comparison read
    assert find_regressions(before, now, bounds) == []


def test_compare_lists_a_figure_that_crossed_its_bound_though_equal_at_four_places():
    from dataaudit.history.compare import compare_reports

    def report(alpha: float, covered: float) -> dict:
        base = _report(alpha=round(alpha, 4), covered=round(covered, 4))
        base["checks"]["agreement"]["krippendorff_alpha_unrounded"] = alpha
        base["checks"]["coverage"]["covered_share_unrounded"] = covered
        return base

    changes = {c["figure"]: c for c in compare_reports(report(0.80004, 0.90004), report(0.79996, 0.89996))["changes"]}
    assert changes["krippendorff_alpha"]["after_unrounded"] == 0.79996 and changes["covered_share"]["before"] == 0.9
    same_side = {c["figure"] for c in compare_reports(report(0.74342, 0.95), report(0.74338, 0.95))["changes"]}
    assert "krippendorff_alpha" not in same_side  # a difference in the last digits alone is no change


def test_the_history_table_shows_a_figure_whose_unrounded_twin_is_null():
    from rich.console import Console

    from dataaudit.render.history import render_history

    runs = [{"id": 1, "generated_at": "2026-12-01T00:00:00+00:00", "dataset": "d", "verdict": "ready", "regressions": [],
             "figures": {"duplicate_share": 0.0, "duplicate_share_unrounded": None, "covered_share": 0.95,
                         "covered_share_unrounded": None}}]
    console = Console(width=200, record=True, color_system=None)
    render_history(runs, "h.db", console)
    row = next(line for line in console.export_text().splitlines() if line.split()[:1] == ["1"])
    assert row.split()[-3:-1] == ["95.0%", "0.0%"]


def test_a_reports_regression_line_writes_alpha_against_the_reports_own_bounds():
    """With reliable_alpha 0.7 the agreement section wrote 0.69996 and the report's regression line 0.700 (the
    default bounds; second review)."""
    from dataaudit.config import config_from_dict
    from dataaudit.render.figures import regression_cells

    config = config_from_dict({"agreement": {"reliable_alpha": 0.7, "tentative_alpha": 0.6}}).to_dict()
    r = {"what": "krippendorff_alpha", "before": 0.75, "now": 0.69996, "detail": "dropped"}
    assert regression_cells(r, config)[2] == "0.69996" and regression_line(r, config).startswith("krippendorff_alpha: 0.750 -> 0.69996")
    assert regression_cells(r)[2] == "0.700"  # without a config (compare, the history): the default bounds


def test_a_condition_regression_pairs_two_status_values_when_this_run_holds_the_enum():
    # record_run reads this run from Report.to_dict (Status enums) and the baseline from JSON (strings).
    from dataaudit.checks.base import Status
    from dataaudit.decide.verdict import VerdictStatus

    before = key_figures(_report(conditions={"scale": "pass"}))
    now = key_figures(_report(conditions={"scale": Status.FAIL}, verdict=VerdictStatus.NOT_READY))
    found = [r for r in find_regressions(before, now, HistoryConfig()) if r["what"] == "condition:scale"]
    assert [(r["before"], r["now"], type(r["now"])) for r in found] == [("pass", "fail", str)]
    assert (now["verdict"], type(now["verdict"])) == ("not_ready", str)



def _hygiene(examples=1176, copies=2, reworded=22, conflicts=0, duplicate_records=24) -> dict:
    report = _report(usable=examples - duplicate_records)
    report["checks"]["size"] = {"examples": examples}
    report["checks"]["duplicates"].update({"leak_count": copies + reworded, "semantic_leak_count": reworded,
                                           "conflict_count": conflicts, "duplicate_records": duplicate_records,
                                           "records": examples, "duplicate_share": round(duplicate_records / examples, 6)})
    return report


def test_leaks_conflicts_and_duplicates_grown_against_the_baseline_are_regressions():
    # The QA probe's nights: the hygiene condition was fail -> fail, so 80 eval rows copied into a batch (leak_count
    # 24 -> 101) or 100 copied items (duplicate share 2.0% -> 10.2%) passed the gate and became the next baseline.
    before = key_figures(_hygiene(examples=884, reworded=16, duplicate_records=16))
    clean = key_figures(_hygiene(examples=1176, reworded=22, duplicate_records=24))  # a clean 300-item batch
    assert find_regressions(before, clean, HistoryConfig()) == []
    leak = key_figures(_hygiene(copies=82, reworded=19))
    assert [(r["what"], r["before"], r["now"], r["detail"]) for r in find_regressions(before, leak, HistoryConfig())] == [
        ("leaked_copies", 2, 82, "80 more eval records copied into the training data (exact or lexical copies; bound 0)")]
    one_more = key_figures(_hygiene(copies=3))
    assert [r["detail"] for r in find_regressions(before, one_more, HistoryConfig())] == [
        "1 more eval record copied into the training data (exact or lexical copies; bound 0)"]
    assert find_regressions(before, one_more, HistoryConfig(max_new_leaks=1)) == []
    dups = key_figures(_hygiene(examples=1200, duplicate_records=122))
    (found,) = find_regressions(before, dups, HistoryConfig())
    assert (found["what"], found["before"], found["now"]) == ("duplicate_share", 16 / 884, 122 / 1200)
    assert found["detail"] == "rose by 8.36 points (bound 2.00 points)"
    conflicts = key_figures(_hygiene(conflicts=3))
    assert [(r["what"], r["before"], r["now"], r["detail"]) for r in find_regressions(before, conflicts, HistoryConfig())] == [
        ("conflicts", 0, 3, "3 more inputs with conflicting labels (bound 0)")]
    # fewer of each is no regression
    assert find_regressions(leak, clean, HistoryConfig()) == [] and find_regressions(dups, clean, HistoryConfig()) == []



def test_a_since_last_batch_is_judged_on_its_own_copies_and_a_whole_run_after_a_batch_is_not_compared_with_it():
    """Review: a batch (which counts itself alone) copying 20 eval rows passed after a whole run with 24 leaks, and
    the first whole run after a clean batch failed on "24 more eval records copied"."""
    def batch(report):
        report["checks"]["format"]["since"] = "2026-12-01T00:00:00+00:00"
        return report

    whole = key_figures(_hygiene(copies=24, conflicts=2))
    leaking_batch = key_figures(batch(_hygiene(examples=300, copies=20, reworded=0, duplicate_records=0)))
    assert [(r["what"], r["before"], r["now"]) for r in find_regressions(whole, leaking_batch, HistoryConfig())] == [
        ("leaked_copies", 0, 20)]
    clean_batch = key_figures(batch(_hygiene(examples=300, copies=0, reworded=0, duplicate_records=0)))
    assert find_regressions(whole, clean_batch, HistoryConfig()) == []
    assert [r["what"] for r in find_regressions(clean_batch, whole, HistoryConfig())
            if r["what"] in ("leaked_copies", "conflicts", "duplicate_share")] == []


def test_reworded_leaks_are_a_regression_only_where_the_training_growth_does_not_explain_them():
    before = key_figures(_hygiene(examples=884, reworded=16))
    grown = key_figures(_hygiene(examples=1176, reworded=25))  # 1.33x the records, 16 -> 25: chance
    assert find_regressions(before, grown, HistoryConfig()) == []
    paraphrased = key_figures(_hygiene(examples=1176, reworded=60))  # a batch of paraphrased eval items
    (found,) = find_regressions(before, paraphrased, HistoryConfig())
    assert (found["what"], found["before"], found["now"]) == ("leaked_reworded", 16, 60)
    assert found["detail"].startswith("44 more eval records reworded in the training data, more than its growth "
                                      "explains (p = ")
    first = key_figures(_hygiene(examples=884, reworded=0))
    assert find_regressions(first, key_figures(_hygiene(examples=884, reworded=1)), HistoryConfig()) == []


def _inputs(report: dict, train: list[str], production: str | None = "p") -> dict:
    report["inputs"] = ([{"role": "train", "path": f"live/{h}.csv", "sha256": h} for h in train]
                        + ([{"role": "production", "path": "prod.jsonl", "sha256": production}] if production else []))
    return report


def test_a_covered_share_that_fell_while_training_only_grew_is_the_estimates_noise_not_a_regression():
    # The QA probe's night 2: b1 then b1 + b2 (same source, same production file) read 89.2% -> 83.0% covered and
    # failed the gate, though more training data cannot leave production less covered.
    night1 = key_figures(_inputs(_report(covered=0.892, conditions={"coverage": "pass"}), ["b1"]))
    night2 = key_figures(_inputs(_report(covered=0.8297, conditions={"coverage": "warn"}), ["b1", "b2"]))
    assert find_regressions(night1, night2, HistoryConfig()) == []
    assert regressions.comparison_remarks(night1, night2, HistoryConfig()) == [
        "the covered share fell by 6.23 points and the coverage condition went pass -> warn, not a regression: the training "
        "files only grew over the same production sample, which cannot lower the true covered share, so the fall is the "
        "estimate's own error"]
    # A baseline file changed or gone, or another production sample: the fall is compared with its bound
    for other in (key_figures(_inputs(_report(covered=0.8297, conditions={"coverage": "warn"}), ["b1-edited", "b2"])),
                  key_figures(_inputs(_report(covered=0.8297, conditions={"coverage": "warn"}), ["b2"])),
                  key_figures(_inputs(_report(covered=0.8297, conditions={"coverage": "warn"}), ["b1", "b2"], production="q"))):
        assert [r["what"] for r in find_regressions(night1, other, HistoryConfig())] == ["covered_share", "condition:coverage"]
        assert regressions.comparison_remarks(night1, other, HistoryConfig()) == []
    # a baseline read before hashes were kept: compared as before
    unhashed = {k: v for k, v in night1.items() if k != "input_hashes"}
    assert [r["what"] for r in find_regressions(unhashed, night2, HistoryConfig())] == ["covered_share", "condition:coverage"]
    # Review: the same files read another way (another embedding model, other fields), or a fall no estimate's error
    # explains (past two estimates' 0.06), are compared with their bounds whatever grew
    remodelled = _report(covered=0.8297, conditions={"coverage": "warn"})
    remodelled["checks"]["coverage"]["model"] = "another-model"
    refielded = _report(covered=0.8297, conditions={"coverage": "warn"})
    refielded["config"] = {"fields": {"text": "question"}}
    for other in (remodelled, refielded, _report(covered=0.60, conditions={"coverage": "fail"})):
        assert "covered_share" in [r["what"] for r in find_regressions(night1, key_figures(_inputs(other, ["b1", "b2"])), HistoryConfig())]


def test_the_default_covered_share_bound_is_two_estimates_error_not_tighter():
    # Each estimate is within 0.03 of the truth on the coverage battery: two of them differ by up to 0.06 with
    # nothing changed, so a 2-point bound fired on the estimator's noise.
    assert HistoryConfig().max_covered_share_drop == 0.06
    before, now = key_figures(_report(covered=0.95)), key_figures(_report(covered=0.90))
    assert find_regressions(before, now, HistoryConfig()) == []
    assert [r["what"] for r in find_regressions(before, key_figures(_report(covered=0.88)), HistoryConfig())] == ["covered_share"]


def test_a_label_new_since_the_baseline_is_noted_and_one_gone_from_the_training_data_is_a_regression():
    # The QA probe's renamed batch: card_arrival -> card_delivery and card_linking -> link_card in a new batch, each a
    # label of 1-3%, moved no share past its 5-point bound and was said nowhere.
    shares = {"card_arrival": 0.02, "card_linking": 0.01, "other": 0.97}
    before = key_figures(_report(shares=shares))
    before["labelled"] = 1000
    renamed = key_figures(_report(shares={"card_arrival": 0.0155, "card_delivery": 0.0115, "card_linking": 0.0075,
                                          "link_card": 0.0075, "other": 0.958}))
    renamed["labelled"] = 1200
    assert find_regressions(before, renamed, HistoryConfig()) == []
    assert regressions.comparison_remarks(before, renamed, HistoryConfig()) == [
        "labels new since the baseline: card_delivery (14 items), link_card (9 items) (a new class, or a rename of one of "
        "the baseline's?)"]
    # renamed everywhere: the baseline's label is gone from the training data, a class the next model cannot predict
    gone = key_figures(_report(shares={"card_delivery": 0.02, "card_linking": 0.01, "other": 0.97}))
    gone["labelled"] = 1000
    assert [(r["what"], r["before"], r["now"], r["detail"]) for r in find_regressions(before, gone, HistoryConfig())] == [
        ("label_share:card_arrival", 0.02, 0.0, "gone from the training data (20 items in the last run; renamed or dropped?)")]
    assert regressions.comparison_remarks(before, gone, HistoryConfig())[0].startswith("label new since the baseline: card_delivery (20 items)")
    # a --since-last batch lacks a rare label by chance: not judged gone
    batch = {**gone, "since": "2026-12-01T00:00:00+00:00"}
    assert not [r for r in find_regressions(before, batch, HistoryConfig()) if r["what"] == "label_share:card_arrival"]
    # a large label gone is one regression, the share's
    big = key_figures(_report(shares={"a": 0.9, "b": 0.1}))
    assert [r["what"] for r in find_regressions(big, key_figures(_report(shares={"a": 1.0})), HistoryConfig())] == [
        "label_share:a", "label_share:b"]


def test_a_p_value_reads_as_one_clause_and_one_that_underflowed_as_below_the_smallest_float():
    """Verification: "p = < 1e-300" (the underflow's text after the callers' own "p = ")."""
    from dataaudit.history.regressions import _p_text

    assert _p_text(0.0) == "p < 1e-300" and _p_text(0.00021) == "p = 0.0002"


def test_a_large_label_gone_from_the_training_data_is_said_gone_and_coverage_gone_unknown_says_why():
    """QA: a label of 17.5% that disappeared read "moved by -17.50 points"; coverage that went unknown for training
    too thin per label blamed "--production or embeddings left out?"."""
    before = key_figures(_report(shares={"a": 0.825, "b": 0.175}, conditions={"coverage": "pass"}))
    thin = _report(shares={"a": 1.0}, conditions={"coverage": "unknown"})
    thin["checks"]["coverage"] = {"covered_share": None, "not_measured": "300 labelled training inputs over 74 labels, 4.1 "
                                                                         "per label < min_training_inputs_per_label 28"}
    found = {r["what"]: r["detail"] for r in find_regressions(before, key_figures(thin), HistoryConfig())}
    assert found["label_share:b"].startswith("gone from the training data")
    assert found["condition:coverage"].endswith("is not measured now: 300 labelled training inputs over 74 labels, 4.1 per "
                                                "label < min_training_inputs_per_label 28)")
