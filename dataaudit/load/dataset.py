"""Assembling a Dataset: rows from `files`, each read by its format's reader in `readers`, with the fields
every format shares (id, gold, label, annotations) and the annotation layouts that span rows.

Nothing here judges the data: malformed records become RecordErrors that name file, line and field, and
the valid records go on to be measured. Input files are only ever opened for reading.
"""

from __future__ import annotations

import dataclasses
import math
import unicodedata
import warnings
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..config import Config, FieldsConfig
from ..errors import InputError, InputWarning
from .files import PERMISSION_DENIED, Row, data_stem, folder_name, read_rows
from .readers import READERS, Parsed, detect, fields_shown, near_name, read_text, text_fields
from .annotation_tools import detect_export, read_export
from .annotation_tools.common import normalise_annotator
from .records import Annotation, Dataset, InputFile, Record, RecordError
from .values import (MISSING_SPELLINGS, Invalid, is_number_label, number_label, cap, dotted_fields, is_blank, is_missing, json_type, key_name, label_text, normalise_label, quoted, scalar_text,
                     scalar_value, with_paths)

__all__ = ["InputError", "RecordParser", "load_dataset", "majority_label", "read_rows"]


# How to name a file's own fields, per role: a production file has a flag of its own, and following the training
# file's advice there (--text-field) broke the training file; an eval set is read with the training field names.
OTHER_FIELDS_ADVICE = {
    "train": "name other fields in the [fields] config or with --text-field / --label-field",
    "production": "name the production file's text field with --production-text-field (or fields.production_text in the "
                  "config); --text-field names the training file's",
    "eval": "the eval set is read with the training file's field names: name other fields in the [fields] config or "
            "with --text-field / --label-field, for both files",
}


# NaN as exports spell it in a cell: an empty answer; "inf" stays an error (a number out of range, not a gap).


class RecordParser:
    """Turns one parsed row into a Record, or raises Invalid naming the field."""

    def __init__(self, config: Config, *, role: str):
        self.fields = config.fields
        self.role = role  # train | eval | production
        # In a chat or prompt/completion classification export the target is the class itself.
        self.target_is_label = config.task_type in ("", "classification")  # "": not inferred yet, the default
        # Plain text without a label is a language-modelling example only in a generation task.
        self.text_needs_label = config.task_type != "generation"
        # a label field the user named (a flag, an override, a config value other than the default): a record that
        # lacks it has the name misspelt, and the fields it has tell the fix
        self.label_named = "fields.label" in config.set_by or config.fields.label != FieldsConfig.label
        # Field names with dots are paths into nested objects (`meta.intent`), unless a record has the dotted key itself.
        self.paths = dotted_fields([getattr(self.fields, f.name) for f in dataclasses.fields(self.fields)
                                    if isinstance(getattr(self.fields, f.name), str)] + list(self.fields.annotator_columns))
        self.why_missing: dict[str, str] = {}
        self.level, self.ordinal_order = config.agreement.level, config.agreement.ordinal_order  # how a tie is broken
        # One string per distinct tool set: a file whose every row offers the same tools would otherwise hold a copy
        # of their JSON (often kilobytes) per record.
        self.tool_sets: dict[str, str] = {}

    def resolve(self, obj: Any) -> Any:
        """The record with its nested fields reachable by their dotted names (see values.with_paths)."""
        if not self.paths or not isinstance(obj, dict):
            self.why_missing = {}
            return obj
        obj, self.why_missing = with_paths(obj, self.paths)
        return obj

    def text_field(self) -> str:
        if self.role == "production" and self.fields.production_text:
            return self.fields.production_text
        return self.fields.text or "text"

    def parse(self, source: str, line: int, obj: Any) -> Record:
        if not isinstance(obj, dict):
            raise Invalid("(record)", f"expected a JSON object, got {json_type(obj)}")
        try:
            return self._parse_resolved(source, line, obj)
        except Invalid as exc:
            nulls = getattr(obj, "nulls", ())  # a Parquet / Arrow row's null cells, left out of obj
            if nulls and (exc.field == "(record)" or _top_key(exc.field) in nulls):
                # Left out, the null made the row unreadable: name it as the same null in JSONL is named.
                self._parse_resolved(source, line, {**obj, **dict.fromkeys(nulls)})
            raise

    def _parse_resolved(self, source: str, line: int, obj: dict) -> Record:
        raw = obj
        try:
            obj = self.resolve(obj)
            return self._parse(source, line, obj, raw)
        except Invalid as exc:
            if exc.message.startswith("missing") and exc.field in self.why_missing:
                raise Invalid(exc.field, f"missing: {self.why_missing[exc.field]}") from None
            raise

    def _parse(self, source: str, line: int, obj: dict, raw: dict) -> Record:
        f = self.fields
        record_id = scalar_value(obj[f.id], f.id) if not is_missing(obj.get(f.id)) else None
        gold = label_text(obj[f.gold], f.gold) if not is_missing(obj.get(f.gold)) else None
        explicit_text = bool(f.text) or (self.role == "production" and bool(f.production_text))
        if f.annotator_columns:
            fmt = "annotation_wide"
            parsed = Parsed(scalar_text(obj.get(self.text_field(), ""), self.text_field(), allow_empty=True))
        elif explicit_text and not f.format:
            fmt = "text"
            parsed = read_text(obj, f, self.role, self.text_field())
        else:
            fmt = detect(obj, f)
            if fmt is None:
                raise Invalid("(record)", "unrecognised record: expected 'messages', 'conversations', 'prompt' + 'completion', "
                                          "'chosen' + 'rejected', 'instruction' + 'output', or 'text' (+ 'label'); "
                                          + OTHER_FIELDS_ADVICE.get(self.role, OTHER_FIELDS_ADVICE["train"]))
            parsed = READERS[fmt](obj, f, self.role)
        label = written_label = None
        if fmt != "unpaired_preference" and f.label in obj and not is_missing(obj[f.label]):
            label = label_text(obj[f.label], f.label)
            if (written := scalar_value(obj[f.label], f.label)) != label:
                written_label = written
        annotations = self._annotations(obj, line)
        if fmt == "text" and self.role == "train" and self.text_needs_label and label is None and not annotations:
            if isinstance(obj.get("annotations"), list) and obj["annotations"]:
                raise Invalid("annotations", "no annotator gave a label (each entry's label is null, empty or NaN)")
            if f.label in obj:  # present but null or "": the export wrote no label, the field name is right
                raise Invalid(f.label, f"is {'null' if obj[f.label] is None else 'empty'} (a text record needs a label)")
            hint = (f"the record's fields: {fields_shown(obj)}" if self.label_named
                    else "use --label-field to name it, or --task-type generation for plain text") + near_name(obj, f.label)
            raise Invalid(f.label, f"missing (a text record needs a label; {hint})")
        if label is None and (annotations or gold is not None):
            label = gold if gold is not None else majority_label(annotations, self.level, self.ordinal_order)
        if label is None and parsed.target is not None and parsed.target_is_class and self.target_is_label:
            # named as the record writes its target: the file has no field "target"
            label = label_text(parsed.target, {"prompt_completion": f.completion, "alpaca": f.output}.get(fmt, "the assistant reply"))
        input_text, cut_input = cap(parsed.input_text)
        target, cut_target = cap(parsed.target) if parsed.target is not None else (None, False)
        rejected, cut_rejected = cap(parsed.rejected) if parsed.rejected is not None else (None, False)
        # An OpenAI DPO line keeps its source as a chat does: the token count reads its messages and tools.
        kept = raw if "messages" in raw or (fmt == "preference" and isinstance(raw.get("input"), dict)) else None
        cut = cut_input or cut_target or cut_rejected
        uncut = (parsed.input_text, parsed.target, parsed.rejected) if cut and kept is None else None
        preamble_chars = min(len(parsed.preamble), len(input_text))
        # The reader keeps a query apart only where replies or tool turns sit in the input (readers.apart): a
        # single user turn under a system prompt never does, however it starts (a leading newline once kept it).
        query = cap(parsed.query)[0] if parsed.query is not None else None
        if query == (input_text[preamble_chars:].lstrip("\n") if preamble_chars else input_text):
            query = None  # blank tool turns left out: the default reading already gives it
        context = cap(parsed.context)[0] if query is not None and parsed.context is not None else None
        return Record(source, line, fmt, input_text, target, label, record_id, tuple(annotations), gold, (),
                      rejected, parsed.desirable, cut, preamble_chars, kept, uncut=uncut, query=query, context=context,
                      written_label=written_label,
                      tools=self.tool_sets.setdefault(parsed.tools, parsed.tools) if parsed.tools else None)

    def _annotations(self, obj: dict, line: int) -> list[Annotation]:
        if self.fields.annotator_columns:
            return [Annotation(column, label_text(obj[column], column), line)
                    for column in self.fields.annotator_columns if not no_answer(obj.get(column))]
        raw = obj.get("annotations")
        if raw is None:
            return []
        if not isinstance(raw, list):
            raise Invalid("annotations", f"expected a list, got {json_type(raw)}")
        result: list[Annotation] = []
        seen: set[str] = set()
        for i, item in enumerate(raw):
            if not isinstance(item, dict):
                raise Invalid(f"annotations[{i}]", f"expected an object, got {json_type(item)}")
            if item.get("annotator") is None:
                raise Invalid(f"annotations[{i}].annotator", "missing")
            annotator = normalise_annotator(scalar_value(item["annotator"], f"annotations[{i}].annotator"))
            if annotator in seen:
                raise Invalid(f"annotations[{i}].annotator", f"annotator {quoted(annotator)} labelled this item twice")
            seen.add(annotator)
            if not no_answer(item.get("label")):
                result.append(Annotation(annotator, label_text(item["label"], f"annotations[{i}].label"), line))
        return result


def _same_text(text: str) -> str:
    """A long-layout row's text as compared with its item's first: each annotator's file from another spreadsheet
    writes one text with a trailing space, decomposed accents or CR LF, and that is still one item."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def no_answer(value: Any) -> bool:
    """Whether an annotator's cell or entry holds no answer: absent, null, blank, or NaN (as a float or spelt
    out, how pandas and spreadsheets write an empty cell). One annotator's missing answer is one rating fewer for
    its item, never a reason to drop the item with the other annotators' ratings."""
    if is_missing(value):
        return True
    if isinstance(value, float):
        return math.isnan(value)
    return isinstance(value, str) and (is_blank(value) or normalise_label(value).lower() in MISSING_SPELLINGS)


def _top_key(field: str) -> str:
    """The record key a field name starts at: `messages` for `messages[0].content`."""
    return field.split("[", 1)[0].split(".", 1)[0]


ORDERED_LEVELS = ("ordinal", "interval", "ratio")


def majority_label(annotations: list[Annotation] | tuple[Annotation, ...], level: str = "nominal",
                   ordinal_order: list[str] | tuple[str, ...] = ()) -> str | None:
    """Most frequent label. A tie at a level whose values are ordered (ordinal by `ordinal_order` or by number,
    interval and ratio by number) goes to the lower median of the item's answers: scores 59, 62, 64 and an
    outlier 100 give 62, where the string order gave "100" ("10" sorts before "9"); the lower one so the label
    is a value an annotator gave. Any other tie goes to the label sorted first, so the choice is deterministic."""
    if not annotations:
        return None
    labels = [a.label for a in annotations]
    if level in ORDERED_LEVELS and not (level == "ordinal" and ordinal_order):
        labels = [number_label(label) for label in labels]  # as the agreement check reads them: "03" is 3
    counts = Counter(labels)
    top = max(counts.values())
    tied = sorted(label for label, n in counts.items() if n == top)
    if len(tied) > 1 and level in ORDERED_LEVELS:
        rank = _value_rank(list(counts), level, ordinal_order)
        if rank is not None:
            answers = sorted(labels, key=lambda label: (rank[label], label))
            return answers[(len(answers) - 1) // 2]
    return tied[0]


def _value_rank(labels: list[str], level: str, ordinal_order: list[str] | tuple[str, ...]) -> dict[str, float] | None:
    """Each label's place on the level's scale, as the agreement check orders them (the configured order at
    ordinal level, else the numbers); None where some label has no place (a text label among numbers)."""
    if level == "ordinal" and ordinal_order:
        place = {label: float(i) for i, label in enumerate(ordinal_order)}
        if all(label in place for label in labels):
            return place
    if not all(map(is_number_label, labels)):  # float() would take "nan", "inf" and "1_000", which are no rating
        return None
    return {label: float(Decimal(label)) for label in labels}


def _group_long_rows(rows: list[tuple[str, int, dict]], config: Config, errors: list[RecordError]) -> tuple[list[Record], int]:
    """Long layout: one row per (item, annotator, label); rows sharing an item id make one Record, across the
    files audited together (a common layout is one file per annotator). The Record is named by the item's
    first row; each annotation keeps its own file and line."""
    f = config.fields
    _require_id_field(rows, config)
    text_field = RecordParser(config, role="train").text_field()
    items: dict[str | tuple[str, str], dict] = {}
    split: list[tuple[str, str, int, str, int]] = []  # (id, first file, first line, file, line) of each text apart
    invalid = 0
    for source, line, obj in rows:
        try:
            for key in (f.id, f.annotator):
                if is_missing(obj.get(key)):
                    raise Invalid(key, "missing")
            item_id = scalar_value(obj[f.id], f.id)
            annotator = normalise_annotator(scalar_value(obj[f.annotator], f.annotator))
            label = None if no_answer(obj.get(f.label)) else label_text(obj[f.label], f.label)
            text = _long_row_text(obj, f, text_field)
            gold = label_text(obj[f.gold], f.gold) if not is_missing(obj.get(f.gold)) else None
        except Invalid as exc:
            errors.append(RecordError(source, line, exc.field, exc.message))
            invalid += 1
            continue
        key: str | tuple[str, str] = item_id
        first = items.get(item_id)
        if first is not None and text and first["text"] and _same_text(text) != _same_text(first["text"]):
            # another text under the same id (a misjoined per-annotator export, two batches' own ids): another
            # item, as the tool exports read an id shared by different input texts
            key = (item_id, _same_text(text))
            if key not in items:
                split.append((item_id, first["source"], first["lines"][0], source, line))
        item = items.setdefault(key, {"source": source, "lines": [], "annotations": {}, "text": "", "gold": None,
                                      "unanswered": []})
        if label is None:
            # one annotator's missing answer: a rating fewer for the item, an error only if no row of it answers
            item["unanswered"].append(RecordError(source, line, f.label, "missing"))
        elif annotator in item["annotations"]:
            first = item["annotations"][annotator]
            first_source = first.source or item["source"]
            where = f"lines {first.line} and {line}" if first_source == source else f"{first_source} line {first.line} and here"
            errors.append(RecordError(source, line, f.annotator, f"annotator {quoted(annotator)} labelled item {quoted(item_id)} twice ({where})"))
            invalid += 1
            continue
        else:
            item["annotations"][annotator] = Annotation(annotator, label, line, source="" if source == item["source"] else source)
        if source == item["source"]:
            item["lines"].append(line)
        if not item["text"] and text:
            item["text"] = text
        if gold is not None:
            item["gold"] = gold
    if split:
        warnings.warn(_split_note(split), InputWarning, stacklevel=3)
    records = []
    for key, item in items.items():
        item_id = key if isinstance(key, str) else key[0]
        if not item["annotations"] and item["gold"] is None:
            errors.extend(item["unanswered"])
            invalid += len(item["unanswered"])
            continue
        annotations = tuple(item["annotations"].values())
        label = item["gold"] if item["gold"] is not None else majority_label(annotations, config.agreement.level,
                                                                               config.agreement.ordinal_order)
        text, cut = cap(item["text"])
        records.append(Record(item["source"], item["lines"][0], "annotation_long", text, None, label, item_id,
                              annotations, item["gold"], tuple(item["lines"]), truncated=cut))
    return records, invalid


def _split_note(split: list[tuple[str, str, int, str, int]]) -> str:
    """What the long layout says of ids whose rows carry different texts: how many, and where the first one is."""
    item_id, first_source, first_line, source, line = split[0]
    ids = len({entry[0] for entry in split})
    where = f"line {line} beside line {first_line}" if source == first_source else f"{source} line {line} beside {first_source} line {first_line}"
    return (f"{first_source}: {ids} item id{'s' if ids != 1 else ''} carr{'y' if ids != 1 else 'ies'} rows with different texts "
            f"(the first: item {quoted(item_id)}, {where}); each text is read as an item of its own, not compared as one item's "
            "ratings (a misaligned join?); an item's later rows may leave the text empty")


# How exports write "no value" (R's write.csv writes NA, pandas' to_csv None as "", SQL dumps NULL): read as a label,
# each made a class of its own that every real answer disagrees with; named, not dropped, as "None" can be a class.
_MISSING_MARKERS = frozenset({"na", "n/a", "#n/a", "none", "nil"})  # "null" is no answer at all (values.MISSING_SPELLINGS)


def _marker_notes(records: list[Record]) -> list[str]:
    """A note per file whose annotators' answers include labels that read as a missing-value marker."""
    found: dict[str, Counter] = {}
    for record in records:
        for annotation in record.annotations:
            if annotation.label.lower() in _MISSING_MARKERS:
                found.setdefault(annotation.source or record.source, Counter())[annotation.label] += 1
    notes = []
    for source, markers in found.items():
        listed = ", ".join(f"{quoted(label)} ({n})" for label, n in sorted(markers.items(), key=lambda kv: (-kv[1], kv[0])))
        notes.append(f"{source}: annotators' answers {listed} are read as labels, though they look like a missing-value marker; "
                     "if they mean no answer, leave those cells empty (or the nested label null): a missing answer is one "
                     "rating fewer for its item, not a class")
    return notes


FIELDS_SEEN_LISTED = 30  # as the error for a misnamed --id-field lists them (api.FIELDS_SEEN_LISTED)


def _require_id_field(rows: list[tuple[str, int, dict]], config: Config) -> None:
    """An InputError when no long-layout row has the item id field and no flag named it (a flag naming a field no
    row has is api.require_named_fields' to say): every row was otherwise 'id: missing', and the advice named
    --text-field and --label-field, not the --id-field that groups the rows."""
    name = config.fields.id
    if "fields.id" in config.set_by or any(name in obj for _, _, obj in rows):
        return
    if not any(config.fields.annotator in obj for _, _, obj in rows):
        return  # the annotator field is in no row either: that is what to name first (no long layout here at all)
    seen = list(dict.fromkeys(key for _, _, obj in rows for key in obj))
    listed = ", ".join(map(key_name, seen[:FIELDS_SEEN_LISTED])) + (f", ... ({len(seen)} in all)" if len(seen) > FIELDS_SEEN_LISTED else "")
    files = ", ".join(dict.fromkeys(source for source, _, _ in rows))
    raise InputError(f"--id-field: no record in {files} has a field {quoted(name)}, which the long layout (--annotator-field) "
                     f"groups an item's rows by (fields seen: {listed or 'none'}); name the item id field with --id-field "
                     "(or fields.id in the config)")


def _long_row_text(obj: dict, f: FieldsConfig, text_field: str) -> str:
    """A long-layout row's input text, built as a text record's is (a pair's second text, such as a
    hypothesis, joined to the first: without it, items that share a premise read as duplicates); "" when the
    row leaves its text out or empty, as an item's later rows often do (the item takes its first row's text)."""
    first, _ = text_fields(obj, f, text_field)
    value = obj.get(first)
    if is_missing(value) or (isinstance(value, str) and value.isspace()):
        return ""
    return read_text(obj, f, "train", text_field).input_text


def _parse_row(parser: RecordParser, source: str, row: Row) -> Record:
    try:
        return parser.parse(source, row.line, row.data)
    except RecursionError:
        raise Invalid("(record)", "nested too deeply to read") from None


def _unreadable(exc: InputError) -> bool:
    """Whether a file the reader could not open is a file error beside readable ones (missing, corrupt, not a
    regular file: those stop the audit, as a typo in a name should)."""
    return isinstance(exc.__cause__, PermissionError)


def load_dataset(paths: str | Path | list[str | Path], config: Config, *, role: str = "train", name: str = "",
                 among_others: bool = False) -> Dataset:
    """Read and validate every record of one or more files (audited as one dataset).

    role: 'train' requires labels on text records; 'eval' and 'production' only need an input text.
    Raises InputError only when a file cannot be read at all. among_others: these files are some of the
    audit's inputs, the rest read elsewhere (the Ray engine reads each file in its own task), so a file that
    cannot be opened is a file error beside them, as among several files read here.
    """
    path_list = [Path(p) for p in (paths if isinstance(paths, list) else [paths])]
    if not path_list:
        raise InputError("no input files given")
    # An annotation tool's export (Label Studio, Prodigy, Argilla) is read as one whatever the files' order: a plain
    # file sorted first read a Prodigy export as plain records (accept / reject dropped, every line a training example).
    if any(detect_export(path) is not None for path in path_list):
        return read_export(path_list, config, role=role, name=name)
    parser = RecordParser(config, role=role)
    files: list[InputFile] = []
    records: list[Record] = []
    errors: list[RecordError] = []
    total = invalid = blank = 0
    long_rows: list[tuple[str, int, dict]] = []
    for path in path_list:
        counters: Counter = Counter()
        source = str(path)
        try:
            digest, rows = read_rows(path, counters)
        except InputError as exc:
            if not _unreadable(exc) or (len(path_list) == 1 and not among_others):
                raise exc from None
            # As an empty file beside others: a file error the format condition warns on, the others audited.
            errors.append(RecordError(source, 0, "(file)", PERMISSION_DENIED))
            files.append(InputFile(source, "", 0))
            continue
        file_rows = 0
        file_error = False  # the reader named a whole-file problem (empty, not UTF-8, corrupt) at line 0
        for row in rows:
            if row.error is not None:
                errors.append(row.error)
                if row.line > 0:
                    file_rows += 1
                    invalid += 1
                else:
                    file_error = True
                continue
            file_rows += 1
            if config.fields.annotator and role == "train":
                if isinstance(row.data, dict):
                    long_rows.append((source, row.line, parser.resolve(row.data)))
                else:
                    errors.append(RecordError(source, row.line, "(record)", f"expected an object, got {json_type(row.data)}"))
                    invalid += 1
                continue
            try:
                records.append(_parse_row(parser, source, row))
            except Invalid as exc:
                errors.append(RecordError(source, row.line, exc.field, exc.message))
                invalid += 1
        if not file_rows and not file_error:  # an empty JSON array or Parquet table: no reader error says so
            errors.append(RecordError(source, 0, "(file)", "file holds no records"))
        total += file_rows
        blank += counters["blank"]
        files.append(InputFile(source, digest, file_rows))
    if long_rows:
        grouped, bad = _group_long_rows(long_rows, config, errors)
        records.extend(grouped)
        invalid += bad
    for note in _marker_notes(records):
        warnings.warn(note, InputWarning, stacklevel=2)
    dataset_name = name or config.dataset_name or (data_stem(path_list[0]) if len(path_list) == 1 else folder_name(path_list[0]) or data_stem(path_list[0]))
    errors.sort(key=lambda e: (e.source, e.line))
    return Dataset(dataset_name, files, records, errors, total, invalid, blank)
