"""Prodigy JSONL: one line per answer, `_input_hash` naming the item, `_annotator_id` (or the session) its annotator."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from ...config import Config
from ..values import Invalid, normalise_label, quoted
from ..records import RecordError
from .common import UNKNOWN_ANNOTATOR, Answer, Counts, Item, annotator_name, anonymous_annotator, count_on, entry_key, is_anonymous, json_message, text_of



PRODIGY_ANSWER_KEYS = {"answer", "label", "accept", "options", "spans", "tokens", "meta", "html", "image"}


def _prodigy_input(obj: dict, config: Config) -> dict:
    """The task's input fields: all of them when fields are named in config, else 'text' when present, else
    every field that is not Prodigy's own (underscored) or an answer."""
    if config.fields.text_fields or config.fields.text or "text" not in obj:
        return {k: v for k, v in obj.items() if not k.startswith("_") and k not in PRODIGY_ANSWER_KEYS}
    return {"text": obj["text"]}


def _option_ids(options: object) -> set[str] | None:
    """The ids a choice task offers, or None where the line does not list its options."""
    if not isinstance(options, list) or not options:
        return None
    return {str(option["id"]) for option in options if isinstance(option, dict) and option.get("id") is not None}


def read_prodigy(path: Path, raw: bytes, config: Config) -> tuple[list[Item], list[RecordError], int, Counts]:
    source = str(path)
    errors: list[RecordError] = []
    counts = Counts()
    items: dict[tuple[str, str], Item] = {}
    rows = 0
    for line, line_bytes in enumerate(raw.removeprefix(b"\xef\xbb\xbf").split(b"\n"), start=1):
        if not line_bytes.strip():
            continue
        rows += 1
        try:
            try:
                line_text = line_bytes.decode("utf-8")
            except UnicodeDecodeError as exc:  # listed, as the JSONL reader lists it, never read as U+FFFD
                raise Invalid("(encoding)", f"line is not valid UTF-8 (byte {exc.start + 1})") from exc
            try:
                obj = json.loads(line_text)
            except json.JSONDecodeError as exc:
                raise Invalid("(json)", f"invalid JSON: {json_message(exc)} at column {exc.colno}") from exc
            if not isinstance(obj, dict):
                raise Invalid("(record)", "expected a JSON object")
            answer = obj.get("answer")
            if answer not in ("accept", "reject", "ignore"):
                raise Invalid("answer", "expected accept, reject or ignore")
            key = str(obj["_input_hash"]) if obj.get("_input_hash") is not None else None
            if key is None:
                raise Invalid("_input_hash", "missing (Prodigy's input hash identifies the item)")
            text = text_of(_prodigy_input(obj, config), config)
            # keyed by the input text too: a hash shared by different texts (a custom hash, a premise hashed for
            # a pair) is two items, as in the join of several files, never one item whose answers replace each other
            item = items.get((key, text))
            if item is None:
                item = items[(key, text)] = Item(line, key, text)
            item.lines.append(line)
            if answer == "ignore":
                counts.cancelled += 1
                continue
            named = obj.get("_annotator_id") or obj.get("_session_id")
            stamp = obj.get("_timestamp")
            created = datetime.fromtimestamp(stamp, timezone.utc).isoformat() if isinstance(stamp, (int, float)) else ""
            if obj.get("spans"):
                counts.spans += len(obj["spans"])
            accepted = obj.get("accept")
            if accepted is not None and not isinstance(accepted, list):
                # a bare id would be read as a binary task's accept / reject, a question nobody asked
                raise Invalid("accept", f"expected a list of the chosen option ids, got {quoted(accepted)} "
                                        "(write [\"id\"])")
            if isinstance(accepted, list):
                if answer == "reject":
                    # A reject in a choice interface says "none of these options / the example is wrong": not a
                    # class (it would become a training label), so neither a rating nor a label; counted.
                    counts.rejected += 1
                    continue
                # the recipe's choice_style says whether several options may be chosen
                several = isinstance(obj.get("config"), dict) and obj["config"].get("choice_style") == "multiple"
                if not obj["accept"] and not several:
                    # accepted with nothing chosen where one option is asked for: not an answer, but counted (on
                    # the item, so that a line read twice, in a copied file, counts once); where several may be
                    # chosen, none chosen says "none apply", an answer
                    count_on(item, counts, "empty", entry_key(obj))
                    continue
                offered = _option_ids(obj.get("options"))
                if offered is not None and any(str(chosen) not in offered for chosen in accepted):
                    count_on(item, counts, "off_options", entry_key(obj))
                question, kind, value = "accept", "choices-multiple" if several else "choices", tuple(str(v) for v in accepted)
            elif obj.get("label") not in (None, "") and (label_question := normalise_label(str(obj["label"]))):
                # the label names the question: "ENTAILMENT " is the question "ENTAILMENT", as the label would be
                question, kind, value = label_question, "answer", answer
            elif obj.get("spans"):
                question, kind, value = "spans", "labels", None
            else:
                question, kind, value = "answer", "answer", answer
            annotator = annotator_name(named) if named else UNKNOWN_ANNOTATOR
            if annotator == UNKNOWN_ANNOTATOR:
                # No annotator known: each answer is its own anonymous rater, so the item's answers all count
                # (alpha needs only the values per item) instead of collapsing into one "(unknown)" answer.
                counts.anonymous += 1
                taken = sum(a.question == question and is_anonymous(a.annotator) for a in item.answers)
                annotator = anonymous_annotator(taken + 1)
            item.answers.append(Answer(annotator, question, kind, value, created_at=created, answered_at=created))
        except Invalid as exc:
            errors.append(RecordError(source, line, exc.field, exc.message))
    return list(items.values()), errors, rows, counts
