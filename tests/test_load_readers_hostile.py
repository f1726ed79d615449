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
