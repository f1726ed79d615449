"""Hostile values inside otherwise readable records: each is a record error naming its field, and the rest of
the file is still read."""

from __future__ import annotations

import pytest

from dataaudit.config import Config
from dataaudit.load.dataset import load_dataset
from tests.conftest import write_jsonl

USER = {"role": "user", "content": "hi"}
REPLY = {"role": "assistant", "content": "hello"}
GOOD = {"messages": [USER, REPLY]}


def _parts(kind) -> list:
    return [{"type": kind, "text": "hi"}]


UNHASHABLE_PART_TYPES = [  # (record, role read as, field named)
    ({"messages": [{"role": "user", "content": _parts(["text"])}, REPLY]}, "train", "messages[0].content[0].type"),
    ({"messages": [{"role": "user", "content": _parts({})}, REPLY]}, "train", "messages[0].content[0].type"),
    ({"messages": [USER, {"role": "assistant", "content": _parts(["text"])}]}, "train", "messages[1].content[0].type"),
    ({"prompt": [{"role": "user", "content": _parts(["text"])}], "completion": "x"}, "train", "prompt[0].content[0].type"),
    ({"prompt": "q", "chosen": [{"role": "assistant", "content": _parts(["text"])}], "rejected": [REPLY]}, "train",
     "chosen[0].content[0].type"),
    ({"messages": [{"role": "user", "content": _parts(["text"])}]}, "production", "messages[0].content[0].type"),
    ({"messages": [{"role": "user", "content": _parts({"a": 1})}, REPLY]}, "eval", "messages[0].content[0].type"),
]


@pytest.mark.parametrize("record, role, field", UNHASHABLE_PART_TYPES, ids=[f"{r}:{f}" for _, r, f in UNHASHABLE_PART_TYPES])
def test_a_content_part_whose_type_is_not_a_string_is_a_record_error_naming_the_type(tmp_path, record, role, field):
    path = write_jsonl(tmp_path / "parts.jsonl", [record, GOOD])
    ds = load_dataset(path, Config(task_type="generation"), role=role)
    assert [(e.line, e.field) for e in ds.errors] == [(1, field)]
    assert "expected the part's type as a string, got " in ds.errors[0].message
    assert [r.line for r in ds.records] == [2]


EVIL = "\x1b[2J\x1b[31mjohn.doe@example.com\u202e " + "A" * 70_000


def _error(tmp_path, record, config=None, good=GOOD):
    ds = load_dataset(write_jsonl(tmp_path / "evil.jsonl", [record, good]), config or Config(task_type="generation"))
    assert [r.line for r in ds.records] == [2]
    [error] = ds.errors
    return error


def _shown_safely(text: str) -> None:
    assert "\x1b" not in text and "\u202e" not in text and "john.doe@example.com" not in text
    assert "A" * 200 not in text


def test_an_unknown_role_is_quoted_as_an_excerpt_masked_without_controls_and_cut(tmp_path):
    error = _error(tmp_path, {"messages": [{"role": EVIL, "content": "hi"}, REPLY]})
    assert error.field == "messages[0].role"
    assert error.message.startswith("unknown role '\\x1b[2J\\x1b[31m<EMAIL ")
    assert error.message.endswith("…' (expected one of assistant, developer, function, system, tool, user)")
    assert len(error.message) < 300
    _shown_safely(error.message)


def test_an_unknown_message_key_is_cut_in_the_message_and_in_the_field_name(tmp_path):
    error = _error(tmp_path, {"messages": [{"role": "user", "content": "hi", EVIL: 1}, REPLY]})
    assert error.field.startswith("messages[0].\\x1b[2J") and error.field.endswith("…") and len(error.field) < 200
    assert error.message.startswith("unknown message key '\\x1b[2J")
    _shown_safely(error.field)
    _shown_safely(error.message)


@pytest.mark.parametrize("record, field", [
    ({"messages": [{"role": ["user", EVIL], "content": "hi"}, REPLY]}, "messages[0].role"),
    ({"messages": [USER, {"role": "assistant", "content": "x", "weight": EVIL}]}, "messages[1].weight"),
    ({"conversations": [{"from": EVIL, "value": "hi"}, {"from": "gpt", "value": "x"}]}, "conversations[0].from"),
    ({"prompt": [{"role": EVIL, "content": "hi"}], "completion": "x"}, "prompt[0].role"),
    ({"prompt": "q", "completion": "c", "annotations": [{"annotator": EVIL, "label": "a"}, {"annotator": EVIL, "label": "b"}]},
     "annotations[1].annotator"),
], ids=["role-list", "weight", "sharegpt-speaker", "prompt-role", "annotator"])
def test_every_quoted_value_of_a_format_error_is_an_excerpt(tmp_path, record, field):
    error = _error(tmp_path, record)
    assert error.field == field
    assert "…" in error.message and len(error.message) < 400
    _shown_safely(error.message)


def test_the_record_keys_named_beside_a_missing_text_field_are_cut(tmp_path):
    error = _error(tmp_path, {EVIL: "hi", "label": "a"}, Config(task_type="classification", fields=_fields(text="utterance")),
                   good={"utterance": "hi", "label": "a"})
    assert error.field == "utterance"
    assert error.message.startswith("missing (the record's fields: \\x1b[2J")
    _shown_safely(error.message)


def _fields(**given):
    from dataaudit.config import FieldsConfig

    return FieldsConfig(**given)


# --- a message's name is part of what the model sees ---

def _asked_by(name: str | None, question: str = "Which account is mine?") -> dict:
    user = {"role": "user", "content": question, **({"name": name} if name else {})}
    return {"messages": [{"role": "system", "content": "sys"}, user, {"role": "assistant", "content": "The checking account."}]}


def test_a_users_name_is_in_the_input_key_but_not_in_the_query(tmp_path):
    rows = [_asked_by("bob"), _asked_by("alice"), _asked_by(None)]
    bob, alice, nobody = load_dataset(write_jsonl(tmp_path / "names.jsonl", rows), Config(task_type="generation")).records
    assert (bob.input_text, alice.input_text, nobody.input_text) == (
        "sys\nbob: Which account is mine?", "sys\nalice: Which account is mine?", "sys\nWhich account is mine?")
    assert bob.query_text == alice.query_text == nobody.query_text == "Which account is mine?"
    assert (bob.context, alice.context, nobody.context) == ("sys\nbob:", "sys\nalice:", None)
    assert bob.preamble_chars == alice.preamble_chars == len("sys")


def test_names_reach_the_key_of_prompt_lists_and_preference_prompts_and_stay_out_of_targets(tmp_path):
    named = {"role": "user", "name": "bob", "content": "hi"}
    rows = [{"prompt": [{"role": "system", "name": "ops", "content": "sys"}, named], "completion": "yo"},
            {"prompt": [named], "chosen": [{"role": "assistant", "name": "bot", "content": "yes"}],
             "rejected": [{"role": "assistant", "content": "no"}]},
            {"input": {"messages": [named]}, "preferred_output": [{"role": "assistant", "content": "yes"}],
             "non_preferred_output": [{"role": "assistant", "content": "no"}]},
            {"messages": [named, {"role": "assistant", "name": "bot", "content": "yes"}]}]
    ds = load_dataset(write_jsonl(tmp_path / "named.jsonl", rows), Config(task_type="generation"))
    assert ds.errors == []
    assert [(r.input_text, r.target) for r in ds.records] == [
        ("ops: sys\nbob: hi", "yo"), ("bob: hi", "yes"), ("bob: hi", "yes"), ("bob: hi", "yes")]
    assert ds.records[0].preamble_chars == len("ops: sys")


def test_two_conversations_that_differ_only_in_the_users_name_are_not_duplicates(tmp_path):
    from dataaudit.api import audit

    path = write_jsonl(tmp_path / "names.jsonl", [_asked_by("bob"), _asked_by("alice")])
    duplicates = audit([str(path)], Config(task_type="generation"), embed=False).checks["duplicates"]
    assert (duplicates.exact_group_count, duplicates.near_group_count, duplicates.duplicate_records) == (0, 0, 0)
