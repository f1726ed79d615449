"""Label Studio exports: the full JSON (tasks with annotations) and the flat JSON-MIN and CSV exports."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from ...config import Config
from ..files import allow_long_csv_cells
from ..values import Invalid, key_name, quoted
from ..records import Dataset, RecordError
from .common import (JUDGED_LEVELS, LS_META_COLUMNS, SPAN_TYPES, UNKNOWN_ANNOTATOR, Answer, Counts, Item, annotator_name, anonymous_annotator,
                     anonymous_note, is_anonymous, count_on, entry_key, float_or_none,
                     json_document, new_item, number_text, string_answers_kind, text_of, unreadable)
from .build import build_dataset



class _NoValue(Exception):
    """A result that holds no value (`value: {}`, `choices: [null]`): nothing was answered, counted as empty."""


def _ls_result_answer(item: dict, annotator: str, meta: dict, counts: Counts) -> Answer | None:
    kind = str(item.get("type", "")).lower()
    question = item.get("from_name")
    value = item.get("value")
    if not isinstance(question, str) or not isinstance(value, dict):
        raise Invalid("result", "a result item needs 'from_name' and a 'value' object")
    if kind == "choices":
        # a null choice is no choice: str(None) would make "None" a label
        choices = tuple(str(c) for c in value.get("choices") or [] if c is not None)
        if not choices:
            raise _NoValue
        return Answer(annotator, question, "choices", choices, **meta)
    if kind == "taxonomy":
        paths = tuple(" / ".join(map(str, p)) for p in value.get("taxonomy") or [] if p)
        if not paths:
            raise _NoValue
        return Answer(annotator, question, "taxonomy", paths, **meta)
    if kind in ("rating", "number") and value.get(kind) is None:
        raise _NoValue
    if kind == "rating":
        return Answer(annotator, question, "rating", number_text(value["rating"]), **meta)
    if kind == "number":
        return Answer(annotator, question, "number", number_text(value["number"]), **meta)
    if kind == "textarea":
        return Answer(annotator, question, "textarea", "\n".join(map(str, value.get("text") or [])), **meta)
    if kind in SPAN_TYPES:
        counts.spans += 1
        return Answer(annotator, question, "labels", None, **meta)
    return Answer(annotator, question, kind or "other", None, **meta)


def _questions(tasks: list) -> dict[str, str]:
    """Each question the file's annotations answer, by kind ("-multiple" where someone chose several), so that an
    annotation with an empty result can be read by what it was asked: no choice, no entity, or "none apply"."""
    kinds: dict[str, str] = {}
    for task in tasks:
        annotations = (task.get("annotations", task.get("completions")) or []) if isinstance(task, dict) else []
        for annotation in annotations if isinstance(annotations, list) else []:
            for result in (annotation.get("result") or []) if isinstance(annotation, dict) else []:
                if not isinstance(result, dict) or not isinstance(result.get("from_name"), str):
                    continue
                kind = str(result.get("type", "")).lower()
                kind = "labels" if kind in SPAN_TYPES else kind
                value = result.get("value") if isinstance(result.get("value"), dict) else {}
                several = len(value.get(kind) or []) > 1 if kind in ("choices", "taxonomy") else False
                question = result["from_name"]
                if several or not kinds.get(question, "").endswith("-multiple"):
                    kinds[question] = kind + ("-multiple" if several else "")
    return kinds


def _empty_result(item: Item, annotation: dict, annotator: str, meta: dict, questions: dict[str, str], counts: Counts) -> None:
    """A submitted annotation with an empty result. To a multi-label question it says "none apply": that
    answer ([]); to a single-choice question it is nothing chosen, no answer: counted; to a span question (NER)
    it says "no entities", which is an answer, not judged and not counted as empty."""
    for question, kind in questions.items():
        if kind.endswith("-multiple"):
            item.answers.append(Answer(annotator, question, kind, (), **meta))
    if not questions or any(kind in JUDGED_LEVELS and not kind.endswith("-multiple") for kind in questions.values()):
        count_on(item, counts, "empty", entry_key(annotation))


def _ls_task(task: Any, index: int, config: Config, counts: Counts, questions: dict[str, str] | None = None) -> Item:
    item = new_item(task, index, config, counts, what="task", input_key="data", predictions_key="predictions",
                    carrier="a Label Studio task")
    annotations = task.get("annotations", task.get("completions")) or []
    if not isinstance(annotations, list):
        raise Invalid("annotations", "expected a list")
    for position, annotation in enumerate(annotations):
        if not isinstance(annotation, dict):
            raise Invalid(f"annotations[{position}]", "expected an object")
        if annotation.get("was_cancelled") or annotation.get("skipped"):
            count_on(item, counts, "cancelled", entry_key(annotation))
            continue
        is_gold = bool(annotation.get("ground_truth"))
        if is_gold:
            count_on(item, counts, "gold", entry_key(annotation))
        annotator = annotator_name(annotation.get("completed_by"))
        if annotator == UNKNOWN_ANNOTATOR:
            # No annotator known (no completed_by, or a user object with neither id nor email): each such
            # annotation is its own anonymous rater, numbered in its task, so the task's answers all count (alpha
            # needs only the values per item), as Prodigy's reader does; noted. A task split across files is
            # numbered in each file: the builder tells its answers apart again
            counts.anonymous += 1
            annotator = anonymous_annotator(len({a.annotator for a in item.answers if is_anonymous(a.annotator)}) + 1)
        created = str(annotation.get("created_at") or "")
        meta = {"lead_time": float_or_none(annotation.get("lead_time")), "created_at": created, "is_gold": is_gold,
                "answered_at": str(annotation.get("updated_at") or created),
                "answer_id": "" if annotation.get("id") is None else str(annotation["id"])}
        if not annotation.get("result"):
            _empty_result(item, annotation, annotator, meta, questions or {}, counts)
        for result in annotation.get("result") or []:
            try:
                answer = _ls_result_answer(result, annotator, meta, counts)
            except _NoValue:
                count_on(item, counts, "empty", entry_key([entry_key(annotation), result]))
                continue
            except (Invalid, KeyError, TypeError, ValueError) as exc:
                message = exc.message if isinstance(exc, Invalid) else unreadable(exc)
                raise Invalid(f"annotations[{position}].result", message) from exc
            if answer is not None:
                item.answers.append(answer)
    return item


def label_studio_items(tasks: Any, source: str, config: Config) -> tuple[list[Item], list[RecordError], int, Counts]:
    errors: list[RecordError] = []
    counts = Counts()
    items: list[Item] = []
    if not isinstance(tasks, list):
        return items, [RecordError(source, 0, "(file)", "expected a JSON array of tasks")], 0, counts
    questions = _questions(tasks)
    for index, task in enumerate(tasks, start=1):
        try:
            items.append(_ls_task(task, index, config, counts, questions))
        except Invalid as exc:
            errors.append(RecordError(source, index, exc.field, exc.message))
    return items, errors, len(tasks), counts


def read_label_studio_tasks(tasks: Any, source: str, config: Config, *, sha256: str = "", role: str = "train", name: str = "",
                            since: datetime | None = None) -> Dataset:
    """A Label Studio full JSON export (the parsed array of tasks) as a Dataset; the server client reads
    what it fetched through this, so a file and a fetch give the same records. role: as in read_export."""
    items, errors, rows, counts = label_studio_items(tasks, source, config)
    return build_dataset([(source, sha256, rows, items, errors)], config, "label_studio", "json", counts, name=name, since=since,
                         notes=anonymous_note(source, counts.anonymous, "label_studio"))


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
        return "number", number_text(value)
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        first = value[0]
        if "rating" in first:
            return "rating", number_text(first["rating"])
        if "number" in first:
            return "number", number_text(first["number"])
        if "taxonomy" in first:
            return "taxonomy", tuple(" / ".join(map(str, p)) for p in first["taxonomy"])
        if "choices" in first:  # per-region choices: not one answer per task
            return "other", None
        return "labels", None
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "textarea", "\n".join(value)
    raise Invalid(key_name(column), f"unrecognised answer value {quoted(value)}")


def read_label_studio_flat(path: Path, raw: bytes, kind: str,
                           config: Config) -> tuple[list[Item], list[RecordError], int, Counts, bool, list[str]]:
    source = str(path)
    errors: list[RecordError] = []
    counts = Counts()
    if kind == "json_min":
        rows, met = json_document(source, raw, errors)
        if rows is None:
            return [], errors, 0, counts, False, []
        if not isinstance(rows, list):
            errors.append(RecordError(source, 0, "(file)", "expected a JSON array of rows"))
            return [], errors, 0, counts, False, []
        numbered = list(enumerate(rows, start=1))
    else:
        try:
            numbered = _csv_export_rows(source, raw, errors)
        except (UnicodeDecodeError, csv.Error) as exc:
            errors.append(RecordError(source, 0, "(csv)", f"cannot parse the CSV export: {exc}"))
            return [], errors, 0, counts, False, []
    input_columns, unsure = _flat_input_columns(numbered, kind, config)
    notes = []
    if unsure:
        notes.append(f"{source}: the input fields were told from the values, and no task has several rows to tell "
                     f"task data from answers: read {', '.join(map(key_name, input_columns)) or 'none'} as the input; name the input "
                     "fields with fields.text_fields to be exact")
    string_kinds = _string_column_kinds(numbered, input_columns)
    items: dict[str, Item] = {}
    for line, row in numbered:
        if row is None:  # a CSV row cut short or too wide, reported where it was read
            continue
        try:
            if not isinstance(row, dict):
                raise Invalid("(row)", "expected an object")
            if row.get("id") in (None, ""):
                raise Invalid("id", "missing (the task id groups a task's annotations)")
            task_id = str(row["id"])
            data = {(c[len("_data_"):] if c.startswith("_data_") else c): row[c] for c in input_columns if c in row}
            item = items.get(task_id)
            if item is None:
                item = items[task_id] = Item(line, task_id, text_of(data, config) if data else "")
            item.lines.append(line)
            annotator = annotator_name(row.get("annotator"))
            if annotator == UNKNOWN_ANNOTATOR:
                continue  # a task nobody annotated
            created = str(row.get("created_at") or "")
            meta = {"lead_time": float_or_none(row.get("lead_time")), "created_at": created,
                    "answered_at": str(row.get("updated_at") or created),
                    "answer_id": "" if row.get("annotation_id") in (None, "") else str(row["annotation_id"])}
            for column, value in row.items():
                if column in LS_META_COLUMNS or column in input_columns or value in (None, ""):
                    continue
                try:
                    cell_kind, parsed = _flat_value(value, column)
                except (KeyError, TypeError, ValueError) as exc:  # a rating that is no number: that row's error
                    raise Invalid(key_name(column), unreadable(exc)) from exc
                if cell_kind == "string":
                    cell_kind = string_kinds.get(column, "textarea")
                    parsed = (parsed,) if cell_kind == "choices" else parsed
                if cell_kind == "labels":
                    counts.spans += 1
                item.answers.append(Answer(annotator, column, cell_kind, parsed, **meta))
        except Invalid as exc:
            errors.append(RecordError(source, line, exc.field, exc.message))
    latest_only = bool(items) and all(len({a.annotator for a in i.answers}) <= 1 for i in items.values())
    # a JSON-MIN element cut off is counted, as the plain reader counts it
    return list(items.values()), errors, met if kind == "json_min" else len(numbered), counts, latest_only, notes


def _csv_export_rows(source: str, raw: bytes, errors: list[RecordError]) -> list[tuple[int, dict | None]]:
    """A CSV (TSV) export's rows, numbered as data rows, with their non-empty cells. Label Studio writes every
    column in every row, so a row with fewer cells than the header was cut short: the last one of an export cut
    off mid-way (a download stopped early) ends the file with no line end. It is an error, not read, as the cut
    element of a JSON export is: its last cell is cut (the text of another input, an answer half written) and the
    cells after it are missing, which a reader filling them with empty values took for unanswered."""
    text = raw.decode("utf-8-sig")
    allow_long_csv_cells()
    reader = csv.reader(io.StringIO(text, newline=""), delimiter="\t" if source.lower().endswith(".tsv") else ",")
    header = next(reader, [])
    width = len(header)
    rows: list[list[str]] = [cells for cells in reader if cells and (len(cells) > 1 or cells[0].strip())]
    ends_mid_row = not text.endswith(("\n", "\r"))
    numbered: list[tuple[int, dict | None]] = []
    for number, cells in enumerate(rows, start=1):
        if len(cells) > width:
            errors.append(RecordError(source, number, "(csv)", f"row has {len(cells)} cells but the header has {width}; "
                                                                "not read"))
            numbered.append((number, None))
        elif len(cells) < width:
            cut = (f"the file ends inside this row ({len(cells)} of the header's {width} cells): the export was cut "
                   "off mid-way (a download stopped early?), so this row was not read and any rows after it are "
                   "missing; export it again"
                   if number == len(rows) and ends_mid_row else
                   f"row has {len(cells)} of the header's {width} cells (cut short?); not read")
            errors.append(RecordError(source, number, "(csv)", cut))
            numbered.append((number, None))
        else:
            numbered.append((number, {name: value for name, value in zip(header, cells) if value != ""}))
    return numbered


def _label_studio_key_order(keys: list[str]) -> bool:
    """Whether a JSON-MIN row's keys are in the order Label Studio writes them: the task data, then `id`, then
    the answers and the annotation's own fields. A file re-serialised with sorted keys (jq -S, sort_keys=True)
    puts `annotation_id` and `annotator` before `id`, and its key order then says nothing."""
    return "id" in keys and not any(key in LS_META_COLUMNS for key in keys[:keys.index("id")])


def _flat_input_columns(rows: list[tuple[int, Any]], kind: str, config: Config) -> tuple[list[str], bool]:
    """The task-data columns of a flat export, and whether they were inferred where the values cannot tell
    (no task has several rows). Named in config, else (JSON-MIN in Label Studio's key order) the keys before
    'id', else (CSV, whose columns are sorted, or JSON-MIN re-serialised) the text columns that are the same in
    every row of a task and differ between most tasks."""
    wanted = config.fields.text_fields or ([config.fields.text] if config.fields.text else [])
    dicts = [row for _, row in rows if isinstance(row, dict)]
    if wanted:
        return [c for c in wanted] + [f"_data_{c}" for c in wanted], False
    if not dicts:
        return [], False
    if kind == "json_min" and _label_studio_key_order(list(dicts[0])):
        keys = list(dicts[0])
        return keys[:keys.index("id")], False
    columns = list(dict.fromkeys(c for row in dicts for c in row if c not in LS_META_COLUMNS))
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
    if shared and not [c for c in columns if c not in chosen]:
        # Every column is the same in every row of a task: annotators who always agree repeat their answer as
        # task data repeats. An answer column is certain (the export is of annotations), so the columns that
        # read as a label set are the answers, while another column is left to be the input: where every one
        # reads so (two rows of a short text read as a label given twice), the one with the most values.
        labels = [c for c in chosen if not c.startswith("_data_")
                  and string_answers_kind([r[c] for r in dicts if isinstance(r.get(c), str)]) == "choices"]
        if len(labels) == len(chosen) > 1:
            labels.remove(max(labels, key=lambda c: len({rows_[0].get(c) for rows_ in by_task.values()})))
        chosen = [c for c in chosen if c not in labels]
    return chosen, not shared or not chosen


def _string_column_kinds(rows: list[tuple[int, Any]], input_columns: list[str]) -> dict[str, str]:
    """A plain-string answer column is a single choice when its values read as a label set, free text otherwise."""
    values: dict[str, list[str]] = {}
    for _, row in rows:
        if not isinstance(row, dict):
            continue
        for column, value in row.items():
            if column not in LS_META_COLUMNS and column not in input_columns and isinstance(value, str) \
                    and value and not value.lstrip().startswith(("{", "[")):
                values.setdefault(column, []).append(value)
    return {column: string_answers_kind(column_values) for column, column_values in values.items()}
