"""From the items a tool's reader produced to a Dataset: the headline question, the Records, the export's counts."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ...config import Config
from ...errors import ConfigError
from ..files import folder_name
from ..records import AnnotationExport, Annotation, Dataset, InputFile, Record, RecordError
from ..values import key_name, normalise_label
from .common import (question_level, question_order, CLASSIFICATION_TYPES, FLAT_EXPORT_NOTE, JUDGED_LEVELS, LATEST_ONLY_NOTE, Answer, Counts, Item, anonymous_annotator,
                     is_anonymous, parse_time)



def _finalise_kinds(items: list[Item]) -> dict[str, str]:
    """Each question's type, in order of first appearance; a choice question is set-valued when the tool says
    several choices are allowed (the reader's "-multiple" kind) or someone picked several values."""
    kinds: dict[str, str] = {}
    multiple: set[str] = set()
    for item in items:
        for answer in item.answers:
            kinds.setdefault(answer.question, answer.kind.removesuffix("-multiple"))
            if answer.kind.endswith("-multiple") or (isinstance(answer.value, tuple) and len(answer.value) > 1):
                multiple.add(answer.question)
    for question in multiple:
        if kinds[question] in ("choices", "taxonomy"):
            kinds[question] += "-multiple"
    return kinds


def _label(value: Any, kind: str) -> str | None:
    """The label an answer gives, spelt as the long layout spells it (values.normalise_label: spaces around and
    inside collapsed, numbers in one form). A choice answer of one value is that value's plain name, whether
    or not the question allows several, so a question's labels do not change spelling when someone somewhere
    picks two; an answer of several values is the set as a canonical JSON array (equal sets, equal labels)."""
    if value is None:
        return None
    if isinstance(value, tuple):
        chosen = sorted({normalise_label(str(v)) for v in value} - {""})
        if not chosen:
            # where several choices are allowed, choosing none says "none apply": a label; where one is asked
            # for, nothing chosen is no answer (the readers count it as empty)
            return "[]" if kind.endswith("-multiple") else None
        return chosen[0] if len(chosen) == 1 else json.dumps(chosen, ensure_ascii=False)
    if kind == "textarea":  # free text is a target, kept as written
        return str(value)
    return normalise_label(str(value)) or None


def _headline(kinds: dict[str, str], config: Config) -> str | None:
    wanted = config.fields.question
    if wanted:
        if wanted not in kinds:
            # spelt as the question names are (a Prodigy label names its question normalised): "ENTAILMENT "
            # asks for the question "ENTAILMENT"
            spelt = {normalise_label(question): question for question in kinds}
            wanted = spelt.get(normalise_label(wanted), wanted)
        if wanted not in kinds:
            raise ConfigError(f"fields.question: {wanted!r} is not a question of this export "
                              f"(questions: {', '.join(map(key_name, kinds)) or 'none'})")
        return wanted
    for preferred in (CLASSIFICATION_TYPES[::2], CLASSIFICATION_TYPES):  # single-valued first, then sets
        for question, kind in kinds.items():
            if kind in preferred:
                return question
    return next((q for q, k in kinds.items() if k in JUDGED_LEVELS), None)


def _same_answer(answer: Answer, kept: Answer, label: str, kept_label: str) -> bool:
    """One annotation read twice (a task in two files of one export, a copied file), not a second answer."""
    if answer.answer_id and kept.answer_id:
        return answer.answer_id == kept.answer_id
    return label == kept_label and answer.answered_at == kept.answered_at


def _newer(answer: Answer, kept: Answer) -> bool:
    """Whether `answer` replaces `kept`: the later save where both carry a time, else the later in file order."""
    mine, theirs = parse_time(answer.answered_at), parse_time(kept.answered_at)
    return mine >= theirs if mine is not None and theirs is not None else True


def _anonymous_place(answer: Answer, label: str, latest: dict[tuple[str, str, bool], tuple[Answer, str]],
                     places: dict[tuple[str, str, str, bool], str]) -> Answer:
    """An unnamed answer under a name no other file's answer to its question holds. Each file numbers an item's
    unnamed answers from "(unknown #1)", so an item joined from two files holds two different "(unknown #1)":
    the later file's is another answer, never the earlier one's redo, as an unnamed answer names nobody who could
    have answered again. `places` maps each file's own number to the name it was given, so a file's #1 and #2 stay
    two answers whichever file came first (renamed one at a time, a file's #1 moved to a free #2 and then met its
    own #2, which read as a copy of it). One met again in another file (a copied file, an older export) keeps the
    name it was first read under, wherever that file placed it."""
    scope = (answer.question, answer.is_gold)
    own = (answer.source, answer.annotator, *scope)
    if own in places:
        return replace(answer, annotator=places[own])
    held = {name for (_, _, *where), name in places.items() if tuple(where) == scope}
    # a name this file already gave one of its numbers is another answer of this file, never this one's copy
    this_file = {name for (source, _, *where), name in places.items() if source == answer.source and tuple(where) == scope}
    # its own number first, then "(unknown #2)" before "(unknown #10)"
    candidates = sorted(held - this_file, key=lambda name: (name != answer.annotator, len(name), name))
    for name in candidates:
        other, other_label = latest[(name, *scope)]
        if _same_answer(answer, other, label, other_label):
            places[own] = name
            return replace(answer, annotator=name)
    name, number = answer.annotator, 1
    while name in held:
        name, number = anonymous_annotator(number), number + 1
    places[own] = name
    return replace(answer, annotator=name)


def _tie_scale(kinds: dict[str, str], headline: str | None, config: Config) -> tuple[str, list[str]]:
    """The headline's level of measurement and order, as the agreement check reads them (common.question_level);
    majority_label breaks a tie on them."""
    kind = kinds.get(headline or "", "")
    if kind not in JUDGED_LEVELS:
        return "nominal", []
    level = question_level(kind, config.agreement.level, True, "agreement.level" in config.set_by)
    return level, question_order(kind, level, config.agreement.ordinal_order, True)


def _record(source: str, tool: str, item: Item, kinds: dict[str, str], headline: str | None, counts: Counts,
            tie_scale: tuple[str, list[str]]) -> Record:
    latest: dict[tuple[str, str, bool], tuple[Answer, str]] = {}
    # per annotator and question, the answers already met: one met again (a copied file, a task in two files of
    # one export) is the same answer read twice, never another redo to count
    seen: dict[tuple[str, str, bool], set[tuple]] = {}
    # (file, the file's own unnamed number, question, gold) -> the name it is read under in this item
    anonymous_places: dict[tuple[str, str, str, bool], str] = {}
    target = None
    target_from_gold = False
    for answer in item.answers:
        kind = kinds[answer.question]
        label = _label(answer.value, kind)
        if kind == "textarea" and label and (target is None or (answer.is_gold and not target_from_gold)):
            target, target_from_gold = label, answer.is_gold
        if label is None or kind not in JUDGED_LEVELS:
            continue
        if is_anonymous(answer.annotator):
            answer = _anonymous_place(answer, label, latest, anonymous_places)
        # one answer per annotator and question: the newest replaces the others, which are counted
        key = (answer.annotator, answer.question, answer.is_gold)
        kept = latest.get(key)
        identity = ("id", answer.answer_id) if answer.answer_id else ("value", label, answer.answered_at)
        met = seen.setdefault(key, set())
        same_as_kept = kept is not None and _same_answer(answer, kept[0], label, kept[1])
        if identity in met or same_as_kept:
            # one annotation in two files (an older export beside a newer one): its last-saved version, not a redo
            if same_as_kept and _newer(answer, kept[0]):
                latest[key] = (answer, label)
            met.add(identity)
            continue
        if met:
            counts.superseded += 1
        met.add(identity)
        if kept is not None and not _newer(answer, kept[0]):
            continue
        latest[key] = (answer, label)
    everything = tuple(Annotation(answer.annotator, label, item.line, answer.question, answer.lead_time, answer.created_at,
                                  answer.is_gold, answer.source if answer.source != source else "")
                       for answer, label in latest.values())
    headline_ratings = tuple(a for a in everything if a.question == headline and not a.is_gold)
    gold = next((a.label for a in everything if a.question == headline and a.is_gold), None)
    from .. import majority_label  # late: the loader imports this module for its hook

    label = gold if gold is not None else majority_label(headline_ratings, *tie_scale)
    return Record(source, item.line, tool, item.text, target, label, item.item_id, headline_ratings, gold,
                  tuple(item.lines), question_annotations=everything)


def _keep_since(items: list[Item], since: datetime | None, counts: Counts) -> list[Item]:
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
            created = parse_time(answer.created_at)
            if answer.is_gold or (created is not None and created > since):
                fresh.append(answer)
            else:
                dropped.add((answer.annotator, answer.created_at))
        counts.before_since += len(dropped)
        if any(not a.is_gold for a in fresh):
            item.answers = fresh
            kept.append(item)
    return kept


def _newest_answer(items: list[Item]) -> str:
    """The creation time (as the export writes it) of the newest answer of any item; "" when none has one."""
    timed = [(created, answer.created_at) for item in items for answer in item.answers
             if (created := parse_time(answer.created_at)) is not None]
    return max(timed)[1] if timed else ""


def _drop_unlabelled(parts: list[tuple[str, str, int, list[Item], list[RecordError]]]) -> tuple[list, int]:
    """Items nobody answered (no annotation, or only cancelled, skipped, ignored, discarded, draft or
    rejected ones) are not training examples: they leave the records, counted, so they neither count toward
    scale nor pass as labelled."""
    kept, dropped = [], 0
    for source, digest, rows, items, errors in parts:
        answered = [item for item in items if item.answers]
        dropped += len(items) - len(answered)
        kept.append((source, digest, rows, answered, errors))
    return kept, dropped


# What each tool sets aside instead of answering, as the "nobody labelled" note names it, and what the export's
# `cancelled` and `drafts` counts hold for it (the keys are kept for every tool; what they count differs).
SET_ASIDE = {
    "label_studio": "cancelled or skipped annotations",
    "prodigy": "'ignore' answers or rejected choice answers",
    "argilla": "discarded or draft responses",
}
SET_ASIDE_ANY = "cancelled, skipped, ignored, discarded, draft or rejected answers"
COUNTED_AS_CANCELLED = {
    "label_studio": "cancelled or skipped annotations (was_cancelled / skipped)",
    "prodigy": "'ignore' answers",
    "argilla": "discarded responses (one per record and user)",
}
def _count_notes(counts: Counts, unlabelled: int, tool: str) -> list[str]:
    notes = []
    if unlabelled:
        notes.append(f"{unlabelled} item{'s' if unlabelled != 1 else ''} nobody labelled (no submitted answer: none, or only "
                     f"{SET_ASIDE.get(tool, SET_ASIDE_ANY)}) left out of the records: not training examples")
    if counts.cancelled or counts.drafts:
        counted = [f"cancelled = {counts.cancelled} {COUNTED_AS_CANCELLED.get(tool, 'answers set aside')}"] if counts.cancelled else []
        if counts.drafts:
            counted.append(f"drafts = {counts.drafts} draft (unsubmitted) response{'s' if counts.drafts != 1 else ''} (one per record and user)")
        notes.append(f"export counts: {'; '.join(counted)}; skipped, never read as labels")
    if counts.unanswered:
        notes.append(f"{counts.unanswered} response{'s' if counts.unanswered != 1 else ''} with no value (null) skipped: "
                     "not an answer")
    if counts.empty:
        notes.append(f"{counts.empty} submitted answer{'s' if counts.empty != 1 else ''} with nothing chosen (Label Studio "
                     "`result: []` or a result with no value, Prodigy `accept: []`, an empty Argilla selection) skipped: not an answer")
    if counts.superseded:
        notes.append(f"{counts.superseded} earlier answer{'s' if counts.superseded != 1 else ''} replaced by the same "
                     "annotator's newer answer to the same question of an item (the later updated_at / _timestamp where "
                     "both carry one, else the later in file order): only the newest counts")
    if counts.off_options:
        notes.append(f"{counts.off_options} Prodigy choice answer{'s' if counts.off_options != 1 else ''} with an option the "
                     "task's `options` do not offer: kept as given; check the recipe's options (or the export)")
    if counts.rejected:
        notes.append(f"{counts.rejected} Prodigy choice answer{'s' if counts.rejected != 1 else ''} rejected (none of the "
                     "options fits, or the example is wrong): neither a rating nor a label")
    return notes


def _no_headline_answer(records: list[Record], headline: str | None) -> list[str]:
    """Items answered only on other questions than the headline one carry no label, which a plain file's record
    without one could not pass unsaid (it is a format error there): said, with the questions they were answered on,
    so that a question the lead meant as the label (a Prodigy binary export's other label) is not silently unused."""
    if headline is None:
        return []
    other: set[str] = set()
    count = 0
    for record in records:
        if record.label is None and not any(a.question == headline for a in record.question_annotations):
            count += 1
            other |= {a.question for a in record.question_annotations}
    if not count:
        return []
    answered = f"answered on other questions: {', '.join(map(key_name, sorted(other)))}" if other else \
        "answered only in free text or spans"
    return [f"{count} item{'s' if count != 1 else ''} ha{'ve' if count != 1 else 's'} no answer to the headline question "
            f"{key_name(headline)} ({answered}): no training label (name the label's question with --question if it "
            "is another)"]


def build_dataset(parts: list[tuple[str, str, int, list[Item], list[RecordError]]], config: Config, tool: str, kind: str, counts: Counts,
           *, name: str, since: datetime | None, latest_only: bool = False, notes: list[str] | tuple[str, ...] = ()) -> Dataset:
    newest = _newest_answer([item for *_, items, _ in parts for item in items])
    parts, unlabelled = _drop_unlabelled(parts)
    all_items = [item for *_, items, _ in parts for item in items]
    kept_ids = {id(item) for item in _keep_since(all_items, since, counts)}
    kinds = _finalise_kinds([item for item in all_items if id(item) in kept_ids])
    headline = _headline(kinds, config)
    tie_scale = _tie_scale(kinds, headline, config)
    records, errors, files = [], [], []
    total = invalid = 0
    for source, digest, rows, items, file_errors in parts:
        records += [_record(source, tool, item, kinds, headline, counts, tie_scale) for item in items if id(item) in kept_ids]
        errors += file_errors
        invalid += len({e.line for e in file_errors if e.line > 0})
        total += rows
        files.append(InputFile(source, digest, rows))
    notes = list(notes) + _count_notes(counts, unlabelled, tool) + _no_headline_answer(records, headline)
    if kind in ("json_min", "csv"):
        notes.append(FLAT_EXPORT_NOTE)
    if latest_only:
        notes.append(LATEST_ONLY_NOTE)
    export = AnnotationExport(tool, kind, kinds, headline, counts.cancelled, counts.drafts, counts.predictions, counts.gold,
                              counts.spans, latest_only, since.isoformat() if since else "", counts.before_since, notes=tuple(notes),
                              newest_answer=newest, unlabelled=unlabelled)
    first = Path(parts[0][0]) if parts else Path("export")
    # An Argilla export is a folder whose records.json says nothing of the data: the folder names it, as the
    # Ray engine (which names an input by its path) does.
    dataset_name = name or config.dataset_name or (folder_name(first) if kind == "records_json" else first.stem)
    errors.sort(key=lambda e: (e.source, e.line))
    return Dataset(dataset_name, files, records, errors, total, invalid, 0, export)


def add_counts(total: Counts, part: Counts) -> None:
    for name in vars(part):
        setattr(total, name, getattr(total, name) + getattr(part, name))
