"""Agreement against published reference values, fed through the loader in each annotation layout."""

from __future__ import annotations

import json

import numpy as np
import pytest

from dataaudit.config import AgreementConfig, Config, FieldsConfig
from dataaudit.load.dataset import load_dataset
from dataaudit.checks.agreement import measure_agreement
from tests.conftest import SAMPLE

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: 4 observers x 12 units, "." missing.
K2011 = {
    "A": "1 2 3 3 2 1 4 1 2 . . .",
    "B": "1 2 3 3 2 2 4 1 2 5 . 3",
    "C": ". 3 3 3 2 3 4 2 2 5 1 .",
    "D": "1 2 3 3 2 4 4 1 2 5 1 .",
}
K2011_ALPHA = {"nominal": 0.743, "ordinal": 0.815, "interval": 0.849, "ratio": 0.797}

# Fleiss (1971) as reproduced on Wikipedia's "Fleiss' kappa" page: 10 subjects, 14 raters, counts per category.
FLEISS = [[0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
          [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7]]


def k2011_cells():
    return {a: row.split() for a, row in K2011.items()}


def write_layout(tmp_path, layout):
    cells = k2011_cells()
    if layout == "nested":
        path = tmp_path / "nested.jsonl"
        rows = []
        for j in range(12):
            anns = [{"annotator": a, "label": int(cells[a][j])} for a in "ABCD" if cells[a][j] != "."]
            rows.append(json.dumps({"id": f"u{j + 1}", "text": f"unit {j + 1}", "annotations": anns}))
        path.write_text("\n".join(rows) + "\n")
        return path, Config()
    if layout == "long":
        path = tmp_path / "long.csv"
        lines = ["item_id,annotator,label,text"]
        for j in range(12):
            lines += [f"u{j + 1},{a},{cells[a][j]},unit {j + 1}" for a in "ABCD" if cells[a][j] != "."]
        path.write_text("\n".join(lines) + "\n")
        return path, Config(fields=FieldsConfig(annotator="annotator", id="item_id"))
    path = tmp_path / "wide.csv"
    lines = ["text,A,B,C,D"] + [f"unit {j + 1}," + ",".join("" if cells[a][j] == "." else cells[a][j] for a in "ABCD") for j in range(12)]
    path.write_text("\n".join(lines) + "\n")
    return path, Config(fields=FieldsConfig(annotator_columns=["A", "B", "C", "D"]))


@pytest.mark.parametrize("layout", ["nested", "long", "wide"])
@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval", "ratio"])
def test_krippendorff_2011_reference_values_in_every_layout(tmp_path, layout, level):
    path, config = write_layout(tmp_path, layout)
    config.agreement = AgreementConfig(level=level, bootstrap_resamples=50)
    result = measure_agreement(load_dataset(path, config), config.agreement)
    assert round(result.krippendorff_alpha, 3) == K2011_ALPHA[level]
    assert result.layout == layout and result.items == 12 and result.items_multi == 11


def test_fleiss_1971_kappa_through_the_long_layout(tmp_path):
    lines = ["item_id,annotator,label"]
    for i, counts in enumerate(FLEISS, 1):
        rater = 0
        for category, n in enumerate(counts, 1):
            for _ in range(n):
                rater += 1
                lines.append(f"s{i},r{rater},c{category}")
    path = tmp_path / "fleiss.csv"
    path.write_text("\n".join(lines) + "\n")
    config = Config(fields=FieldsConfig(annotator="annotator", id="item_id"))
    result = measure_agreement(load_dataset(path, config), AgreementConfig(bootstrap_resamples=0))
    assert round(result.fleiss_kappa, 3) == 0.210
    assert result.alpha_ci is None


def test_gwet_ac1_and_percent_agreement_on_the_2011_data(tmp_path):
    path, config = write_layout(tmp_path, "wide")
    result = measure_agreement(load_dataset(path, config), AgreementConfig(bootstrap_resamples=0))
    # irrCAC 0.4.4 (Gwet's own R package ported to Python), CAC(data).gwet(), gives 0.77544 on this data.
    assert result.gwet_ac1 == pytest.approx(0.7754, abs=1e-4)
    # Observed agreement: the share of agreeing pairable value pairs (Krippendorff's 1 - Do).
    assert result.percent_agreement == pytest.approx(0.8182, abs=1e-4)
    assert result.fleiss_kappa is None  # items carry 1 to 4 ratings: Fleiss' kappa is not defined


def test_bootstrap_ci_is_seeded_and_brackets_alpha(tmp_path):
    path, config = write_layout(tmp_path, "nested")
    ds = load_dataset(path, config)
    first = measure_agreement(ds, AgreementConfig(bootstrap_resamples=300, seed=3))
    second = measure_agreement(ds, AgreementConfig(bootstrap_resamples=300, seed=3))
    assert first.alpha_ci == second.alpha_ci
    low, high = first.alpha_ci
    assert low < first.krippendorff_alpha < high


def _nested(tmp_path, items):
    path = tmp_path / "n.jsonl"
    path.write_text("".join(json.dumps({"id": str(i), "text": f"t{i}", "annotations": [{"annotator": a, "label": l} for a, l in anns]}) + "\n"
                            for i, anns in enumerate(items)))
    return load_dataset(path, Config())


def test_all_identical_ratings_give_undefined_alpha_not_a_crash(tmp_path):
    ds = _nested(tmp_path, [[("a", "x"), ("b", "x")]] * 5)
    result = measure_agreement(ds, AgreementConfig())
    assert result.krippendorff_alpha is None and "same value" in result.note
    assert result.percent_agreement == 1.0


def test_every_rating_the_same_value_asks_about_the_value_not_for_the_overlap_already_there(tmp_path):
    from dataaudit.checks.agreement import CHECK, NEED_OVERLAP
    from dataaudit.checks.base import Status

    rows = [(i, a, "support") for i in range(1, 131) for a in ("a1", "a2")]
    config = Config(fields=FieldsConfig(annotator="annotator", id="item_id"), agreement=AgreementConfig(bootstrap_resamples=0))
    ctx = _ctx(load_dataset(_long_csv(tmp_path, rows), config), config)
    result = CHECK.measure(ctx)
    assert (result.krippendorff_alpha, result.only_value, result.items_multi) == (None, "support", 130)
    [finding] = CHECK.judge(result, ctx)
    assert finding.status == Status.UNKNOWN and NEED_OVERLAP not in finding.action
    assert finding.action == ("Every rating of the 130 items rated twice or more is 'support': check that the right label "
                              "field was read (fields.label) and that the export kept every answer; a classifier needs two "
                              "or more classes, so label examples of the others too.")
    # another value on an item rated once pairs with nothing: the note says so
    lonely = CHECK.measure(_ctx(load_dataset(_long_csv(tmp_path, rows + [(131, "a1", "spam")], "lonely.csv"), config), config))
    assert lonely.only_value == "support" and lonely.note.endswith("other values are only on items rated once")
    # one annotator: the overlap is what is missing
    solo = measure_agreement(load_dataset(_long_csv(tmp_path, [(i, "a1", "xy"[i % 2]) for i in range(1, 9)], "solo.csv"), config),
                             config.agreement)
    [finding] = CHECK.judge(solo, ctx)
    assert solo.only_value is None and finding.action == f"To judge consistency, {NEED_OVERLAP}."


def test_single_annotator_and_single_ratings(tmp_path):
    result = measure_agreement(_nested(tmp_path, [[("a", "x")], [("a", "y")]]), AgreementConfig())
    assert result.krippendorff_alpha is None and result.note == "only one annotator labelled the data"
    result = measure_agreement(_nested(tmp_path, [[("a", "x")], [("b", "y")]]), AgreementConfig())
    assert result.krippendorff_alpha is None and result.note == "every item has a single annotation"
    assert result.items_multi == 0


def test_annotator_with_constant_label_is_marked_and_alpha_still_computed(tmp_path):
    items = [[("a", l), ("b", l), ("c", "x")] for l in "xyxyzxyz"]
    result = measure_agreement(_nested(tmp_path, items), AgreementConfig(bootstrap_resamples=0))
    stats = {s.annotator: s for s in result.annotators}
    assert stats["c"].constant_label and not stats["a"].constant_label
    assert result.krippendorff_alpha is not None and result.krippendorff_alpha < 0.8
    assert stats["c"].alpha_without == 1.0  # a and b agree perfectly


def test_disputed_items_ties_and_label_figures(tmp_path):
    items = [[("a", "x"), ("b", "x"), ("c", "x")], [("a", "x"), ("b", "y")], [("a", "x"), ("b", "y"), ("c", "z")]]
    result = measure_agreement(_nested(tmp_path, items), AgreementConfig(bootstrap_resamples=0))
    assert [d.item_id for d in result.disputed] == ["2", "1"]  # all three disagree first
    assert result.disputed[0].labels == {"a": "x", "b": "y", "c": "z"}
    assert result.ties == 2 and result.label_source == "majority"
    x = next(l for l in result.labels if l.label == "x")
    # ordered pairs with an 'x': 6 + 1 + 2; of them agreeing: 6 (all in the first item)
    assert x.specific_agreement == pytest.approx(6 / 9, abs=1e-4)


def test_the_disputed_list_is_capped_and_says_how_many_items_disagree(tmp_path):
    from types import SimpleNamespace

    from dataaudit.render.sections import capped_note
    from dataaudit.render.sections.agreement import SECTION

    # items 0-4 disagree (a pair each), 5-7 agree; limit 2
    items = [[("a", "x"), ("b", "y")]] * 5 + [[("a", "x"), ("b", "x")]] * 3
    result = measure_agreement(_nested(tmp_path, items), AgreementConfig(bootstrap_resamples=0, disputed_limit=2))
    assert (len(result.disputed), result.disputed_total) == (2, 5)
    table = SECTION.build(SimpleNamespace(checks={"agreement": result}, per_file=[])).tables[1]
    assert table.title == "Most disputed items (5)" and len(table.rows) == 2
    assert capped_note(table, len(table.rows)) == "first 2 of 5 listed; raise agreement.disputed_limit to list more"


def test_disputed_items_without_an_id_are_named_by_their_file_not_an_empty_column(tmp_path):
    from dataclasses import replace
    from types import SimpleNamespace

    from dataaudit.render.sections.agreement import SECTION
    from dataaudit.render.sections.base import text

    path = tmp_path / "n.jsonl"  # no id field: each item is its line
    path.write_text("".join(json.dumps({"text": f"t{i}", "annotations": [{"annotator": "a", "label": "x"},
                                                                         {"annotator": "b", "label": "y"}]}) + "\n"
                            for i in range(3)))
    result = measure_agreement(load_dataset(path, Config()), AgreementConfig(bootstrap_resamples=0))
    assert [d.item_id for d in result.disputed] == [None, None, None]
    table = SECTION.build(SimpleNamespace(checks={"agreement": result}, per_file=[])).tables[1]
    assert table.headers == ["file", "lines", "text", "labels"]
    shown = text(str(path), 60, keep_end=True)  # as every section shows a path: its end, where the names differ
    assert [row[:2] for row in table.rows] == [[shown, "1"], [shown, "2"], [shown, "3"]]
    one_named = replace(result, disputed=[replace(result.disputed[0], item_id="task-7"), *result.disputed[1:]])
    table = SECTION.build(SimpleNamespace(checks={"agreement": one_named}, per_file=[])).tables[1]
    assert table.headers[0] == "item" and [row[0] for row in table.rows] == [
        "task-7", text(f"{path}:2", 60, keep_end=True), text(f"{path}:3", 60, keep_end=True)]


def test_sample_annotation_batch_flags_the_careless_annotator():
    config = Config(fields=FieldsConfig(annotator="annotator", id="item_id"))
    result = measure_agreement(load_dataset(SAMPLE / "annotation_batch.csv", config), AgreementConfig(bootstrap_resamples=200))
    flagged = [a.annotator for a in result.annotators if a.flagged]
    assert flagged == ["ann_d"]
    by_name = {a.annotator: a for a in result.annotators}
    assert by_name["ann_d"].alpha_without > result.krippendorff_alpha
    assert by_name["ann_d"].agreement_with_others < 0.7 < min(by_name[a].agreement_with_others for a in ("ann_a", "ann_b", "ann_c"))
    assert set(result.cohen_kappa) == {"ann_a", "ann_b", "ann_c", "ann_d"}
    assert result.plotted_annotators == list(result.cohen_kappa) == ["ann_a", "ann_b", "ann_c", "ann_d"]  # a small crowd: all


def test_snow_2008_rte_real_crowd_labels():
    from tests.conftest import shared_dataset

    path = shared_dataset("snow2008_rte") / "rte.standardized.tsv"
    config = Config(fields=FieldsConfig(annotator="!amt_worker_ids", id="orig_id", label="response", gold="gold"))
    ds = load_dataset(path, config)
    result = measure_agreement(ds, AgreementConfig(bootstrap_resamples=100))
    assert result.items == 800 and result.ratings == 8000 and len(ds.errors) == 0
    assert result.label_source == "gold"
    # Crowd workers agree weakly item by item (alpha ~0.24: several near-random workers), yet the majority of
    # ten recovers the gold label about 90% of the time, as Snow et al. (2008) report for RTE.
    assert result.krippendorff_alpha == pytest.approx(0.2415, abs=0.005)
    from dataaudit.load.dataset import majority_label

    accuracy = sum(majority_label(r.annotations) == r.gold for r in ds.records) / len(ds.records)
    assert 0.85 < accuracy < 0.93
    assert any(a.flagged for a in result.annotators)


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval", "ratio"])
def test_resampling_shortcut_reproduces_the_package_alpha(tmp_path, level):
    """The bootstrap's weighted-coincidence alpha, with every unit weighted once, equals krippendorff's."""
    import numpy as np

    from dataaudit.checks.agreement import _rating_table
    from dataaudit.checks.agreement_stats import alpha_from_weights, unit_coincidences
    from dataaudit.engine.base import SerialSteps

    path, config = write_layout(tmp_path, "nested")
    config.agreement = AgreementConfig(level=level)
    ds = load_dataset(path, config)
    table, numeric, _, _ = _rating_table(ds, config.agreement, level, None, SerialSteps())
    pairable = table.counts[table.counts.sum(axis=1) >= 2]
    values = numeric if numeric is not None else np.arange(table.counts.shape[1], dtype=float)
    alpha = alpha_from_weights(unit_coincidences(pairable), np.ones((1, len(pairable))), level, values)[0]
    assert round(float(alpha), 3) == K2011_ALPHA[level]


# ---------------------------------------------------------------------------------------------------
# The check: measure(ctx) -> result or None, judge(result, ctx) -> consistency findings


def _ctx(dataset, config=None):
    from dataaudit.checks.base import AuditContext
    from dataaudit.index import build_index

    return AuditContext(config=config or Config(), train=build_index("train", dataset, lambda text: text))


def test_check_is_registered_in_order_40():
    from dataaudit.checks import all_checks
    from dataaudit.checks.agreement import CHECK

    assert CHECK in all_checks() and (CHECK.id, CHECK.order) == ("agreement", 40)


def test_judge_ports_the_consistency_thresholds(tmp_path):
    from dataaudit.checks.agreement import CHECK
    from dataaudit.checks.base import Status

    path, config = write_layout(tmp_path, "nested")  # alpha 0.743 nominal: tentative
    config.agreement = AgreementConfig(bootstrap_resamples=0)
    ctx = _ctx(load_dataset(path, config), config)
    result = CHECK.measure(ctx)
    [finding] = CHECK.judge(result, ctx)
    assert (finding.condition, finding.status) == ("consistency", Status.WARN)
    assert finding.summary == ("Krippendorff's alpha 0.743 is only tentative (< 0.800); "
                               "annotator C disagrees with the others on 30% of the 10 items they share with them")
    assert finding.action.startswith("Review annotator C's labels (agreement with the others 70%)")
    assert round(finding.evidence["krippendorff_alpha"], 3) == 0.743 and finding.evidence["items_with_multiple_labels"] == 11
    config.agreement = AgreementConfig(bootstrap_resamples=0, reliable_alpha=0.7, tentative_alpha=0.6)
    [finding] = CHECK.judge(result, _ctx(ctx.train.dataset, config))
    assert finding.status == Status.PASS and finding.action.startswith("Review annotator C")  # flagged even when alpha passes
    config.agreement = AgreementConfig(bootstrap_resamples=0, reliable_alpha=0.9, tentative_alpha=0.8)
    [finding] = CHECK.judge(result, _ctx(ctx.train.dataset, config))
    assert finding.status == Status.FAIL and "below 0.800" in finding.summary


def test_no_item_with_two_annotations_is_none_and_unknown(tmp_path):
    from dataaudit.checks.agreement import CHECK
    from dataaudit.checks.base import Status

    ctx = _ctx(_nested(tmp_path, [[("a", "x")], [("b", "y")]]))
    assert CHECK.measure(ctx) is None
    [finding] = CHECK.judge(None, ctx)
    assert finding.status == Status.UNKNOWN
    assert finding.summary.startswith("no item carries more than one annotation")


def test_annotators_answers_with_no_item_annotated_twice_leave_consistency_to_agreement_alone(tmp_path):
    """A layout whose point is several annotators (here nested answers, one per item) says its consistency is
    agreement's alone to judge; a plain file of one label per example leaves it to label noise."""
    from dataaudit.checks.agreement import CHECK, NEED_OVERLAP
    from dataaudit.checks.base import Status
    from tests.test_annotation_tools import FIXTURES

    [answers] = CHECK.judge(None, _ctx(_nested(tmp_path, [[("a", "x")], [("b", "y")]])))
    assert answers.status == Status.UNKNOWN and answers.evidence == {"items_with_multiple_labels": 0, "judged_only_by": "agreement"}
    assert answers.summary == ("no item carries more than one annotation, so consistency cannot be judged; in annotators' "
                               "answers, label noise's estimate from single labels does not stand in for their agreement")
    assert answers.action == f"To judge label consistency, {NEED_OVERLAP}."
    config = Config(fields=FieldsConfig(text_fields=["text"]))
    [latest] = CHECK.judge(None, _ctx(load_dataset(FIXTURES / "label_studio_latest.csv", config), config))
    assert latest.evidence["judged_only_by"] == "agreement" and latest.action.startswith("Export the project as full JSON")
    plain = tmp_path / "plain.jsonl"
    plain.write_text("".join(json.dumps({"text": f"t{i}", "label": "xy"[i % 2]}) + "\n" for i in range(4)))
    [single] = CHECK.judge(None, _ctx(load_dataset(plain, Config())))
    assert single.evidence == {"items_with_multiple_labels": 0}


def _label_studio_one_answer_per_task(path, annotators=3, reviewer=False):
    """120 tasks (a format task needs 100) of three plainly different intents, each answered by one of
    `annotators` annotators: nobody overlaps on the intent. reviewer: a fourth person answers only 'urgent', on
    every task, beside the intent's annotator."""
    topics = {"refund": "I want my money back for order {i}, please refund it",
              "password": "I forgot the password of account {i} and cannot log in",
              "shipping": "Where is parcel {i}? The delivery tracking has not moved"}

    def urgent(i):
        return {"from_name": "urgent", "to_name": "text", "type": "choices", "value": {"choices": ["yes" if i % 2 else "no"]}}

    def answers(i, label):
        intent = {"from_name": "intent", "to_name": "text", "type": "choices", "value": {"choices": [label]}}
        first = {"id": 10 * i + 1, "completed_by": 1 + i % annotators, "was_cancelled": False, "ground_truth": False,
                 "result": [intent, urgent(i)] if reviewer else [intent]}
        second = {"id": 10 * i + 2, "completed_by": 9, "was_cancelled": False, "ground_truth": False, "result": [urgent(i)]}
        return [first, second] if reviewer else [first]

    tasks = [{"id": i + 1, "data": {"text": text.format(i=i)}, "annotations": answers(i, label)}
             for n, (label, text) in enumerate(topics.items()) for i in range(n * 40, n * 40 + 40)]
    path.write_text(json.dumps(tasks))
    return path


def test_a_label_studio_export_with_one_answer_per_task_is_not_enough_evidence_whatever_label_noise_finds(tmp_path, embedder):
    """QA: such an export passed consistency on label noise's "an estimated 0.7% of labels are wrong" and the run
    exited 0; its annotators' agreement, what the layout is for, was never measured."""
    from dataaudit.api import audit
    from dataaudit.config import config_from_dict

    config = config_from_dict({"task_type": "format", "conditions": {"skip": {"coverage": "no production sample yet"}}})
    report = audit(_label_studio_one_answer_per_task(tmp_path / "ls.json"), config, embedder=embedder)
    noise = report.checks["label_noise"]
    assert noise.reliable and noise.estimated_error_rate is not None and noise.estimated_error_rate < 0.05  # would pass
    (consistency,) = [c for c in report.verdict.conditions if c.id == "consistency"]
    assert consistency.status == "unknown" and consistency.evidence["judged_only_by"] == "agreement"
    assert consistency.summary.startswith("no item carries more than one annotation")
    assert report.verdict.status == "insufficient_evidence" and report.exit_code == 3
    assert any("at least two annotators label an overlapping sample" in action for action in report.verdict.actions)


def test_overlap_on_another_question_does_not_let_label_noise_pass_the_training_questions_single_answers(tmp_path, embedder):
    """Review: a reviewer answered only 'urgent' on every task, so agreement measured a result whose headline
    question ('intent', one answer per task) had no alpha; that unknown lacked judged_only_by, label noise's pass
    decided and the run exited 0."""
    from dataaudit.api import audit
    from dataaudit.config import config_from_dict

    config = config_from_dict({"task_type": "format", "conditions": {"skip": {"coverage": "no production sample yet"}}})
    report = audit(_label_studio_one_answer_per_task(tmp_path / "ls.json", reviewer=True), config, embedder=embedder)
    result = report.checks["agreement"]
    assert (result.question, result.items_multi, result.krippendorff_alpha) == ("intent", 0, None)
    assert [(q.question, q.items_multi) for q in result.questions] == [("intent", 0), ("urgent", 120)]
    noise = report.checks["label_noise"]
    assert noise.reliable and noise.estimated_error_rate < 0.05  # would pass
    (consistency,) = [c for c in report.verdict.conditions if c.id == "consistency"]
    assert consistency.status == "unknown" and consistency.evidence["judged_only_by"] == "agreement"
    assert consistency.summary.startswith("question 'intent': agreement is undefined: every item has a single annotation")
    assert consistency.evidence["estimated_error_rate"] == noise.estimated_error_rate  # measured, so shown
    assert report.verdict.status == "insufficient_evidence" and report.exit_code == 3


def test_a_one_annotator_export_is_judged_by_label_noise_as_the_same_labels_in_a_plain_file(tmp_path, embedder):
    """Review: any export held consistency unknown, so a Label Studio project labelled by one person could never
    be ready while the same labels as plain JSONL exited 0. With one annotator there is no agreement to miss."""
    from dataaudit.api import audit
    from dataaudit.checks.agreement import CHECK
    from dataaudit.config import config_from_dict

    config = config_from_dict({"task_type": "format", "conditions": {"skip": {"coverage": "no production sample yet"}}})
    export = _label_studio_one_answer_per_task(tmp_path / "ls.json", annotators=1)
    report = audit(export, config, embedder=embedder)
    (consistency,) = [c for c in report.verdict.conditions if c.id == "consistency"]
    assert consistency.status == "pass" and consistency.evidence["judged_only_by"] is None
    assert consistency.summary.startswith("an estimated ")
    assert report.verdict.status == "ready" and report.exit_code == 0
    plain = tmp_path / "plain.jsonl"
    plain.write_text("".join(json.dumps({"text": r.input_text, "label": r.annotations[0].label}) + "\n"
                             for r in load_dataset(export, config).records))
    same = audit(plain, config, embedder=embedder)
    assert same.exit_code == 0 and same.checks["label_noise"].estimated_error_rate == report.checks["label_noise"].estimated_error_rate
    [finding] = CHECK.judge(None, _ctx(load_dataset(export, config), config))
    assert finding.evidence == {"items_with_multiple_labels": 0}
    assert finding.summary == ("no item carries more than one annotation, so consistency cannot be judged; one annotator "
                               "(1) answered 'intent', so label noise judges these labels as it does a plain file's")


def test_held_unknown_needs_two_named_annotators_on_the_training_question(tmp_path):
    """Nested answers by one person, or a headline question one person answered while others overlapped on
    another question, are judged by label noise; two people on the training question hold it for agreement."""
    from dataaudit.checks.agreement import CHECK
    from dataaudit.checks.base import Status

    [one] = CHECK.judge(None, _ctx(_nested(tmp_path, [[("a", "x")], [("a", "y")]])))
    assert one.status == Status.UNKNOWN and "judged_only_by" not in one.evidence
    assert one.summary.endswith("one annotator (a) gave every label, so label noise judges these labels as it does a plain file's")
    [two] = CHECK.judge(None, _ctx(_nested(tmp_path, [[("a", "x")], [("b", "y")]])))
    assert two.evidence["judged_only_by"] == "agreement"
    config = Config()
    solo = load_dataset(_label_studio_one_answer_per_task(tmp_path / "solo.json", annotators=1, reviewer=True), config)
    result = CHECK.measure(_ctx(solo, config))
    assert (result.question, result.items_multi, [a.annotator for a in result.annotators]) == ("intent", 0, ["1"])
    [finding] = CHECK.judge(result, _ctx(solo, config))
    assert finding.status == Status.UNKNOWN and "judged_only_by" not in finding.evidence
    assert finding.summary == ("question 'intent': agreement is undefined: only one annotator labelled the data; one "
                               "annotator (1) answered 'intent', so label noise judges these labels as it does a plain file's")
    crowd = load_dataset(_label_studio_one_answer_per_task(tmp_path / "crowd.json", reviewer=True), config)
    [held] = CHECK.judge(CHECK.measure(_ctx(crowd, config)), _ctx(crowd, config))
    assert held.status == Status.UNKNOWN and held.evidence["judged_only_by"] == "agreement"
    assert held.summary.endswith("in annotators' answers, label noise's estimate from single labels does not stand in for their agreement")


def test_single_labels_under_no_embeddings_say_label_noise_would_judge_them_as_well_as_a_second_annotator(tmp_path):
    from dataaudit.api import audit
    from dataaudit.checks.agreement import CHECK, NEED_OVERLAP

    path = tmp_path / "single.jsonl"
    path.write_text("".join(json.dumps({"text": f"request {i} about {i * 7}", "label": "ab"[i % 2]}) + "\n" for i in range(40)))
    report = audit(path, Config(), embed=False)
    (consistency,) = [c for c in report.verdict.conditions if c.id == "consistency"]
    assert consistency.status == "unknown"
    assert consistency.summary == ("no item carries more than one annotation, so consistency cannot be judged; label noise, "
                                   "which judges single labels, did not run: embeddings were switched off (embed=False)")
    assert consistency.action == (f"To judge label consistency, audit with embed=True so label noise estimates how many "
                                  f"labels are wrong, or {NEED_OVERLAP}.")
    # label noise not held back by the embeddings (it ran, or had no labels to judge): the second annotator alone
    [finding] = CHECK.judge(None, _ctx(load_dataset(path, Config())))
    assert finding.summary == "no item carries more than one annotation, so consistency cannot be judged"
    assert finding.action == f"To judge label consistency, {NEED_OVERLAP}."


def test_latest_only_export_asks_for_the_full_export():
    from dataaudit.checks.agreement import CHECK
    from dataaudit.checks.base import Status
    from tests.test_annotation_tools import FIXTURES

    config = Config(fields=FieldsConfig(text_fields=["text"]))
    ctx = _ctx(load_dataset(FIXTURES / "label_studio_latest.csv", config), config)
    assert CHECK.measure(ctx) is None
    [finding] = CHECK.judge(None, ctx)
    assert finding.status == Status.UNKNOWN and "full JSON" in finding.summary
    assert finding.action.startswith("Export the project as full JSON")


def test_random_annotator_is_named_in_the_action_and_per_annotator_is_in_the_report():
    from dataaudit.checks.agreement import CHECK
    from dataaudit.checks.base import Status
    from dataaudit.report import to_jsonable
    from tests.test_annotation_tools import FIXTURES

    config = Config()
    config.agreement = AgreementConfig(bootstrap_resamples=100)
    ctx = _ctx(load_dataset(FIXTURES / "label_studio.json", config), config)
    result = CHECK.measure(ctx)
    [finding] = CHECK.judge(result, ctx)
    assert finding.status == Status.FAIL and finding.summary.startswith("question 'intent': Krippendorff's alpha 0.399")
    assert "Review annotator 14's labels" in finding.action and "with gold 10%" in finding.action
    assert finding.evidence["question"] == "intent" and finding.evidence["flagged_annotators"] == ["14"]
    as_json = json.loads(json.dumps(to_jsonable(result)))
    rows = as_json["per_annotator"]
    assert set(rows[0]) == {"annotator", "items", "agreement", "gold_agreement", "median_seconds", "flagged", "gold_items", "items_compared"}
    assert [r["annotator"] for r in rows if r["flagged"]] == ["14"]
    assert [q["question"] for q in as_json["questions"]][:2] == ["intent", "tags"]
    # headline weighted by items compared: the mean of per-annotator agreement weighted by the items they share
    expected = sum(r["agreement"] * r["items_compared"] for r in rows) / sum(r["items_compared"] for r in rows)
    assert as_json["annotator_agreement"] == pytest.approx(expected, abs=1e-4)
    for key in ("layout", "level", "items", "items_multi", "krippendorff_alpha", "alpha_ci", "annotators", "disputed", "disputed_total", "ties"):
        assert key in as_json  # every key the report had before stays


def test_flagging_weighs_annotators_by_items(tmp_path):
    """A low scorer with few items does not lower the bar: the median of the others is weighted by items."""
    items = []
    for i in range(40):
        truth = "xy"[i % 2]
        other = "yx"[i % 2]
        anns = [("a", truth), ("b", truth), ("c", truth if i % 10 else other)]
        anns.append(("bad", other if i % 5 else truth))  # agrees 20% of the time, 40 items
        if i < 10:
            anns.append(("few", other))  # 10 items, always disagrees
        items.append(anns)
    result = measure_agreement(_nested(tmp_path, items), AgreementConfig(bootstrap_resamples=0))
    flagged = sorted(a.annotator for a in result.per_annotator if a.flagged)
    assert flagged == ["bad", "few"]
    assert [a.annotator for a in result.annotators if a.flagged] == [a.annotator for a in result.per_annotator if a.flagged]


def test_one_file_per_annotator_is_one_set_of_items_as_in_a_single_file(tmp_path):
    # The long layout groups an item's rows across the files audited together: three annotators' files give
    # the figures of the same rows in one file, not 3 x 40 one-rating items (and no "duplicates").
    import csv
    import random

    rng = random.Random(5)
    truth = {f"i{n}": "abc"[n % 3] for n in range(40)}
    rows = {name: [(item, f"text {item}", name, label if rng.random() < 0.8 else rng.choice("abc")) for item, label in truth.items()]
            for name in ("ann1", "ann2", "ann3")}
    for name, own in [*rows.items(), ("all", [row for own in rows.values() for row in own])]:
        with open(tmp_path / f"{name}.csv", "w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows([("item_id", "text", "annotator", "label"), *own])
    config = Config(fields=FieldsConfig(annotator="annotator", id="item_id"))
    split = load_dataset([tmp_path / f"{name}.csv" for name in rows], config)
    together = measure_agreement(load_dataset(tmp_path / "all.csv", config), config.agreement)
    apart = measure_agreement(split, config.agreement)
    assert (apart.items, apart.items_multi) == (40, 40) and apart.krippendorff_alpha == together.krippendorff_alpha
    first = split.records[0]
    assert (first.source, first.line, first.lines) == (str(tmp_path / "ann1.csv"), 1, (1,))
    assert [(a.annotator, a.source, a.line) for a in first.annotations] == [
        ("ann1", "", 1), ("ann2", str(tmp_path / "ann2.csv"), 1), ("ann3", str(tmp_path / "ann3.csv"), 1)]

    with open(tmp_path / "again.csv", "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([("item_id", "text", "annotator", "label"), ("i0", "text i0", "ann1", "b")])
    twice = load_dataset([tmp_path / "ann1.csv", tmp_path / "again.csv"], config)
    assert [(e.source, e.line, e.message) for e in twice.errors] == [
        (str(tmp_path / "again.csv"), 1, f"annotator 'ann1' labelled item 'i0' twice ({tmp_path / 'ann1.csv'} line 1 and here)")]


def test_an_annotator_is_flagged_on_the_items_they_share_not_the_items_they_labelled(tmp_path):
    """54 items labelled, 4 shared with anyone (3 against the others): too little evidence to flag, and the
    headline agreement weighs them by the 4 items compared, not the 54 labelled."""
    items = []
    for i in range(40):
        truth, other = "xy"[i % 2], "yx"[i % 2]
        anns = [("a", truth), ("b", truth if i % 7 else other), ("c", truth)]
        if i < 4:
            anns.append(("solo", other if i < 3 else truth))
        items.append(anns)
    items += [[("solo", "xy"[i % 2])] for i in range(50)]
    result = measure_agreement(_nested(tmp_path, items), AgreementConfig(bootstrap_resamples=0))
    solo = next(s for s in result.per_annotator if s.annotator == "solo")
    assert (solo.items, solo.items_compared, solo.agreement, solo.flagged) == (54, 4, 0.25, False)
    by_name = {s.annotator: s for s in result.per_annotator}
    expected = sum(s.agreement * s.items_compared for s in by_name.values()) / sum(s.items_compared for s in by_name.values())
    assert result.annotator_agreement == pytest.approx(expected, abs=1e-4)
    assert result.annotator_agreement != pytest.approx(
        sum(s.agreement * s.items for s in by_name.values()) / sum(s.items for s in by_name.values()), abs=1e-3)


def test_thresholds_are_compared_with_alpha_unrounded_and_the_text_agrees(tmp_path):
    from dataaudit.checks.agreement import CHECK
    from dataaudit.checks.base import Status

    path, config = write_layout(tmp_path, "nested")
    config.agreement = AgreementConfig(bootstrap_resamples=0)
    ctx = _ctx(load_dataset(path, config), config)
    result = CHECK.measure(ctx)
    exact = result.krippendorff_alpha_unrounded
    cells = k2011_cells()
    import krippendorff
    import numpy as np
    data = np.array([[np.nan if v == "." else float(v) for v in cells[a]] for a in "ABCD"])
    assert exact == pytest.approx(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"), abs=1e-12)
    # A bound a hair above alpha and equal to its 4-place rounding: short of it, which only the unrounded alpha
    # says (the rounded one meets the bound). Two annotators on 20 items, 3 apart: Krippendorff's nominal alpha
    # 1 - (40 - 1) * 6 / (2 * 21 * 19) = 0.7067669..., which rounds up to 0.7068.
    items = [[("a", "xy"[i % 2]), ("b", "xy"[i % 2] if i >= 3 else "yx"[i % 2])] for i in range(20)]
    rounding_up = CHECK.measure(_ctx(_nested(tmp_path, items), Config(agreement=AgreementConfig(bootstrap_resamples=0))))
    assert rounding_up.krippendorff_alpha_unrounded == pytest.approx(1 - 39 * 6 / (2 * 21 * 19), abs=1e-12)
    assert rounding_up.krippendorff_alpha == 0.7068
    config.agreement = AgreementConfig(bootstrap_resamples=0, reliable_alpha=0.7068, tentative_alpha=0.5)
    [finding] = CHECK.judge(rounding_up, _ctx(_nested(tmp_path, items), config))
    assert finding.status == Status.WARN and finding.summary == "Krippendorff's alpha 0.70677 is only tentative (< 0.7068)"
    # the evidence holds the alpha that was judged, next to the rounded one that equals the bound
    assert (finding.evidence["krippendorff_alpha"], finding.evidence["krippendorff_alpha_unrounded"]) == (
        0.7068, rounding_up.krippendorff_alpha_unrounded)
    # a bound a hair below alpha (0.7434211) but above its 4-place rounding (0.7434): reliable, and the text
    # shows alpha with the places that make it so
    config.agreement = AgreementConfig(bootstrap_resamples=0, reliable_alpha=0.74342, tentative_alpha=0.5)
    [finding] = CHECK.judge(result, _ctx(ctx.train.dataset, config))
    assert round(exact, 4) < 0.74342 < exact
    assert finding.status == Status.PASS and finding.summary.startswith("Krippendorff's alpha 0.743421 >= 0.74342;")


def test_flagged_annotators_are_ranked_by_how_many_labels_they_cost(tmp_path):
    """A careless annotator with 200 items comes before one slightly worse on 12 items."""
    items = []
    for i in range(200):
        truth, other = "xy"[i % 2], "yx"[i % 2]
        anns = [("a", truth), ("b", truth), ("c", truth if i % 9 else other), ("big", other if i % 3 else truth)]
        if i < 12:
            anns.append(("small", other if i % 6 else truth))
        items.append(anns)
    result = measure_agreement(_nested(tmp_path, items), AgreementConfig(bootstrap_resamples=0))
    flagged = [s for s in result.annotators if s.flagged]
    assert [s.annotator for s in flagged] == ["big", "small"]
    assert flagged[0].agreement_with_others > flagged[1].agreement_with_others  # agreement alone would rank them the other way
    assert [s.annotator for s in result.per_annotator if s.flagged] == ["big", "small"]


def _nested_with_gold(tmp_path, items):
    path = tmp_path / "g.jsonl"
    path.write_text("".join(json.dumps({"id": str(i), "text": f"t{i}", "gold": gold,
                                        "annotations": [{"annotator": a, "label": l} for a, l in anns]}) + "\n"
                            for i, (gold, anns) in enumerate(items)))
    config = Config(fields=FieldsConfig(gold="gold"))
    return load_dataset(path, config), config


def test_an_annotator_flagged_against_gold_is_shown_by_their_gold_figure(tmp_path):
    """'solo' labels 12 items nobody else did, all against gold (no agreement with others to print); 'echo' agrees
    with the others on every item they share and with gold on none: both flagged against gold, and read so."""
    from types import SimpleNamespace

    from dataaudit.checks.agreement import CHECK
    from dataaudit.render.sections.agreement import SECTION

    items = [("x" if i % 2 else "y", [(a, "x" if i % 2 else "y") for a in "abc"]) for i in range(30)]
    items += [("y", [("a", "x"), ("b", "x"), ("echo", "x")]) for _ in range(20)]
    items += [("y", [("solo", "x")]) for _ in range(12)]
    dataset, config = _nested_with_gold(tmp_path, items)
    config.agreement = AgreementConfig(bootstrap_resamples=0)
    result = measure_agreement(dataset, config.agreement)
    by_name = {s.annotator: s for s in result.annotators}
    assert (by_name["solo"].flagged_by, by_name["solo"].agreement_with_others, by_name["solo"].gold_items) == (("gold",), None, 12)
    assert (by_name["echo"].flagged_by, by_name["echo"].agreement_with_others, by_name["echo"].gold_agreement) == (("gold",), 1.0, 0.0)
    lines = SECTION.build(SimpleNamespace(checks={"agreement": result})).lines
    flagged_lines = [line for line in lines if line.startswith("annotator ")]
    assert flagged_lines == ["annotator echo is far below the others: agrees with gold on 0% of 20 gold items (20 labelled); alpha without them 1.000",
                             "annotator solo is far below the others: agrees with gold on 0% of 12 gold items (12 labelled); alpha without them 1.000"]
    [finding] = CHECK.judge(result, _ctx(dataset, config))
    worst = result.annotators[0].annotator
    assert worst == "echo" and finding.summary.endswith(
        "; annotator echo agrees with gold on 0% of 20 gold items (1 more annotator(s) flagged)")


def test_a_flagged_annotators_gold_agreement_is_shown_wherever_it_was_measured(tmp_path):
    """QA: the consistency action read "100 (agreement with the others 57%, with gold 70%)" while the section's line
    for 100, flagged by the others alone, left gold out; it showed gold only for an annotator gold flagged. 'big'
    agrees with the others on the 10 gold items only, so the others flag them and gold (100%) does not."""
    import io

    from rich.console import Console

    from dataaudit.api import audit
    from dataaudit.render.html import render_html
    from dataaudit.render.markdown import render_markdown
    from dataaudit.render.terminal import render_terminal

    items = [("xy"[i % 2], [(a, "xy"[i % 2]) for a in ("a", "b", "c", "big")]) for i in range(10)]
    items += [(None, [(a, "xy"[i % 2]) for a in "abc"] + [("big", "yx"[i % 2])]) for i in range(20)]
    _, config = _nested_with_gold(tmp_path, items)
    config.agreement = AgreementConfig(bootstrap_resamples=0)
    report = audit(tmp_path / "g.jsonl", config, embed=False)
    [big] = [s for s in report.checks["agreement"].annotators if s.flagged]
    assert (big.annotator, big.flagged_by, big.agreement_with_others, big.gold_agreement, big.gold_items) == ("big", ("others",), round(10 / 30, 4), 1.0, 10)
    line = ("annotator big is far below the others: agrees with their majority on 33% of the 30 items they share with "
            "them; agrees with gold on 100% of 10 gold items (30 labelled)")
    assert "Review annotator big's labels (agreement with the others 33%, with gold 100%)" in report.verdict.conditions[2].action
    console = Console(file=io.StringIO(), width=400, color_system=None)
    render_terminal(report, console)
    for shown in (console.file.getvalue(), render_markdown(report), render_html(report)):
        assert line in shown


# ---------------------------------------------------------------------------------------------------
# Labels that do not fit the level: an input error naming the file, line and field, never a number


def _long_csv(tmp_path, rows, name="long.csv"):
    path = tmp_path / name
    path.write_text("item_id,annotator,label,text\n" + "".join(f"u{i},{a},{v},unit {i}\n" for i, a, v in rows), encoding="utf-8")
    return path


def test_negative_ratio_data_is_an_input_error_naming_the_file_line_and_field(tmp_path):
    from dataaudit.checks.agreement import measure
    from dataaudit.errors import InputError

    # the CI came out [1.0, 1.0] around 0.8054: -1 vs 1 sums to 0, and 0/0 became 1.8e308 in the bootstrap
    rows = [(i, a, v) for i in range(6) for a, v in zip("ABC", (i % 3, i % 3, (i + 1) % 3))] + [(6, "A", 1), (6, "B", -1)]
    path = _long_csv(tmp_path, rows)
    config = Config(fields=FieldsConfig(annotator="annotator", id="item_id"), agreement=AgreementConfig(level="ratio"))
    with pytest.raises(InputError) as raised:
        measure(_ctx(load_dataset(path, config), config))
    assert str(raised.value) == (f"{path}: line 20: field 'label' holds '-1', but ratio data cannot be negative (a ratio "
                                 "scale starts at a true zero); for values that can be negative use agreement.level = 'interval'")
    config.agreement = AgreementConfig(level="interval")
    assert measure(_ctx(load_dataset(path, config), config)).krippendorff_alpha is not None
    # written zero-padded, the value read is -1: the rating named is the one in the file, as written
    padded = _long_csv(tmp_path, rows[:-1] + [(6, "B", "-01")], "padded.csv")
    config.agreement = AgreementConfig(level="ratio")
    with pytest.raises(InputError) as raised:
        measure(_ctx(load_dataset(padded, config), config))
    assert str(raised.value).startswith(f"{padded}: line 20: field 'label' holds '-01', but ratio data cannot be negative")


def test_ratio_data_with_zeros_keeps_zero_against_zero_at_distance_zero(tmp_path):
    from dataaudit.checks.agreement_stats import alpha_bootstrap, krippendorff_alpha

    counts = np.array([[2, 0, 0], [0, 2, 0], [0, 0, 2], [1, 1, 0], [2, 0, 0], [0, 1, 1]], dtype=float)
    scale = np.array([0.0, 1.0, 2.0])
    alpha = krippendorff_alpha(counts, "ratio", scale)
    # by hand: coincidences o(0,0)=4, o(1,1)=2, o(2,2)=2, o(0,1)=o(1,0)=1, o(1,2)=o(2,1)=1; n_c = 5, 4, 3; n = 12;
    # ratio delta (c-k)^2/(c+k)^2: d(0,1) = d(0,2) = 1, d(1,2) = 1/9, d(0,0) = 0
    observed = 2 * 1 * 1 + 2 * 1 * (1 / 9)
    expected = (2 * 5 * 4 * 1 + 2 * 5 * 3 * 1 + 2 * 4 * 3 * (1 / 9)) / 11
    assert alpha == pytest.approx(1 - observed / expected, abs=1e-12)
    (low, high), _ = alpha_bootstrap(counts, "ratio", scale, 200, 0)
    assert low <= round(alpha, 4) <= high and high <= 1.0 and low < high
    with pytest.raises(ValueError, match="ratio data cannot be negative"):
        alpha_bootstrap(counts, "ratio", np.array([-1.0, 0.0, 1.0]), 200, 0)


def test_ordinal_text_labels_without_an_order_name_the_input_and_where_to_set_it(tmp_path):
    from dataaudit.checks.agreement import measure
    from dataaudit.errors import InputError

    path = _long_csv(tmp_path, [(1, "A", "low"), (1, "B", "high"), (2, "A", "high"), (2, "B", "high")])
    config = Config(fields=FieldsConfig(annotator="annotator", id="item_id"), agreement=AgreementConfig(level="ordinal"))
    with pytest.raises(InputError) as raised:
        measure(_ctx(load_dataset(path, config), config))
    assert str(raised.value) == (f"{path}: line 2: field 'label' holds 'high', but ordinal text labels need their order: "
                                 "set [agreement] ordinal_order in dataaudit.toml or pass --config")


@pytest.mark.parametrize("level", ["interval", "ratio"])
def test_a_label_that_is_not_a_number_at_interval_or_ratio_level_names_its_file_line_and_field(tmp_path, level):
    from dataaudit.checks.agreement import measure
    from dataaudit.errors import InputError

    # two words: the first in sorted order is named, whatever order a set iterates in
    path = _long_csv(tmp_path, [(1, "A", "1"), (1, "B", "2"), (2, "A", "zero"), (2, "B", "three"), (3, "A", "3"), (3, "B", "3")])
    config = Config(fields=FieldsConfig(annotator="annotator", id="item_id"), agreement=AgreementConfig(level=level))
    with pytest.raises(InputError) as raised:
        measure(_ctx(load_dataset(path, config), config))
    assert str(raised.value) == (f"{path}: line 4: field 'label' holds 'three', but {level} data must be numbers; fix that "
                                 "label, or for labels that are not numbers use agreement.level = 'ordinal' (with "
                                 "ordinal_order) or 'nominal'")


def test_a_label_missing_from_the_ordinal_order_names_its_file_line_and_field(tmp_path):
    from dataaudit.checks.agreement import measure
    from dataaudit.errors import InputError

    path = _long_csv(tmp_path, [(1, "A", "low"), (1, "B", "high"), (2, "A", "hihg"), (2, "B", "high")])
    config = Config(fields=FieldsConfig(annotator="annotator", id="item_id"),
                    agreement=AgreementConfig(level="ordinal", ordinal_order=["low", "high"]))
    with pytest.raises(InputError) as raised:
        measure(_ctx(load_dataset(path, config), config))
    assert str(raised.value) == (f"{path}: line 3: field 'label' holds 'hihg', but agreement.ordinal_order does not list it "
                                 "(1 label(s) missing from the order: 'hihg'); add them to ordinal_order or fix the labels")


def test_the_config_that_set_the_ordinal_order_is_named_in_the_reason_never_in_the_quoted_label(tmp_path):
    """The file was put in by replacing text in the whole message, so a label holding that text got it instead."""
    from dataaudit.checks.agreement import LevelMismatch, measure
    from dataaudit.config import config_from_dict
    from dataaudit.errors import InputError

    odd = "agreement.ordinal_order does not list it"
    path = _long_csv(tmp_path, [(1, "A", "low"), (1, "B", "high"), (2, "A", odd), (2, "B", "high")])
    config = config_from_dict({"fields": {"annotator": "annotator", "id": "item_id"},
                               "agreement": {"level": "ordinal", "ordinal_order": ["low", "high"]}}, source="ord.toml")
    with pytest.raises(InputError) as raised:
        measure(_ctx(load_dataset(path, config), config))
    assert str(raised.value) == (f"{path}: line 3: field 'label' holds '{odd}', but agreement.ordinal_order (set in ord.toml) "
                                 f"does not list it (1 label(s) missing from the order: '{odd}'); add them to ordinal_order "
                                 "or fix the labels")
    # a mismatch that is not about the order keeps its message, whatever it says of ordinal_order
    other = LevelMismatch("x", "ordinal text labels need their order: set [agreement] ordinal_order in dataaudit.toml")
    assert other.order_set_in("ord.toml") is other


@pytest.mark.parametrize("level", ["interval", "ratio"])
def test_cohen_kappa_at_interval_and_ratio_level_weighs_disagreements_by_value_not_rank(tmp_path, level):
    # values 0, 1, 10: A says 0 1 10 0, B says 0 10 10 1. Confusion (A rows, B columns, in value order)
    # [[1, 1, 0], [0, 0, 1], [0, 0, 1]]; margins A 2 1 1, B 1 1 2; weights (v_i - v_j)^2: 1, 100, 81.
    # observed 1 + 81 = 82; expected (2*1*1 + 2*2*100 + 1*1*1 + 1*2*81 + 1*1*100 + 1*1*81) / 4 = 186.5
    # (weighted by rank position, 1 4 1, it read 1 - 2 / 6.5 = 0.6923)
    path = tmp_path / "nested.jsonl"
    pairs = [(0, 0), (1, 10), (10, 10), (0, 1)]
    path.write_text("".join(json.dumps({"id": f"u{j}", "text": f"unit {j}", "annotations": [
        {"annotator": "A", "label": a}, {"annotator": "B", "label": b}]}) + "\n" for j, (a, b) in enumerate(pairs)))
    config = Config(agreement=AgreementConfig(level=level))
    result = measure_agreement(load_dataset(path, config), config.agreement)
    assert result.cohen_kappa["A"]["B"] == round(1 - 82 / 186.5, 4) == 0.5603


def test_value_weighted_kappa_on_evenly_spaced_values_is_sklearns_quadratic_kappa():
    from sklearn.metrics import cohen_kappa_score

    from dataaudit.checks.agreement import value_weighted_kappa

    rng = np.random.default_rng(3)
    x, y = rng.integers(0, 4, 50), rng.integers(0, 4, 50)
    assert value_weighted_kappa(x, y, np.array([1.0, 2.0, 3.0, 4.0])) == pytest.approx(cohen_kappa_score(x, y, weights="quadratic"), abs=1e-12)
    assert np.isnan(value_weighted_kappa(np.zeros(5), np.zeros(5), np.array([0.0, 1.0])))  # one value only: undefined


def test_a_ci_below_zero_reads_low_to_high_and_resamples_left_out_are_counted_and_said(tmp_path):
    from dataaudit.checks.agreement import judge, measure

    # 40 items, two annotators; they agree on 'a' everywhere but on 2 items where B says 'b', the only 'b's. A
    # resample that draws neither has no variation and no alpha: (38/40)^40 = 12.9% of them
    rows = [(i, a, "b" if i < 2 and a == "B" else "a") for i in range(40) for a in "AB"]
    config = Config(fields=FieldsConfig(annotator="annotator", id="item_id"))
    result = measure(_ctx(load_dataset(_long_csv(tmp_path, rows), config), config))
    assert result.alpha_ci[0] < 0 and result.bootstrap_resamples == 1000
    undefined = result.bootstrap_undefined
    assert 0.10 < undefined / 1000 < 0.16
    (finding,) = judge(result, _ctx(load_dataset(_long_csv(tmp_path, rows), config), config))
    low, high = result.alpha_ci
    assert f"(95% CI {low:.3f} to {high:.3f}; {undefined} of 1,000 resamples left out, with no variation to give an alpha)" in finding.summary
    assert finding.evidence["bootstrap_resamples_undefined"] == undefined and finding.evidence["bootstrap_resamples"] == 1000
    import dataclasses

    (few,) = judge(dataclasses.replace(result, bootstrap_undefined=50), _ctx(load_dataset(_long_csv(tmp_path, rows), config), config))
    assert f"(95% CI {low:.3f} to {high:.3f}) is below" in few.summary  # 5% left out: not said


def test_an_alpha_exactly_at_a_threshold_takes_the_grade_it_opens():
    """Krippendorff (2004): alpha >= .800 reliable, .667 <= alpha < .800 tentative conclusions only."""
    from dataaudit.checks.agreement import alpha_grade

    thresholds = AgreementConfig(reliable_alpha=0.8, tentative_alpha=0.667)
    # Krippendorff's .667 is 2/3: 2/3 itself, computed one ulp either side of it, opens the tentative grade
    assert [alpha_grade(a, thresholds) for a in (0.8, 0.7999, 0.667, 0.6669, 2 / 3, 0.6666666666666665, 0.6666)] == \
        ["reliable", "tentative", "tentative", "tentative", "tentative", "tentative", "unreliable"]
    assert alpha_grade(None, thresholds) is None
    # any other bound is the number written
    assert [alpha_grade(a, AgreementConfig(tentative_alpha=0.6669)) for a in (0.6669, 0.66689)] == ["tentative", "unreliable"]


def test_an_alpha_of_exactly_two_thirds_is_tentative_and_reads_so(tmp_path):
    """Two coders on 18 units, 6 yes/yes, 9 no/no, 3 apart: nominal alpha 1 - 35 * 3 / (15 * 21) = 2/3."""
    from dataaudit.checks.agreement import CHECK
    from dataaudit.checks.base import Status

    items = ([[("r1", "yes"), ("r2", "yes")]] * 6 + [[("r1", "no"), ("r2", "no")]] * 9 + [[("r1", "yes"), ("r2", "no")]] * 3)
    config = Config(agreement=AgreementConfig(bootstrap_resamples=0))
    ctx = _ctx(_nested(tmp_path, items), config)
    result = CHECK.measure(ctx)
    assert result.krippendorff_alpha_unrounded == pytest.approx(2 / 3, abs=1e-12)
    [finding] = CHECK.judge(result, ctx)
    assert finding.status == Status.WARN
    assert finding.summary == "Krippendorff's alpha 0.6667 is only tentative (< 0.800)"
    # just under 2/3 fails, with the places that keep it under
    import dataclasses
    [below] = CHECK.judge(dataclasses.replace(result, krippendorff_alpha_unrounded=0.66666), ctx)
    assert below.status == Status.FAIL and below.summary == "Krippendorff's alpha 0.66666 is below 0.667"


def test_the_median_others_are_compared_with_is_the_lower_weighted_median():
    from dataaudit.checks.agreement import MIN_ITEMS_TO_FLAG, _far_below, _weighted_median

    assert _weighted_median([0.2, 0.8], [1, 1]) == 0.2  # half the weight reached at 0.2
    assert _weighted_median([0.8, 0.2, 0.5], [1, 1, 3]) == 0.5  # sorted 0.2 (1), 0.5 (4 of 5 >= 2.5)
    # 'mid' (0.5) is compared with the lower median of 0.2 and 0.8 (0.2): not 0.1 below it, not flagged;
    # 'low' (0.2) with the lower median of 0.5 and 0.8 (0.5): 0.3 below, flagged
    n = MIN_ITEMS_TO_FLAG
    assert _far_below({"low": (0.2, n), "mid": (0.5, n), "high": (0.8, n)}, 0.1) == {"low"}
    # with one other annotator there is no median of others to stand out from: nobody is flagged
    assert _far_below({"low": (0.2, n), "high": (0.9, n)}, 0.1) == set()


def test_shuffling_the_items_of_a_file_changes_no_agreement_figure_and_no_list_order(tmp_path):
    """A batch exported in another order (same tasks) moved the alpha interval and reordered the disputed items."""
    rng = np.random.default_rng(11)
    rows = []
    for i in range(90):
        truth = "xyz"[rng.integers(0, 3)]
        labels = [truth if rng.random() < 0.6 else "xyz"[rng.integers(0, 3)] for _ in range(2)]
        rows.append({"id": str(i), "text": f"item {i}", "annotations": [{"annotator": a, "label": label} for a, label in zip("AB", labels)]})

    def measured(name, order):
        path = tmp_path / name
        path.write_text("".join(json.dumps(rows[i]) + "\n" for i in order))
        return measure_agreement(load_dataset(path, Config()), AgreementConfig(disputed_limit=10))

    ordered = measured("a.jsonl", range(90))
    shuffled = measured("a.jsonl", rng.permutation(90))  # the same file name: only the row order differs
    assert ordered.alpha_ci is not None and ordered.alpha_ci == shuffled.alpha_ci
    assert ordered.bootstrap_undefined == shuffled.bootstrap_undefined
    assert ordered.disputed_total == shuffled.disputed_total > 10
    assert [d.item_id for d in ordered.disputed] == [d.item_id for d in shuffled.disputed]
    # the least agreement first, then by item id (numeric ids by value), not by line
    assert [d.agreement for d in ordered.disputed] == sorted(d.agreement for d in ordered.disputed)
    assert [int(d.item_id) for d in ordered.disputed] == sorted(int(d.item_id) for d in ordered.disputed)
    assert [d.lines for d in ordered.disputed] != [d.lines for d in shuffled.disputed]  # each names where it now lies
    assert [t.item_id for t in ordered.tie_items] == [t.item_id for t in shuffled.tie_items]
    assert len(ordered.tie_items) > 1


def test_a_huge_label_is_listed_by_its_key_not_copied_whole(tmp_path):
    """A 1 MB answer was copied whole four times: labels, confused_pairs, disputed and tie_items."""
    from dataaudit.checks.balance import LABEL_KEY_LIMIT, label_key

    huge = "Q" * 1_000_000
    path = tmp_path / "big.jsonl"
    path.write_text("".join(json.dumps({"id": str(i), "text": f"item {i}", "annotations": [
        {"annotator": "A", "label": "ab"[i % 2]}, {"annotator": "B", "label": huge if i == 3 else "ab"[(i // 3) % 2]}]}) + "\n"
        for i in range(40)))
    result = measure_agreement(load_dataset(path, Config()), AgreementConfig())
    key = label_key(huge)
    assert len(key) == LABEL_KEY_LIMIT
    assert sorted(s.label for s in result.labels) == sorted(["a", "b", key])
    shown = ([s.label for s in result.labels] + [label for p in result.confused_pairs for label in p.labels]
             + [label for d in result.disputed for label in d.labels.values()] + [label for t in result.tie_items for label in t.labels])
    assert key in shown and huge not in shown and max(map(len, shown)) == LABEL_KEY_LIMIT
    assert {s.label: s.ratings for s in result.labels}[key] == 1
    assert [d.labels for d in result.disputed if d.item_id == "3"] == [{"A": "b", "B": key}]


def test_the_condition_writes_alpha_against_both_bounds_as_the_sections_do(tmp_path):
    """A tentative alpha just above the tentative bound read 0.667 in the condition (written against the reliable
    bound alone) and 0.66704 in the agreement section (second review)."""
    import dataclasses

    from dataaudit.checks.agreement import CHECK
    from dataaudit.checks.base import Status
    from dataaudit.render.figures import judged_text

    items = [[("a", "xy"[i % 2]), ("b", "xy"[i % 2] if i >= 3 else "yx"[i % 2])] for i in range(20)]
    config = Config(agreement=AgreementConfig(bootstrap_resamples=0))
    measured = CHECK.measure(_ctx(_nested(tmp_path, items), config))
    result = dataclasses.replace(measured, krippendorff_alpha=0.667, krippendorff_alpha_unrounded=0.66704)
    [finding] = CHECK.judge(result, _ctx(_nested(tmp_path, items), config))
    section = judged_text("krippendorff_alpha", 0.66704, config.to_dict())
    assert section == "0.66704" and finding.status == Status.WARN
    assert finding.summary.startswith(f"Krippendorff's alpha {section} is only tentative"), finding.summary


@pytest.mark.parametrize("order_source", [None, "", "ord.toml"])
def test_a_level_mismatch_crosses_a_process_as_raised(order_source):
    """BaseException pickles as cls(message): unpickling called LevelMismatch with one argument and failed."""
    import pickle

    from dataaudit.checks.agreement import LevelMismatch

    raised = LevelMismatch("hihg", "(1 label(s) missing from the order: 'hihg')", order_source)
    copy = pickle.loads(pickle.dumps(raised))
    assert (type(copy), copy.label, copy.reason, copy.order_source, str(copy)) == (
        LevelMismatch, raised.label, raised.reason, order_source, str(raised))


def test_an_export_of_free_text_answers_only_is_not_said_to_have_one_annotation_per_item(tmp_path):
    """Every task carried two annotators' comments, and the report said no item carries more than one annotation."""
    import json

    from dataaudit.api import audit
    from dataaudit.config import Config

    tasks = [{"id": i, "data": {"text": f"some input text {i}"},
              "annotations": [{"id": 10 * i + a, "completed_by": a, "was_cancelled": False,
                               "result": [{"from_name": "comment", "to_name": "text", "type": "textarea",
                                           "value": {"text": [f"free comment {i} by {a}"]}}]} for a in (1, 2)]}
             for i in range(30)]
    path = tmp_path / "export.json"
    path.write_text(json.dumps(tasks), encoding="utf-8")
    report = audit(path, Config(task_type="format"), embed=False)
    (consistency,) = [c for c in report.verdict.conditions if c.id == "consistency"]
    assert consistency.status.value == "unknown"
    assert consistency.summary == ("no question of the export is one agreement compares ('comment' (textarea): "
                                   "free text or spans), so consistency cannot be judged")
    assert consistency.action.startswith("To judge label consistency, add a choice, rating or number question")
    # nothing was compared, so no count of items with several labels beside a sentence saying they may have them
    assert consistency.evidence["items_with_multiple_labels"] is None


def test_answers_naming_no_annotator_beside_named_ones_get_no_row_of_their_own(tmp_path):
    """'(unknown #1)' and '(unknown #2)', each a task's first and second unnamed answer pooled over tasks, got rows,
    agreement figures and kappas while the report's own note said such figures mean nothing."""
    import json

    from dataaudit.api import audit
    from dataaudit.config import Config

    def answer(n, user, label):
        return {"id": n, "was_cancelled": False, **({"completed_by": user} if user is not None else {}),
                "result": [{"from_name": "intent", "to_name": "text", "type": "choices", "value": {"choices": [label]}}]}

    tasks = [{"id": i, "data": {"text": f"message number {i}"},
              "annotations": [answer(3 * i, 7, "ab"[i % 2]), answer(3 * i + 1, None, "ab"[i % 2]),
                              answer(3 * i + 2, None, "ab"[(i // 3) % 2])]} for i in range(40)]
    path = tmp_path / "export.json"
    path.write_text(json.dumps(tasks), encoding="utf-8")
    agreement = audit(path, Config(task_type="format"), embed=False).checks["agreement"]
    assert [s.annotator for s in agreement.per_annotator] == ["7"]
    assert [a.annotator for a in agreement.annotators] in ([], ["7"])
    assert all("unknown" not in pair for pair in agreement.cohen_kappa)
    assert agreement.annotators_named and agreement.items == 40
    assert any(n.startswith("answers that name no annotator count in alpha") for n in agreement.notes)


def _label_studio_k2011(path, topic=False):
    """The 2011 data asked three ways in one Label Studio project: a Likert scale as choices a..e (`intent`), a
    rating (`quality`) and a number (`urgency`); topic: a nominal choice question beside them, no order to it."""
    cells = k2011_cells()
    tasks, answer = [], 0
    for j in range(12):
        annotations = []
        for user, coder in enumerate("ABCD", start=11):
            if cells[coder][j] == ".":
                continue
            value = int(cells[coder][j])
            answer += 1
            result = [{"from_name": "intent", "to_name": "text", "type": "choices", "value": {"choices": ["abcde"[value - 1]]}},
                      {"from_name": "quality", "to_name": "text", "type": "rating", "value": {"rating": value}},
                      {"from_name": "urgency", "to_name": "text", "type": "number", "value": {"number": value}}]
            if topic:
                result.append({"from_name": "topic", "to_name": "text", "type": "choices",
                               "value": {"choices": ["billing" if (j + (coder == "C")) % 2 else "shipping"]}})
            annotations.append({"id": answer, "completed_by": user, "created_at": f"2026-11-01T09:{answer:02d}:00Z",
                                "ground_truth": False, "result": result, "was_cancelled": False})
        tasks.append({"id": j + 1, "annotations": annotations, "predictions": [], "data": {"text": f"unit number {j + 1}"}})
    path.write_text(json.dumps(tasks))
    return path


def _question_levels(result):
    return {q.question: (q.level, round(q.krippendorff_alpha, 3)) for q in result.questions}


def test_the_configured_level_and_order_apply_to_the_headline_question_and_the_others_keep_their_types(tmp_path):
    from dataaudit.checks.agreement import measure
    from dataaudit.config import config_from_dict, config_with_overrides

    path = _label_studio_k2011(tmp_path / "ls.json", topic=True)
    ordered = config_from_dict({"agreement": {"ordinal_order": list("abcde"), "bootstrap_resamples": 0}}, source="ord.toml")
    config = config_with_overrides(ordered, {"agreement.level": "ordinal"}, names={"agreement.level": "--level"})
    result = measure(_ctx(load_dataset(path, config), config))
    # the order is the Likert question's; the rating keeps its numbers, the number is interval, the topic nominal
    assert (result.question, result.level, round(result.krippendorff_alpha, 3)) == ("intent", "ordinal", K2011_ALPHA["ordinal"])
    assert _question_levels(result) == {"intent": ("ordinal", 0.815), "quality": ("ordinal", 0.815),
                                        "urgency": ("interval", 0.849), "topic": ("nominal", 0.023)}
    assert result.notes == []

    # a rating named as the headline takes the level named for it; the choice questions stay nominal
    for level, expected in (("interval", 0.849), ("ratio", 0.797), ("nominal", 0.743)):
        config = config_with_overrides(Config(), {"fields.question": "quality", "agreement.level": level,
                                                  "agreement.bootstrap_resamples": 0}, names={"agreement.level": "--level"})
        result = measure(_ctx(load_dataset(path, config), config))
        assert (result.question, result.level, round(result.krippendorff_alpha, 3)) == ("quality", level, expected)
        assert _question_levels(result)["intent"] == ("nominal", 0.743) and _question_levels(result)["topic"][0] == "nominal"
    # unnamed, the default nominal leaves a rating its own level
    config = config_with_overrides(Config(), {"fields.question": "quality", "agreement.bootstrap_resamples": 0})
    assert measure(_ctx(load_dataset(path, config), config)).level == "ordinal"


@pytest.mark.parametrize("level", ["ordinal", "interval", "ratio"])
def test_zero_padded_numbers_are_one_value_with_their_plain_spelling_in_every_figure_at_numeric_levels(tmp_path, level):
    """Coder C writes 01..05: at a numeric level "03" is 3 to alpha, and so to every other figure of the result."""
    cells = k2011_cells()
    padded = tmp_path / "padded.csv"
    lines = ["id,text,A,B,C,D"] + [f"u{j + 1},unit {j + 1}," + ",".join(
        "" if cells[a][j] == "." else ("0" + cells[a][j] if a == "C" else cells[a][j]) for a in "ABCD") for j in range(12)]
    padded.write_text("\n".join(lines) + "\n")
    plain, _ = write_layout(tmp_path, "wide")
    config = Config(fields=FieldsConfig(annotator_columns=["A", "B", "C", "D"], id="id"),
                    agreement=AgreementConfig(level=level, bootstrap_resamples=0))
    result = measure_agreement(load_dataset(padded, config), config.agreement)
    reference = measure_agreement(load_dataset(plain, config), config.agreement)
    assert round(result.krippendorff_alpha, 3) == K2011_ALPHA[level]
    assert result.percent_agreement == reference.percent_agreement == 0.8182
    assert [s.label for s in result.labels] == ["1", "2", "3", "4", "5"]
    assert result.labels == reference.labels and result.confused_pairs == reference.confused_pairs
    assert [(s.annotator, s.agreement_with_others) for s in result.annotators] == [
        (s.annotator, s.agreement_with_others) for s in reference.annotators] == [("C", 0.7), ("A", 0.8889), ("B", 0.9), ("D", 0.9091)]
    assert {label for d in result.disputed for label in d.labels.values()} <= {"1", "2", "3", "4", "5"}
    # nominal: "03" is a code of its own, as the loader reads it
    nominal = measure_agreement(load_dataset(padded, config), AgreementConfig(bootstrap_resamples=0))
    assert "03" in [s.label for s in nominal.labels] and round(nominal.krippendorff_alpha, 4) == 0.3654


def test_labels_that_differ_only_in_case_are_named_with_alpha_as_if_folded_and_the_action_asks_for_one_spelling(tmp_path):
    from dataaudit.checks.agreement import CHECK
    from dataaudit.checks.base import Status

    # three annotators, each spelling the classes their own way; read folded, 8 of 10 items agree fully
    truth = ["pos", "neg", "pos", "neu", "neg", "pos", "neu", "neg", "pos", "neg"]
    other = ["pos", "neg", "pos", "neu", "neg", "pos", "neu", "neg", "neg", "pos"]
    spell = {"a": str.lower, "b": str.capitalize, "c": str.upper}
    rows = [(i, a, spell[a](truth[i] if a != "c" else other[i])) for i in range(10) for a in "abc"]
    config = Config(fields=FieldsConfig(annotator="annotator", id="item_id"), agreement=AgreementConfig(bootstrap_resamples=0))
    ctx = _ctx(load_dataset(_long_csv(tmp_path, rows), config), config)
    result = CHECK.measure(ctx)
    plain = measure_agreement(load_dataset(_long_csv(tmp_path, [(i, a, label.lower()) for i, a, label in rows], "plain.csv"),
                                           config), config.agreement)
    assert result.case_variants == [["NEG", "Neg", "neg"], ["NEU", "Neu", "neu"], ["POS", "Pos", "pos"]]
    assert result.alpha_case_folded == plain.krippendorff_alpha == 0.7986 and result.krippendorff_alpha < 0
    said = ("labels 'NEG', 'Neg', 'neg'; 'NEU', 'Neu', 'neu'; 'POS', 'Pos', 'pos' differ only in case: ignoring case gives "
            "3 labels and alpha 0.799")  # "..., alpha 0.799 so" read as cut off before the next clause of the verdict
    assert result.notes == [said]
    [finding] = CHECK.judge(result, ctx)
    assert finding.status == Status.FAIL and finding.summary.endswith(f"is below 0.667; {said}")
    assert finding.action == ("Write each label one way (some differ only in case) in the export or the labelling tool's "
                              "label set, then audit again.")
    # one spelling: nothing said
    assert plain.case_variants == [] and plain.notes == []


def test_at_a_scaled_level_a_careless_rater_is_flagged_by_what_they_do_to_alpha(tmp_path):
    """Scores of 0-100: exact matches with the others' modal score are rare for everyone, careful or not, so
    agreement with the majority flagged nobody although alpha rose far without the careless rater."""
    from dataaudit.checks.agreement import CHECK
    from dataaudit.checks.base import Status

    rng = np.random.default_rng(7)
    truth = rng.uniform(0, 100, 80)
    scores = {name: np.clip(np.round(truth + rng.normal(0, sd, 80)), 0, 100).astype(int)
              for name, sd in (("r1", 8), ("r2", 8), ("r3", 8), ("careless", 40))}
    path = tmp_path / "scores.csv"
    path.write_text("id,text,r1,r2,r3,careless\n" + "".join(
        f"{i},essay {i}," + ",".join(str(scores[n][i]) for n in ("r1", "r2", "r3", "careless")) + "\n" for i in range(80)))
    fields = FieldsConfig(annotator_columns=["r1", "r2", "r3", "careless"], id="id")
    for level in ("interval", "ordinal", "ratio"):
        config = Config(fields=fields, agreement=AgreementConfig(level=level, bootstrap_resamples=0))
        ctx = _ctx(load_dataset(path, config), config)
        result = CHECK.measure(ctx)
        by_name = {s.annotator: s for s in result.annotators}
        assert [(s.annotator, s.flagged_by) for s in result.annotators if s.flagged] == [("careless", ("alpha",))], level
        assert by_name["careless"].alpha_without - result.krippendorff_alpha > 0.15
        assert by_name["careless"].own_alpha < min(by_name[r].own_alpha for r in ("r1", "r2", "r3")) - 0.15, level
        assert max(by_name[r].agreement_with_others for r in ("r1", "r2", "r3")) < 0.5  # exact matches: no help
    # the interval run's words
    config = Config(fields=fields, agreement=AgreementConfig(level="interval", bootstrap_resamples=0))
    ctx = _ctx(load_dataset(path, config), config)
    result = CHECK.measure(ctx)
    [finding] = CHECK.judge(result, ctx)
    careless = next(s for s in result.annotators if s.annotator == "careless")
    figure = (f"alpha on their ratings {careless.own_alpha:.3f} (alpha without them {careless.alpha_without:.3f}, "
              f"with them {result.krippendorff_alpha_unrounded:.3f})")
    assert finding.summary.endswith(f"; annotator careless pulls alpha down: {figure}")
    assert finding.action == f"Review annotator careless's labels ({figure}) and re-label or drop them; then adjudicate the disputed items."
    assert finding.status in (Status.WARN, Status.FAIL)
    # nominal: as before, by agreement with the others' majority alone
    config = Config(fields=fields, agreement=AgreementConfig(bootstrap_resamples=0))
    nominal = CHECK.measure(_ctx(load_dataset(path, config), config))
    assert not any(s.flagged for s in nominal.annotators)


def _crowd(tmp_path, raters: int, seed: int = 1):
    """300 items, 3 raters each drawn from `raters`: r00 answers 0-100 at random, the others truth +- N(0, 8)."""
    import random

    rng = random.Random(seed)
    names = [f"r{i:02d}" for i in range(raters)]
    rows = []
    for i in range(300):
        truth = rng.randint(10, 90)
        annotations = [{"annotator": r, "label": str(rng.randint(0, 100) if r == "r00" else min(100, max(0, round(rng.gauss(truth, 8)))))}
                       for r in rng.sample(names, 3)]
        rows.append({"id": i, "text": f"item {i}", "annotations": annotations})
    path = tmp_path / f"crowd{raters}.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_a_random_rater_in_a_crowd_of_15_is_flagged_by_their_own_alpha(tmp_path):
    """Alpha without one rater changes less the smaller their share: among 15 raters the random one moved alpha
    0.759 -> 0.891, under the 0.15 margin, and nobody was named. Their own alpha (1 - their disagreement with the
    others over the expected) does not shrink with the crowd."""
    config = Config(agreement=AgreementConfig(level="interval", bootstrap_resamples=0))
    for raters in (3, 15, 25):
        result = measure_agreement(load_dataset(_crowd(tmp_path, raters), config), config.agreement)
        by_name = {s.annotator: s for s in result.annotators}
        assert [(s.annotator, s.flagged_by) for s in result.annotators if s.flagged] == [("r00", ("alpha",))], raters
        assert by_name["r00"].own_alpha < 0, raters
        careful = [s.own_alpha for s in result.annotators if s.annotator != "r00"]
        assert min(careful) > (0.3 if raters == 3 else 0.7), raters
        # alpha is their own alphas averaged over the values they pair
        weighted = sum(s.own_alpha * s.items_compared for s in result.annotators) / sum(s.items_compared for s in result.annotators)
        assert weighted == pytest.approx(result.krippendorff_alpha_unrounded, abs=1e-3)
    assert result.annotators[0].annotator == "r00"


def test_a_free_text_headline_question_is_not_said_to_lack_overlap(tmp_path):
    """--question naming a textarea of an export where every task had three answers: the report said no item
    carries more than one annotation and asked for the overlap the export already had."""
    import json

    from dataaudit.api import audit
    from dataaudit.config import Config

    def answer(i, a):
        return {"id": 10 * i + a, "completed_by": a, "was_cancelled": False, "result": [
            {"from_name": "sentiment", "to_name": "text", "type": "choices", "value": {"choices": ["pos" if (i + a) % 3 else "neg"]}},
            {"from_name": "notes", "to_name": "text", "type": "textarea", "value": {"text": [f"note {i} by {a}"]}}]}

    tasks = [{"id": i, "data": {"text": f"some input text {i}"}, "annotations": [answer(i, a) for a in (1, 2, 3)]}
             for i in range(20)]
    path = tmp_path / "export.json"
    path.write_text(json.dumps(tasks), encoding="utf-8")
    config = Config()
    config.fields.question = "notes"
    report = audit(path, config, embed=False)
    (consistency,) = [c for c in report.verdict.conditions if c.id == "consistency"]
    assert consistency.status.value == "unknown"
    assert consistency.summary == ("the question read, 'notes' (textarea), is free text or spans, which agreement does "
                                   "not compare, so consistency cannot be judged")
    assert consistency.action == ("To judge label consistency, read a choice, rating or number question of the export "
                                  "(fields.question: 'sentiment').")
    assert consistency.evidence["items_with_multiple_labels"] is None


def test_a_free_text_question_is_not_counted_as_unanswered(tmp_path):
    """A textarea every task's three annotators filled in was listed with items 0, ratings 0, annotators 0: a lead
    read that nobody wrote a note. Its answers are not kept on the records, so its counts are null, not 0."""
    import json

    tasks = [{"id": i, "data": {"text": f"some input text {i}"}, "annotations": [
        {"id": 10 * i + a, "completed_by": a, "was_cancelled": False, "result": [
            {"from_name": "sentiment", "to_name": "text", "type": "choices", "value": {"choices": ["pos" if (i + a) % 3 else "neg"]}},
            {"from_name": "notes", "to_name": "text", "type": "textarea", "value": {"text": [f"note {i} by {a}"]}}]}
        for a in (1, 2, 3)]} for i in range(20)]
    path = tmp_path / "export.json"
    path.write_text(json.dumps(tasks), encoding="utf-8")
    config = Config(agreement=AgreementConfig(bootstrap_resamples=0))
    result = measure_agreement(load_dataset(path, config), config.agreement)
    by_question = {q.question: q for q in result.questions}
    notes = by_question["notes"]
    assert (notes.type, notes.level, notes.items, notes.items_multi, notes.ratings, notes.annotators, notes.krippendorff_alpha) == (
        "textarea", None, None, None, None, None, None)
    sentiment = by_question["sentiment"]
    assert (sentiment.items, sentiment.items_multi, sentiment.ratings, sentiment.annotators) == (20, 20, 60, 3)


def test_fleiss_kappa_and_ac1_say_why_they_are_not_given_at_a_scaled_level(tmp_path):
    """Three ratings on every item, and the section read "Fleiss' kappa n/a; Gwet's AC1 n/a", which the README
    gave as the mark of unequal rating counts: both are exact-match statistics, given at nominal level only."""
    from dataaudit.api import audit
    from dataaudit.render.sections.agreement import SECTION as AGREEMENT

    path = _crowd(tmp_path, 3)
    scaled = audit(path, Config(agreement=AgreementConfig(level="interval", bootstrap_resamples=0)), embed=False)
    a = scaled.checks["agreement"]
    assert (a.fleiss_kappa, a.gwet_ac1, a.items_multi, a.items) == (None, None, 300, 300)
    first = AGREEMENT.build(scaled).lines[0]
    assert first.endswith("; Fleiss' kappa and Gwet's AC1 n/a (nominal statistics; the question is judged at interval level)")
    nominal = audit(path, Config(agreement=AgreementConfig(bootstrap_resamples=0)), embed=False)
    n = nominal.checks["agreement"]
    assert n.fleiss_kappa is not None and n.gwet_ac1 is not None
    assert AGREEMENT.build(nominal).lines[0].endswith(f"; Fleiss' kappa {n.fleiss_kappa:.3f}; Gwet's AC1 {n.gwet_ac1:.3f}")


def test_set_answers_equal_but_for_case_are_case_variants_when_case_changes_their_order(tmp_path):
    """A set answer is a JSON array sorted case-sensitively: '["Zeta", "alpha"]' and '["alpha", "zeta"]' are one
    answer spelt two ways, and folding the whole string kept them apart, so no case variant was named."""
    import json

    def task(i):
        first = ["beta", "gamma"] if i % 3 == 0 else ["Zeta", "alpha"]
        second = ["beta", "gamma"] if i % 3 == 0 else ["zeta", "alpha"]
        return {"id": i + 1, "data": {"text": f"doc {i}"}, "annotations": [
            {"id": 10 * i + u, "completed_by": u, "result": [{"from_name": "topics", "to_name": "text", "type": "choices",
                                                             "value": {"choices": choices}}]}
            for u, choices in ((1, first), (2, second))]}

    path = tmp_path / "setcase.json"
    path.write_text(json.dumps([task(i) for i in range(12)]), encoding="utf-8")
    config = Config(agreement=AgreementConfig(bootstrap_resamples=0))
    result = measure_agreement(load_dataset(path, config), config.agreement)
    assert result.level == "set"
    assert result.case_variants == [['["Zeta", "alpha"]', '["alpha", "zeta"]']]
    assert result.krippendorff_alpha < 0.6 and result.alpha_case_folded == 1.0
    assert result.notes[-1] == ("labels '[\"Zeta\", \"alpha\"]', '[\"alpha\", \"zeta\"]' differ only in case: ignoring case "
                                "gives 2 labels and alpha 1.000")
