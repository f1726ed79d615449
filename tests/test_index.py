"""The text index: keys, their queries and their system prompts."""

from __future__ import annotations

from dataaudit.config import Config
from dataaudit.index import build_index
from dataaudit.load.dataset import load_dataset
from dataaudit.normalize import normalize_text
from tests.conftest import chat, write_jsonl

SYSTEM = "You are a helpful banking assistant.\nAnswer with one intent name."


def _dataset(tmp_path):
    data = [chat("  Why was my card DECLINED?", "declined", system=SYSTEM),
            chat("Why was my card declined?", "declined", system=None),
            {"messages": [{"role": "system", "content": "Be brief."}, {"role": "system", "content": "Use English."},
                          {"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"},
                          {"role": "user", "content": "Freeze my card"}, {"role": "assistant", "content": "freeze"}]}]
    config = Config()
    return load_dataset(write_jsonl(tmp_path / "chat.jsonl", data), config), config


def test_each_key_keeps_its_normalised_system_prompt_and_query_apart(tmp_path):
    dataset, config = _dataset(tmp_path)
    built = build_index("train", dataset, lambda text: normalize_text(text, config.duplicates))
    assert built.distinct == ["you are a helpful banking assistant. answer with one intent name. why was my card declined?",
                              "why was my card declined?", "be brief. use english. hi hello freeze my card"]
    # A multi-turn conversation asks its user turns; its other turns (system prompt, earlier replies) are what
    # near-copy rules compare as a unit, by equality.
    assert built.prompts == ["you are a helpful banking assistant. answer with one intent name.", "",
                             "be brief. use english. hello"]
    assert built.conversations == [False, False, True]
    assert built.embed_texts == ["why was my card declined?", "why was my card declined?", "hi freeze my card"]


def test_the_ray_read_tasks_lookup_gives_the_same_index_as_normalising_here(tmp_path):
    """The Ray engine's read tasks normalise each file's texts and hand the index that lookup (a text it lacks
    would raise KeyError): the prompts, queries and keys must be the ones normalising on the driver gives."""
    from dataaudit.engine.ray_engine import _read_file

    dataset, config = _dataset(tmp_path)
    read, lookup = _read_file([str(tmp_path / "chat.jsonl")], config, "train")
    by_lookup = build_index("train", read, lookup.__getitem__)
    direct = build_index("train", dataset, lambda text: normalize_text(text, config.duplicates))
    assert (by_lookup.distinct, by_lookup.prompts, by_lookup.embed_texts) == (direct.distinct, direct.prompts, direct.embed_texts)
    assert by_lookup.with_vectors(dict.fromkeys(by_lookup.distinct, [1.0]), 1).prompts == direct.prompts
    assert by_lookup.with_vectors(dict.fromkeys(by_lookup.distinct, [1.0]), 1).conversations == [False, False, True]


def test_a_user_turn_starting_with_a_newline_under_a_system_prompt_keeps_no_query_apart(tmp_path):
    """Only replies or tool turns in the input set a query apart: a lone user turn's leading newline once kept a
    separate query, and the record was compared as a conversation of its own (its near copies lost)."""
    data = [chat("\nwhy was my crad declined", "declined", system="You are a bank bot."),
            chat("  why was my card declined  ", "declined", system="You are a bank bot.")]
    config = Config()
    dataset = load_dataset(write_jsonl(tmp_path / "chat.jsonl", data), config)
    assert [(r.query, r.context) for r in dataset.records] == [(None, None), (None, None)]
    built = build_index("train", dataset, lambda text: normalize_text(text, config.duplicates))
    assert built.prompts == ["you are a bank bot.", "you are a bank bot."]
    assert built.conversations == [False, False]
    assert built.embed_texts == ["why was my crad declined", "why was my card declined"]
