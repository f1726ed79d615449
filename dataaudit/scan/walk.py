"""Every string a trainer reads in a parsed JSON value, with where it lies and the key it is the value of.

The one reading of a record's source that `dataaudit redact` (which replaces what the scanner finds) and the
`pii` check (which counts it) share, so the two agree value for value: a chat line's tool-call arguments are
text the model is trained to write, a message's `name` and `refusal` and the tool definitions are read by the
trainer too, and an object's keys may hold an address. Each string is scanned with its key as context
(`scan_in_context`), so {"phone": "4155552671"} is found as a bare number never is.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Callable, Iterator, Mapping

from .pii import PLACEHOLDERS, PiiFinding, ScanOptions, replace_findings, scan_text

# A JSON number this large may be a phone or card number stored as a number; smaller ones are counts and ids.
LONG_NUMBER = 1_000_000


@dataclass(frozen=True)
class WalkedText:
    field: str  # as a report names it: messages[2].tool_calls[0].function.arguments, tools[0].(key), text
    key: str  # the object key the text is the value of, read as its context; "" for a key itself and at the root
    text: str  # a long number is read as its digits
    place: tuple  # the keys and indices from the root to the value, or to the object whose key this is
    is_key: bool = False


def _as_written(mapping: Mapping) -> dict:
    return {k: k for k in mapping}


def walk_texts(value: Any, *, numbers: bool = True, keys: bool = True,
               key_names: Callable[[Mapping], Mapping] = _as_written) -> Iterator[WalkedText]:
    """Every string of value, depth first in the order it is written, an object's keys before its values.

    numbers: a long integer is read as text (a JSON line's numbers may become placeholder strings; a typed
    Parquet column's may not). keys: an object's string keys are read too (a CSV or Parquet row's keys are
    its column names, the file's schema). key_names: object -> {key: how a field path names it}."""
    # An explicit stack, not recursion: the loader reads a record nested ~1,000 deep, which a generator per level
    # would follow past the interpreter's recursion limit.
    pending: list[Iterator[tuple[Any, str, str, tuple]]] = [iter([(value, "", "", ())])]
    while pending:
        item = next(pending[-1], None)
        if item is None:
            pending.pop()
            continue
        value, field, key, place = item
        if isinstance(value, str):
            yield WalkedText(field, key, value, place)
        elif numbers and isinstance(value, int) and not isinstance(value, bool) and abs(value) >= LONG_NUMBER:
            yield WalkedText(field, key, str(value), place)
        elif isinstance(value, dict):
            if keys:
                key_field = f"{field}.(key)" if field else "(key)"
                yield from (WalkedText(key_field, "", k, place + (k,), is_key=True) for k in value if isinstance(k, str))
            names = key_names(value)
            pending.append(iter([(child, f"{field}.{names[k]}" if field else str(names[k]), str(k), place + (k,))
                                 for k, child in value.items()]))
        elif isinstance(value, (list, tuple)):
            pending.append(iter([(child, f"{field}[{i}]", key, place + (i,)) for i, child in enumerate(value)]))


def distinct_names(mapping: Mapping, renamed: Callable[[str], str | None]) -> dict:
    """Each key -> its new name (renamed(key), or the key when that is None); a new name that would equal
    another key gets ' (2)', ' (3)', ... so that two values never collapse into one."""
    names: dict = {}
    taken = set(mapping)
    for k in mapping:
        new = renamed(k) if isinstance(k, str) else None
        if new is None:
            names[k] = k
            continue
        unique, n = new, 1
        while unique in taken:
            n += 1
            unique = f"{new} ({n})"
        taken.add(unique)
        names[k] = unique
    return names


def scan_in_context(text: str, key: str, options: ScanOptions) -> tuple[PiiFinding, ...]:
    """The findings in text, read after its key ("phone: 4155552671", "password: ..."), offsets in text."""
    prefix = f"{key}: " if key else ""
    return tuple(replace(f, start=f.start - len(prefix), end=f.end - len(prefix))
                 for f in scan_text(prefix + text, options) if f.start >= len(prefix))


def redacted(text: str, findings: tuple[PiiFinding, ...]) -> str:
    """text with each finding replaced by its placeholder (`<EMAIL>`)."""
    return replace_findings(text, findings, lambda f: PLACEHOLDERS[f.kind])


def findings_in(value: Any, options: ScanOptions, memo: dict, *, numbers: bool = True, keys: bool = True,
                key_names: Callable[[Mapping], Mapping] | None = None
                ) -> Iterator[tuple[WalkedText, tuple[PiiFinding, ...]]]:
    """(text, its findings) for every string of value (`walk_texts`). A text already in memo ((key, text) ->
    findings; a shared system prompt, a repeated key) is not scanned again. With keys read, a value under a
    key that holds personal data is named by the key as the redacted copy writes it (`<EMAIL>.x`), never by
    the value; key_names names them otherwise (a CSV column as the list shows it)."""
    def found(text: str, key: str) -> tuple[PiiFinding, ...]:
        hit = memo.get((key, text))
        if hit is None:
            hit = memo[(key, text)] = scan_in_context(text, key, options)
        return hit

    def renamed(key: str) -> str | None:
        findings = found(key, "")
        return redacted(key, findings) if findings else None

    if key_names is None:
        key_names = (lambda mapping: distinct_names(mapping, renamed)) if keys else _as_written
    for walked in walk_texts(value, numbers=numbers, keys=keys, key_names=key_names):
        yield walked, found(walked.text, walked.key)


def without_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict:
    """json.loads' object_pairs_hook for a row scanned for personal data (redact, the pii check's malformed rows):
    json.loads keeps the last of two equal keys, so the first value would never be walked; a ValueError sends the
    row to be scanned as raw text instead."""
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise ValueError("a key is written twice in one object")
    return obj
