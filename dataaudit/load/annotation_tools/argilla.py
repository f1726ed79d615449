"""Argilla 2.x: a dataset folder's records.json, with question types from its settings where present."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ...config import Config
from ..values import Invalid
from ..records import RecordError
from .common import Answer, Counts, Item, annotator_name, json_document, new_item, number_text



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
        return "number", number_text(value)
    if isinstance(value, str):
        return "string", value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "choices-multiple", tuple(value)
    if isinstance(value, list) and value and isinstance(value[0], dict) and "rank" in value[0]:
        return "ranking", None
    return "labels", None


def read_argilla(path: Path, raw: bytes, config: Config) -> tuple[list[Item], list[RecordError], int, Counts]:
    source = str(path)
    errors: list[RecordError] = []
    counts = Counts()
    records = json_document(source, raw, errors)
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
            item = new_item(record, index, config, counts, what="record", input_key="fields",
                            predictions_key="suggestions", carrier="an Argilla record")
            responses = record.get("responses") or {}
            if not isinstance(responses, dict):
                raise Invalid("responses", "expected an object of question -> responses")
            for question, answers in responses.items():
                for position, response in enumerate(answers or []):
                    if not isinstance(response, dict):
                        raise Invalid(f"responses.{question}[{position}]", "expected an object")
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
                    item.answers.append(Answer(annotator_name(response.get("user_id")), str(question), kind, value))
            items.append(item)
        except Invalid as exc:
            errors.append(RecordError(source, index, exc.field, exc.message))
    counts.cancelled += sum(status == "discarded" for status, *_ in set_aside)
    counts.drafts += sum(status == "draft" for status, *_ in set_aside)
    return items, errors, len(records), counts
