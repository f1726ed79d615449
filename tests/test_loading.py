from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from dataaudit.api import audit
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


def test_only_chat_records_keep_their_parsed_row(tmp_path):
    # The token and PII checks read a chat's messages from it; for other formats it only cost memory.
    rows = [chat("q", "a"), {"prompt": "2+2=", "completion": "4"}, {"text": "great product", "label": "pos"}]
    ds = load_dataset(write_jsonl(tmp_path / "a.jsonl", rows), Config())
    assert [r.raw is not None and r.raw["messages"] == rows[0]["messages"] for r in ds.records] == [True, False, False]
    assert [r.raw for r in ds.records[1:]] == [None, None]


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
    assert found[3] == ("label", "missing (a text record needs a label; use --label-field to name it, or --task-type generation for plain text)")
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


def test_json_errors_name_a_control_character_and_a_cut_line_plainly(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_bytes(b'{"text": "tab\x01here", "label": "x"}\n{"text": "cut sho\n{"text": "ok", "label": "y"}\n')
    found = errors_by_line(load_dataset(path, Config()))
    assert found[1] == ("(json)", "invalid JSON: Invalid control character at column 14")
    assert found[2] == ("(json)", "invalid JSON: Unterminated string at column 10")


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


def test_long_layout_items_read_both_texts_of_a_pair_as_a_text_record_does(tmp_path):
    # Two hypotheses on one premise are two items: with the premise alone they read as duplicates in conflict.
    rows = [{"item_id": 1, "annotator": "a", "text": "A man sleeps.", "hypothesis": "A man rests.", "label": "entailment"},
            {"item_id": 1, "annotator": "b", "text": "", "hypothesis": "", "label": "entailment"},
            {"item_id": 2, "annotator": "a", "text": "A man sleeps.", "hypothesis": "A man runs.", "label": "not_entailment"}]
    long = load_dataset(write_jsonl(tmp_path / "long.jsonl", rows), Config(fields=FieldsConfig(annotator="annotator", id="item_id")))
    plain = load_dataset(write_jsonl(tmp_path / "plain.jsonl", [rows[0], rows[2]]), Config())
    assert [r.input_text for r in long.records] == [r.input_text for r in plain.records] == \
        ["A man sleeps.\nA man rests.", "A man sleeps.\nA man runs."]
    assert not long.errors


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


# ---------------------------------------------------------------------------------------------------
# Hostile and odd inputs (tests/fixtures/hostile, written for this project by tests/fixtures/make_fixtures.py)


from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from dataaudit.errors import DataAuditError, InputWarning  # noqa: E402

HOSTILE = Path(__file__).resolve().parent / "fixtures" / "hostile"

# file -> (rows read, invalid, labels of the valid records, {error line: (field, start of message)})
HOSTILE_CASES = {
    "deep_nesting.jsonl": (3, 1, ["x", "x"], {2: ("(json)", "JSON nested too deeply")}),
    "lone_surrogate.jsonl": (3, 2, ["x"], {2: ("text", "contains a lone surrogate (\\ud800"),
                                           3: ("label", "contains a lone surrogate (\\udfff")}),
    "duplicate_keys.jsonl": (2, 1, ["x"], {2: ("label", "duplicate key 'label'")}),
    "nan_infinity.jsonl": (5, 4, ["x"], {2: ("text", "NaN is not valid JSON"), 3: ("label", "Infinity is not valid JSON"),
                                         4: ("label", "is 'NaN'"), 5: ("text", "1e999 overflows a 64-bit float")}),
    "labels_spelt_differently.jsonl": (6, 0, ["1", "1", "1", "billing", "billing", "true"], {}),
    "semicolon.csv": (2, 0, ["greet", "farewell"], {}),
    "ambiguous_delimiter.csv": (0, 0, [], {0: ("(csv)", "the header is one column 'text;label|source' that holds semicolon")}),
    "crlf_bom.jsonl": (2, 0, ["x", "x"], {}),
    "utf16.jsonl": (0, 0, [], {0: ("(encoding)", "file is not UTF-8 (it starts with a UTF-16 byte-order mark)")}),
    "binary.jsonl": (5, 5, [], {1: ("(json)", "invalid JSON"), 2: ("(encoding)", "line is not valid UTF-8")}),
    "empty.jsonl": (0, 0, [], {0: ("(file)", "file is empty")}),
    "header_only.csv": (0, 0, [], {0: ("(file)", "file has a header but no records")}),
    "ragged.csv": (2, 1, ["greet"], {2: ("(csv)", "row has 3 fields but the header has 2")}),
    "truncated_array.json": (3, 1, ["x", "y"], {3: ("(json)", "invalid JSON in element 3: Unterminated string;")}),
    "one_object.json": (0, 0, [], {0: ("(json)", "the file is one JSON object spread over several lines")}),
    "array_not_records.json": (3, 2, ["x"], {1: ("(record)", "expected a JSON object, got a number")}),
    "chat.jsonl.bz2": (2, 0, ["x", "x"], {}),
    "corrupt.jsonl.gz": (0, 0, [], {0: ("(file)", "cannot decompress gzip file")}),
    "fake.parquet": (0, 0, [], {0: ("(parquet)", "cannot read Parquet")}),
}


@pytest.mark.parametrize("name", sorted(HOSTILE_CASES))
def test_hostile_input_gives_records_and_named_errors_never_a_crash(name):
    rows, invalid, labels, errors = HOSTILE_CASES[name]
    ds = load_dataset(HOSTILE / name, Config())
    assert (ds.total, ds.invalid) == (rows, invalid)
    assert [r.label for r in ds.records] == labels
    found = {e.line: e for e in ds.errors}
    for line, (field, start) in errors.items():
        assert found[line].field == field and found[line].message.startswith(start), found[line]


def test_every_hostile_fixture_has_a_case():
    assert {p.name for p in HOSTILE.iterdir()} == set(HOSTILE_CASES) | {"data.jsonl.zst"}


def test_zstd_without_the_library_is_a_clear_input_error():
    import importlib.util

    if importlib.util.find_spec("zstandard") is not None:  # not a dependency; installed, the file is simply read
        assert load_dataset(HOSTILE / "data.jsonl.zst", Config()).records
        return
    with pytest.raises(InputError, match="data.jsonl.zst: is zstd-compressed and the zstandard package is not installed"):
        load_dataset(HOSTILE / "data.jsonl.zst", Config())


def test_identical_tool_calls_with_different_ids_are_one_target(tmp_path):
    def call(call_id, arguments):
        return {"messages": [{"role": "user", "content": "book it"}, {"role": "assistant", "tool_calls": [
            {"id": call_id, "type": "function", "function": {"name": "book", "arguments": arguments}}]}]}
    ds = load_dataset(write_jsonl(tmp_path / "a.jsonl", [call("call_abc123", '{"a": 1, "b": 2}'), call("call_x", '{"b":2,"a":1}')]),
                      Config(task_type="generation"))
    first, second = ds.records
    assert first.target == second.target and "call_abc123" not in first.target


def test_gzip_is_read_transparently_whatever_the_name(tmp_path):
    import gzip

    path = tmp_path / "export.jsonl.gz"
    path.write_bytes(gzip.compress(b'{"text": "a", "label": "x"}\n{"text": "b", "label": "y"}\n'))
    renamed = tmp_path / "export.jsonl"
    renamed.write_bytes(path.read_bytes())
    assert [r.input_text for r in load_dataset(path, Config()).records] == ["a", "b"]
    assert [r.input_text for r in load_dataset(renamed, Config()).records] == ["a", "b"]


def test_a_datasets_dict_folder_asks_for_one_split(tmp_path):
    (tmp_path / "train").mkdir()
    (tmp_path / "test").mkdir()
    (tmp_path / "dataset_dict.json").write_text('{"splits": ["train", "test"]}', encoding="utf-8")
    with pytest.raises(InputError, match="is a DatasetDict with splits test, train; give one split's folder"):
        load_dataset(tmp_path, Config())


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=400), suffix=st.sampled_from([".jsonl", ".csv", ".json", ".tsv"]))
def test_any_bytes_give_a_dataset_or_a_data_audit_error(tmp_path, data, suffix):
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(data)
    try:
        ds = load_dataset(path, Config())
    except DataAuditError:
        return
    assert ds.total == len(ds.records) + ds.invalid
    for record in ds.records:
        record.input_text.encode("utf-8")  # never a lone surrogate
        (record.label or "").encode("utf-8")


RECORD_KEYS = st.sampled_from(["text", "label", "messages", "prompt", "completion", "chosen", "rejected", "instruction",
                               "input", "output", "conversations", "role", "content", "from", "value", "weight", "tool_calls",
                               "history", "system", "annotations", "annotator", "id", "gold", "function", "arguments"])
ROLE_NAMES = st.sampled_from(["user", "assistant", "system", "tool", "human", "gpt", "function_call", "observation"])
KEYS = RECORD_KEYS | st.text(max_size=8)
JSON_VALUES = st.recursive(ROLE_NAMES | st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=20),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
                           max_leaves=20)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.dictionaries(RECORD_KEYS, JSON_VALUES, max_size=5), max_size=5),
       as_array=st.booleans(), task=st.sampled_from(["classification", "generation"]))
def test_any_json_records_give_records_or_named_errors(tmp_path, rows, as_array, task):
    path = tmp_path / ("rows.json" if as_array else "rows.jsonl")
    text = json.dumps(rows) if as_array else "".join(json.dumps(r) + "\n" for r in rows)
    path.write_text(text, encoding="utf-8")
    ds = load_dataset(path, Config(task_type=task))
    assert ds.total == len(rows) and len(ds.records) + ds.invalid == len(rows)


@pytest.mark.parametrize("raw, label", [("1", "1"), ("1.0", "1"), (" 1 ", "1"), ("2.50", "2.5"), ("1e3", "1000"), ("-0.0", "0"),
                                        (" billing", "billing"), ("two  words ", "two words"), ("Billing", "Billing"),
                                        ("1e5000", "1e5000"), ("0.1", "0.1"), ("1.2.3", "1.2.3"), ("0", "0"), ("0.50", "0.5"),
                                        # a leading zero makes a code, and only ASCII digits are numbers
                                        ("007", "007"), (" 007 ", "007"), ("-007", "-007"), ("00.5", "00.5"),
                                        ("\u0663", "\u0663"), ("\u0967\u0966", "\u0967\u0966"), ("1e\u0663", "1e\u0663"),
                                        # NFKC: a combining accent, half-width kana, full-width Latin and digits, a ligature
                                        ("ne\u0301gatif", "n\u00e9gatif"), ("\uff8e\uff9f\uff7c\uff9e\uff83\uff68\uff8c\uff9e", "\u30dd\u30b8\u30c6\u30a3\u30d6"),
                                        ("\uff30\uff2f\uff33", "POS"), ("\uff11.\uff10", "1"), ("\ufb01nance", "finance")])
def test_label_spellings_normalise_to_one_label(raw, label):
    from dataaudit.load.values import normalise_label

    assert normalise_label(raw) == label


def test_labels_a_reader_sees_as_one_are_one_label_for_every_check(tmp_path):
    """NFC and NFD "négatif", full- and half-width "ポジティブ": one label each, in labels, gold labels and
    annotators' labels alike (balance once reported four labels here while duplicates called two of them the same)."""
    nfc, nfd = "n\u00e9gatif", "ne\u0301gatif"
    full, half = "\u30dd\u30b8\u30c6\u30a3\u30d6", "\uff8e\uff9f\uff7c\uff9e\uff83\uff68\uff8c\uff9e"
    rows = [{"prompt": "p1", "completion": f" {nfc}"}, {"prompt": "p2", "completion": f" {nfd}"},
            {"prompt": "p3", "completion": full}, {"prompt": "p4", "completion": half},
            {"text": "t5", "label": nfd, "annotations": [{"annotator": "a", "label": half}]}]
    ds = load_dataset(write_jsonl(tmp_path / "pc.jsonl", rows), Config(task_type="classification"))
    assert [r.label for r in ds.records] == [nfc, nfc, full, full, nfc]
    assert ds.records[-1].annotations[0].label == full
    bad = load_dataset(write_jsonl(tmp_path / "nan.jsonl", [{"text": "t", "label": "\uff2e\uff41\uff2e"}]), Config())
    assert [(e.field, e.message) for e in bad.errors] == [
        ("label", "is 'NaN', a missing or non-finite number written as text, not a label")]


def test_a_number_label_and_its_string_are_one_label_but_a_code_with_a_leading_zero_is_its_own(tmp_path):
    rows = [{"text": "t1", "label": 7}, {"text": "t2", "label": "7"}, {"text": "t3", "label": "007"},
            {"text": "t4", "label": 7.0}, {"text": "t5", "label": "\u0667"}]
    ds = load_dataset(write_jsonl(tmp_path / "n.jsonl", rows), Config(task_type="classification"))
    assert [r.label for r in ds.records] == ["7", "7", "007", "7", "\u0667"]


def test_a_reply_taken_for_its_label_is_recognised_however_it_was_spelt(tmp_path):
    from dataaudit.load.targets import without_target_labels

    rows = [{"prompt": "p1", "completion": " ne\u0301gatif"}, {"prompt": "p2", "completion": "ok"}]
    ds = load_dataset(write_jsonl(tmp_path / "pc.jsonl", rows), Config(task_type="classification"))
    assert [r.label for r in without_target_labels(ds).records] == [None, None]


def test_a_missing_text_field_names_the_fields_the_record_has(tmp_path):
    path = write_jsonl(tmp_path / "t.jsonl", [{"body": "order 1 broken", "label": "a"},
                                              {f"k{i}": i for i in range(10)} | {"label": "b"}])
    ds = load_dataset(path, Config(fields=FieldsConfig(text="text")))
    assert [(e.field, e.message) for e in ds.errors] == [
        ("text", "missing (the record's fields: body, label)"),
        ("text", "missing (the record's fields: k0, k1, k2, k3, k4, k5, k6, k7, ...)")]


def test_a_csv_header_naming_a_column_twice_is_a_file_error_not_a_silent_pick(tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text("text,label,label\nrefund please,refund,other\nwhere is it,shipping,other\n", encoding="utf-8")
    ds = load_dataset(path, Config())
    assert ds.records == [] and ds.total == 0
    assert [(e.line, e.field, e.message) for e in ds.errors] == [
        (0, "(csv)", "the header names column 'label' twice (columns 2 and 3); which one holds 'label' is a guess, "
                     "so no row was read; rename or drop one of them")]
    unnamed = tmp_path / "unnamed.csv"  # unnamed columns (a trailing comma) are never asked for: still read
    unnamed.write_text("text,label,,\nrefund please,refund,,\n", encoding="utf-8")
    assert [(r.input_text, r.label) for r in load_dataset(unnamed, Config()).records] == [("refund please", "refund")]


def test_a_null_or_empty_label_is_named_as_such_not_as_missing(tmp_path):
    path = write_jsonl(tmp_path / "l.jsonl", [{"text": "refund please", "label": None}, {"text": "where is it", "label": ""},
                                              {"text": "card declined"}, {"text": "hello", "label": "greet"}])
    ds = load_dataset(path, Config())
    assert [(r.line, r.label) for r in ds.records] == [(4, "greet")]
    assert [(e.line, e.field, e.message) for e in ds.errors] == [
        (1, "label", "is null (a text record needs a label)"),
        (2, "label", "is empty (a text record needs a label)"),
        (3, "label", "missing (a text record needs a label; use --label-field to name it, or --task-type generation for plain text)")]


def test_pretty_printed_jsonl_says_how_many_objects_are_spread_over_lines(tmp_path):
    fix = "not one record per line; write one object per line (JSONL, e.g. `jq -c . FILE`) or a JSON array of records"
    pretty = tmp_path / "pretty.jsonl"
    pretty.write_text("".join(json.dumps({"text": f"t{i}", "label": "a"}, indent=2) + "\n" for i in range(100)), encoding="utf-8")
    broken = tmp_path / "broken.jsonl"
    broken.write_text(json.dumps({"text": "t", "label": "a"}, indent=2) * 3 + "\n{oops\n", encoding="utf-8")  # lines 1-10, then 11
    one = tmp_path / "one.json"
    one.write_text(json.dumps({"text": "t", "label": "a"}, indent=2), encoding="utf-8")
    ds = load_dataset([pretty, broken, one], Config())
    assert {e.source.split("/")[-1]: (e.line, e.field, e.message) for e in ds.errors} == {
        "pretty.jsonl": (0, "(json)", f"the file holds 100 JSON objects, each spread over several lines (pretty-printed); {fix}"),
        "broken.jsonl": (0, "(json)", "the file holds 3 JSON objects, each spread over several lines (pretty-printed), "
                                      f"then invalid JSON at line 11; {fix}"),
        "one.json": (0, "(json)", f"the file is one JSON object spread over several lines, {fix}")}


def test_none_valid_summary_counts_rows_by_kind_of_error_and_suggests_the_fix_for_that_kind(tmp_path):
    from dataaudit.api import require_rows

    latin = tmp_path / "latin.jsonl"  # the bad byte sits at a different offset on each line
    latin.write_bytes(b"".join(json.dumps({"text": "x" * (i % 3) + "caf\u00e9", "label": "a"}, ensure_ascii=False)
                               .encode("latin-1") + b"\n" for i in range(10)))
    with pytest.raises(InputError) as caught:
        require_rows("training", load_dataset(latin, Config()))
    assert str(caught.value) == (f"{latin} line 1: none of the 10 training records is valid (10 x (encoding): line is not valid "
                                 "UTF-8 (byte 14) (the first of them; the others differ in place or value)); re-export the file as UTF-8")
    mixed = write_jsonl(tmp_path / "mixed.jsonl", [{"messages": [{"role": "user", "content": ""}, {"role": "assistant", "content": "a"}]},
                                                   {"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": " "}]},
                                                   {"body": "x", "label": "a"}, "{bad", "[1]"])
    with pytest.raises(InputError) as caught:
        require_rows("training", load_dataset(mixed, Config()))
    assert str(caught.value) == (f"{mixed} line 1: none of the 5 training records is valid (2 x messages[].content: is empty; "
                                 "1 x (record): unrecognised record: expected "
                                 "'messages', 'conversations', 'prompt' + 'completion', 'chosen' + 'rejected', 'instruction' + 'output', "
                                 "or 'text' (+ 'label'); name other fields in the [fields] config or with --text-field / --label-field; "
                                 "2 more of 2 other kinds); fix the export or name its fields (fields.text, fields.label in the config)")
    from dataaudit.errors import INTERFACE

    token = INTERFACE.set("cli")  # the command line names its flags instead
    try:
        with pytest.raises(InputError) as caught:
            require_rows("training", load_dataset(mixed, Config()))
    finally:
        INTERFACE.reset(token)
    assert str(caught.value).endswith("; fix the export or name its fields (--text-field, --label-field, or [fields] in the config)")
    blank = write_jsonl(tmp_path / "blank.jsonl", [{"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "\u200b"}]}] * 3)
    with pytest.raises(InputError) as caught:
        require_rows("training", load_dataset(blank, Config()))
    assert str(caught.value).endswith("(3 x messages[1].content: is empty); fix those records in the export")  # no field to name


def test_dotted_field_names_reach_nested_fields_and_a_literal_dotted_key_wins(tmp_path):
    path = write_jsonl(tmp_path / "n.jsonl", [
        {"data": {"utterance": "refund please"}, "meta": {"intent": "refund", "tags": ["urgent"]}},
        {"data": {"utterance": "where is it"}, "meta": {"intent": "shipping"}, "meta.intent": "literal"},
        {"data": {"utterance": "hello"}, "meta": {"intnt": "greet"}},
        {"data": {"utterance": "card declined"}, "meta": "card"}])
    ds = load_dataset(path, Config(fields=FieldsConfig(text="data.utterance", label="meta.intent")))
    assert [(r.line, r.input_text, r.label) for r in ds.records] == [(1, "refund please", "refund"), (2, "where is it", "literal")]
    assert [(e.line, e.field, e.message) for e in ds.errors] == [
        (3, "meta.intent", "missing: meta has no key 'intent' (its keys: intnt)"),
        (4, "meta.intent", "missing: meta is a string, not an object to look 'intent' up in")]
    listed = write_jsonl(tmp_path / "l.jsonl", [{"text": "a", "labels": ["x", "y"]}])
    assert [r.label for r in load_dataset(listed, Config(fields=FieldsConfig(label="labels.0"))).records] == ["x"]
    parquet = tmp_path / "n.parquet"
    pd.DataFrame({"text": ["a", "b"], "meta": [{"intent": "x", "n": 1}, {"intent": "y", "n": 2}]}).to_parquet(parquet)
    assert [(r.input_text, r.label) for r in load_dataset(parquet, Config(fields=FieldsConfig(label="meta.intent"))).records] == [
        ("a", "x"), ("b", "y")]
    chat_rows = write_jsonl(tmp_path / "c.jsonl", [chat("q", "a") | {"meta": {"intent": "billing"}}])
    record = load_dataset(chat_rows, Config(fields=FieldsConfig(label="meta.intent"))).records[0]
    assert record.label == "billing" and "meta.intent" not in record.raw  # the record's own object is kept as read


def test_a_glob_skips_files_of_unknown_kind_as_a_folder_scan_does_and_says_how_many(tmp_path):
    from dataaudit.load.inputs import expand_inputs

    folder = tmp_path / "mixed"
    folder.mkdir()
    write_jsonl(folder / "a.jsonl", [{"text": "refund please", "label": "refund"}])
    (folder / "b.csv").write_text("text,label\nwhere is it,shipping\n", encoding="utf-8")
    write_jsonl(folder / "c.jsonl.gz", [])
    (folder / "README.md").write_text("# dataset card\n", encoding="utf-8")
    (folder / "notes.txt").write_text("hello\n", encoding="utf-8")
    (folder / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    with pytest.warns(InputWarning, match=r"mixed/\*: skipped 2 matched files that are not data files \(README.md, notes.txt\)"):
        matched = [Path(p).name for p in expand_inputs(str(folder / "*"))]
    assert matched == ["a.jsonl", "b.csv", "c.jsonl.gz"]
    assert [Path(p).name for p in expand_inputs(str(folder))] == matched  # the folder scan takes the same files
    assert [Path(p).name for p in expand_inputs(str(folder / "*.txt"))] == ["notes.txt"]  # the pattern chose the suffix
    assert expand_inputs(str(folder / "notes.txt")) == [str(folder / "notes.txt")]  # a file named is still read
    with pytest.raises(InputError, match=r"\*.m\*: matches 1 file and none is a data file \(README.md\)"):
        expand_inputs(str(folder / "*.m*"))
    report = audit(str(folder / "*"), Config(task_type="format"), embed=False)
    assert report.warnings.count(f"{folder / '*'}: skipped 2 matched files that are not data files (README.md, notes.txt), "
                                 "as a folder's scan does; name a file to have it read") == 1  # said once, in the report


def test_a_librarys_warning_while_reading_stays_a_warning_and_stays_out_of_the_report(tmp_path, monkeypatch):
    import warnings

    import dataaudit.engine.local as local

    original = local.load_dataset

    def noisy(*args, **kwargs):
        warnings.warn("some library changed a default", FutureWarning)
        return original(*args, **kwargs)

    monkeypatch.setattr(local, "load_dataset", noisy)
    data = write_jsonl(tmp_path / "t.jsonl", [{"text": f"query {i}", "label": "ab"[i % 2]} for i in range(20)])
    with pytest.warns(FutureWarning, match="some library changed a default"):
        report = audit(data, Config(task_type="format"), embed=False)
    assert report.warnings == []


INVISIBLE = ["\u200b", "\u3164", "\ufeff", "\u2060", "\u115f", "\u1160", "\uffa0", "\u2800", "\u00a0", "\u3000",
             " \u200b\u200d\n\u3164 "]


@pytest.mark.parametrize("blank", INVISIBLE)
def test_a_text_that_shows_nothing_is_empty(tmp_path, blank):
    """Zero-width and format characters and the Hangul / braille fillers draw nothing: a reply or a text made of
    them is as empty as "", with the same error (only NBSP and U+3000, whitespace, used to be caught)."""
    rows = [chat("hello", blank, system=None), {"prompt": "2+2=", "completion": blank}, {"text": blank, "label": "a"},
            {"text": "hi", "label": blank}, chat("hello", f"ok{blank}", system=None)]
    ds = load_dataset(write_jsonl(tmp_path / "blank.jsonl", rows), Config(task_type="classification"))
    assert [(e.line, e.field, e.message) for e in ds.errors] == [
        (1, "messages[1].content", "is empty"), (2, "completion", "is empty"), (3, "text", "is empty"),
        (4, "label", "is empty")]
    assert [r.line for r in ds.records] == [5]  # visible text beside them is a reply


def test_only_blank_instruction_and_input_is_empty(tmp_path):
    rows = [{"instruction": "\u200b", "input": "\u3164", "output": "x"}]
    ds = load_dataset(write_jsonl(tmp_path / "a.jsonl", rows), Config(task_type="generation"))
    assert [(e.field, e.message) for e in ds.errors] == [("instruction", "is empty (and so is the input)")]


def _cli_in_time(*args: str, timeout: float = 60):
    """The CLI as a cron job runs it, killed after `timeout` s: a run that would block on a pipe fails the test."""
    import subprocess
    import sys

    from tests.conftest import ROOT

    return subprocess.run([sys.executable, "-m", "dataaudit", *args], capture_output=True, text=True, cwd=ROOT, timeout=timeout)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_a_fifo_input_is_refused_in_one_line_without_being_opened(tmp_path):
    fifo = tmp_path / "in.jsonl"
    os.mkfifo(fifo)  # no writer: any open for reading would block until the timeout
    result = _cli_in_time("audit", str(fifo), "--no-embeddings", "--no-cache", "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].endswith(
        f"{fifo}: not a regular file (a device, FIFO or socket): write the data to a file first")
    assert "Traceback" not in result.stderr


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_an_endless_device_input_is_refused_not_hashed_forever(tmp_path):
    import threading

    outcome: list[BaseException] = []

    def read() -> None:
        try:
            load_dataset("/dev/zero", Config())
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            outcome.append(exc)

    reader = threading.Thread(target=read, daemon=True)  # a read that never ends fails the test, not the suite
    reader.start()
    reader.join(30)
    assert outcome, "/dev/zero was still being read after 30 s"
    assert isinstance(outcome[0], InputError)
    assert str(outcome[0]) == "/dev/zero: not a regular file (a device, FIFO or socket): write the data to a file first"
    from dataaudit.load.files import rows_of

    with pytest.raises(InputError, match="not a regular file"):
        rows_of(Path("/dev/zero"), Counter())  # the task-type sample reads through this too


def test_an_input_appended_to_while_it_is_read_is_an_error_not_a_report_under_the_wrong_hash(tmp_path):
    from dataaudit.load.files import read_rows

    path = write_jsonl(tmp_path / "a.jsonl", [{"text": f"t{i}", "label": "a"} for i in range(50)])
    digest, rows = read_rows(path, Counter())
    next(rows)  # hashed already; the writer appends while the rows are read
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps({"text": "late", "label": "b"}) + "\n")
    with pytest.raises(InputError, match=r"a\.jsonl: changed while being read"):
        list(rows)


def test_an_unchanged_input_keeps_the_plain_sha256_of_its_bytes(tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl", [{"text": "t", "label": "a"}])
    dataset = load_dataset(path, Config())
    assert dataset.files[0].sha256 == hashlib.sha256(path.read_bytes()).hexdigest()  # histories and caches key on it


def test_a_byte_order_mark_inside_a_jsonl_file_is_named_as_one(tmp_path):
    path = tmp_path / "joined.jsonl"
    first, second = json.dumps({"text": "a", "label": "x"}), json.dumps({"text": "b", "label": "y"})
    path.write_bytes(("\ufeff" + first + "\n" + "\ufeff" + second + "\n").encode("utf-8"))  # two BOM files joined
    ds = load_dataset(path, Config())
    assert [r.input_text for r in ds.records] == ["a"]
    assert [(e.line, e.field, e.message) for e in ds.errors] == [
        (2, "(json)", "invalid JSON: the line starts with a byte-order mark (U+FEFF), as where files that each start "
                      "with one were joined (cat a.jsonl b.jsonl); remove it")]


def test_a_null_parquet_cell_is_named_as_the_same_null_in_jsonl_is(tmp_path):
    rows = [{"text": "fine", "label": "x"}, {"text": None, "label": "x"}, {"text": "no label", "label": None},
            {"text": None, "label": None}]
    pd.DataFrame(rows).to_parquet(tmp_path / "t.parquet")
    from_parquet = load_dataset(tmp_path / "t.parquet", Config())
    from_jsonl = load_dataset(write_jsonl(tmp_path / "t.jsonl", rows), Config())
    named = [(e.line, e.field, e.message) for e in from_parquet.errors]
    assert named == [(e.line, e.field, e.message) for e in from_jsonl.errors]
    assert named == [(2, "text", "expected a string, got null"), (3, "label", "is null (a text record needs a label)"),
                     (4, "text", "expected a string, got null")]
    mixed = pd.DataFrame([{"text": "t", "label": "x", "prompt": None, "completion": None},
                          {"text": None, "label": None, "prompt": "p", "completion": "c"}])
    mixed.to_parquet(tmp_path / "mixed.parquet")  # a column a row does not use is still no error
    assert [r.format for r in load_dataset(tmp_path / "mixed.parquet", Config()).records] == ["text", "prompt_completion"]
