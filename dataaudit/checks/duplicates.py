"""Duplicates, conflicting labels, train/eval leakage and production overlap.

Two inputs count as the same when:
- exact: their normalised keys are equal (`normalize.normalize_text`: NFKC, case-folded, Arabic vowel marks
  and invisible format characters dropped, whitespace collapsed; configurable);
- lexical copy: their content words (filler words, case and punctuation dropped) are equal, or equal but for
  one moved block of words, or equal but for typos (`normalize.copy_kind`). Texts with equal content words
  are linked without comparing them; typo candidates come from MinHash over character 3-grams, once per
  distinct content-word sequence, banded with a bounded number of candidates per text (one-letter-deletion
  keys for short texts); a character edit distance that grows with length (rapidfuzz, vectorised over all
  candidate pairs) screens them before the word-level rule. Sentence embeddings miss these (one typo can
  drop MiniLM's cosine below 0.5).
- semantic (reworded) copy: cosine >= near_cosine between sentence embeddings of one input per group of
  lexical copies, unless the two differ in a number, a negation, an opposite, in English a meaning-bearing
  function word (`normalize.MEANING_FUNCTION_WORDS`) or one slot value of a shared template
  (`normalize.reworded_copy`), or one is an agent's passive of the other (`normalize.voice_changed`).
The pairs are found in near_pairs.py; here they become groups over distinct keys (`near_pairs.leader_groups`):
in input order (files in the order given, then line) a key joins the group of the earliest kept key it is a
pair of, else it is kept, so every member is a copy of the group's kept record, its first, never of another
member alone (connected components chained paraphrases: A~B~C made A and C one group).
A conflict is a true copy of the whole input (exact or lexical, never merely reworded) with different labels;
free-text targets (generation replies) are not labels, so they never conflict.

Every count comes from the full lists; the lists in the report are capped at `max_groups_listed` for reading,
and `duplicates_lines()` yields every group, conflict, leak and overlap for the `duplicates.jsonl` file.

Where it runs (both engines; docs/distributed.md). Exact groups are the index's key groups: the keys were
computed by the engine's read tasks. The lexical pass's per-text work is a map step, `lexical_features`,
run through the engine's `map_keys` (on Ray, one task per file, on the keys its read task left in the object
store): each distinct key of the file to its tokens, content words and MinHash signature, and the few tokens
that decide which words are mistyped fillers (the long filler words and their one-edit lookalikes). With a
result cache, a re-run reads these features for every text the previous run measured and computes them on the
driver for the new texts only (`_FeatureMemo`; they depend on the text alone, so nothing changes). The
driver joins the files' results by key (a key in several files is taken once), counts those tokens over the
distinct keys of all files, and redoes the content words and signature of the texts that hold a word the
counts make a mistyped filler (plese). The rest of the lexical pass stays on the driver, over every distinct
key: linking equal content words and equal word bags (dicts), the LSH banding (each band is one sort of
every signature, and a text's candidates are its nearest neighbours in that global order, a bounded window,
so band keys grouped per file would give other candidates), the one-edit keys of short texts, and the
verification (one vectorised edit distance over all candidate pairs, then the word rule). Its driver
memory is what the one-piece pass held: per distinct text its content words and a 120-byte signature (for a
40-character query about 0.6 KB as a task's result arrives, 220 bytes of it pickled; 1.2 KB when computed in
the driver's own process, the local engine). The
semantic pass cannot be split: a k-nearest-neighbour search needs every training vector at once, 1.5 KB per
distinct text (384 float32) plus the faiss index (the same again; above 300,000 vectors an inverted-file
index adds 8 bytes of id per vector).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Container, Iterator

import numpy as np

from ..config import Config, DuplicatesConfig
from ..engine.base import DataSteps, SerialSteps
from ..excerpt import plain_excerpt as excerpt
from ..index import TextIndex
from ..load.records import Dataset, Record
from ..load.targets import FREE_TEXT_MIN_VALUES, PREFERENCE_FORMATS, class_targets, free_text_reason
from ..load.values import normalise_label
from ..normalize import (copy_kind, dictionary_words, normalize_text, reworded_copy, skeleton, tokens, voice_changed,
                         voice_memo)
from ..result_cache import ResultCache, array_fingerprint, results_folder
from ..digits import percent_text
from ..search_memo import remembering
from .balance import LABEL_DIGEST_CHARS
from .base import Check, Finding, Status
from .near_pairs import (LexicalPartial, NearPairs, fields_swapped, input_fields, joined_features,
                         leader_groups, lexical_copy, lexical_features, lexical_pairs, prompt_classes,
                         semantic_between_copies, typo_pairs_between)

if TYPE_CHECKING:
    from .base import AuditContext

MAX_TEXT_CHARS = 300  # per excerpt of a group member, conflict or leak in the report
MAX_MEMBERS_LISTED = 20  # members shown per listed group (its `lines` stay complete)
MAX_OVERLAP_EXAMPLES = 50
# Off: stripping frequent leading/trailing words found no more planted typo copies at 100,000 templated
# records (96.6% with, 96.7% without), because texts whose cores become identical crowd the bounded lists.


@dataclass(frozen=True)
class GroupMember:
    file: str
    line: int
    text: str  # excerpt
    label: str | None


@dataclass(frozen=True)
class DuplicateGroup:
    kind: str  # exact | near
    lines: list[int]
    files: list[str]  # distinct files of the members, in input order (members' `file` names each line's)
    keep: int  # line of the record to keep
    keep_file: str
    members: list[GroupMember]  # the first MAX_MEMBERS_LISTED
    same_target: bool | None  # every member has the same label/target (and a preference record's replies and mark)
    methods: list[str]  # near groups: semantic and/or lexical
    min_similarity: float | None  # near groups: the lowest similarity of a member to the kept record
    # Of `lines`, those past the first MAX_MEMBERS_LISTED, which `members` does not show (report.json listed 22
    # lines and 20 members, with nothing to say the two were meant to differ).
    members_not_listed: int = 0


@dataclass(frozen=True)
class Conflict:
    kind: str  # exact | near (a lexical copy)
    lines: list[int]
    files: list[str]
    labels: list[str]  # distinct labels/targets, most frequent first (excerpts)
    texts: list[str]  # distinct inputs (excerpts)
    field: str  # label | target
    line_files: list[str] = field(default_factory=list)  # the file of each of `lines`
    line_labels: list[str | None] = field(default_factory=list)  # the label/target of each of `lines` (excerpts)


# What a leak's `similarity` measures, by its kind: a lexical copy's is a character edit similarity (rapidfuzz's
# ratio of the two queries, or 1 - edits / length of a typo copy's content words), on another scale than a
# cosine, so a certain filler copy at 0.69 sorted below reworded ones at 0.96 when the two read as one measure.
SIMILARITY_MEASURES = {"exact": "equal", "query": "equal", "lexical": "edit", "semantic": "cosine"}


@dataclass(frozen=True)
class Leak:
    eval_file: str
    eval_line: int
    train_file: str
    train_line: int
    kind: str  # exact | query | semantic | lexical
    similarity: float  # on the scale similarity_measure names
    eval_text: str
    train_text: str
    # SIMILARITY_MEASURES[kind]: equal (1.0) | edit | cosine; from the kind alone, so a copy with another kind
    # (dataclasses.replace) never carries the old one's measure.
    similarity_measure: str = field(init=False)

    def __post_init__(self):
        object.__setattr__(self, "similarity_measure", SIMILARITY_MEASURES.get(self.kind, ""))


@dataclass(frozen=True)
class Overlap:
    production_file: str
    production_line: int
    train_file: str
    train_line: int
    text: str


@dataclass(frozen=True)
class GroupLines:
    """One group, complete: every member as (file, line), first the one to keep."""

    kind: str  # exact | near
    members: tuple[tuple[str, int], ...]
    methods: tuple[str, ...] = ()
    same_target: bool | None = None
    keep: tuple[str, int] | None = None  # (file, line) kept when it is not the first member (see _group)


@dataclass(frozen=True)
class ConflictLines:
    kind: str  # exact | near
    members: tuple[tuple[str, int], ...]
    line_labels: tuple[str | None, ...]  # the label/target of each member


# Fields the report's JSON leaves out: the complete lists, read by duplicates_lines() and `dataaudit dedup`.
FULL = {"json": False}


@dataclass(frozen=True)
class DuplicatesResult:
    records: int
    exact_group_count: int
    near_group_count: int
    # Exact groups whose members have the same label/target (same_target), whatever their other fields (ids,
    # metadata): the name is report.json's, kept as a contract; the report says "with the same label".
    whole_record_groups: int
    exact_groups: list[DuplicateGroup]  # the first max_groups_listed, largest first
    near_groups: list[DuplicateGroup]
    conflict_count: int
    conflict_records: int
    conflicts: list[Conflict]
    leak_count: int  # every leaked eval record: copies (exact, query, lexical) and reworded (semantic)
    leakage: list[Leak]
    eval_records: int | None
    production_overlap: int | None
    production_overlap_examples: list[Overlap]
    duplicate_records: int  # records dropped by keeping one per group
    duplicate_share: float
    usable: int
    near_cosine: float
    lexical_ratio: float | None  # None when the lexical pass is off
    label_field: str | None  # label | target | None (free-text targets: no conflicts judged)
    near_kinds: dict[str, int]  # near pairs that joined groups, by how they copy: typo, filler, word order, semantic
    # Preference pairs whose chosen equals rejected (normalised), after de-duplication: left out of `usable`
    # (no signal to learn from; checks.preference lists them).
    no_signal: int = 0
    # Where the labels judged for conflicts were read from, for the hygiene evidence (label_source); None with label_field.
    label_source: str | None = None
    semantic_leak_count: int = 0  # of leak_count, the eval records that are only reworded copies (judge: MAX_SEMANTIC_LEAK_SHARE)
    group_sizes: list[int] = field(default_factory=list, repr=False, metadata={"json": False})  # every group's size, for plots
    all_groups: list[GroupLines] = field(default_factory=list, repr=False, metadata=FULL)
    all_conflicts: list[ConflictLines] = field(default_factory=list, repr=False, metadata=FULL)
    all_leaks: list[Leak] = field(default_factory=list, repr=False, metadata=FULL)
    all_overlaps: list[Overlap] = field(default_factory=list, repr=False, metadata=FULL)


# ---------------------------------------------------------------------------------------------------
# Labels


def label_field(records: list[Record], config: Config) -> str | None:
    """'label' when the records carry class labels: a label field or annotators' labels (always), or a
    classification chat's replies taken for its classes when they look like labels; 'target' for replies
    that look like labels but were not taken for them; None for free-text replies, a preference pair's
    chosen reply, and every reply of a generation task."""
    if any(r.label is not None and r.label != r.target for r in records):
        return "label"  # named as labels by the export or the annotators: judged as such, whatever the task
    if config.task_type == "generation":
        return None
    values = class_targets(records)
    # Said to be classification (a config file, flag, override or code), replies are its classes however varied.
    # An inferred one (resolve_task_type) saw labels in the first records only: replies that read as free text
    # are not labels, though below the count the share rules need the free-text test is set aside (18 replies
    # that never repeat would read as free text; long replies still are not labels).
    named = config.task_type == "classification" and (not config.task_type_inferred or len(values) < FREE_TEXT_MIN_VALUES)
    if not values or (not named and free_text_reason(values)):
        return None
    return "label" if any(r.label is not None for r in records) else "target"


# What a reply is called in each format whose replies may be its classes (load.readers), for label_source.
REPLY_NAMES = {"chat": "assistant reply", "sharegpt": "assistant reply", "prompt_completion": "completion",
               "unpaired_preference": "completion"}


def label_source(records: list[Record], config: Config, name: str | None) -> str | None:
    """Where the labels `label_field` named were read from, as a reader of the evidence knows it: the configured label
    field's name, "annotations" for annotators' labels, the reply ("assistant reply", "completion", alpaca's output
    field) where replies are the classes; None for free-text targets. `label_field`'s "label" is a switch (class
    labels or not), which read as a field of that name in chat records that have none."""
    if name is None:
        return None
    if any(r.annotations for r in records):
        return "annotations"
    if any(r.label is not None and (r.target is None or r.label != normalise_label(r.target)) for r in records):
        return config.fields.label  # a label the reply does not give, once normalised as labels are ("billing  issue")
    replies = dict.fromkeys(REPLY_NAMES.get(r.format, config.fields.output if r.format == "alpaca" else "target")
                            for r in records if r.target is not None)
    return " and ".join(replies) or None


def _value(record: Record, name: str | None) -> str | None:
    if name is None:
        return None
    return record.label if name == "label" else record.target


def _order(positions) -> list[int]:
    """In the order the records were read: files in the order given, then line. Sorting by path put a.jsonl
    before z.jsonl given first, so the report and dedup kept a.jsonl's copy while the per-file table (and
    whoever named the files) took z.jsonl's for the original."""
    return sorted(positions)  # positions index the records, read file by file in the order given (load_dataset)


def _place(records: list[Record], position: int | None) -> tuple[str, int] | None:
    return None if position is None else (records[position].source, records[position].line)


def _group(kind: str, records: list[Record], positions: list[int], methods: list[str], min_sim: float | None,
           name: str | None, keep: int | None = None) -> DuplicateGroup:
    """keep: the position of the record to keep, when it is not the group's first (an exact group inside a near
    group keeps the near group's first record, as `dataaudit dedup` does)."""
    ordered = _order(positions)
    members = [records[p] for p in ordered]
    kept = records[keep] if keep is not None else members[0]
    return DuplicateGroup(
        kind=kind, lines=[r.line for r in members], files=list(dict.fromkeys(r.source for r in members)),
        keep=kept.line, keep_file=kept.source,
        members=[GroupMember(r.source, r.line, excerpt(r.query_text, MAX_TEXT_CHARS), _shown_target(r))
                 for r in members[:MAX_MEMBERS_LISTED]],
        same_target=_same_target(records, positions), methods=methods, min_similarity=None if min_sim is None else round(min_sim, 4),
        members_not_listed=max(0, len(members) - MAX_MEMBERS_LISTED))


def _shown_target(record: Record) -> str | None:
    value = record.label if record.label is not None else record.target
    return None if value is None else excerpt(value, MAX_TEXT_CHARS)


def label_names(values) -> dict[str, str]:
    """Each distinct label (or target) as a conflict shows it, most frequent first, then by name: its excerpt,
    or where long labels share one, the excerpt with a digest of the whole label, as balance.label_key does
    (they read as one label twice). report.json's `conflicts[].labels` and `line_labels`, and duplicates.jsonl's,
    all name a label so."""
    counts = Counter(v for v in values if v is not None)
    ordered = sorted(counts, key=lambda v: (-counts[v], v))
    shown = {v: excerpt(v, MAX_TEXT_CHARS) for v in ordered}
    shared = Counter(shown.values())
    for value in ordered:
        if shared[shown[value]] > 1:
            digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:LABEL_DIGEST_CHARS]
            shown[value] = f"{excerpt(value, MAX_TEXT_CHARS - LABEL_DIGEST_CHARS - 10)} [sha256 {digest}]"
    return shown


def distinct_labels(values) -> list[str]:
    """A conflict's distinct labels, most frequent first (label_names)."""
    return list(label_names(values).values())


def line_labels(values) -> list[str | None]:
    """Each line's label named as distinct_labels names it, so the two lists read alike."""
    names = label_names(values)
    return [None if v is None else names[v] for v in values]


def _conflict(kind: str, records: list[Record], positions: list[int], name: str) -> Conflict:
    ordered = _order(positions)
    values = [_value(records[p], name) for p in ordered]
    return Conflict(kind, [records[p].line for p in ordered], sorted({records[p].source for p in ordered}),
                    distinct_labels(values),
                    [excerpt(t, MAX_TEXT_CHARS) for t in dict.fromkeys(records[p].query_text for p in ordered)], name,
                    [records[p].source for p in ordered], line_labels(values))


def labelled_lines(lines: list[int], files: list[str], labels: list[str | None], several_files: bool, limit: int = 4,
                   shown=lambda label: label) -> str:
    """Each label of a conflict with the lines that carry it, in line order: 'shipping at line 101 vs billing at
    lines 262, 270'; with several training files each line is named with its file ('billing at a.jsonl:41 vs
    returns at b.jsonl:41'). Every label is shown (up to 4), with about `limit` lines in all: a label's
    further lines are counted ('and 3 more'), never left out so that the labels seem to agree."""
    by_label: dict[str | None, list[tuple[str, int]]] = {}
    for line, file, label in zip(lines, files, labels):
        by_label.setdefault(label, []).append((file, line))
    listed = list(by_label.items())[:4]
    per_label = max(1, limit // len(listed)) if listed else 0
    parts = []
    for label, places in listed:
        named = ", ".join(f"{f}:{n}" for f, n in places[:per_label]) if several_files else \
            f"line{'s' if len(places) > 1 else ''} {', '.join(str(n) for _, n in places[:per_label])}"
        more = f" and {len(places) - per_label} more" if len(places) > per_label else ""
        parts.append(f"{'no label' if label is None else shown(label)} at {named}{more}")
    return " vs ".join(parts)


def _same_target(records: list[Record], positions) -> bool:
    # A whole preference record is its replies and its mark too: a KTO completion marked desirable in one row and
    # undesirable in another is not the same record twice.
    return len({(records[p].label if records[p].label is not None else records[p].target, records[p].rejected,
                 records[p].desirable) for p in positions}) == 1


def _distinct_values(records: list[Record], positions, name: str) -> int:
    return len({v for p in positions if (v := _value(records[p], name)) is not None})


# ---------------------------------------------------------------------------------------------------
# The measurement


MAX_UNITS_COMPARED = 64  # units of one key component whose replies are compared pairwise; beyond, equal replies only


def _reply_digest(record: Record, dup: DuplicatesConfig) -> bytes | None:
    """A preference record's replies (chosen and rejected, or a KTO completion and its mark), normalised as keys
    are, as one digest; None for other formats, whose key alone says what they are."""
    if record.format == "preference":
        chosen, rejected = normalize_text(record.target or "", dup), normalize_text(record.rejected or "", dup)
        text = f"P{len(chosen)}:{chosen}{rejected}"  # the length keeps ("ab", "c") apart from ("a", "bc")
    elif record.format == "unpaired_preference":
        text = f"U{int(bool(record.desirable))}{normalize_text(record.target or '', dup)}"
    else:
        return None
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def _reply_skeletons(record: Record, dup: DuplicatesConfig) -> tuple:
    words = lambda text: skeleton(tokens(normalize_text(text or "", dup)))  # noqa: E731
    return (record.format, record.desirable, words(record.target), words(record.rejected))


def _replies_copy(a: tuple, b: tuple) -> str | None:
    """How one preference record's replies copy another's (copy_kind on each reply), None when they are not copies:
    both replies must be copies, of the same kind of record with the same mark."""
    if a[:2] != b[:2]:
        return None
    kinds = [copy_kind(x, y) for x, y in zip(a[2:], b[2:]) if x or y]
    return None if None in kinds else next((k for k in kinds if k != "filler"), "filler")


def preference_units(train: TextIndex, component: np.ndarray, dup: DuplicatesConfig,
                     paired: Callable[[int, int], bool] = lambda a, b: True
                     ) -> tuple[list[list[int]], list[int], list[int], dict[int, str], set[int]]:
    """The units that copy one another, the key of each, the group (cluster) of each, the units joined only
    by a copy of their replies (unit -> how they copy) and the units of pairs whose chosen equals rejected.
    component: each key's group (near_pairs.leader_groups); paired(a, b): whether keys a and b are a found pair.

    A record's key is its input, for a preference record the prompt alone. Several pairs for one prompt are normal
    DPO data (UltraFeedback has four completions per prompt, so up to six pairs): a preference record is a duplicate
    only of a record with the same prompt and the same replies, so a unit is a key's records with one set of
    replies, and two units are near copies when their prompts are (the same key or a found pair of keys) and their
    replies are equal or lexical copies (copy_kind on each reply), never merely because their prompts are. Leakage
    stays keyed on the prompt: an eval prompt seen in training is a leak whatever its replies. Without preference
    records a unit is a key and its cluster the key's group. As keys are (leader_groups), units are grouped around
    a kept one, in input order: a unit joins the earliest kept unit of its key's group that it copies, else it is
    kept itself, so every unit of a group copies the kept one."""
    records = train.records
    distinct = train.distinct
    if not any(r.format in PREFERENCE_FORMATS for r in records):
        return [train.positions[k] for k in distinct], list(range(len(distinct))), component.tolist(), {}, set()
    units: list[list[int]] = []
    unit_key: list[int] = []
    digests: list[bytes | None] = []
    silent: set[int] = set()
    for key_id, key in enumerate(distinct):
        by_reply: dict[bytes | None, list[int]] = {}
        for p in train.positions[key]:
            by_reply.setdefault(_reply_digest(records[p], dup), []).append(p)
        for digest, positions in by_reply.items():
            first = records[positions[0]]
            if first.format == "preference" and \
                    normalize_text(first.target or "", dup) == normalize_text(first.rejected or "", dup):
                silent.add(len(units))
            units.append(positions)
            unit_key.append(key_id)
            digests.append(digest)
    by_component: dict[int, list[int]] = {}
    for unit in sorted(range(len(units)), key=lambda u: units[u][0]):
        by_component.setdefault(int(component[unit_key[unit]]), []).append(unit)
    cluster = list(range(len(units)))
    reply_linked: dict[int, str] = {}
    for members in by_component.values():
        if len(members) < 2:
            continue
        compared = len(members) <= MAX_UNITS_COMPARED
        shapes = {u: _reply_skeletons(records[units[u][0]], dup) for u in members if digests[u] is not None} if compared else {}
        kept: list[int] = []
        kept_by_digest: dict[bytes | None, list[int]] = {}
        for unit in members:
            for leader in kept if compared else kept_by_digest.get(digests[unit], []):
                if unit_key[unit] != unit_key[leader] and not paired(unit_key[unit], unit_key[leader]):
                    continue
                # equal replies (or no replies: another format) under near prompts, else copies of the replies
                kind = None if digests[unit] == digests[leader] else \
                    _replies_copy(shapes[leader], shapes[unit]) if unit in shapes and leader in shapes else None
                if digests[unit] == digests[leader] or kind is not None:
                    cluster[unit] = leader
                    if kind is not None:
                        reply_linked[unit] = kind
                    break
            else:
                kept.append(unit)
                kept_by_digest.setdefault(digests[unit], []).append(unit)
    return units, unit_key, cluster, reply_linked, silent



def measure(ctx: AuditContext) -> DuplicatesResult:
    return measure_index(ctx.train, ctx.config, eval_index=ctx.eval, production_index=ctx.production, steps=ctx.steps)


def measure_index(train: TextIndex, config: Config, *, eval_index: TextIndex | None = None,
                  production_index: TextIndex | None = None, steps: DataSteps | None = None) -> DuplicatesResult:
    """steps: the engine whose tasks do the lexical pass's per-text work where each file lies and the semantic
    searches; None does both here, the lexical pass in one piece (the same result)."""
    dup = config.duplicates
    records = train.records
    distinct = train.distinct
    n = len(distinct)
    name = label_field(records, config)

    # Eval keys not in training join the lexical pass so that typo copies of training records leak too.
    eval_only = [k for k in (eval_index.distinct if eval_index is not None else []) if k not in train.positions]
    texts = distinct + eval_only
    # The near-copy rules compare each key's query under its prompt class (near_pairs.prompt_classes): the same
    # texts as the keys where no record has a system prompt.
    queries = _queries(train, eval_index, eval_only)
    seed = dup_seed(config)
    prompts = _prompt_classes(train, eval_index, eval_only, dup, seed)
    lexical = NearPairs()
    content_words: dict[str, tuple[str, ...]] = {}  # skeleton(tokens(query)) as the lexical pass found them
    if dup.lexical and len(texts) > 1:
        memo = _FeatureMemo.open(config, seed)
        features = memo.features(queries, seed) if memo is not None else None
        if features is None:
            mapped = _mapped_features(steps, train, eval_index if eval_only else None, seed)
            features = joined_features(queries, mapped or [], seed)
        if memo is not None:
            memo.keep(features)
        lexical = lexical_pairs(queries, dup.lexical_ratio, seed, [features], steps, _fields_of(train, eval_index, eval_only),
                                prompts)
        # The reworded-copy rule compares the same content words: taken from here, not taken apart again (and
        # with the features kept, the skeleton's lookups would otherwise be paid again from a cold start).
        content_words = dict(zip(features.keys, features.words))

    within = NearPairs()
    for i, j, kind, sim in zip(lexical.first, lexical.second, lexical.kind, lexical.similarity):
        if i < n and j < n:
            within.add(i, j, kind, sim)
    # An eval-only key leaks lexically against the earliest training key it is a copy of: one it was paired
    # with, else one of the training keys its pairs reach through other keys (compared directly: a chain of
    # typos reaches keys that are no copies of it), else it is no lexical leak.
    cross: list[tuple[int, int, str, float]] = []  # (eval-only position, train key, kind, similarity)
    if eval_only and lexical.first:
        cross = _lexical_leaks(lexical, n, len(eval_only), queries, content_words, dup.lexical_ratio,
                               _fields_of(train, eval_index, eval_only))

    # Keys are in input order already (the index's distinct keys, in the order their first records were read),
    # the order leader_groups places them in. The reworded-copy search reads one text per group of lexical
    # copies, its kept text: a text that copies only a member of a chain is kept, so it is searched too.
    copy_group = leader_groups(n, [within])
    searches = steps or SerialSteps()  # the nearest-neighbour searches run on the engine's steps, or here
    semantic = NearPairs()
    if train.vectors is not None:
        verdicts = _VerdictMemo.open(config)
        semantic = semantic_between_copies(train.embed_texts, train.vectors, copy_group, dup, content_words,
                                           remembering(searches, config, "duplicates.semantic"),
                                           _fields_of(train, None, []), train.unreadable, None if prompts is None else prompts[:n],
                                           verdicts or reworded_copy)
        if verdicts is not None:
            verdicts.keep()
    # Each key's group, named by its kept key, of which every other key is a found pair (leader_groups).
    confirmed = NearPairs()
    confirm = _direct_copy(train, queries, prompts, content_words, dup, confirmed)
    component = leader_groups(n, [within, semantic], confirm=confirm)
    pair_of: dict[tuple[int, int], tuple[str, float]] = {}
    for pairs in (within, semantic, confirmed):
        for i, j, kind, sim in zip(pairs.first, pairs.second, pairs.kind, pairs.similarity):
            pair_of.setdefault((min(i, j), max(i, j)), (kind, sim))

    # The units that copy one another: a key's records, or for preference records a key's records with the same
    # replies (see preference_units), and the groups those units join into (near copies of one another).
    units, unit_key, cluster, reply_linked, silent = preference_units(train, component, config.duplicates,
                                                                      lambda a, b: (min(a, b), max(a, b)) in pair_of)

    # Exact groups and conflicts: records that share a key (and, for preference records, their replies).
    exact_groups: list[tuple[list[int], bool]] = [(positions, _same_target(records, positions)) for positions in units
                                                  if len(positions) > 1]
    exact_conflicts: list[list[int]] = []
    if name:
        for key, positions in train.positions.items():
            if len(positions) > 1 and _distinct_values(records, positions, name) > 1:
                exact_conflicts.append(positions)
    in_exact_conflict = {p for positions in exact_conflicts for p in positions}

    # Near groups: clusters of two or more distinct units, the kept unit first.
    cluster_members: dict[int, list[int]] = {}
    for unit in sorted(range(len(units)), key=lambda u: units[u][0]):
        cluster_members.setdefault(cluster[unit], []).append(unit)
    near_units = [members for members in cluster_members.values() if len(members) > 1]
    # A near group's methods and closest similarity are those of the pairs that joined its keys to the kept key.
    joins_of: dict[int, list[tuple[str, float]]] = {}
    near_kinds: Counter = Counter()
    for members in near_units:
        kept_key = unit_key[members[0]]
        joins = [pair_of[min(kept_key, k), max(kept_key, k)] for k in dict.fromkeys(unit_key[u] for u in members)
                 if k != kept_key]
        joins_of[cluster[members[0]]] = joins
        near_kinds.update(kind for kind, _ in joins)
    for kind in reply_linked.values():
        near_kinds[kind] += 1

    # Near conflicts: near groups (the groups reported and deduplicated) whose kept key and its true copies
    # (exact + lexical pairs, never merely reworded) carry different labels beyond exact conflicts; and a true
    # copy pair found across two groups whose two keys' labels differ, those two keys' records alone.
    near_conflicts = _near_conflicts(component, within, pair_of, train, name, in_exact_conflict) if name else []
    # An exact conflict is one key's records; inside a near conflict (which holds every record of its keys) it is
    # that conflict, not another: counted apart, one group of copies read as two in conflict_count, the hygiene
    # sentence and its action, while dedup said 1 group (README: a conflict is counted once, as a group).
    in_near_conflict = {p for positions in near_conflicts for p in positions}
    exact_conflicts = [positions for positions in exact_conflicts if not in_near_conflict.issuperset(positions)]

    def size_order(positions: list[int]) -> tuple:
        return (-len(positions), min(positions))

    limit = dup.max_groups_listed
    exact_groups.sort(key=lambda g: size_order(g[0]))

    def methods(members: list[int]) -> set[str]:
        found = {"semantic" if kind == "semantic" else "lexical" for kind, _ in joins_of[cluster[members[0]]]}
        return found | {"lexical"} if any(u in reply_linked for u in members) else found

    near_rows = [([p for u in members for p in units[u]], cluster[members[0]]) for members in near_units]
    near_rows.sort(key=lambda g: size_order(g[0]))
    methods_of_cluster = {cluster[members[0]]: sorted(methods(members)) for members in near_units}
    min_sim_of_cluster = {cluster[members[0]]: min(sim for _, sim in joins_of[cluster[members[0]]])
                          for members in near_units
                          if len({unit_key[u] for u in members}) > 1}  # replies alone differ: no similarity measured
    conflicts_all = [("exact", c) for c in exact_conflicts] + [("near", c) for c in near_conflicts]
    conflicts_all.sort(key=lambda c: size_order(c[1]))

    def lines_of(positions: list[int]) -> tuple[tuple[str, int], ...]:
        return tuple((records[p].source, records[p].line) for p in _order(positions))

    # One record of a near group is kept, its first: an exact group inside it keeps that record too, or the
    # report said "keep 153" where dedup, following the near group, kept line 26.
    component_first = {c: _order(p)[0] for p, c in near_rows}

    unit_of = {p: u for u, positions in enumerate(units) if len(positions) > 1 for p in positions}

    def kept_of(positions: list[int]) -> int | None:
        return component_first.get(cluster[unit_of[positions[0]]])

    all_groups = [GroupLines("exact", lines_of(p), (), same, _place(records, kept_of(p))) for p, same in exact_groups]
    all_groups += [GroupLines("near", lines_of(p), tuple(methods_of_cluster[c]), _same_target(records, p))
                   for p, c in near_rows]

    leaks = (_leaks(train, eval_index, eval_only, cross, config, remembering(searches, config, "duplicates.eval_leaks"),
                    content_words)
             if eval_index is not None else [])
    overlaps = _overlaps(train, production_index) if production_index is not None else []

    # A pair whose chosen equals its rejected teaches nothing (the README calls it invalid for training): it is
    # no usable example, though it is no duplicate either. Its group is left out of usable, not of the count.
    no_signal = sum(1 for members in cluster_members.values() if all(u in silent for u in members))
    usable = len(cluster_members) - no_signal
    nonempty = sum(len(v) for v in train.positions.values())
    return DuplicatesResult(
        records=len(records),
        exact_group_count=len(exact_groups),
        near_group_count=len(near_rows),
        whole_record_groups=sum(1 for _, same in exact_groups if same),
        exact_groups=[_group("exact", records, p, [], None, name, kept_of(p)) for p, _ in exact_groups[:limit]],
        near_groups=[_group("near", records, p, methods_of_cluster[c], min_sim_of_cluster.get(c), name) for p, c in near_rows[:limit]],
        conflict_count=len(conflicts_all),
        conflict_records=len({p for _, c in conflicts_all for p in c}),  # a record in two conflicts counts once
        conflicts=[_conflict(kind, records, c, name) for kind, c in conflicts_all[:limit]] if name else [],
        leak_count=len(leaks),
        semantic_leak_count=sum(x.kind == "semantic" for x in leaks),
        leakage=leaks[:limit],
        eval_records=len(eval_index.records) if eval_index is not None else None,
        production_overlap=len(overlaps) if production_index is not None else None,
        production_overlap_examples=overlaps[:MAX_OVERLAP_EXAMPLES],
        duplicate_records=nonempty - len(cluster_members),
        duplicate_share=round((nonempty - len(cluster_members)) / len(records), 6) if records else 0.0,
        usable=usable,
        near_cosine=dup.near_cosine,
        lexical_ratio=dup.lexical_ratio if dup.lexical else None,
        label_field=name,
        label_source=label_source(records, config, name),
        near_kinds=dict(sorted(near_kinds.items())),
        no_signal=no_signal,
        group_sizes=sorted((len(g.members) for g in all_groups), reverse=True),
        all_groups=all_groups,
        all_conflicts=[ConflictLines(kind, lines_of(c), tuple(_value(records[p], name) for p in _order(c)))
                       for kind, c in conflicts_all],
        all_leaks=leaks,
        all_overlaps=overlaps,
    )


class _FeatureMemo:
    """Each distinct text's lexical features (content words, filler tokens, MinHash signature) as the last run
    measured them, kept in the result cache so that a re-run computes them only for texts it has not seen:
    a batch of 500 new records among 15,500 (CLINC150) recomputed all 15,500. `lexical_features` depends on
    each text alone (its per-file use relies on that too), so a kept value is the value a fresh computation
    gives; the entry's key holds the code's identity, the seed (the MinHash permutations) and the dictionary,
    so other code, another seed or another dictionary never reads it. One entry holds the texts of the latest
    run only, so it does not grow."""

    def __init__(self, cache: ResultCache, key: str):
        self.cache, self.key = cache, key
        self.kept: dict | None = None

    @classmethod
    def open(cls, config: Config, seed: int) -> "_FeatureMemo | None":
        folder = results_folder(config.embeddings)
        if folder is None:
            return None
        # A folder of its own, as coverage's clusterings: it neither crowds out whole audits' results nor counts among them.
        return cls(ResultCache(folder / "duplicates"),
                   array_fingerprint("duplicates.lexical_features", [], {"seed": seed, "dictionary": _dictionary_identity()}))

    def features(self, texts: list[str], seed: int) -> LexicalPartial | None:
        """The features of `texts` in their order (`joined_features`), from the kept ones and those of the texts
        computed here; None when nothing is kept or most texts are new (the engine's map step computes them
        where the files lie: on Ray, a large new export is not worked through on the driver)."""
        kept = self.cache.get(self.key)
        if not kept or not all(name in kept for name in ("texts", "words", "fillers", "signatures")):
            return None
        self.kept = kept
        known = set(kept["texts"])
        if sum(t not in known for t in texts) > len(texts) // 2:
            return None
        held = LexicalPartial(kept["texts"], kept["words"], kept["fillers"],
                              np.arange(len(kept["texts"]), dtype=np.int64), kept["signatures"])
        return joined_features(texts, [held], seed)

    def keep(self, features: LexicalPartial) -> None:
        """Keep `features` (one partial over the run's texts, `joined_features`) unless the entry holds exactly them."""
        if self.kept is not None and self.kept["texts"] == features.keys:
            return
        self.cache.put(self.key, {"texts": features.keys, "words": features.words, "fillers": features.filler_words,
                                  "signatures": features.signatures})


def _dictionary_identity() -> str:
    """The content words and the typo rule also depend on the dictionary (the embedding model's vocabulary, outside
    the code's identity): a kept value's key holds its words."""
    return hashlib.sha256("\n".join(sorted(dictionary_words())).encode()).hexdigest()


class _VerdictMemo:
    """`reworded_copy` of each pair of content words the last run's semantic pass judged, kept in the result cache:
    a batch of 500 new records among 15,500 (CLINC150) judged its 2,800 near pairs again, nearly all of them pairs
    of unchanged texts (a third of the duplicates check's time). The verdict is a function of the two word
    sequences, the code and the dictionary alone, and the key holds the code's identity and the dictionary, so a
    kept verdict is the one the rule gives. The entry holds the pairs of the latest run only, so it does not grow."""

    def __init__(self, cache: ResultCache, key: str):
        self.cache, self.key = cache, key
        kept = cache.get(key)
        verdicts = kept.get("verdicts") if kept else None
        self.kept: dict = verdicts if isinstance(verdicts, dict) else {}
        self.judged: dict = {}  # this run's pairs, kept for the next run

    @classmethod
    def open(cls, config: Config) -> "_VerdictMemo | None":
        folder = results_folder(config.embeddings)
        if folder is None:
            return None
        return cls(ResultCache(folder / "duplicates"),
                   array_fingerprint("duplicates.reworded_copy", [], {"dictionary": _dictionary_identity()}))

    def __call__(self, a: tuple[str, ...], b: tuple[str, ...]) -> bool:
        verdict = self.kept.get((a, b))
        if not isinstance(verdict, bool):
            verdict = reworded_copy(a, b)
        self.judged[(a, b)] = verdict
        return verdict

    def keep(self) -> None:
        if self.judged != self.kept:
            self.cache.put(self.key, {"verdicts": self.judged})


def _near_conflicts(component: np.ndarray, within: NearPairs, pair_of: dict[tuple[int, int], tuple[str, float]],
                    train: TextIndex, name: str, in_exact_conflict: set[int]) -> list[list[int]]:
    """Record positions of each near conflict: a group's kept key and its true copies (exact + lexical pairs to
    it) with labels that differ, and a lexical pair not inside such a conflict whose two keys' labels differ.
    component: each key's group (leader_groups, named by its kept key); within: the lexical pairs among training
    keys; pair_of: every found pair's kind. Connected components of the lexical pairs made a typo chain
    (account ~ account ~ security, the third no copy of the first) one conflict of three records while the
    report grouped only the first two."""
    records, distinct = train.records, train.distinct

    def differs(keys: list[int]) -> list[int] | None:
        positions = [p for k in keys for p in train.positions[distinct[k]]]
        outside = [p for p in positions if p not in in_exact_conflict]
        return positions if _distinct_values(records, outside, name) > 1 else None

    groups: dict[int, list[int]] = {}
    for key_id, kept in enumerate(component.tolist()):
        if key_id != kept and pair_of.get((min(key_id, kept), max(key_id, kept)), ("semantic",))[0] != "semantic":
            groups.setdefault(kept, [kept]).append(key_id)
    found, reported = [], []
    for keys in groups.values():
        if (positions := differs(keys)) is not None:
            found.append(positions)
            reported.append(set(keys))
    # Every true copy pair not inside one conflict reported already, those in one group too: a key that joined
    # its group by a reworded pair to the kept key is outside the group's true copies, yet may be a lexical copy
    # of one of them with another label.
    group_of = {key: index for index, keys in enumerate(reported) for key in keys}
    seen: set[tuple[int, int]] = set()
    for i, j in zip(within.first, within.second):
        pair = (min(i, j), max(i, j))
        if pair not in seen and not (i in group_of and group_of.get(j) == group_of[i]):
            seen.add(pair)
            positions = differs(list(pair))
            if positions is not None:
                found.append(positions)
    return found


# The training keys an eval text with no training pair of its own is compared with, at most: each comparison
# (lexical_copy) costs ~30 us, and a templated chain's component holds every key, which was 10k eval x 100k
# training texts, hours, when the whole component was tried.
LEAK_CANDIDATES = 50


def _lexical_leaks(lexical: NearPairs, n: int, eval_count: int, queries: list[str], content_words: dict[str, tuple[str, ...]],
                   ratio: float, fields_of) -> list[tuple[int, int, str, float]]:
    """(eval-only position, train key, kind, similarity) of each eval-only text (position n + e of the lexical pass)
    that is a lexical copy of a training key: the earliest training key (in input order) it was paired with;
    else, of the training keys paired with the eval texts it was paired with (two hops), the earliest of the
    first LEAK_CANDIDATES that `lexical_copy` confirms. The first training key of its component of pairs was named
    before, though a typo chain made it no copy of the eval text."""
    from rapidfuzz import fuzz

    direct: dict[int, list[tuple[int, str, float]]] = {}
    eval_neighbours: dict[int, list[int]] = {}
    for i, j, kind, sim in zip(lexical.first, lexical.second, lexical.kind, lexical.similarity):
        if i >= n and j >= n:
            eval_neighbours.setdefault(i - n, []).append(j - n)
            eval_neighbours.setdefault(j - n, []).append(i - n)
            continue
        e, t = (i - n, j) if i >= n > j else (j - n, i) if j >= n > i else (None, None)
        if e is not None:
            direct.setdefault(e, []).append((t, kind, sim))

    split: dict[int, tuple[str, ...]] = {}

    def words(i: int) -> tuple[str, ...]:
        if i not in split:
            split[i] = content_words.get(queries[i]) or skeleton(tokens(queries[i]))
        return split[i]

    cross = []
    for e in range(eval_count):
        if e in direct:
            t, _, _ = min(direct[e], key=lambda c: c[0])  # key ids are in input order
            cross.append((e, t, "lexical", round(fuzz.ratio(queries[n + e], queries[t]) / 100, 4)))
            continue
        candidates = sorted({t for other in eval_neighbours.get(e, ()) for t, _, _ in direct.get(other, ())})
        for t in candidates[:LEAK_CANDIDATES]:
            if lexical_copy((queries[t], queries[n + e]), (words(t), words(n + e)), ratio, (fields_of(t), fields_of(n + e))):
                cross.append((e, t, "lexical", round(fuzz.ratio(queries[n + e], queries[t]) / 100, 4)))
                break
    return cross


def _direct_copy(train: TextIndex, queries: list[str], prompts: list[int] | None, content_words: dict[str, tuple[str, ...]],
                 dup: DuplicatesConfig, found: NearPairs):
    """(kept key, key) -> whether the key is a copy of the kept key by the rules of the passes, compared directly
    (each found pair is added to `found`): asked of a key whose pairs are all with members of other groups. The
    reworded-copy search reads one key per group of lexical copies, so a filler copy of a key that is itself a
    reworded copy of an earlier kept key was never compared with that key (CLINC150: "can you i need to know how
    to make a vacation request", cosine 0.98 to the kept "tell me how to make a vacation request")."""
    fields_of = _fields_of(train, None, [])
    voice_of = voice_memo()

    def words(i: int) -> tuple[str, ...]:
        return content_words.get(queries[i]) or skeleton(tokens(queries[i]))

    def confirm(kept: int, key: int) -> bool:
        if prompts is not None and prompts[kept] != prompts[key]:
            return False
        if dup.lexical:
            copy = lexical_copy((queries[kept], queries[key]), (words(kept), words(key)), dup.lexical_ratio,
                                (fields_of(kept), fields_of(key)))
            if copy is not None:
                found.add(kept, key, *copy)
                return True
        vectors, unreadable = train.vectors, train.unreadable
        if vectors is None or (unreadable is not None and (unreadable[kept] or unreadable[key])):
            return False
        similarity = float(vectors[kept] @ vectors[key])
        if similarity >= dup.near_cosine and reworded_copy(words(kept), words(key)) and \
                not voice_changed(queries[kept], queries[key], voice_of) and not fields_swapped(fields_of(kept), fields_of(key)):
            found.add(kept, key, "semantic", round(similarity, 4))
            return True
        return False
    return confirm


def _mapped_features(steps: DataSteps | None, train: TextIndex, eval_index: TextIndex | None,
                     seed: int) -> list[LexicalPartial] | None:
    """The lexical pass's per-file work on the engine's steps, over each file's queries (what the pass compares),
    training files then eval files (None: no engine)."""
    if steps is None:
        return None
    return (steps.map_keys(train, lexical_features, seed, queries=True)
            + (steps.map_keys(eval_index, lexical_features, seed, queries=True) if eval_index is not None else []))


def _fields_of(train: TextIndex, eval_index: TextIndex | None, eval_only: list[str]):
    """Text position of the lexical pass (training keys, then eval-only keys) -> the fields of the query
    behind it (`near_pairs.input_fields`, read from the first record with that key; the system prompt is
    compared as a unit, see _prompt_classes), asked only of the few texts a field-blind rule pairs."""
    n = len(train.distinct)

    def fields_of(i: int, typos: frozenset[str] = frozenset()):
        index, key = (train, train.distinct[i]) if i < n else (eval_index, eval_only[i - n])
        return input_fields(index.records[index.positions[key][0]].query_text, typos)
    return fields_of


def _queries(train: TextIndex, eval_index: TextIndex | None, eval_only: list[str]) -> list[str]:
    """What was embedded for each text of the lexical pass (training keys, then eval-only keys): its input
    without the system prompt, normalised as keys are."""
    if not eval_only:
        return list(train.embed_texts)
    slot = {k: i for i, k in enumerate(eval_index.distinct)}
    return [*train.embed_texts, *(eval_index.embed_texts[slot[k]] for k in eval_only)]


def _prompt_classes(train: TextIndex, eval_index: TextIndex | None, eval_only: list[str], dup: DuplicatesConfig,
                    seed: int) -> list[int] | None:
    """The prompt class of each text of the lexical pass (near_pairs.prompt_classes over the index's normalised
    system prompts and conversation turns); None where no key has either (one class for all)."""
    def of(index: TextIndex) -> tuple[list[str], list[bool]]:  # an index made without its prompts has none set apart
        n = len(index.distinct)
        return index.prompts or [""] * n, index.conversations or [False] * n

    prompts, conversations = (list(x) for x in of(train))
    if eval_only:
        slot = {k: i for i, k in enumerate(eval_index.distinct)}
        eval_prompts, eval_conversations = of(eval_index)
        prompts += [eval_prompts[slot[k]] for k in eval_only]
        conversations += [eval_conversations[slot[k]] for k in eval_only]
    if not any(prompts) and not any(conversations):
        return None
    return prompt_classes(prompts, dup.lexical_ratio, seed, lexical=dup.lexical, conversations=conversations)


def dup_seed(config: Config) -> int:
    return int(getattr(config.duplicates, "seed", 0))


def _leaks(train: TextIndex, eval_index: TextIndex, eval_only: list[str], cross: list[tuple[int, int, str, float]],
           config: Config, steps: DataSteps, content_words: dict[str, tuple[str, ...]] | None = None) -> list[Leak]:
    records = train.records
    distinct = train.distinct
    match: dict[str, tuple[int, str, float]] = {}  # eval key -> (train key id, kind, similarity)
    slot = {k: i for i, k in enumerate(distinct)}
    for key in eval_index.distinct:
        if key in slot:
            match[key] = (slot[key], "exact", 1.0)
    for key, t in same_query(train, eval_index, match).items():
        match[key] = (t, "query", 1.0)
    # A lexical copy before a reworded one: it is the stronger match (and a copy fails hygiene where a reworded
    # leak warns), so a filler copy that also reads close to its vector is not written as merely reworded.
    for e, t, kind, sim in sorted(cross, key=lambda c: -c[3]):
        match.setdefault(eval_only[e], (t, kind, sim))
    # A lexical copy of a training query under another system prompt (or none) is as much a copy as one under its
    # own; of two lexical matches the earlier training record is named, as the lexical leak names the earliest.
    exact_or_query = {key for key, (_, kind, _) in match.items() if kind != "lexical"}
    for key, (t, kind, sim) in query_copies(train, eval_index, exact_or_query, config.duplicates, content_words,
                                            dup_seed(config), steps).items():
        if key not in match or t < match[key][0]:
            match[key] = (t, kind, sim)
    if eval_index.vectors is not None and train.vectors is not None and distinct:
        k = min(3, len(distinct))
        eval_fields, train_fields = _fields_of(eval_index, None, []), _fields_of(train, None, [])
        voice_of = voice_memo()
        sims, idx = steps.search(train.vectors, eval_index.vectors, k)
        for e, key in enumerate(eval_index.distinct):
            if key in match or (eval_index.unreadable is not None and eval_index.unreadable[e]):
                continue
            # The query's words, as its vector (embed_texts): a system prompt is set aside here as the query
            # match (same_query) sets it aside.
            words = skeleton(tokens(eval_index.embed_texts[e]))
            for c in range(k):
                t = int(idx[e, c])
                if (t >= 0 and sims[e, c] >= config.duplicates.near_cosine and not (train.unreadable is not None and train.unreadable[t])
                        and reworded_copy(words, skeleton(tokens(train.embed_texts[t])))
                        and not voice_changed(eval_index.embed_texts[e], train.embed_texts[t], voice_of)
                        and not fields_swapped(eval_fields(e), train_fields(t))):
                    match[key] = (t, "semantic", round(float(sims[e, c]), 4))
                    break
    leaks = []
    for record, key in zip(eval_index.records, eval_index.keys):
        if key in match:
            t, kind, sim = match[key]
            first = records[train.positions[distinct[t]][0]]
            leaks.append(Leak(record.source, record.line, first.source, first.line, kind, sim,
                              excerpt(record.query_text, MAX_TEXT_CHARS), excerpt(first.query_text, MAX_TEXT_CHARS)))
    return leaks


def _queries_set_apart(train: TextIndex, other: TextIndex) -> bool:
    """Whether some record's query is not its whole input (a system prompt, tool calls and results)."""
    return any(r.preamble_chars or r.query is not None for records in (train.records, other.records) for r in records)


def same_query(train: TextIndex, other: TextIndex, matched: Container[str]) -> dict[str, int]:
    """Keys of `other` (eval or production) not in `matched` whose input, without its system prompt, is a
    training input's without its own -> that training key's id. A plain-text eval or production file beside
    a chat export with a system prompt (or under another prompt) holds the same queries verbatim, yet no
    whole key matches. The normalised query of each key is the index's own (`embed_texts`, what is embedded);
    only worked out where some record's query is not its input (a system prompt, tool calls and results)."""
    if not _queries_set_apart(train, other):
        return {}
    queries: dict[str, int] = {}
    for key_id, query in enumerate(train.embed_texts):
        queries.setdefault(query, key_id)
    found: dict[str, int] = {}
    for key, query in zip(other.distinct, other.embed_texts):
        if key not in matched and query in queries:
            found[key] = queries[query]
    return found


def query_copies(train: TextIndex, other: TextIndex, matched: Container[str], dup: DuplicatesConfig,
                 content_words: dict[str, tuple[str, ...]] | None = None, seed: int = 0,
                 steps: DataSteps | None = None) -> dict[str, tuple[int, str, float]]:
    """Keys of `other` (an eval set) not in `matched` whose query, without its system prompt, is a lexical copy of
    a training query under any system prompt or none -> (the earliest such training key's id, "lexical",
    similarity). The lexical pass pairs texts under one prompt class only, so "WHAT ... ITALIAN?" under another
    system prompt, a legacy prompt ending in its "###" separator beside a chat export, or "send 20 dollars to jhon"
    under another prompt, was no copy, though the same query verbatim is one (`same_query`). Candidates:
    the training queries with the same bag of content words (filler, case and punctuation aside; one moved
    block), and where the keys' prompts differ, the typo copies of a second banding over the distinct content
    words of the training queries and of these eval queries alone (`near_pairs.typo_pairs_between`: that pass's
    candidates and rule, no prompt class); each is confirmed, fields and all, by `near_pairs.lexical_copy`.
    seed: the duplicates seed (the MinHash permutations); steps: the engine that runs the banding and the
    edit distances (None: this process)."""
    if not dup.lexical or not _queries_set_apart(train, other):
        return {}
    words_of = content_words or {}

    def words(query: str) -> tuple[str, ...]:
        return words_of.get(query) or skeleton(tokens(query))

    other_slot = {k: i for i, k in enumerate(other.distinct)}
    asked = {key: mine for key, query in zip(other.distinct, other.embed_texts)
             if key not in matched and (mine := words(query))}
    if not asked:
        return {}
    wanted = {tuple(sorted(mine)) for mine in asked.values()}
    by_bag: dict[tuple[str, ...], list[int]] = {}
    with_words: dict[tuple[str, ...], list[int]] = {}  # each training query's content words -> its key ids, in input order
    for key_id, query in enumerate(train.embed_texts):
        if theirs := words(query):
            with_words.setdefault(theirs, []).append(key_id)
    for theirs, key_ids in with_words.items():
        if (bag := tuple(sorted(theirs))) in wanted:
            by_bag.setdefault(bag, []).extend(key_ids)
    typo_of = _typo_partners(train, other, with_words, asked, dup, seed, steps)
    train_fields, other_fields = _fields_of(train, None, []), _fields_of(other, None, [])
    found: dict[str, tuple[int, str, float]] = {}
    for key, mine in asked.items():
        candidates = sorted({*by_bag.get(tuple(sorted(mine)), []), *typo_of.get(mine, [])})
        for t in candidates[:LEAK_CANDIDATES]:  # key ids are in input order
            train_query = train.embed_texts[t]
            copy = lexical_copy((train_query, other.embed_texts[other_slot[key]]), (words(train_query), mine),
                                dup.lexical_ratio, (train_fields(t), other_fields(other_slot[key])))
            if copy is not None:
                found[key] = (t, "lexical", copy[1])
                break
    return found


def _typo_partners(train: TextIndex, other: TextIndex, with_words: dict[tuple[str, ...], list[int]],
                   asked: dict[str, tuple[str, ...]], dup: DuplicatesConfig, seed: int,
                   steps: DataSteps | None) -> dict[tuple[str, ...], list[int]]:
    """The content words of each asked eval query -> the training key ids (input order) whose query it is a typo
    copy of (`near_pairs.typo_pairs_between`); with_words: the training queries' content words -> their key ids.
    Nothing where every key of both sets has the same system prompt (or none) and the same other turns (or none):
    all are of one prompt class, where the lexical pass compared each eval query with every training query already."""
    def units(index: TextIndex) -> set[tuple[str, bool]]:
        return set(zip(index.prompts or [""] * len(index.distinct), index.conversations or [False] * len(index.distinct)))

    if len(units(train) | units(other)) < 2:
        return {}
    known, new = list(with_words), list(dict.fromkeys(asked.values()))
    pairs = typo_pairs_between(known, new, dup.lexical_ratio, seed, steps)
    partners: dict[tuple[str, ...], list[int]] = {}
    for a, b in zip(pairs.first, pairs.second):
        partners.setdefault(new[b], []).extend(with_words[known[a]])
    return partners


def _overlaps(train: TextIndex, production: TextIndex) -> list[Overlap]:
    records = train.records
    by_query = same_query(train, production, train.positions)
    out = []
    for record, key in zip(production.records, production.keys):
        positions = train.positions.get(key) if key else None
        if not positions and key in by_query:
            positions = train.positions[train.distinct[by_query[key]]]
        if positions:
            first = records[positions[0]]
            out.append(Overlap(record.source, record.line, first.source, first.line, excerpt(record.query_text, MAX_TEXT_CHARS)))
    return out


# ---------------------------------------------------------------------------------------------------
# Every group, conflict, leak and overlap, one JSON object each (duplicates.jsonl)


def duplicates_lines(result: DuplicatesResult) -> Iterator[dict]:
    """Every group, conflict, leak and production overlap as one JSON-ready dict, `kind` saying which.

    group:    {"kind": "exact"|"near", "lines", "files", "keep": {"file", "line"}, "methods", "same_target"}
    conflict: {"kind": "conflict", "match": "exact"|"near", "lines", "files", "labels", "line_labels"}
              (labels: the distinct ones, most frequent first, as in report.json; line_labels: each of `lines`')
    leak:     {"kind": "leak", "match": "exact"|"query"|"semantic"|"lexical", "lines": [eval, train], "files": [eval, train],
               "similarity", "similarity_measure": "equal"|"edit"|"cosine"} (SIMILARITY_MEASURES)
    overlap:  {"kind": "production_overlap", "lines": [production, train], "files": [production, train]}
    `files[i]` is the file of `lines[i]`; members are in input order (files in the order given, then line) and
    the first is kept, except in an
    exact group inside a near group, which keeps the near group's first (as `dataaudit dedup` does)."""
    for group in result.all_groups:
        files, lines = zip(*group.members)
        kept_file, kept_line = group.keep or group.members[0]
        yield {"kind": group.kind, "lines": list(lines), "files": list(files), "keep": {"file": kept_file, "line": kept_line},
               "methods": list(group.methods), "same_target": group.same_target}
    for conflict in result.all_conflicts:
        files, lines = zip(*conflict.members)
        yield {"kind": "conflict", "match": conflict.kind, "lines": list(lines), "files": list(files),
               "labels": distinct_labels(conflict.line_labels),
               "line_labels": line_labels(conflict.line_labels)}
    for leak in result.all_leaks:
        yield {"kind": "leak", "match": leak.kind, "lines": [leak.eval_line, leak.train_line],
               "files": [leak.eval_file, leak.train_file], "similarity": leak.similarity,
               "similarity_measure": leak.similarity_measure}
    for overlap in result.all_overlaps:
        yield {"kind": "production_overlap", "lines": [overlap.production_line, overlap.train_line],
               "files": [overlap.production_file, overlap.train_file]}


# ---------------------------------------------------------------------------------------------------
# The hygiene finding


# Reworded (semantic) leaks: independent paraphrases of one intent across clean, published splits read as
# reworded copies too (cosine >= near_cosine): 9.0% of CLINC150's test split against its train split, 22.7%
# of Banking77's (23.2% before normalize.MEANING_FUNCTION_WORDS; benchmarks/duplicates_validity.py), so a share
# of them says little below that. Copies
# (exact, query, lexical) fail above hygiene.max_leaked; reworded ones warn, and fail only when more than
# half the eval set is reworded copies, about twice the most measured on a clean split.
CLEAN_SPLIT_REWORDED = 0.24
# The kinds of copy (duplicates.jsonl's `match`) as the hygiene summary counts them, in this order.
COPY_KINDS = (("exact", "exact"), ("query", "without the system prompt"), ("lexical", "lexical"))
MAX_SEMANTIC_LEAK_SHARE = 0.5


def judge(result: DuplicatesResult | None, ctx: AuditContext) -> list[Finding]:
    if result is None:
        return []
    h = ctx.config.hygiene
    records = max(result.records, 1)
    conflict_share = result.conflict_records / records
    leaked = result.leak_count
    duplicate_share = result.duplicate_records / result.records if result.records else 0.0
    evidence = {"duplicate_share": result.duplicate_share, "duplicate_share_unrounded": duplicate_share,
                "conflict_groups": result.conflict_count,
                "conflict_records": result.conflict_records, "conflict_share": round(conflict_share, 4),
                "leaked_eval_records": leaked, "exact_groups": result.exact_group_count, "near_groups": result.near_group_count,
                "label_field": result.label_source,
                "bounds": {"max_conflict_share": h.max_conflict_share, "max_leaked": h.max_leaked,
                           "max_duplicate_share": h.max_duplicate_share}}
    fails, warns, actions = [], [], []
    # A role read from several files names the file too: a bare line number would name a line of any of them.
    several_train = len(ctx.train.dataset.files) > 1
    reworded = result.semantic_leak_count
    copied = leaked - reworded
    reworded_share = reworded / max(result.eval_records or 0, 1)
    evidence.update(copied_eval_records=copied, reworded_eval_records=reworded, reworded_share=round(reworded_share, 4),
                    max_reworded_leak_share=MAX_SEMANTIC_LEAK_SHARE)
    leaks = result.all_leaks or result.leakage

    def example(kinds: tuple[str, ...]) -> str:
        # An exact copy is the plainest example of a copy; a near one is written as near, with how it matched.
        first = (next((x for x in leaks if x.kind == "exact"), None) if "exact" in kinds else None) \
            or next((x for x in leaks if x.kind in kinds), leaks[0])
        several_eval = ctx.eval is not None and len(ctx.eval.dataset.files) > 1
        eval_place = f"{first.eval_file}:{first.eval_line}" if several_eval else f"line {first.eval_line}"
        train_place = f"{first.train_file}:{first.train_line}" if several_train else f"line {first.train_line}"
        match = ("=", "") if first.kind == "exact" else ("=", " (without its system prompt)") if first.kind == "query" else \
            ("≈", f" (cosine {first.similarity:.3f})" if first.kind == "semantic" else " (lexical copy)")
        return f"eval {eval_place} {match[0]} train {train_place}{match[1]}"

    clean_rate = (f"clean standard splits have as many (up to {CLEAN_SPLIT_REWORDED:.0%}: independent crowd paraphrases)"
                  if reworded_share <= CLEAN_SPLIT_REWORDED else
                  f"more than clean standard splits reach (up to {CLEAN_SPLIT_REWORDED:.0%}: independent crowd paraphrases)")
    fail_copies = copied > h.max_leaked
    fail_reworded = reworded_share > MAX_SEMANTIC_LEAK_SHARE
    if fail_copies:
        # Each kind of copy apart, named as duplicates.jsonl's `match` names it (query: the input without its
        # system prompt), so the counts are that file's: on paraphrase data most copies are lexical ones, which
        # "are copies" alone would read as exact, and `query` folded into exact said 4 exact where the file had 2.
        # Reworded copies are said apart, as they only warn below the bound. "Exact" as the README defines it (the
        # normalised input: a copy in other case or width is one), not "verbatim".
        kinds = Counter(x.kind for x in leaks if x.kind != "semantic")
        named = [f"{kinds[kind]} {words}" for kind, words in COPY_KINDS if kinds[kind]]
        split = f" ({', '.join(named)})" if (kinds["lexical"] or len(named) > 1) and sum(kinds.values()) == copied else ""
        fails.append(f"{copied} eval records are copies of training records{split} (e.g. {example(('exact', 'query', 'lexical'))})"
                     + (f"; {reworded} more ({reworded_share:.1%} of the eval set) are reworded copies" if reworded else ""))
        actions.append(f"Remove the {copied} copied records from the eval set (or training) so the evaluation measures generalisation.")
    if fail_reworded:
        fails.append(f"{reworded_share:.1%} of the eval set ({reworded} records) are reworded copies of training inputs (e.g. "
                     f"{example(('semantic',))}), above {MAX_SEMANTIC_LEAK_SHARE:.0%}: {clean_rate}")
        actions.append(f"Read the {reworded} reworded eval records (duplicates.jsonl, match semantic) and drop those made "
                       "from a training record.")
    elif reworded and not fail_copies:
        warns.append(f"{reworded} eval records ({reworded_share:.1%}) are reworded copies of training inputs (e.g. "
                     f"{example(('semantic',))}); {clean_rate}, so read a few before trusting the eval set")
        actions.append(f"Read the {reworded} reworded eval records (duplicates.jsonl, match semantic) and drop any that "
                       "were made from a training record.")
    if result.conflict_count:
        c = result.conflicts[0]
        n = result.conflict_count
        # Only exact and lexical copies make a conflict (README): a reworded group with other labels may be a real
        # distinction of a fine-grained label set, so "duplicate inputs" said more than is counted.
        text = (f"{n} {'group' if n == 1 else 'groups'} of exact or lexical copies {'carries' if n == 1 else 'carry'} "
                f"different {c.field}s (e.g. {labelled_lines(c.lines, c.line_files, c.line_labels, several_train)})")
        (fails if conflict_share > h.max_conflict_share else warns if conflict_share > h.warn_conflict_share else []).append(text)
        actions.append(f"Adjudicate the {n} conflicting {'group' if n == 1 else 'groups'}: one input, one label.")
    share = duplicate_share  # from the counts: the rounded key says 0.1 for 30,001 of 300,009, above max 0.10
    if share > h.warn_duplicate_share:
        shown = percent_text(share, h.warn_duplicate_share, h.max_duplicate_share)
        text = (f"{shown} of records are duplicates ({result.exact_group_count} exact and "
                f"{result.near_group_count} near {'group' if result.near_group_count == 1 else 'groups'})")
        (fails if share > h.max_duplicate_share else warns).append(text)
        # With several files dedup takes them all at once, so a group that spans files keeps one record in all.
        actions.append("De-duplicate with `dataaudit dedup` (keeps the first record of each group)."
                       if not several_train else
                       "De-duplicate the files together with `dataaudit dedup FILES... --out FOLDER` (keeps the first record "
                       "of each group, across files; each file's copy is written under its own name).")
    action = " ".join(actions)
    # Said in every summary (README), not only a passing one: a failing one read as if conflicts were judged and none found.
    free_text = "targets are free text, so no label conflicts are judged" if result.records and not result.label_field else ""
    notes = [free_text] if free_text else []
    if fails:
        return [Finding("hygiene", Status.FAIL, "; ".join(fails + warns + notes), evidence, action)]
    if warns:
        return [Finding("hygiene", Status.WARN, "; ".join(warns + notes), evidence, action)]
    conflicts = ("no records to compare" if not result.records else free_text if free_text else
                 f"{result.conflict_count} conflicting label group(s) (within the bound of {h.warn_conflict_share:.1%} of records)"
                 if result.conflict_count else "no conflicting labels")
    if result.eval_records is None:  # nothing to compare with: no evidence of leakage either way
        leakage = "no eval set supplied (--eval), so leakage was not checked"
    elif leaked:
        leakage = f"{leaked} eval records also appear in training (within the bound of {h.max_leaked})"
    else:
        leakage = "no leakage"
    return [Finding("hygiene", Status.PASS, f"{conflicts}, {share:.1%} duplicates; {leakage}"
                    if result.eval_records is None else f"{leakage}, {conflicts}, {share:.1%} duplicates", evidence,
                    caveat=free_text)]


CHECK = Check(id="duplicates", order=50, measure=measure, judge=judge, conditions=frozenset({"hygiene"}))


# ---------------------------------------------------------------------------------------------------
# The old entry point, kept while api.py still calls it with parallel lists.


def _index_from_keys(role: str, dataset: Dataset, keys: list[str], vectors: np.ndarray | None) -> TextIndex:
    positions: dict[str, list[int]] = {}
    for i, key in enumerate(keys):
        if key:
            positions.setdefault(key, []).append(i)
    slot = {k: i for i, k in enumerate(positions)}
    key_ids = np.fromiter((slot.get(k, -1) for k in keys), dtype=np.int64, count=len(keys))
    # Keys given without the normalisation that made them: each is its own query, no system prompt set apart.
    distinct = list(positions)
    return TextIndex(role, dataset, keys, distinct, positions, key_ids, distinct, [""] * len(distinct), vectors)


def measure_duplicates(dataset: Dataset, keys: list[str], vectors: np.ndarray | None, config: DuplicatesConfig, *,
                       eval_set: tuple[Dataset, list[str], np.ndarray | None] | None = None,
                       production: tuple[Dataset, list[str]] | None = None, full_config: Config | None = None) -> DuplicatesResult:
    import dataclasses

    whole = dataclasses.replace(full_config or Config(), duplicates=config)
    return measure_index(
        _index_from_keys("train", dataset, keys, vectors), whole,
        eval_index=_index_from_keys("eval", *eval_set) if eval_set else None,
        production_index=_index_from_keys("production", production[0], production[1], None) if production else None)
