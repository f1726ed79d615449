"""What the training targets are, class labels or free text (replies), and so which task the data is for
when the config does not say.

One rule, used wherever it matters: the duplicates check judges label conflicts on labels only, and an audit
whose config names no `task_type` takes it from the rule. A chat export whose assistant turns name a
category ("shipping") is classification, its replies the class labels; one whose assistant turns are
replies or tool calls is generation, with generation's example threshold, and its replies never become
labels (balance, coverage's label mix and label noise would treat each reply as a class of its own).
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, replace
from itertools import islice
from pathlib import Path

from ..config import Config
from ..errors import InputError
from .annotation_tools import detect_export
from .files import is_uri, rows_of
from .records import Dataset, Record
from .values import Invalid, normalise_label

FREE_TEXT_MEDIAN_CHARS = 80  # targets longer than this (median) are replies, not labels
FREE_TEXT_DISTINCT_SHARE = 0.5  # ... as are targets of which more than this share are distinct
FREE_TEXT_MIN_VALUES = 20  # ... counted from this many targets on (a handful can all differ by chance)
# The records the task type is inferred from: the first of the training inputs, in file order. A sample
# keeps the inference off the full read (it must be known before the read: it decides what a record's
# label is, in every engine's tasks), and free text is plain in any 2,000 replies.
TASK_SAMPLE_RECORDS = 2000
DEFAULT_TASK_TYPE = "classification"
# A preference pair's target is its chosen reply: what a generator learns to prefer, never a class, however
# often one canned reply repeats.
PAIRED_PREFERENCE, UNPAIRED_PREFERENCE = "preference", "unpaired_preference"
PREFERENCE_FORMATS = frozenset({PAIRED_PREFERENCE, UNPAIRED_PREFERENCE})


def class_targets(records) -> list[str]:
    """The targets that could be class labels: every record's but a preference pair's chosen reply."""
    return [r.target for r in records if r.target is not None and r.format not in PREFERENCE_FORMATS]


def free_text_reason(values: list[str]) -> str | None:
    """Why these targets (or labels) are free text rather than class labels; None when they look like labels."""
    if not values:
        return None
    median = statistics.median(len(v) for v in values)
    if median > FREE_TEXT_MEDIAN_CHARS:
        return f"median {median:g} characters, labels are at most {FREE_TEXT_MEDIAN_CHARS}"
    counts = Counter(values)
    distinct = len(counts)
    if len(values) >= FREE_TEXT_MIN_VALUES and distinct > FREE_TEXT_DISTINCT_SHARE * len(values):
        return f"{distinct} of {len(values)} distinct, labels repeat (at most {FREE_TEXT_DISTINCT_SHARE:.0%} distinct)"
    if len(values) < FREE_TEXT_MIN_VALUES:
        # Too few for the share rules, yet a handful is enough to see replies: a class set names each class in
        # a few words, and a set in which no target repeats teaches no class (the cookbook's toy chat: 4 replies,
        # one of 26,000 characters, were once "a small set of labels").
        longest = max(len(v) for v in values)
        if longest > FREE_TEXT_MEDIAN_CHARS:
            return f"a target of {longest:,} characters, labels are at most {FREE_TEXT_MEDIAN_CHARS}"
        if len(values) > 1 and distinct == len(values):
            return f"all {len(values)} distinct, labels repeat"
    # One canned reply ("I'm sorry, I can't help with that.") in most rows pulls the median under the bound and
    # the distinct share under half, though every other reply is long and written once: judged without it,
    # replies still look like replies. Labels do not: without the largest class the others still repeat.
    top, top_count = counts.most_common(1)[0]
    rest = [v for v in values if v != top]
    if len(rest) >= FREE_TEXT_MIN_VALUES:
        rest_median = statistics.median(len(v) for v in rest)
        once = sum(1 for v in rest if counts[v] == 1)
        apart = f"apart from one target given {top_count} times ({top_count / len(values):.0%})"
        if rest_median > FREE_TEXT_MEDIAN_CHARS:
            return f"{apart}, median {rest_median:g} characters, labels are at most {FREE_TEXT_MEDIAN_CHARS}"
        if once > FREE_TEXT_DISTINCT_SHARE * len(rest):
            return f"{apart}, {once} of the other {len(rest)} occur once, labels repeat"
    return None


@dataclass(frozen=True)
class TaskType:
    name: str  # one of config.TASK_TYPES
    inferred: bool  # False: the config or --task-type named it
    reason: str  # why, when inferred


def task_type_of(records: list[Record]) -> TaskType:
    """The task type the first training records (read from files or loaded already; at least one) are for:
    preference pairs, or free-text targets (chat replies, completions; text records have none), make it generation."""
    preference = Counter(r.format for r in records if r.format in PREFERENCE_FORMATS)
    pairs, unpaired = preference[PAIRED_PREFERENCE], preference[UNPAIRED_PREFERENCE]
    if pairs + unpaired > len(records) / 2:
        first = f"{pairs + unpaired} of the first {len(records)} training records are"
        paired_words, unpaired_words = "(chosen / rejected replies)", "(prompt / completion / desirable label)"
        if not unpaired:
            return TaskType("generation", True, f"{first} preference pairs {paired_words}")
        if not pairs:  # KTO: one reply each, marked desirable or not; calling them pairs sent readers looking for a rejected
            return TaskType("generation", True, f"{first} unpaired preference records {unpaired_words}")
        return TaskType("generation", True, f"{first} preference records: {pairs} pairs {paired_words} and "
                                            f"{unpaired} unpaired {unpaired_words}")
    targets = class_targets(records)
    reason = free_text_reason(targets)
    if reason:
        return TaskType("generation", True, f"the first {len(records)} training records' targets are free text ({reason})")
    if targets:
        return TaskType(DEFAULT_TASK_TYPE, True, f"the first {len(records)} training records' targets are a small set of labels")
    return TaskType(DEFAULT_TASK_TYPE, True, "the training records carry labels, not replies")


def sampled_records(files: list[str], config: Config, limit: int = TASK_SAMPLE_RECORDS) -> list[Record]:
    """The first `limit` valid training records of the local files, in order (remote inputs are left to the
    read proper), parsed as an unnamed task type reads them."""
    from .dataset import RecordParser

    parser = RecordParser(config, role="train")
    records: list[Record] = []
    for name in files:
        if len(records) >= limit:
            break
        if is_uri(name):
            continue
        try:
            rows = rows_of(Path(name), Counter())
        except InputError:
            continue  # the read proper reports it
        try:
            for row in islice(rows, 4 * limit):  # a file of mostly bad rows is not read to its end here
                if row.error is not None or row.data is None:
                    continue
                try:
                    records.append(parser.parse(name, row.line, row.data))
                except (Invalid, RecursionError):
                    continue
                if len(records) >= limit:
                    break
        finally:
            close = getattr(rows, "close", None)
            if close is not None:
                close()  # the reader's file is closed now, not when the generator is collected
    return records


def resolve_task_type(config: Config, files: list[str]) -> tuple[Config, TaskType]:
    """The config with a task type: the one it names, or the one the training files' first records show."""
    if config.task_type:
        return config, TaskType(config.task_type, False, "")
    fields = config.fields
    if fields.annotator or fields.annotator_columns or (files and not is_uri(files[0]) and detect_export(files[0])):
        task = TaskType(DEFAULT_TASK_TYPE, True, "annotators' labels (an annotation layout or tool export)")
    else:
        sample = sampled_records(files, config)  # an unnamed task type parses as classification does
        task = (task_type_of(sample) if sample
                else TaskType(DEFAULT_TASK_TYPE, True, "no training record could be sampled (remote or unreadable inputs)"))
    return _with_inferred(config, task), task


def _with_inferred(config: Config, task: TaskType) -> Config:
    # Not config_with_overrides: that records the key in set_by, and an error about it would then name an
    # "override 'task_type'" the user never gave. An inferred name is one of TASK_TYPES, so it needs no validation.
    return replace(config, task_type=task.name, set_by=dict(config.set_by), task_type_inferred=task.inferred)


def dataset_task_type(config: Config, dataset: Dataset) -> tuple[Config, TaskType]:
    """`resolve_task_type` for records loaded already (a notebook's Dataset, a pulled Label Studio project)."""
    if config.task_type:
        return config, TaskType(config.task_type, False, "")
    sample = dataset.records[:TASK_SAMPLE_RECORDS]
    task = task_type_of(sample) if sample else TaskType(DEFAULT_TASK_TYPE, True, "no training records")
    return _with_inferred(config, task), task


def without_target_labels(dataset: Dataset) -> Dataset:
    """The dataset with no record's reply taken for its class label: what the loader gives in a generation
    task, for records loaded as classification."""
    records = [replace(r, label=None) if r.label is not None and r.target is not None and not r.annotations and r.gold is None
               and (r.label == r.target or r.label == normalise_label(r.target)) else r  # the reply, normalised or not
               for r in dataset.records]
    return replace(dataset, records=records)
