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
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

from ..config import Config
from ..errors import ConfigError, InputError
from .values import Invalid
from .records import AnnotationExport, Annotation, Dataset, InputFile, Record, RecordError

# Question types, in one vocabulary for every tool, and the level of measurement of the judged ones.
JUDGED_LEVELS = {
    "choices": "nominal",
    "choices-multiple": "set",  # several choices allowed: the chosen set is the value (Jaccard distance)
    "taxonomy": "nominal",  # the chosen path
    "taxonomy-multiple": "set",
    "answer": "nominal",  # Prodigy accept / reject
    "rating": "ordinal",
    "number": "interval",
}
CLASSIFICATION_TYPES = ("choices", "choices-multiple", "taxonomy", "taxonomy-multiple", "answer")  # [::2]: single-valued
SPAN_TYPES = ("labels", "hypertextlabels", "paragraphlabels", "timeserieslabels", "rectanglelabels", "polygonlabels",
              "keypointlabels", "brushlabels", "ellipselabels", "videorectangle", "rectangle", "polygon", "keypoint",
              "brush", "ellipse", "relation", "span")
LS_META_COLUMNS = {"id", "annotator", "annotation_id", "created_at", "updated_at", "lead_time", "agreement"}
LATEST_ONLY_NOTE = ("this export keeps one annotation per task, so agreement cannot be measured: export the project "
                    "as full JSON (or use --label-studio) to judge consistency")
FLAT_EXPORT_NOTE = ("JSON-MIN and CSV exports drop cancelled annotations and the ground-truth mark (a ground-truth "
                    "annotation counts as its author's); the full JSON export keeps both")
EXPORT_KINDS = ("label_studio_json", "label_studio_min", "label_studio_csv", "prodigy", "argilla")


@dataclass
class _Answer:
    annotator: str
    question: str
    kind: str  # a key of the question-type vocabulary above
    value: Any  # tuple of strings (choices, taxonomy paths), str (scalar), or None (spans, not judged)
    lead_time: float | None = None
    created_at: str = ""
    is_gold: bool = False


@dataclass
class _Item:
    line: int
    item_id: str | None
    text: str
    answers: list[_Answer] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)


@dataclass
class _Counts:
    cancelled: int = 0
    drafts: int = 0
    predictions: int = 0
    gold: int = 0
    spans: int = 0
    before_since: int = 0


# ---------------------------------------------------------------------------------------------------
# Detection


_LS_JSON = re.compile(rb'"(annotations|completions|predictions)"\s*:')
_LS_MIN = re.compile(rb'"annotation_id"\s*:')
_ARGILLA = re.compile(rb'"responses"\s*:')


def detect_export(path: str | Path) -> str | None:
    """The kind of annotation-tool export at `path` (one of EXPORT_KINDS), or None for any other file.

    Looks at the first 64 KB only; a file that cannot be read is None here and reported by the loader.
    """
    path = Path(path)
    if path.is_dir():
        return "argilla" if (path / "records.json").is_file() else None
    try:
        with path.open("rb") as handle:
            head = handle.read(65536)
    except OSError:
        return None
    head = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if head.startswith(b"["):
        if _LS_JSON.search(head) and b'"data"' in head:
            return "label_studio_json"
        if _ARGILLA.search(head) and b'"fields"' in head:
            return "argilla"
        if _LS_MIN.search(head) and b'"annotator"' in head:
            return "label_studio_min"
        return None
    if head.startswith(b"{"):
        first = head.split(b"\n", 1)[0]
        try:
            obj = json.loads(first)
        except ValueError:
            return None
        return "prodigy" if isinstance(obj, dict) and "_input_hash" in obj and "answer" in obj else None
    header = set(re.split(r'[,\t]', head.split(b"\n", 1)[0].decode("utf-8", "replace").replace('"', "").strip()))
    if {"annotation_id", "annotator", "lead_time"} <= header:
        return "label_studio_csv"
    return None


# ---------------------------------------------------------------------------------------------------
# Shared helpers


def _text_of(data: dict, config: Config, prefix: str = "") -> str:
    """The input text: the configured fields in order, else every string field in order."""
    wanted = config.fields.text_fields or ([config.fields.text] if config.fields.text else [])
    if wanted:
        missing = [name for name in wanted if name not in data]
        if missing:
            raise _Invalid(prefix + missing[0], "missing (named in fields.text_fields)")
        return "\n".join(str(data[name]) for name in wanted if data[name] is not None)
    texts = [value for value in data.values() if isinstance(value, str) and value.strip()]
    if not texts:
        raise _Invalid(prefix.rstrip(".") or "(record)", "no text field (name the input fields with fields.text_fields)")
    return "\n".join(texts)


_Invalid = Invalid  # one error type for every reader: a field of a record that cannot be used


def _number_text(value: Any) -> str:
    number = float(value)
    return str(int(number)) if number.is_integer() else repr(number)


def _annotator_name(value: Any) -> str:
    if isinstance(value, dict):  # some exports expand the user
        value = value.get("email") or value.get("id")
    if value is None or value == "":
        return "(unknown)"
    return str(value)


def _parse_time(value: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _float_or_none(value: Any) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise InputError(f"{path}: no such file") from exc
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from exc


def _json_document(source: str, raw: bytes, errors: list[RecordError]) -> Any:
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        errors.append(RecordError(source, 0, "(encoding)", "file is not UTF-8; re-export it as UTF-8"))
    except json.JSONDecodeError as exc:
        errors.append(RecordError(source, 0, "(json)", f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"))
    return None


# ---------------------------------------------------------------------------------------------------
# Label Studio


def _ls_result_answer(item: dict, annotator: str, meta: dict, counts: _Counts) -> _Answer | None:
    kind = str(item.get("type", "")).lower()
    question = item.get("from_name")
    value = item.get("value")
    if not isinstance(question, str) or not isinstance(value, dict):
        raise _Invalid("result", "a result item needs 'from_name' and a 'value' object")
    if kind == "choices":
        choices = value.get("choices") or []
        return _Answer(annotator, question, "choices", tuple(str(c) for c in choices), **meta)
    if kind == "taxonomy":
        paths = value.get("taxonomy") or []
        return _Answer(annotator, question, "taxonomy", tuple(" / ".join(map(str, p)) for p in paths), **meta)
    if kind == "rating":
        return _Answer(annotator, question, "rating", _number_text(value["rating"]), **meta)
    if kind == "number":
        return _Answer(annotator, question, "number", _number_text(value["number"]), **meta)
    if kind == "textarea":
        return _Answer(annotator, question, "textarea", "\n".join(map(str, value.get("text") or [])), **meta)
    if kind in SPAN_TYPES:
        counts.spans += 1
        return _Answer(annotator, question, "labels", None, **meta)
    return _Answer(annotator, question, kind or "other", None, **meta)


def _ls_task(task: Any, index: int, config: Config, counts: _Counts) -> _Item:
    if not isinstance(task, dict):
        raise _Invalid("(task)", "expected a task object")
    data = task.get("data")
    if not isinstance(data, dict):
        raise _Invalid("data", "missing (a Label Studio task carries its input under 'data')")
    item = _Item(index, None if task.get("id") is None else str(task["id"]), _text_of(data, config, "data."))
    counts.predictions += len(task.get("predictions") or [])
    annotations = task.get("annotations", task.get("completions")) or []
    if not isinstance(annotations, list):
        raise _Invalid("annotations", "expected a list")
    for position, annotation in enumerate(annotations):
        if not isinstance(annotation, dict):
            raise _Invalid(f"annotations[{position}]", "expected an object")
        if annotation.get("was_cancelled") or annotation.get("skipped"):
            counts.cancelled += 1
            continue
        is_gold = bool(annotation.get("ground_truth"))
        counts.gold += is_gold
        annotator = _annotator_name(annotation.get("completed_by"))
        meta = {"lead_time": _float_or_none(annotation.get("lead_time")), "created_at": str(annotation.get("created_at") or ""),
                "is_gold": is_gold}
        for result in annotation.get("result") or []:
            try:
                answer = _ls_result_answer(result, annotator, meta, counts)
            except (_Invalid, KeyError, TypeError, ValueError) as exc:
                message = exc.message if isinstance(exc, _Invalid) else f"unreadable value ({exc})"
                raise _Invalid(f"annotations[{position}].result", message) from exc
            if answer is not None:
                item.answers.append(answer)
    return item


def _ls_items(tasks: Any, source: str, config: Config) -> tuple[list[_Item], list[RecordError], int, _Counts]:
    errors: list[RecordError] = []
    counts = _Counts()
    items: list[_Item] = []
    if not isinstance(tasks, list):
        return items, [RecordError(source, 0, "(file)", "expected a JSON array of tasks")], 0, counts
    for index, task in enumerate(tasks, start=1):
        try:
            items.append(_ls_task(task, index, config, counts))
        except _Invalid as exc:
            errors.append(RecordError(source, index, exc.field, exc.message))
    return items, errors, len(tasks), counts


def read_label_studio_tasks(tasks: Any, source: str, config: Config, *, sha256: str = "", role: str = "train", name: str = "",
                            since: datetime | None = None) -> Dataset:
    """A Label Studio full JSON export (the parsed array of tasks) as a Dataset; the server client reads
    what it fetched through this, so a file and a fetch give the same records. role: as in read_export."""
    items, errors, rows, counts = _ls_items(tasks, source, config)
    return _build([(source, sha256, rows, items, errors)], config, "label_studio", "json", counts, name=name, since=since)


def _flat_value(value: Any, column: str) -> tuple[str, Any]:
    """Kind and value of one JSON-MIN / CSV answer cell (a plain string is decided later: choice or free text)."""
    if isinstance(value, str):
        stripped = value.strip()
        if stripped[:1] in ("{", "[") and stripped[-1:] in ("}", "]"):
            try:
                value = json.loads(stripped)
            except ValueError:
                return "string", value
        else:
            return "string", value
    if isinstance(value, dict) and "choices" in value:
        return "choices", tuple(str(c) for c in value["choices"])
    if isinstance(value, dict) and "text" in value:
        return "textarea", "\n".join(map(str, value["text"]))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return "number", _number_text(value)
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        first = value[0]
        if "rating" in first:
            return "rating", _number_text(first["rating"])
        if "number" in first:
            return "number", _number_text(first["number"])
        if "taxonomy" in first:
            return "taxonomy", tuple(" / ".join(map(str, p)) for p in first["taxonomy"])
        if "choices" in first:  # per-region choices: not one answer per task
            return "other", None
        return "labels", None
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "textarea", "\n".join(value)
    raise _Invalid(column, f"unrecognised answer value {json.dumps(value)[:60]}")


def _read_label_studio_flat(path: Path, raw: bytes, kind: str, config: Config) -> tuple[list[_Item], list[RecordError], int, _Counts, bool]:
    source = str(path)
    errors: list[RecordError] = []
    counts = _Counts()
    if kind == "json_min":
        rows = _json_document(source, raw, errors)
        if rows is None:
            return [], errors, 0, counts, False
        if not isinstance(rows, list):
            errors.append(RecordError(source, 0, "(file)", "expected a JSON array of rows"))
            return [], errors, 0, counts, False
        numbered = list(enumerate(rows, start=1))
    else:
        import pandas as pd  # here, not at import: every audit imports the loaders, few read a flat CSV export

        try:
            frame = pd.read_csv(io.StringIO(raw.decode("utf-8-sig")), dtype=str, keep_default_na=False,
                                sep="\t" if source.lower().endswith(".tsv") else ",")
        except (UnicodeDecodeError, pd.errors.ParserError) as exc:
            errors.append(RecordError(source, 0, "(csv)", f"cannot parse the CSV export: {exc}"))
            return [], errors, 0, counts, False
        numbered = [(i, {k: v for k, v in row.items() if v != ""}) for i, row in enumerate(frame.to_dict("records"), start=1)]
    input_columns = _flat_input_columns(numbered, kind, config)
    string_kinds = _string_column_kinds(numbered, input_columns)
    items: dict[str, _Item] = {}
    for line, row in numbered:
        try:
            if not isinstance(row, dict):
                raise _Invalid("(row)", "expected an object")
            if row.get("id") in (None, ""):
                raise _Invalid("id", "missing (the task id groups a task's annotations)")
            task_id = str(row["id"])
            data = {(c[len("_data_"):] if c.startswith("_data_") else c): row[c] for c in input_columns if c in row}
            item = items.get(task_id)
            if item is None:
                item = items[task_id] = _Item(line, task_id, _text_of(data, config) if data else "")
            item.lines.append(line)
            if row.get("annotator") in (None, ""):
                continue  # a task nobody annotated
            annotator = _annotator_name(row["annotator"])
            meta = {"lead_time": _float_or_none(row.get("lead_time")), "created_at": str(row.get("created_at") or "")}
            for column, value in row.items():
                if column in LS_META_COLUMNS or column in input_columns or value in (None, ""):
                    continue
                cell_kind, parsed = _flat_value(value, column)
                if cell_kind == "string":
                    cell_kind = string_kinds.get(column, "textarea")
                    parsed = (parsed,) if cell_kind == "choices" else parsed
                if cell_kind == "labels":
                    counts.spans += 1
                item.answers.append(_Answer(annotator, column, cell_kind, parsed, **meta))
        except _Invalid as exc:
            errors.append(RecordError(source, line, exc.field, exc.message))
    latest_only = bool(items) and all(len({a.annotator for a in i.answers}) <= 1 for i in items.values())
    return list(items.values()), errors, len(numbered), counts, latest_only


def _flat_input_columns(rows: list[tuple[int, Any]], kind: str, config: Config) -> list[str]:
    """The task-data columns of a flat export: named in config, else (JSON-MIN) the keys before 'id', else
    (CSV, whose columns are sorted) the text columns that are the same in every row of a task and differ
    between most tasks."""
    wanted = config.fields.text_fields or ([config.fields.text] if config.fields.text else [])
    dicts = [row for _, row in rows if isinstance(row, dict)]
    if wanted:
        return [c for c in wanted] + [f"_data_{c}" for c in wanted]
    if not dicts:
        return []
    if kind == "json_min":
        keys = list(dicts[0])
        return keys[:keys.index("id")] if "id" in keys else []
    columns = [c for c in dicts[0] if c not in LS_META_COLUMNS]
    by_task: dict[str, list[dict]] = {}
    for row in dicts:
        by_task.setdefault(str(row.get("id")), []).append(row)
    shared = [rows_ for rows_ in by_task.values() if len(rows_) > 1]
    chosen = []
    for column in columns:
        if column.startswith("_data_"):
            chosen.append(column)
            continue
        values = [rows_[0].get(column) for rows_ in by_task.values()]
        plain = all(isinstance(v, str) and not v.lstrip().startswith(("{", "[")) for v in values if v is not None)
        if not plain:
            continue
        if shared:  # several annotators per task: task data repeats in each row, answers differ somewhere
            if all(len({r.get(column) for r in rows_}) == 1 for rows_ in shared):
                chosen.append(column)
        elif len(set(values)) > len(by_task) / 2:  # one row per task: only free text can tell itself apart
            chosen.append(column)
    return chosen


def _string_column_kinds(rows: list[tuple[int, Any]], input_columns: list[str]) -> dict[str, str]:
    """A plain-string answer column is a single choice when it repeats a few values, free text otherwise."""
    values: dict[str, list[str]] = {}
    for _, row in rows:
        if not isinstance(row, dict):
            continue
        for column, value in row.items():
            if column not in LS_META_COLUMNS and column not in input_columns and isinstance(value, str) \
                    and value and not value.lstrip().startswith(("{", "[")):
                values.setdefault(column, []).append(value)
    return {column: "choices" if len(set(v)) <= min(50, max(2, len(v) // 2)) else "textarea" for column, v in values.items()}


# ---------------------------------------------------------------------------------------------------
# Prodigy


PRODIGY_ANSWER_KEYS = {"answer", "label", "accept", "options", "spans", "tokens", "meta", "html", "image"}


def _prodigy_input(obj: dict, config: Config) -> dict:
    """The task's input fields: all of them when fields are named in config, else 'text' when present, else
    every field that is not Prodigy's own (underscored) or an answer."""
    if config.fields.text_fields or config.fields.text or "text" not in obj:
        return {k: v for k, v in obj.items() if not k.startswith("_") and k not in PRODIGY_ANSWER_KEYS}
    return {"text": obj["text"]}


def _read_prodigy(path: Path, raw: bytes, config: Config) -> tuple[list[_Item], list[RecordError], int, _Counts]:
    source = str(path)
    errors: list[RecordError] = []
    counts = _Counts()
    items: dict[str, _Item] = {}
    rows = 0
    text = raw.decode("utf-8-sig", errors="replace")
    for line, line_text in enumerate(text.split("\n"), start=1):
        if not line_text.strip():
            continue
        rows += 1
        try:
            try:
                obj = json.loads(line_text)
            except json.JSONDecodeError as exc:
                raise _Invalid("(json)", f"invalid JSON: {exc.msg} at column {exc.colno}") from exc
            if not isinstance(obj, dict):
                raise _Invalid("(record)", "expected a JSON object")
            answer = obj.get("answer")
            if answer not in ("accept", "reject", "ignore"):
                raise _Invalid("answer", "expected accept, reject or ignore")
            key = str(obj["_input_hash"]) if obj.get("_input_hash") is not None else None
            if key is None:
                raise _Invalid("_input_hash", "missing (Prodigy's input hash identifies the item)")
            item = items.get(key)
            if item is None:
                item = items[key] = _Item(line, key, _text_of(_prodigy_input(obj, config), config))
            item.lines.append(line)
            if answer == "ignore":
                counts.cancelled += 1
                continue
            annotator = _annotator_name(obj.get("_annotator_id") or obj.get("_session_id"))
            stamp = obj.get("_timestamp")
            created = datetime.fromtimestamp(stamp, timezone.utc).isoformat() if isinstance(stamp, (int, float)) else ""
            if obj.get("spans"):
                counts.spans += len(obj["spans"])
            if isinstance(obj.get("accept"), list):
                value = tuple(str(v) for v in obj["accept"]) if answer == "accept" else ("(rejected)",)
                item.answers.append(_Answer(annotator, "accept", "choices", value, created_at=created))
            elif obj.get("label") not in (None, ""):
                item.answers.append(_Answer(annotator, str(obj["label"]), "answer", answer, created_at=created))
            elif obj.get("spans"):
                item.answers.append(_Answer(annotator, "spans", "labels", None, created_at=created))
            else:
                item.answers.append(_Answer(annotator, "answer", "answer", answer, created_at=created))
        except _Invalid as exc:
            errors.append(RecordError(source, line, exc.field, exc.message))
    return list(items.values()), errors, rows, counts


# ---------------------------------------------------------------------------------------------------
# Argilla 2.x


ARGILLA_TYPES = {"label_selection": "choices", "multi_label_selection": "choices-multiple", "rating": "rating",
                 "text": "textarea", "span": "labels", "ranking": "ranking"}


def _argilla_question_types(folder: Path | None) -> dict[str, str]:
    """Question types from the settings.json that `Dataset.to_disk` writes beside records.json."""
    if folder is None or not (folder / "settings.json").is_file():
        return {}
    try:
        settings = json.loads((folder / "settings.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    types = {}
    for question in settings.get("questions") or []:
        if isinstance(question, dict) and question.get("name"):
            kind = (question.get("settings") or {}).get("type") or question.get("type")
            if kind in ARGILLA_TYPES:
                types[str(question["name"])] = ARGILLA_TYPES[kind]
    return types


def _argilla_value(value: Any) -> tuple[str, Any]:
    if isinstance(value, bool):
        return "string", str(value).lower()
    if isinstance(value, int):
        return "rating", str(value)
    if isinstance(value, float):
        return "number", _number_text(value)
    if isinstance(value, str):
        return "string", value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "choices-multiple", tuple(value)
    if isinstance(value, list) and value and isinstance(value[0], dict) and "rank" in value[0]:
        return "ranking", None
    return "labels", None


def _read_argilla(path: Path, raw: bytes, config: Config) -> tuple[list[_Item], list[RecordError], int, _Counts]:
    source = str(path)
    errors: list[RecordError] = []
    counts = _Counts()
    records = _json_document(source, raw, errors)
    if records is None:
        return [], errors, 0, counts
    if not isinstance(records, list):
        errors.append(RecordError(source, 0, "(file)", "expected a JSON array of records"))
        return [], errors, 0, counts
    declared = _argilla_question_types(path.parent)
    string_values: dict[str, list[str]] = {}
    for record in records:
        for question, responses in ((record or {}).get("responses") or {}).items() if isinstance(record, dict) else ():
            for response in responses or []:
                if isinstance(response, dict) and isinstance(response.get("value"), str):
                    string_values.setdefault(question, []).append(response["value"])
    guessed = {q: "choices" if len(set(v)) <= min(50, max(2, len(v) // 2)) else "textarea" for q, v in string_values.items()}
    items = []
    set_aside: set[tuple[str, int, str]] = set()  # (status, record, user): one user's discarded record counts once
    for index, record in enumerate(records, start=1):
        try:
            if not isinstance(record, dict):
                raise _Invalid("(record)", "expected an object")
            fields = record.get("fields")
            if not isinstance(fields, dict):
                raise _Invalid("fields", "missing (an Argilla record carries its input under 'fields')")
            item = _Item(index, None if record.get("id") is None else str(record["id"]), _text_of(fields, config, "fields."))
            counts.predictions += len(record.get("suggestions") or {})
            responses = record.get("responses") or {}
            if not isinstance(responses, dict):
                raise _Invalid("responses", "expected an object of question -> responses")
            for question, answers in responses.items():
                for position, response in enumerate(answers or []):
                    if not isinstance(response, dict):
                        raise _Invalid(f"responses.{question}[{position}]", "expected an object")
                    status = response.get("status") or "submitted"
                    if status in ("discarded", "draft"):
                        set_aside.add((status, index, str(response.get("user_id"))))
                        continue
                    kind, value = _argilla_value(response.get("value"))
                    kind = declared.get(question) or (guessed.get(question, "choices") if kind == "string" else kind)
                    if kind == "choices" and not isinstance(value, tuple):
                        value = (str(value),)
                    if kind == "labels":
                        counts.spans += len(response.get("value") or [])
                    if kind in ("labels", "ranking"):
                        value = None
                    item.answers.append(_Answer(_annotator_name(response.get("user_id")), str(question), kind, value))
            items.append(item)
        except _Invalid as exc:
            errors.append(RecordError(source, index, exc.field, exc.message))
    counts.cancelled += sum(status == "discarded" for status, *_ in set_aside)
    counts.drafts += sum(status == "draft" for status, *_ in set_aside)
    return items, errors, len(records), counts


# ---------------------------------------------------------------------------------------------------
# From items to records


def _finalise_kinds(items: list[_Item]) -> dict[str, str]:
    """Each question's type, in order of first appearance; a choice question where anyone picked several
    values is set-valued for everyone."""
    kinds: dict[str, str] = {}
    multiple: set[str] = set()
    for item in items:
        for answer in item.answers:
            kinds.setdefault(answer.question, answer.kind)
            if isinstance(answer.value, tuple) and len(answer.value) > 1:
                multiple.add(answer.question)
    for question in multiple:
        if kinds[question] in ("choices", "taxonomy"):
            kinds[question] += "-multiple"
    return kinds


def _label(value: Any, kind: str) -> str | None:
    if value is None:
        return None
    if kind.endswith("-multiple"):  # the set as a canonical JSON array, so equal sets are equal labels
        return json.dumps(sorted(set(value)), ensure_ascii=False)
    if isinstance(value, tuple):
        return value[0] if value else None
    return str(value)


def _headline(kinds: dict[str, str], config: Config) -> str | None:
    wanted = config.fields.question
    if wanted:
        if wanted not in kinds:
            raise ConfigError(f"fields.question: {wanted!r} is not a question of this export "
                              f"(questions: {', '.join(kinds) or 'none'})")
        return wanted
    for preferred in (CLASSIFICATION_TYPES[::2], CLASSIFICATION_TYPES):  # single-valued first, then sets
        for question, kind in kinds.items():
            if kind in preferred:
                return question
    return next((q for q, k in kinds.items() if k in JUDGED_LEVELS), None)


def _record(source: str, tool: str, item: _Item, kinds: dict[str, str], headline: str | None) -> Record:
    latest: dict[tuple[str, str, bool], Annotation] = {}
    target = None
    target_from_gold = False
    for answer in item.answers:
        kind = kinds[answer.question]
        label = _label(answer.value, kind)
        if kind == "textarea" and label and (target is None or (answer.is_gold and not target_from_gold)):
            target, target_from_gold = label, answer.is_gold
        if label is None or kind not in JUDGED_LEVELS:
            continue
        # one answer per annotator and question: a later annotation replaces an earlier one
        latest[(answer.annotator, answer.question, answer.is_gold)] = Annotation(
            answer.annotator, label, item.line, answer.question, answer.lead_time, answer.created_at, answer.is_gold)
    everything = tuple(latest.values())
    headline_ratings = tuple(a for a in everything if a.question == headline and not a.is_gold)
    gold = next((a.label for a in everything if a.question == headline and a.is_gold), None)
    from . import majority_label  # late: the loader imports this module for its hook

    label = gold if gold is not None else majority_label(headline_ratings)
    return Record(source, item.line, tool, item.text, target, label, item.item_id, headline_ratings, gold,
                  tuple(item.lines), question_annotations=everything)


def _keep_since(items: list[_Item], since: datetime | None, counts: _Counts) -> list[_Item]:
    """Only answers created after `since` (gold answers stay: they are the reference, not the batch);
    items left with no answer are not part of the batch."""
    if since is None:
        return items
    if since.tzinfo is None:
        since = since.replace(tzinfo=timezone.utc)
    kept = []
    for item in items:
        fresh = []
        dropped: set[tuple[str, str]] = set()
        for answer in item.answers:
            created = _parse_time(answer.created_at)
            if answer.is_gold or (created is not None and created > since):
                fresh.append(answer)
            else:
                dropped.add((answer.annotator, answer.created_at))
        counts.before_since += len(dropped)
        if any(not a.is_gold for a in fresh):
            item.answers = fresh
            kept.append(item)
    return kept


def _build(parts: list[tuple[str, str, int, list[_Item], list[RecordError]]], config: Config, tool: str, kind: str, counts: _Counts,
           *, name: str, since: datetime | None, latest_only: bool = False) -> Dataset:
    all_items = [item for *_, items, _ in parts for item in items]
    kept_ids = {id(item) for item in _keep_since(all_items, since, counts)}
    kinds = _finalise_kinds([item for item in all_items if id(item) in kept_ids])
    headline = _headline(kinds, config)
    records, errors, files = [], [], []
    total = invalid = 0
    for source, digest, rows, items, file_errors in parts:
        records += [_record(source, tool, item, kinds, headline) for item in items if id(item) in kept_ids]
        errors += file_errors
        invalid += len({e.line for e in file_errors if e.line > 0})
        total += rows
        files.append(InputFile(source, digest, rows))
    notes = []
    if kind in ("json_min", "csv"):
        notes.append(FLAT_EXPORT_NOTE)
    if latest_only:
        notes.append(LATEST_ONLY_NOTE)
    export = AnnotationExport(tool, kind, kinds, headline, counts.cancelled, counts.drafts, counts.predictions, counts.gold,
                              counts.spans, latest_only, since.isoformat() if since else "", counts.before_since, tuple(notes))
    first = Path(parts[0][0]) if parts else Path("export")
    dataset_name = name or config.dataset_name or first.stem
    errors.sort(key=lambda e: (e.source, e.line))
    return Dataset(dataset_name, files, records, errors, total, invalid, 0, export)


def read_export(paths: Iterable[str | Path], config: Config, *, role: str = "train", name: str = "",
                since: datetime | None = None) -> Dataset:
    """Read one or more exports of the same kind (audited as one dataset). since: keep only annotations
    created after it (the previous run of the same project), for auditing the new batch alone. role is taken
    for the loader's signature: an export reads the same whatever its role."""
    path_list = [Path(p) for p in paths]
    kinds = {detect_export(p) for p in path_list}
    if None in kinds or len(kinds) != 1:
        raise InputError(f"{path_list[0]}: an annotation-tool export cannot be audited together with files of another kind; "
                         "audit them separately")
    kind = kinds.pop()
    counts = _Counts()
    parts = []
    latest_only = True
    for path in path_list:
        file_path = path / "records.json" if path.is_dir() else path
        raw = _read(file_path)
        digest = hashlib.sha256(raw).hexdigest()
        source = str(file_path)
        if kind == "label_studio_json":
            json_errors: list[RecordError] = []
            tasks = _json_document(source, raw, json_errors)
            items, errors, rows, file_counts = _ls_items(tasks if tasks is not None else [], source, config)
            _add_counts(counts, file_counts)
            latest_only = False
            parts.append((source, digest, rows, items, json_errors + errors))
        elif kind in ("label_studio_min", "label_studio_csv"):
            items, errors, rows, file_counts, file_latest = _read_label_studio_flat(
                file_path, raw, "json_min" if kind == "label_studio_min" else "csv", config)
            _add_counts(counts, file_counts)
            latest_only = latest_only and file_latest
            parts.append((source, digest, rows, items, errors))
        elif kind == "prodigy":
            items, errors, rows, file_counts = _read_prodigy(file_path, raw, config)
            _add_counts(counts, file_counts)
            latest_only = False
            parts.append((source, digest, rows, items, errors))
        else:
            items, errors, rows, file_counts = _read_argilla(file_path, raw, config)
            _add_counts(counts, file_counts)
            latest_only = False
            parts.append((source, digest, rows, items, errors))
    tool, export_kind = {"label_studio_json": ("label_studio", "json"), "label_studio_min": ("label_studio", "json_min"),
                         "label_studio_csv": ("label_studio", "csv"), "prodigy": ("prodigy", "jsonl"),
                         "argilla": ("argilla", "records_json")}[kind]
    return _build(parts, config, tool, export_kind, counts, name=name, since=since, latest_only=latest_only)


def _add_counts(total: _Counts, part: _Counts) -> None:
    for name in vars(part):
        setattr(total, name, getattr(total, name) + getattr(part, name))
