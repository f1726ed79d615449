"""The rows the loader kept as format errors, read again as `dataaudit redact` reads them.

A row the loader could not use (invalid JSON, an unknown chat role, a trailing comma) is no record, but its
text is still in the file that is uploaded or shared, and `redact` scans and rewrites it: a parsed row is
walked as a record's source is (`scan.walk`), an unparsable line is scanned as raw text (field `(line)`).
The `pii` check reads these rows here so that it counts what `redact` replaces, malformed rows included.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Iterator

from ..errors import InputError
from ..fix.writers import file_format, jsonl_lines, open_plain, read_plain
from ..load.files import JsonArrayError, JsonArrayWalk, is_uri
from .pii import PiiFinding, ScanOptions, scan_text
from .walk import findings_in, without_duplicate_keys

_HEAD_BYTES = 8192


def malformed_row_findings(source: str, lines: set[int], options: ScanOptions
                           ) -> Iterator[tuple[int, str, PiiFinding]]:
    """(line, field, finding) for each value in the rows `lines` of the file `source`, in line order.

    JSONL and JSON-array files only, local ones only: a CSV or Parquet row the loader refused is a row of
    cells it has already read as text, and a URI is not read twice; nothing is yielded for those."""
    if not lines or is_uri(source):
        return
    path = Path(source)
    try:
        with open(path, "rb") as handle:
            head = handle.read(_HEAD_BYTES)
        fmt = file_format(path, head)
        if fmt.kind == "jsonl":
            with open_plain(path, fmt) as handle:
                yield from _jsonl_findings(handle, lines, options)
        elif fmt.kind == "json":
            yield from _array_findings(read_plain(path, fmt), lines, options)
    except (OSError, EOFError, InputError):  # the loader has already reported a file it cannot read
        return


def _jsonl_findings(handle, lines: set[int], options: ScanOptions) -> Iterator[tuple[int, str, PiiFinding]]:
    # Numbered as the redact rewrite numbers them (writers.jsonl_lines: split on LF, the byte-order mark taken off line
    # 1), streamed: a file is not held whole for one bad row, and a line the loader skips unread (MAX_LINE_BYTES)
    # is not read here either.
    memo: dict = {}
    last = max(lines)
    for number, line in enumerate(jsonl_lines(handle), 1):
        if number > last:
            return
        if number not in lines or line is None:
            continue
        try:
            text = (line[3:] if number == 1 and line.startswith(b"\xef\xbb\xbf") else line).decode("utf-8").rstrip("\r")
        except UnicodeDecodeError:
            continue  # redact refuses such a line whole; the format check already names it
        try:
            value = json.loads(text, object_pairs_hook=without_duplicate_keys)
        except (ValueError, RecursionError):  # malformed, an integer past int's digit limit, or a key written twice
            yield from ((number, "(line)", finding) for finding in scan_text(text, options))
            continue
        yield from ((number, walked.field, finding)
                    for walked, findings in findings_in(value, options, memo) for finding in findings)


def _array_findings(data: bytes, lines: set[int], options: ScanOptions) -> Iterator[tuple[int, str, PiiFinding]]:
    memo: dict = {}
    walk = JsonArrayWalk(io.BytesIO(data).read)
    try:
        for element in walk:
            if element.number in lines:
                text = data[element.start:element.end].decode("utf-8", "replace")
                try:  # the walk keeps a key written twice once, as json.loads does: the first value, never walked, is read raw
                    json.loads(text, object_pairs_hook=without_duplicate_keys)
                except (ValueError, RecursionError):
                    yield from ((element.number, "(line)", finding) for finding in scan_text(text, options))
                    continue
                yield from ((element.number, walked.field, finding)
                            for walked, findings in findings_in(element.value, options, memo) for finding in findings)
    except (json.JSONDecodeError, JsonArrayError):
        return  # the elements past a break have no numbers; redact writes no copy of such a file either
