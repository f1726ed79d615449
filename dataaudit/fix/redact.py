"""`dataaudit redact`: a copy of a dataset with every personal-data value and credential replaced by a placeholder.

Every string in every row is scanned (`dataaudit.scan.pii`, the same detectors as the `pii` check), structure
untouched: `jane@example.com` becomes `<EMAIL>`, a card number `<CREDIT_CARD>`, an API key `<SECRET>`. The keys
of JSON objects are scanned too (a field or message key can hold an address); two keys that would become the
same are kept apart with a number (`<EMAIL>`, `<EMAIL> (2)`), so no value is dropped. CSV and Parquet column
names are the file's schema and stay (the list names them masked). The copy keeps every line and the input's format; a JSONL line without findings is written
byte for byte, and one with findings changes only the values (strings, or numbers) that held them. A sidecar lists each
replacement by line and field, masked (a JSON array's line is its element, as the audit numbers it). A line that is
not JSON, or writes a key twice in one object (json.loads keeps the last value only), is redacted as text, field `(line)`. The input is never written. A line that is not UTF-8 text stops the
copy (an InputError): it cannot be scanned, and passing it on unread would hand over personal data.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from json.decoder import scanstring
from json.scanner import NUMBER_RE
from typing import Any, Iterable, Iterator

from ..config import Config
from ..errors import InputError
from ..io import write_atomic_set
from ..scan.pii import KINDS, PiiFinding, ScanOptions, redact_text, replace_findings, scan_text
from ..scan.walk import distinct_names, findings_in, redacted, without_duplicate_keys
from ..load.files import MAX_LINE_BYTES
from .writers import LONG_LINE, check_target, local_paths, rewritten, sidecar_path

SIDECAR = ".redacted.jsonl"  # the list of replacements, named after the copy


@dataclass
class RedactSummary:
    rows: int  # data rows read (all written)
    changed: int  # rows with at least one replacement
    replaced: int  # values replaced
    by_kind: dict[str, int]
    sidecar: Path  # one JSON line per replacement: file, line, field, kind, detail, masked


class _Redactor:
    def __init__(self, source: Path, options: ScanOptions, *, numbers: bool, keys: bool = False):
        self.source = source
        self.numbers = numbers  # JSON numbers may become placeholder strings; typed Parquet columns may not
        self.keys = keys  # JSON object keys are scanned too; a CSV or Parquet row's keys are its column names
        self.options = options
        self.log: list[dict] = []
        self.by_kind: Counter = Counter()
        self._names: dict[Any, str] = {}  # column name -> as the list shows it

    def _note(self, line: int, field: str, findings: Iterable[PiiFinding]) -> None:
        for f in findings:
            self.by_kind[f.kind] += 1
            self.log.append({"file": str(self.source), "line": line, "field": field, "kind": f.kind, "detail": f.detail, "masked": f.masked})

    def value(self, value: Any, line: int) -> Any:
        """The value with every finding replaced (scan.walk reads it as the pii check does); the same object
        when nothing was found."""
        copy, notes = self._redacted(value)
        for field, findings in notes:
            self._note(line, field, findings)
        return copy

    def _redacted(self, value: Any) -> tuple[Any, list[tuple[str, tuple[PiiFinding, ...]]]]:
        """(value redacted, (field, findings) of each text that held some), nothing noted yet."""
        new_values: dict[tuple, str] = {}
        new_keys: dict[tuple, str] = {}
        notes = []
        # A row's memo only: a key is read to name the values under it and again as a text of its own.
        listed = None if self.keys else (lambda mapping: {k: self._listed_name(k) for k in mapping})
        walk = findings_in(value, self.options, {}, numbers=self.numbers, keys=self.keys, key_names=listed)
        for walked, findings in walk:
            if findings:
                notes.append((walked.field, findings))
                (new_keys if walked.is_key else new_values)[walked.place] = redacted(walked.text, findings)
        return (_rebuilt(value, new_values, new_keys) if new_values or new_keys else value), notes

    def _listed_name(self, key: Any) -> str:
        """A key the copy keeps (a CSV or Parquet column name) as the list names it: masked, as a redacted
        JSON key is, so the list never shows an address the copy's header holds. Each column once per file."""
        name = self._names.get(key)
        if name is None:
            text = str(key)
            name = self._names[key] = replace_findings(text, scan_text(text, self.options), lambda f: f.masked)
        return name

    def jsonl_line(self, number: int, line: str | bytes) -> str | bytes:
        # A line that cannot be read as text cannot be scanned: copying it would hand over a "clean" file
        # that may still hold personal data (a UTF-16 export, a Latin-1 line with an e-mail address). The
        # CSV path refuses such a file for the same reason. A raw NUL is never valid JSON, and is what
        # the ASCII parts of UTF-16 look like once the file is split on newlines.
        if isinstance(line, bytes) or "\x00" in line:
            why = "is not UTF-8" if isinstance(line, bytes) else "holds NUL bytes (UTF-16?)"
            raise InputError(f"{self.source}, line {number}: {why}, so it cannot be scanned for personal data and "
                             "no copy was written; re-export the file as UTF-8")
        try:
            obj = json.loads(line, object_pairs_hook=without_duplicate_keys)
            copy, notes = self._redacted(obj)
            patched = line if copy is obj else _patched_line(line, obj, copy)
        except (ValueError, RecursionError):  # json.JSONDecodeError and a key written twice are ValueErrors
            # Malformed JSON, an integer longer than Python reads (int's 4,300-digit limit), a key written twice (json.loads would keep only the last value: the first, never
            # walked, would be copied as it was), or nested so deep that what reads it back (json.dumps, comparing) runs out of
            # recursion where the parser did not: redact the raw text all the same.
            new, findings = redact_text(line, self.options)
            self._note(number, "(line)", findings)
            return new if findings else line
        for field, findings in notes:
            self._note(number, field, findings)
        return patched


def _rebuilt(value: Any, new_values: dict[tuple, str], new_keys: dict[tuple, str]) -> Any:
    """value with the strings at the places walked replaced, and its keys renamed apart (scan.walk.distinct_names);
    each part that holds no change is the same object, so the line is patched only where it changed. Built with
    an explicit stack: the loader reads records nested ~1,000 deep, past what recursion here could follow."""
    def opened(part: Any, place: tuple) -> tuple[list | None, Any]:
        """(the frame to rebuild part's children in, None) for a container; (None, part as rebuilt) otherwise."""
        if place in new_values:
            return None, new_values[place]
        if isinstance(part, dict):
            return [part, place, iter(part.items()), []], None
        if isinstance(part, (list, tuple)):
            return [part, place, iter(enumerate(part)), []], None
        return None, part

    frame, done = opened(value, ())
    stack = [frame] if frame is not None else []
    while stack:
        part, place, children, built = stack[-1]
        child = next(children, None)
        if child is not None:
            frame, done = opened(child[1], place + (child[0],))
            if frame is not None:
                stack.append(frame)
            else:
                built.append(done)
            continue
        stack.pop()
        if isinstance(part, dict):
            names = distinct_names(part, lambda k: new_keys.get(place + (k,)))
            done = {names[k]: item for k, item in zip(part, built)}
            if not any(names[k] != k or item is not old for (k, old), item in zip(part.items(), built)):
                done = part
        else:
            done = built if any(item is not old for item, old in zip(built, part)) else part
        if stack:
            stack[-1][3].append(done)
    return done


def _changes(old: Any, new: Any) -> Iterator[tuple[tuple, bool, Any]]:
    """(place, is_key, after) of every value and key that changed, a key named by the place of its value in `old`.
    `new` is built from `old` key by key, so their items pair up in order; a part that did not change is the
    same object (_rebuilt). Walked with an explicit stack, as _rebuilt builds."""
    pending = [(old, new, ())]
    while pending:
        old, new, place = pending.pop()
        if old is new:
            continue
        if isinstance(old, dict):
            for (key, value), (new_key, new_value) in zip(old.items(), new.items()):
                if key != new_key:
                    yield place + (key,), True, new_key
                pending.append((value, new_value, place + (key,)))
        elif isinstance(old, list):
            pending += [(value, new_value, place + (i,)) for i, (value, new_value) in enumerate(zip(old, new))]
        else:
            yield place, False, new  # a string or a number (a phone stored as 4155552671) that held a finding


_SPACE = re.compile(r"[ \t\n\r]*")
_CONSTANTS = ("true", "false", "null", "NaN", "-Infinity", "Infinity")  # what json.loads reads besides numbers


class _Spans:
    """Where each value and key of a JSON text is written, by its place (the keys and indexes leading to it),
    read as json.loads reads the text: a key written twice names the value written last, as json.loads keeps it."""

    def __init__(self, text: str):
        self.text = text
        self.values: dict[tuple, tuple[int, int]] = {}
        self.keys: dict[tuple, list[tuple[int, int]]] = {}
        end = self._value(_SPACE.match(text, 0).end(), ())
        if text[_SPACE.match(text, end).end():]:
            raise ValueError("text after the value")

    def _space(self, at: int) -> int:
        return _SPACE.match(self.text, at).end()

    def _value(self, at: int, place: tuple) -> int:
        text, start = self.text, at
        if text[at] == "{":
            at = self._space(at + 1)
            if text[at] == "}":
                at += 1
            while text[at - 1] != "}":
                if text[at] != '"':
                    raise ValueError("a key is not a string")
                key, key_end = scanstring(text, at + 1)
                self.keys.setdefault(place + (key,), []).append((at, key_end))
                at = self._space(key_end)
                if text[at] != ":":
                    raise ValueError("no colon after a key")
                at = self._space(self._value(self._space(at + 1), place + (key,)))
                if text[at] not in ",}":
                    raise ValueError("no comma between members")
                at = self._space(at + 1) if text[at] == "," else at + 1
        elif text[at] == "[":
            at, index = self._space(at + 1), 0
            if text[at] == "]":
                at += 1
            while text[at - 1] != "]":
                at = self._space(self._value(at, place + (index,)))
                if text[at] not in ",]":
                    raise ValueError("no comma between elements")
                at, index = (self._space(at + 1) if text[at] == "," else at + 1), index + 1
        elif text[at] == '"':
            at = scanstring(text, at + 1)[1]
        else:
            constant = next((c for c in _CONSTANTS if text.startswith(c, at)), None)
            number = None if constant else NUMBER_RE.match(text, at)
            if constant is None and number is None:
                raise ValueError("not a JSON value")
            at += len(constant) if constant else len(number.group())
        self.values[place] = (start, at)
        return at


def _patched_line(line: str, old: Any, new: Any) -> str:
    """The line with only the changed values and keys rewritten, so its key order, spacing, and the escapes and
    number spellings (`1e0`, `0.10`) of every other value stay: each change is written over the very token that
    held it, found by its place in the line (a string written with `\\u00e9` escapes keeps writing them; an
    earlier value equal to the changed one is left alone). The whole object is re-serialised only when that
    cannot be done exactly."""
    try:
        spans = _Spans(line)
        replacements = []
        for place, is_key, after in _changes(old, new):
            for start, end in spans.keys[place] if is_key else [spans.values[place]]:
                replacements.append((start, end, json.dumps(after, ensure_ascii="\\u" in line[start:end])))
        pieces, written = [], 0
        for start, end, literal in sorted(replacements):
            pieces += [line[written:start], literal]
            written = end
        patched = "".join(pieces) + line[written:]
        if json.loads(patched) == new:
            return patched
    except (ValueError, KeyError, IndexError, RecursionError):  # json.JSONDecodeError is a ValueError
        pass
    return json.dumps(new, ensure_ascii=False)


def _not_text(value: Any) -> bool:
    """A CSV cell holding a byte that is not UTF-8 (kept as a lone surrogate by the writers' surrogateescape)."""
    return isinstance(value, str) and any("\udc80" <= c <= "\udcff" for c in value)


def redact(input_path: str | Path, out_path: str | Path, config: Config) -> RedactSummary:
    source, target = local_paths(input_path, out_path)
    fmt = check_target(source, target, sidecar=SIDECAR)  # the copy and its list: neither may be the input
    options = config.section("pii").options()
    as_json = fmt.kind in ("jsonl", "json")  # a row is JSON text: a JSONL line or one element of an array
    redactor = _Redactor(source, options, numbers=as_json, keys=as_json)
    changed_rows: set[int] = set()

    def edit(number: int, row: Any) -> Any:
        if not as_json and isinstance(row, dict) and any(_not_text(v) for v in row.values()):
            # a CSV row holding bytes that are not UTF-8 cannot be scanned, as a JSONL line cannot (jsonl_line)
            raise InputError(f"{source}, line {number}: is not UTF-8, so it cannot be scanned for personal data and "
                             "no copy was written; re-export the file as UTF-8")
        if row is LONG_LINE:  # the audit skips it unread; passing it on unscanned could hand over personal data
            raise InputError(f"{source}, line {number}: line is longer than {MAX_LINE_BYTES // (1024 * 1024)} MB, which "
                             "the audit skips unread, so it cannot be scanned for personal data and no copy was "
                             "written; split the line or remove it")
        before = len(redactor.log)
        result = redactor.jsonl_line(number, row) if as_json else redactor.value(row, number)
        if len(redactor.log) > before:
            changed_rows.add(number)
        return result

    copy, stats = rewritten(source, target, edit)
    sidecar = sidecar_path(target, SIDECAR)
    # the copy and its list replaced together: a list that cannot be written leaves no copy without it
    write_atomic_set([(target, copy), (sidecar, "".join(json.dumps(entry, ensure_ascii=False) + "\n" for entry in redactor.log))])
    return RedactSummary(stats.rows, len(changed_rows), len(redactor.log),
                         {k: redactor.by_kind[k] for k in KINDS if redactor.by_kind[k]}, sidecar)
