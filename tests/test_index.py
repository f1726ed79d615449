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
    assert built.prompts == ["you are a helpful banking assistant. answer with one intent name.", "",
                             "be brief. use english."]
    assert built.embed_texts == ["why was my card declined?", "why was my card declined?", "hi hello freeze my card"]


def test_a_lookup_of_the_normalised_inputs_and_queries_alone_gives_the_same_prompts(tmp_path):
    """The Ray engine's read tasks hand the index a lookup of the inputs and queries they normalised."""
    dataset, config = _dataset(tmp_path)
    lookup = {t: normalize_text(t, config.duplicates) for r in dataset.records for t in (r.input_text, r.query_text)}
    by_lookup = build_index("train", dataset, lookup.__getitem__)
    direct = build_index("train", dataset, lambda text: normalize_text(text, config.duplicates))
    assert by_lookup.prompts == direct.prompts and by_lookup.embed_texts == direct.embed_texts
    assert by_lookup.with_vectors(dict.fromkeys(by_lookup.distinct, [1.0]), 1).prompts == direct.prompts
