"""Writing a dataset back in the input file's own format, row by row, for the commands that fix a copy.

`rewrite(source, target, edit)` reads the input in its format (JSONL, a JSON array, CSV, TSV, Parquet; the
text formats may be gzip-compressed), calls `edit(number, row)` for every data row, numbered as the loader
numbers them (JSONL: the physical line; a JSON array: the element; CSV/TSV and Parquet: the data row), and
writes the rows it keeps to the target in the same format, decided as the loader decides it (a `.json` file
that starts with `[` is an array, one that starts with `{` is JSONL; a CSV's delimiter is read from its header). A row `edit` returns unchanged (the same object) is written byte for byte as it was in
the input (text formats); `DROP` removes it; another value replaces it. The input is only ever read.
"""

from __future__ import annotations

import os

import csv
import gzip
import io
import json
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Callable, Iterator

from ..errors import InputError
from ..io import WriteError, refuse_special_file, write_atomic
from ..load.files import (_MAGIC, MAX_LINE_BYTES, JsonArrayError, allow_long_csv_cells, JsonArrayWalk, _delimiter, _file_kind, _inner_suffix,
                          _open_error, is_uri, quote_left_open)

DROP = object()  # returned by an edit: leave the row out
LONG_LINE = object()  # the row an edit is given for a JSONL line over the loader's MAX_LINE_BYTES: return DROP or fail
_SKIP_CHUNK = 1 << 20  # the rest of such a line is read past in pieces this size
BOM = "\ufeff"

_KINDS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".csv": "csv", ".tsv": "tsv", ".tab": "tsv",
          ".parquet": "parquet", ".pq": "parquet"}
_HEAD_BYTES = 4096  # what the loader reads to tell a file's kind


@dataclass(frozen=True)
class FileFormat:
    kind: str  # jsonl | json (an array of records) | csv | tsv | parquet
    gzip: bool = False

    @property
    def label(self) -> str:
        return ("JSON array" if self.kind == "json" else self.kind.upper()) + (" (gzip)" if self.gzip else "")

    def named_by(self, promised: "FileFormat") -> bool:
        """Whether a file name promising `promised` fits this format: a `.json` name is the loader's for an array
        and for one object per line alike."""
        if promised.kind == "json" and self.kind == "jsonl":
            return promised.gzip == self.gzip
        return promised == self


@dataclass(frozen=True)
class RewriteStats:
    rows: int  # data rows read
    kept: int
    changed: int  # kept rows written with new content


def format_of_name(path: Path) -> FileFormat | None:
    """The format a file name promises, or None when its suffix names none."""
    suffixes = [s.lower() for s in path.suffixes]
    compressed = bool(suffixes) and suffixes[-1] == ".gz"
    if compressed:
        suffixes = suffixes[:-1]
    kind = _KINDS.get(suffixes[-1]) if suffixes else None
    if kind is None:
        return None
    if compressed and kind == "parquet":
        return None  # Parquet compresses inside the file; a .parquet.gz is not something pandas reads
    return FileFormat(kind, compressed)


def file_format(path: Path, head: bytes) -> FileFormat:
    """The format of an existing file, decided as the loader decides it (its content decides compression and,
    where the name leaves it open, JSONL or JSON array or CSV). head: the file's first bytes."""
    compressed = head[:2] == b"\x1f\x8b"
    other = next((name for magic, name in _MAGIC.items() if name != "gzip" and head.startswith(magic)), None)
    if other:
        raise InputError(f"{path}: is {other}-compressed; a copy is written uncompressed or as gzip only, so decompress "
                         "it first (or recompress it with gzip)")
    if compressed:
        try:
            head = zlib.decompressobj(wbits=31).decompress(head, _HEAD_BYTES)
        except zlib.error as exc:
            raise InputError(f"{path}: cannot decompress gzip ({exc}); the file is damaged or truncated") from exc
    kind = _file_kind(_inner_suffix(path, "gzip" if compressed else None), head)
    if kind == "parquet":
        if compressed:
            raise InputError(f"{path}: a gzip-compressed Parquet file is not read; decompress it first")
        return FileFormat("parquet")
    if kind == "json_array":
        return FileFormat("json", compressed)
    if kind == "csv":
        named = format_of_name(path)
        return FileFormat("tsv" if named is not None and named.kind == "tsv" else "csv", compressed)
    if kind != "jsonl":
        raise InputError(f"{path}: a {kind} file is read by the audit but not rewritten; convert it to JSONL or Parquet first")
    return FileFormat("jsonl", compressed)


def local_paths(input_path: str | Path, out_path: str | Path) -> tuple[Path, Path]:
    """The input and output as local paths: a rewrite reads and writes files on this machine (audit reads
    URIs; a copy rewritten in place of an object would need a second, riskier contract)."""
    if is_uri(input_path):
        raise InputError(f"{input_path}: the input must be a local file (audit reads URIs, a rewrite does not); copy "
                         "it to this machine first, for example with `aws s3 cp` or `gcloud storage cp`")
    if is_uri(out_path):
        raise InputError(f"{out_path}: the output must be a local file; write it here and copy it up afterwards")
    return Path(input_path), Path(out_path)


def copy_target(input_path: str | Path, out_path: str | Path) -> str:
    """Where the copy of one file goes: out itself, or the input's name inside out where out names a folder (it
    exists as one, or ends with a slash: `--out clean/` wrote a file called clean)."""
    out = str(out_path)
    if out.endswith(("/", os.sep)) or Path(out).is_dir():
        return str(Path(out) / Path(str(input_path)).name)
    return out


def sidecar_path(target: Path, suffix: str) -> Path:
    """The list written beside a copy: its name plus the suffix (clean.jsonl -> clean.jsonl.dropped.jsonl)."""
    return target.with_name(target.name + suffix)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and a.samefile(b))
    except OSError:
        return False


def check_target(source: Path, target: Path, *, sidecar: str | None = None, inputs: tuple[Path, ...] | list[Path] = ()) -> FileFormat:
    """The input's format, after refusing an output that would overwrite the input, is a folder, or names
    another format. sidecar: the suffix of the list written beside the copy, which must not overwrite an input
    either; inputs: the other inputs read with this one (a multi-file dedup)."""
    if target.is_dir():
        raise InputError(f"{target}: is a directory; --out must name the file to write")
    _refuse_place_under_a_file(target)
    refuse_special_file(target)  # here, before the audit a dedup runs, not when the copy is written
    if sidecar:
        listed = sidecar_path(target, sidecar)
        if listed.is_dir():  # found now, not after an audit that may take minutes and a copy written without its list
            raise WriteError(f"{listed}: the list written beside the output is a folder; remove it or choose another --out path")
        refuse_special_file(listed)
    read = [source, *[Path(p) for p in inputs]]
    for written, what in [(target, "the output"), *([(sidecar_path(target, sidecar), "the list written beside the output")] if sidecar else [])]:
        hit = next((p for p in read if written.exists() and _same_file(written, p)), None)
        if hit is not None:
            raise InputError(f"{written}: {what} would overwrite the input {hit}; choose another --out path")
    try:  # the loader's wording, so a missing or unreadable input says the same
        with open(source, "rb") as handle:
            head = handle.read(_HEAD_BYTES)
    except OSError as exc:
        raise _open_error(Path(source), exc) from exc
    fmt = file_format(source, head)
    promised = format_of_name(target)
    if promised is not None and not fmt.named_by(promised):
        raise InputError(f"{target}: the output is written as {fmt.label} like its input {source.name}; "
                         f"give it a name that says so (for example {_suggest(target, fmt)})")
    return fmt


def _refuse_place_under_a_file(target: Path) -> None:
    """A copy below a file (`--out notes.txt/clean.jsonl`) is refused naming that file, before the audit: the
    folder made for it at write time would fail with mkdir's bare "File exists", about a path that does not exist."""
    for parent in target.parents:
        if parent.exists():  # the nearest that does: the folders below it are made when the copy is written
            if not parent.is_dir():
                what = "a file" if parent.is_file() else "not a regular file (a device, FIFO or socket)"
                raise WriteError(f"{target}: cannot be written: {parent} is {what}, not a folder; name a place you can write to")
            return


def _suggest(target: Path, fmt: FileFormat) -> str:
    stem = target.name.split(".")[0] or "clean"
    return stem + {"jsonl": ".jsonl", "json": ".json", "csv": ".csv", "tsv": ".tsv", "parquet": ".parquet"}[fmt.kind] + (".gz" if fmt.gzip else "")


def open_plain(path: Path, fmt: FileFormat) -> IO[bytes]:
    """The file opened for reading, decompressed as it is read when it is gzip (a damaged one raises OSError or
    EOFError as it is read: gzip_error says so)."""
    return gzip.open(path, "rb") if fmt.gzip else open(path, "rb")


def gzip_error(path: Path, exc: Exception) -> InputError:
    return InputError(f"{path}: cannot decompress gzip ({exc}); the file is damaged or truncated")


def read_plain(path: Path, fmt: FileFormat) -> bytes:
    """The file's bytes, decompressed when it is gzip."""
    raw = path.read_bytes()
    if not fmt.gzip:
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError) as exc:
        raise gzip_error(path, exc) from exc


def rewrite(source: str | Path, target: str | Path, edit: Callable[[int, Any], Any], *, newline_at_end: bool = False) -> RewriteStats:
    """The copy (`rewritten`) written to target."""
    payload, stats = rewritten(source, target, edit, newline_at_end=newline_at_end)
    write_atomic(Path(target), payload)
    return stats


def rewritten(source: str | Path, target: str | Path, edit: Callable[[int, Any], Any], *, newline_at_end: bool = False) -> tuple[bytes, RewriteStats]:
    """The bytes of the copy that target is to hold (gzip-compressed where the input is), not yet written, so
    that a command writes it together with its list (io.write_atomic_set): a list that cannot be written then
    leaves no copy without one. edit(number, row) -> DROP | row (unchanged) | new row, where a row is the line
    text (str) for JSONL, a {column: text} dict for CSV/TSV and a {column: value} dict for Parquet. Blank lines
    are no rows and are kept where they were, so the input is the copy plus the rows left out, line for line. A
    JSONL line over the loader's MAX_LINE_BYTES, which the audit skips, is never read whole: its row is LONG_LINE,
    and an edit that does not DROP it stops the copy (InputError). newline_at_end: a JSONL copy's last line ends with the file's newline even where the input's did not (a copy
    that drops rows: its last line may be one that had its newline, and a CRLF file would end in a bare CR)."""
    source, target = Path(source), Path(target)
    fmt = check_target(source, target)
    if fmt.kind == "parquet":
        return _rewrite_parquet(source, edit)
    if fmt.kind == "jsonl":  # streamed, so a line over the loader's limit is never held whole
        try:
            with open_plain(source, fmt) as handle:
                payload, stats = _rewrite_jsonl(handle, edit, newline_at_end, source)
        except OSError as exc:
            raise (gzip_error(source, exc) if fmt.gzip else _open_error(source, exc)) from exc
        except EOFError as exc:
            raise gzip_error(source, exc) from exc
        return (gzip.compress(payload, mtime=0) if fmt.gzip else payload), stats
    data = read_plain(source, fmt)
    if fmt.kind == "json":
        payload, stats = _rewrite_json_array(data, edit, source)
    else:
        payload, stats = _rewrite_csv(data, "\t" if fmt.kind == "tsv" else ",", edit, source)
    return (gzip.compress(payload, mtime=0) if fmt.gzip else payload), stats


def jsonl_lines(handle: IO[bytes]) -> Iterator[bytes | None]:
    """The file split on newlines as bytes.split(b"\\n") splits it (the last is b"" when the file ends with a newline),
    read as the loader reads it (files._jsonl_rows): a line of MAX_LINE_BYTES or more is None, its rest read past
    piece by piece, never held whole."""
    for line in _split_lines(handle):
        yield None if isinstance(line, _LongLine) else line


@dataclass(frozen=True)
class _LongLine:
    """A line of MAX_LINE_BYTES or more, read past unread. Its ending is kept: it may be the last line that had
    one, whose CRLF a copy gives the line after it where that line had none."""
    crlf: bool


def _split_lines(handle: IO[bytes]) -> Iterator[bytes | _LongLine]:
    """jsonl_lines, with a long line as a _LongLine."""
    while True:
        line = handle.readline(MAX_LINE_BYTES)
        if len(line) >= MAX_LINE_BYTES and not line.endswith(b"\n"):
            tail = line[-2:]  # across pieces: the \r may end one and the \n start the next
            while line and not line.endswith(b"\n"):
                line = handle.readline(_SKIP_CHUNK)
                tail = (tail + line)[-2:]
            yield _LongLine(crlf=tail == b"\r\n")
            if not line:
                return  # the long line was the last, without a newline
            continue
        if not line.endswith(b"\n"):
            yield line
            return
        yield line[:-1]


def _rewrite_jsonl(handle: IO[bytes], edit: Callable[[int, Any], Any], newline_at_end: bool, source: Path) -> tuple[bytes, RewriteStats]:
    lines = list(_split_lines(handle))
    bom = bool(lines) and isinstance(lines[0], bytes) and lines[0].startswith(b"\xef\xbb\xbf")
    if bom:
        lines[0] = lines[0][3:]
    ends_with_newline = lines[-1] == b""
    if ends_with_newline:
        lines.pop()
    out: list[bytes] = []
    rows = kept = changed = 0
    for number, line in enumerate(lines, start=1):
        if isinstance(line, _LongLine):
            rows += 1
            # The audit skipped it with an error at this line; a copy may leave it out (dedup drops the lines
            # the audit could not read), never pass it on unread (redact could not scan it).
            if edit(number, LONG_LINE) is not DROP:
                raise InputError(f"{source}, line {number}: line is longer than {MAX_LINE_BYTES // (1024 * 1024)} MB, which the "
                                 "audit skips unread, so it cannot be copied; no copy was written; split or remove it")
            continue
        if not line.strip():
            out.append(line)
            continue
        rows += 1
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            text = None  # not UTF-8: the edit sees the bytes and may only keep or drop them
        result = edit(number, text if text is not None else line)
        if result is DROP:
            continue
        kept += 1
        if result is text or result is line:
            out.append(line)
        else:
            changed += 1
            out.append(result.encode("utf-8") if isinstance(result, str) else result)
    # A last line that had no newline gets the file's own ending, CRLF where its lines carry one (a lone LF
    # after CRLF lines is a mixed file); a line that kept its \r needs only the \n. The ending is read from the
    # last line that had one, nearest the line it is added to: a first line may be a blank LF line before CRLF rows.
    # That line may be one over the limit, left out unread: its ending was kept as it was read past.
    # Where the file ended with a newline, every kept line had its own (its \r, if any, kept in it): only "\n".
    terminated = lines[:-1]
    last_ended = terminated[-1] if terminated else None
    crlf = not ends_with_newline and (last_ended.crlf if isinstance(last_ended, _LongLine)
                                      else last_ended is not None and last_ended.endswith(b"\r"))
    ending = b"\r\n" if crlf and out and not out[-1].endswith(b"\r") else b"\n"
    payload = b"\n".join(out) + (ending if out and (ends_with_newline or newline_at_end) else b"")
    return (b"\xef\xbb\xbf" if bom else b"") + payload, RewriteStats(rows, kept, changed)


def _array_elements(data: bytes, source: Path) -> tuple[int, list[tuple[int, int]], int]:
    """(index just after `[`, each element's (start, end) in the text, index of the closing `]`), walked by
    the loader's own walker (files.JsonArrayWalk), so element n here is the audit's element n. Decoded
    leniently (duplicate keys, NaN): the loader numbered such an element and reported it, so it is kept or
    dropped by its number like any other. An array the loader could not read to its end has no element
    numbers past the break, so no copy is written."""
    def broken(why: str) -> InputError:
        return InputError(f"{source}: {why}; the loader stops there, so no copy was written; fix the file first")

    walk = JsonArrayWalk(io.BytesIO(data).read)
    try:
        spans = [(element.start, element.end) for element in walk]
    except json.JSONDecodeError as exc:
        raise broken(f"invalid JSON in element {walk.number} ({exc.__class__.__name__})") from exc
    except JsonArrayError as exc:
        raise broken(str(exc)) from None
    return walk.opened, spans, walk.closing


def _rewrite_json_array(data: bytes, edit: Callable[[int, Any], Any], source: Path) -> tuple[bytes, RewriteStats]:
    """The array with its layout kept (pretty-printed or on one line): a kept element is written as it was,
    with the separator that came before it in the input, and `[`, the space after it and the space before `]`
    stay as they were."""
    bom = data.startswith(b"\xef\xbb\xbf")
    try:
        text = data[3 if bom else 0:].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{source}: file is not UTF-8 (invalid byte at offset {exc.start}); re-export it as UTF-8") from exc
    opened, spans, closing = _array_elements(data, source)
    pieces = [text[:opened]]
    kept = changed = 0
    previous_end = opened
    for number, (start, end) in enumerate(spans, start=1):
        element = text[start:end]
        result = edit(number, element)
        gap = text[previous_end:start]
        previous_end = end
        if result is DROP:
            continue
        if kept == 0:
            gap = text[opened:spans[0][0]]  # the first element written follows `[` as the input's first did
        kept += 1
        if result is not element:
            changed += 1
            element = result
        pieces += [gap, element]
    pieces.append(text[spans[-1][1]:closing] if kept else "")
    pieces.append(text[closing:])
    return (b"\xef\xbb\xbf" if bom else b"") + "".join(pieces).encode("utf-8"), RewriteStats(len(spans), kept, changed)


class _LineTap:
    """Hands lines to csv.reader and remembers them, so each parsed row's original text is known."""

    def __init__(self, text: str):
        self.lines = io.StringIO(text, newline="")
        self.taken: list[str] = []
        self.ended = False  # the text is read to its end: the row just read is the last

    def __iter__(self):
        return self

    def __next__(self) -> str:
        line = self.lines.readline()
        if not line:
            self.ended = True
            raise StopIteration
        self.taken.append(line)
        return line

    def take(self) -> str:
        text = "".join(self.taken)
        self.taken.clear()
        return text


def _rewrite_csv(data: bytes, sep: str, edit: Callable[[int, Any], Any], source: Path) -> tuple[bytes, RewriteStats]:
    # Bytes that are not UTF-8 stay in their row as U+DC80..U+DCFF (surrogateescape), as the loader reads them: that
    # row alone is unreadable (dedup drops it with the others the audit could not read; redact refuses it, since it
    # cannot be scanned), and a row kept as it was is written back byte for byte.
    text = data.decode("utf-8", errors="surrogateescape")
    bom = text.startswith(BOM)
    body = text[1:] if bom else text
    sep = _delimiter(io.StringIO(body, newline="").readline(), sep)  # the loader reads `a;b` headers as `;`-separated
    tap = _LineTap(body)
    allow_long_csv_cells()  # a redact process never loads a CSV, so the loader's setting may not be made yet
    reader = csv.reader(tap, delimiter=sep)
    out: list[str] = []
    header: list[str] | None = None
    rows = kept = changed = 0
    try:
        for values in reader:
            raw = tap.take()
            if quote_left_open(tap.ended, raw.splitlines(keepends=True)):
                # csv.writer would close the quote, and the rest of the file would pass for one value of this row
                raise InputError(f"{source}: row {rows + 1}: a quote opened in this row is never closed, so the rest of "
                                 "the file reads as one value; no copy was written; close the quote (or double it: "
                                 "\"\") and re-export")
            if not values or (len(values) == 1 and not values[0].strip()):  # blank: the loader gives it no row number
                out.append(raw)
                continue
            if header is None:
                header = values
                out.append(raw)
                continue
            rows += 1
            row = dict(zip(header, values + [""] * (len(header) - len(values))))
            result = edit(rows, row)
            if result is DROP:
                continue
            kept += 1
            if result is row:
                out.append(raw)
                continue
            changed += 1
            buffer = io.StringIO()
            ending = "\r\n" if raw.endswith("\r\n") else "\n" if raw.endswith(("\n", "\r")) else ""
            csv.writer(buffer, delimiter=sep, lineterminator=ending).writerow([result.get(column, "") for column in header])
            out.append(buffer.getvalue())
    except csv.Error as exc:
        raise InputError(f"{source}: cannot read data row {rows + 1} (line {reader.line_num} of the file): {exc}; the "
                         "audit stops reading there too, so no copy was written; fix that row and re-export the file") from exc
    # A kept row that was the file's last line (no newline) may now sit before another row: give it one.
    for i in range(len(out) - 1):
        if not out[i].endswith(("\n", "\r")):
            out[i] += "\r\n" if out[i + 1].endswith("\r\n") else "\n"
    return ((BOM if bom else "") + "".join(out)).encode("utf-8", errors="surrogateescape"), RewriteStats(rows, kept, changed)


def _rewrite_parquet(source: Path, edit: Callable[[int, Any], Any]) -> tuple[bytes, RewriteStats]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(source)
    except Exception as exc:  # pyarrow raises several unrelated types for a bad file
        raise InputError(f"{source}: cannot read Parquet: {exc}") from exc
    original = table.to_pylist()
    kept_rows: list[dict] = []
    keep_mask: list[bool] = []
    changed = 0
    for number, row in enumerate(original, start=1):
        result = edit(number, row)
        keep_mask.append(result is not DROP)
        if result is DROP:
            continue
        if result is not row:
            changed += 1
        kept_rows.append(result)
    # Unchanged rows keep their exact Arrow values (filter); edited ones are rebuilt under the same schema.
    out = pa.Table.from_pylist(kept_rows, schema=table.schema) if changed else table.filter(pa.array(keep_mask, type=pa.bool_()))
    buffer = pa.BufferOutputStream()
    pq.write_table(out, buffer, compression=_compression(source))
    return buffer.getvalue().to_pybytes(), RewriteStats(len(original), len(kept_rows), changed)


def _compression(source: Path) -> str:
    import pyarrow.parquet as pq

    metadata = pq.ParquetFile(source).metadata
    if metadata.num_row_groups and metadata.num_columns:
        name = metadata.row_group(0).column(0).compression.lower()
        return {"uncompressed": "none", "lz4_raw": "lz4"}.get(name, name)
    return "snappy"
