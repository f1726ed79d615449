from __future__ import annotations

import hashlib
import json

import pandas as pd
import pytest

from dataaudit.config import Config, FieldsConfig
from dataaudit.load.dataset import InputError, load_dataset
from tests.conftest import chat, write_jsonl


def errors_by_line(dataset):
    return {e.line: (e.field, e.message) for e in dataset.errors}


def test_chat_record_input_is_every_turn_before_the_target_and_target_is_final_assistant_turn(tmp_path):
    record = {"messages": [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"},
        {"role": "user", "content": "Where is my order?"}, {"role": "assistant", "content": "shipping"}]}
    ds = load_dataset(write_jsonl(tmp_path / "a.jsonl", [record]), Config())
    (r,) = ds.records
    assert (r.format, r.input_text, r.target, r.line) == ("chat", "Be brief.\nHi\nHello\nWhere is my order?", "shipping", 1)
    assert r.label == "shipping"  # classification: the target is the class


def test_chat_without_system_message_is_valid(tmp_path):
    ds = load_dataset(write_jsonl(tmp_path / "a.jsonl", [chat("q", "a", system=None)]), Config(task_type="generation"))
    assert len(ds.records) == 1 and ds.records[0].label is None and not ds.errors


def test_prompt_completion_and_text_formats(tmp_path):
    rows = [{"prompt": "2+2=", "completion": "4"}, {"text": "great product", "label": "pos"}, {"text": "meh", "label": 3}]
    ds = load_dataset(write_jsonl(tmp_path / "a.jsonl", rows), Config())
    assert [(r.format, r.input_text, r.target, r.label) for r in ds.records] == [
        ("prompt_completion", "2+2=", "4", "4"), ("text", "great product", None, "pos"), ("text", "meh", None, "3")]


def test_field_overrides(tmp_path):
    rows = [{"body": "refund please", "category": "billing", "uid": 7}]
    config = Config(fields=FieldsConfig(text="body", label="category", id="uid"))
    (r,) = load_dataset(write_jsonl(tmp_path / "a.jsonl", rows), config).records
    assert (r.input_text, r.label, r.record_id) == ("refund please", "billing", "7")


def test_every_malformed_case_is_listed_with_its_line_and_field(tmp_path):
    good = chat("hello", "hi")
    rows = [
        good,                                                        # 1
        '{"messages": [',                                            # 2 bad JSON
        {"text": "no label here"},                                   # 3 missing label
        {"text": "", "label": "x"},                                  # 4 empty field
        {"text": ["a"], "label": "x"},                               # 5 wrong type
        {"messages": [{"role": "user", "content": "only a question"}]},  # 6 no assistant turn
        {"messages": [{"role": "assistant", "content": "a"}, {"role": "user", "content": "q"}]},  # 7 roles out of order
        {"messages": [{"role": "bot", "content": "a"}]},             # 8 unknown role
        good,                                                        # 9
        {"prompt": "p"},                                             # 10 missing completion
        {"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"},
                      {"role": "system", "content": "late"}]},        # 11 system after start
        [1, 2],                                                      # 12 not an object
        {"something": "else"},                                       # 13 unrecognised
    ]
    ds = load_dataset(write_jsonl(tmp_path / "a.jsonl", rows), Config())
    found = errors_by_line(ds)
    assert sorted(found) == [2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13]
    assert found[2][0] == "(json)" and "invalid JSON" in found[2][1]
    assert found[3] == ("label", "missing (a text record needs a label; use --label-field to name it)")
    assert found[4] == ("text", "is empty")
    assert found[5] == ("text", "expected a string, got a list")
    assert found[6][0] == "messages" and "no assistant turn" in found[6][1]
    assert found[7] == ("messages[0].role", "roles out of order: assistant speaks before any user turn")
    assert found[8][0] == "messages[0].role" and "unknown role 'bot'" in found[8][1]
    assert found[10] == ("completion", "missing")
    assert found[11][0] == "messages[2].role" and "out of order" in found[11][1]
    assert found[12] == ("(record)", "expected a JSON object, got a list")
    assert found[13][0] == "(record)"
    assert [r.line for r in ds.records] == [1, 9]
    assert (ds.total, ds.invalid) == (13, 11)


def test_blank_lines_are_counted_not_records(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps(chat("a", "b")) + "\n\n   \n" + json.dumps(chat("c", "d")) + "\n", encoding="utf-8")
    ds = load_dataset(path, Config())
    assert [r.line for r in ds.records] == [1, 4] and ds.blank_lines == 2 and ds.total == 2


def test_empty_file_and_non_utf8_file_are_listed_and_the_audit_goes_on(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    utf16 = tmp_path / "utf16.jsonl"
    utf16.write_bytes(json.dumps(chat("a", "b")).encode("utf-16"))
    latin = tmp_path / "latin.jsonl"
    latin.write_bytes(json.dumps(chat("a", "b")).encode() + b"\n" + '{"text": "caf\xe9", "label": "x"}'.encode("latin-1") + b"\n")
    good = write_jsonl(tmp_path / "good.jsonl", [chat("q", "a")])
    ds = load_dataset([empty, utf16, latin, good], Config())
    assert len(ds.records) == 2
    messages = {(e.source.split("/")[-1], e.line): e for e in ds.errors}
    assert messages[("empty.jsonl", 0)].message == "file is empty: no records"
    assert "not UTF-8" in messages[("utf16.jsonl", 0)].message
    assert messages[("latin.jsonl", 2)].field == "(encoding)"


def test_unreadable_input_raises_input_error_naming_the_file(tmp_path):
    with pytest.raises(InputError, match="nope.jsonl: no such file"):
        load_dataset(tmp_path / "nope.jsonl", Config())
    with pytest.raises(InputError, match="is a directory"):
        load_dataset(tmp_path, Config())


def test_csv_rows_are_numbered_from_the_first_data_row_and_parquet_reads(tmp_path):
    csv_path = tmp_path / "a.csv"
    csv_path.write_text('text,label\n"hello, world",greet\n,empty\n"multi\nline",x\n', encoding="utf-8")
    ds = load_dataset(csv_path, Config())
    assert [(r.line, r.input_text) for r in ds.records] == [(1, "hello, world"), (3, "multi\nline")]
    assert errors_by_line(ds)[2][0] == "text"
    parquet = tmp_path / "a.parquet"
    pd.DataFrame({"text": ["a", "b"], "label": ["x", "y"]}).to_parquet(parquet)
    assert [r.label for r in load_dataset(parquet, Config()).records] == ["x", "y"]


def test_input_files_are_never_modified(tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl", [chat("q", "a"), "{bad"])
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    ds = load_dataset(path, Config())
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before == ds.files[0].sha256


def test_long_layout_groups_rows_by_item_and_rejects_double_labels(tmp_path):
    path = tmp_path / "long.csv"
    path.write_text("item_id,annotator,label,text\n1,a,x,first text\n1,b,y,\n2,a,x,second\n1,a,z,\n2,b,x,\n", encoding="utf-8")
    config = Config(fields=FieldsConfig(annotator="annotator", id="item_id"))
    ds = load_dataset(path, config)
    items = {r.record_id: r for r in ds.records}
    assert items["1"].input_text == "first text" and items["1"].lines == (1, 2)
    assert [(a.annotator, a.label) for a in items["1"].annotations] == [("a", "x"), ("b", "y")]
    assert items["2"].label == "x"
    (error,) = ds.errors
    assert (error.line, error.field) == (4, "annotator") and "lines 1 and 4" in error.message


def test_items_are_keyed_by_id_not_text(tmp_path):
    path = tmp_path / "long.csv"
    path.write_text("item_id,annotator,label,text\n1,a,x,same\n2,a,y,same\n", encoding="utf-8")
    ds = load_dataset(path, Config(fields=FieldsConfig(annotator="annotator", id="item_id")))
    assert len(ds.records) == 2


def test_wide_layout_and_nested_annotations(tmp_path):
    wide = tmp_path / "wide.csv"
    wide.write_text("text,a1,a2,a3\nfoo,x,x,\nbar,y,,z\n", encoding="utf-8")
    ds = load_dataset(wide, Config(fields=FieldsConfig(annotator_columns=["a1", "a2", "a3"])))
    assert [[(a.annotator, a.label) for a in r.annotations] for r in ds.records] == [[("a1", "x"), ("a2", "x")], [("a1", "y"), ("a3", "z")]]
    nested = write_jsonl(tmp_path / "n.jsonl", [
        {"text": "t", "annotations": [{"annotator": "a", "label": "p"}, {"annotator": "b", "label": "p"}]},
        {"text": "u", "annotations": [{"annotator": "a", "label": "p"}, {"annotator": "a", "label": "q"}]}])
    ds = load_dataset(nested, Config())
    assert ds.records[0].label == "p"
    assert (ds.errors[0].line, ds.errors[0].field) == (2, "annotations[1].annotator")


def test_openai_cookbook_chat_examples_with_their_deliberate_defects():
    from dataaudit.checks.size import measure_size
    from dataaudit.config import SizeConfig
    from dataaudit.tokens import load_token_counter
    from tests.conftest import shared_dataset

    folder = shared_dataset("openai_chat_examples")
    ds = load_dataset(folder / "toy_chat_fine_tuning.jsonl", Config(task_type="generation"))
    # line 4 has no user message; line 2 has no system message (valid); line 5's reply runs to thousands of tokens
    assert [(e.line, e.field) for e in ds.errors] == [(4, "messages[1].role")]
    assert [r.line for r in ds.records] == [1, 2, 3, 5]
    size = measure_size(ds, load_token_counter(), SizeConfig(context_limit=4096))
    assert [o.line for o in size.over_context_examples] == [5]
    drones = load_dataset(folder / "drone_training.jsonl", Config(task_type="generation"))
    assert len(drones.records) == 103 and not drones.errors
    assert '"name": "takeoff_drone"' in drones.records[0].target  # tool calls are the target
