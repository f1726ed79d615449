"""load/files: CSV rows whose bytes are not text, headers and quotes that cannot be read as meant, and the
field a strict-JSON error names."""

from __future__ import annotations

import json
from collections import Counter

from dataaudit.config import Config
from dataaudit.load.dataset import load_dataset
from dataaudit.load import files
from dataaudit.load.files import rows_of


def csv_rows(path):
    return list(rows_of(path, Counter()))


def errors_of(rows):
    return [(r.line, r.error.field, r.error.message) for r in rows if r.error]


def text_rows(count: int) -> list[bytes]:
    return [f"row {i} text about something,{'ab'[i % 2]}\n".encode() for i in range(count)]


def test_one_latin1_byte_fails_its_row_alone_and_every_other_row_is_read(tmp_path):
    lines = text_rows(300)
    lines[199] = "café row 199,a\n".encode("latin-1")
    path = tmp_path / "latin1.csv"
    path.write_bytes(b"text,label\n" + b"".join(lines))
    rows = csv_rows(path)
    assert len(rows) == 300
    [(line, field, message)] = errors_of(rows)
    assert (line, field) == (200, "(encoding)")
    assert message.startswith("row is not valid UTF-8 (byte 0xe9 in column 'text', character 4)")
    assert rows[200].data == {"text": "row 200 text about something", "label": "a"}
    ds = load_dataset(path, Config())
    assert (ds.total, ds.invalid, len(ds.records)) == (300, 1, 299)


def test_a_header_that_is_not_utf8_is_a_file_error(tmp_path):
    path = tmp_path / "h.csv"
    path.write_bytes("tëxt,label\nhello,a\n".encode("latin-1"))
    assert [(line, field) for line, field, _ in errors_of(csv_rows(path))] == [(0, "(encoding)")]


def test_a_header_holding_two_delimiters_is_a_file_error_when_the_rows_fit_the_other_one(tmp_path):
    path = tmp_path / "both.csv"
    path.write_text("text;x,label\nrow one;a\nrow two;b\n", encoding="utf-8")
    [(line, field, message)] = errors_of(csv_rows(path))
    assert (line, field) == (0, "(csv)")
    assert message.startswith("the header holds comma and semicolon characters, and the first rows split on "
                              "semicolons fit it while on commas they do not")


def test_a_column_name_holding_another_delimiter_is_read_when_the_rows_fit_the_suffix_one(tmp_path):
    path = tmp_path / "ok.csv"
    path.write_text("text,label,score|raw\nrow one,a,0.5|1\nrow two,b,0.7|2\n", encoding="utf-8")
    rows = csv_rows(path)
    assert errors_of(rows) == []
    assert [r.data for r in rows] == [{"text": "row one", "label": "a", "score|raw": "0.5|1"},
                                      {"text": "row two", "label": "b", "score|raw": "0.7|2"}]
    named = tmp_path / "named.csv"
    named.write_text("notes; comments,sentiment (pos|neg)\nfine,pos\n", encoding="utf-8")
    assert [r.data for r in csv_rows(named)] == [{"notes; comments": "fine", "sentiment (pos|neg)": "pos"}]


def test_a_delimiter_inside_a_quoted_column_name_is_not_a_second_delimiter(tmp_path):
    path = tmp_path / "quoted.csv"
    path.write_text('"text;body",label\nrow one,a\n', encoding="utf-8")
    rows = csv_rows(path)
    assert errors_of(rows) == [] and rows[0].data == {"text;body": "row one", "label": "a"}


def test_a_tsv_header_with_a_comma_is_as_ambiguous(tmp_path):
    path = tmp_path / "t.tsv"
    path.write_text("text\tlabel,source\nhello,a\n", encoding="utf-8")
    [(_, field, message)] = errors_of(csv_rows(path))
    assert field == "(csv)" and message.startswith("the header holds comma and tab characters")


def test_an_unclosed_quote_is_named_at_its_row_and_the_rest_is_said_unread(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text('text,label\nfirst row,a\n"never closed,foo\nrow 2,a\nrow 3,b\n', encoding="utf-8")
    rows = csv_rows(path)
    assert rows[0].data == {"text": "first row", "label": "a"}
    [(line, field, message)] = errors_of(rows)
    assert (line, field) == (2, "(csv)") and len(rows) == 2
    assert message.startswith("a quote opened in this row (column 'text'), on line 3 of the file, is never closed: "
                              "the rest of the file (3 lines) was read as one value and not audited")


def test_an_unclosed_quote_on_the_last_line_without_a_line_break_is_found_too(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text('text,label\nok,a\nstill ok,"b', encoding="utf-8")
    [(line, _, message)] = errors_of(csv_rows(path))
    assert line == 2 and "(column 'label'), on line 3 of the file, is never closed" in message


def test_quoted_line_breaks_and_a_closed_last_quote_are_not_unclosed_quotes(tmp_path):
    path = tmp_path / "ok.csv"
    path.write_text('text,label\n"two\nlines",a\nlast,"b"', encoding="utf-8")
    rows = csv_rows(path)
    assert errors_of(rows) == []
    assert [r.data for r in rows] == [{"text": "two\nlines", "label": "a"}, {"text": "last", "label": "b"}]


def test_a_nul_byte_in_a_cell_fails_that_row_as_in_jsonl(tmp_path):
    path = tmp_path / "nul.csv"
    path.write_bytes(b"text,label\nhello\x00world,a\nfine row,b\n")
    rows = csv_rows(path)
    [(line, field, message)] = errors_of(rows)
    assert (line, field) == (1, "(csv)")
    assert message.startswith("row holds a NUL byte in column 'text' (character 6)")
    assert rows[1].data == {"text": "fine row", "label": "b"}


def jsonl_errors(tmp_path, lines: list[str]):
    path = tmp_path / "r.jsonl"
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return [(line, field, message.split(" is not valid JSON")[0]) for line, field, message in errors_of(csv_rows(path))]


def test_nan_and_infinity_name_the_key_path_they_sit_at(tmp_path):
    assert jsonl_errors(tmp_path, [
        '{"text": "ok", "label": Infinity}',
        '{"text": NaN, "label": "a"}',
        '{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": -Infinity}]}',
        '{"meta": {"scores": [1, 2, NaN]}, "text": "x", "label": "a"}',
        'NaN',
        '{"text": "fine", "label": "a"}',
    ]) == [(1, "label", "Infinity"), (2, "text", "NaN"), (3, "messages[1].content", "-Infinity"),
           (4, "meta.scores[2]", "NaN"), (5, "(json)", "NaN")]


def test_a_duplicate_key_is_named_by_its_path(tmp_path):
    assert jsonl_errors(tmp_path, [
        '{"messages": [{"role": "user", "content": "hi", "content": "again"}]}',
        '{"text": "x", "label": "a", "meta": {"k": 1, "k": 2}}',
        '{"text": "x", "label": "a", "label": "b"}',
        '{"text": "fine", "label": "a"}',
    ]) == [(1, "messages[0].content", "duplicate key 'content' in one JSON object; keep one"),
           (2, "meta.k", "duplicate key 'k' in one JSON object; keep one"),
           (3, "label", "duplicate key 'label' in one JSON object; keep one")]


def test_the_first_problem_in_the_text_is_the_one_named(tmp_path):
    assert jsonl_errors(tmp_path, ['{"a": {"x": NaN}, "b": Infinity}']) == [(1, "a.x", "NaN")]


def test_an_array_element_cut_by_every_read_block_names_the_same_path(tmp_path, monkeypatch):
    from dataaudit.load import files

    monkeypatch.setattr(files, "_READ_CHUNK", 3)  # elements are decoded again as each block arrives
    path = tmp_path / "records.json"
    path.write_text('[{"text": "a", "label": "x"}, {"meta": {"v": 1.5, "v": 2}, "label": NaN}, {"q": [Infinity]}]',
                    encoding="utf-8")
    assert [(line, field) for line, field, _ in errors_of(csv_rows(path))] == [(2, "meta.v"), (3, "q[0]")]


def test_a_long_duplicate_key_or_header_name_is_quoted_as_an_excerpt(tmp_path):
    """A dataset's key in an error goes through the one excerpt function: cut, masked, without controls."""
    from dataaudit.config import Config
    from dataaudit.excerpt import DEFAULT_LIMIT
    from dataaudit.load.dataset import load_dataset

    key = "ann@example.com \x1b[31m" + "k" * 5000
    path = tmp_path / "dup.jsonl"
    path.write_text(json.dumps({"text": "x", "label": "y"})[:-1] + ', %s: 1, %s: 2}\n' % (json.dumps(key), json.dumps(key)),
                    encoding="utf-8")
    (error,) = load_dataset(path, Config()).errors
    assert error.message.startswith("duplicate key '<EMAIL") and len(error.message) < DEFAULT_LIMIT + 60
    header = tmp_path / "dup.csv"
    header.write_text(f"text,label,{key},{key}\nx,y,1,2\n", encoding="utf-8")
    (error,) = load_dataset(header, Config()).errors
    assert len(error.message) < 2 * DEFAULT_LIMIT + 200
    for message in (error.message, load_dataset(path, Config()).errors[0].message):
        assert "ann@example.com" not in message and "\x1b" not in message and "\\x1b[31m" in message


def test_a_header_name_in_a_row_error_is_quoted_as_an_excerpt(tmp_path):
    from dataaudit.excerpt import DEFAULT_LIMIT

    name = "ann@example.com \x1b[31m" + "h" * 5000
    for body, what in ((b"caf\xe9", "not valid UTF-8"), (b"a\x00b", "NUL byte"), (b'"open', "never closed")):
        path = tmp_path / "long.csv"
        path.write_bytes(f"text,{name}\n".encode() + b"ok,fine\nx," + body + b"\n")
        [(line, _, message)] = errors_of(csv_rows(path))
        assert line == 2 and what in message
        assert "ann@example.com" not in message and "\x1b" not in message and len(message) < DEFAULT_LIMIT + 400


def test_a_nul_byte_in_the_header_is_a_file_error(tmp_path):
    path = tmp_path / "nulhead.csv"
    path.write_bytes(b"te\x00xt,label\nhello,a\n")
    assert errors_of(csv_rows(path)) == [(0, "(csv)", "the header holds a NUL byte; a NUL is not text: re-export the "
                                                      "file without it; no row was read")]


def test_a_quote_left_open_after_a_stray_quote_in_the_same_row_is_still_named(tmp_path):
    """A strict re-parse stopped at the stray quote after "x" and never saw the open one: the last two rows were
    read as one value, silently (second review)."""
    from dataaudit.config import Config
    from dataaudit.load.dataset import load_dataset

    path = tmp_path / "stray.csv"
    path.write_text('text,label\nhello there,a\n"x"y,"open\nmail ann@example.com,c\nmore rows here,d\n', encoding="utf-8")
    dataset = load_dataset(path, Config())
    assert [r.input_text for r in dataset.records] == ["hello there"]
    (error,) = dataset.errors
    assert error.line == 2 and "is never closed: the rest of the file (3 lines) was read as one value" in error.message


def test_a_header_with_a_semicolon_in_a_column_name_and_short_rows_is_read_on_commas(tmp_path):
    """`notes; extra` is a column the rows leave out: always readable on commas, refused by the two-delimiter rule
    when it asked every row to fill the header (second review)."""
    from dataaudit.config import Config
    from dataaudit.load.dataset import load_dataset

    path = tmp_path / "short.csv"
    path.write_text("text,label,notes; extra\nhi; there,pos\nyo; man,neg\n", encoding="utf-8")
    dataset = load_dataset(path, Config())
    assert dataset.errors == [] and [(r.input_text, r.label) for r in dataset.records] == [("hi; there", "pos"), ("yo; man", "neg")]


def test_cr_only_line_breaks_are_named_with_how_to_convert_them(tmp_path):
    records = [json.dumps({"text": f"question {i}", "label": "ab"[i % 2]}) for i in range(5)]
    path = tmp_path / "mac.jsonl"
    path.write_bytes(("\r".join(records) + "\r").encode())
    [(line, field, message)] = errors_of(csv_rows(path))
    assert (line, field) == (1, "(json)")
    assert message == ("line breaks here are carriage returns alone (4 CR without LF: classic Mac line endings), so the "
                       "records read as one line; convert them to LF (tr '\\r' '\\n' < FILE > NEW.jsonl) and audit that")


def test_a_raw_cr_inside_one_records_string_is_still_its_own_json_error(tmp_path):
    path = tmp_path / "cr_in_string.jsonl"
    path.write_bytes(b'{"text": "a\rb", "label": "a"}\n{"text": "c", "label": "b"}\r\n')
    rows = csv_rows(path)
    assert errors_of(rows) == [(1, "(json)", "invalid JSON: Invalid control character at column 12")]
    assert rows[1].data == {"text": "c", "label": "b"}


def test_a_cr_only_file_over_the_line_limit_gets_the_cr_only_hint_not_line_too_long(tmp_path, monkeypatch):
    # the whole CR-only file is one LF line: over the limit it was "line is longer than 256 MB; it was skipped"
    monkeypatch.setattr(files, "MAX_LINE_BYTES", 1024)
    monkeypatch.setattr(files, "_READ_CHUNK", 100)  # the rest of the line read in many pieces, a CR LF split across two
    records = [json.dumps({"text": f"question {i}", "label": "ab"[i % 2]}) for i in range(60)]
    path = tmp_path / "mac.jsonl"
    body = "\r".join(records).encode()
    padding = (99 - (len(body) - 1024)) % 100  # spaces that put the final CR last in a 100-byte piece, its LF next
    path.write_bytes(body + b" " * padding + b"\r\n")
    assert len(path.read_bytes()) > 2 * 1024 and (len(path.read_bytes()) - 2 - 1024) % 100 == 99
    [(line, field, message)] = errors_of(csv_rows(path))
    assert (line, field) == (1, "(json)")
    assert message.startswith("line breaks here are carriage returns alone (59 CR without LF: classic Mac line endings)")
    long_line = tmp_path / "long.jsonl"  # a long line without lone CRs is still skipped as too long
    long_line.write_bytes(json.dumps({"text": "y" * 3000, "label": "a"}).encode() + b"\r\n" + records[0].encode() + b"\n")
    assert errors_of(csv_rows(long_line)) == [(1, "(line)", "line is longer than 0 MB; it was skipped")]


def test_an_integer_longer_than_python_reads_is_an_error_of_its_field_not_a_crash(tmp_path):
    huge = "9" * 4301
    lines = ['{"text": "a", "label": "x"}', '{"text": "b", "label": "y"}',
             f'{{"text": "c", "label": "x", "meta": {{"n": {huge}}}}}', f'{{"text": "d", "label": -{"1" * 4300}}}']
    jsonl = tmp_path / "big.jsonl"
    jsonl.write_text("\n".join(lines) + "\n")
    array = tmp_path / "big.json"
    array.write_text("[" + ",\n".join(lines) + "]")
    for path in (jsonl, array):
        rows = list(rows_of(path, Counter()))
        assert errors_of(rows) == [(3, "meta.n", "is a number of 4301 digits, more than the 4,300 that can be read; "
                                                 "write it as a string")]
        assert rows[3].data["label"] == -int("1" * 4300)
        ds = load_dataset(path, Config())
        assert (ds.total, ds.invalid, len(ds.records)) == (4, 1, 3)



def test_an_integer_under_the_loaders_limit_is_read_whatever_limit_the_process_set(tmp_path):
    """Review: under PYTHONINTMAXSTRDIGITS=640 a 1,000-digit number was an internal error (int() refused it)."""
    import sys

    path = tmp_path / "n.jsonl"
    path.write_text('{"text": "a", "label": "x", "meta": ' + "9" * 1000 + '}\n{"text": "b", "label": "y"}\n')
    previous = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(640)
    try:
        ds = load_dataset(path, Config())
    finally:
        sys.set_int_max_str_digits(previous)
    assert (ds.total, ds.invalid, len(ds.records)) == (2, 0, 2)

def test_the_array_walk_the_writers_use_places_an_element_holding_a_huge_integer():
    import io

    data = ('[{"a": 1}, {"b": ' + "7" * 5000 + '}, {"c": 3}]').encode()
    elements = list(files.JsonArrayWalk(io.BytesIO(data).read))
    assert [e.number for e in elements] == [1, 2, 3]
    assert elements[1].value == {"b": "7" * 5000}



def test_a_float_that_overflows_or_underflows_is_an_error_of_its_field_in_any_field(tmp_path):
    path = tmp_path / "floats.jsonl"
    path.write_text('{"text": "a", "label": 1e400}\n{"text": "b", "label": "x", "meta": -1e400}\n'
                    '{"text": "c", "label": 1e-400}\n{"text": "d", "label": 0.0e-400}\n{"text": "e", "label": 1e-320}\n')
    rows = list(rows_of(path, Counter()))
    tail = "a 64-bit float, so it cannot be read as written; write it as a string, or a number in range"
    assert errors_of(rows) == [(1, "label", f"1e400 overflows {tail}"), (2, "meta", f"-1e400 overflows {tail}"),
                               (3, "label", f"1e-400 underflows to 0 in {tail}")]
    assert rows[3].data["label"] == 0.0 and rows[4].data["label"] == 1e-320


def test_an_array_broken_inside_an_element_says_how_much_of_the_file_was_not_read(tmp_path):
    elements = [json.dumps({"text": f"ticket number {i}", "label": "ab"[i % 2]}) for i in range(100)]
    elements[24] = '{"text": "x" "label": "y"}'
    path = tmp_path / "broken.json"
    text = "[" + ", ".join(elements) + "]"
    path.write_text(text)
    unread = len(text) - text.index('{"text": "x"')
    rows = list(rows_of(path, Counter()))
    assert errors_of(rows) == [
        (25, "(json)", "invalid JSON in element 25: Expecting ',' delimiter; the elements after it were not read"),
        (0, "(json)", f"the array broke off at element 25: the rest of the file ({unread:,} of {len(text):,} bytes, 76%) "
                      "was not read, so the audit covers only the elements before it; fix element 25 and audit again")]
    ds = load_dataset(path, Config())
    assert (ds.total, ds.invalid, len(ds.records)) == (25, 1, 24)


def test_header_names_padded_with_spaces_are_read_as_the_names_they_pad(tmp_path):
    path = tmp_path / "padded.csv"
    path.write_text(" text ,label \nmy card was declined,card\n")
    assert [r.data for r in csv_rows(path)] == [{"text": "my card was declined", "label": "card"}]
    assert [(r.input_text, r.label) for r in load_dataset(path, Config()).records] == [("my card was declined", "card")]


def test_a_row_that_repeats_the_header_is_a_record_error_not_a_record_labelled_label(tmp_path):
    path = tmp_path / "joined.csv"
    path.write_bytes(b"\xef\xbb\xbftext,label\nhello there,greet\n\xef\xbb\xbftext,label\nbye now,farewell\ntext , label\n"
                     b"text,card\n")
    rows = csv_rows(path)
    message = ("row repeats the header, as where CSV files are joined with cat (each opening with its header); it is "
               "not a record: remove it, or audit the files as they were")
    assert errors_of(rows) == [(2, "(csv)", message), (4, "(csv)", message)]
    assert [r.data for r in rows if r.error is None][-1] == {"text": "text", "label": "card"}
    ds = load_dataset(path, Config())
    assert (ds.total, ds.invalid, [r.label for r in ds.records]) == (5, 2, ["greet", "farewell", "card"])


def test_a_zip_archive_is_named_as_one_with_what_to_do_not_as_a_file_that_is_not_utf8(tmp_path):
    import zipfile

    inner = tmp_path / "tickets.csv"
    inner.write_text("text,label\n" + "".join(f"ticket {i},a\n" for i in range(50)))
    with zipfile.ZipFile(tmp_path / "tickets.csv.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(inner, "tickets.csv")
    assert errors_of(csv_rows(tmp_path / "tickets.csv.zip")) == [
        (0, "(file)", "is a zip archive, which is not read (an .xlsx workbook is one too); unzip it and audit the file "
                      "it holds (gzip, bz2, xz and zstd files are read as they are)")]


def test_a_compressed_parquet_file_is_read_as_the_file_it_compresses(tmp_path):
    import bz2
    import gzip

    import pandas as pd

    pd.DataFrame({"text": ["my card was declined", "where is my refund"], "label": ["card", None]}).to_parquet(
        tmp_path / "t.parquet")
    plain = (tmp_path / "t.parquet").read_bytes()
    (tmp_path / "t.parquet.gz").write_bytes(gzip.compress(plain))
    (tmp_path / "t.pq.bz2").write_bytes(bz2.compress(plain))
    (tmp_path / "cut.parquet.gz").write_bytes(gzip.compress(plain)[:-20])
    expected = [(1, {"text": "my card was declined", "label": "card"}), (2, {"text": "where is my refund"})]
    for name in ("t.parquet", "t.parquet.gz", "t.pq.bz2"):
        assert [(r.line, r.data) for r in rows_of(tmp_path / name, Counter())] == expected
    [(line, field, message)] = errors_of(rows_of(tmp_path / "cut.parquet.gz", Counter()))
    assert (line, field) == (0, "(file)") and message.startswith("cannot decompress gzip file: ")


def test_a_compressed_files_dataset_name_drops_its_compression_and_format_suffixes(tmp_path):
    """b77.csv.gz was the dataset "b77.csv" beside b77.csv's "b77": compressing a nightly export started another history."""
    import gzip

    plain = tmp_path / "b77.csv"
    plain.write_text("text,label\nwhere is my card,card\n", encoding="utf-8")
    packed = tmp_path / "packed" / "b77.csv.gz"
    packed.parent.mkdir()
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    assert load_dataset(plain, Config()).name == load_dataset(packed, Config()).name == "b77"
    assert files.data_stem("x/b77.jsonl.bz2") == "b77" and files.data_stem("notes") == "notes"
