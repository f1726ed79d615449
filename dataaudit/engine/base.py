"""What every engine shares: the data-parallel steps a measurement is written against (DataSteps), the
split of a dataset by input file, the `engine` entry of the report, and the error an engine raises when it
cannot finish. Finding and reading the inputs is loading's work: load/inputs.py."""

from __future__ import annotations

import functools
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import DataAuditError
from ..load.records import Dataset, Record

if TYPE_CHECKING:
    import numpy as np

    from ..index import TextIndex


class EngineError(DataAuditError):
    """The engine cannot run or cannot finish (Ray missing, cluster unreachable, workers lost for good):
    the audit stops with exit 2 and writes no report."""


@dataclass(frozen=True)
class EngineInfo:
    name: str
    version: str
    nodes: int
    cpus: float
    gpus: float


class DataSteps:
    """The data-parallel steps a measurement can be written against once, whichever engine runs it. The unit
    of work is one input file's records (a partition); `fn` is a module-level function of a list of Records
    (and picklable arguments) returning a small partial result, so it can run where the file was read.

    An engine supplies `map_partitions`; the rest is built on it and runs on the driver (the merges)."""

    def map_partitions(self, dataset: Dataset, fn, *args) -> list:
        """fn(records of one file, *args) for every input file of `dataset`, in file order."""
        raise NotImplementedError

    def map_merge(self, dataset: Dataset, fn, merge, *args):
        """The partials of `map_partitions` folded left to right with merge(a, b) (None without records)."""
        partials = self.map_partitions(dataset, fn, *args)
        return functools.reduce(merge, partials) if partials else None

    def count(self, dataset: Dataset, fn, *args) -> Counter:
        """The sum of fn(records, *args) -> Counter over every file: per-record counts, merged."""
        return self.map_merge(dataset, fn, _add_counters, *args) or Counter()

    def group_by_key(self, dataset: Dataset, key_fn) -> dict[str, list[int]]:
        """key -> positions (in dataset.records) of the records whose key_fn(record) is that non-empty key,
        keys in order of first appearance: each file is grouped where it lies, the groups joined here."""
        return merge_key_positions(self.map_partitions(dataset, key_positions, key_fn))

    def map_keys(self, index: TextIndex, fn, *args, queries: bool = False) -> list:
        """fn(the normalised keys of one input file's records, in record order, *args) for every input file
        of the index's dataset, in file order; queries: their normalised queries instead (what is embedded, the
        input without its system prompt or a conversation's user turns). Here on the driver; an engine that
        kept each file's keys where its read task computed them runs fn there instead."""
        return [fn(keys, *args) for keys in (file_query_lists(index) if queries else file_key_lists(index))]

    def map_blocks(self, fn, blocks: list, *shared) -> list:
        """fn(block, *shared) for every block, in order: work the caller already split into independent
        blocks that belong to no input file (the bands of an LSH pass, chunks of candidate pairs). `shared`
        holds what every block reads whole (an array of keys, a cutoff). Here one block after another; an
        engine with workers runs a task per block and ships `shared` to them once."""
        return [fn(block, *shared) for block in blocks]

    def map_records(self, dataset: Dataset, fn, *args) -> list:
        """fn(records of one file, *args) -> one value per record, run per file; the values in the order of
        dataset.records (a record's file names its partition, so the order holds however files were split)."""
        values: dict[str, list] = {}
        for source, partial in self.map_partitions(dataset, _per_record, fn, *args):
            if source is not None:
                values[source] = partial
        cursor = dict.fromkeys(values, 0)
        ordered = []
        for record in dataset.records:
            i = cursor[record.source]
            ordered.append(values[record.source][i])
            cursor[record.source] = i + 1
        return ordered

    def search(self, indexed: np.ndarray, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """neighbours.top_k(indexed, queries, k): each query's k nearest indexed rows by cosine, best first
        (`queries is indexed`: a self-query). Here on the driver; an engine with workers may search blocks of
        the queries there instead, with the same results: the exact search's cosines are the same bits in any
        block (fixed tiles, neighbours.py); the inverted file's, above EXACT_LIMIT rows, only for blocks cut at
        faiss's query tiles (query_blocks; docs/distributed.md)."""
        from ..neighbours import top_k

        return top_k(indexed, queries, k)


class SerialSteps(DataSteps):
    """The steps in this process, one file after another: the local engine's executor, and what a check's
    context uses when no engine supplied one (a notebook calling a measurement directly)."""

    def map_partitions(self, dataset: Dataset, fn, *args) -> list:
        return [fn(records, *args) for records in file_partitions(dataset)]


def _per_record(records: list[Record], fn, *args) -> tuple[str | None, list]:
    values = list(fn(records, *args))
    if len(values) != len(records):
        raise ValueError(f"{getattr(fn, '__name__', fn)} returned {len(values)} values for {len(records)} records")
    return (records[0].source if records else None), values


def _add_counters(a: Counter, b: Counter) -> Counter:
    a.update(b)
    return a


# faiss multiplies through BLAS from this many queries on; fewer are summed in its own SIMD order (other last
# bits): neighbours pads shorter query sets, and no search block is smaller.
FAISS_BLAS_MIN_QUERIES = 20




def query_blocks(queries: int, workers: int, fewest: int, tile: int) -> list[slice]:
    """Contiguous blocks of `queries` rows, at most one per worker and (but the last) none under `fewest` rows,
    cut at multiples of `tile` rows: faiss multiplies the queries of one search in tiles of that many, so
    a block's tiles are the whole search's and give its results bit for bit (measured: docs/distributed.md).
    A last block of fewer than FAISS_BLAS_MIN_QUERIES rows joins the one before it; fewer queries than
    `fewest` make one block of them all."""
    tiles = -(-queries // tile)
    count = max(1, min(workers, tiles, queries // max(fewest, 1)))
    bounds = [min(queries, tile * (tiles * b // count)) for b in range(count + 1)]
    if count > 1 and bounds[-1] - bounds[-2] < FAISS_BLAS_MIN_QUERIES:
        del bounds[-2]
    return [slice(start, stop) for start, stop in zip(bounds, bounds[1:])]


def file_partitions(dataset: Dataset) -> list[list[Record]]:
    """The dataset's records split by the file they came from, in file order."""
    parts: dict[str, list[Record]] = {f.path: [] for f in dataset.files}
    for record in dataset.records:
        parts.setdefault(record.source, []).append(record)
    return list(parts.values())


def file_key_lists(index: TextIndex) -> list[list[str]]:
    """The index's record keys split by the file of their record, in file order (as file_partitions)."""
    dataset = index.dataset
    parts: dict[str, list[str]] = {f.path: [] for f in dataset.files}
    for record, key in zip(dataset.records, index.keys):
        parts.setdefault(record.source, []).append(key)
    return list(parts.values())


def file_query_lists(index: TextIndex) -> list[list[str]]:
    """As file_key_lists, each record's normalised query (`TextIndex.embed_texts` of its key) for its key."""
    dataset = index.dataset
    parts: dict[str, list[str]] = {f.path: [] for f in dataset.files}
    for record, key_id in zip(dataset.records, index.key_ids.tolist()):
        parts.setdefault(record.source, []).append(index.embed_texts[key_id] if key_id >= 0 else "")
    return list(parts.values())


def key_positions(records: list[Record], key_fn) -> tuple[int, dict[str, list[int]]]:
    """The map step of group_by_key: (records in this partition, key -> positions within it)."""
    groups: dict[str, list[int]] = {}
    for i, record in enumerate(records):
        key = key_fn(record)
        if key:
            groups.setdefault(key, []).append(i)
    return len(records), groups


def merge_key_positions(partials: list[tuple[int, dict[str, list[int]]]]) -> dict[str, list[int]]:
    """The merge step of group_by_key: partition positions shifted to dataset positions, in partition order."""
    merged: dict[str, list[int]] = {}
    offset = 0
    for size, groups in partials:
        for key, positions in groups.items():
            merged.setdefault(key, []).extend(p + offset for p in positions)
        offset += size
    return merged
