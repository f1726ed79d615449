"""Duplicates, conflicting labels and train/eval leakage.

Three ways two inputs count as the same:
- exact: the same normalised text (NFKC, case-folded, whitespace collapsed; configurable);
- semantic near duplicates: cosine >= bound between sentence embeddings (paraphrases, reordered words);
- lexical near duplicates: typos, punctuation and templated copies, which sentence embeddings miss (one
  typo in a short query can drop MiniLM's cosine below 0.5). MinHash LSH over character 3-grams (datasketch)
  proposes candidates in sub-quadratic time; a rapidfuzz edit-distance ratio confirms each one.
Groups are the connected components of those pairs; the first record (by file, line) is the one to keep.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from ..config import DuplicatesConfig
from ..neighbours import top_k
from ..load.records import Dataset, Record

MINHASH_PERMUTATIONS = 64
MINHASH_THRESHOLD = 0.3  # candidate Jaccard on 3-grams; low because one typo in a short text removes 3 of few grams
MAX_TEXT_CHARS = 300  # texts shown per group member in the report


@dataclass
class GroupMember:
    file: str
    line: int
    text: str
    label: str | None


@dataclass
class DuplicateGroup:
    kind: str  # exact | near
    lines: list[int]
    files: list[str]
    keep: int  # line of the record to keep
    keep_file: str
    members: list[GroupMember]
    same_target: bool | None  # whole-record duplicate: every member has the same label/target
    methods: list[str]  # for near groups: semantic and/or lexical
    min_similarity: float | None


@dataclass
class Conflict:
    kind: str  # exact | near
    lines: list[int]
    files: list[str]
    labels: list[str]  # distinct labels/targets, most frequent first
    texts: list[str]
    field: str  # label | target


@dataclass
class Leak:
    eval_file: str
    eval_line: int
    train_file: str
    train_line: int
    kind: str  # exact | semantic | lexical
    similarity: float
    eval_text: str
    train_text: str


@dataclass
class Overlap:
    production_file: str
    production_line: int
    train_file: str
    train_line: int
    text: str


@dataclass
class DuplicatesResult:
    records: int
    exact_group_count: int
    near_group_count: int
    whole_record_groups: int
    exact_groups: list[DuplicateGroup]
    near_groups: list[DuplicateGroup]
    conflicts: list[Conflict]
    leakage: list[Leak]
    eval_records: int | None
    production_overlap: int | None
    production_overlap_examples: list[Overlap]
    duplicate_records: int  # records dropped by keeping one per group
    duplicate_share: float
    usable: int
    near_cosine: float
    lexical_ratio: float | None
    group_sizes: list[int]  # every group's size, for plots


class _UnionFind:
    def __init__(self, n: int):
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _shingles(text: str) -> list[bytes]:
    padded = f" {text} "
    if len(padded) < 3:
        return [padded.encode()]
    return list({padded[i:i + 3].encode() for i in range(len(padded) - 2)})


def _minhashes(texts: list[str]):
    from datasketch import LeanMinHash, MinHash

    return [LeanMinHash(m) for m in MinHash.bulk([_shingles(t) for t in texts], num_perm=MINHASH_PERMUTATIONS, seed=1)]


def _lexical_index(keys: list[str]):
    """MinHash LSH over the keys' character 3-grams, built once and shared by the duplicate and leakage passes."""
    from datasketch import MinHashLSH

    lsh = MinHashLSH(threshold=MINHASH_THRESHOLD, num_perm=MINHASH_PERMUTATIONS)
    hashes = _minhashes(keys)
    with lsh.insertion_session() as session:
        for i, h in enumerate(hashes):
            session.insert(i, h, check_duplication=False)
    return lsh, hashes


def _lexical_pairs(keys: list[str], ratio: float, linked: _UnionFind | None = None, index=None) -> list[tuple[int, int, float]]:
    """Confirmed lexical pairs. A candidate already connected to the query (through earlier confirmed
    pairs, or `linked` from the semantic pass) is not verified again: groups are connected components, so
    a templated family of g copies costs about g edit-distance checks instead of g squared."""
    from rapidfuzz.fuzz import ratio as fuzz_ratio

    components = linked or _UnionFind(len(keys))
    lsh, hashes = index or _lexical_index(keys)
    pairs = []
    cutoff = ratio * 100
    for i, h in enumerate(hashes):
        for j in sorted(lsh.query(h)):
            if j > i and components.find(i) != components.find(j):
                score = fuzz_ratio(keys[i], keys[j], score_cutoff=cutoff)
                if score:
                    components.union(i, j)
                    pairs.append((i, j, score / 100))
    return pairs


def _semantic_pairs(vectors: np.ndarray, bound: float, k: int) -> list[tuple[int, int, float]]:
    sims, idx = top_k(vectors, vectors, k + 1)
    pairs = []
    rows, cols = np.nonzero(sims >= bound)
    for i, c in zip(rows.tolist(), cols.tolist()):
        j = int(idx[i, c])
        if j > i:
            pairs.append((i, j, float(sims[i, c])))
    return pairs


def _target_of(record: Record) -> tuple[str | None, str]:
    if record.label is not None:
        return record.label, "label"
    return record.target, "target"


def _group(kind: str, members: list[Record], methods: list[str], min_sim: float | None) -> DuplicateGroup:
    members = sorted(members, key=lambda r: (r.source, r.line))
    targets = {_target_of(r)[0] for r in members}
    return DuplicateGroup(
        kind=kind, lines=[r.line for r in members], files=sorted({r.source for r in members}),
        keep=members[0].line, keep_file=members[0].source,
        members=[GroupMember(r.source, r.line, r.input_text[:MAX_TEXT_CHARS], _target_of(r)[0]) for r in members],
        same_target=len(targets) == 1, methods=methods, min_similarity=None if min_sim is None else round(min_sim, 4))


def _conflict(kind: str, members: list[Record]) -> Conflict | None:
    members = sorted(members, key=lambda r: (r.source, r.line))
    values = [_target_of(r) for r in members]
    distinct = [v for v, _ in values if v is not None]
    if len(set(distinct)) < 2:
        return None
    counts: dict[str, int] = defaultdict(int)
    for value in distinct:
        counts[value] += 1
    ordered = sorted(counts, key=lambda v: (-counts[v], v))
    return Conflict(kind, [r.line for r in members], sorted({r.source for r in members}), [v[:MAX_TEXT_CHARS] for v in ordered],
                    list(dict.fromkeys(r.input_text[:MAX_TEXT_CHARS] for r in members)), values[0][1])


def measure_duplicates(dataset: Dataset, keys: list[str], vectors: np.ndarray | None, config: DuplicatesConfig, *,
                       eval_set: tuple[Dataset, list[str], np.ndarray | None] | None = None,
                       production: tuple[Dataset, list[str]] | None = None) -> DuplicatesResult:
    """keys[i] is the normalised input of dataset.records[i]; vectors (optional) hold one unit vector per
    distinct key, in order of first appearance. eval_set and production carry their own keys/vectors."""
    records = dataset.records
    by_key: dict[str, list[int]] = defaultdict(list)
    for i, key in enumerate(keys):
        if key:
            by_key[key].append(i)
    distinct = list(by_key)

    exact = [_group("exact", [records[i] for i in members], [], None) for members in by_key.values() if len(members) > 1]
    exact_conflicts = []
    exact_conflict_records: set[tuple[str, int]] = set()
    for members in by_key.values():
        conflict = _conflict("exact", [records[i] for i in members]) if len(members) > 1 else None
        if conflict is not None:
            exact_conflicts.append(conflict)
            exact_conflict_records.update((records[i].source, records[i].line) for i in members)

    pair_methods: dict[tuple[int, int], tuple[set[str], float]] = {}
    union = _UnionFind(len(distinct))
    if vectors is not None and len(distinct) > 1:
        for i, j, sim in _semantic_pairs(vectors, config.near_cosine, config.neighbours):
            pair_methods.setdefault((i, j), (set(), sim))[0].add("semantic")
            union.union(i, j)
    lexical_index = _lexical_index(distinct) if config.lexical and distinct else None
    if lexical_index is not None and len(distinct) > 1:
        for i, j, score in _lexical_pairs(distinct, config.lexical_ratio, union, lexical_index):
            methods, sim = pair_methods.setdefault((i, j), (set(), score))
            methods.add("lexical")
    components: dict[int, list[int]] = defaultdict(list)
    for i in range(len(distinct)):
        components[union.find(i)].append(i)

    links_by_root: dict[int, list[tuple[set[str], float]]] = defaultdict(list)
    for (i, _), link in pair_methods.items():
        links_by_root[union.find(i)].append(link)
    near, near_conflicts = [], []
    for root, members in components.items():
        if len(members) < 2:
            continue
        links = links_by_root[root]
        rows = [records[r] for key in members for r in by_key[distinct[key]]]
        near.append(_group("near", rows, sorted({x for m, _ in links for x in m}), min(s for _, s in links)))
        # A near conflict must hold beyond the exact conflicts already listed, or it would list them twice.
        outside = [r for r in rows if (r.source, r.line) not in exact_conflict_records]
        if _conflict("near", outside) is not None:
            near_conflicts.append(_conflict("near", rows))

    # One record kept per connected group of exact and near copies.
    usable = len(components)
    nonempty = sum(len(v) for v in by_key.values())

    leakage = _leakage(records, distinct, by_key, vectors, config, eval_set, lexical_index) if eval_set else []
    overlap = _overlap(records, by_key, production) if production else []

    exact.sort(key=lambda g: (-len(g.lines), g.keep_file, g.keep))
    near.sort(key=lambda g: (-len(g.lines), g.keep_file, g.keep))
    conflicts = sorted(exact_conflicts + near_conflicts, key=lambda c: (-len(c.lines), c.files[0], c.lines[0]))
    limit = config.max_groups_listed
    return DuplicatesResult(
        records=len(records),
        exact_group_count=len(exact),
        near_group_count=len(near),
        whole_record_groups=sum(1 for g in exact if g.same_target),
        exact_groups=exact[:limit],
        near_groups=near[:limit],
        conflicts=conflicts[:limit],
        leakage=leakage,
        eval_records=len(eval_set[0].records) if eval_set else None,
        production_overlap=len(overlap) if production else None,
        production_overlap_examples=overlap[:50],
        duplicate_records=nonempty - usable,
        duplicate_share=round((nonempty - usable) / len(records), 6) if records else 0.0,
        usable=usable,
        near_cosine=config.near_cosine,
        lexical_ratio=config.lexical_ratio if config.lexical else None,
        group_sizes=sorted((len(g.lines) for g in exact + near), reverse=True),
    )


def _leakage(records: list[Record], distinct: list[str], by_key: dict[str, list[int]], vectors: np.ndarray | None,
             config: DuplicatesConfig, eval_set: tuple[Dataset, list[str], np.ndarray | None], lexical_index) -> list[Leak]:
    eval_data, eval_keys, eval_vectors = eval_set
    first_train = {k: records[v[0]] for k, v in by_key.items()}
    leaks: list[Leak] = []
    eval_distinct = list(dict.fromkeys(k for k in eval_keys if k))
    eval_position = {k: i for i, k in enumerate(eval_distinct)}
    match: dict[str, tuple[str, str, float]] = {}  # eval key -> (train key, kind, similarity)
    for key in eval_distinct:
        if key in first_train:
            match[key] = (key, "exact", 1.0)
    if eval_vectors is not None and vectors is not None and distinct:
        sims, idx = top_k(vectors, eval_vectors, 1)
        for key in eval_distinct:
            i = eval_position[key]
            if key not in match and sims[i, 0] >= config.near_cosine:
                match[key] = (distinct[int(idx[i, 0])], "semantic", float(sims[i, 0]))
    if lexical_index is not None:
        from rapidfuzz.fuzz import ratio as fuzz_ratio

        lsh, _ = lexical_index
        pending = [k for k in eval_distinct if k not in match]
        for key, h in zip(pending, _minhashes(pending) if pending else []):
            scored = [(fuzz_ratio(key, distinct[j]) / 100, j) for j in lsh.query(h)]
            best = max(scored, default=(0.0, -1))
            if best[0] >= config.lexical_ratio:
                match[key] = (distinct[best[1]], "lexical", best[0])
    for record, key in zip(eval_data.records, eval_keys):
        if key in match:
            train_key, kind, sim = match[key]
            train = first_train[train_key]
            leaks.append(Leak(record.source, record.line, train.source, train.line, kind, round(sim, 4),
                              record.input_text[:MAX_TEXT_CHARS], train.input_text[:MAX_TEXT_CHARS]))
    return leaks


def _overlap(records: list[Record], by_key: dict[str, list[int]], production: tuple[Dataset, list[str]]) -> list[Overlap]:
    data, keys = production
    result = []
    for record, key in zip(data.records, keys):
        if key in by_key:
            train = records[by_key[key][0]]
            result.append(Overlap(record.source, record.line, train.source, train.line, record.input_text[:MAX_TEXT_CHARS]))
    return result
