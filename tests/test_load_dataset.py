"""Assembling a Dataset: what a record error advises is what fixes the file it was read in."""

from __future__ import annotations

import pytest

from dataaudit.config import Config, FieldsConfig
from dataaudit.load.dataset import load_dataset
from tests.conftest import write_jsonl

ROWS = [{"txt": "where is my card"}, {"txt": "reset my pin"}]


@pytest.mark.parametrize("role, advice, not_advised", [
    ("train", "with --text-field / --label-field", "--production-text-field"),
    ("production", "name the production file's text field with --production-text-field", "or with --text-field"),
    ("eval", "the eval set is read with the training file's field names", "--production-text-field"),
])
def test_an_unrecognised_row_names_the_flags_of_the_role_it_was_read_in(tmp_path, role, advice, not_advised):
    ds = load_dataset(write_jsonl(tmp_path / "rows.jsonl", ROWS), Config(task_type="classification"), role=role)
    assert [(e.line, e.field) for e in ds.errors] == [(1, "(record)"), (2, "(record)")]
    assert advice in ds.errors[0].message and not_advised not in ds.errors[0].message


def test_following_the_production_advice_reads_the_production_file(tmp_path):
    fields = FieldsConfig(production_text="txt")
    ds = load_dataset(write_jsonl(tmp_path / "rows.jsonl", ROWS), Config(task_type="classification", fields=fields),
                      role="production")
    assert ds.errors == [] and [r.input_text for r in ds.records] == ["where is my card", "reset my pin"]


def test_several_files_are_named_after_their_folder_even_the_current_one(tmp_path, monkeypatch):
    rows = [{"text": "hello", "label": "a"}]
    write_jsonl(tmp_path / "a.jsonl", rows)
    write_jsonl(tmp_path / "b.jsonl", rows)
    monkeypatch.chdir(tmp_path)
    assert load_dataset(["a.jsonl", "b.jsonl"], Config()).name == tmp_path.name
    assert load_dataset(["a.jsonl"], Config()).name == "a"
