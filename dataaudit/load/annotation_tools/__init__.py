"""Reading annotation tools' exports into a Dataset: Label Studio (JSON, JSON-MIN, CSV), Prodigy JSONL, Argilla 2.x.

Each reader turns its export into items with answers (annotator, question, value), then one builder makes the
Records: `annotations` and `gold` hold the headline question's answers (the question named by
`fields.question`, else the first classification question), `question_annotations` every answer to every
question. What the export holds besides (cancelled answers, drafts, model predictions, span regions) is
counted in `Dataset.annotation_export`, never judged as an annotator.

Label Studio JSON is the full export: one task per array element, each annotation one annotator's answer
(`completed_by`), `was_cancelled` ones skipped, `ground_truth` ones gold, `predictions` never annotators.
JSON-MIN and CSV flatten each (non-cancelled) annotation to a row: Label Studio 1.23 writes one row per
annotation, older versions one row per task (the latest annotation); they drop cancelled annotations and the
ground-truth mark, and CSV loses the question types, so agreement is only as good as what they keep.
Lines: a JSON array's "line" is the element's 1-based position; JSONL and CSV lines are as elsewhere.

One module per tool (`label_studio`, `prodigy`, `argilla`), each from its bytes to items; `common` holds what
they share (the question-type vocabulary, items and answers, value helpers), `build` makes the Dataset; this
module detects which export a file is and reads it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Iterable

from ...config import Config
from ...errors import InputError
from ..files import JsonArrayError, JsonArrayWalk
from ..records import Dataset, RecordError
from ..values import key_name, quoted
from .common import EXPORT_KINDS, JUDGED_LEVELS, LATEST_ONLY_NOTE, Counts, Item, anonymous_note, json_document, read_bytes
from .build import add_counts, build_dataset
from .argilla import read_argilla
from .label_studio import label_studio_items, read_label_studio_flat, read_label_studio_tasks
from .prodigy import read_prodigy

__all__ = ["EXPORT_KINDS", "JUDGED_LEVELS", "LATEST_ONLY_NOTE", "detect_export", "read_export", "read_label_studio_tasks"]


# ---------------------------------------------------------------------------------------------------
# Detection


_LS_JSON = re.compile(rb'"(annotations|completions|predictions)"\s*:')
_LS_MIN = re.compile(rb'"annotation_id"\s*:')
_ARGILLA = re.compile(rb'"responses"\s*:')


_PRODIGY_LINES = 20  # the first this many parseable lines decide a JSONL file (a bad first line is one record error)
_HEAD = 65536


def _array_kind(head: bytes) -> str | None:
    if _LS_JSON.search(head) and b'"data"' in head:
        return "label_studio_json"
    if _ARGILLA.search(head) and b'"fields"' in head:
        return "argilla"
    if _LS_MIN.search(head) and b'"annotator"' in head:
        return "label_studio_min"
    return None


def _first_element(handle, head: bytes) -> bytes | None:
    """The bytes of a JSON array's first element, reading on from `head` (the file's first bytes) in growing
    blocks until it closes: a first task with 84 KB of text is still recognised, and the file is not read to
    its end. Walked by the loader's walker (files.JsonArrayWalk), so it is the element the loader numbers 1."""
    unread = [head] if head else []  # an empty block would read as the end of the file

    def read(size: int) -> bytes:
        return unread.pop() if unread else handle.read(size)

    walk = JsonArrayWalk(read)
    try:
        for element in walk:
            return walk.text_of(element).encode("utf-8")
    except (ValueError, JsonArrayError):  # not JSON, or nested past Python's limit: no export's task is; the loader reports it
        return None
    return None


def _prodigy_lines(handle, head: bytes) -> str | None:
    """Prodigy when the first parseable lines (up to _PRODIGY_LINES) are Prodigy answers: a first line cut
    short or not UTF-8 is listed by the reader as that line's error, and no longer hides the whole export."""
    seen = 0
    lines = (head + handle.read(_HEAD * 4)).split(b"\n")
    for line in lines[:-1] if len(lines) > 1 else lines:
        line = line.strip()
        if not line:
            continue
        try:
            obj = json.loads(line.decode("utf-8"))
        except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError; the reader lists either as the line's error
            continue
        if not (isinstance(obj, dict) and "_input_hash" in obj and "answer" in obj):
            return None
        seen += 1
        if seen >= _PRODIGY_LINES:
            break
    return "prodigy" if seen else None


def detect_export(path: str | Path) -> str | None:
    """The kind of annotation-tool export at `path` (one of EXPORT_KINDS), or None for any other file.

    Looks at the first 64 KB, and for a JSON array on to the end of its first element; for JSONL at the first
    parseable lines. A file that cannot be read is None here and reported by the loader.
    """
    path = Path(path)
    if path.is_dir():
        try:
            return "argilla" if (path / "records.json").is_file() else None
        except OSError:  # a folder this user may not look into is no export; the folder scan names it unreadable
            return None
    if path.exists() and not path.is_file():
        return None  # a device or pipe: opening it here would use up a pipe's data; the loader refuses it
    try:
        with path.open("rb") as handle:
            raw_head = handle.read(_HEAD)
            head = raw_head.removeprefix(b"\xef\xbb\xbf").lstrip()
            if head.startswith(b"["):
                kind = _array_kind(head)
                if kind is None and len(raw_head) == _HEAD:  # the first element may run past the head
                    first = _first_element(handle, raw_head)
                    kind = _array_kind(first) if first is not None else None
                return kind
            if head.startswith(b"{"):
                return _prodigy_lines(handle, head)
    except OSError:
        return None
    header = set(re.split(r'[,\t]', head.split(b"\n", 1)[0].decode("utf-8", "replace").replace('"', "").strip()))
    if {"annotation_id", "annotator", "lead_time"} <= header:
        return "label_studio_csv"
    return None


_KIND_NAMES = {"label_studio_json": "a Label Studio JSON export", "label_studio_min": "a Label Studio JSON-MIN export",
               "label_studio_csv": "a Label Studio CSV export", "prodigy": "a Prodigy export", "argilla": "an Argilla export"}


def read_export(paths: Iterable[str | Path], config: Config, *, role: str = "train", name: str = "",
                since: datetime | None = None) -> Dataset:
    """Read one or more exports of the same kind (audited as one dataset). since: keep only annotations
    created after it (the previous run of the same project), for auditing the new batch alone. role is taken
    for the loader's signature: an export reads the same whatever its role."""
    path_list = [Path(p) for p in paths]
    kind_of = {p: detect_export(p) for p in path_list}
    kinds = set(kind_of.values())
    if None in kinds or len(kinds) != 1:
        # named by a file of each kind, whatever their order: "another kind" alone sent the user to the first file
        first = {}
        for path, found in kind_of.items():
            first.setdefault(found, path)
        named = "; ".join(f"{path} ({_KIND_NAMES.get(found, found) if found else 'not an annotation-tool export'})"
                          for found, path in first.items())
        raise InputError(f"{named}: an annotation-tool export cannot be audited together with files of another kind "
                         "(or another export format); audit them separately")
    kind = kinds.pop()
    counts = Counts()
    parts = []
    notes: list[str] = []
    latest_only = True
    for path in path_list:
        file_path = path / "records.json" if path.is_dir() else path
        raw = read_bytes(file_path)
        digest = hashlib.sha256(raw).hexdigest()
        source = str(file_path)
        if kind == "label_studio_json":
            json_errors: list[RecordError] = []
            tasks, met = json_document(source, raw, json_errors)
            items, errors, rows, file_counts = label_studio_items(tasks if tasks is not None else [], source, config)
            rows = max(rows, met)  # an element cut off is counted, as the plain reader counts it
            add_counts(counts, file_counts)
            notes += anonymous_note(source, file_counts.anonymous, "label_studio")
            latest_only = False
            parts.append((source, digest, rows, items, json_errors + errors))
        elif kind in ("label_studio_min", "label_studio_csv"):
            items, errors, rows, file_counts, file_latest, file_notes = read_label_studio_flat(
                file_path, raw, "json_min" if kind == "label_studio_min" else "csv", config)
            notes += file_notes
            add_counts(counts, file_counts)
            latest_only = latest_only and file_latest
            parts.append((source, digest, rows, items, errors))
        elif kind == "prodigy":
            items, errors, rows, file_counts = read_prodigy(file_path, raw, config)
            add_counts(counts, file_counts)
            notes += anonymous_note(source, file_counts.anonymous, "prodigy")
            latest_only = False
            parts.append((source, digest, rows, items, errors))
        else:
            items, errors, rows, file_counts = read_argilla(file_path, raw, config)
            add_counts(counts, file_counts)
            notes += anonymous_note(source, file_counts.anonymous, "argilla")
            latest_only = False
            parts.append((source, digest, rows, items, errors))
    word = "task" if kind.startswith("label_studio") else "item"
    notes += _ids_with_several_texts(parts, word)
    if len(parts) > 1:
        notes += _join_tasks(parts, word, counts)
    notes += _question_sets(parts)
    tool, export_kind = {"label_studio_json": ("label_studio", "json"), "label_studio_min": ("label_studio", "json_min"),
                         "label_studio_csv": ("label_studio", "csv"), "prodigy": ("prodigy", "jsonl"),
                         "argilla": ("argilla", "records_json")}[kind]
    return build_dataset(parts, config, tool, export_kind, counts, name=name, since=since, latest_only=latest_only,
                         notes=notes)


def _ids_with_several_texts(parts: list, word: str) -> list[str]:
    """Ids that carry different input texts, in one file or across files, are read as one item per text (see
    _join_tasks); said, as the long layout says it, so a misaligned export is not read as intended unnoticed."""
    texts: dict[str, set[str]] = {}
    for _, _, _, items, _ in parts:
        for item in items:
            if item.item_id is not None:
                texts.setdefault(item.item_id, set()).add(item.text)
    several = [item_id for item_id, found in texts.items() if len(found) > 1]
    if not several:
        return []
    count = len(several)
    return [f"{count} {word} id{'s' if count != 1 else ''} carr{'y' if count != 1 else 'ies'} different input texts "
            f"(the first: {word} {quoted(several[0])}, {len(texts[several[0]])} texts): each text is read as "
            f"{'an' if word == 'item' else 'a'} {word} of its own, its answers kept apart"]


def _join_tasks(parts: list, word: str, counts: Counts) -> list[str]:
    """One item in several files of one export (a Label Studio task id is the server's, unique in an instance;
    a Prodigy `_input_hash` is the input's; an Argilla record id the dataset's) is one item: its answers join
    the first file's (a repeated answer, as in a copied file, stays one: the builder keeps one answer per
    annotator and question), so it is neither counted nor judged twice, as the long layout joins its rows.
    Likewise what the item's files both hold of its predictions, cancelled and gold annotations (a task's
    predictions are copied into every file of a split export) is taken off `counts` again: counted once."""
    # keyed by the input text too: an id shared with different input text (two projects' own ids, "0", "1", ...;
    # a Prodigy hash of a shared premise) is not the same item, and one file may hold several such items
    first: dict[tuple[str, str], tuple[str, Item]] = {}
    spread: dict[str, set[str]] = {}
    for index, (source, digest, rows, items, errors) in enumerate(parts):
        kept = []
        for item in items:
            owner = first.get((item.item_id, item.text)) if item.item_id is not None else None
            if owner is None or owner[0] == source:
                if item.item_id is not None and owner is None:
                    first[(item.item_id, item.text)] = (source, item)
                kept.append(item)
                continue
            for answer in item.answers:  # each keeps its file: per-file figures would split this item
                answer.source = source
            owner[1].answers.extend(item.answers)
            for name, entries in item.counted.items():
                held = owner[1].counted.setdefault(name, Counter())
                setattr(counts, name, getattr(counts, name) - sum((held & entries).values()))
                held |= entries
            spread.setdefault(item.item_id, {owner[0]}).add(source)
        parts[index] = (source, digest, rows, kept, errors)
    if not spread:
        return []
    most = max(len(files) for files in spread.values())
    return [f"{len(spread)} {word} id{'s' if len(spread) != 1 else ''} found in more than one file (up to {most} files): "
            f"each read as one {word}, its answers joined"]


def _question_sets(parts: list) -> list[str]:
    """Files of one audit asking different questions (two projects merged?) are said, not silently averaged."""
    asked = {source: {a.question for item in items for a in item.answers} for source, _, _, items, _ in parts}
    distinct = {frozenset(q) for q in asked.values() if q}
    if len(distinct) <= 1:
        return []
    every = set.intersection(*(q for q in asked.values() if q))
    listed = "; ".join(f"{source}: {', '.join(map(key_name, sorted(q - every))) or '(only the shared ones)'}"
                       for source, q in asked.items() if q)
    return [f"the files ask different questions (two projects merged?): besides "
            f"{', '.join(map(key_name, sorted(every))) or 'none in common'}, {listed}"]
