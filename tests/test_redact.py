"""`redact`: every finding replaced by its placeholder, every line and the format kept, the input untouched."""

from __future__ import annotations

import gzip
import hashlib
import json

import pandas as pd
import pytest

from dataaudit.config import Config, config_from_dict
from dataaudit.errors import InputError
from dataaudit.fix.redact import redact
from dataaudit.scan.pii import scan_text

from tests.conftest import chat

CHAT_ROWS = [
    chat("My card 4111 1111 1111 1111 was charged twice, mail me at jane.doe@example.com", "billing", system="Escalate to ops@example.com"),
    chat("Where is my parcel?", "shipping"),
    {"text": "call +44 20 7946 0958 — ünïcode stays", "label": "account", "meta": {"ip": "81.2.69.142"}},
    {"text": "key AKIAQX4BZ7RT2WKD5N3M leaked", "label": "technical", "phone_number": 4155552671},
]


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _jsonl_lines() -> list[str]:
    # Lines written in the styles exports use: default, compact, ASCII-escaped, and a malformed one.
    return [json.dumps(CHAT_ROWS[0]), json.dumps(CHAT_ROWS[1], separators=(",", ":")), json.dumps(CHAT_ROWS[2], ensure_ascii=True),
            json.dumps(CHAT_ROWS[3], ensure_ascii=False), "", '{"text": "truncated line from jane.doe@example.com']


def test_jsonl_copy_has_placeholders_every_line_and_untouched_clean_lines(tmp_path):
    source = tmp_path / "tickets.jsonl"
    source.write_text("\n".join(_jsonl_lines()) + "\n", encoding="utf-8")
    before = _digest(source)
    summary = redact(source, tmp_path / "clean.jsonl", Config())
    assert _digest(source) == before
    out = (tmp_path / "clean.jsonl").read_text(encoding="utf-8").split("\n")
    original = _jsonl_lines()
    assert len(out) == len(original) + 1 and out[-1] == ""
    assert out[1] == original[1] and out[4] == ""  # a clean line and the blank line, byte for byte
    first = json.loads(out[0])
    assert first["messages"][0]["content"] == "Escalate to <EMAIL>"
    assert first["messages"][1]["content"] == "My card <CREDIT_CARD> was charged twice, mail me at <EMAIL>"
    assert out[0] == original[0].replace("4111 1111 1111 1111", "<CREDIT_CARD>").replace("jane.doe@example.com", "<EMAIL>").replace(
        "ops@example.com", "<EMAIL>")  # only the values changed: key order, spacing and escapes stay
    assert out[2] == original[2].replace("+44 20 7946 0958", "<PHONE>").replace("81.2.69.142", "<IP_ADDRESS>")
    assert "\\u00fc" in out[2]  # the ASCII-escaped line stays ASCII-escaped
    assert json.loads(out[3]) == {"text": "key <SECRET> leaked", "label": "technical", "phone_number": "<PHONE>"}
    assert out[5] == '{"text": "truncated line from <EMAIL>'  # malformed lines are redacted as text
    assert (summary.rows, summary.changed, summary.replaced) == (5, 4, 8)
    assert summary.by_kind == {"email": 3, "phone": 2, "credit_card": 1, "ip_address": 1, "secret": 1}
    sidecar = [json.loads(line) for line in summary.sidecar.read_text().splitlines()]
    assert [(e["line"], e["field"], e["kind"]) for e in sidecar[:3]] == [
        (1, "messages[0].content", "email"), (1, "messages[1].content", "credit_card"), (1, "messages[1].content", "email")]
    assert all(e["masked"].startswith("<") for e in sidecar)
    for value in ("4111 1111 1111 1111", "jane.doe@example.com", "AKIAQX4BZ7RT2WKD5N3M", "7946 0958"):
        assert value not in summary.sidecar.read_text() and value not in "\n".join(out)
    assert all(not scan_text(line) for line in out)


def test_gzip_jsonl_stays_gzip(tmp_path):
    source = tmp_path / "tickets.jsonl.gz"
    source.write_bytes(gzip.compress(("\n".join(_jsonl_lines()) + "\n").encode("utf-8")))
    redact(source, tmp_path / "clean.jsonl.gz", Config())
    plain = gzip.decompress((tmp_path / "clean.jsonl.gz").read_bytes()).decode("utf-8")
    assert "<CREDIT_CARD>" in plain and "4111" not in plain and len(plain.split("\n")) == len(_jsonl_lines()) + 1


@pytest.mark.parametrize("suffix,sep", [(".csv", ","), (".tsv", "\t")])
def test_csv_and_tsv_keep_clean_rows_byte_for_byte(tmp_path, suffix, sep):
    source = tmp_path / f"tickets{suffix}"
    header = sep.join(["text", "label"])
    rows = [f'"multi-line{sep} quoted\r\nticket about ""refunds"""{sep}billing', f"mail jane@example.com{sep}account", f"plain{sep}x"]
    source.write_bytes(("\ufeff" + header + "\r\n" + "\r\n".join(rows) + "\r\n").encode("utf-8"))
    redact(source, tmp_path / f"clean{suffix}", Config())
    out = (tmp_path / f"clean{suffix}").read_bytes().decode("utf-8")
    assert out == "\ufeff" + header + "\r\n" + rows[0] + "\r\n" + f"mail <EMAIL>{sep}account\r\n" + rows[2] + "\r\n"
    frame = pd.read_csv(tmp_path / f"clean{suffix}", sep=sep, dtype=str, keep_default_na=False)
    assert list(frame["text"]) == ['multi-line' + sep + ' quoted\r\nticket about "refunds"', "mail <EMAIL>", "plain"]


def test_parquet_keeps_schema_and_nested_messages(tmp_path):
    source = tmp_path / "tickets.parquet"
    frame = pd.DataFrame({"messages": [[{"role": "user", "content": "card 4111 1111 1111 1111"}, {"role": "assistant", "content": "billing"}],
                                       [{"role": "user", "content": "hello"}, {"role": "assistant", "content": "other"}]],
                          "n": [1, 2]})
    frame.to_parquet(source)
    summary = redact(source, tmp_path / "clean.parquet", Config())
    import pyarrow.parquet as pq

    assert pq.read_schema(tmp_path / "clean.parquet").remove_metadata() == pq.read_schema(source).remove_metadata()
    back = pd.read_parquet(tmp_path / "clean.parquet")
    assert back["messages"][0][0]["content"] == "card <CREDIT_CARD>" and list(back["n"]) == [1, 2]
    assert summary.by_kind == {"credit_card": 1}


def test_kinds_from_config_are_respected(tmp_path):
    source = tmp_path / "a.jsonl"
    source.write_text(json.dumps({"text": "jane@example.com 4111 1111 1111 1111", "label": "x"}) + "\n")
    redact(source, tmp_path / "b.jsonl", config_from_dict({"pii": {"kinds": ["credit_card"]}}))
    assert json.loads((tmp_path / "b.jsonl").read_text())["text"] == "jane@example.com <CREDIT_CARD>"


@pytest.mark.parametrize("target,message", [("same", "would overwrite the input"), ("dir", "is a directory"),
                                            ("clean.csv", "written as JSONL")])
def test_refuses_to_overwrite_the_input_write_into_a_folder_or_change_format(tmp_path, target, message):
    source = tmp_path / "a.jsonl"
    source.write_text(json.dumps({"text": "jane@example.com", "label": "x"}) + "\n")
    out = {"same": source, "dir": tmp_path, "clean.csv": tmp_path / "clean.csv"}[target]
    with pytest.raises(InputError, match=message):
        redact(source, out, Config())
    assert json.loads(source.read_text())["text"] == "jane@example.com"


def test_an_object_store_uri_is_refused_with_what_to_do(tmp_path):
    with pytest.raises(InputError, match=r"^gs://bucket/a.jsonl: the input must be a local file .*gcloud storage cp"):
        redact("gs://bucket/a.jsonl", tmp_path / "b.jsonl", Config())


@pytest.mark.parametrize("encoding, why", [("latin-1", "is not UTF-8"), ("utf-16", "is not UTF-8"), ("utf-16-le", "holds NUL bytes")])
def test_a_line_that_is_not_utf8_text_stops_the_copy_instead_of_passing_personal_data_on(tmp_path, encoding, why):
    source = tmp_path / "tickets.jsonl"
    accent = "" if encoding == "utf-16-le" else "caf\u00e9 "  # ASCII in UTF-16-LE decodes as UTF-8, NULs and all
    rows = [{"text": f"{accent}order, mail jane.doe@example.com", "label": "billing"}, {"text": "call +44 20 7946 0958", "label": "x"}]
    source.write_bytes("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode(encoding))
    with pytest.raises(InputError, match=rf"tickets.jsonl, line 1: {why}.*no copy was written"):
        redact(source, tmp_path / "clean.jsonl", Config())
    assert not (tmp_path / "clean.jsonl").exists() and not (tmp_path / "clean.jsonl.redacted.jsonl").exists()


def test_only_the_changed_value_is_rewritten_whatever_escapes_the_line_uses(tmp_path):
    source = tmp_path / "esc.jsonl"
    lines = ['{"label":"x","text":"mail me at jane.doe@example.com\\/now","note":"caf\\u00e9 \\/ bar"}',
             '{"label": "y",  "text": "caf\\u00e9: call +44 20 7946 0958", "text2": "jane.doe@example.com"}']
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    redact(source, tmp_path / "clean.jsonl", Config())
    out = (tmp_path / "clean.jsonl").read_text(encoding="utf-8").splitlines()
    # spacing, key order and the other values' escapes are the line's own; the changed value is re-encoded
    assert out[0] == '{"label":"x","text":"mail me at <EMAIL>/now","note":"caf\\u00e9 \\/ bar"}'
    assert out[1] == '{"label": "y",  "text": "caf\\u00e9: call <PHONE>", "text2": "<EMAIL>"}'


def test_personal_data_in_json_keys_is_redacted_and_two_keys_that_would_collide_stay_apart(tmp_path):
    source = tmp_path / "keys.jsonl"
    lines = ['{"<img src=x>alice.smith@example.com": "weird field", "label": "x"}',
             '{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "x", "<svg>bob@evil.example.com": "k"}]}',
             '{"a@example.com": 1, "b@example.com": 2, "<EMAIL>": 3, "text": "ok"}']
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    summary = redact(source, tmp_path / "clean.jsonl", Config())
    out = (tmp_path / "clean.jsonl").read_text(encoding="utf-8").splitlines()
    assert out[0] == '{"<img src=x><EMAIL>": "weird field", "label": "x"}'
    assert out[1] == ('{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "x", "<svg><EMAIL>": "k"}]}')
    assert json.loads(out[2]) == {"<EMAIL> (2)": 1, "<EMAIL> (3)": 2, "<EMAIL>": 3, "text": "ok"}
    assert out[2] == '{"<EMAIL> (2)": 1, "<EMAIL> (3)": 2, "<EMAIL>": 3, "text": "ok"}'
    assert summary.by_kind == {"email": 4} and summary.changed == 3
    sidecar = summary.sidecar.read_text(encoding="utf-8")
    assert "alice.smith" not in sidecar and "bob@evil" not in sidecar and '"field": "(key)"' in sidecar
    assert '"field": "messages[1].(key)"' in sidecar


@pytest.mark.parametrize("indent", [2, None], ids=["pretty", "one-line"])
def test_a_json_array_is_redacted_by_element_and_keeps_its_layout(tmp_path, indent):
    records = [{"text": "Where is my parcel?", "label": "shipping"}, {"text": "mail me: jane.doe@example.org", "label": "account"},
               {"text": "plain", "label": "x"}]
    source = tmp_path / "tickets.json"
    source.write_text(json.dumps(records, indent=indent), encoding="utf-8")
    summary = redact(source, tmp_path / "clean.json", Config())
    records[1]["text"] = "mail me: <EMAIL>"
    assert (tmp_path / "clean.json").read_text(encoding="utf-8") == json.dumps(records, indent=indent)
    assert (summary.rows, summary.changed) == (3, 1)
    entry = json.loads(summary.sidecar.read_text())
    assert (entry["line"], entry["field"]) == (2, "text")  # the element, as the audit numbers it


def test_a_semicolon_csv_is_rewritten_with_semicolons_as_the_loader_reads_it(tmp_path):
    source = tmp_path / "tickets.csv"
    source.write_text('text;label\n"hi, mail jane@example.com";account\nplain;x\n', encoding="utf-8")
    summary = redact(source, tmp_path / "clean.csv", Config())
    assert (tmp_path / "clean.csv").read_text(encoding="utf-8") == 'text;label\nhi, mail <EMAIL>;account\nplain;x\n'
    assert json.loads(summary.sidecar.read_text())["field"] == "text"


def test_a_json_array_broken_mid_way_or_a_bz2_file_writes_no_copy(tmp_path):
    broken = tmp_path / "tickets.json"
    broken.write_text('[{"text": "jane@example.com", "label": "x"}, {"text": "cut', encoding="utf-8")
    with pytest.raises(InputError, match=r"tickets.json: invalid JSON in element 2 .*no copy was written"):
        redact(broken, tmp_path / "clean.json", Config())
    import bz2

    packed = tmp_path / "tickets.jsonl.bz2"
    packed.write_bytes(bz2.compress(b'{"text": "jane@example.com", "label": "x"}\n'))
    with pytest.raises(InputError, match=r"tickets.jsonl.bz2: is bz2-compressed; .*decompress it first"):
        redact(packed, tmp_path / "clean.jsonl", Config())
    assert not (tmp_path / "clean.json").exists() and not (tmp_path / "clean.jsonl").exists()


def test_a_csv_column_named_by_personal_data_is_listed_masked(tmp_path):
    from dataaudit.excerpt import plain_excerpt

    source = tmp_path / "contacts.csv"
    source.write_text('text,label,zack@example.com,zoe@example.com\n"mail zed@example.com",a,+44 20 7946 0958,+44 20 7946 0959\n',
                      encoding="utf-8")
    summary = redact(source, tmp_path / "clean.csv", Config())
    listed = [json.loads(line) for line in summary.sidecar.read_text(encoding="utf-8").splitlines()]
    assert [(entry["field"], entry["kind"]) for entry in listed] == [
        ("text", "email"), (plain_excerpt("zack@example.com"), "phone"), (plain_excerpt("zoe@example.com"), "phone")]
    assert listed[1]["field"].startswith("<EMAIL ….com #") and listed[1]["field"] != listed[2]["field"]
    assert "zack" not in summary.sidecar.read_text(encoding="utf-8")
    # the copy keeps its column names: they are the file's schema
    assert (tmp_path / "clean.csv").read_text(encoding="utf-8").splitlines()[0] == "text,label,zack@example.com,zoe@example.com"


def test_a_csv_row_that_is_not_utf8_stops_the_copy_naming_its_row(tmp_path):
    """The CSV path refused the whole file with a byte offset; the row is named as the audit numbers it."""
    source = tmp_path / "tickets.csv"
    source.write_bytes(b"text,label\nmail jane.doe@example.com,billing\ncaf\xe9 order,x\nok,y\n")
    with pytest.raises(InputError, match=r"tickets.csv, line 2: is not UTF-8, so it cannot be scanned.*no copy was written"):
        redact(source, tmp_path / "clean.csv", Config())
    assert not (tmp_path / "clean.csv").exists()


def test_a_csv_quote_left_open_is_refused_not_closed_by_the_writer(tmp_path):
    source = tmp_path / "q.csv"
    source.write_text('text,label\nmail ann@example.com,a\n"never closed,b\nrow 3,c\nrow 4,d\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"q.csv: row 2: a quote opened in this row is never closed.*no copy was written"):
        redact(source, tmp_path / "clean.csv", Config())
    assert not (tmp_path / "clean.csv").exists()


def test_a_csv_quote_left_open_after_a_stray_quote_is_refused_not_closed(tmp_path):
    source = tmp_path / "stray.csv"
    source.write_text('text,label\nhello there,a\n"x"y,"open\nmail ann@example.com,c\nmore rows here,d\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"row 2: a quote opened in this row is never closed"):
        redact(source, tmp_path / "clean.csv", Config())
    assert not (tmp_path / "clean.csv").exists()


def test_a_number_or_a_repeated_string_holding_a_finding_changes_alone_and_the_rest_of_the_line_stays(tmp_path):
    source = tmp_path / "numbers.jsonl"
    lines = ['{"id":2,"phone":4155552671,"messages":[{"role":"user","content":"caf\\u00e9 na\u00efve hello"}],"n":1e0,"f":0.10,"big":12345678901234567890}',
             '{"id": 3,  "contact": {"tel": 2125550147}, "text": "ok", "label": "a", "x": 1.50}',
             '{"order_id":"4155552671","phone":"4155552671","w":1.0,"x":1e0,"t":"caf\\u00e9"}']
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    summary = redact(source, tmp_path / "clean.jsonl", Config())
    out = (tmp_path / "clean.jsonl").read_text(encoding="utf-8").splitlines()
    assert out[0] == '{"id":2,"phone":"<PHONE>","messages":[{"role":"user","content":"caf\\u00e9 na\u00efve hello"}],"n":1e0,"f":0.10,"big":12345678901234567890}'
    assert out[1] == '{"id": 3,  "contact": {"tel": "<PHONE>"}, "text": "ok", "label": "a", "x": 1.50}'
    # the order number is the same digits, unchanged (no phone context): only the phone's literal is patched
    assert out[2] == '{"order_id":"4155552671","phone":"<PHONE>","w":1.0,"x":1e0,"t":"caf\\u00e9"}'
    assert (summary.replaced, summary.changed) == (3, 3)


def test_a_pretty_printed_array_element_whose_finding_is_a_number_keeps_its_layout(tmp_path):
    text = '[\n  {\n    "id": 1,\n    "phone": 4155552671,\n    "w": 1.0,\n    "text": "caf\\u00e9"\n  },\n  {\n    "id": 2,\n    "w": 1e0\n  }\n]'
    source = tmp_path / "tickets.json"
    source.write_text(text, encoding="utf-8")
    redact(source, tmp_path / "clean.json", Config())
    assert (tmp_path / "clean.json").read_text(encoding="utf-8") == text.replace("4155552671", '"<PHONE>"')


def test_a_folder_where_the_list_goes_is_refused_and_no_copy_is_written(tmp_path):
    source = tmp_path / "a.jsonl"
    source.write_text(json.dumps({"text": "jane@example.com", "label": "x"}) + "\n")
    (tmp_path / "clean.jsonl.redacted.jsonl").mkdir()
    with pytest.raises(InputError, match=r"clean.jsonl.redacted.jsonl: the list written beside the output is a folder"):
        redact(source, tmp_path / "clean.jsonl", Config())
    assert not (tmp_path / "clean.jsonl").exists()


def test_a_list_that_cannot_be_written_leaves_no_copy(tmp_path, monkeypatch):
    import dataaudit.io

    staged = dataaudit.io._stage

    def disk_full_at_the_list(path, payload):
        if path.name.endswith(".redacted.jsonl"):
            raise OSError(28, "No space left on device")
        return staged(path, payload)

    monkeypatch.setattr(dataaudit.io, "_stage", disk_full_at_the_list)
    source = tmp_path / "a.jsonl"
    source.write_text(json.dumps({"text": "jane@example.com", "label": "x"}) + "\n")
    out = tmp_path / "clean"
    out.mkdir()
    with pytest.raises(InputError, match=r"clean.jsonl.redacted.jsonl: cannot be written \(No space left on device\)"):
        redact(source, out / "clean.jsonl", Config())
    assert list(out.iterdir()) == []


def _nested(depth: int, leaf) -> dict:
    value = leaf
    for _ in range(depth):
        value = {"a": value}
    return value


@pytest.mark.parametrize("depth", [500, 700, 900])
def test_an_object_nested_as_deep_as_the_loader_reads_is_redacted_without_a_recursion_error(tmp_path, depth):
    # The loader reads a record nested this deep as valid (its parser stops near 1,000 levels); redact walked and
    # rebuilt it recursively, two frames a level, and crashed with a RecursionError traceback past ~450.
    deep = {"text": "ok", "label": "x", "meta": _nested(depth, "mail ian.doe@example.com")}
    source = tmp_path / "deep.jsonl"
    source.write_text('{"text": "ok", "label": "x"}\n' + json.dumps(deep) + "\n", encoding="utf-8")
    summary = redact(source, tmp_path / "clean.jsonl", Config())
    lines = (tmp_path / "clean.jsonl").read_text(encoding="utf-8").splitlines()
    assert lines[0] == '{"text": "ok", "label": "x"}'
    assert json.loads(lines[1]) == {**deep, "meta": _nested(depth, "mail <EMAIL>")}
    assert lines[1] == json.dumps(deep).replace("ian.doe@example.com", "<EMAIL>")  # patched in place, layout kept
    assert (summary.rows, summary.changed, summary.replaced, summary.by_kind) == (2, 1, 1, {"email": 1})
    entry = json.loads(summary.sidecar.read_text())
    assert (entry["line"], entry["field"], entry["kind"]) == (2, "meta" + ".a" * depth, "email")


def test_a_row_too_deep_to_rebuild_is_redacted_as_raw_text_and_listed_once(tmp_path, monkeypatch):
    # Near the parser's own limit what reads the value back (json.dumps, ==) can run out of recursion where the
    # parser did not: the row is then redacted as text, as a row the parser refuses is, never a traceback.
    import dataaudit.fix.redact as redact_module

    def too_deep(*args, **kwargs):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(redact_module, "_rebuilt", too_deep)
    source = tmp_path / "deep.jsonl"
    source.write_text('{"text": "mail ian.doe@example.com", "label": "x"}\n', encoding="utf-8")
    summary = redact(source, tmp_path / "clean.jsonl", Config())
    assert (tmp_path / "clean.jsonl").read_text(encoding="utf-8") == '{"text": "mail <EMAIL>", "label": "x"}\n'
    assert [(e["line"], e["field"], e["kind"]) for e in map(json.loads, summary.sidecar.read_text().splitlines())] == [
        (1, "(line)", "email")]
    assert (summary.replaced, summary.by_kind) == (1, {"email": 1})


def test_a_line_over_the_audits_limit_stops_the_copy_naming_it_rather_than_passing_it_on_unscanned(tmp_path, monkeypatch):
    import dataaudit.fix.redact as redact_module
    import dataaudit.fix.writers as writers

    monkeypatch.setattr(writers, "MAX_LINE_BYTES", 1024 * 1024)  # 256 MB in use: too big to write in a test
    monkeypatch.setattr(redact_module, "MAX_LINE_BYTES", 1024 * 1024)
    source = tmp_path / "bomb.jsonl.gz"
    source.write_bytes(gzip.compress(b'{"text": "a"}\n{"text": "' + b"x" * (2 * 1024 * 1024) + b' jo@example.com"}\n{"text": "c"}\n'))
    with pytest.raises(InputError) as refused:
        redact(source, tmp_path / "clean.jsonl.gz", Config())
    assert str(refused.value) == (f"{source}, line 2: line is longer than 1 MB, which the audit skips unread, so it "
                                  "cannot be scanned for personal data and no copy was written; split the line or "
                                  "remove it")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bomb.jsonl.gz"]


def test_a_value_a_duplicate_key_hides_from_json_loads_is_redacted_too(tmp_path):
    # json.loads keeps the last of two equal keys, so the first value was never walked and its address went into
    # the "clean" copy byte for byte (the audit calls such a line invalid, so its pii check never saw it either).
    source = tmp_path / "dup.jsonl"
    source.write_text('{"text": "mail jo@example.com", "text": "ok", "label": "a"}\n'
                      '{"text": "ok", "label": "b", "meta": {"e": "ann@example.com", "e": 1}}\n', encoding="utf-8")
    summary = redact(source, tmp_path / "clean.jsonl", Config())
    assert (tmp_path / "clean.jsonl").read_text(encoding="utf-8") == (
        '{"text": "mail <EMAIL>", "text": "ok", "label": "a"}\n'
        '{"text": "ok", "label": "b", "meta": {"e": "<EMAIL>", "e": 1}}\n')
    assert [(e["line"], e["field"], e["kind"]) for e in map(json.loads, summary.sidecar.read_text().splitlines())] == [
        (1, "(line)", "email"), (2, "(line)", "email")]



def test_an_integer_longer_than_python_reads_is_redacted_as_raw_text_not_a_traceback(tmp_path):
    """int() refuses a literal over 4,300 digits with a ValueError that is no JSONDecodeError: redact crashed."""
    source = tmp_path / "big.jsonl"
    huge = "9" * 4301
    source.write_text('{"text": "ok", "label": "a"}\n'
                      f'{{"text": "mail jo@example.com", "label": "b", "meta": {huge}}}\n', encoding="utf-8")
    summary = redact(source, tmp_path / "clean.jsonl", Config())
    assert (tmp_path / "clean.jsonl").read_text(encoding="utf-8") == (
        '{"text": "ok", "label": "a"}\n' f'{{"text": "mail <EMAIL>", "label": "b", "meta": {huge}}}\n')
    assert [(e["line"], e["field"]) for e in map(json.loads, summary.sidecar.read_text().splitlines())] == [(2, "(line)")]

SPANNED_LINE = (' \t{ "k\\"ey\\u00e9" : [ 0 , -0 , 12 , -1.5 , 0.10 , 1e0 , 2E+3 , -7.25e-2 , 12345678901234567890 ,'
                ' [ [ ] , { } , [ "in\\\\ner" , { "deep" : [ null ] } ] ] ] ,"s":"a\\nb\\t\\/\\ud83d\\ude00\\"q",\r\n'
                '  "t" :true,"f": false , "n" :null, "nan": NaN, "inf": [Infinity, -Infinity], "dup": 1, "dup": {"x": "last"} } \r\n')


def _places(value, place=()):
    yield place
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _places(item, place + (key,))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _places(item, place + (i,))


def _at(value, place):
    for step in place:
        value = value[step]
    return value


def test_spans_name_every_value_and_key_where_it_is_written_as_json_loads_reads_the_line():
    from dataaudit.fix.redact import _Spans

    spans = _Spans(SPANNED_LINE)
    parsed = json.loads(SPANNED_LINE)
    assert set(spans.values) == set(_places(parsed))
    for place, (start, end) in spans.values.items():
        written = SPANNED_LINE[start:end]
        assert json.dumps(json.loads(written)) == json.dumps(_at(parsed, place)), place  # NaN != NaN: compare as written
        assert written == written.strip()  # the token alone, no spacing around it
    assert SPANNED_LINE[slice(*spans.values[("k\"eyé", 5)])] == "1e0"
    assert SPANNED_LINE[slice(*spans.values[("k\"eyé", 4)])] == "0.10"
    assert SPANNED_LINE[slice(*spans.values[("k\"eyé", 8)])] == "12345678901234567890"
    assert SPANNED_LINE[slice(*spans.values[("s",)])] == '"a\\nb\\t\\/\\ud83d\\ude00\\"q"'
    assert SPANNED_LINE[slice(*spans.values[("k\"eyé", 9, 2, 1, "deep", 0)])] == "null"
    assert SPANNED_LINE[slice(*spans.values[("k\"eyé", 9, 0)])] == "[ ]"
    assert SPANNED_LINE[slice(*spans.values[("dup",)])] == '{"x": "last"}'  # the value json.loads keeps
    assert [SPANNED_LINE[s:e] for s, e in spans.keys[("dup",)]] == ['"dup"', '"dup"']  # both places the key is written
    assert [SPANNED_LINE[s:e] for s, e in spans.keys[("k\"eyé",)]] == ['"k\\"ey\\u00e9"']


@pytest.mark.parametrize("text", ['{"a": 1} x', '{"a" 1}', '{"a": 1,}', '[1 2]', '{1: 2}', '{"a": tru}', '{"a": 01}'])
def test_spans_refuse_what_json_loads_refuses(text):
    from dataaudit.fix.redact import _Spans

    with pytest.raises(json.JSONDecodeError):
        json.loads(text)
    with pytest.raises(ValueError):
        _Spans(text)
