"""Reading files into rows: bytes, transparent decompression, JSONL, JSON arrays, CSV/TSV, Parquet, and
Hugging Face `datasets` folders written by `save_to_disk`.

Every reader streams: a file is read a line, an array element, a CSV row or a record batch at a time, so
a file larger than memory is still read. A row is a parsed object or the error that stopped it (with its
place); only an input that cannot be opened at all raises InputError. JSON is parsed strictly: duplicate
keys in an object, the non-standard constants NaN / Infinity, an integer too long for Python to convert and a float
that overflows to infinity or underflows to 0 (`1e400`, `1e-400`) are errors naming the constant, key or number and its path in the record, and nesting too deep for the parser is an error of that record, not a crash.
"""

from __future__ import annotations

import bz2
import codecs
import csv
import errno
import gzip
import hashlib
import io
import itertools
import json
import lzma
import math
from decimal import Decimal
import os
import re
import stat
import tempfile
from collections import Counter
from functools import partial
from pathlib import Path
from typing import IO, Any, Callable, Iterator, NamedTuple

from ..errors import InputError
from .records import RecordError
from ..excerpt import plain_excerpt
from .values import quoted

MAX_LINE_BYTES = 256 * 1024 * 1024  # a longer JSONL line is skipped with an error rather than held in memory
_READ_CHUNK = 1 << 20
_ARRAY_ELEMENT_LABEL = "element"

_MAGIC = {b"\x1f\x8b": "gzip", b"BZh": "bz2", b"\xfd7zXZ\x00": "xz", b"\x28\xb5\x2f\xfd": "zstd"}
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a zip's first entry, or the end record of an empty zip
_COMPRESSED_SUFFIXES = {".gz", ".gzip", ".bz2", ".xz", ".zst", ".zstd"}


def data_stem(path: str | Path) -> str:
    """A data file's name without its compression and format suffixes: b77.csv.gz is b77, as b77.csv is (the
    dataset's default name: compressing a nightly export must not start another history)."""
    path = Path(path)
    if path.suffix.lower() in _COMPRESSED_SUFFIXES:
        path = path.with_suffix("")
    return path.stem or path.name
_MANTISSA = re.compile(r"[^eE]*")
_NONZERO_DIGIT = re.compile("[1-9]")
_DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


# A NamedTuple, not a frozen dataclass: one is made per row, and a frozen dataclass's __init__ (object.__setattr__
# per field) took about a tenth of a CSV read.
class Row(NamedTuple):
    line: int  # JSONL line, JSON array element, or CSV / Parquet / Arrow data row (1-based); 0 = whole file
    data: Any  # the parsed object, or None when `error` is set
    error: RecordError | None = None


# ---------------------------------------------------------------------------------------------------
# Strict JSON


class _NonFinite:
    """What the decoder is given for NaN / Infinity / -Infinity: an object of its own per occurrence, so that the
    walk over the decoded record can find where it sits (parse_constant is told the constant, not its key)."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name


# The most digits an integer may have: Python refuses to convert a longer one (sys.get_int_max_str_digits, 4,300 by
# default) with a bare ValueError, and a fixed figure keeps the verdict the same wherever that limit was changed.
MAX_INT_DIGITS = 4300


class _Unreadable:
    """What the decoder is given for a number it cannot hold as written (a 5,000-digit integer, `1e400`, `1e-400`): an
    object of its own per occurrence, placed by the walk as a _NonFinite is."""

    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text


class _Strict:
    """A JSON decoder that notes duplicate keys and NaN/Infinity instead of accepting them silently, each named
    by its key path in the record (`messages[0].content`, `meta.k`), as every other record error is."""

    def __init__(self) -> None:
        # (the object holding the problem: a _NonFinite, or the dict with a duplicate key; that key or ""; message)
        self.problems: list[tuple[object, str, str]] = []
        self.decoder = json.JSONDecoder(object_pairs_hook=self._object, parse_constant=self._constant,
                                        parse_int=self._integer, parse_float=self._float)

    def _object(self, pairs: list[tuple[str, Any]]) -> dict:
        obj = dict(pairs)
        if len(obj) != len(pairs):
            seen: set[str] = set()
            for key, _ in pairs:
                if key in seen:
                    self.problems.append((obj, key, f"duplicate key {quoted(key)} in one JSON object; keep one"))
                    break
                seen.add(key)
        return obj

    def _constant(self, name: str) -> _NonFinite:
        constant = _NonFinite(name)
        self.problems.append((constant, "", f"{name} is not valid JSON (a number was written as {name}); write a value or null"))
        return constant

    def _integer(self, digits: str) -> int | _Unreadable:
        if len(digits.lstrip("-")) <= MAX_INT_DIGITS:
            return _int(digits)
        number = _Unreadable(digits)
        self.problems.append((number, "", f"is a number of {len(digits.lstrip('-'))} digits, more than the "
                                          f"{MAX_INT_DIGITS:,} that can be read; write it as a string"))
        return number

    def _float(self, text: str) -> float | _Unreadable:
        value = float(text)
        if math.isfinite(value) and (value != 0.0 or not _NONZERO_DIGIT.search(_MANTISSA.match(text).group())):
            return value
        # Read as inf, 1e400 would be the Infinity the parser refuses; read as 0, a label 1e-400 would be a class "0".
        number = _Unreadable(text)
        what = "overflows" if value else "underflows to 0 in"
        self.problems.append((number, "", f"{plain_excerpt(text, 40)} {what} a 64-bit float, so it cannot be read as "
                                          "written; write it as a string, or a number in range"))
        return number

    def parse(self, source: str, line: int, text: str) -> Row:
        self.problems = []
        try:
            obj, end = self.decoder.raw_decode(text, _skip_space(text, 0))
        except json.JSONDecodeError as exc:
            return Row(line, None, RecordError(source, line, "(json)", f"invalid JSON: {json_message(exc)} at column {exc.colno}"))
        except RecursionError:
            return Row(line, None, RecordError(source, line, "(json)", "JSON nested too deeply to read"))
        if text[end:].strip():
            return Row(line, None, RecordError(source, line, "(json)", f"invalid JSON: extra data at column {end + 1}"))
        return self._checked(source, line, obj)

    def _checked(self, source: str, line: int, obj: Any) -> Row:
        if self.problems:
            field, message = self._first_problem(obj)
            return Row(line, None, RecordError(source, line, field, message))
        return Row(line, obj)

    def _first_problem(self, obj: Any) -> tuple[str, str]:
        """The first problem noted whose holder is in the decoded record, with its key path. A JSON array's walk
        may decode an element more than once (a read block cut it), noting the same problem on a holder the
        final decode no longer holds; so an unplaced problem gives way to a placed one, and is named bare only
        when none is placed."""
        places = _paths_of(obj, {id(holder) for holder, _, _ in self.problems})
        for holder, key, message in self.problems:
            if id(holder) in places:
                path = _joined(places[id(holder)], key)
                return path or "(json)", message
        _, key, message = self.problems[0]
        return key or "(json)", message


def _paths_of(obj: Any, wanted: set[int]) -> dict[int, str]:
    """The key path of each dict, list or constant in `obj` whose id is wanted; a stack, not recursion, so a
    record nested as deep as the decoder allows is walked too."""
    found: dict[int, str] = {}
    stack: list[tuple[Any, str]] = [(obj, "")]
    while stack and len(found) < len(wanted):
        value, path = stack.pop()
        if id(value) in wanted:
            found.setdefault(id(value), path)
        if isinstance(value, dict):
            stack.extend((item, _joined(path, str(key))) for key, item in reversed(value.items()))
        elif isinstance(value, list):
            stack.extend((item, f"{path}[{i}]") for i, item in reversed(list(enumerate(value))))
    return found


def _joined(path: str, key: str) -> str:
    return f"{path}.{key}" if path and key else path or key


def json_message(exc: json.JSONDecodeError) -> str:
    """The decoder's message without its dangling position words: the caller adds "at column N" or the element."""
    return exc.msg.removesuffix(" starting at").removesuffix(" at")


def _skip_space(text: str, start: int) -> int:
    while start < len(text) and text[start] in " \t\r\n":
        start += 1
    return start


# ---------------------------------------------------------------------------------------------------
# Opening: files and folders, compressed or not


# What went wrong and what to do, for every reader of a file (one line naming the file).
NO_SUCH_FILE = "no such file; check the name, or name a file, a folder or a glob that exists"
PERMISSION_DENIED = "permission denied; make it readable to the user running the audit, or leave it out"


def _open_error(path: Path, exc: OSError) -> InputError:
    if isinstance(exc, FileNotFoundError) or getattr(exc, "errno", None) == errno.ELOOP:
        if path.is_symlink():  # "no such file" beside `ls` listing it would send the reader looking for a typo
            return InputError(f"{path}: is a broken symbolic link (to {os.readlink(path)}); fix the link or name the "
                              "file it should point to")
        return InputError(f"{path}: {NO_SUCH_FILE}")
    if isinstance(exc, IsADirectoryError):
        return InputError(f"{path}: is a directory, not a data file")
    if isinstance(exc, PermissionError):
        return InputError(f"{path}: {PERMISSION_DENIED}")
    return InputError(f"{path}: cannot read ({exc.strerror or exc})")


def _regular(path: Path) -> os.stat_result:
    """The input's stat, refusing anything that is neither a regular file nor a folder. A device or a pipe
    (/dev/zero, a FIFO, `<(zcat x.gz)`) cannot be read more than once, and the reader opens a file several
    times (compression, digest, head, rows): /dev/zero would be hashed forever and a pipe's data used up by
    the first open. Spooling a pipe to a temporary file was the alternative; refusing is bounded and says
    what to do, where a spool of an endless device would fill the disk."""
    try:
        info = path.stat()
    except OSError as exc:
        raise _open_error(path, exc) from exc
    if not (stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode)):
        raise InputError(f"{path}: not a regular file (a device, FIFO or socket): write the data to a file first")
    return info


def _compression(path: Path) -> str | None:
    try:
        with path.open("rb") as handle:
            head = handle.read(6)
    except OSError as exc:
        raise _open_error(path, exc) from exc
    for magic, name in _MAGIC.items():
        if head.startswith(magic):
            return name
    return None


def _open_binary(path: Path, compression: str | None) -> IO[bytes]:
    if compression == "gzip":
        return gzip.open(path, "rb")
    if compression == "bz2":
        return bz2.open(path, "rb")
    if compression == "xz":
        return lzma.open(path, "rb")
    if compression == "zstd":
        try:
            import zstandard  # optional: read .zst only where the library is installed
        except ImportError:
            raise InputError(f"{path}: is zstd-compressed and the zstandard package is not installed; "
                             "decompress it (zstd -d) or install zstandard") from None
        return zstandard.ZstdDecompressor().stream_reader(path.open("rb"), closefd=True)
    return path.open("rb")


def _is_folder(path: Path) -> bool:
    return stat.S_ISDIR(_regular(path).st_mode)


def file_digest(path: Path) -> str:
    """sha256 of a file's bytes, or of a dataset folder's data files in name order."""
    digest = hashlib.sha256()
    files = _arrow_files(path) if _is_folder(path) else [path]
    for file in files:
        _regular(file)
        try:
            with file.open("rb") as handle:
                for chunk in iter(lambda: handle.read(_READ_CHUNK), b""):
                    digest.update(chunk)
        except OSError as exc:
            raise _open_error(file, exc) from exc
    return digest.hexdigest()


def _inner_suffix(path: Path, compression: str | None) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if compression and suffixes and suffixes[-1] in _COMPRESSED_SUFFIXES:
        suffixes = suffixes[:-1]
    return suffixes[-1] if suffixes else ""


DATA_SUFFIXES = (".jsonl", ".ndjson", ".json", ".csv", ".tsv", ".tab", ".parquet", ".pq")  # .arrow: a datasets folder's


def named_as_data(name: str) -> bool:
    """Whether a file's name says it holds records (a data suffix, compressed or not: `a.jsonl.gz`). A glob's other
    matches (README.md, notes.txt) are skipped, as a folder's are; a file named on its own is read whatever its name."""
    suffixes = [s.lower() for s in Path(name).suffixes]
    if suffixes and suffixes[-1] in _COMPRESSED_SUFFIXES:
        suffixes = suffixes[:-1]
    return not Path(name).name.startswith(".") and bool(suffixes) and suffixes[-1] in DATA_SUFFIXES


def _file_kind(suffix: str, head: bytes) -> str:
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix in (".parquet", ".pq") or head.startswith(b"PAR1"):
        return "parquet"
    if suffix in (".arrow",):
        return "arrow"
    if suffix in (".csv", ".tsv", ".tab"):
        return "csv"
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if start == b"[":
        return "json_array"
    if suffix == ".json" or start == b"{":
        return "jsonl"
    return "csv"


def _not_utf8_reason(head: bytes) -> str | None:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "file is not UTF-8 (it starts with a UTF-16 byte-order mark); re-export it as UTF-8"
    if head[:4000].count(b"\x00") > 4:
        return "file is not UTF-8 (it contains NUL bytes, as UTF-16 or binary files do); re-export it as UTF-8"
    return None


def _file_error(source: str, field: str, message: str) -> Iterator[Row]:
    yield Row(0, None, RecordError(source, 0, field, message))


def read_rows(path: Path, counters: Counter) -> tuple[str, Iterator[Row]]:
    """sha256 of the input and its rows, each parsed or with the error that stopped it.

    counters["blank"] counts blank lines skipped. Raises InputError when the input cannot be opened, and at the
    end of the rows when the input changed while it was hashed or read.
    """
    before = _signature(path)
    return file_digest(path), _unchanged(path, before, rows_of(path, counters))


def _signature(path: Path) -> list[tuple[str, int, int, int]]:
    """Name, size, mtime and inode of the input's files: what an append, a rewrite or a replacement changes."""
    files = _arrow_files(path) if _is_folder(path) else [path]
    signature = []
    for file in files:
        info = _regular(file)
        signature.append((str(file), info.st_size, info.st_mtime_ns, info.st_ino))
    return signature


def _unchanged(path: Path, before: list, rows: Iterator[Row]) -> Iterator[Row]:
    """The rows, then a check that the input is still the one hashed before them. The digest is read in its
    own pass (so a file's sha256 is the same as `sha256sum` and as every earlier history and result cache
    says), so a file written to during the run would be reported under the hash of other bytes than those
    audited; comparing size and mtime before and after costs two stats, where hashing in the reading pass
    would have to thread a hash through every decompressor and reader."""
    yield from rows
    try:
        after = _signature(path)
    except InputError:
        after = []  # removed or replaced by something unreadable: changed too
    if after != before:
        raise InputError(f"{path}: changed while being read (written to during the audit); audit a copy nothing "
                         "writes to, or run when the writer has finished")


def rows_of(path: Path, counters: Counter) -> Iterator[Row]:
    """The input's rows, as `read_rows` gives them, without hashing the whole file first: a reader that stops
    after the first rows reads only those."""
    source = str(path)
    if _is_folder(path):
        return _dataset_folder_rows(source, path)
    compression = _compression(path)
    try:
        with _open_binary(path, compression) as handle:
            head = handle.read(4096)
    except InputError:
        raise
    except (OSError, EOFError, lzma.LZMAError) as exc:
        return _file_error(source, "(file)", f"cannot decompress {compression} file: {exc}")
    except Exception as exc:  # zstandard raises its own error type for a corrupt frame
        return _file_error(source, "(file)", f"cannot decompress {compression} file: {exc}")
    if not head.strip():
        return _file_error(source, "(file)", "file is empty: no records")
    if not compression and head.startswith(_ZIP_MAGIC):
        return _file_error(source, "(file)", "is a zip archive, which is not read (an .xlsx workbook is one too); unzip "
                                             "it and audit the file it holds (gzip, bz2, xz and zstd files are read "
                                             "as they are)")
    kind = _file_kind(_inner_suffix(path, compression), head)
    if kind in ("parquet", "arrow"):
        if compression and kind == "parquet":
            return _compressed_parquet_rows(source, path, compression)
        if compression:
            return _file_error(source, "(file)", f"a {compression}-compressed {kind} file is not read; decompress it first")
        return _parquet_rows(source, path) if kind == "parquet" else _arrow_file_rows(source, [path])
    reason = _not_utf8_reason(head)
    if reason:
        return _file_error(source, "(encoding)", reason)
    suffix = _inner_suffix(path, compression)
    if kind == "jsonl" and head.lstrip(b"\xef\xbb\xbf \t\r\n").split(b"\n", 1)[0].strip() == b"{":
        return _file_error(source, "(json)", _spread_message(path, compression))
    readers = {"jsonl": _jsonl_rows, "json_array": _json_array_rows,
               "csv": partial(_csv_rows, default="\t" if suffix in (".tsv", ".tab") else ",")}
    return _guarded(source, path, compression, readers[kind], counters)


_SPREAD_SCAN_BYTES = 64 * 1024 * 1024  # how much of a pretty-printed file is decoded to count its objects


def _spread_message(path: Path, compression: str | None) -> str:
    """What a file whose first line is a lone `{` holds: one object, or many objects each written over several
    lines (pretty-printed JSONL), counted over its first _SPREAD_SCAN_BYTES."""
    fix = "write one object per line (JSONL, e.g. `jq -c . FILE`) or a JSON array of records"
    try:
        with _open_binary(path, compression) as handle:
            data = handle.read(_SPREAD_SCAN_BYTES + 1)
        text = data[:_SPREAD_SCAN_BYTES].decode("utf-8-sig", errors="replace")
    except (OSError, EOFError, lzma.LZMAError):
        text = ""
    decoder = json.JSONDecoder()
    count, position, stopped = 0, _skip_space(text, 0), ""
    try:
        while position < len(text):
            _, position = decoder.raw_decode(text, position)
            count += 1
            position = _skip_space(text, position)
    except (json.JSONDecodeError, RecursionError) as exc:
        if len(data) > _SPREAD_SCAN_BYTES:
            stopped = f" in its first {_SPREAD_SCAN_BYTES // (1024 * 1024)} MB"
        else:
            stopped = f", then invalid JSON at line {text.count(chr(10), 0, getattr(exc, 'pos', position)) + 1}"
    if count <= 1 and not stopped:
        return f"the file is one JSON object spread over several lines, not one record per line; {fix}"
    if count == 0:
        return f"the file starts with a JSON object spread over several lines{stopped}, not one record per line; {fix}"
    within, then = (stopped, "") if stopped.startswith(" in") else ("", stopped)
    return (f"the file holds {count} JSON objects{within}, each spread over several lines (pretty-printed){then}; "
            f"not one record per line; {fix}")


def _guarded(source: str, path: Path, compression: str | None, reader, counters: Counter) -> Iterator[Row]:
    """Runs a text reader over the (decompressed) file; a stream that breaks mid-way ends with a file error."""
    try:
        with _open_binary(path, compression) as handle:
            yield from reader(source, handle, counters)
    except (OSError, EOFError, lzma.LZMAError) as exc:
        yield Row(0, None, RecordError(source, 0, "(file)", f"file ends early or is corrupt ({exc}); rows after the break were not read"))


# ---------------------------------------------------------------------------------------------------
# JSONL


def _jsonl_rows(source: str, handle: IO[bytes], counters: Counter) -> Iterator[Row]:
    strict = _Strict()
    number = 0
    while True:
        line_bytes = handle.readline(MAX_LINE_BYTES)
        if not line_bytes:
            return
        number += 1
        if number == 1 and line_bytes.startswith(b"\xef\xbb\xbf"):
            line_bytes = line_bytes[3:]
        if len(line_bytes) >= MAX_LINE_BYTES and not line_bytes.endswith(b"\n"):
            # A CR-only file is one LF line, over the limit once it is big: its fix is the CR-only one, not shorter
            # lines. The line's lone CRs are counted while it is skipped, piece by piece, never held whole.
            cr_only = _CR_BETWEEN_RECORDS_BYTES.search(line_bytes) is not None
            lone_crs, piece = 0, line_bytes
            while True:
                lone_crs += piece.count(b"\r") - piece.count(b"\r\n")
                if piece.endswith(b"\n") or not (rest := handle.readline(_READ_CHUNK)):
                    break
                lone_crs -= piece.endswith(b"\r") and rest.startswith(b"\n")  # a CR LF split between two pieces
                piece = rest
            if cr_only:
                yield Row(number, None, RecordError(source, number, "(json)", _cr_only_message(lone_crs)))
            else:
                yield Row(number, None, RecordError(source, number, "(line)", f"line is longer than "
                                                    f"{MAX_LINE_BYTES // (1024 * 1024)} MB; it was skipped"))
            continue
        if not line_bytes.strip():
            counters["blank"] += 1
            continue
        try:
            text = line_bytes.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield Row(number, None, RecordError(source, number, "(encoding)", f"line is not valid UTF-8 (byte {exc.start + 1})"))
            continue
        if text.startswith("\ufeff"):  # line 1's was taken off above: this one is where two files were joined
            yield Row(number, None, RecordError(source, number, "(json)", "invalid JSON: the line starts with a byte-order "
                                                "mark (U+FEFF), as where files that each start with one were joined "
                                                "(cat a.jsonl b.jsonl); remove it"))
            continue
        # Without its line break: a line cut inside a string would otherwise end in a raw newline, which the
        # decoder reports as an invalid control character instead of an unterminated string.
        text = text.rstrip("\r\n")
        row = strict.parse(source, number, text)
        if row.error is not None and _CR_BETWEEN_RECORDS.search(text):
            row = Row(number, None, RecordError(source, number, "(json)", _cr_only_message(text.count("\r"))))
        yield row


# A record ending and the next starting at a carriage return with no line feed: classic Mac (CR-only) line breaks.
# Lines stay counted by LF, as dedup and redact count them when they rewrite the file by line number.
_CR_BETWEEN_RECORDS = re.compile(r"[}\]][ \t]*\r+[ \t\r]*[{\[]")
_CR_BETWEEN_RECORDS_BYTES = re.compile(_CR_BETWEEN_RECORDS.pattern.encode())


def _cr_only_message(breaks: int) -> str:
    return (f"line breaks here are carriage returns alone ({breaks} CR without LF: classic Mac line endings), so the "
            "records read as one line; convert them to LF (tr '\\r' '\\n' < FILE > NEW.jsonl) and audit that")


# ---------------------------------------------------------------------------------------------------
# JSON array, streamed: elements are decoded one at a time from a growing buffer


# How near the buffer's end a decoded number, or a decode error, may mean the element was cut by the read
# block rather than read whole (or wrong): a cut `-Infinit` errs 8 characters before the end.
_CUT_MARGIN = 12
_DIGITS = "0123456789"


class ArrayElement(NamedTuple):
    number: int  # 1-based, in array order: how the loader, the audit's findings and the writers name it
    value: Any
    start: int  # character offsets of its text in the file's text (without a byte-order mark); its text is
    end: int    # not kept, so a large element is not held twice while the consumer works: see JsonArrayWalk.text_of


class JsonArrayError(Exception):
    """The array cannot be read on from here (not an array, a separator missing, an element too large or too
    deep, extra data after `]`): the elements before it were read, none after it."""


def _int_or_digits(digits: str) -> int | str:
    """An integer, or its digits where Python will not convert that many (the loader's own decoder names it as a
    record error): a walk that only places elements must not stop at one."""
    return _int(digits) if len(digits.lstrip("-")) <= MAX_INT_DIGITS else digits


def _int(digits: str) -> int:
    """int(digits) whatever limit the process set on converting digits (PYTHONINTMAXSTRDIGITS=640 made a 1,000-digit
    number an internal error): Decimal reads any count, and MAX_INT_DIGITS alone bounds what the loader takes."""
    return int(digits) if len(digits) <= 640 else int(Decimal(digits))


class JsonArrayWalk:
    """A JSON array's elements, streamed: decoded one at a time from a growing buffer. The one walker the
    loader, the writers (dedup and redact rewrite an array element by element, by the numbers the audit gave)
    and export detection use, so an element has the same number in all of them. A JSONDecodeError ends the
    walk at element `number`; `opened` (just after `[`) and `closing` (the `]`) are offsets once walked."""

    def __init__(self, read: Callable[[int], bytes], decoder: json.JSONDecoder | None = None):
        self._read = read
        self._decoder = decoder or json.JSONDecoder(parse_int=_int_or_digits)
        self._utf8 = codecs.getincrementaldecoder("utf-8-sig")()
        self._buffer = ""
        self._position = 0
        self._dropped = 0  # characters of the text before the buffer
        self._at_end = False
        self.number = 0  # the element being read, or the last one read
        self.opened: int | None = None
        self.closing: int | None = None

    def _fill(self, size: int) -> bool:
        if self._at_end:
            return False
        chunk = self._read(size)
        try:
            text = self._utf8.decode(chunk, final=not chunk)
        except UnicodeDecodeError as exc:
            raise JsonArrayError(f"file is not UTF-8 (invalid byte near byte {exc.start + 1} of a read block); "
                                 "re-export it as UTF-8") from None
        self._at_end = not chunk
        self._dropped += self._position
        self._buffer = self._buffer[self._position:] + text
        self._position = 0
        return True

    def _skip_space(self) -> str:
        while True:
            self._position = _skip_space(self._buffer, self._position)
            if self._position < len(self._buffer):
                return self._buffer[self._position]
            if not self._fill(_READ_CHUNK):
                return ""

    def _close(self) -> None:
        self.closing = self._dropped + self._position
        self._position += 1

    def unread_bytes(self) -> int:
        """Bytes of the text from where the walk stopped to the end of what it has read so far."""
        return len(self._buffer[self._position:].encode("utf-8", "surrogatepass"))

    def text_of(self, element: ArrayElement) -> str:
        """The text of the element just yielded, sliced on request: the walk reads on (and drops it) once resumed."""
        if element.number != self.number or element.start < self._dropped:
            raise ValueError(f"element {element.number}'s text is no longer held; ask for it before the walk goes on")
        return self._buffer[element.start - self._dropped:element.end - self._dropped]

    def __iter__(self) -> Iterator[ArrayElement]:
        if self._skip_space() != "[":
            raise JsonArrayError("expected a JSON array of records")
        self._position += 1
        self.opened = self._dropped + self._position
        if self._skip_space() == "]":
            self._close()
            return
        want = _READ_CHUNK
        while True:
            self.number += 1
            while True:
                try:
                    value, end = self._decoder.raw_decode(self._buffer, self._position)
                    # A number cut by the read block decodes short and leaves its rest unread: `1.` as 1 before
                    # `5`, `2e-` as 2 before `3`. So a number (the one value that ends in a digit) ending near the
                    # buffer's end is taken only once more text, or the end of the file, follows it; a string or
                    # an object cannot end early, and re-decoding a large one would double its cost.
                    if (self._at_end or self._buffer[end - 1] not in _DIGITS
                            or len(self._buffer) - end > _CUT_MARGIN):
                        break
                except json.JSONDecodeError as exc:
                    if self._at_end or not _maybe_cut(exc, self._buffer):
                        raise
                except RecursionError:
                    raise JsonArrayError(f"element {self.number} is nested too deeply to read; elements after it were not read") from None
                if len(self._buffer) - self._position > MAX_LINE_BYTES:
                    raise JsonArrayError(f"element {self.number} is larger than {MAX_LINE_BYTES // (1024 * 1024)} MB; "
                                         "it and the elements after it were not read")
                self._fill(want)
                want = min(want * 2, MAX_LINE_BYTES)  # a large element is re-scanned O(log n) times, not O(n)
            want = _READ_CHUNK
            start = self._dropped + self._position
            self._position = end
            yield ArrayElement(self.number, value, start, self._dropped + end)
            following = self._skip_space()
            if following == ",":
                self._position += 1
                self._skip_space()
                continue
            if following == "]":
                self._close()
                if self._skip_space():
                    raise JsonArrayError("extra data after the closing ]")
                return
            raise JsonArrayError(f"expected ',' or ']' after element {self.number}")


def _json_array_rows(source: str, handle: IO[bytes], counters: Counter) -> Iterator[Row]:
    strict = _Strict()
    read_bytes = [0]

    def read(size: int) -> bytes:
        chunk = handle.read(size)
        read_bytes[0] += len(chunk)
        return chunk

    walk = JsonArrayWalk(read, strict.decoder)
    try:
        for element in walk:
            yield strict._checked(source, element.number, element.value)
            strict.problems = []  # the next element's decoding notes its own
    except json.JSONDecodeError as exc:
        yield Row(walk.number, None, RecordError(source, walk.number, "(json)", f"invalid JSON in element {walk.number}: "
                                                 f"{json_message(exc)}; the elements after it were not read"))
        # The element's error alone counts as one malformed record among those read, as if they were the file.
        yield Row(0, None, RecordError(source, 0, "(json)", _unread_rest(walk, handle, read_bytes[0], walk.number)))
    except JsonArrayError as exc:  # already an error of the whole file, which says that the rest was not read
        yield Row(0, None, RecordError(source, 0, "(json)", str(exc)))


def _unread_rest(walk: JsonArrayWalk, handle: IO[bytes], read_bytes: int, first_unread: int) -> str:
    """What the break left unread, in bytes and as a share of the file: a record error names one element, and the
    count of elements read would otherwise pass for the size of the dataset."""
    unread = walk.unread_bytes()
    for chunk in iter(lambda: handle.read(_READ_CHUNK), b""):
        unread += len(chunk)
        read_bytes += len(chunk)
    share = unread / read_bytes if read_bytes else 0.0
    return (f"the array broke off at element {first_unread}: the rest of the file ({unread:,} of {read_bytes:,} bytes, "
            f"{share:.0%}) was not read, so the audit covers only the elements before it; "
            f"fix element {first_unread} and audit again")


def _maybe_cut(exc: json.JSONDecodeError, buffer: str) -> bool:
    """Whether a decode error may only mean the element runs past the buffer (read more and retry)."""
    return exc.msg.startswith("Unterminated string") or exc.pos >= len(buffer) - _CUT_MARGIN


# ---------------------------------------------------------------------------------------------------
# CSV / TSV


def _delimiter(header: str, suffix_default: str) -> str:
    """The header's delimiter: the extension's default unless the header has none of it and one other."""
    if suffix_default in header:
        return suffix_default
    others = [d for d in _DELIMITERS if d != suffix_default and d in header]
    return others[0] if len(others) == 1 else suffix_default


def _two_delimiters_hint(header_line: str, delimiter: str, first_lines: list[str]) -> str | None:
    """A header holding two delimiters outside quotes (`text;x,label`) is refused only when the rows say the
    guess is wrong: the first rows split on `delimiter` disagree with the header's width while they split on
    the other one agree with it. A column name may hold the other character (`notes; comments`,
    `sentiment (pos|neg)`), and such a file was always read on `delimiter`."""
    unquoted = re.sub(r'"[^"]*"', "", header_line.rstrip("\r\n"))
    others = [d for d in _DELIMITERS if d != delimiter and d in unquoted]
    if delimiter not in unquoted or not others:
        return None
    rows = [line for line in first_lines if line.strip()]
    if not rows:
        return None

    def agree(on: str, *, exactly: bool) -> bool:
        width = len(next(csv.reader([header_line], delimiter=on), []))
        widths = [len(values) for values in csv.reader(rows, delimiter=on)]
        return all(w == width for w in widths) if exactly else all(w <= width for w in widths) and any(w > 1 for w in widths)

    # On `delimiter` the reader takes a short row (its missing columns empty) and fails only a wider one, so a
    # short row agrees, as long as the character splits the rows at all (`row one;a` under `text;x,label` holds no
    # comma: the file is not comma-separated); the other delimiter must fit every row exactly to say the guess is wrong.
    if agree(delimiter, exactly=False):
        return None
    fitting = [d for d in others if agree(d, exactly=True)]
    if not fitting:
        return None
    held = sorted({_DELIMITERS[delimiter], *(_DELIMITERS[d] for d in others)})
    return (f"the header holds {', '.join(held[:-1])} and {held[-1]} characters, and the first rows split on "
            f"{_DELIMITERS[fitting[0]]}s fit it while on {_DELIMITERS[delimiter]}s they do not: which one separates "
            "the columns is a guess, so no row was read; re-export it with one delimiter")


# How many rows the two-delimiters check reads ahead; they are read again, in order, by the row reader.
_HINT_ROWS = 5


def _kept_lines(text: IO[str], of_row: list[str], ended: list[bool]) -> Iterator[str]:
    """The text's lines as the csv reader asks for them, kept in `of_row` for the row being read: a quote left
    open makes the reader take every line to the end of the file into one value, which only the lines tell
    apart from a value that holds line breaks. A generator, not a class: its step costs less per line.
    `ended` is set once the text is read to its end: only the last row can hold a quote left open."""
    for line in text:
        of_row.append(line)
        yield line
    ended.append(True)


# Said by the error of a row whose quote is never closed: the reading stopped there, so a writer that copies the
# file refuses it (the rest of the file is one value) rather than dropping that row as unreadable.
QUOTE_LEFT_OPEN = "is never closed: the rest of the file"


def stopped_at_open_quote(error: RecordError) -> bool:
    """Whether a row error is the unclosed quote that ended the reading of its file."""
    return error.field == "(csv)" and QUOTE_LEFT_OPEN in error.message


def quote_left_open(reached_the_end: bool, lines: list[str]) -> bool:
    """Whether a row, the file's last, ends inside a quoted value (the csv reader, lenient, took it to the end of the
    file as one value). The reader asks for a line past the end only while a record is unfinished, which is only
    inside a quoted field, so that is the test: a strict re-parse missed a row with an earlier stray quote
    ('"x"y,"open'), whose first strict error is another. The loader and the CSV writer ask it alike."""
    return reached_the_end and bool(lines)


# UTF-8 is decoded with surrogateescape, so a byte that is not UTF-8 stays in the row as U+DC80..U+DCFF (a valid
# UTF-8 text never decodes to a surrogate) and fails that row alone, as a JSONL line that is not UTF-8 does.
_UNDECODED = re.compile(r"[\udc80-\udcff]")


# Tested once on a row's joined text: most rows hold neither, and a per-cell scan doubled the cost of reading.
_NOT_TEXT = re.compile("[\udc80-\udcff\x00]")


def _row_problem(header: list[str], values: list[str]) -> tuple[str, str] | None:
    """(field, message) for a row whose bytes are not text: one that is not UTF-8, or holds a NUL byte (which a
    JSON string cannot hold raw either)."""
    for name, value in zip(header, values):
        undecoded = _UNDECODED.search(value)
        if undecoded:
            byte = ord(undecoded.group()) - 0xDC00
            return "(encoding)", (f"row is not valid UTF-8 (byte 0x{byte:02x} in column {quoted(name)}, character "
                                  f"{undecoded.start() + 1}); re-export the file as UTF-8")
        if "\x00" in value:
            return "(csv)", (f"row holds a NUL byte in column {quoted(name)} (character {value.index(chr(0)) + 1}); a "
                             "NUL is not text: re-export the file without it")
    return None


def allow_long_csv_cells() -> None:
    """Let the csv module read a cell as long as a line may be (MAX_LINE_BYTES): its own 131,072-character limit
    refused a long input the loader reads elsewhere. Process-wide, so every CSV reader (the loader, a Label Studio
    CSV export, redact's and dedup's rewrite, which may run in a process that never loaded a CSV) sets it before
    reading."""
    csv.field_size_limit(MAX_LINE_BYTES)


def _csv_rows(source: str, handle: IO[bytes], counters: Counter, default: str = ",") -> Iterator[Row]:
    text = io.TextIOWrapper(handle, encoding="utf-8-sig", errors="surrogateescape", newline="")
    allow_long_csv_cells()
    try:
        header_line = text.readline()
        if _UNDECODED.search(header_line):
            yield Row(0, None, RecordError(source, 0, "(encoding)", "the header is not valid UTF-8; re-export the file as "
                                                                    "UTF-8; no row was read"))
            return
        if "\x00" in header_line:
            yield Row(0, None, RecordError(source, 0, "(csv)", "the header holds a NUL byte; a NUL is not text: "
                                                               "re-export the file without it; no row was read"))
            return
        delimiter = _delimiter(header_line, default)
        # Excel and SQL clients pad names (`text ,label `): a space nobody sees must not make `text` missing.
        header = [name.strip() for name in next(csv.reader([header_line], delimiter=delimiter), [])]
        if not [h for h in header if h]:
            yield Row(0, None, RecordError(source, 0, "(csv)", "the first line is not a header of column names"))
            return
        first_lines = [line for line in (text.readline() for _ in range(_HINT_ROWS)) if line]
        hint = (_one_column_hint(header, delimiter) or _two_delimiters_hint(header_line, delimiter, first_lines)
                or _duplicate_column_hint(header))
        if hint:
            yield Row(0, None, RecordError(source, 0, "(csv)", hint))
            return
        number = 0
        of_row: list[str] = []
        ended: list[bool] = []
        lines = _kept_lines(itertools.chain(first_lines, text), of_row, ended)
        reader = csv.reader(lines, delimiter=delimiter)
        width = len(header)
        for values in reader:
            row_lines = of_row[:] if ended else None  # only the last row can hold a quote left open
            of_row.clear()
            if not values or (len(values) == 1 and not values[0].strip()):
                counters["blank"] += 1
                continue
            number += 1
            if quote_left_open(bool(ended), row_lines or []):
                first_line = reader.line_num - len(row_lines) + 2  # + the header, 1-based
                column = f" (column {quoted(header[len(values) - 1])})" if len(values) <= width else ""
                yield Row(number, None, RecordError(source, number, "(csv)", (
                    f"a quote opened in this row{column}, on line {first_line} of the file, {QUOTE_LEFT_OPEN} "
                    f"({len(row_lines)} line{'s' if len(row_lines) != 1 else ''}) was read as one value and "
                    "not audited; close the quote (or double it: \"\") and re-export")))
                return
            if len(values) > width:
                yield Row(number, None, RecordError(source, number, "(csv)", f"row has {len(values)} fields but the header has {width}"))
                continue
            if len(values) == width and _repeats_header(values, header):
                yield Row(number, None, RecordError(source, number, "(csv)", (
                    "row repeats the header, as where CSV files are joined with cat (each opening with its header); "
                    "it is not a record: remove it, or audit the files as they were")))
                continue
            if _NOT_TEXT.search("".join(values)):
                problem = _row_problem(header, values)
                if problem:
                    yield Row(number, None, RecordError(source, number, *problem))
                    continue
            if "" in values:
                yield Row(number, CsvRow(zip(header, values)))
            else:
                yield Row(number, dict(zip(header, values)))
        if number == 0:
            yield Row(0, None, RecordError(source, 0, "(file)", "file has a header but no records"))
    except csv.Error as exc:
        yield Row(0, None, RecordError(source, 0, "(csv)", f"cannot parse CSV: {exc}; rows after it were not read"))
    finally:
        text.detach()


class CsvRow(dict):
    """A CSV row with empty cells, which name them in `empty`: an empty cell is how CSV writes a null (pandas writes
    NaN so, and reads it back as NaN), so the record's format is told by the cells it fills, as a Parquet row's is by
    its non-null ones; the cells stay in the row as "" so that a field the format needs reads as empty."""

    empty: frozenset[str] = frozenset()

    def __init__(self, cells: Any):
        super().__init__(cells)
        self.empty = frozenset(name for name, value in self.items() if value == "")


def _repeats_header(values: list[str], header: list[str]) -> bool:
    """Whether a row holds the header's names (its first cell may carry the byte-order mark a joined file began with)."""
    return (values[-1].strip() == header[-1] and values[0].lstrip("\ufeff").strip() == header[0]
            and all(value.strip() == name for value, name in zip(values[1:], header[1:])))


def _duplicate_column_hint(header: list[str]) -> str | None:
    """A header naming one column twice: which of the two holds the field is a guess, so no row is read
    (a duplicate key in a JSON object is a record error for the same reason)."""
    seen: dict[str, int] = {}
    for position, name in enumerate(header, start=1):
        if not name.strip():
            continue  # unnamed columns are never asked for by name
        if name in seen:
            return (f"the header names column {quoted(name)} twice (columns {seen[name]} and {position}); which one holds "
                    f"{quoted(name)} is a guess, so no row was read; rename or drop one of them")
        seen[name] = position
    return None


def _one_column_hint(header: list[str], delimiter: str) -> str | None:
    if len(header) != 1:
        return None
    others = [name for d, name in _DELIMITERS.items() if d != delimiter and d in header[0]]
    if others:
        return (f"the header is one column {quoted(header[0])} that holds {' and '.join(others)} characters: the file looks "
                f"{others[0]}-separated; re-export it with {_DELIMITERS[delimiter]}s or as .tsv")
    return None


# ---------------------------------------------------------------------------------------------------
# Parquet, Arrow and Hugging Face `datasets` folders: record batches read as Python objects


class TableRow(dict):
    """A Parquet or Arrow row without its null cells, which read as a key a JSONL line leaves out (a table's
    columns are the union of every row's fields). `nulls` names them, so that a row left unreadable by a null
    can be named by that null, as the same null in JSONL is."""

    nulls: tuple[str, ...] = ()


def _batches_rows(source: str, batches: Iterator[Any]) -> Iterator[Row]:
    number = 0
    for batch in batches:
        for row in batch.to_pylist():  # lists of structs come back as lists of dicts
            number += 1
            data = TableRow((str(k), v) for k, v in row.items() if v is not None)
            data.nulls = tuple(str(k) for k, v in row.items() if v is None)
            yield Row(number, data)


def _compressed_parquet_rows(source: str, path: Path, compression: str) -> Iterator[Row]:
    """A compressed Parquet file's rows: Parquet is read from its footer back, so the stream is decompressed to a
    temporary file first (on disk, not in memory: the file may be larger than memory), which is removed after."""
    with tempfile.TemporaryFile(prefix="dataaudit-parquet-") as spool:
        try:
            with _open_binary(path, compression) as handle:
                for chunk in iter(lambda: handle.read(_READ_CHUNK), b""):
                    spool.write(chunk)
        except InputError:
            raise
        except Exception as exc:  # OSError, EOFError, LZMAError, zstandard's own: a truncated or corrupt stream
            yield Row(0, None, RecordError(source, 0, "(file)", f"cannot decompress {compression} file: {exc}"))
            return
        spool.seek(0)
        yield from _parquet_rows(source, spool)


def _parquet_rows(source: str, path: Path | IO[bytes]) -> Iterator[Row]:
    import pyarrow.parquet as pq

    try:
        batches = pq.ParquetFile(path).iter_batches(batch_size=1024)
        yield from _batches_rows(source, batches)
    except Exception as exc:  # pyarrow raises several unrelated types for a bad file
        yield Row(0, None, RecordError(source, 0, "(parquet)", f"cannot read Parquet: {exc}"))


def _arrow_files(folder: Path) -> list[Path]:
    state = folder / "state.json"
    if state.is_file():
        try:
            names = [entry["filename"] for entry in json.loads(state.read_text(encoding="utf-8"))["_data_files"]]
            return [folder / name for name in names]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise InputError(f"{folder}/state.json: not a readable datasets state file ({exc}); re-save the dataset") from exc
    if (folder / "dataset_dict.json").is_file():
        splits = sorted(p.name for p in folder.iterdir() if p.is_dir())
        raise InputError(f"{folder}: is a DatasetDict with splits {', '.join(splits) or '(none)'}; "
                         f"give one split's folder, e.g. {folder / (splits[0] if splits else 'train')}")
    arrow = sorted(folder.glob("*.arrow"))
    if not arrow:
        raise InputError(f"{folder}: is a directory, not a data file (nor a datasets save_to_disk folder)")
    return arrow


def _arrow_batches(mapped: Any) -> Iterator[Any]:
    import pyarrow as pa

    try:
        yield from pa.ipc.open_stream(mapped)  # what save_to_disk writes
    except pa.ArrowInvalid:
        mapped.seek(0)
        reader = pa.ipc.open_file(mapped)
        for i in range(reader.num_record_batches):
            yield reader.get_batch(i)


def _arrow_file_rows(source: str, files: list[Path]) -> Iterator[Row]:
    import pyarrow as pa

    read = 0
    for file in files:
        try:
            with pa.memory_map(str(file), "r") as mapped:
                in_file = 0
                for row in _batches_rows(source, _arrow_batches(mapped)):
                    in_file = row.line
                    yield Row(read + in_file, row.data)
            read += in_file
        except Exception as exc:  # pyarrow raises several unrelated types for a bad file
            yield Row(0, None, RecordError(source, 0, "(arrow)", f"cannot read {file.name}: {exc}"))
            return


def _dataset_folder_rows(source: str, folder: Path) -> Iterator[Row]:
    return _arrow_file_rows(source, _arrow_files(folder))


# ---------------------------------------------------------------------------------------------------
# URIs: files on an object store or any other pyarrow filesystem (s3://, gs://, abfs://, hdfs://, file://)

_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]+://")


def is_uri(location: object) -> bool:
    """Whether `location` names a file by URI (a scheme of two or more letters: `C:\\` stays a path)."""
    return isinstance(location, str) and _URI.match(location) is not None


def folder_name(location: str | Path, *, is_folder: bool = False) -> str:
    """The name of the folder a file lies in (is_folder: of the folder itself), as a dataset's default name.
    A local path is made absolute first: `part1.jsonl` or `./*.jsonl` lie in the current folder, whose name
    it is ("" gave the first file's name, so one folder's batches were recorded under a name of their own
    each night). "" only for the root."""
    if is_uri(str(location)):
        return Path(str(location)).name if is_folder else Path(str(location)).parent.name
    absolute = Path(os.path.abspath(location))
    return absolute.name if is_folder else absolute.parent.name


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]


def uri_filesystem(uri: str) -> tuple[Any, str]:
    """(pyarrow filesystem, path on it) for a URI; InputError naming the URI when pyarrow cannot serve it
    (unknown scheme, malformed URI, a filesystem whose library is missing, credentials refused)."""
    import pyarrow.fs

    try:
        return pyarrow.fs.FileSystem.from_uri(uri)
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError, ... for the same cause
        raise InputError(f"{uri}: cannot open this URI ({_one_line(exc)}); give a local path or an s3://, gs://, "
                         "abfs:// or file:// URI that pyarrow can read") from None


def open_uri(uri: str) -> IO[bytes]:
    """A binary stream over the raw bytes of the file a URI names, read through its pyarrow filesystem."""
    filesystem, path = uri_filesystem(uri)
    try:
        # pyarrow would decompress by suffix ("detect"): the loader decompresses, so a truncated .gz is an
        # error of that file, the sha256 is of the bytes stored, and .zst reads only where zstandard does locally
        return filesystem.open_input_stream(path, compression=None)
    except FileNotFoundError:
        raise InputError(f"{uri}: {NO_SUCH_FILE}") from None
    except Exception as exc:  # a missing bucket, refused credentials, a directory: one line, no traceback
        raise InputError(f"{uri}: cannot read ({_one_line(exc)})") from None
