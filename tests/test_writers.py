"""The writer dedup and redact share: a copy keeps the input's own bytes, line endings included."""

from __future__ import annotations

import json

import pytest

from dataaudit.errors import InputError
from dataaudit.fix.writers import DROP, check_target, copy_target, rewrite


@pytest.mark.parametrize("ending", [b"\r\n", b"\n"])
def test_a_last_line_without_newline_gets_the_files_own_ending_when_a_newline_is_added(tmp_path, ending):
    source = tmp_path / "in.jsonl"
    source.write_bytes(ending.join([b'{"text": "a"}', b'{"text": "b"}', b'{"text": "c"}']))
    stats = rewrite(source, tmp_path / "out.jsonl", lambda number, row: DROP if number == 2 else row, newline_at_end=True)
    assert (tmp_path / "out.jsonl").read_bytes() == b'{"text": "a"}' + ending + b'{"text": "c"}' + ending
    assert (stats.rows, stats.kept) == (3, 2)


def test_a_crlf_file_whose_last_line_goes_keeps_crlf_at_its_end(tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_bytes(b'{"text": "a"}\r\n{"text": "b"}')
    rewrite(source, tmp_path / "out.jsonl", lambda number, row: DROP if number == 2 else row, newline_at_end=True)
    assert (tmp_path / "out.jsonl").read_bytes() == b'{"text": "a"}\r\n'


def test_without_newline_at_end_a_file_without_final_newline_stays_without_one(tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_bytes(b'{"text": "a"}\r\n\r\n{"text": "b"}')
    rewrite(source, tmp_path / "out.jsonl", lambda number, row: row)
    assert (tmp_path / "out.jsonl").read_bytes() == b'{"text": "a"}\r\n\r\n{"text": "b"}'


@pytest.mark.parametrize("first", [b"\n", b"\r\n"])
def test_the_added_ending_is_the_last_terminated_lines_not_a_blank_first_lines(tmp_path, first):
    source = tmp_path / "in.jsonl"
    source.write_bytes(first + b'{"text": "a"}\r\n{"text": "b"}')
    rewrite(source, tmp_path / "out.jsonl", lambda number, row: row, newline_at_end=True)
    assert (tmp_path / "out.jsonl").read_bytes() == first + b'{"text": "a"}\r\n{"text": "b"}\r\n'


def test_a_kept_last_line_keeps_its_own_lf_when_a_crlf_line_after_it_goes(tmp_path):
    # The file ends with a newline, so no ending is added: every kept row is copied byte for byte.
    source = tmp_path / "in.jsonl"
    source.write_bytes(b'{"a": 1}\n{"b": 2}\r\n')
    rewrite(source, tmp_path / "out.jsonl", lambda number, row: DROP if number == 2 else row, newline_at_end=True)
    assert (tmp_path / "out.jsonl").read_bytes() == b'{"a": 1}\n'


@pytest.mark.parametrize("below", ["x.jsonl", "deeper/x.jsonl"])
def test_an_output_below_a_file_is_refused_naming_the_file_that_is_no_folder(tmp_path, below):
    source = tmp_path / "in.jsonl"
    source.write_bytes(b'{"text": "a"}\n')
    (tmp_path / "afile").write_bytes(b"")
    with pytest.raises(InputError, match=rf"^{tmp_path}/afile/{below}: cannot be written: {tmp_path}/afile is a file, not a folder; "):
        check_target(source, tmp_path / "afile" / below, sidecar=".dropped.jsonl")
    assert (tmp_path / "afile").read_bytes() == b""


@pytest.mark.parametrize("command", ["dedup", "redact"])
def test_a_folder_out_writes_the_copy_under_the_inputs_name_and_the_help_says_so(tmp_path, command):
    from dataaudit.cli import build_parser

    (tmp_path / "clean").mkdir()
    assert copy_target("data/tickets.jsonl", tmp_path / "clean") == str(tmp_path / "clean" / "tickets.jsonl")
    assert copy_target("data/tickets.jsonl", "new/") == "new/tickets.jsonl"
    assert copy_target("data/tickets.jsonl", "new.jsonl") == "new.jsonl"
    parser = build_parser()._subparsers._group_actions[0].choices[command]
    help_text = " ".join(next(a.help for a in parser._actions if "--out" in a.option_strings).split())
    assert "or a folder (one that exists, or named with a trailing /) to write it into under the input's name" in help_text


@pytest.fixture
def default_csv_field_limit():
    """The csv module's own limit (131,072 characters), as a fresh `redact` process has it: the loader raises it
    process-wide when it reads a CSV, so a test run that loaded one first would hide a writer that relies on that."""
    import csv

    before = csv.field_size_limit(131_072)
    yield
    csv.field_size_limit(before)


def test_a_csv_cell_the_loader_reads_is_copied_whatever_limit_the_process_had(tmp_path, default_csv_field_limit):
    from dataaudit.load.files import MAX_LINE_BYTES

    source = tmp_path / "big.csv"
    data = b'text,label\n"short",a\n"' + b"x" * 200_000 + b' jo@example.com",b\nlast,c\n'
    source.write_bytes(data)
    stats = rewrite(source, tmp_path / "out.csv", lambda number, row: row)
    assert (tmp_path / "out.csv").read_bytes() == data
    assert (stats.rows, stats.kept) == (3, 3)
    import csv

    assert csv.field_size_limit() == MAX_LINE_BYTES  # the loader's limit, not a second one


def test_a_csv_cell_over_the_loaders_limit_is_refused_naming_its_data_row_and_line(tmp_path, monkeypatch, default_csv_field_limit):
    import dataaudit.load.files as files  # the limit every CSV reader sets (files.allow_long_csv_cells)

    monkeypatch.setattr(files, "MAX_LINE_BYTES", 1_000)  # 256 MB in use: too big to write in a test
    source = tmp_path / "big.csv"
    source.write_bytes(b'text,label\n"two\nlines",a\n\n"' + b"x" * 2_000 + b'",b\n')
    with pytest.raises(InputError) as refused:
        rewrite(source, tmp_path / "out.csv", lambda number, row: row)
    assert str(refused.value) == (f"{source}: cannot read data row 2 (line 5 of the file): field larger than field limit "
                                  "(1000); the audit stops reading there too, so no copy was written; fix that row and "
                                  "re-export the file")
    assert not (tmp_path / "out.csv").exists()


@pytest.mark.parametrize("compressed", [False, True])
def test_a_jsonl_line_over_the_loaders_limit_is_never_handed_on_only_dropped_or_refused(tmp_path, monkeypatch, compressed):
    import gzip

    import dataaudit.fix.writers as writers

    monkeypatch.setattr(writers, "MAX_LINE_BYTES", 64)  # 256 MB in use: too big to write in a test
    monkeypatch.setattr(writers, "_SKIP_CHUNK", 7)  # the rest of the line read past in many pieces
    data = b'{"text": "a"}\n{"text": "' + b"x" * 500 + b'"}\n{"text": "c"}\n'
    source = tmp_path / ("in.jsonl.gz" if compressed else "in.jsonl")
    source.write_bytes(gzip.compress(data) if compressed else data)
    seen = []

    def drop_long(number, row):
        seen.append((number, row if row is writers.LONG_LINE else json.loads(row)["text"]))
        return DROP if row is writers.LONG_LINE else row

    target = tmp_path / source.name.replace("in", "out")
    stats = rewrite(source, target, drop_long)
    written = gzip.decompress(target.read_bytes()) if compressed else target.read_bytes()
    assert written == b'{"text": "a"}\n{"text": "c"}\n'
    assert seen == [(1, "a"), (2, writers.LONG_LINE), (3, "c")] and (stats.rows, stats.kept) == (3, 2)
    with pytest.raises(InputError) as refused:
        rewrite(source, tmp_path / ("again" + target.name), lambda number, row: row)
    assert str(refused.value) == (f"{source}, line 2: line is longer than 0 MB, which the audit skips unread, so it "
                                  "cannot be copied; no copy was written; split or remove it")


@pytest.mark.parametrize("xs", [500, 121])  # 121: the long line's \r ends one piece read past and its \n is the next
def test_a_crlf_copy_whose_last_terminated_line_is_a_long_one_still_ends_in_crlf(tmp_path, monkeypatch, xs):
    """The ending a last line without one is given was read from the line before it, and a long line (left out
    unread) gave none: the copy of a CRLF file ended in a bare LF, where the same file with a short line there got CRLF."""
    import dataaudit.fix.writers as writers

    monkeypatch.setattr(writers, "MAX_LINE_BYTES", 64)
    monkeypatch.setattr(writers, "_SKIP_CHUNK", 7)
    long_line = b'{"text": "' + b"x" * xs + b'"}'
    source = tmp_path / "in.jsonl"
    source.write_bytes(b'{"text": "a"}\n{"text": "b"}\r\n' + long_line + b'\r\n{"text": "c"}')
    if xs == 121:
        assert (len(long_line) + 1 - 64) % 7 == 0  # the \r is the last byte of a piece
    stats = rewrite(source, tmp_path / "out.jsonl", lambda number, row: DROP if row is writers.LONG_LINE else row,
                    newline_at_end=True)
    assert (tmp_path / "out.jsonl").read_bytes() == b'{"text": "a"}\n{"text": "b"}\r\n{"text": "c"}\r\n'
    assert (stats.rows, stats.kept) == (4, 3)
    source.write_bytes(b'{"text": "a"}\r\n' + long_line + b'\n{"text": "c"}')  # the long line's own LF is followed
    rewrite(source, tmp_path / "out.jsonl", lambda number, row: DROP if row is writers.LONG_LINE else row,
            newline_at_end=True)
    assert (tmp_path / "out.jsonl").read_bytes() == b'{"text": "a"}\r\n{"text": "c"}\n'


def test_a_jsonl_file_ending_in_a_long_line_without_newline_keeps_the_others_as_they_were(tmp_path, monkeypatch):
    import dataaudit.fix.writers as writers

    monkeypatch.setattr(writers, "MAX_LINE_BYTES", 64)
    source = tmp_path / "in.jsonl"
    source.write_bytes(b'\xef\xbb\xbf{"text": "a"}\r\n\r\n{"text": "' + b"x" * 500 + b'"}')
    stats = rewrite(source, tmp_path / "out.jsonl", lambda number, row: DROP if row is writers.LONG_LINE else row)
    assert (tmp_path / "out.jsonl").read_bytes() == b'\xef\xbb\xbf{"text": "a"}\r\n\r'
    assert (stats.rows, stats.kept) == (2, 1)
