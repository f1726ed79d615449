"""What every tool's reader shares: the one vocabulary of question types, the items and answers a reader
produces, the counts of what is not judged, and small value helpers.
"""

from __future__ import annotations

import io
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ...config import Config
from ...errors import InputError
from ...excerpt import plain_excerpt
from ..files import NO_SUCH_FILE, JsonArrayError, JsonArrayWalk
# the plain reader's wording of a decode error (its dangling "starting at" / "at" dropped, our position added
# once), so a line or a cut-off array reads the same in an export as in a plain file
from ..files import json_message
from ..values import Invalid
from ..records import RecordError


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
NUMERIC_TYPES = ("rating", "number")  # a tool's typed scales: their values are numbers, ordered as numbers
LEVELLED_TYPES = ("choices", *NUMERIC_TYPES)  # the types whose level the configured one may set


def question_level(kind: str, configured: str, headline: bool, level_named: bool = False) -> str:
    """The level a question is judged at (the agreement check) and its ties broken on (the training label): its
    type's, except for the headline question, which takes the configured level where its type has a single value on
    a scale (a Likert scale asked as choices, a rating judged as interval). A rating or number keeps its type's
    level against the default nominal; against a nominal level that was named (level_named: a flag or an
    override) it is compared as categories. The other questions keep their type's level: a second, nominal choice
    question has no order to give."""
    level = JUDGED_LEVELS[kind]
    if not headline or kind not in LEVELLED_TYPES:
        return level
    if kind == "choices" or configured != "nominal" or level_named:
        return configured
    return level


def question_order(kind: str, level: str, ordinal_order, headline: bool) -> list[str]:
    """The configured ordinal order where it applies: to the headline question at ordinal level, unless a tool
    typed it a rating or number, whose values keep their numeric order."""
    return list(ordinal_order) if headline and level == "ordinal" and kind not in NUMERIC_TYPES else []
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
class Answer:
    annotator: str
    question: str
    kind: str  # a key of the question-type vocabulary above
    value: Any  # tuple of strings (choices, taxonomy paths), str (scalar), or None (spans, not judged)
    lead_time: float | None = None
    created_at: str = ""
    is_gold: bool = False
    source: str = ""  # the file it was read from, where not its item's (an item joined across files)
    # When the answer was last saved (Label Studio updated_at, else created_at; Prodigy _timestamp): an annotator
    # answering an item twice keeps the newer answer, whatever order the files or lines come in
    answered_at: str = ""
    answer_id: str = ""  # the tool's id of the annotation, where it has one: one id in two files is one answer


@dataclass
class Item:
    line: int
    item_id: str | None
    text: str
    answers: list[Answer] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    # What this item added to the export's Counts, by count name (predictions, cancelled, gold): each entry's
    # identity, so an item joined from several files of one export counts a repeated entry once (see count_on)
    counted: dict[str, Counter] = field(default_factory=dict)


@dataclass
class Counts:
    cancelled: int = 0
    drafts: int = 0
    predictions: int = 0
    gold: int = 0
    spans: int = 0
    before_since: int = 0
    unanswered: int = 0  # responses with no value (Argilla `value: null`), skipped
    rejected: int = 0  # Prodigy choice-interface rejects: "none of these options / the example is wrong", not a label
    anonymous: int = 0  # answers naming no annotator: Prodigy's without _annotator_id or _session_id, Label Studio's
    # without completed_by, Argilla's without user_id
    empty: int = 0  # submitted answers holding no value (Label Studio `result: []`, Prodigy `accept: []`)
    superseded: int = 0  # earlier answers of an annotator who answered the same question of an item again
    off_options: int = 0  # Prodigy choice answers naming an option the task does not offer (kept: what was submitted)



def count_on(item: Item, counts: Counts, name: str, key: Any) -> None:
    """Count one entry (a prediction, a cancelled or gold annotation) under `name`, remembering on its item
    which entry it was: when the item is joined with the same item from another file, entries both files hold
    are taken off again (a multiset: two equal entries in one file still count twice)."""
    item.counted.setdefault(name, Counter())[key] += 1
    setattr(counts, name, getattr(counts, name) + 1)


def entry_key(entry: Any) -> str:
    """An exported entry's identity: its id where it has one, else its whole content."""
    if isinstance(entry, dict) and entry.get("id") is not None:
        return f"id:{entry['id']}"
    return json.dumps(entry, sort_keys=True, ensure_ascii=False, default=str)


def text_of(data: dict, config: Config, prefix: str = "") -> str:
    """The input text: the configured fields in order, else every string field in order."""
    wanted = config.fields.text_fields or ([config.fields.text] if config.fields.text else [])
    if wanted:
        missing = [name for name in wanted if name not in data]
        if missing:
            raise Invalid(prefix + missing[0], "missing (named in fields.text_fields)")
        return "\n".join(str(data[name]) for name in wanted if data[name] is not None)
    texts = [value for value in data.values() if isinstance(value, str) and value.strip()]
    if not texts:
        raise Invalid(prefix.rstrip(".") or "(record)", "no text field (name the input fields with fields.text_fields)")
    return "\n".join(texts)


def new_item(record: Any, index: int, config: Config, counts: Counts, *, what: str, input_key: str,
             predictions_key: str, carrier: str) -> Item:
    """An item from one exported record: the tools differ in where they keep the input and the model's
    suggestions, not in how a missing one is reported."""
    if not isinstance(record, dict):
        raise Invalid(f"({what})", f"expected a {what} object")
    data = record.get(input_key)
    if not isinstance(data, dict):
        raise Invalid(input_key, f"missing ({carrier} carries its input under '{input_key}')")
    item = Item(index, None if record.get("id") is None else str(record["id"]), text_of(data, config, f"{input_key}."))
    predictions = record.get(predictions_key) or {}
    # a list (Label Studio predictions) or {question: suggestion} (Argilla 2.x): one count per entry
    for entry in (predictions.items() if isinstance(predictions, dict) else predictions):
        count_on(item, counts, "predictions", entry_key(list(entry) if isinstance(predictions, dict) else entry))
    return item


# A label is a name, free text a sentence: where values are given only once or twice each (fewer than
# LABEL_REPEATS answers a value), a typical value past this many characters reads as written, not chosen, and so
# does one given once past LABEL_NAME_WORDS words or with sentence punctuation. Words and punctuation judge only
# the one-offs: a small rubric's "very helpful and correct", chosen twice, is an option picked again, not a
# sentence written twice. Values given again and again are a label set whatever their length (a rubric's "The
# response is helpful and fully correct here").
LABEL_NAME_CHARS = 40
LABEL_NAME_WORDS = 2
LABEL_REPEATS = 3
# Free text may repeat a stock phrase ("ok", "n/a"), but most of it is written once; each value of a label set
# is given again, on another item or by another annotator: at most this share of the answers may be one-offs.
LABEL_ONE_OFF_SHARE = 0.2
# Below this many answers a label set's rarer values are one-offs too (a rating "1"-"5" on 5 items by 2
# annotators gives three of its ten answers once), so the share says nothing.
LABEL_ONE_OFF_MIN_ANSWERS = 30
# Below this many answers a large label set has not yet shown its repeats (100 answers of Banking77's 77
# intents hold 60 of them, most once), so values that all read as names (one word, an identifier such as
# `card_arrival`) are a label set by their shape; past it, names that still mostly do not repeat are free text.
LABEL_SHAPE_DECIDES_BELOW = 150
_SENTENCE_PUNCTUATION = re.compile(r"[,;!?]|\.(\s|$)")


# an identifier: words joined by _ - . / : (`card_arrival`, `en-US`, `4.5`, `n/a`), whatever its length, and in
# Banking77 once with a question mark (`reverted_card_payment?`)
_IDENTIFIER = re.compile(r"[-+]?\w+(?:[-_./:]\w+)+[?!]?")


def _reads_as_name(value: str) -> bool:
    """A single word (`positive`, `5`) or an identifier (`card_arrival`): how a label is named."""
    value = value.strip()
    if _IDENTIFIER.fullmatch(value):
        return True
    return 0 < len(value) <= LABEL_NAME_CHARS and len(value.split()) == 1 and not _SENTENCE_PUNCTUATION.search(value)


def _reads_as_written(value: str, times_given: int) -> bool:
    """Long, or given once with several words or a sentence's punctuation: how an answer is written."""
    if len(value) > LABEL_NAME_CHARS:
        return True
    return times_given == 1 and (len(value.split()) > LABEL_NAME_WORDS or bool(_SENTENCE_PUNCTUATION.search(value.strip())))


def string_answers_kind(values: list[str]) -> str:
    """A question answered in plain strings, with no type written in the export: "choices" when its values
    read as a label set, "textarea" (free text) otherwise. Told by the values themselves, never by a fixed
    number of labels (Banking77 has 77 intents): a label set repeats few values, each of them again and
    again, on one line; in an export too small to show that, its values are names, free text is written."""
    if not values:
        return "textarea"
    counts = Counter(values)
    if any("\n" in value or "\r" in value for value in counts):
        return "textarea"
    # the shape first: a small export's distinct values say nothing yet of whether they repeat
    if len(values) < LABEL_SHAPE_DECIDES_BELOW and all(_reads_as_name(value) for value in counts):
        return "choices"
    if len(values) < LABEL_REPEATS * len(counts) and 2 * sum(_reads_as_written(v, n) for v, n in counts.items()) > len(counts):
        return "textarea"
    if len(counts) > max(2, len(values) // 2):
        return "textarea"
    one_offs = sum(1 for count in counts.values() if count == 1)
    if len(values) >= LABEL_ONE_OFF_MIN_ANSWERS and one_offs > LABEL_ONE_OFF_SHARE * len(values):
        return "textarea"
    return "choices"


def unreadable(exc: Exception) -> str:
    """What a value that cannot be read as its kind says: Python's words quote the value itself, so they pass
    through the excerpt (masked, then cut) like every value a message shows."""
    return f"unreadable value ({plain_excerpt(str(exc))})"


def number_text(value: Any) -> str:
    number = float(value)
    return str(int(number)) if number.is_integer() else repr(number)


UNKNOWN_ANNOTATOR = "(unknown)"  # what annotator_name reads where the export names nobody


def anonymous_annotator(number: int) -> str:
    """The name of an item's `number`-th answer that names no annotator: a place among the item's answers, no
    person (the agreement check counts these in alpha and gives them no row of their own)."""
    return f"(unknown #{number})"


def is_anonymous(annotator: str) -> bool:
    return annotator.startswith(UNKNOWN_ANNOTATOR[:-1])


def normalise_annotator(name: str) -> str:
    """An annotator's name spelt as a label is (spaces around it dropped, runs of spaces one): a padded cell
    `" B "` beside `"B"` is one annotator, whose figures would otherwise be split in two and who could rate one
    item twice unnoticed."""
    return " ".join(name.split())


def annotator_name(value: Any) -> str:
    """The tool's numeric user id where the export has one (one user reads the same whether a file writes
    `completed_by: 1` or expands it to `{"id": 1, "email": ...}`, and a report can name them without their
    address); an e-mail only where it is all there is (reports mask it)."""
    if isinstance(value, dict):  # some exports expand the user
        value = value.get("id") if value.get("id") not in (None, "") else value.get("email")
    name = "" if value is None else normalise_annotator(str(value))
    return name or UNKNOWN_ANNOTATOR


# What each tool's anonymous answer lacks, and how to export answers that carry their annotator.
ANONYMOUS_MISSING = {
    "prodigy": (("answer carries", "answers carry"), "neither _annotator_id nor _session_id",
                "export from named sessions (?session=NAME) so answers carry _annotator_id"),
    "label_studio": (("annotation carries", "annotations carry"), "no completed_by",
                     "export from the server (or --label-studio), which names every annotation's user"),
    "argilla": (("response carries", "responses carry"), "no user_id",
                "export the dataset from the Argilla server, whose responses each name their user"),
}


def anonymous_note(source: str, count: int, tool: str) -> list[str]:
    """The note for answers whose annotator the export does not say, each read as its own "(unknown #n)"."""
    if not count:
        return []
    (one, several), lacking, remedy = ANONYMOUS_MISSING[tool]
    return [f"{source}: {count} {one if count == 1 else several} {lacking}, so each is read as its own anonymous annotator ('(unknown #n)'): alpha "
            f"counts every answer, and they get no per-annotator figures of their own (named annotators' figures count them "
            f"among the others); {remedy}"]


def parse_time(value: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def float_or_none(value: Any) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise InputError(f"{path}: {NO_SUCH_FILE}") from exc
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from exc


def json_document(source: str, raw: bytes, errors: list[RecordError]) -> tuple[Any, int]:
    """The parsed document and how many of its array elements were met (a broken one included, as the plain
    reader counts it). An array is walked element by element by the plain reader's walker, so an export cut off
    mid-way (a download stopped early) keeps the elements before the break, and the break is one error saying
    the rest was not read; anything else is parsed whole."""
    body = raw.removeprefix(b"\xef\xbb\xbf").lstrip()
    if not body.startswith(b"["):
        try:
            return json.loads(raw.decode("utf-8-sig")), 0
        except UnicodeDecodeError:
            errors.append(RecordError(source, 0, "(encoding)", "file is not UTF-8; re-export it as UTF-8"))
        except json.JSONDecodeError as exc:
            errors.append(RecordError(source, 0, "(json)", f"invalid JSON: {json_message(exc)} at line {exc.lineno} "
                                                           f"column {exc.colno}"))
        return None, 0
    elements: list[Any] = []
    walk = JsonArrayWalk(io.BytesIO(raw).read)
    try:
        for element in walk:
            elements.append(element.value)
    except json.JSONDecodeError as exc:
        errors.append(RecordError(source, walk.number, "(json)", f"invalid JSON in element {walk.number}: "
                                                                 f"{json_message(exc)}; the elements after it were not read"))
        return elements, walk.number
    except JsonArrayError as exc:
        errors.append(RecordError(source, 0, "(json)", str(exc)))
    return elements, len(elements)
