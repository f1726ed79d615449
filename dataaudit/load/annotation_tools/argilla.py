"""Argilla: a 2.x dataset folder's records.json (responses by question), with question types from its settings
where present (`.argilla/settings.json`, as `Dataset.to_disk` writes it, or a settings.json beside the records);
and a 1.x FeedbackDataset export (responses a list of {user_id, values: {question: {value}}, status})."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ...config import Config
from ..values import Invalid, key_name
from ..records import RecordError
from .common import (UNKNOWN_ANNOTATOR, Answer, Counts, Item, annotator_name, anonymous_annotator, count_on, entry_key,
                     is_anonymous, json_document, new_item, number_text, string_answers_kind)



ARGILLA_TYPES = {"label_selection": "choices", "multi_label_selection": "choices-multiple", "rating": "rating",
                 "text": "textarea", "span": "labels", "ranking": "ranking"}


def _argilla_question_types(folder: Path | None) -> dict[str, str]:
    """Question types from the settings that `Dataset.to_disk` writes (`.argilla/settings.json`; a
    settings.json beside records.json is read too)."""
    if folder is None:
        return {}
    found = next((p for p in (folder / ".argilla" / "settings.json", folder / "settings.json") if p.is_file()), None)
    if found is None:
        return {}
    try:
        settings = json.loads(found.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(settings, dict):
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


def _responses(record: dict) -> dict[str, list]:
    """A record's responses by question: Argilla 2.x writes {question: [{value, user_id, status}]}; 1.x
    (FeedbackDataset) a list of {user_id, values: {question: {value}}, status}, read here as the same answers."""
    responses = record.get("responses") or {}
    if isinstance(responses, dict):
        for question, answers in responses.items():
            if answers is not None and not isinstance(answers, list):
                raise Invalid(f"responses.{key_name(question)}", "expected a list of responses")
        return responses
    if not isinstance(responses, list):
        raise Invalid("responses", "expected an object of question -> responses (Argilla 2.x) or a list of responses (1.x)")
    by_question: dict[str, list] = {}
    for position, response in enumerate(responses):
        values = response.get("values") if isinstance(response, dict) else None
        if not isinstance(values, dict):
            raise Invalid(f"responses[{position}]", "expected an object with 'values' (an Argilla 1.x response)")
        for question, value in values.items():
            by_question.setdefault(str(question), []).append(
                {"value": value.get("value") if isinstance(value, dict) else value,
                 "user_id": response.get("user_id"), "status": response.get("status")})
        if not values and response.get("status") in ("discarded", "draft"):  # a discarded record answers nothing
            by_question.setdefault("", []).append({"value": None, "user_id": response.get("user_id"), "status": response["status"]})
    return by_question


def read_argilla(path: Path, raw: bytes, config: Config) -> tuple[list[Item], list[RecordError], int, Counts]:
    source = str(path)
    errors: list[RecordError] = []
    counts = Counts()
    records, rows = json_document(source, raw, errors)
    if records is None:
        return [], errors, 0, counts
    if not isinstance(records, list):
        errors.append(RecordError(source, 0, "(file)", "expected a JSON array of records"))
        return [], errors, 0, counts
    declared = _argilla_question_types(path.parent)
    string_values: dict[str, list[str]] = {}
    for record in records:
        try:
            by_question = _responses(record) if isinstance(record, dict) else {}
        except Invalid:
            continue  # listed when the record is read below
        for question, responses in by_question.items():
            for response in responses or []:
                if isinstance(response, dict) and isinstance(response.get("value"), str):
                    string_values.setdefault(question, []).append(response["value"])
    guessed = {question: string_answers_kind(values) for question, values in string_values.items()}
    items = []
    set_aside: set[tuple[str, int, str]] = set()  # (status, record, user): one user's discarded record counts once
    for index, record in enumerate(records, start=1):
        try:
            item = new_item(record, index, config, counts, what="record", input_key="fields",
                            predictions_key="suggestions", carrier="an Argilla record")
            if item.item_id is None and record.get("external_id") is not None:  # Argilla 1.x names records so
                item.item_id = str(record["external_id"])
            for question, answers in _responses(record).items():
                for position, response in enumerate(answers or []):
                    if not isinstance(response, dict):
                        raise Invalid(f"responses.{key_name(question)}[{position}]", "expected an object")
                    status = response.get("status") or "submitted"
                    if status in ("discarded", "draft"):
                        set_aside.add((status, index, str(response.get("user_id"))))
                        continue
                    if response.get("value") is None:  # no answer given (the question left blank): not a label
                        counts.unanswered += 1
                        continue
                    kind, value = _argilla_value(response.get("value"))
                    kind = declared.get(question) or (guessed.get(question, "choices") if kind == "string" else kind)
                    if kind == "choices" and not isinstance(value, tuple):
                        value = (str(value),)
                    # nothing chosen: no answer to a single choice (counted), "none apply" to a multi-label one (kept)
                    if kind == "choices" and value == ():
                        count_on(item, counts, "empty", entry_key([question, response]))
                        continue
                    if kind == "labels":
                        counts.spans += len(response.get("value") or [])
                    if kind in ("labels", "ranking"):
                        value = None
                    annotator = annotator_name(response.get("user_id"))
                    if annotator == UNKNOWN_ANNOTATOR:
                        # as in the other readers: each unnamed response its own anonymous answer, numbered in its
                        # record and question, rather than one "(unknown)" whose later responses replace the earlier
                        counts.anonymous += 1
                        annotator = anonymous_annotator(1 + sum(a.question == str(question) and is_anonymous(a.annotator)
                                                                for a in item.answers))
                    item.answers.append(Answer(annotator, str(question), kind, value))
            items.append(item)
        except Invalid as exc:
            errors.append(RecordError(source, index, exc.field, exc.message))
    counts.cancelled += sum(status == "discarded" for status, *_ in set_aside)
    counts.drafts += sum(status == "draft" for status, *_ in set_aside)
    return items, errors, rows, counts
