"""Duplicates, conflicts and leakage on data with planted problems (real default model)."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dataaudit.api import audit
from dataaudit.checks.base import AuditContext, Status
from dataaudit.checks.duplicates import CHECK, duplicates_lines, label_field, measure_index
from dataaudit.checks.near_pairs import fields_agree, fields_swapped, input_fields
from dataaudit.config import Config
from dataaudit.index import build_index
from dataaudit.load.dataset import load_dataset
from dataaudit.normalize import copy_kind, mistyped_fillers, normalize_text, protected_difference, reworded_copy, skeleton, tokens
from tests.conftest import chat, shared_dataset, write_jsonl

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


def index(path, config, role="train", embedder=None):
    built = build_index(role, load_dataset(path, config, role=role), lambda t: normalize_text(t, config.duplicates))
    if embedder is not None:
        built = built.with_vectors(dict(zip(built.distinct, embedder.embed(built.distinct))), 384)
    return built


def run(tmp_path, embedder, config=None):
    """Through the check's own entry point, as audit() calls it."""
    config = config or Config()
    train = index(write_jsonl(tmp_path / "train.jsonl", TRAIN), config, embedder=embedder)
    eval_index = index(write_jsonl(tmp_path / "eval.jsonl", EVAL), config, "eval", embedder)
    return CHECK.measure(AuditContext(config, train, eval=eval_index))


def rows(texts_and_labels):
    return [{"text": t, "label": label} for t, label in texts_and_labels]


def lexical(tmp_path, texts_and_labels, config=None, **kwargs):
    config = config or Config()
    return measure_index(index(write_jsonl(tmp_path / "data.jsonl", rows(texts_and_labels)), config), config, **kwargs)


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
    assert (result.conflict_count, result.conflict_records, result.label_field) == (1, 2, "label")
    # Groups {1,2,4}, {7,8}, {5,6}, {9,10}: 9 records, 4 kept, 5 dropped.
    assert result.duplicate_records == 5 and result.usable == 9
    assert result.duplicate_share == round(5 / 14, 6)


def test_eval_leakage_names_both_lines(tmp_path, embedder):
    result = run(tmp_path, embedder)
    leaks = {(l.eval_line, l.train_line, l.kind) for l in result.leakage}
    assert leaks == {(1, 3, "exact"), (3, 10, "lexical")}  # "...please!" / "...please": a copy, whatever its cosine
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


# ---------------------------------------------------------------------------------------------------
# Copies against hard negatives (issue 21)

HARD_NEGATIVES = [  # same template, another slot value: never copies, never conflicts
    ("turn on the kitchen light", "turn off the kitchen light"),
    # Another real word two letters off, or a prefix, is another meaning (Banking77: top_up_reverted vs
    # top_up_failed, card_linking vs activate_my_card), however long the sentence.
    ("why was my top up reverted", "why was my top up rejected"),
    ("how do i reactivate my card", "how do i activate my card"),
    ("set a timer for 5 minutes", "set a timer for 15 minutes"),
    ("set a timer for five minutes", "set a timer for six minutes"),
    ("what is the weather in paris today", "what is the weather in london today"),
    ("book a flight from boston to denver", "book a flight from denver to boston"),
    ("call john on his mobile", "call mary on his mobile"),
    ("i can log in to my account", "i can't log in to my account"),
    ("lock the front door", "unlock the front door"),
    ("enable notifications for this app", "disable notifications for this app"),
    ("change the light to red", "change the light to yellow"),
    ("transfer 100 dollars to savings", "transfer 1000 dollars to savings"),
    ("what time is it", "what timer is it"),
]
COPIES = [  # (kind, original, copy)
    ("typo", "where is my parcel? it was due on monday.", "where is my parcell? it was due on mondey."),
    ("typo", "tell me a joke", "tell me a jkoe"),
    ("typo", "what's ten times eight", "what's ten times eiight"),
    ("filler", "book a table for two", "hi, can you book a table for two please"),
    ("filler", "help me find a new insurance plan", "um, please help me find a new insurance plan, thanks"),
    ("filler", "tell me about yourself", "hey, tll me about yourself"),
    ("word order", "what is the weather in paris today", "today what is the weather in paris"),
    ("typo", "i have lost my card and need a new one today", "i have lsot my card and need a new one today"),
    ("typo", "how do i activate my new card", "how do i actvate my new card"),
    ("filler", "how do i reset my password", "How do I reset my password?!"),
]


@pytest.mark.parametrize("a, b", HARD_NEGATIVES)
def test_hard_negatives_are_neither_lexical_nor_reworded_copies(a, b):
    wa, wb = skeleton(tokens(a)), skeleton(tokens(b))
    assert copy_kind(wa, wb) is None
    assert not reworded_copy(wa, wb)


@pytest.mark.parametrize("kind, a, b", COPIES)
def test_copies_are_recognised_with_their_kind(kind, a, b):
    assert copy_kind(skeleton(tokens(normalize_text(a, Config().duplicates))), skeleton(tokens(normalize_text(b, Config().duplicates)))) == kind


def test_contrast_pairs_with_other_labels_are_not_conflicts(tmp_path):
    data = [(a, "x") for a, _ in HARD_NEGATIVES] + [(b, "y") for _, b in HARD_NEGATIVES]
    result = lexical(tmp_path, data)
    assert result.conflict_count == 0 and result.near_group_count == 0 and result.exact_group_count == 0


def test_reworded_pairs_that_swap_a_slot_or_an_opposite_stay_apart_with_embeddings(tmp_path, embedder):
    texts = [t for pair in HARD_NEGATIVES for t in pair]
    config = Config()
    train = index(write_jsonl(tmp_path / "t.jsonl", rows([(t, "a") for t in texts])), config, embedder=embedder)
    result = measure_index(train, config)
    assert result.near_group_count == 0


# Found by a QA probe (CLINC150's greeting / thank_you / yes intents, hand-made pairs), and the rules were then
# changed for them: each pair means something else, and each was a copy or a reworded copy before.
PROBE_GREETINGS = [
    ("how do you say please in french", "how do you say hi in french"),  # CLINC150 train / test: a word talked about
    ("what is the word for thanks in german", "what is the word for hello in german"),
    ("why hello", "why thank you"), ("hello again", "thanks again"), ("yes please", "yes thanks"),
    ("hey, good morning", "thanks, good morning"), ("hello, that's all", "thanks, that's all"),
]
PROBE_OTHERS = [
    ("add a bar of milk chocolate to my grocery order", "add a bar of chocolate milk to my grocery order"),
    ("i want to buy a house boat for the summer", "i want to buy a boat house for the summer"),
    ("i want to hire a car at the airport when i land in lisbon on my business trip",
     "i want to fire a car at the airport when i land in lisbon on my business trip"),
    ("my card payment at the hotel restaurant in barcelona was declined even though my balance is fine",
     "my card payment at the hostel restaurant in barcelona was declined even though my balance is fine"),
    ("i need a well-rated hotel in vegas", "i need a well-rated motel in vegas"),
    ("change out of whisper mode", "change into whisper mode"), ("get me out of driving mode", "put me into driving mode"),
    ("convert 50 us dollars into euros please", "convert 50 euros into us dollars please"),
]
PROBE_HARD_NEGATIVES = PROBE_GREETINGS + PROBE_OTHERS


@pytest.mark.parametrize("a, b", PROBE_HARD_NEGATIVES)
def test_meaningful_fillers_compounds_real_words_and_directions_are_no_lexical_copies(a, b):
    key = lambda t: skeleton(tokens(normalize_text(t, Config().duplicates)))  # noqa: E731
    assert copy_kind(key(a), key(b)) is None


@pytest.mark.parametrize("a, b", PROBE_OTHERS)
def test_swapped_compounds_directions_and_arguments_are_no_reworded_copies(a, b):
    # The short greeting / thanks pairs are left to the embeddings (next test): two words share too little
    # for a slot rule to judge.
    assert not reworded_copy(skeleton(tokens(a)), skeleton(tokens(b)))


def test_probe_hard_negatives_stay_apart_with_embeddings(tmp_path, embedder):
    config = Config()
    texts = [(t, str(n)) for n, pair in enumerate(PROBE_HARD_NEGATIVES) for t in pair]
    train = index(write_jsonl(tmp_path / "t.jsonl", rows(texts)), config, embedder=embedder)
    assert measure_index(train, config).near_group_count == 0


def test_a_greeting_or_thanks_is_dropped_beside_a_request_but_kept_as_the_message():
    assert skeleton(tokens("hi, what is the balance of my account")) == skeleton(tokens("what is the balance of my account"))
    assert skeleton(tokens("why hi")) == ("why", "hello")  # kept, as what it stands for
    assert skeleton(tokens("yes please")) == ("yes", "please")
    assert skeleton(tokens("thanks, good morning")) == ("thanks", "good", "morning")
    # the same greeting, thanks or please in other words is still a copy
    assert copy_kind(skeleton(tokens("vacation request please")), skeleton(tokens("vacation request kindly"))) == "filler"
    assert copy_kind(skeleton(tokens("hello again")), skeleton(tokens("hi again"))) == "filler"


@pytest.mark.parametrize("a, b", [("hello", "hi"), ("thank you", "thanks"), ("Hello!", "hey"), ("thank you!", "thx")])
def test_a_text_of_nothing_but_a_greeting_or_thanks_copies_another_that_says_the_same(a, b):
    key = lambda t: skeleton(tokens(normalize_text(t, Config().duplicates)))  # noqa: E731
    assert copy_kind(key(a), key(b)) == "filler"
    assert copy_kind(key("hello"), key("thanks")) is None
    # a typo of the one word is still a typo copy (as "ok" or "hi" it would be too short to be one)
    assert copy_kind(key("okay"), key("onay")) == copy_kind(key("hello"), key("helo")) == "typo"


def test_a_mistyped_filler_counts_as_a_greeting_only_when_it_is_one_mistyped(monkeypatch):
    from dataaudit import normalize

    # Every long filler today is a greeting, thanks or please; a mistyped other one (anyway) is dropped as
    # filler, and does not make the rest of a short text read as a greeting's context.
    monkeypatch.setattr(normalize, "LONG_FILLERS", tuple(sorted((*normalize.LONG_FILLERS, "anyway"))))
    assert skeleton(tokens("anywya good morning"), frozenset({"anywya"})) == ("good", "morning")
    assert skeleton(tokens("helo good morning"), frozenset({"helo"})) == ("hello", "good", "morning")


def test_a_moved_block_is_still_a_word_order_copy_but_a_swapped_compound_is_not():
    assert copy_kind(("what", "weather", "paris", "today"), ("today", "what", "weather", "paris")) == "word order"
    assert copy_kind(("buy", "house", "boat"), ("buy", "boat", "house")) is None
    assert copy_kind(("play", "song", "for", "me"), ("play", "for", "song", "me")) == "word order"  # a function word moved
    assert copy_kind(("rates", "went", "up", "quickly"), ("rates", "went", "quickly", "up")) == "word order"  # an adverb
    # words that only end like an adverb are content words: two of them swapped are a swapped compound
    assert copy_kind(("book", "hotel", "italy", "family"), ("book", "hotel", "family", "italy")) is None
    assert copy_kind(("order", "supply", "assembly"), ("order", "assembly", "supply")) is None


def test_greetings_thanks_and_swapped_compounds_with_other_labels_are_no_conflicts_or_leaks(tmp_path):
    data = [(a, "x") for a, _ in PROBE_HARD_NEGATIVES]
    result = lexical(tmp_path, data + [(b, "y") for _, b in PROBE_HARD_NEGATIVES])
    assert result.conflict_count == 0 and result.near_group_count == 0
    config = Config()
    train = index(write_jsonl(tmp_path / "tr.jsonl", rows(data)), config)
    held_out = index(write_jsonl(tmp_path / "ev.jsonl", rows([(b, "y") for _, b in PROBE_HARD_NEGATIVES])), config, role="eval")
    assert measure_index(train, config, eval_index=held_out).leak_count == 0


def near_lines(tmp_path, texts, system=None):
    """Near groups (line numbers) of texts, each its own label, as plain text or as chat under `system`."""
    data = [chat(t, str(n), system=system) for n, t in enumerate(texts)] if system else rows([(t, str(n)) for n, t in enumerate(texts)])
    config = Config()
    return [g.lines for g in measure_index(index(write_jsonl(tmp_path / "d.jsonl", data), config), config).near_groups]


POLITE_PROMPT = "Please answer with one intent name."  # a please that is no part of any query


@pytest.mark.parametrize("query", ["plese cancel my order", "hi plese cancel my order"])
def test_a_mistyped_filler_copy_is_one_group_under_a_polite_system_prompt_as_in_plain_text(tmp_path, query):
    # 40 texts that spell please right make plese one of the corpus's mistyped fillers
    texts = [query, "cancel my order", *(f"cancel my order number {i} please" for i in range(40))]
    assert near_lines(tmp_path, texts) == [[1, 2]]
    assert near_lines(tmp_path, texts, POLITE_PROMPT) == [[1, 2]]


@pytest.mark.parametrize("order", list(itertools.permutations(["why thank you", "why hello", "why hi"])))
def test_greetings_under_one_system_prompt_group_as_in_plain_text_in_any_order(tmp_path, order):
    hello_and_hi = sorted(order.index(t) + 1 for t in ("why hello", "why hi"))
    assert near_lines(tmp_path, list(order)) == [hello_and_hi]
    assert near_lines(tmp_path, list(order), POLITE_PROMPT) == [hello_and_hi]


def test_planted_typo_copies_conflict_but_template_siblings_do_not(tmp_path):
    data = [("please cancel my subscription", "billing"), ("please cancel my subscripton", "account"),
            ("turn on the fan in the kitchen", "fan_on"), ("turn off the fan in the kitchen", "fan_off"),
            ("turn on the fan in the bedroom", "fan_on")]
    result = lexical(tmp_path, data)
    assert [(c.kind, c.lines) for c in result.conflicts] == [("near", [1, 2])]
    assert [g.lines for g in result.near_groups] == [[1, 2]]


def test_a_shared_premise_with_another_hypothesis_is_not_a_copy(tmp_path):
    premise = "The cat sat on the mat in the kitchen while the dog slept by the fire all afternoon."
    data = [(premise + "\nThe cat was in the kitchen.", "entailment"), (premise + "\nThe dog was awake.", "contradiction"),
            (premise + "\nThe cat was in the kitchen!", "entailment")]
    result = lexical(tmp_path, data)
    assert result.conflict_count == 0 and [g.lines for g in result.near_groups] == [[1, 3]]


def test_free_text_targets_are_not_labels(tmp_path):
    config = Config()
    replies = [chat("Summarise our refund policy", f"Reply {i}: refunds are possible within {i + 10} days of purchase, "
                                                    "provided the item is unused and in its original packaging.") for i in range(3)]
    data = load_dataset(write_jsonl(tmp_path / "chat.jsonl", replies), config)
    assert label_field(data.records, config) is None
    result = measure_index(index(tmp_path / "chat.jsonl", config), config)
    assert result.exact_group_count == 1 and result.conflict_count == 0 and result.conflicts == []
    (finding,) = CHECK.judge(result, AuditContext(config, index(tmp_path / "chat.jsonl", config)))
    # Said in a failing summary too (README): it was said only when hygiene passed.
    assert finding.status is Status.FAIL and finding.summary.endswith("; targets are free text, so no label conflicts are judged")
    config.task_type = "generation"
    short = load_dataset(write_jsonl(tmp_path / "short.jsonl", [chat("hi", "a"), chat("hi", "b")]), config)
    assert label_field(short.records, config) is None


def test_counts_are_uncapped_and_duplicates_lines_lists_everything(tmp_path):
    config = Config()
    config.duplicates.max_groups_listed = 1
    data = [(f"order number {i} has not arrived", "late") for i in range(5)] * 2  # 5 exact pairs
    data += [(f"refund request for item {i} please", "refund") for i in range(3)]
    data += [(f"refund request for item {i}", "billing") for i in range(3)]  # 3 filler copies that conflict
    path = write_jsonl(tmp_path / "data.jsonl", rows(data))
    eval_path = write_jsonl(tmp_path / "eval.jsonl", rows([("order number 1 has not arrived", "late"),
                                                          ("order numbr 2 has not arrived", "late")]))
    result = measure_index(index(path, config), config, eval_index=index(eval_path, config, "eval"),
                           production_index=index(eval_path, config, "production"))
    assert (result.exact_group_count, result.near_group_count, result.conflict_count, result.leak_count) == (5, 3, 3, 2)
    assert len(result.exact_groups) == len(result.near_groups) == len(result.conflicts) == len(result.leakage) == 1
    lines = [json.loads(json.dumps(line)) for line in duplicates_lines(result)]
    by_kind = {}
    for line in lines:
        by_kind.setdefault(line["kind"], []).append(line)
    assert {k: len(v) for k, v in by_kind.items()} == {"exact": 5, "near": 3, "conflict": 3, "leak": 2, "production_overlap": 1}
    assert sorted(tuple(g["lines"]) for g in by_kind["exact"]) == [(i, i + 5) for i in range(1, 6)]
    for group in by_kind["exact"] + by_kind["near"]:
        assert group["keep"] == {"file": group["files"][0], "line": group["lines"][0]} and len(group["files"]) == len(group["lines"])
    assert sorted(tuple(c["lines"]) for c in by_kind["conflict"]) == [(11, 14), (12, 15), (13, 16)]
    assert {c["match"] for c in by_kind["conflict"]} == {"near"} and sorted(by_kind["conflict"][0]["labels"]) == ["billing", "refund"]
    assert sorted((l["match"], l["lines"][0]) for l in by_kind["leak"]) == [("exact", 1), ("lexical", 2)]
    assert by_kind["production_overlap"][0]["lines"] == [1, 2]
    (finding,) = CHECK.judge(result, AuditContext(config, index(path, config)))
    assert finding.status is Status.FAIL and "3 groups of exact or lexical copies carry different labels" in finding.summary
    assert "2 eval records" in finding.summary
    assert finding.evidence["exact_groups"] == 5 and finding.evidence["near_groups"] == 3


def test_judge_passes_clean_data(tmp_path):
    config = Config()
    result = lexical(tmp_path, [("where is my order", "a"), ("cancel my plan", "b")], config)
    (finding,) = CHECK.judge(result, AuditContext(config, index(tmp_path / "data.jsonl", config)))
    assert finding.condition == "hygiene" and finding.status is Status.PASS and CHECK.judge(None, None) == []


# ---------------------------------------------------------------------------------------------------
# Per-kind recall and hard-negative precision on CLINC150 (the battery of benchmarks/duplicates_validity.py)


@pytest.fixture(scope="module")
def clinc_pairs():
    from benchmarks.duplicates_validity import build_pairs

    data = json.loads((shared_dataset("clinc150") / "data_full.json").read_text())
    queries = list(dict.fromkeys(t for t, _ in data["test"] + data["val"]))
    return build_pairs(40, seed=3, queries=queries)


def test_clinc_hard_negatives_stay_apart_and_copies_are_found_per_kind(clinc_pairs):
    from benchmarks.duplicates_validity import score

    scores = score(clinc_pairs)
    for kind in ("number", "name", "opposite"):
        assert scores[kind][1] >= 20 and scores[kind][0] == 0, (kind, scores[kind])
    recall = {kind: found / total for kind, (found, total) in scores.items()}
    assert recall["exact"] == recall["case"] == recall["punctuation"] == recall["filler"] == 1.0, recall
    assert recall["typo"] >= 0.85 and recall["word order"] >= 0.9, recall


def test_the_lexical_pass_mapped_per_file_gives_what_it_gives_in_one_piece(tmp_path):
    """The per-text work runs per file through the engine's steps; the driver joins it. Same every group,
    pair, conflict and leak, also where the texts repeat across files, and the mistyped "plese" is a typo by
    the counts of all files together (its own file holds no "please")."""
    from dataaudit.engine.local import LocalEngine
    from tests.engine_data import typo_shards

    folder = typo_shards(tmp_path / "train")
    # No result cache: features kept by an earlier test's run would stand in for the per-file map.
    engine = LocalEngine()
    config = dataclasses.replace(Config(), embeddings=dataclasses.replace(Config().embeddings, cache=False))
    train = engine.index("train", engine.read(folder, config), config)
    first = train.distinct[0]
    write_jsonl(tmp_path / "eval.jsonl", [{"text": first, "label": "x"}, {"text": first[:5] + first[6:], "label": "y"},
                                          {"text": "tell me a joke about cats", "label": "z"}])
    eval_index = engine.index("eval", engine.read(tmp_path / "eval.jsonl", config, role="eval"), config)
    mapped = measure_index(train, config, eval_index=eval_index, steps=engine)
    whole = measure_index(train, config, eval_index=eval_index)
    assert list(duplicates_lines(mapped)) == list(duplicates_lines(whole))
    assert mapped == whole
    assert mapped.near_kinds["typo"] >= 5 and mapped.near_kinds["filler"] >= 40
    assert [leak.kind for leak in mapped.all_leaks] == ["exact", "lexical"]
    across = [g for g in mapped.all_groups if g.kind == "near" and len({file for file, _ in g.members}) > 1]
    plese = [g for g in across if (str(folder / "typos_2.jsonl"), 66) in g.members]
    assert plese and plese[0].members[0][0] == str(folder / "typos_0.jsonl")


def test_lexical_features_kept_by_an_earlier_run_give_what_a_fresh_run_gives(tmp_path, monkeypatch):
    """A re-run that adds records computes the lexical features of its new texts only, the rest read from the
    result cache, and finds every group, kind and similarity a run without the cache finds (the "plese" typo
    too, decided by counts over all texts)."""
    from dataaudit.checks import near_pairs
    from dataaudit.engine.local import LocalEngine
    from tests.engine_data import typo_shards

    folder = typo_shards(tmp_path / "train")
    engine = LocalEngine()
    cached = dataclasses.replace(Config(), embeddings=dataclasses.replace(Config().embeddings, cache_dir=str(tmp_path / "cache")))
    uncached = dataclasses.replace(Config(), embeddings=dataclasses.replace(Config().embeddings, cache=False))
    earlier = engine.index("train", engine.read([folder / "typos_0.jsonl", folder / "typos_1.jsonl"], cached), cached)
    measure_index(earlier, cached, steps=engine)
    train = engine.index("train", engine.read(folder, cached), cached)
    fresh = measure_index(train, uncached, steps=engine)
    computed: list[str] = []
    features = near_pairs.lexical_features
    monkeypatch.setattr(near_pairs, "lexical_features", lambda keys, seed: computed.extend(keys) or features(keys, seed))
    again = measure_index(train, cached, steps=engine)
    assert list(duplicates_lines(again)) == list(duplicates_lines(fresh))
    assert again == fresh
    assert sorted(computed) == sorted(set(train.distinct) - set(earlier.distinct))
    assert again.near_kinds["typo"] >= 5 and again.near_kinds["filler"] >= 40


def test_a_rare_english_word_one_edit_from_a_filler_is_not_a_typo():
    counts = Counter({"please": 400, "thanks": 300, "plese": 3, "thnaks": 2, "pleased": 4, "thinks": 5})
    assert mistyped_fillers(counts) == {"plese", "thnaks"}



def test_a_conflict_across_files_is_summarised_with_each_lines_file(tmp_path):
    from dataaudit.engine.local import LocalEngine

    first = write_jsonl(tmp_path / "a.jsonl", [{"text": f"ticket {i} about a refund", "label": "billing"} for i in range(5)])
    second = write_jsonl(tmp_path / "b.jsonl", [{"text": "ticket 3 about a refund", "label": "returns"}])
    config = Config()
    engine = LocalEngine()
    ctx = AuditContext(config=config, train=engine.index("train", engine.read([first, second], config), config))
    findings = CHECK.judge(CHECK.measure(ctx), ctx)
    assert any(f"(e.g. billing at {first}:4 vs returns at {second}:1)" in f.summary for f in findings), [f.summary for f in findings]


def test_a_leak_from_sharded_training_names_the_training_file(tmp_path):
    from dataaudit.engine.local import LocalEngine

    shards = [write_jsonl(tmp_path / f"train_{n}.jsonl", [{"text": f"shard {n} ticket {i} about a refund", "label": "billing"}
                                                          for i in range(4)]) for n in range(2)]
    eval_path = write_jsonl(tmp_path / "eval.jsonl", [{"text": "shard 1 ticket 2 about a refund", "label": "billing"}])
    config = Config()
    engine = LocalEngine()
    ctx = AuditContext(config=config, train=engine.index("train", engine.read(shards, config), config),
                       eval=engine.index("eval", engine.read(eval_path, config, role="eval"), config))
    findings = CHECK.judge(CHECK.measure(ctx), ctx)
    assert any(f"(e.g. eval line 1 = train {shards[1]}:3)" in f.summary for f in findings), [f.summary for f in findings]


def test_lexical_pairs_and_their_distances_are_the_same_however_the_work_is_split_into_blocks(monkeypatch):
    """The banding and the verification are mapped as blocks (an engine's tasks); blocks of a few bands and a
    few hundred pairs give the copies and similarities of the one-block pass, and the distances of one
    vectorised edit distance over every pair."""
    from rapidfuzz import process
    from rapidfuzz.distance import OSA

    from dataaudit import neighbours
    from dataaudit.checks import near_pairs
    from tests.engine_data import copies_and_templates

    texts = copies_and_templates()
    whole = near_pairs.lexical_pairs(texts, Config().duplicates.lexical_ratio)
    monkeypatch.setattr(neighbours, "MIN_BLOCK_BAND_KEYS", 2 * len(texts))
    monkeypatch.setattr(near_pairs, "MIN_BLOCK_PAIRS", 300)
    split = near_pairs.lexical_pairs(texts, Config().duplicates.lexical_ratio)
    assert split == whole and whole.kind.count("typo") >= 50
    left, right = texts[:-1] * 2, texts[1:] + texts[:-1][::-1]
    distances = near_pairs.verified_distances(left, right, 4)
    assert len(left) > 3 * near_pairs.MIN_BLOCK_PAIRS and distances.tolist() == process.cpdist(
        left, right, scorer=OSA.distance, score_cutoff=4, workers=-1).tolist()


def test_without_an_eval_set_the_summary_says_leakage_was_not_checked(tmp_path):
    config = Config()
    result = lexical(tmp_path, [("where is my order", "a"), ("cancel my plan", "b")], config)
    (finding,) = CHECK.judge(result, AuditContext(config, index(tmp_path / "data.jsonl", config)))
    assert finding.status is Status.PASS and "no leakage" not in finding.summary
    assert "no eval set supplied (--eval), so leakage was not checked" in finding.summary


def test_each_conflicting_label_is_given_with_its_own_line(tmp_path, embedder):
    # Lines 7 (billing) and 8 (account): the distinct labels, most frequent first then by name, are account, billing.
    result = run(tmp_path, embedder)
    (conflict,) = result.conflicts
    assert conflict.labels == ["account", "billing"]
    assert conflict.line_labels == ["billing", "account"] and conflict.line_files == [str(tmp_path / "train.jsonl")] * 2
    jsonl = [line for line in duplicates_lines(result) if line["kind"] == "conflict"]
    assert jsonl[0]["lines"] == conflict.lines and jsonl[0]["line_labels"] == conflict.line_labels
    assert jsonl[0]["labels"] == conflict.labels == ["account", "billing"]
    config = Config()
    findings = CHECK.judge(result, AuditContext(config, index(tmp_path / "train.jsonl", config)))
    assert any("(e.g. billing at line 7 vs account at line 8)" in f.summary for f in findings), [f.summary for f in findings]


def test_near_groups_in_duplicates_jsonl_say_whether_the_targets_agree(tmp_path):
    result = lexical(tmp_path, [("where is my parcel, it was due monday", "late"), ("where is my parcell, it was due monday", "late"),
                                ("please cancel my subscription today", "billing"), ("cancel my subscription today", "account")])
    report = {tuple(g.lines): g.same_target for g in result.near_groups}
    assert report == {(1, 2): True, (3, 4): False}
    jsonl = {tuple(line["lines"]): line["same_target"] for line in duplicates_lines(result) if line["kind"] == "near"}
    assert jsonl == report


def test_the_leak_example_is_an_exact_copy_when_there_is_one_and_a_near_one_is_not_written_as_equal(tmp_path):
    config = Config()
    path = write_jsonl(tmp_path / "train.jsonl", rows([("order number 1 has not arrived", "late"),
                                                      ("order number 2 has not arrived", "late")]))
    eval_path = write_jsonl(tmp_path / "eval.jsonl", rows([("order numbr 2 has not arrived", "late"),
                                                          ("order number 1 has not arrived", "late")]))
    train = index(path, config)
    result = measure_index(train, config, eval_index=index(eval_path, config, "eval"))
    assert [leak.kind for leak in result.leakage] == ["lexical", "exact"]
    (finding,) = CHECK.judge(result, AuditContext(config, train, eval=index(eval_path, config, "eval")))
    assert "(e.g. eval line 2 = train line 1)" in finding.summary
    near_only = dataclasses.replace(result, leakage=result.leakage[:1], all_leaks=result.all_leaks[:1], leak_count=1)
    config.hygiene.max_leaked = 0
    (finding,) = CHECK.judge(near_only, AuditContext(config, train, eval=index(eval_path, config, "eval")))
    assert "(e.g. eval line 1 ≈ train line 2 (lexical copy))" in finding.summary
    config.hygiene.max_leaked = 5  # leaks within the bound pass, and the summary says there are some
    (finding,) = CHECK.judge(result, AuditContext(config, train, eval=index(eval_path, config, "eval")))
    assert finding.status is Status.PASS and finding.summary.startswith("2 eval records also appear in training (within the bound of 5)")


def test_several_training_files_name_the_file_of_each_line_in_the_duplicates_section(tmp_path):
    from dataaudit.render.sections.duplicates import SECTION

    first = write_jsonl(tmp_path / "a.jsonl", [{"text": f"ticket {i} about a refund", "label": "billing"} for i in range(5)])
    second = write_jsonl(tmp_path / "b.jsonl", [{"text": "ticket 3 about a refund", "label": "returns"},
                                                {"text": "ticket 4 about a refund", "label": "billing"}])
    content = SECTION.build(audit([first, second], Config(), embed=False))
    lines = "\n".join(content.lines)
    assert f'conflict: "ticket 3 about a refund" labelled billing at {first}:4 vs returns at {second}:1' in lines
    assert f"exact group, {first}:5, {second}:2 (keep {first}:5)" in lines
    conflicts, _, groups = content.tables
    assert conflicts.rows[0][:2] == [f"{first}:4, {second}:1", f"billing at {first}:4 vs returns at {second}:1"]
    assert [f"{first}:5, {second}:2", f"{first}:5"] in [row[1:3] for row in groups.rows]


def test_a_conflict_example_shows_every_label_however_many_lines_carry_the_first():
    from dataaudit.checks.duplicates import labelled_lines

    lines, files = [1, 2, 3, 4, 5, 9], ["a"] * 6
    labels = ["billing"] * 5 + ["returns"]
    assert labelled_lines(lines, files, labels, False) == "billing at lines 1, 2 and 3 more vs returns at line 9"
    assert labelled_lines(lines[:2], ["a", "b"], ["x", None], True) == "x at a:1 vs no label at b:2"


def test_an_eval_or_production_query_without_the_system_prompt_is_still_a_verbatim_copy(tmp_path):
    """A plain-text eval or production file beside a chat export with a system prompt holds the training queries
    verbatim, yet no whole input matched: 0 leaks and 0 overlaps were reported for 4 and 3 planted copies."""
    from dataaudit.api import audit

    intents = ["balance", "transfer", "card"]
    train = [chat(f"question {i} about my {intents[i % 3]} please", intents[i % 3], system="You route bank messages.")
             for i in range(60)]
    eval_rows = [{"text": f"eval question {i} of its own", "label": "card"} for i in range(20)]
    eval_rows += [{"text": f"question {i} about my {intents[i % 3]} please", "label": intents[i % 3]} for i in (9, 19, 29, 39)]
    production = [{"text": f"production question {i} unseen"} for i in range(30)]
    production += [{"text": f"Question {i} about my {intents[i % 3]} please"} for i in (4, 14, 24)]
    report = audit(write_jsonl(tmp_path / "train.jsonl", train), Config(), embed=False,
                   eval_path=write_jsonl(tmp_path / "eval.jsonl", eval_rows),
                   production=write_jsonl(tmp_path / "production.jsonl", production))
    duplicates = report.checks["duplicates"]
    assert [(leak.eval_line, leak.train_line, leak.kind) for leak in duplicates.leakage] == [
        (21, 10, "query"), (22, 20, "query"), (23, 30, "query"), (24, 40, "query")]
    assert [(o.production_line, o.train_line) for o in duplicates.production_overlap_examples] == [(31, 5), (32, 15), (33, 25)]
    hygiene = next(c for c in report.verdict.conditions if c.id == "hygiene")
    assert "e.g. eval line 21 = train line 10 (without its system prompt)" in hygiene.summary


def test_an_exact_group_inside_a_near_group_keeps_the_record_dedup_keeps(tmp_path):
    from dataaudit.checks.duplicates import duplicates_lines
    from dataaudit.fix.dedup import deduplicate

    data = [("Please cancel my subscripton today", "account"), ("Please cancel my subscription today", "account"),
            ("Please cancel my subscription today", "account"), ("What is the weather tomorrow", "other")]
    result = lexical(tmp_path, data)
    (exact,), (near,) = result.exact_groups, result.near_groups
    assert (exact.lines, near.lines) == ([2, 3], [1, 2, 3])
    assert exact.keep == near.keep == 1  # it said 'keep 2', while dedup (following the near group) kept line 1
    assert {line["kind"]: line["keep"]["line"] for line in duplicates_lines(result)} == {"exact": 1, "near": 1}
    summary = deduplicate(tmp_path / "data.jsonl", tmp_path / "clean.jsonl", Config(), embed=False)
    kept = [json.loads(line)["text"] for line in (tmp_path / "clean.jsonl").read_text().splitlines()]
    assert summary.kept == 2 and kept[0] == data[0][0]


def test_the_dedup_advice_for_several_files_takes_them_together(tmp_path):
    from dataaudit.api import audit

    first = write_jsonl(tmp_path / "a.jsonl", rows([(f"ticket {i} about my parcel", "shipping") for i in range(10)]))
    second = write_jsonl(tmp_path / "b.jsonl", rows([(f"ticket {i} about my parcel", "shipping") for i in range(10)]))
    hygiene = next(c for c in audit([first, second], Config(), embed=False).verdict.conditions if c.id == "hygiene")
    assert "De-duplicate the files together with `dataaudit dedup FILES... --out FOLDER`" in hygiene.action


def test_a_pass_under_a_loosened_conflict_bound_counts_the_conflicts(tmp_path):
    from dataaudit.config import config_from_dict

    config = config_from_dict({"hygiene": {"warn_conflict_share": 0.5, "max_conflict_share": 0.6, "warn_duplicate_share": 0.9,
                                           "max_duplicate_share": 0.95}})
    data = [("Where is my order?", "shipping"), ("Where is my order?", "returns")] + [(f"question {i}", "other") for i in range(8)]
    result = lexical(tmp_path, data, config)
    (finding,) = CHECK.judge(result, AuditContext(config, index(tmp_path / "data.jsonl", config)))
    assert finding.status is Status.PASS and "1 conflicting label group(s) (within the bound of 50.0% of records)" in finding.summary


def test_a_premise_hypothesis_pair_and_its_swap_are_not_word_order_copies(tmp_path):
    """RTE items 2149 and 2148: the same two sentences, premise and hypothesis swapped, are two inputs of an
    entailment task, not copies (nor a conflict); two words swapped inside the hypothesis still are."""
    premise = "Some neighbors said they were forced to break windows to enter the supermarket"
    hypothesis = "Many survivors said they were unable to open locked doors"
    rows = [
        {"premise": premise, "hypothesis": hypothesis, "label": "yes"},                          # 1
        {"premise": hypothesis, "hypothesis": premise, "label": "no"},                           # 2 swap of 1
        {"premise": "The bank raised interest rates on Tuesday", "hypothesis": "Rates went up quickly", "label": "yes"},  # 3
        {"premise": "The bank raised interest rates on Tuesday", "hypothesis": "Rates went quickly up", "label": "yes"},  # 4 two words swapped
    ]
    config = Config()
    train = index(write_jsonl(tmp_path / "rte.jsonl", rows), config)
    assert train.records[0].input_text == premise + "\n" + hypothesis
    result = measure_index(train, config)
    assert [(g.lines, g.methods) for g in result.near_groups] == [([3, 4], ["lexical"])]
    assert result.conflicts == []
    # Joined without the fields, the swap is one moved block: the rule a single text gets.
    assert copy_kind(skeleton(tokens(premise + " " + hypothesis)), skeleton(tokens(hypothesis + " " + premise))) == "word order"
    assert fields_agree(input_fields(premise + "\n" + hypothesis), input_fields(hypothesis + "\n" + premise)) is False
    assert fields_agree(input_fields("a b c\nrates went up quickly"), input_fields("a b c\nrates went quickly up")) is True
    assert input_fields("one field only") is None


def test_one_vector_of_a_whole_pair_does_not_join_it_to_its_swap(tmp_path):
    """Sentence embeddings of the whole input read a pair and its swap as the same text (cosine 1 here): they
    stay two inputs, in training and as an eval leak, while a reworded pair with its fields in place is joined
    (and the swap is not joined to that reworded copy either)."""
    import numpy as np

    first, second = "The minister resigned after the vote", "A minister left office"
    rows = [{"premise": first, "hypothesis": second, "label": "yes"},
            {"premise": second, "hypothesis": first, "label": "no"},
            {"premise": first, "hypothesis": "A minister has left office", "label": "yes"}]
    config = Config()
    train = index(write_jsonl(tmp_path / "rte.jsonl", rows), config)
    same = np.ones(4, dtype=np.float32) / 2
    train = train.with_vectors({k: same for k in train.distinct}, 4)
    result = measure_index(train, config)
    assert [(g.lines, g.methods) for g in result.near_groups] == [([1, 3], ["semantic"])]
    assert fields_swapped(input_fields(first + "\n" + second), input_fields(second + "\n" + first)) is True
    assert fields_swapped(input_fields(first + "\n" + second), input_fields(first + "\nA minister has left office")) is False
    assert fields_swapped(input_fields(second + "\n" + first), input_fields(first + "\nA minister has left office")) is True
    # Only the swap: no group; as an eval record, no leak.
    alone = index(write_jsonl(tmp_path / "two.jsonl", rows[:2]), config)
    alone = alone.with_vectors({k: same for k in alone.distinct}, 4)
    assert measure_index(alone, config).near_groups == []
    train_only = index(write_jsonl(tmp_path / "one.jsonl", rows[:1]), config)
    train_only = train_only.with_vectors({k: same for k in train_only.distinct}, 4)
    swapped = index(write_jsonl(tmp_path / "eval.jsonl", rows[1:2]), config, "eval")
    swapped = swapped.with_vectors({k: same for k in swapped.distinct}, 4)
    assert measure_index(train_only, config, eval_index=swapped).leakage == []


def test_the_leak_finding_says_how_many_are_exact_and_how_many_lexical_copies(tmp_path):
    train = [{"text": f"query number {i} about topic {i % 7} and more words", "label": "ab"[i % 2]} for i in range(60)]
    eval_rows = [{"text": "QUERY NUMBER 3 ABOUT TOPIC 3 AND MORE WORDS", "label": "b"},   # exact: the same once case-folded
                 {"text": "and more words query number 5 about topic 5", "label": "b"},   # one block moved: a lexical copy
                 {"text": "something else entirely, nothing like training", "label": "a"}]
    report = audit(write_jsonl(tmp_path / "t.jsonl", train), Config(task_type="format"),
                   eval_path=write_jsonl(tmp_path / "e.jsonl", eval_rows), embed=False)
    assert sorted(leak.kind for leak in report.checks["duplicates"].all_leaks) == ["exact", "lexical"]
    hygiene = next(c for c in report.verdict.conditions if c.id == "hygiene")
    assert "2 eval records are copies of training records (1 exact, 1 lexical) (e.g. eval line 1 = train line 4)" in hygiene.summary
    assert "verbatim" not in hygiene.summary  # a copy in capitals is no verbatim one


# Pairs in scripts written without spaces (and Korean, Hindi) that differ in one character or syllable and
# mean something else: a whole Chinese sentence was one \w+ "word", so one character read as a typo.
INTL_HARD_NEGATIVES = [
    ("把空调温度调高一点", "把空调温度调低一点"),  # raise / lower the temperature
    ("音量を上げてください", "音量を下げてください"),  # volume up / down
    ("我要取消订单", "我不取消订单"),  # cancel / do not cancel
    ("明天早上八点叫醒我", "明天早上九点叫醒我"),  # 8 / 9 o'clock
    ("タイマーを5分にセットして", "タイマーを6分にセットして"),  # a digit inside a run of kana
    ("查询余额", "查询余票"),  # balance / remaining tickets
    ("我想订一张去北京的机票", "我想订一张去上海的机票"),
    ("三个苹果", "五个苹果"),
    ("เปิดไฟในห้องนอน", "ปิดไฟในห้องนอน"),  # Thai: light on / off
    ("전원을 켜 주세요", "전원을 꺼 주세요"),  # Korean: power on / off
    ("मेरा दिन अच्छा था", "मेरा दान अच्छा था"),  # Hindi: day / donation, a vowel sign apart
    ("予約をキャンセルします", "予約をキャンセルしません"),
    ("电脑可以开机", "电脑无法开机"),
    ("帮我把灯打开", "帮我把灯关掉"),
    ("我要买入股票", "我要卖出股票"),
    ("今天的天气", "明天的天气"),
    ("결제를 취소해 주세요", "결제를 취소하지 마세요"),
    ("故事很长", "事故很长"),  # story / accident: two characters swapped are another word
]


@pytest.mark.parametrize("a, b", INTL_HARD_NEGATIVES)
def test_a_character_of_an_unspaced_script_changed_is_no_typo(a, b):
    key = lambda t: skeleton(tokens(normalize_text(t, Config().duplicates)))  # noqa: E731
    assert copy_kind(key(a), key(b)) is None
    if sorted(a) != sorted(b):  # the same characters reordered are left to the embeddings' judgement
        assert not reworded_copy(key(a), key(b))


@pytest.mark.parametrize("a, b, why", [
    ("把空调温度调高一点", "把空调温度调低一点", "opposite"), ("我要取消订单", "我不取消订单", "negation"),
    ("明天早上八点叫醒我", "明天早上九点叫醒我", "number"), ("タイマーを5分にセット", "タイマーを6分にセット", "number"),
    ("予約をキャンセルします", "予約をキャンセルしません", "negation"), ("เปิดไฟ", "ปิดไฟ", "opposite"),
    ("今天的天气", "明天的天气", "opposite"), ("٣ تفاحات", "٤ تفاحات", "number"), ("cinco minutos", "seis minutos", "number"),
    ("je veux annuler", "je ne veux pas annuler", "negation"), ("licht einschalten", "licht ausschalten", "opposite"),
])
def test_numbers_negations_and_opposites_are_known_beyond_english(a, b, why):
    assert protected_difference(skeleton(tokens(a)), skeleton(tokens(b))) == why


def test_words_keep_their_vowel_signs_and_unspaced_scripts_are_split_by_character():
    assert tokens("मेरा दिन अच्छा था") == ["मेरा", "दिन", "अच्छा", "था"]
    assert tokens("มาก") == ["ม", "า", "ก"] and tokens("ปิด") == ["ปิ", "ด"]  # a vowel sign stays on its letter
    assert tokens("タイマーを5分") == ["タ", "イ", "マ", "ー", "を", "5", "分"]
    assert tokens("帮我打开wifi, don't") == ["帮", "我", "打", "开", "wifi", "don't"]


def test_unspaced_scripts_still_have_exact_width_and_punctuation_copies(tmp_path):
    data = [("把空调温度调高一点", "up"), ("把空调温度调高一点。", "up"), ("ｶﾀｶﾅで注文を確認", "kana"), ("カタカナで注文を確認", "kana"),
            ("把空调温度调低一点", "down"), ("牛奶和面包都买了", "a"), ("面包和牛奶都买了", "a")]
    result = lexical(tmp_path, data)
    assert [g.lines for g in result.exact_groups] == [[3, 4]]
    assert sorted(g.lines for g in result.near_groups) == [[1, 2]]
    assert result.conflict_count == 0


def test_the_key_drops_invisible_characters_arabic_vowel_marks_and_the_dot_of_a_folded_capital_i():
    key = lambda t: normalize_text(t, Config().duplicates)  # noqa: E731
    assert key("\u200fمرحبا، أريد إلغاء طلبي") == key("مرحبا، أريد إلغاء طلبي")
    assert key("reset\u200b my pass\u00adword\ufeff") == key("reset my password")
    assert key("İSTANBUL uçuşumu iptal et") == key("istanbul uçuşumu iptal et")
    assert key("كَتَبْتُ رِسَالَةً إِلَى الدَّعْمِ") == key("كتبت رسالة إلى الدعم")
    assert key("ısparta") != key("isparta")  # the dotless ı is another letter


def test_the_first_copy_in_the_order_the_files_are_given_is_kept(tmp_path):
    from dataaudit.fix.dedup import deduplicate_files

    z = write_jsonl(tmp_path / "z.jsonl", [{"text": "reset my password please now", "label": "a"},
                                           {"text": "first file only", "label": "b"}])
    a = write_jsonl(tmp_path / "a.jsonl", [{"text": "something else entirely", "label": "b"},
                                           {"text": "reset my password please now", "label": "a"}])
    d = audit([z, a], Config(), embed=False).checks["duplicates"]
    (group,) = d.exact_groups
    assert (group.keep_file, group.keep) == (str(z), 1)  # was a.jsonl:2, the path sorting first
    assert [(m.file, m.line) for m in group.members] == [(str(z), 1), (str(a), 2)]
    assert group.files == [str(z), str(a)]  # in input order too: sorted, [a, z] beside lines [1, 2] named a.jsonl:1
    deduplicate_files([z, a], tmp_path / "out", Config(), embed=False)
    assert len((tmp_path / "out" / "z.jsonl").read_text().splitlines()) == 2
    assert len((tmp_path / "out" / "a.jsonl").read_text().splitlines()) == 1


def test_the_other_scripts_battery_groups_every_copy_and_no_hard_negative():
    from benchmarks.duplicates_validity import INTL_PAIRS, Pair, score

    scores = score([Pair(("not " if negative else "") + kind, a, b, negative) for kind, a, b, negative in INTL_PAIRS])
    assert {k: f for k, (f, n) in scores.items() if f != (0 if k.startswith("not ") else n)} == {}


# ---------------------------------------------------------------------------------------------------
# Preference records: a duplicate is the same prompt with the same replies


def test_several_pairs_for_one_prompt_are_not_duplicates_but_a_repeated_pair_is(tmp_path):
    q = "Explain python lists to a beginner."
    rows = [{"prompt": q, "chosen": f"Lists hold items in order, example {i}.", "rejected": f"No idea, sorry {i}."} for i in range(3)]
    rows += [dict(rows[0]),                                                                    # 4 exact copy of 1
             {"prompt": "Explain python lists to a beginer.", "chosen": rows[1]["chosen"], "rejected": rows[1]["rejected"]},  # 5 typo prompt, pair 2
             {"prompt": q, "chosen": "Lists hold itmes in order, example 2.", "rejected": "No idea, sorry 2."},  # 6 typo in chosen of 3
             {"prompt": "Explain python lists to a beginer.", "chosen": "Tuples are fixed.", "rejected": "Dunno."},  # 7 near prompt, other pair
             {"prompt": "Say hi.", "completion": "Hi!", "label": True},                        # 8
             {"prompt": "Say hi.", "completion": "Hi!", "label": False},                       # 9 the mark differs: not the same record
             {"prompt": "Say hi.", "completion": "Hi!", "label": True}]                        # 10 copy of 8
    config = Config(task_type="generation")
    train = index(write_jsonl(tmp_path / "train.jsonl", rows), config)
    eval_index = index(write_jsonl(tmp_path / "eval.jsonl", [{"prompt": q, "chosen": "Anything else.", "rejected": "Nope."}]),
                       config, "eval")
    result = measure_index(train, config, eval_index=eval_index)
    assert sorted(tuple(g.lines) for g in result.exact_groups) == [(1, 4), (8, 10)]
    assert result.whole_record_groups == 2
    assert sorted(tuple(g.lines) for g in result.near_groups) == [(2, 5), (3, 6)]
    assert result.usable == 6 and result.duplicate_records == 4
    # Leakage stays keyed on the prompt: an eval prompt seen in training is a leak whatever its replies.
    assert result.leak_count == 1


def test_a_prompt_repeated_with_the_opposite_kto_mark_is_no_whole_record_group(tmp_path):
    rows = [{"prompt": "Say hi.", "completion": "Hi!", "label": True}, {"prompt": "Say hi.", "completion": "Hi!", "label": False}]
    config = Config(task_type="generation")
    result = measure_index(index(write_jsonl(tmp_path / "train.jsonl", rows), config), config)
    assert (result.exact_group_count, result.whole_record_groups, result.usable) == (0, 0, 2)


def test_a_pair_whose_chosen_equals_rejected_is_no_usable_example(tmp_path):
    rows = [{"prompt": f"Question {i}?", "chosen": f"Answer {i}.", "rejected": f"Not sure {i}."} for i in range(3)]
    rows += [{"prompt": "Question 9?", "chosen": "Same.", "rejected": "  same. "}] * 2
    config = Config(task_type="generation")
    result = measure_index(index(write_jsonl(tmp_path / "train.jsonl", rows), config), config)
    assert (result.usable, result.no_signal, result.duplicate_records) == (3, 1, 1)



@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127)))
def test_the_ascii_key_is_the_full_keys(text):
    # ASCII text skips NFKC, the dotted-i, harakat and format-character passes (1M keys: 1.6 s instead of 4.7 s):
    # the key must be what the full path gives.
    import re
    import unicodedata

    from dataaudit.config import DuplicatesConfig
    from dataaudit.normalize import normalize_text

    full = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text).casefold()).strip()
    assert normalize_text(text, DuplicatesConfig()) == full


def test_reworded_pairs_read_the_query_words_and_need_the_same_system_prompt():
    """The vector is of the query alone; its words were read with the system prompt, whose shared words made the
    same two queries a slot substitution in a chat export and a reworded copy in plain text."""
    import numpy as np

    from dataaudit.checks.near_pairs import prompt_classes, semantic_pairs

    queries = ["jazz music", "rock songs"]
    system = "you are a music assistant that plays whatever the user asks for in the living room"
    same = np.ones((2, 4), dtype=np.float32) / 2  # cosine 1: the rules alone decide
    plain = semantic_pairs(queries, same, 0.95, 1)
    ratio = Config().duplicates.lexical_ratio
    in_chat = semantic_pairs(queries, same, 0.95, 1, prompts=prompt_classes([system, system], ratio))
    assert list(zip(plain.first, plain.second)) == list(zip(in_chat.first, in_chat.second)) == [(0, 1)]
    other_prompts = semantic_pairs(queries, same, 0.95, 1, prompts=prompt_classes([system, "you answer in french"], ratio))
    assert other_prompts.first == []


def _judged(result, eval_records: int):
    from types import SimpleNamespace

    config = Config()
    dataset = SimpleNamespace(files=["t.jsonl"])
    ctx = SimpleNamespace(config=config, train=SimpleNamespace(dataset=dataset), eval=SimpleNamespace(dataset=dataset))
    finding = CHECK.judge(dataclasses.replace(result, eval_records=eval_records), ctx)[0]
    return finding.status, finding.summary


def test_reworded_leaks_warn_below_the_share_clean_splits_reach_and_fail_above_it(tmp_path):
    from dataaudit.checks.duplicates import MAX_SEMANTIC_LEAK_SHARE, Leak

    base = lexical(tmp_path, [(f"clean request number {i} about {w}", "ab"[i % 2]) for i, w in enumerate("abcdefghij")])
    reworded = Leak("e.jsonl", 3, "t.jsonl", 7, "semantic", 0.961, "where can my card be used", "where can i use my card")
    copied = dataclasses.replace(reworded, kind="exact", similarity=1.0)

    def with_leaks(leaks):
        return dataclasses.replace(base, leak_count=len(leaks), semantic_leak_count=sum(x.kind == "semantic" for x in leaks),
                                   all_leaks=leaks, leakage=leaks)

    # 10% reworded (the clean test splits of CLINC150 and Banking77 reach 9% and 23%): a warning with its example
    status, summary = _judged(with_leaks([reworded] * 10), 100)
    assert status == Status.WARN and "10 eval records (10.0%) are reworded copies" in summary
    assert "eval line 3 ≈ train line 7 (cosine 0.961)" in summary
    # above the bound: a failure
    over = int(MAX_SEMANTIC_LEAK_SHARE * 100) + 1
    status, summary = _judged(with_leaks([reworded] * over), 100)
    assert status == Status.FAIL and f"{over / 100:.1%} of the eval set ({over} records) are reworded copies" in summary
    assert "more than clean standard splits reach" in summary and "eval line 3 ≈ train line 7" in summary
    # one verbatim copy fails whatever the reworded share
    status, summary = _judged(with_leaks([copied] + [reworded] * 5), 100)
    assert status == Status.FAIL and "eval line 3 = train line 7" in summary


def test_a_system_prompt_does_not_let_more_typos_or_fillers_through_than_the_query_alone_allows(tmp_path):
    """The typo rule allows one edited stretch per six words, and a greeting or thanks is dropped beside three
    other words: a query's words beside a long shared system prompt let two typo stretches through, and "why
    hello" / "why thank you" become copies, in a chat export that plain text holds apart (conflicts)."""
    queries = [("wher is my parcell", "shipping"), ("where is my parcel", "billing"), ("what is my balance", "billing"),
               ("why hello", "greeting"), ("why thank you", "thank_you"), ("yes please", "yes"), ("yes thanks", "thank_you")]
    system = "You are the support assistant of an online shop. Answer with one intent name and nothing else."
    config = Config()
    text = measure_index(index(write_jsonl(tmp_path / "text.jsonl", rows(queries)), config), config)
    in_chat = measure_index(index(write_jsonl(tmp_path / "chat.jsonl", [chat(q, label, system=system) for q, label in queries]),
                                  config), config)
    assert (text.near_group_count, text.conflict_count) == (in_chat.near_group_count, in_chat.conflict_count) == (0, 0)


def test_an_eval_record_that_is_a_lexical_copy_is_a_lexical_leak_even_when_its_vector_is_close(tmp_path):
    """The semantic search ran first and took the match: a filler copy read as a reworded leak, which only
    warns, where a copy fails hygiene."""
    import numpy as np

    config = Config()
    train = index(write_jsonl(tmp_path / "t.jsonl", rows([("cancel my reservation for 5 at red robin", "cancel"),
                                                          ("what is the weather in paris today", "weather")])), config)
    held_out = index(write_jsonl(tmp_path / "e.jsonl", rows([("could you please cancel my reservation for 5 at red robin",
                                                               "cancel")])), config, role="eval")
    same = lambda built: built.with_vectors({k: np.ones(4, dtype=np.float32) / 2 for k in built.distinct}, 4)  # noqa: E731
    result = measure_index(same(train), config, eval_index=same(held_out))
    assert [(leak.kind, leak.train_line) for leak in result.all_leaks] == [("lexical", 1)]


BANKING_PROMPT = "You are a helpful banking assistant. Answer with one intent name. Please be concise."
# Planted copies (exact, typo, filler, a moved block) and hard negatives (on/off, a number, a name, a greeting,
# two typo stretches in four words), each line its own label.
BANKING_QUERIES = [
    "what is my balance", "what is my balance",                                          # 1-2 exact
    "why was my card declined", "why was my card delcined",                              # 3-4 typo
    "freeze my debit card", "please freeze my debit card thanks",                        # 5-6 filler
    "show my transactions today", "today show my transactions",                          # 7-8 word order
    "turn on the card lock", "turn off the card lock",                                   # 9-10 opposite
    "send 50 dollars to my savings account", "send 500 dollars to my savings account",   # 11-12 number
    "transfer money to john", "transfer money to mary",                                  # 13-14 name
    "why hello", "why thank you",                                                        # 15-16 greeting / thanks
    "wher is my parcell", "where is my parcel",                                          # 17-18 two typos in four words
]


def test_a_long_shared_system_prompt_groups_the_queries_as_plain_text_does(tmp_path):
    # Classification said: 18 chat replies that never repeat would be inferred free text (load.targets).
    config = Config(task_type="classification")

    def measured(name, data):
        return measure_index(index(write_jsonl(tmp_path / name, data), config), config)

    text = measured("text.jsonl", rows([(q, str(n)) for n, q in enumerate(BANKING_QUERIES)]))
    in_chat = measured("chat.jsonl", [chat(q, str(n), system=BANKING_PROMPT) for n, q in enumerate(BANKING_QUERIES)])
    expected = [("exact", [1, 2]), ("near", [3, 4]), ("near", [5, 6]), ("near", [7, 8])]
    for result in (text, in_chat):
        assert sorted((g.kind, g.lines) for g in result.exact_groups + result.near_groups) == expected
        assert sorted((c.kind, c.lines) for c in result.conflicts) == [("exact", [1, 2]), ("near", [3, 4]), ("near", [5, 6]),
                                                                      ("near", [7, 8])]
    assert in_chat.near_kinds == text.near_kinds == {"filler": 1, "typo": 1, "word order": 1}


def test_the_same_query_under_another_system_prompt_is_no_copy_unless_the_prompts_are_copies(tmp_path):
    config = Config()
    query = "why was my card declined"
    data = [chat(query, "declined", system=BANKING_PROMPT),
            chat(query, "card_declined", system="You are a travel agent. Answer in French."),  # another prompt
            chat(query, "declined", system=BANKING_PROMPT.lower().replace("banking", "bankng")),  # a typo of the prompt
            chat(query, "declined", system=BANKING_PROMPT)]
    result = measure_index(index(write_jsonl(tmp_path / "chat.jsonl", data), config), config)
    assert [(g.kind, g.lines) for g in result.exact_groups] == [("exact", [1, 4])]  # a key is prompt and query
    assert [(g.kind, g.lines) for g in result.near_groups] == [("near", [1, 3, 4])]
    assert result.conflict_count == 0  # line 2's other label is under another prompt: another input


def test_prompt_classes_join_prompts_that_are_copies_and_keep_no_prompt_apart():
    from dataaudit.checks.near_pairs import prompt_classes

    ratio = Config().duplicates.lexical_ratio
    prompts = ["you are a helpful banking assistant.", "", "you are a helpfull banking assistant",
               "you are a helpful travel assistant.", "", "you are a helpful banking assistant."]
    classes = prompt_classes(prompts, ratio)
    assert classes[0] == classes[2] == classes[5] and classes[1] == classes[4]
    assert len({classes[0], classes[1], classes[3]}) == 3
    assert prompt_classes(["", ""], ratio) == [0, 0]


def test_planted_typo_copies_among_real_queries_are_found_under_a_long_system_prompt_as_in_plain_text(tmp_path):
    """The prompt's words made every key alike to MinHash, so the bounded candidates of each text were crowded
    by the others: of 186 typo copies planted among 500 CLINC150 queries, plain text found 179 and the same
    queries under one system prompt 175, in other groups."""
    import random

    clinc = json.loads((shared_dataset("clinc150") / "data_full.json").read_text())
    queries = list(dict.fromkeys(t for t, _ in clinc["train"]))
    random.Random(0).shuffle(queries)
    queries = queries[:500]
    planted = []
    for n, query in enumerate(queries[:200]):
        words = query.split()
        k = max(range(len(words)), key=lambda i: len(words[i]))
        if len(words[k]) >= 5:  # two letters swapped in the longest word
            p = 1 + n % (len(words[k]) - 2)
            words[k] = words[k][:p] + words[k][p + 1] + words[k][p] + words[k][p + 2:]
            planted.append((n + 1, len(queries) + len(planted) + 1, " ".join(words)))
    texts = queries + [copy for _, _, copy in planted]
    config = Config()

    def groups(name, data):
        result = measure_index(index(write_jsonl(tmp_path / name, data), config), config)
        return {frozenset(line for _, line in g.members) for g in result.all_groups}

    text = groups("text.jsonl", rows([(t, str(n)) for n, t in enumerate(texts)]))
    in_chat = groups("chat.jsonl", [chat(t, str(n), system=BANKING_PROMPT) for n, t in enumerate(texts)])
    assert in_chat == text
    found = sum(any({a, b} <= g for g in in_chat) for a, b, _ in planted)
    assert (found, len(planted)) == (179, 186)


def test_a_chain_of_typo_copies_is_no_group_beyond_the_copies_of_the_kept_record(tmp_path):
    from dataaudit.fix.dedup import deduplicate

    # password ~ pasword ~ paswrd: each next one is a copy of the one before, the third is no copy of the first
    data = [("please reset my password", "account"), ("please reset my pasword", "account"),
            ("please reset my paswrd", "account"), ("what is the weather tomorrow", "other")]
    result = lexical(tmp_path, data)
    assert [g.lines for g in result.near_groups] == [[1, 2]]
    assert (result.near_group_count, result.duplicate_records) == (1, 1)
    assert [(line["lines"], line["keep"]["line"]) for line in duplicates_lines(result)] == [([1, 2], 1)]
    summary = deduplicate(tmp_path / "data.jsonl", tmp_path / "clean.jsonl", Config(), embed=False)
    kept = [json.loads(line)["text"] for line in (tmp_path / "clean.jsonl").read_text().splitlines()]
    assert summary.kept == 3 and kept == [data[0][0], data[2][0], data[3][0]]


def _at_angle(degrees: float):
    import numpy as np

    vector = np.zeros(384, dtype=np.float32)
    vector[0], vector[1] = np.cos(np.radians(degrees)), np.sin(np.radians(degrees))
    return vector


def _with_vectors(tmp_path, texts_and_angles):
    config = Config()
    built = index(write_jsonl(tmp_path / "data.jsonl", rows([(t, "cards") for t, _ in texts_and_angles])), config)
    angle_of = {normalize_text(t, config.duplicates): a for t, a in texts_and_angles}
    return measure_index(built.with_vectors({k: _at_angle(angle_of[k]) for k in built.distinct}, 384), config)


def test_reworded_copies_join_the_group_of_the_earliest_kept_record_they_copy_not_a_chain(tmp_path):
    # 16 degrees apart: cosine 0.961, a reworded copy; 32 apart: 0.848, not one (the chain Banking77 made).
    result = _with_vectors(tmp_path, [("how do i activate my card", 0), ("help me get my new card working", 16),
                                      ("what must be done to start using the card", 32),
                                      ("the card i was sent needs setting up", 48)])
    # line 2 copies line 1 (kept); line 3 copies line 2 alone, so it is kept and line 4 copies it
    assert [(g.lines, g.keep, g.min_similarity, g.methods) for g in result.near_groups] == \
        [([1, 2], 1, 0.9613, ["semantic"]), ([3, 4], 3, 0.9613, ["semantic"])]
    assert result.near_kinds == {"semantic": 2} and result.duplicate_records == 2


def test_a_reworded_copy_of_two_kept_records_joins_the_earlier_one(tmp_path):
    result = _with_vectors(tmp_path, [("how do i activate my card", 0), ("what must be done to start using the card", 30),
                                      ("help me get my new card working", 15)])
    # line 3 is 15 degrees from both: it copies lines 1 and 2, which are no copies of each other
    assert [(g.lines, g.keep) for g in result.near_groups] == [([1, 3], 1)]


def test_a_group_says_how_many_of_its_lines_have_no_member_listed(tmp_path):
    from dataaudit.checks.duplicates import MAX_MEMBERS_LISTED

    data = [("reset my password" + "!" * k, "account") for k in range(MAX_MEMBERS_LISTED + 2)]
    (group,) = lexical(tmp_path, data).near_groups
    assert (len(group.lines), len(group.members), group.members_not_listed) == (22, 20, 2)
    assert [m.line for m in group.members] == group.lines[:20]


def test_preference_pairs_under_a_chain_of_typo_prompts_group_only_with_a_copy_of_the_kept_prompt(tmp_path):
    replies = {"chosen": "Open settings and choose reset.", "rejected": "I cannot help."}
    rows = [{"prompt": p, **replies} for p in ("please reset my password", "please reset my pasword", "please reset my paswrd")]
    rows.append({"prompt": "please reset my paswrd", "chosen": "Open settings and choose resett.", "rejected": "I cannot help."})
    config = Config(task_type="generation")
    result = measure_index(index(write_jsonl(tmp_path / "train.jsonl", rows), config), config)
    # line 3's prompt copies line 2's alone; line 4 (same prompt, a typo in the chosen reply) copies line 3
    assert sorted(g.lines for g in result.near_groups) == [[1, 2], [3, 4]]
    assert result.near_kinds == {"typo": 2} and result.duplicate_records == 2


def test_leader_groups_place_texts_in_the_order_their_records_were_read():
    from dataaudit.checks.near_pairs import NearPairs, leader_groups

    pairs = NearPairs([0, 1, 2], [1, 2, 3], ["typo"] * 3, [0.9] * 3)  # a chain 0~1~2~3
    assert leader_groups(4, [pairs]).tolist() == [0, 0, 2, 2]
    # text 3 read first, then 2, 1, 0: the chain is kept from its other end
    assert leader_groups(4, [pairs], first_seen=[9, 5, 3, 1]).tolist() == [1, 1, 3, 3]
    assert leader_groups(3, [NearPairs()]).tolist() == [0, 1, 2]


def test_every_two_orderings_of_one_bag_of_words_are_compared():
    from dataaudit.checks.near_pairs import lexical_pairs

    found = lexical_pairs(["please roll the dice, ai", "ai, please roll the dice", "dice ai, please roll the"], 0.9)
    # the third was linked to the second alone, so a group around the first (leader_groups) lost it
    assert sorted(zip(found.first, found.second, found.kind)) == [(0, 1, "word order"), (0, 2, "word order"),
                                                                   (1, 2, "word order")]


@pytest.mark.parametrize("angle, lines", [(12, [[1, 2, 3]]), (25, [[1, 2]])])
def test_a_filler_copy_of_a_reworded_copy_joins_the_kept_record_only_when_it_is_a_copy_of_it(tmp_path, angle, lines):
    # line 3 is a filler copy of line 2 (never searched for reworded copies itself), line 2 a reworded copy of
    # line 1; cosine of line 3 to line 1: 0.978 at 12 degrees (a copy), 0.906 at 25 (none)
    result = _with_vectors(tmp_path, [("tell me how to make a vacation request", 0),
                                      ("i need to know how to make a vacation request", 10),
                                      ("can you i need to know how to make a vacation request", angle)])
    assert [g.lines for g in result.near_groups] == lines
    assert result.near_kinds == ({"semantic": 2} if angle == 12 else {"semantic": 1})


@pytest.mark.parametrize("a, b, kind", [
    ("please reset my password now", "please reset my pasword now", "typo"),
    ("please roll the dice, ai", "dice ai, please roll the", "word order"),
    ("hi reset my password", "reset my password thanks", "filler"),
    ("please flip coin ai", "ai, please flip a coni", None),  # a moved word and a typo: two steps, no copy
    ("switch on the fan", "switch off the fan", None),
])
def test_a_direct_lexical_comparison_follows_the_rules_of_the_lexical_pass(a, b, kind):
    from dataaudit.checks.near_pairs import lexical_copy, lexical_pairs

    found = lexical_copy((a, b), (skeleton(tokens(a)), skeleton(tokens(b))), 0.9)
    assert (found and found[0]) == kind
    pairs = lexical_pairs([a, b], 0.9)
    assert (pairs.kind[0] if pairs.kind else None) == kind and (found is None or found[1] == pairs.similarity[0])


def test_a_premise_and_its_swap_are_no_direct_lexical_copy():
    from dataaudit.checks.near_pairs import lexical_copy

    a, b = "the weather in paris today\nit will rain tomorrow", "it will rain tomorrow\nthe weather in paris today"
    words = (skeleton(tokens(a.replace("\n", " "))), skeleton(tokens(b.replace("\n", " "))))
    assert lexical_copy((a, b), words, 0.9) == ("word order", 0.5417)  # read as one field: one block moved
    assert lexical_copy((a, b), words, 0.9, (input_fields(a), input_fields(b))) is None


def test_the_duplicate_share_is_judged_from_the_counts_not_its_six_place_rounding(tmp_path):
    # 30,001 of 300,009 records = 0.10000033, stored as 0.1 (6 places): judged rounded it only warned at max 0.10
    config = Config()
    small = lexical(tmp_path, [("where is my order", "a"), ("where is my order", "a"), ("cancel my plan", "b")], config)
    assert (small.duplicate_records, small.records, small.duplicate_share) == (1, 3, 0.333333)
    ctx = AuditContext(config, index(tmp_path / "data.jsonl", config))
    large = dataclasses.replace(small, records=300_009, duplicate_records=30_001, duplicate_share=round(30_001 / 300_009, 6))
    (finding,) = CHECK.judge(large, ctx)
    assert large.duplicate_share == 0.1 and finding.status is Status.FAIL
    assert finding.evidence["duplicate_share"] == 0.1 and finding.evidence["duplicate_share_unrounded"] == 30_001 / 300_009
    assert "10.00003% of records are duplicates" in finding.summary
    at_bound = dataclasses.replace(small, records=300_000, duplicate_records=30_000, duplicate_share=0.1)
    (finding,) = CHECK.judge(at_bound, ctx)
    assert finding.status is Status.WARN and "10.0% of records are duplicates" in finding.summary
    config.hygiene.max_duplicate_share = 1 / 3  # exactly the share: not above it, whatever its rounding says
    (finding,) = CHECK.judge(small, ctx)
    assert finding.status is Status.WARN and "33.3% of records are duplicates" in finding.summary


def test_prompt_classes_do_not_chain_copies_compare_conversations_by_equality_and_skip_the_lexical_pass_when_off():
    from dataaudit.checks.near_pairs import prompt_classes

    ratio = Config().duplicates.lexical_ratio
    # b copies a, c copies b but not a: c leads a class of its own (components made a, b and c one class).
    chain = ["please reset my online banking password right now", "please resett my online banking password right now",
             "please resett my onlin banking password right now"]
    classes = prompt_classes(chain, ratio)
    assert classes[0] == classes[1] != classes[2] and 0 not in classes
    assert len(set(prompt_classes(chain, ratio, lexical=False))) == 3
    # A conversation's other turns: equal ones share a class, a typo makes another, and none joins a system prompt.
    units = ["lookup 1 result open", "lookup 1 result open", "lookup 1 resutl open", "lookup 1 result open"]
    classes = prompt_classes(units, ratio, conversations=[True, True, True, False])
    assert classes[0] == classes[1] and len({classes[0], classes[2], classes[3]}) == 3


TYPO_CHAIN = ["please reset my online banking password right now", "please resett my online banking password right now",
              "please resett my onlin banking password right now"]  # 2 copies 1, 3 copies 2 but not 1
UNRELATED = [f"unrelated question number {w}" for w in "one two three four five six seven eight nine ten".split()]


def test_a_near_conflict_is_a_near_group_with_other_labels_or_a_direct_copy_pair_across_groups(tmp_path):
    """Connected components made the chain 1 ~ 2 ~ 3 one conflict of three records, though the report grouped
    only 1 and 2 (which agree); 2 and 3 are copies with other labels, so they are the conflict."""
    rows = [{"text": t, "label": label} for t, label in zip(TYPO_CHAIN, ["account", "account", "security"])]
    rows += [{"text": t, "label": "other"} for t in UNRELATED]
    config = Config(task_type="classification")
    result = measure_index(index(write_jsonl(tmp_path / "c.jsonl", rows), config), config)
    assert [g.lines for g in result.near_groups] == [[1, 2]]
    assert [(c.kind, c.lines, c.labels) for c in result.conflicts] == [("near", [2, 3], ["account", "security"])]
    assert result.conflict_records == 2


def test_a_near_group_with_other_labels_is_one_conflict_and_a_record_in_two_conflicts_counts_once(tmp_path):
    rows = [{"text": TYPO_CHAIN[0], "label": "account"}, {"text": TYPO_CHAIN[1], "label": "billing"},
            {"text": TYPO_CHAIN[0], "label": "security"},  # an exact conflict with line 1, inside the near group
            {"text": "please reset my online bankng password right now", "label": "loans"}]
    rows += [{"text": t, "label": "other"} for t in UNRELATED]
    config = Config(task_type="classification")
    result = measure_index(index(write_jsonl(tmp_path / "c.jsonl", rows), config), config)
    assert [g.lines for g in result.near_groups] == [[1, 2, 3, 4]]
    # The exact conflict of lines 1 and 3 is inside the near one: one group of copies, counted once.
    assert [(c.kind, c.lines) for c in result.conflicts] == [("near", [1, 2, 3, 4])]
    assert result.conflict_count == 1 and result.conflict_records == 4


def test_an_exact_conflict_inside_a_near_conflict_is_counted_once_everywhere(tmp_path):
    """The QA case: one question, its exact copy with another label, a copy in capitals, a filler copy and a
    word-order copy. It was two conflicts (the near group, and the exact key's lines 1 and 2 again) in
    conflict_count, the hygiene sentence, its action and duplicates.jsonl, while dedup said 1 group."""
    question = "How do I reset my passcode on the app"
    rows = [{"text": question, "label": "passcode_forgotten"}, {"text": question, "label": "change_pin"},
            {"text": "HOW DO I RESET MY PASSCODE ON THE APP??", "label": "change_pin"},
            {"text": "please how do i reset my passcode on the app, thanks", "label": "passcode_forgotten"},
            {"text": "Reset my passcode on the app how do I", "label": "passcode_forgotten"}]
    rows += [{"text": t, "label": "other"} for t in UNRELATED]
    config = Config(task_type="classification")
    train = index(write_jsonl(tmp_path / "c.jsonl", rows), config)
    result = measure_index(train, config)
    assert [(g.kind, g.lines) for g in result.exact_groups + result.near_groups] == [("exact", [1, 2]), ("near", [1, 2, 3, 4, 5])]
    assert (result.conflict_count, result.conflict_records) == (1, 5)
    conflicts = [line for line in duplicates_lines(result) if line["kind"] == "conflict"]
    assert [(c["match"], c["lines"], c["labels"]) for c in conflicts] == \
        [("near", [1, 2, 3, 4, 5], ["passcode_forgotten", "change_pin"])]
    finding = CHECK.judge(result, AuditContext(config, train))[0]
    assert finding.evidence["conflict_groups"] == 1
    assert "1 group of exact or lexical copies carries different labels" in finding.summary
    assert "Adjudicate the 1 conflicting group:" in finding.action


LEGACY_SEPARATOR = "\n\n###\n\n"  # the fixed suffix OpenAI's legacy fine-tuning guide put after every prompt
SOCIAL_QUERIES = ["I can't find my refund. Please help.",
                  "My card has not been delivered yet and its been a week since I ordered it, please help",
                  "Please help me! A payment I made had an error on the account number and I can't cancel on my side."]


@pytest.mark.parametrize("embedded", [False, True])
def test_a_verbatim_copy_of_a_legacy_prompt_without_its_separator_is_a_lexical_copy(tmp_path, embedded, request):
    """The QA case: a prompt/completion file whose prompts end in the legacy separator, and the same queries
    verbatim (each with a please or thanks) in a plain CSV eval set and a plain training shard. The separator's
    line read as a second field, so none was a leak without embeddings ("no leakage": hygiene passed) and with
    them they were called reworded (cosine 0.977) or missed, and the training shards' copies were distinct."""
    embedder = request.getfixturevalue("embedder") if embedded else None
    config = Config(task_type="classification")
    legacy = [{"prompt": t + LEGACY_SEPARATOR, "completion": " refund"} for t in SOCIAL_QUERIES]
    legacy += [{"prompt": t + LEGACY_SEPARATOR, "completion": " other"} for t in UNRELATED]
    (tmp_path / "eval.csv").write_text("text,label\n" + "".join(f'"{t}",refund\n' for t in SOCIAL_QUERIES))
    train = index(write_jsonl(tmp_path / "legacy.jsonl", legacy), config, embedder=embedder)
    eval_index = index(tmp_path / "eval.csv", config, "eval", embedder)
    result = measure_index(train, config, eval_index=eval_index)
    assert [(x.eval_line, x.train_line, x.kind) for x in result.all_leaks] == [(n, n, "lexical") for n in (1, 2, 3)]
    # Inside training: the plain shard's rows are copies of the legacy file's, found by the lexical pass.
    (tmp_path / "plain.csv").write_text("text,label\n" + "".join(f'"{t}",refund\n' for t in SOCIAL_QUERIES))
    both = index([tmp_path / "legacy.jsonl", tmp_path / "plain.csv"], config, embedder=embedder)
    shards = measure_index(both, config)
    assert sorted((g.lines, g.files, g.methods) for g in shards.near_groups) == \
        [([n, n], [str(tmp_path / "legacy.jsonl"), str(tmp_path / "plain.csv")], ["lexical"]) for n in (1, 2, 3)]
    assert shards.duplicate_records == 3


@pytest.mark.parametrize("eval_text, train_line", [
    ("please resett my onlin bankingg password right now", 2),  # paired with 2 and 3: the earlier, never 1
    ("please resett my onlin banking pasword right now", 9),  # a copy of 3 alone
])
def test_an_eval_typo_copy_at_the_end_of_a_chain_leaks_against_a_training_line_it_copies(tmp_path, eval_text, train_line):
    train = [TYPO_CHAIN[0], TYPO_CHAIN[1], "unrelated question about loans", "how do i order a new debit card",
             "what is the weather in paris", "cancel my flight to rome", "book a table for two", "set an alarm for seven",
             TYPO_CHAIN[2]]
    config = Config(task_type="generation")
    result = measure_index(index(write_jsonl(tmp_path / "t.jsonl", [{"text": t} for t in train]), config), config,
                           eval_index=index(write_jsonl(tmp_path / "e.jsonl", [{"text": eval_text}]), config, "eval"))
    assert [(x.eval_line, x.train_line, x.kind) for x in result.all_leaks] == [(1, train_line, "lexical")]


def test_replies_are_classes_at_any_count_only_when_the_user_named_classification(tmp_path):
    """A classification the user named (a flag, an override, a config file or a Config built in code) sets the
    free-text test aside at any size; one resolve_task_type inferred (config.task_type_inferred) does not."""
    from dataaudit.config import config_from_dict, config_with_overrides
    from dataaudit.load.targets import resolve_task_type

    replies = [f"reply number {n} to this" for n in range(25)]  # short, never repeated: free text from 20 on
    data = load_dataset(write_jsonl(tmp_path / "c.jsonl", [chat(f"question {n}", r) for n, r in enumerate(replies)]),
                        Config(task_type="classification"))
    flag = config_with_overrides(Config(), {"task_type": "classification"}, names={"task_type": "--task-type"})
    config_file = config_from_dict({"task_type": "classification"}, source="audit.toml")
    assert label_field(data.records, flag) == "label"  # a classification chat's replies are read as its labels
    assert label_field(data.records, config_file) == "label"  # was None: a config file's task_type read as inferred
    assert label_field(data.records, Config(task_type="classification")) == "label"
    categories = write_jsonl(tmp_path / "cat.jsonl", [chat(f"q{n}", ["billing", "shipping"][n % 2]) for n in range(30)])
    inferred, task = resolve_task_type(Config(), [str(categories)])
    assert (inferred.task_type, inferred.task_type_inferred, task.inferred) == ("classification", True, True)
    assert label_field(data.records, inferred) is None  # these replies are free text: not the classes it inferred
    assert label_field(data.records[:18], inferred) == "label"  # below 20 the free-text share rules do not apply


def _leak_chain(monkeypatch, train_texts, eval_texts, pairs):
    """_lexical_leaks over these texts and lexical pairs (positions: training keys, then eval keys), counting the
    lexical_copy comparisons it makes and the texts it splits into words."""

    from dataaudit.checks import duplicates
    from dataaudit.checks.near_pairs import NearPairs

    calls = Counter()
    real_copy, real_tokens = duplicates.lexical_copy, duplicates.tokens

    def counted_copy(*args, **kwargs):
        calls["lexical_copy"] += 1
        return real_copy(*args, **kwargs)

    def counted_tokens(text):
        calls[text] += 1
        return real_tokens(text)

    monkeypatch.setattr(duplicates, "lexical_copy", counted_copy)
    monkeypatch.setattr(duplicates, "tokens", counted_tokens)
    lexical = NearPairs()
    for i, j in pairs:
        lexical.add(i, j, "typo", 0.9)
    n = len(train_texts)
    leaks = duplicates._lexical_leaks(lexical, n, len(eval_texts), train_texts + eval_texts, {}, 0.85, lambda i: None)
    return leaks, calls


def test_an_eval_text_with_no_training_pair_is_compared_with_a_bounded_few_training_keys_not_its_whole_component(monkeypatch):
    # A templated chain 0~1~...~299 of training keys; eval 0 pairs with training key 0, evals 1-5 with eval 0 only.
    # Each eval tried all 300 keys of the component (10k x 100k: hours); now the keys paired with its eval
    # neighbours: one here.
    train = [f"ticket {i} about the printer on floor {i % 7} in building {i}" for i in range(300)]
    evals = [f"completely different text number {e} about nothing" for e in range(6)]
    pairs = [(i, i + 1) for i in range(299)] + [(0, 300)] + [(300, 300 + e) for e in range(1, 6)]
    leaks, calls = _leak_chain(monkeypatch, train, evals, pairs)
    assert [(e, t) for e, t, _, _ in leaks] == [(0, 0)]  # the direct pair; no eval is a copy of key 0
    assert calls["lexical_copy"] == 5
    assert max(count for text, count in calls.items() if text != "lexical_copy") == 1  # words split once per text


def test_an_eval_typo_copy_reached_through_another_eval_text_leaks_against_the_training_key_it_copies(monkeypatch):
    # eval 1 copies training key 1 with no pair of its own to it; eval 0 (paired with keys 0 and 1) joins them.
    train = ["what is the weather in paris", "please reset my online banking password right now"]
    evals = ["please resett my online banking password now please", "please reset my online bankng password right now"]
    leaks, calls = _leak_chain(monkeypatch, train, evals, [(0, 2), (1, 2), (2, 3)])
    assert [(e, t, kind) for e, t, kind, _ in leaks] == [(0, 0, "lexical"), (1, 1, "lexical")]
    assert calls["lexical_copy"] == 2  # key 0 (read first, no copy), then key 1


def _conflicts_of(labels, component, pairs):
    """_near_conflicts over keys 0.. with one record each carrying these labels; pairs: (i, j) -> kind, the
    lexical ones (typo) also the pairs `within`."""
    from types import SimpleNamespace

    import numpy as np

    from dataaudit.checks.duplicates import _near_conflicts
    from dataaudit.checks.near_pairs import NearPairs
    from dataaudit.load.records import Record

    records = [Record("t.jsonl", i + 1, "text", f"text {i}", label=label) for i, label in enumerate(labels)]
    train = SimpleNamespace(records=records, distinct=[f"text {i}" for i in range(len(labels))],
                            positions={f"text {i}": [i] for i in range(len(labels))})
    within = NearPairs()
    for (i, j), kind in pairs.items():
        if kind != "semantic":
            within.add(i, j, kind, 0.9)
    pair_of = {pair: (kind, 0.9) for pair, kind in pairs.items()}
    return sorted(_near_conflicts(np.array(component), within, pair_of, train, "label", set()))


def test_a_typo_pair_inside_one_group_is_a_conflict_when_one_key_joined_the_group_by_a_reworded_pair():
    # A (1) is a typo copy of the kept K (0), B (2) a reworded copy of K and a typo copy of A: all three in K's
    # group, where only K and A are true copies (same label). A and B, a true copy pair, differ: never reported.
    assert _conflicts_of(["x", "x", "y"], [0, 0, 0], {(0, 1): "typo", (0, 2): "semantic", (1, 2): "typo"}) == [[1, 2]]
    # A pair inside a conflict already reported is not reported again; one across groups still is.
    assert _conflicts_of(["x", "y", "x", "z"], [0, 0, 0, 3], {(0, 1): "typo", (0, 2): "typo", (1, 2): "typo",
                                                             (2, 3): "typo"}) == [[0, 1, 2], [2, 3]]


def test_reworded_copy_verdicts_kept_by_an_earlier_run_are_the_rules_and_only_new_pairs_are_judged(tmp_path, monkeypatch):
    """The semantic pass's verdicts (reworded copy or not) are kept for the next run: a re-run that adds texts
    finds the pairs a run without the memo finds, and judges only the pairs it had not judged before."""
    import numpy as np

    from dataaudit.checks import duplicates
    from dataaudit.checks.near_pairs import semantic_pairs

    config = dataclasses.replace(Config(), embeddings=dataclasses.replace(Config().embeddings, cache_dir=str(tmp_path / "cache")))
    pairs = [("how do i reset my pin", "how can i reset my pin"),  # reworded: a copy
             ("transfer 50 dollars to savings", "transfer 60 dollars to savings"),  # another number: no copy
             ("i want to cancel my card", "i do not want to cancel my card"),  # a negation: no copy
             ("what is my balance", "tell me what my balance is")]
    rng = np.random.default_rng(3)

    def near_vectors(count: int) -> np.ndarray:
        base = rng.standard_normal((count, 16))
        rows = np.repeat(base, 2, axis=0) + 0.01 * rng.standard_normal((2 * count, 16))  # each pair's two rows near
        return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)

    texts, vectors = [t for pair in pairs[:3] for t in pair], near_vectors(3)
    memo = duplicates._VerdictMemo.open(config)
    first = semantic_pairs(texts, vectors, 0.95, 1, rule=memo)
    memo.keep()
    assert first == semantic_pairs(texts, vectors, 0.95, 1)
    assert (first.first, first.second, first.kind) == ([0], [1], ["semantic"])

    judged: list[tuple] = []
    rule = duplicates.reworded_copy
    monkeypatch.setattr(duplicates, "reworded_copy", lambda a, b: judged.append((a, b)) or rule(a, b))
    grown_texts, grown_vectors = texts + list(pairs[3]), np.vstack([vectors, near_vectors(1)])
    again = semantic_pairs(grown_texts, grown_vectors, 0.95, 1, rule=duplicates._VerdictMemo.open(config))
    assert again == semantic_pairs(grown_texts, grown_vectors, 0.95, 1, rule=rule)
    assert (again.first, again.second) == ([0, 6], [1, 7])
    assert judged == [(skeleton(tokens(pairs[3][0])), skeleton(tokens(pairs[3][1])))]  # the new pair alone


# Found by a QA probe on Snow et al.'s RTE items: a premise with the hypothesis in the active and in an agent's
# passive, labelled entailment and not (cosine 0.986), made one reworded-copy group, and dedup dropped one.
VOICE_PREMISE = ("Latvia, for instance, is the lowest-ranked team in the field but defeated World Cup semifinalist "
                 "Turkey in a playoff to qualify for the final 16 of Euro 2004.")


@pytest.mark.parametrize("a, b, changed", [
    ("Latvia beats Turkey.", "Latvia is defeated by Turkey.", True),
    ("the senate approved the bill", "the bill was quickly approved by the senate", True),
    ("the bill was approved by the senate", "the bill was passed by the senate", False),
    ("set an alarm", "set the alarm for me", False),
    ("stand by me", "stay by me", False),
    # A QA reviewer's true copies: "by" before a time or a means, a passive with and without its agent, no passive.
    ("can my package be delivered by friday", "can my package arrive by friday", False),
    ("the parcel was sent by post", "the parcel was mailed", False),
    ("my card was declined", "my card got declined by the shop", False),
    ("it is close by", "it is nearby", False),
    ("will my order be shipped by the end of the month", "will my order ship by the end of the month", False),
    # A second review's contrast pairs: irregular participles, and a means word with a determiner is an agent.
    ("the man was hurt by the dog", "the man hurt the dog", True),
    ("the baby was fed by the nurse", "the baby fed the nurse", True),
    ("the cyclist was hit by a bus", "the cyclist hit a bus", True),
    ("the payment was blocked by the bank", "the payment blocked the bank", True),
])
def test_an_agents_passive_against_another_voice_is_a_changed_voice(a, b, changed):
    from dataaudit.normalize import voice_changed, voice_memo

    assert voice_changed(a, b) is changed
    assert voice_changed(a, b, voice_memo()) is changed


@pytest.mark.parametrize("text, voice", [
    ("Latvia is defeated by Turkey.", (1, 0)),
    ("the bill was quickly approved by the senate", (1, 0)),
    ("the match was won by the home side", (1, 0)),
    ("can my package be delivered by 5pm", (0, 1)),
    ("the parcel was sent by post", (0, 1)),
    ("the shop is open by noon", (0, 0)),
    ("it is close by", (0, 0)),
])
def test_passive_voice_counts_an_agent_only_after_a_participle_and_before_no_time_or_means(text, voice):
    from dataaudit.normalize import passive_voice, tokens

    assert passive_voice(tokens(text)) == voice


def test_a_hypothesis_turned_into_an_agents_passive_is_no_reworded_copy_or_leak(tmp_path, embedder):
    active, passive = f"{VOICE_PREMISE} Latvia beats Turkey.", f"{VOICE_PREMISE} Latvia is defeated by Turkey."
    assert float(np.dot(*embedder.embed([active, passive]))) >= Config().duplicates.near_cosine  # what made the pair
    config = Config()
    train = index(write_jsonl(tmp_path / "t.jsonl", rows([(active, "entailment"), (passive, "no_entailment")])), config,
                  embedder=embedder)
    assert measure_index(train, config).near_group_count == 0
    held_out = index(write_jsonl(tmp_path / "e.jsonl", rows([(passive, "no_entailment")])), config, embedder=embedder)
    only_active = index(write_jsonl(tmp_path / "a.jsonl", rows([(active, "entailment")])), config, embedder=embedder)
    assert measure_index(only_active, config, eval_index=held_out).leak_count == 0


# A QA probe's hard negatives (issue dups39): one meaning-bearing function word changed, added or dropped, at
# cosine 0.95-0.99 in all-MiniLM-L6-v2, had been grouped as reworded copies, reported as leaks and deduplicated.
FUNCTION_WORD_NEGATIVES = [
    ("what is my balance", "what is your balance"),  # 0.960
    ("why is my card blocked", "how is my card blocked"),  # 0.975
    ("delete all my transactions", "delete some of my transactions"),  # 0.955
    ("I was charged again for my coffee", "I was charged for my coffee"),  # 0.954
    ("cancel all pending payments on my card", "cancel pending payments on my card"),  # 0.971
    ("can I still use my old card", "can I use my old card"),  # 0.971
    ("why did my top up fail", "why did my top up fail again"),  # 0.986
    ("why was I charged a fee", "why was I charged a fee too"),  # 0.976
    ("can you call him for me", "can you call her for me"),
    ("when is my payment due", "where is my payment due"),
]


@pytest.mark.parametrize("a, b", FUNCTION_WORD_NEGATIVES)
def test_a_person_question_word_quantifier_or_again_changed_is_no_copy(a, b):
    key = lambda t: skeleton(tokens(normalize_text(t, Config().duplicates)))  # noqa: E731
    assert protected_difference(key(a), key(b)) == "function word"
    assert not reworded_copy(key(a), key(b)) and copy_kind(key(a), key(b)) is None


@pytest.mark.parametrize("a, b, kind", [
    ("what is yuor balance", "what is your balance", "typo"),  # a typo of the word is still a copy, as for any word
    ("why did my top up fail agian", "why did my top up fail again", "typo"),
    ("can I sitll use my old card", "can I still use my old card", "typo"),
    ("why was I charged a fee too", "why was I charged a fee tooo", "typo"),
    ("delete all my transactions now", "delete my transactions all now", "word order"),
])
def test_a_typo_or_move_of_a_meaning_bearing_function_word_is_still_a_copy(a, b, kind):
    key = lambda t: skeleton(tokens(normalize_text(t, Config().duplicates)))  # noqa: E731
    assert protected_difference(key(a), key(b)) is None
    assert copy_kind(key(a), key(b)) == kind


@pytest.mark.parametrize("a, b", [("cancel every pending payment", "cancel each pending payment"),
                                  ("why was I charged a fee too", "why was I also charged a fee"),
                                  ("call him back", "call him himself back"), ("which card is blocked", "what card is blocked")])
def test_near_synonyms_among_meaning_bearing_function_words_stand_as_one(a, b):
    key = lambda t: skeleton(tokens(normalize_text(t, Config().duplicates)))  # noqa: E731
    assert protected_difference(key(a), key(b)) is None


@pytest.mark.parametrize("a, b", [
    ("i lost my credit card", "my credit card is lost"),  # a person named once or twice
    ("what is my credit score", "tell me my credit score"),  # a question word dropped, not swapped
    ("do you know why my card got declined", "tell me why my card got declined"),  # a person added, not swapped
    ("can my children have their own account", "can my children have an account"),
    ("my transfer didn't go through", "why didn't my transfer go through"),
    ("how come my account has a hold", "why does my account have a hold"),  # how come is why
    ("how many euros do i get for a dollar", "what do i get in euros for a dollar"),  # how many asks, counts nothing
    ("can i apply for a visa card", "is it possible to apply for a visa card"),  # it against a person: often no one
    ("how do i find my card pin", "where do i find my card pin"),  # how is often where or when put otherwise
    ("why did my transfer not go through", "what may be the reason that my transfer did not go through"),
    ("my card payment was duplicated after all", "my card payment was duplicated"),  # after all: no quantity
    ("can i get a new card while i am in china", "can i get a new card even though i am in china"),  # a conjunction
    ("i was charged way more than i should be", "i was charged way too much"),  # too much: a degree, not also
    ("what is the weather like today", "how is the weather today"),
    ("can i pay my bill online", "is it possible to pay my bill online"),  # "it" is as often no one
    ("what is the exchange rate", "what's the exchange rate"),  # a contraction is read by its first word
])
def test_a_person_or_question_word_added_or_dropped_and_general_questions_stay_reworded_copies(a, b):
    key = lambda t: skeleton(tokens(normalize_text(t, Config().duplicates)))  # noqa: E731
    assert protected_difference(key(a), key(b)) is None


# A reviewer's pairs (issue norm39b): the function-word rule had read other languages as English, so these
# reworded copies were kept apart (Dutch even: just; German also: so, still: quietly; Spanish he: I have;
# Italian i: the, tu: you).
@pytest.mark.parametrize("a, b", [
    ("kun je even mijn saldo checken", "kun je mijn saldo checken"),
    ("also ich möchte meine karte sperren", "ich möchte meine karte sperren"),
    ("ich möchte still meine karte sperren", "ich möchte meine karte sperren"),
    ("he perdido mi tarjeta", "me han robado mi tarjeta"),
    ("i miei soldi non sono arrivati", "tu soldi non sono arrivati"),
])
def test_the_function_word_rule_reads_only_english_text(a, b):
    key = lambda t: skeleton(tokens(normalize_text(t, Config().duplicates)))  # noqa: E731
    assert protected_difference(key(a), key(b)) is None
    assert reworded_copy(key(a), key(b))


@pytest.mark.parametrize("a, b", [
    ("why my card declined", "why ur card declined"),  # text-speak is the word it spells
    ("why my card declined", "why u card declined"),
    ("see ya later", "see him later"),
    ("whats my balance", "what is your balance"),  # a contraction without its apostrophe is still English
])
def test_text_speak_persons_and_bare_contractions_are_read_as_english(a, b):
    key = lambda t: skeleton(tokens(normalize_text(t, Config().duplicates)))  # noqa: E731
    assert protected_difference(key(a), key(b)) == "function word"
    assert not reworded_copy(key(a), key(b))


@pytest.mark.parametrize("a, b", [
    ("visa rules for the u.k.", "visa rules for us in the uk"),  # u before a letter: an initialism, no you
    ("ya the card arrived", "yes my card arrived"),  # ya opening a text: yeah
])
def test_text_speak_that_means_something_else_is_no_person(a, b):
    key = lambda t: skeleton(tokens(normalize_text(t, Config().duplicates)))  # noqa: E731
    assert protected_difference(key(a), key(b)) is None


def test_how_come_takes_its_own_how_alone():
    from dataaudit.normalize import _english_meanings

    words = skeleton(tokens("how do i fix it and how come it broke"))
    assert _english_meanings(words) == {"how": ("how",), "i": ("i",), "it": ("it", "it"), "why": ("come",)}
    assert "how" not in _english_meanings(skeleton(tokens("how come it broke")))


def test_long_labels_that_share_an_excerpt_are_two_labels(tmp_path):
    first, second = "x" * 400 + " alpha", "x" * 400 + " beta"
    path = write_jsonl(tmp_path / "t.jsonl", [{"text": "how do i top up my card", "label": first},
                                               {"text": "how do i top up my card", "label": second},
                                               {"text": "where is my refund", "label": "r"}])
    result = audit(path, Config(), embed=False).checks["duplicates"]
    (conflict,) = result.conflicts
    assert len(set(conflict.labels)) == 2 and all(len(label) <= 300 for label in conflict.labels)
    assert {label.rsplit(" ", 1)[-1] for label in conflict.labels} == {
        hashlib.sha256(v.encode()).hexdigest()[:12] + "]" for v in (first, second)}
    (line,) = [line for line in duplicates_lines(result) if line["kind"] == "conflict"]
    assert line["labels"] == conflict.labels
    # each line's label is named as the distinct list names it (the same excerpt twice read as one label)
    assert sorted(conflict.line_labels) == sorted(conflict.labels) and line["line_labels"] == conflict.line_labels
    short = write_jsonl(tmp_path / "s.jsonl", [{"text": "how do i top up my card", "label": "a"},
                                               {"text": "how do i top up my card", "label": "b"}])
    assert audit(short, Config(), embed=False).checks["duplicates"].conflicts[0].labels == ["a", "b"]


def test_function_word_hard_negatives_are_neither_grouped_nor_leaks_with_embeddings(tmp_path, embedder):
    config = Config()
    train = index(write_jsonl(tmp_path / "train.jsonl", rows([(a, f"t{n}") for n, (a, _) in enumerate(FUNCTION_WORD_NEGATIVES)])),
                  config, embedder=embedder)
    evals = index(write_jsonl(tmp_path / "eval.jsonl", rows([(b, f"e{n}") for n, (_, b) in enumerate(FUNCTION_WORD_NEGATIVES)])),
                  config, "eval", embedder)
    vectors = embedder.embed([t for pair in FUNCTION_WORD_NEGATIVES for t in pair])
    cosines = (vectors[0::2] * vectors[1::2]).sum(axis=1)
    assert (cosines[:8] >= config.duplicates.near_cosine).all()  # the probe's pairs: the embedding alone joins them
    result = measure_index(train, config, eval_index=evals)
    assert result.all_leaks == []
    both = index(write_jsonl(tmp_path / "both.jsonl", rows([(t, "x") for pair in FUNCTION_WORD_NEGATIVES for t in pair])),
                 config, embedder=embedder)
    assert measure_index(both, config).near_groups == []


def test_a_conflict_line_in_duplicates_jsonl_has_report_json_s_keys_and_meanings(tmp_path):
    result = lexical(tmp_path, [("is the sky blue today", "entailment"), ("Is the sky blue today", "entailment"),
                                ("IS THE SKY BLUE TODAY", "contradiction"), ("where is my parcel", "late"),
                                ("where is my parcel please", "late")])
    (conflict,) = result.conflicts
    (line,) = [line for line in duplicates_lines(result) if line["kind"] == "conflict"]
    assert line["labels"] == conflict.labels == ["entailment", "contradiction"]  # distinct, most frequent first
    assert line["line_labels"] == conflict.line_labels == ["entailment", "entailment", "contradiction"]
    assert line["lines"] == conflict.lines == [1, 2, 3]
    config = Config()
    (finding,) = CHECK.judge(result, AuditContext(config, index(tmp_path / "data.jsonl", config)))
    assert finding.summary == ("1 group of exact or lexical copies carries different labels (e.g. entailment at lines 1, 2 "
                               "vs contradiction at line 3); 60.0% of records are duplicates (1 exact and 1 near group)")


def test_a_leaks_similarity_says_its_measure_in_report_json_and_duplicates_jsonl(tmp_path):
    """`similarity` is 1.0 for an exact or query copy, a character edit similarity for a lexical one and a cosine
    for a reworded one: similarity_measure says which, beside it (the key itself is a contract)."""
    from dataaudit.checks.duplicates import Leak

    config = Config(task_type="classification")
    train = index(write_jsonl(tmp_path / "t.jsonl", rows([("Could you activate my card", "a")] +
                                                         [(t, "other") for t in UNRELATED])), config)
    evals = index(write_jsonl(tmp_path / "e.jsonl", rows([("Could you please activate my card", "a"),
                                                          (UNRELATED[0], "other")])), config, "eval")
    result = measure_index(train, config, eval_index=evals)
    leaks = [line for line in duplicates_lines(result) if line["kind"] == "leak"]
    assert [(x["match"], x["similarity_measure"]) for x in leaks] == [("lexical", "edit"), ("exact", "equal")]
    assert leaks[0]["similarity"] == pytest.approx(0.8814, abs=1e-4)  # fuzz.ratio / 100 of the two queries
    assert [dataclasses.asdict(x)["similarity_measure"] for x in result.leakage] == ["edit", "equal"]
    reworded = Leak("e.jsonl", 3, "t.jsonl", 7, "semantic", 0.961, "a", "b")
    assert reworded.similarity_measure == "cosine"
    assert dataclasses.replace(reworded, kind="exact", similarity=1.0).similarity_measure == "equal"
