"""Duplicates, conflicts and leakage on data with planted problems (real default model)."""

from __future__ import annotations

from dataaudit.api import audit
from dataaudit.config import Config
from dataaudit.load.dataset import load_dataset
from dataaudit.checks.duplicates import measure_duplicates
from dataaudit.normalize import normalize_text
from tests.conftest import write_jsonl

TRAIN = [
    {"text": "How do I reset my password?", "label": "account"},               # 1
    {"text": "  how do I   reset my PASSWORD? ", "label": "account"},          # 2 case/whitespace variant of 1
    {"text": "What is the weather in Paris today?", "label": "weather"},       # 3
    {"text": "How do I reset my password?", "label": "account"},               # 4 exact copy of 1
    {"text": "Where is my parcel? It was due on Monday.", "label": "shipping"},  # 5
    {"text": "Where is my parcell? It was due on Monday.", "label": "shipping"},  # 6 typo copy of 5
    {"text": "Please cancel my subscription", "label": "billing"},             # 7
    {"text": "please cancel my subscription", "label": "account"},             # 8 conflict with 7
    {"text": "Play some relaxing jazz music", "label": "music"},               # 9
    {"text": "Play relaxing jazz music please", "label": "music"},            # 10 reworded copy of 9 (cosine 0.95)
    {"text": "What is the weather like in Tokyo tomorrow?", "label": "weather"},  # 11 related to 3, not a copy
    {"text": "How do I change the email on my account?", "label": "account"},  # 12 related to 1, not a copy
    {"text": "I lost my credit card yesterday", "label": "cards"},             # 13
    {"text": "I would like to order a new credit card", "label": "cards"},     # 14 related to 13
]
EVAL = [
    {"text": "what is the weather in paris today?", "label": "weather"},       # 1 leaks train 3 (case variant)
    {"text": "How do I book a table for two tonight?", "label": "dining"},    # 2 clean
    {"text": "Play relaxing jazz music please!", "label": "music"},           # 3 near leak of train 10
    {"text": "Which museums are open on Sunday?", "label": "travel"},          # 4 clean
]


def groups_by_lines(groups):
    return {tuple(g.lines): g for g in groups}


def run(tmp_path, embedder, config=None):
    config = config or Config()
    train = load_dataset(write_jsonl(tmp_path / "train.jsonl", TRAIN), config)
    eval_data = load_dataset(write_jsonl(tmp_path / "eval.jsonl", EVAL), config, role="eval")
    keys = [normalize_text(r.input_text, config.duplicates) for r in train.records]
    eval_keys = [normalize_text(r.input_text, config.duplicates) for r in eval_data.records]
    vectors = embedder.embed(list(dict.fromkeys(keys)))
    eval_vectors = embedder.embed(list(dict.fromkeys(eval_keys)))
    return measure_duplicates(train, keys, vectors, config.duplicates, eval_set=(eval_data, eval_keys, eval_vectors))


def test_planted_exact_case_whitespace_typo_and_paraphrase_copies_are_found(tmp_path, embedder):
    result = run(tmp_path, embedder)
    exact = groups_by_lines(result.exact_groups)
    assert set(exact) == {(1, 2, 4), (7, 8)}
    assert exact[(1, 2, 4)].keep == 1 and exact[(1, 2, 4)].same_target
    near = groups_by_lines(result.near_groups)
    assert set(near) == {(5, 6), (9, 10)}
    assert "lexical" in near[(5, 6)].methods
    assert near[(9, 10)].methods == ["semantic"]


def test_related_but_different_texts_are_not_grouped(tmp_path, embedder):
    result = run(tmp_path, embedder)
    grouped = {line for g in result.exact_groups + result.near_groups for line in g.lines}
    assert not grouped & {3, 11, 12, 13, 14}


def test_conflicting_labels_and_summary_figures(tmp_path, embedder):
    result = run(tmp_path, embedder)
    (conflict,) = result.conflicts
    assert conflict.lines == [7, 8] and sorted(conflict.labels) == ["account", "billing"] and conflict.kind == "exact"
    # Groups {1,2,4}, {7,8}, {5,6}, {9,10}: 9 records, 4 kept, 5 dropped.
    assert result.duplicate_records == 5 and result.usable == 9
    assert result.duplicate_share == round(5 / 14, 6)


def test_eval_leakage_names_both_lines(tmp_path, embedder):
    result = run(tmp_path, embedder)
    leaks = {(l.eval_line, l.train_line, l.kind) for l in result.leakage}
    assert leaks == {(1, 3, "exact"), (3, 10, "semantic")}
    assert result.eval_records == 4


def test_lexical_pass_can_be_switched_off(tmp_path, embedder):
    config = Config()
    config.duplicates.lexical = False
    near = groups_by_lines(run(tmp_path, embedder, config).near_groups)
    assert (5, 6) not in near or "lexical" not in near[(5, 6)].methods


def test_audit_without_embeddings_still_finds_exact_and_lexical_copies(tmp_path):
    path = write_jsonl(tmp_path / "train.jsonl", TRAIN)
    report = audit(path, Config(), embed=False)
    d = report.checks["duplicates"]
    assert {tuple(g.lines) for g in d.exact_groups} == {(1, 2, 4), (7, 8)}
    assert {tuple(g.lines) for g in d.near_groups} == {(5, 6)}
    assert report.checks["coverage"] is None


def test_production_overlap_is_information(tmp_path, embedder):
    prod = write_jsonl(tmp_path / "prod.jsonl", [{"text": "How do I reset my password?"}, {"text": "brand new question"}])
    report = audit(write_jsonl(tmp_path / "train.jsonl", TRAIN), Config(), production=prod, embedder=embedder)
    d = report.checks["duplicates"]
    assert d.production_overlap == 1 and d.production_overlap_examples[0].train_line == 1


def test_typo_copy_in_the_eval_set_is_lexical_leakage(tmp_path):
    train = write_jsonl(tmp_path / "train.jsonl", TRAIN)
    eval_path = write_jsonl(tmp_path / "eval.jsonl", [{"text": "Where is my parcel? It was due on Mondey.", "label": "shipping"},
                                                      {"text": "Which museums are open on Sunday?", "label": "travel"}])
    leaks = audit(train, Config(), eval_path=eval_path, embed=False).checks["duplicates"].leakage
    assert [(l.eval_line, l.kind) for l in leaks] == [(1, "lexical")] and leaks[0].train_line in (5, 6)
