from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

from dataaudit.checks import Status, all_checks
from dataaudit.checks.agreement import measure_agreement
from dataaudit.checks.base import AuditContext
from dataaudit.checks.label_noise import CHECK, LabelNoiseConfig, agreement_is_primary, judge, measure
from dataaudit.config import AgreementConfig, Config, FieldsConfig, config_from_dict
from dataaudit.errors import ConfigError
from dataaudit.index import build_index
from dataaudit.load.dataset import load_dataset
from dataaudit.load.records import Dataset, Record
from dataaudit.render.suspects import render_suspects_csv, texts_by_line
from tests.conftest import SAMPLE, shared_dataset


def _context(records: list[Record], vectors: dict[str, np.ndarray], config: Config | None = None, results=None) -> AuditContext:
    dataset = Dataset("t", [], records, [], len(records), 0)
    index = build_index("train", dataset, lambda s: s.strip())
    dim = len(next(iter(vectors.values())))
    return AuditContext(config=config or Config(), train=index.with_vectors(vectors, dim), results=results or {})


def _records(texts: list[str], labels: list[str], fmt: str = "text_label") -> list[Record]:
    return [Record("train.jsonl", i + 1, fmt, t, None, label) for i, (t, label) in enumerate(zip(texts, labels))]


def _flip(labels: np.ndarray, n_labels: int, rate: float, seed: int) -> tuple[np.ndarray, set[int]]:
    rng = np.random.default_rng(seed)
    flipped = rng.choice(len(labels), int(round(rate * len(labels))), replace=False)
    noisy = labels.copy()
    for i in flipped:
        noisy[i] = rng.choice([k for k in range(n_labels) if k != labels[i]])
    return noisy, set(int(i) for i in flipped)


# Plumbing on synthetic, separable vectors: no model.

def _separable(seed: int = 0, per_label: int = 60, dim: int = 16):
    rng = np.random.default_rng(seed)
    names = ["billing", "shipping", "account"]
    texts, truth, table = [], [], {}
    for k, name in enumerate(names):
        for j in range(per_label):
            text = f"{name} {j}"
            vector = np.zeros(dim, dtype=np.float32)
            vector[k] = 1.0
            vector += rng.normal(0, 0.05, dim).astype(np.float32)
            table[text] = vector / np.linalg.norm(vector)
            texts.append(text)
            truth.append(name)
    return texts, truth, table


def test_separable_vectors_flag_exactly_the_planted_lines():
    texts, truth, table = _separable()
    labels = list(truth)
    planted = {5: "shipping", 70: "account", 130: "billing", 150: "shipping"}  # position -> wrong label
    for i, wrong in planted.items():
        labels[i] = wrong
    ctx = _context(_records(texts, labels), table, config_from_dict({"label_noise": {"warn_error_rate": 0.01}}))
    result = measure(ctx)
    assert result.reliable and result.reason == ""
    assert result.examples == 180 and result.labels == 3 and result.folds == 5
    assert result.baseline_accuracy == pytest.approx(61 / 180, abs=1e-4)
    assert result.cv_accuracy == pytest.approx(176 / 180, abs=1e-4)
    # 4 of 180 are wrong; the estimate is 7 / 180. The discriminant's probabilities spread the right rows'
    # confidence in their label more widely than the logistic regression's did, so fewer of them clear their
    # class's mean and cleanlab's calibration scales the 4 confident off-diagonal counts up (at 180 rows it
    # moves with the folds: 6 / 180 under the row-position folds before copies were grouped, 4-16 / 180
    # over seeds 0-9 now, 4-8 before). On real embeddings (benchmarks/results/label_noise_validity.md) the
    # estimates are as close as before or closer.
    assert result.estimated_error_rate == pytest.approx(7 / 180, abs=1e-3)
    assert {s["line"] for s in result.suspects} == {i + 1 for i in planted}
    assert result.suspects_total == 4
    for s in result.suspects:
        assert s["suggested"] == truth[s["line"] - 1] and s["label"] == planted[s["line"] - 1]
        assert s["file"] == "train.jsonl" and 0.5 < s["confidence"] <= 1 and 0 <= s["label_quality"] < s["confidence"]
    qualities = [s["label_quality"] for s in result.suspects]
    assert qualities == sorted(qualities)  # least believed given label first: the order a re-labelling queue takes
    assert sum(p["count"] for p in result.confused_pairs) == 4
    assert {(p["given"], p["suggested"]) for p in result.confused_pairs} == {
        ("shipping", "billing"), ("account", "shipping"), ("billing", "account"), ("shipping", "account")}
    assert {p["label"]: p["count"] for p in result.per_label} == {"billing": 60, "shipping": 61, "account": 59}
    lo, hi = result.error_rate_ci
    assert lo <= result.estimated_error_rate <= hi

    (finding,) = judge(result, ctx)
    assert finding.condition == "consistency" and finding.status is Status.WARN  # 2.2% >= warn 1%
    assert "train.jsonl lines" in finding.action
    assert all(str(i + 1) in finding.action for i in planted)
    json.dumps(finding.evidence)


def test_subsampled_bootstrap_interval_matches_the_full_one():
    texts, truth, table = _separable(per_label=100)
    noisy, _ = _flip(np.array([["billing", "shipping", "account"].index(t) for t in truth]), 3, 0.1, seed=4)
    records = _records(texts, [["billing", "shipping", "account"][k] for k in noisy])
    full = measure(_context(records, table, config_from_dict({"label_noise": {"bootstrap_resamples": 300}})))
    sub = measure(_context(records, table, config_from_dict({"label_noise": {"bootstrap_resamples": 300, "bootstrap_max_rows": 100}})))
    assert full.estimated_error_rate == sub.estimated_error_rate == pytest.approx(0.1, abs=0.02)
    full_width, sub_width = full.error_rate_ci[1] - full.error_rate_ci[0], sub.error_rate_ci[1] - sub.error_rate_ci[0]
    assert 0.6 < sub_width / full_width < 1.6
    assert sub.error_rate_ci[0] <= sub.estimated_error_rate <= sub.error_rate_ci[1]


def test_check_is_registered_after_agreement_and_reads_its_config():
    ids = [c.id for c in all_checks()]
    assert "label_noise" in ids
    assert CHECK.order == 45 and CHECK.config_section == ("label_noise", LabelNoiseConfig)
    assert Config().label_noise.fail_error_rate == 0.10
    assert config_from_dict({"label_noise": {"fail_error_rate": 0.2}}).label_noise.fail_error_rate == 0.2
    with pytest.raises(ConfigError, match="warn_error_rate"):
        config_from_dict({"label_noise": {"warn_error_rate": 0.3, "fail_error_rate": 0.2}})


def test_suspects_csv_lists_every_flagged_line_with_excerpted_text():
    texts, truth, table = _separable()
    labels = list(truth)
    labels[5] = "shipping"
    labels[70] = "account"
    records = _records(texts, labels)
    records[5] = Record("train.jsonl", 6, "text_label", texts[5], None, "shipping")
    ctx = _context(records, table, config_from_dict({"label_noise": {"suspects_limit": 1}}))
    result = measure(ctx)
    assert len(result.suspects) == 1 and result.suspects_total == 2
    lookup = texts_by_line(records)
    lookup[("train.jsonl", 6)] = "billing 5 \x1b[31m *x*, \"quoted\""  # hostile text, as a file might hold it
    rows = list(csv.reader(io.StringIO(render_suspects_csv(result, lookup))))
    assert rows[0] == ["file", "line", "text", "given_label", "suggested_label", "confidence", "label_quality"]
    assert sorted(r[1] for r in rows[1:]) == ["6", "71"]
    row = next(r for r in rows[1:] if r[1] == "6")
    assert row[2] == 'billing 5 \\x1b[31m *x*, "quoted"'  # control visible, Markdown kept, CSV-quoted
    assert row[3:5] == ["shipping", "billing"]
    assert float(row[6]) < float(row[5])  # the given label believed less than the suggestion


def test_an_unreliable_estimate_lists_no_suspects_in_the_csv_or_the_report_sections():
    texts, _, table = _separable()
    random_labels = np.random.default_rng(3).choice(["yes", "no"], len(texts)).tolist()  # nothing to learn
    records = _records(texts, random_labels)
    result = measure(_context(records, table))
    assert not result.reliable and result.suspects_total > 0  # the classifier still disagrees with many labels
    rows = list(csv.reader(io.StringIO(render_suspects_csv(result, texts_by_line(records)))))
    assert rows == [["file", "line", "text", "given_label", "suggested_label", "confidence", "label_quality"]]
    from dataaudit.render.sections.label_noise import _build

    class _Report:
        checks = {"label_noise": result}

    content = _build(_Report())
    assert content.tables == [] and content.lines[0].startswith("label noise not estimated reliably: ")
    assert f"its {result.suspects_total} disagreements with the labels are not listed" in content.lines[1]


def test_free_text_targets_are_not_estimated():
    rng = np.random.default_rng(0)
    texts = [f"question {i}" for i in range(60)]
    answers = [f"a long free-text answer number {i} that explains the steps to take in some detail" for i in range(60)]
    records = [Record("chat.jsonl", i + 1, "chat", t, a, None) for i, (t, a) in enumerate(zip(texts, answers))]
    table = {t: rng.normal(size=8).astype(np.float32) for t in texts}
    ctx = _context(records, table)
    result = measure(ctx)
    assert not result.reliable and result.cv_accuracy is None
    assert result.reason == "a target of 80 characters (longer than 64): label noise is estimated for at most 200 labels of at most 64 characters"
    (finding,) = judge(result, ctx)
    assert finding.status is Status.UNKNOWN and "a target of 80 characters" in finding.summary


def test_chat_targets_from_a_small_set_are_labels():
    texts, truth, table = _separable()
    records = [Record("chat.jsonl", i + 1, "chat", t, label, None) for i, (t, label) in enumerate(zip(texts, truth))]
    result = measure(_context(records, table))
    assert result.reliable and result.labels == 3 and result.suspects_total == 0


def test_rare_labels_are_left_out_and_named():
    texts, truth, table = _separable()
    texts, truth = texts + ["odd one", "odd two"], truth + ["warranty", "warranty"]
    table.update({"odd one": table["billing 0"], "odd two": table["billing 1"]})
    result = measure(_context(_records(texts, truth), table))
    assert result.excluded_labels == [{"label": "warranty", "count": 2}]
    assert result.examples == 180 and result.reliable


def test_multi_annotator_data_leaves_consistency_to_agreement():
    config = Config(fields=FieldsConfig(annotator="annotator", id="item_id"))
    agreement = measure_agreement(load_dataset(SAMPLE / "annotation_batch.csv", config), AgreementConfig(bootstrap_resamples=0))
    assert agreement.items_multi > 0
    texts, truth, table = _separable()
    ctx = _context(_records(texts, truth), table, results={"agreement": agreement})
    assert agreement_is_primary(ctx)
    result = measure(ctx)
    assert result.reliable  # measured and reported beside agreement ...
    assert judge(result, ctx) == []  # ... but contributes no consistency finding
    assert not agreement_is_primary(_context(_records(texts, truth), table, results={"agreement": None}))


# Real data: CLINC150 queries with labels flipped at known rates.

@pytest.fixture(scope="module")
def clinc(embedder):
    data = json.loads((shared_dataset("clinc150") / "data_full.json").read_text(encoding="utf-8"))
    rng = np.random.default_rng(0)
    intents = sorted({intent for _, intent in data["train"]})
    chosen = sorted(rng.choice(intents, 30, replace=False).tolist())
    texts, labels = [], []
    for k, intent in enumerate(chosen):
        queries = [t for t, y in data["train"] if y == intent][:40]
        texts += queries
        labels += [k] * len(queries)
    vectors = embedder.embed(texts)
    return texts, np.array(labels), chosen, dict(zip(texts, vectors))


# Measured (30 intents x 40 queries, flips seeded 1), shared-covariance discriminant, copies in one fold and
# folds by a seeded hash: estimates 0.080 / 0.137, precision 1.00 / 0.99, recall 0.89 / 0.82 (row-position
# folds before: 0.077 / 0.138, 1.00 / 0.99, 0.88 / 0.82). With the logistic regression before it: 0.082 /
# 0.139, precision 1.00 / 1.00, recall 0.82 / 0.80.
# The bounds below leave room for library drift, not for a broken method.
@pytest.mark.parametrize("rate, status", [(0.0, Status.PASS), (0.08, Status.WARN), (0.15, Status.FAIL)])
def test_clinc150_flipped_labels_are_estimated_and_found(clinc, rate, status):
    texts, truth, names, table = clinc
    noisy, flipped = _flip(truth, len(names), rate, seed=1)
    ctx = _context(_records(texts, [names[k] for k in noisy]), table)
    result = measure(ctx)
    assert result.reliable, result.reason
    assert result.cv_accuracy > 0.75 and result.baseline_accuracy < 0.05
    assert abs(result.estimated_error_rate - rate) <= 0.03
    lo, hi = result.error_rate_ci
    assert lo <= result.estimated_error_rate <= hi and hi - lo < 0.06
    found = {s["line"] - 1 for s in result.all_suspects}
    if rate == 0:
        assert len(found) <= 0.01 * len(texts)
    else:
        true_positives = len(found & flipped)
        assert true_positives / len(found) >= 0.9  # precision
        assert true_positives / len(flipped) >= 0.7  # recall
        confidently_misled = [s for s in result.all_suspects if s["line"] - 1 in flipped
                              and s["suggested"] != names[truth[s["line"] - 1]] and s["confidence"] >= 0.5]
        assert len(confidently_misled) <= 0.01 * true_positives  # the suggestion is the true label, or hedged
    (finding,) = judge(result, ctx)
    assert finding.status is status


def _flip_to_sibling(labels: np.ndarray, vectors: np.ndarray, rate: float, seed: int) -> tuple[np.ndarray, set[int]]:
    """Wrong labels an annotator would give: each flipped query gets the intent whose centroid is nearest its own."""
    centroids = np.stack([vectors[labels == k].mean(axis=0) for k in range(labels.max() + 1)])
    centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
    similarity = centroids @ centroids.T
    np.fill_diagonal(similarity, -np.inf)
    flipped = np.random.default_rng(seed).choice(len(labels), int(round(rate * len(labels))), replace=False)
    noisy = labels.copy()
    noisy[flipped] = similarity.argmax(axis=1)[labels[flipped]]
    return noisy, set(int(i) for i in flipped)


# Measured (30 intents x 40 queries, flips to the nearest intent seeded 1): 7.5% -> estimated 7.2%, 15% -> 14.6%;
# precision 0.96 / 0.94, recall 0.87 / 0.89 (row-position folds before: 6.7% / 14.5%, 0.99 / 0.93, 0.82 / 0.86). benchmarks/label_noise_validity.py runs this kind of error, and others,
# on all of CLINC150's and Banking77's intents.
@pytest.mark.parametrize("rate, status", [(0.075, Status.WARN), (0.15, Status.FAIL)])
def test_clinc150_labels_swapped_with_a_sibling_intent_are_estimated_and_found(clinc, rate, status):
    texts, truth, names, table = clinc
    noisy, flipped = _flip_to_sibling(truth, np.stack([table[t] for t in texts]), rate, seed=1)
    ctx = _context(_records(texts, [names[k] for k in noisy]), table)
    result = measure(ctx)
    found = {s["line"] - 1 for s in result.all_suspects}
    true_positives = len(found & flipped)
    assert result.reliable, result.reason
    assert abs(result.estimated_error_rate - rate) <= 0.03
    assert true_positives / len(found) >= 0.8  # precision
    assert true_positives / len(flipped) >= 0.6  # recall
    (finding,) = judge(result, ctx)
    assert finding.status is status


def test_guard_when_the_embeddings_cannot_learn_the_labels(clinc):
    texts, _, _, table = clinc
    random_labels = np.random.default_rng(7).choice(["yes", "no"], len(texts))
    ctx = _context(_records(texts, list(random_labels)), table)
    result = measure(ctx)
    assert not result.reliable and "cannot learn" in result.reason
    assert result.cv_accuracy < result.baseline_accuracy + 0.5 * (1 - result.baseline_accuracy)
    (finding,) = judge(result, ctx)
    assert finding.status is Status.UNKNOWN  # never fails the condition on an estimate it cannot trust
    assert "second annotation" in finding.action


def test_sample_tickets_planted_wrong_labels_are_the_top_suspects(embedder):
    from dataaudit.normalize import normalize_text

    config = Config()
    dataset = load_dataset(SAMPLE / "support_tickets.jsonl", config)
    index = build_index("train", dataset, lambda s: normalize_text(s, config.duplicates))
    ctx = AuditContext(config=config, train=index.with_vectors(dict(zip(index.distinct, embedder.embed(index.embed_texts))), 384))
    result = measure(ctx)
    assert result.reliable and result.excluded_labels == [{"label": "warranty_claim", "count": 5}]
    flagged = {s["line"]: (s["label"], s["suggested"]) for s in result.all_suspects}
    planted = {3: ("shipping", "technical"), 12: ("returns", "shipping"), 63: ("billing", "returns"),
               150: ("shipping", "billing"), 208: ("shipping", "account")}  # sample_data/make_sample.py
    assert {line: flagged.get(line) for line in planted} == planted
    # Beside them: the planted conflicting copies (C0022, C0099, C0201), and lines 5 and 72, two rewordings of
    # planted line 3's ticket ("notifications stopped working") under its right label, technical: they share a
    # fold (copies are grouped, rewordings are not) and the model that scores them learned line 3's rewording
    # as shipping, the only other one it saw.
    assert set(flagged) - set(planted) <= {261, 262, 263, 5, 72}
    assert all(flagged[line] == ("technical", "shipping") for line in {5, 72} & set(flagged))
    (finding,) = judge(result, ctx)
    assert finding.status is Status.PASS and 0.02 <= result.estimated_error_rate < 0.05


def _clustered_with_copies():
    """4 labels x 40 inputs on 64-d vectors around one centre per label (a classifier on them is about 95%
    right); 8 inputs get the next label, and each of those wrong records is repeated twice at the end."""
    names = ["account", "billing", "returns", "shipping"]
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(4, 64))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    texts, labels, table = [], [], {}
    for k, name in enumerate(names):
        for j in range(40):
            vector = centres[k] + rng.normal(0, 0.12, 64)
            texts.append(f"{name} ticket {j}")
            labels.append(name)
            table[texts[-1]] = (vector / np.linalg.norm(vector)).astype(np.float32)
    wrong = rng.choice(len(texts), 8, replace=False)
    for i in wrong:
        labels[i] = names[(names.index(labels[i]) + 1) % 4]
    texts += [texts[i] for i in wrong for _ in range(2)]
    labels += [labels[i] for i in wrong for _ in range(2)]
    return texts, labels, table, {texts[i] for i in wrong}


def test_copies_of_a_wrong_label_do_not_vouch_for_each_other():
    texts, labels, table, wrong = _clustered_with_copies()
    result = measure(_context(_records(texts, labels), table))
    wrong_lines = {line for line, text in enumerate(texts, 1) if text in wrong}
    assert len(wrong_lines) == 24 and len(texts) == 176
    # Before copies were kept in one fold, two copies of each wrong record sat in the models that scored the
    # third: 2 of the 8 wrong inputs were flagged and the estimate read 3.4% for 24 of 176 (13.6%) wrong.
    assert {s["line"] for s in result.all_suspects} == wrong_lines
    assert result.reliable and abs(result.estimated_error_rate - 24 / 176) <= 0.04


def test_shuffled_rows_give_the_same_estimate_and_suspects():
    texts, labels, table, _ = _clustered_with_copies()
    result = measure(_context(_records(texts, labels), table))
    by_input = sorted((texts[s["line"] - 1], s["label"], s["suggested"], s["label_quality"]) for s in result.all_suspects)
    for seed in (1, 2):  # under the row-position folds both orders moved the estimate (4.5%, 3.4%) and the suspects
        order = np.random.default_rng(seed).permutation(len(texts))
        shuffled = measure(_context(_records([texts[i] for i in order], [labels[i] for i in order]), table))
        assert shuffled.estimated_error_rate_unrounded == result.estimated_error_rate_unrounded
        assert shuffled.error_rate_ci == result.error_rate_ci and shuffled.cv_accuracy == result.cv_accuracy
        assert sorted((texts[order[s["line"] - 1]], s["label"], s["suggested"], s["label_quality"])
                      for s in shuffled.all_suspects) == by_input


def _unreliable():
    import dataclasses

    from dataaudit.checks.label_noise import _not_estimated

    return dataclasses.replace(_not_estimated("the classifier cannot learn the labels"), cv_accuracy=0.5, baseline_accuracy=0.5)


def test_an_unreliable_estimate_asks_for_a_second_annotation_in_a_sentence_of_its_own_unless_agreement_asked():
    (finding,) = judge(_unreliable(), AuditContext(config=Config(), train=None))
    assert finding.action == "Collect a second annotation on a sample of items (at least 2 per item) so agreement can be measured."
    # The agreement check ran and found no item with two annotations: its own action on this condition asks for
    # them already, and the verdict joins both actions, so this one says nothing more.
    (finding,) = judge(_unreliable(), AuditContext(config=Config(), train=None, results={"agreement": None}))
    assert finding.action == ""


def test_several_training_files_name_the_file_of_each_flagged_line():
    import dataclasses

    from dataaudit.render.sections.label_noise import _build
    from dataaudit.report import InputSummary

    suspects = [{"file": "b.jsonl", "line": 13, "label": "x", "suggested": "y", "confidence": 0.9},
                {"file": "a.jsonl", "line": 4, "label": "y", "suggested": "x", "confidence": 0.8}]
    result = dataclasses.replace(_unreliable(), reliable=True, reason="", estimated_error_rate=0.02, classifier="lda",
                                 baseline_accuracy=0.4, cv_accuracy=0.9, suspects=suspects, suspects_total=2)

    class _Report:
        checks = {"label_noise": result}
        inputs = [InputSummary("train", "a.jsonl", "", 10), InputSummary("train", "b.jsonl", "", 10)]

    assert _build(_Report()).lines[1] == "2 lines flagged: b.jsonl:13, a.jsonl:4"
    _Report.inputs = _Report.inputs[:1]
    assert _build(_Report()).lines[1] == "2 lines flagged: 13, 4"


def test_suspects_csv_sanitises_every_cell_and_neutralises_spreadsheet_formulas():
    import dataclasses

    suspects = [{"file": "=HYPERLINK(\"http://evil.test\")\x1b[31m.jsonl", "line": 3, "label": "bob@evil-label.com\u202e",
                 "suggested": "+cmd|' /C calc'!A0", "confidence": 0.9, "label_quality": 0.05},
                {"file": "a.jsonl", "line": 4, "label": "@SUM(1+1)", "suggested": "-2+3", "confidence": 0.8}]  # as an older cache holds it
    result = dataclasses.replace(_unreliable(), reliable=True, suspects=suspects, all_suspects=suspects, suspects_total=2)
    lookup = {(suspects[0]["file"], 3): "=1+1 call alice.smith@example.com", ("a.jsonl", 4): "\tplain"}
    rows = list(csv.reader(io.StringIO(render_suspects_csv(result, lookup))))
    assert rows[1] == ["'=HYPERLINK(\"http://evil.test\")\\x1b[31m.jsonl", "3", "'=1+1 call <EMAIL ….com #7dcd>",
                       "<EMAIL ….com #a97a>\\u202e", "'+cmd|' /C calc'!A0", "0.9000", "0.0500"]
    assert rows[2] == ["a.jsonl", "4", "plain", "'@SUM(1+1)", "'-2+3", "0.8000", ""]


@pytest.mark.parametrize("size", [3000, 1200])
def test_resample_error_rates_are_cleanlabs_to_the_last_bit(size):
    # The bootstrap counts each resample without copying its rows: every rate must equal cleanlab's
    # estimate_joint on the copied resample exactly, not approximately (reports are compared byte for byte).
    from scipy.special import softmax

    from dataaudit.checks.label_noise import _error_rate, resample_error_rates

    rng = np.random.default_rng(3)
    n, n_labels = 3000, 12
    truth = rng.integers(0, n_labels, n)
    labels, _ = _flip(truth, n_labels, 0.15, 4)
    scores = rng.normal(size=(n, n_labels)) + 3.0 * np.eye(n_labels)[truth]
    probabilities = softmax(scores / rng.uniform(0.5, 2.0), axis=1)
    samples = [rng.integers(0, n, size) for _ in range(25)]
    samples = [s for s in samples if np.bincount(labels[s], minlength=n_labels).all()]
    assert samples
    expected = [_error_rate(labels[s], probabilities[s])[0] for s in samples]
    assert resample_error_rates(labels, probabilities, n_labels, samples) == expected


def test_a_reused_discriminant_fit_is_a_fresh_fit():
    # Coverage reads label noise's out-of-fold fit when the inputs are equal: the scores (and a new set's
    # scores under the all-rows model) must be those a fresh fit gives, and other inputs must not read it.
    from threadpoolctl import threadpool_limits

    from dataaudit import discriminant
    from dataaudit.discriminant import discriminant_scores, stratified_folds, temperature

    rng = np.random.default_rng(5)
    labels = rng.integers(0, 6, 600)
    vectors = (rng.normal(size=(600, 16)) + 2.0 * np.eye(6, 16)[labels]).astype(np.float32)
    new = rng.normal(size=(40, 16)).astype(np.float32)
    fold_of = stratified_folds(labels, 5, 0)
    with threadpool_limits(1):
        first, _ = discriminant_scores(vectors, labels, 6, 5, fold_of, np.arange(600))
        scale = temperature(first, labels)
        again, on_new = discriminant_scores(vectors.copy(), labels.copy(), 6, 5, fold_of.copy(), np.arange(600), new)
        assert again is first and temperature(again, labels.copy()) == scale
        discriminant._LAST_FIT.clear()
        discriminant._LAST_TEMPERATURE.clear()
        fresh, fresh_new = discriminant_scores(vectors, labels, 6, 5, fold_of, np.arange(600), new)
        assert np.array_equal(fresh, first) and np.array_equal(fresh_new, on_new) and temperature(fresh, labels) == scale
        other, _ = discriminant_scores(vectors[::-1].copy(), labels[::-1].copy(), 6, 5, fold_of, np.arange(600))
        assert other is not fresh


# Wording: what the summary and the section say about the labels the estimate left out.

def _reliable(**changes):
    import dataclasses

    base = dict(reliable=True, reason="", estimated_error_rate=0.0016, error_rate_ci=[0.0, 0.0065], classifier="lda",
                baseline_accuracy=0.27, cv_accuracy=0.985, suspects=[{"file": "t.jsonl", "line": 9, "label": "a", "suggested": "b",
                                                                       "confidence": 0.9, "label_quality": 0.1}],
                suspects_total=1, examples=613, labels=6, per_label=[], confused_pairs=[])
    return dataclasses.replace(_unreliable(), **{**base, **changes})


def _rare(count: int) -> list[dict]:
    return [{"label": f"rare{i}", "count": 1} for i in range(count)]


def test_a_pass_over_a_minority_of_the_labels_is_a_warning_that_says_how_many_were_left_out():
    # hostile/out: 6 labels estimated, 27 left out with one example each; 0.2% alone would pass
    (finding,) = judge(_reliable(excluded_labels=_rare(27)), AuditContext(config=Config(), train=None))
    assert finding.status is Status.WARN
    assert finding.summary.endswith("1 line flagged; estimated over 6 of 33 labels (613 of 640 examples): 27 labels with "
                                    "fewer than 10 examples each (27 examples) left out (the estimate covers a minority of the labels)")
    assert finding.action.startswith("Collect at least 10 examples for each left-out label")
    assert "rare0 (1), rare1 (1), rare2 (1), rare3 (1), rare4 (1) and 22 more." in finding.action
    assert (finding.evidence["labels_estimated"], finding.evidence["labels_left_out"], finding.evidence["examples_left_out"]) == (6, 27, 27)


def test_a_pass_over_most_labels_still_passes_and_names_the_few_left_out():
    (finding,) = judge(_reliable(excluded_labels=_rare(2), suspects_total=3), AuditContext(config=Config(), train=None))
    assert finding.status is Status.PASS and finding.action == ""
    assert "3 lines flagged; estimated over 6 of 8 labels (613 of 615 examples): 2 labels with fewer than 10" in finding.summary
    (whole,) = judge(_reliable(), AuditContext(config=Config(), train=None))
    assert "estimated over" not in whole.summary and whole.evidence["labels_left_out"] == 0


def test_reliable_and_unreliable_findings_carry_the_same_evidence_keys():
    (reliable,) = judge(_reliable(), AuditContext(config=Config(), train=None))
    (unreliable,) = judge(_unreliable(), AuditContext(config=Config(), train=None))
    assert set(reliable.evidence) == set(unreliable.evidence)
    assert unreliable.evidence["estimated_error_rate"] is None and reliable.evidence["estimated_error_rate"] == 0.0016


def test_the_section_says_one_line_flagged_and_what_was_left_out():
    from dataaudit.render.sections.label_noise import _build

    class _Report:
        checks = {"label_noise": _reliable(excluded_labels=_rare(27))}
        inputs = []
        config = {"label_noise": {"min_examples_per_label": 10}}

    lines = _build(_Report()).lines
    assert lines[1] == "1 line flagged: 9"
    assert lines[2] == "estimated over 6 of 33 labels (613 of 640 examples): 27 labels with fewer than 10 examples each (27 examples) left out"


def test_an_unreliable_estimate_with_no_disagreement_does_not_speak_of_its_0_disagreements():
    # hostile2/out: the left-out labels made it unreliable; the classifier learnt the other 3 perfectly
    result = _reliable(reliable=False, reason="90.7% of the examples carry labels with fewer than 10 examples each, too few to learn",
                       cv_accuracy=1.0, baseline_accuracy=0.42, estimated_error_rate=0.0, suspects=[], suspects_total=0,
                       examples=38, labels=3, excluded_labels=_rare(4))
    from dataaudit.render.sections.label_noise import _build

    class _Report:
        checks = {"label_noise": result}
        inputs = []

    lines = _build(_Report()).lines
    assert lines[0].startswith("label noise not estimated reliably: 90.7%")
    assert lines[1] == ("over the labels it could learn, the classifier (lda) reached 100.0% cross-validated accuracy against a "
                        "majority baseline of 42.0%; it disagreed with none of their labels")
    assert "0 disagreements" not in " ".join(lines) and lines[2].startswith("estimated over 3 of 7 labels")


# Thresholds: judged on the rate as estimated, never on its rounding.

@pytest.mark.parametrize("unrounded, status, shown", [(0.049996, Status.PASS, "4.9996% "), (0.05, Status.WARN, "5.0% "),
                                                      (0.09996, Status.WARN, "9.996% "), (0.1000004, Status.FAIL, "10.00004% ")])
def test_the_rate_is_judged_unrounded_and_worded_apart_from_its_bound(unrounded, status, shown):
    # 0.049996 is stored as 0.05 (4 places): judging that would warn at warn_error_rate 0.05
    result = _reliable(estimated_error_rate=round(unrounded, 4), estimated_error_rate_unrounded=unrounded)
    (finding,) = judge(result, AuditContext(config=Config(), train=None))
    assert finding.status is status
    assert finding.evidence["estimated_error_rate"] == round(unrounded, 4)
    assert finding.evidence["estimated_error_rate_unrounded"] == unrounded
    assert finding.summary.startswith(f"an estimated {shown}of labels are wrong")


def test_a_rate_a_float_sum_leaves_a_hair_under_its_bound_is_the_bound():
    """3 of 30 labels wrong comes out of 1 - trace(joint) as 0.09999999999999998: the fail bound, not under it."""
    rate = 1 - sum([0.9 / 30] * 30)
    assert rate != 0.1 and abs(rate - 0.1) < 1e-15
    result = _reliable(estimated_error_rate=round(rate, 4), estimated_error_rate_unrounded=rate)
    (finding,) = judge(result, AuditContext(config=Config(), train=None))
    assert finding.status is Status.FAIL
    assert finding.summary.startswith("an estimated 10.0% of labels are wrong")


def test_measure_keeps_the_unrounded_rate_beside_the_rounded_one():
    texts, truth, table = _separable()
    labels = list(truth)
    labels[5], labels[70] = "shipping", "account"
    result = measure(_context(_records(texts, labels), table))
    assert result.estimated_error_rate_unrounded is not None
    assert result.estimated_error_rate == round(result.estimated_error_rate_unrounded, 4)
    (unreliable,) = judge(_unreliable(), AuditContext(config=Config(), train=None))
    assert unreliable.evidence["estimated_error_rate_unrounded"] is None


@pytest.mark.parametrize("value, bounds, text", [(0.0016, (0.05, 0.1), "0.2%"), (0.049996, (0.05,), "4.9996%"),
                                                 (0.1, (0.1,), "10.0%"), (0.75005, (0.75,), "75.005%"), (1.0, (0.5,), "100.0%"),
                                                 (0.0, (0.5,), "0.0%"), (-0.00026, (0.0,), "-0.03%"),
                                                 (1 / 3, (1 / 3,), "33.3%")])
def test_a_percent_is_written_with_the_places_that_separate_it_from_its_bounds(value, bounds, text):
    from dataaudit.digits import percent_text

    assert percent_text(value, *bounds) == text


def _suspects(lines: list[int]) -> list[dict]:
    return [{"file": "t.jsonl", "line": line, "label": "a", "suggested": "b", "confidence": 0.9, "label_quality": 0.1}
            for line in lines]


def test_the_section_says_it_names_only_the_first_ten_flagged_lines_and_where_all_are():
    from dataaudit.render.sections.label_noise import _build

    def flagged_line(result, formats=None) -> str:
        class _Report:
            checks = {"label_noise": result}
            inputs = []
            config = {}

        return _build(_Report(), formats).lines[1]

    every = _reliable(suspects=_suspects(list(range(100, 124))), suspects_total=24)
    assert flagged_line(every) == ("24 lines flagged, the first 10 of them (least believed label first): "
                                   "100, 101, 102, 103, 104, 105, 106, 107, 108, 109; all of them in report.json and --suspects FILE.csv")
    capped = _reliable(suspects=_suspects(list(range(100, 120))), suspects_total=240)  # suspects_limit 20
    assert flagged_line(capped).endswith("109; the first 20 in report.json, all of them in --suspects FILE.csv")
    assert flagged_line(every, ("md",)).endswith("109; all of them in --suspects FILE.csv")
    assert flagged_line(_reliable(suspects=_suspects([5, 3]), suspects_total=2)) == "2 lines flagged: 5, 3"


def test_the_unreliable_reason_writes_an_accuracy_just_under_its_bar_with_the_places_that_tell_them_apart():
    from dataaudit.checks.label_noise import _unreliable_reason

    # 910/1200 against a bar of 0.0425 + 0.7477 x 0.9575 = 0.75842: "75.8% ... needs 75.8%" read as met.
    config = LabelNoiseConfig(min_lift=0.7477)
    reason = _unreliable_reason(910 / 1200, 51 / 1200, 0.0, config)
    assert "accuracy 75.8% against 4.2%" in reason and "needs 75.84%" in reason
    excluded = _unreliable_reason(0.9, 0.1, 0.1004, LabelNoiseConfig(max_excluded_share=0.10))
    assert excluded.startswith("10.04% of the examples")


def test_the_error_rate_of_a_joint_whose_trace_sums_past_one_is_zero_not_minus_zero():
    from dataaudit.checks.label_noise import _off_diagonal

    joint = np.diag([0.1] * 10)  # ten float tenths sum to 0.9999999999999999; scaled past 1 they read -2e-16
    joint = joint / np.trace(joint) * (1 + 2e-16)
    assert float(1.0 - np.trace(joint)) < 0
    rate = _off_diagonal(joint)
    assert rate == 0.0 and str(rate) == "0.0"
    assert _off_diagonal(np.array([[0.45, 0.05], [0.1, 0.4]])) == pytest.approx(0.15)
