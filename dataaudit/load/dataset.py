"""Reading fine-tuning exports (JSONL, CSV, Parquet) into a Dataset, validating every record.

Nothing here judges the data: malformed records become RecordErrors that name file, line and field, and
the valid records go on to be measured. Input files are only ever opened for reading.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pandas as pd

from ..config import Config
from ..errors import InputError
from .annotation_tools import detect_export, read_export
from .records import Annotation, Dataset, InputFile, Record, RecordError

CHAT_ROLES = {"system", "developer", "user", "assistant", "tool", "function"}
PREAMBLE_ROLES = {"system", "developer"}


@dataclass(frozen=True)
class _Row:
    line: int
    data: Any  # the parsed object, or None when `error` is set
    error: RecordError | None = None


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise InputError(f"{path}: no such file") from exc
    except IsADirectoryError as exc:
        raise InputError(f"{path}: is a directory, not a data file") from exc
    except PermissionError as exc:
        raise InputError(f"{path}: permission denied") from exc
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from exc


def _file_kind(path: Path, raw: bytes) -> str:
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if suffix in (".csv", ".tsv"):
        return "csv"
    if suffix in (".parquet", ".pq"):
        return "parquet"
    return "jsonl" if raw.lstrip()[:1] in (b"{", b"[") else "csv"


def _not_utf8_reason(raw: bytes) -> str | None:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "file is not UTF-8 (it starts with a UTF-16 byte-order mark); re-export it as UTF-8"
    if raw[:4000].count(b"\x00") > 4:
        return "file is not UTF-8 (it contains NUL bytes, as UTF-16 or binary files do); re-export it as UTF-8"
    return None


def _jsonl_rows(source: str, raw: bytes, counters: Counter) -> Iterator[_Row]:
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    lines = raw.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()  # the newline that ends the last record
    for number, line_bytes in enumerate(lines, start=1):
        if not line_bytes.strip():
            counters["blank"] += 1
            continue
        try:
            text = line_bytes.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield _Row(number, None, RecordError(source, number, "(encoding)", f"line is not valid UTF-8 (byte {exc.start + 1})"))
            continue
        try:
            yield _Row(number, json.loads(text))
        except json.JSONDecodeError as exc:
            yield _Row(number, None, RecordError(source, number, "(json)", f"invalid JSON: {exc.msg} at column {exc.colno}"))


def _table_rows(source: str, frame: pd.DataFrame) -> Iterator[_Row]:
    columns = list(frame.columns)
    for number, values in enumerate(frame.itertuples(index=False, name=None), start=1):
        row = {}
        for column, value in zip(columns, values):
            if value is None or (isinstance(value, float) and pd.isna(value)):
                continue
            if column == "messages" and isinstance(value, str) and value.lstrip().startswith("["):
                try:
                    value = json.loads(value)
                except json.JSONDecodeError as exc:
                    yield _Row(number, None, RecordError(source, number, "messages", f"invalid JSON in cell: {exc.msg}"))
                    break
            row[str(column)] = value
        else:
            yield _Row(number, row)


def _csv_rows(source: str, raw: bytes) -> Iterator[_Row]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        yield _Row(0, None, RecordError(source, 0, "(encoding)", f"file is not UTF-8 (invalid byte at offset {exc.start}); re-export it as UTF-8"))
        return
    sep = "\t" if source.lower().endswith(".tsv") else ","
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, sep=sep)
    except pd.errors.EmptyDataError:
        return
    except pd.errors.ParserError as exc:
        yield _Row(0, None, RecordError(source, 0, "(csv)", f"cannot parse CSV: {exc}"))
        return
    yield from _table_rows(source, frame)


def _parquet_rows(source: str, path: Path) -> Iterator[_Row]:
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several unrelated types for a bad file
        yield _Row(0, None, RecordError(source, 0, "(parquet)", f"cannot read Parquet: {exc}"))
        return
    yield from _table_rows(source, frame)


def read_rows(path: Path, counters: Counter) -> tuple[str, Iterator[_Row]]:
    """sha256 of the file and its rows, each parsed or with the error that stopped it."""
    raw = _read_bytes(path)
    digest = hashlib.sha256(raw).hexdigest()
    source = str(path)
    if not raw.strip():
        return digest, iter([_Row(0, None, RecordError(source, 0, "(file)", "file is empty: no records"))])
    kind = _file_kind(path, raw)
    if kind != "parquet":
        reason = _not_utf8_reason(raw)
        if reason:
            return digest, iter([_Row(0, None, RecordError(source, 0, "(encoding)", reason))])
    if kind == "jsonl":
        return digest, _jsonl_rows(source, raw, counters)
    if kind == "csv":
        return digest, _csv_rows(source, raw)
    return digest, _parquet_rows(source, path)


# ---------------------------------------------------------------------------------------------------
# Record validation


class _Invalid(Exception):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def _scalar_text(value: Any, field: str, *, allow_empty: bool = False) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return str(value)
    if not isinstance(value, str):
        raise _Invalid(field, f"expected a string, got {_json_type(value)}")
    if not allow_empty and not value.strip():
        raise _Invalid(field, "is empty")
    return value


def _json_type(value: Any) -> str:
    return {dict: "an object", list: "a list", type(None): "null", bool: "a boolean"}.get(type(value), type(value).__name__)


def _message_text(message: dict, index: int) -> str | None:
    content = message.get("content")
    if content is None:
        return None
    if isinstance(content, list):  # content parts: keep the text ones
        parts = [p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text"]
        return "\n".join(parts)
    if not isinstance(content, str):
        raise _Invalid(f"messages[{index}].content", f"expected a string, got {_json_type(content)}")
    return content


def _parse_chat(messages: Any) -> tuple[str, str]:
    if not isinstance(messages, list):
        raise _Invalid("messages", f"expected a list of messages, got {_json_type(messages)}")
    if not messages:
        raise _Invalid("messages", "is empty")
    roles: list[str] = []
    user_texts: list[str] = []
    target: str | None = None
    for i, message in enumerate(messages):
        if not isinstance(message, dict):
            raise _Invalid(f"messages[{i}]", f"expected an object, got {_json_type(message)}")
        if "role" not in message:
            raise _Invalid(f"messages[{i}].role", "missing")
        role = message["role"]
        if role not in CHAT_ROLES:
            raise _Invalid(f"messages[{i}].role", f"unknown role {role!r} (expected one of {', '.join(sorted(CHAT_ROLES))})")
        text = _message_text(message, i)
        has_call = bool(message.get("tool_calls") or message.get("function_call"))
        if text is None and not (role == "assistant" and has_call):
            raise _Invalid(f"messages[{i}].content", "missing")
        if text is not None and not text.strip() and not has_call and role != "tool":
            raise _Invalid(f"messages[{i}].content", "is empty")
        previous = roles[-1] if roles else None
        if role in PREAMBLE_ROLES and any(r not in PREAMBLE_ROLES for r in roles):
            raise _Invalid(f"messages[{i}].role", f"roles out of order: {role!r} after the conversation started")
        if role == "assistant" and "user" not in roles:
            raise _Invalid(f"messages[{i}].role", "roles out of order: assistant speaks before any user turn")
        if role in ("tool", "function") and previous not in ("assistant", "tool", "function"):
            raise _Invalid(f"messages[{i}].role", f"roles out of order: {role!r} does not follow an assistant tool call")
        roles.append(role)
        if role == "user":
            user_texts.append(text or "")
        if role == "assistant":
            calls = message.get("tool_calls") or message.get("function_call")
            target = text if text and text.strip() else json.dumps(calls, sort_keys=True, ensure_ascii=False)
    if "user" not in roles:
        raise _Invalid("messages", "no user turn")
    if "assistant" not in roles:
        raise _Invalid("messages", "no assistant turn: a chat example needs the assistant's reply as its target")
    if roles[-1] != "assistant":
        raise _Invalid(f"messages[{len(roles) - 1}].role", f"roles out of order: the conversation ends with {roles[-1]!r}, not the assistant's reply")
    assert target is not None
    return "\n".join(user_texts), target


class RecordParser:
    """Turns one parsed row into a Record, or raises _Invalid naming the field."""

    def __init__(self, config: Config, *, role: str):
        self.fields = config.fields
        self.role = role  # train | eval | production
        # In a chat or prompt/completion classification export the target is the class itself.
        self.target_is_label = config.task_type == "classification"

    def text_field(self) -> str:
        if self.role == "production" and self.fields.production_text:
            return self.fields.production_text
        return self.fields.text or "text"

    def parse(self, source: str, line: int, obj: Any) -> Record:
        if not isinstance(obj, dict):
            raise _Invalid("(record)", f"expected a JSON object, got {_json_type(obj)}")
        f = self.fields
        record_id = _scalar_text(obj[f.id], f.id) if obj.get(f.id) not in (None, "") else None
        gold = _scalar_text(obj[f.gold], f.gold) if obj.get(f.gold) not in (None, "") else None
        label = _scalar_text(obj[f.label], f.label) if f.label in obj else None
        target = None
        explicit_text = bool(f.text) or (self.role == "production" and bool(f.production_text))
        if f.annotator_columns:
            fmt = "annotation_wide"
            text = _scalar_text(obj.get(self.text_field(), ""), self.text_field(), allow_empty=True)
        elif explicit_text:
            fmt = "text_label"
            if self.text_field() not in obj:
                raise _Invalid(self.text_field(), "missing")
            text = _scalar_text(obj[self.text_field()], self.text_field())
        elif "messages" in obj:
            fmt = "chat"
            text, target = _parse_chat(obj["messages"])
        elif "prompt" in obj or "completion" in obj:
            fmt = "prompt_completion"
            if "prompt" not in obj:
                raise _Invalid("prompt", "missing")
            text = _scalar_text(obj["prompt"], "prompt")
            if self.role != "production":
                if "completion" not in obj:
                    raise _Invalid("completion", "missing")
                target = _scalar_text(obj["completion"], "completion")
        elif "text" in obj:
            fmt = "text_label"
            text = _scalar_text(obj["text"], "text")
        else:
            raise _Invalid("(record)", "unrecognised record: expected 'messages', 'prompt' + 'completion', or 'text' (+ 'label'); "
                           "name other fields with --text-field / --label-field")
        annotations = self._annotations(obj, line)
        if fmt == "text_label" and self.role == "train" and label is None and not annotations:
            raise _Invalid(f.label, "missing (a text record needs a label; use --label-field to name it)")
        if label is None and (annotations or gold is not None):
            label = gold if gold is not None else majority_label(annotations)
        if label is None and target is not None and self.target_is_label:
            label = target
        return Record(source, line, fmt, text, target, label, record_id, tuple(annotations), gold)

    def _annotations(self, obj: dict, line: int) -> list[Annotation]:
        if self.fields.annotator_columns:
            return [Annotation(column, _scalar_text(obj[column], column), line)
                    for column in self.fields.annotator_columns if obj.get(column) not in (None, "")]
        raw = obj.get("annotations")
        if raw is None:
            return []
        if not isinstance(raw, list):
            raise _Invalid("annotations", f"expected a list, got {_json_type(raw)}")
        result: list[Annotation] = []
        seen: set[str] = set()
        for i, item in enumerate(raw):
            if not isinstance(item, dict):
                raise _Invalid(f"annotations[{i}]", f"expected an object, got {_json_type(item)}")
            for key in ("annotator", "label"):
                if item.get(key) is None:
                    raise _Invalid(f"annotations[{i}].{key}", "missing")
            annotator = _scalar_text(item["annotator"], f"annotations[{i}].annotator")
            if annotator in seen:
                raise _Invalid(f"annotations[{i}].annotator", f"annotator {annotator!r} labelled this item twice")
            seen.add(annotator)
            result.append(Annotation(annotator, _scalar_text(item["label"], f"annotations[{i}].label"), line))
        return result


def majority_label(annotations: list[Annotation] | tuple[Annotation, ...]) -> str | None:
    """Most frequent label; ties go to the label sorted first so the choice is deterministic."""
    if not annotations:
        return None
    counts = Counter(a.label for a in annotations)
    top = max(counts.values())
    return sorted(label for label, n in counts.items() if n == top)[0]


def _group_long_rows(source: str, rows: list[tuple[int, dict]], config: Config, errors: list[RecordError]) -> tuple[list[Record], int]:
    """Long layout: one row per (item, annotator, label); rows sharing an item id make one Record."""
    f = config.fields
    items: dict[str, dict] = {}
    invalid = 0
    for line, obj in rows:
        try:
            for key in (f.id, f.annotator, f.label):
                if obj.get(key) in (None, ""):
                    raise _Invalid(key, "missing")
            item_id = _scalar_text(obj[f.id], f.id)
            annotator = _scalar_text(obj[f.annotator], f.annotator)
            label = _scalar_text(obj[f.label], f.label)
        except _Invalid as exc:
            errors.append(RecordError(source, line, exc.field, exc.message))
            invalid += 1
            continue
        item = items.setdefault(item_id, {"lines": [], "annotations": {}, "text": "", "gold": None})
        if annotator in item["annotations"]:
            first_line = item["annotations"][annotator].line
            errors.append(RecordError(source, line, f.annotator, f"annotator {annotator!r} labelled item {item_id!r} twice (lines {first_line} and {line})"))
            invalid += 1
            continue
        item["annotations"][annotator] = Annotation(annotator, label, line)
        item["lines"].append(line)
        text_key = f.text or "text"
        if not item["text"] and isinstance(obj.get(text_key), str):
            item["text"] = obj[text_key]
        if obj.get(f.gold) not in (None, ""):
            item["gold"] = _scalar_text(obj[f.gold], f.gold)
    records = []
    for item_id, item in items.items():
        annotations = tuple(item["annotations"].values())
        label = item["gold"] if item["gold"] is not None else majority_label(annotations)
        records.append(Record(source, item["lines"][0], "annotation_long", item["text"], None, label, item_id,
                              annotations, item["gold"], tuple(item["lines"])))
    return records, invalid


def load_dataset(paths: str | Path | list[str | Path], config: Config, *, role: str = "train", name: str = "") -> Dataset:
    """Read and validate every record of one or more files (audited as one dataset).

    role: 'train' requires labels on text records; 'eval' and 'production' only need an input text.
    Raises InputError only when a file cannot be read at all.
    """
    path_list = [Path(p) for p in (paths if isinstance(paths, list) else [paths])]
    if not path_list:
        raise InputError("no input files given")
    if detect_export(path_list[0]) is not None:  # an annotation tool's export: Label Studio, Prodigy, Argilla
        return read_export(path_list, config, role=role, name=name)
    parser = RecordParser(config, role=role)
    files: list[InputFile] = []
    records: list[Record] = []
    errors: list[RecordError] = []
    total = invalid = blank = 0
    for path in path_list:
        counters: Counter = Counter()
        digest, rows = read_rows(path, counters)
        source = str(path)
        file_rows = 0
        long_rows: list[tuple[int, dict]] = []
        for row in rows:
            if row.error is not None:
                errors.append(row.error)
                if row.line > 0:
                    file_rows += 1
                    invalid += 1
                continue
            file_rows += 1
            if config.fields.annotator and role == "train":
                if isinstance(row.data, dict):
                    long_rows.append((row.line, row.data))
                else:
                    errors.append(RecordError(source, row.line, "(record)", f"expected an object, got {_json_type(row.data)}"))
                    invalid += 1
                continue
            try:
                records.append(parser.parse(source, row.line, row.data))
            except _Invalid as exc:
                errors.append(RecordError(source, row.line, exc.field, exc.message))
                invalid += 1
        if long_rows:
            grouped, bad = _group_long_rows(source, long_rows, config, errors)
            records.extend(grouped)
            invalid += bad
        total += file_rows
        blank += counters["blank"]
        files.append(InputFile(source, digest, file_rows))
    dataset_name = name or config.dataset_name or (path_list[0].stem if len(path_list) == 1 else path_list[0].parent.name or path_list[0].stem)
    errors.sort(key=lambda e: (e.source, e.line))
    return Dataset(dataset_name, files, records, errors, total, invalid, blank)
