"""Nearest-neighbour searches a re-run extends instead of repeating.

A scheduled audit of an annotation batch adds a few hundred records to a set it embedded and searched the
night before. The exact searches of the coverage and duplicates checks cost n x n products (CLINC150's
20,000 training + production inputs, 181 neighbours: about 2-3 s of a 2-core machine, a fifth of such a
re-run), yet a query's k nearest among the old rows cannot change when rows are added: only a new row can
enter its list. So the last run's lists are kept with an identity of every row (a 128-bit hash of its
vector's bytes), and a re-run
  - searches its new queries against every row, and its old queries against the new rows only;
  - merges each old query's kept list with its new candidates (best first, equal scores by index, as every
    search lists them), unless the old rows come in another order now (then it searches whole);
  - searches again, in full, any old query whose kept list names a row that is gone (its list may now lack
    a row it would have had).
That is the whole search's top k bit for bit: the exact search multiplies fixed-size tiles
(neighbours.QUERY_TILE x neighbours.ROW_TILE), so a pair's cosine is the same float32 whatever other queries and
rows it is searched with, and ties are listed and kept by lowest index in every search and in the merge. (When
faiss.knn searched, BLAS summed each product in an order set by the matrices' shapes: merged cosines came out
up to 5.4e-7 from a whole search's, and on CLINC150 15,000 + 4,500 with a batch of 500 every coverage scenario's
covered share moved by up to 7e-4, so the memo was off until the tiles.) Another CPU may choose another BLAS
kernel (other last bits), so an entry is keyed by the BLAS libraries loaded and the kernels they chose: a cache
folder copied to another machine is searched whole there.

Only exact searches (up to `neighbours.EXACT_LIMIT` indexed rows) are extended: the inverted file's buckets
are trained on the whole set. A purpose (which check's search) keeps `SLOTS` entries, each with a sketch of
its rows (the smallest row hashes), so audits of a few different datasets on one machine each find their
own; an entry is used when most of this run's rows were in it, and is replaced by this run's lists.
"""

from __future__ import annotations

import functools

import numpy as np

from .engine.base import DataSteps, SerialSteps
from .result_cache import ResultCache, array_fingerprint, results_folder

SLOTS = 4
SKETCH = 256  # row hashes kept per entry to recognise its dataset
# An entry is extended only when at least this share of the queries was in it and the new rows are at most this
# share of the indexed rows: beyond that, a whole search costs about what the parts would.
MIN_REUSED = 0.5
# Lists are searched and kept for k rounded up to a multiple of this: coverage's k follows its labels' median
# size, so a batch moved it (168 to 172 on the sample data) and found no kept lists of its k.
KEPT_K_STEP = 32
_MULTIPLIERS = np.random.default_rng(20_261_207).integers(1, 2**63, size=(2, 4096), dtype=np.uint64) | np.uint64(1)


@functools.cache
def _blas_kernels() -> list[str]:
    """numpy's BLAS (name, version) and the kernel it chose for this CPU: what a kept cosine's last bits depend on
    besides its two vectors. Other BLAS libraries loaded (faiss's, scipy's) come and go with imports: not named."""
    from threadpoolctl import threadpool_info

    blas = np.show_config(mode="dicts").get("Build Dependencies", {}).get("blas", {})
    kernels = sorted({str(i.get("architecture")) for i in threadpool_info()
                      if i.get("user_api") == "blas" and i.get("version") == blas.get("version")})
    return [str(blas.get("name")), str(blas.get("version")), *kernels]


def row_hashes(vectors: np.ndarray) -> np.ndarray:
    """Two 64-bit hashes per row (n x 2 uint64) of a float32 matrix's bytes: sums of the row's 8-byte words times
    odd random multipliers, modulo 2**64. Rows hashed equal are treated as the same row."""
    rows = np.ascontiguousarray(vectors, dtype=np.float32)
    if rows.shape[1] % 2:
        rows = np.hstack([rows, np.zeros((len(rows), 1), dtype=np.float32)])
    words = rows.view(np.uint64)
    if words.shape[1] > _MULTIPLIERS.shape[1]:
        raise ValueError(f"vectors of {rows.shape[1]} dimensions are longer than row_hashes handles")
    with np.errstate(over="ignore"):
        return np.stack([(words * m[:words.shape[1]]).sum(axis=1, dtype=np.uint64) for m in _MULTIPLIERS], axis=1)


def _occurrence_keys(hashes: np.ndarray) -> np.ndarray:
    """(hash, hash, n) for each row (n x 3 uint64), n counting earlier rows with the same hashes: equal vectors (two
    inputs the model reads alike) map to each other in order."""
    order = np.lexsort((np.arange(len(hashes)), hashes[:, 1], hashes[:, 0]))  # equal pairs together, in row order
    ordered = hashes[order]
    starts = np.ones(len(order), dtype=bool)
    starts[1:] = (ordered[1:] != ordered[:-1]).any(axis=1)
    first = np.maximum.accumulate(np.where(starts, np.arange(len(order)), 0))
    occurrence = np.empty(len(order), dtype=np.uint64)
    occurrence[order] = np.arange(len(order)) - first
    return np.column_stack([hashes[:, 0], hashes[:, 1], occurrence]).astype(np.uint64, copy=False)


def _positions_in(keys: np.ndarray, found: np.ndarray) -> np.ndarray:
    """For each row of `found`, the row of `keys` with the same (hash, hash, n), else -1 (keys are distinct).
    One sort of both instead of a dict of Python tuples: 0.7 s of CPU a batch re-run spent building them."""
    if not len(keys) or not len(found):
        return np.full(len(found), -1, dtype=np.int64)
    _, inverse = np.unique(np.vstack([keys, found]), axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    where = np.full(int(inverse.max()) + 1, -1, dtype=np.int64)
    where[inverse[:len(keys)]] = np.arange(len(keys))
    return where[inverse[len(keys):]]


def _sketch(hashes: np.ndarray) -> np.ndarray:
    return np.unique(hashes[:, 0])[:SKETCH]


def _resemblance(a: np.ndarray, b: np.ndarray) -> float:
    """Bottom-k estimate of the Jaccard similarity of the two row sets the sketches came from."""
    if not len(a) or not len(b):
        return 0.0
    union = np.union1d(a, b)[:SKETCH]
    return float((np.isin(union, a) & np.isin(union, b)).sum()) / len(union)


class SearchMemo:
    """One purpose's kept searches (see the module's doc). `search` has `DataSteps.search`'s contract."""

    def __init__(self, cache: ResultCache, purpose: str):
        self.cache, self.purpose = cache, purpose
        self.directory_key = array_fingerprint(f"search-memo:{purpose}:directory", [], {})
        self.reused = 0  # queries whose kept list was extended by the last search (the tests read it)

    @classmethod
    def open(cls, config, purpose: str) -> "SearchMemo | None":
        """The memo of `purpose` under this config's cache settings; None when caching is off."""
        folder = results_folder(config.embeddings)
        return cls(ResultCache(folder / "searches"), purpose) if folder is not None else None

    def _slot_key(self, slot: int, k: int) -> str:
        return array_fingerprint(f"search-memo:{self.purpose}", [], {"slot": slot, "k": k, "blas": _blas_kernels()})

    def search(self, steps: DataSteps, indexed: np.ndarray, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        from .neighbours import EXACT_LIMIT

        self.reused = 0
        if len(indexed) > EXACT_LIMIT or len(queries) == 0 or len(indexed) == 0 or k <= 0:
            return steps.search(indexed, queries, k)
        sims, idx = self._kept_search(steps, indexed, queries, -(-k // KEPT_K_STEP) * KEPT_K_STEP)
        # The first k of a list of more are the k a search for k finds: both hold ties by lowest index.
        return np.ascontiguousarray(sims[:, :k]), np.ascontiguousarray(idx[:, :k])

    def _kept_search(self, steps: DataSteps, indexed: np.ndarray, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Each query's k + 1 nearest: the (k+1)-th similarity tells the next run whether a list's k-th place is tied."""
        indexed_hashes = row_hashes(indexed)
        query_hashes = indexed_hashes if queries is indexed else row_hashes(queries)
        sketch = _sketch(indexed_hashes)
        directory = self.cache.get(self.directory_key) or {}
        slots = directory.get("slots", {})
        best = max(slots, key=lambda s: (_resemblance(slots[s], sketch), -s), default=None)
        alike = best is not None and _resemblance(slots[best], sketch) >= MIN_REUSED
        kept = self.cache.get(self._slot_key(best, k)) if alike else None
        found = self._extended(steps, indexed, queries, k, indexed_hashes, query_hashes, kept) if kept else None
        if found is None:
            found = steps.search(indexed, queries, k + 1)
        # This dataset's slot whether or not it held lists of this k (a k that grows with the labels' sizes
        # must not take a second slot, and push out another dataset's, at each change).
        slot = best if alike else min(set(range(SLOTS)) - set(slots), default=None)
        if slot is None:  # every slot taken by other data: replace the least like this run's
            slot = min(slots, key=lambda s: (_resemblance(slots[s], sketch), s))
        self.cache.put(self._slot_key(slot, k), {"indexed": indexed_hashes, "queries": query_hashes,
                                                 "similarity": found[0], "index": found[1].astype(np.int32)})
        self.cache.put(self.directory_key, {"slots": {**slots, slot: sketch}})
        return found

    def _extended(self, steps: DataSteps, indexed: np.ndarray, queries: np.ndarray, k: int,
                  indexed_hashes: np.ndarray, query_hashes: np.ndarray, kept: dict) -> tuple[np.ndarray, np.ndarray] | None:
        """k + 1 neighbours per query (see `_kept_search`), or None to search whole."""
        try:
            old_indexed, old_queries, old_sims, old_idx = kept["indexed"], kept["queries"], kept["similarity"], kept["index"]
        except (KeyError, TypeError):
            return None
        wide = k + 1
        if old_sims.shape[1] != wide:
            return None
        moved = np.append(_positions_in(_occurrence_keys(indexed_hashes), _occurrence_keys(old_indexed)), -1)
        added = np.setdiff1d(np.arange(len(indexed)), moved[moved >= 0])
        source = _positions_in(_occurrence_keys(old_queries), _occurrence_keys(query_hashes))
        kept_idx = moved[np.where(old_idx >= 0, old_idx, len(moved) - 1)]  # -1 for a missing neighbour or a gone row
        lost = ((old_idx >= 0) & (kept_idx < 0)).any(axis=1)
        # A kept list whose k-th and (k+1)-th similarities tie may lack an old row tied with them that the rows'
        # new order puts first; one without such a tie holds every old row at or above its k-th similarity.
        tied = np.isfinite(old_sims[:, k - 1]) & (old_sims[:, k - 1] == old_sims[:, k])
        unusable = np.append(lost | tied, True)
        extend = np.flatnonzero((source >= 0) & ~unusable[source])
        if len(extend) < MIN_REUSED * len(queries) or len(added) > MIN_REUSED * len(indexed):
            return None
        sims = np.empty((len(queries), wide), dtype=np.float32)
        idx = np.empty((len(queries), wide), dtype=np.int64)
        rows = source[extend]
        both_sims, both_idx = old_sims[rows], kept_idx[rows]
        if len(added):
            add_sims, add_idx = _search_added(steps, indexed[added], queries[extend], min(wide, len(added)))
            add_idx = np.where(add_idx >= 0, added[np.maximum(add_idx, 0)], -1)
            both_sims, both_idx = np.hstack([both_sims, add_sims]), np.hstack([both_idx, add_idx])
        # Ties by (new) index, as every search orders them (neighbours.ties_by_index): the kept list holds every
        # old row at or above its k-th similarity and the added rows' list their lowest tied indices, so the first
        # k are the whole search's; the (k+1)-th similarity (not its row) is too, which the next run's tie test reads.
        last = np.iinfo(np.int64).max
        order = np.lexsort((np.where(both_idx < 0, last, both_idx), -both_sims), axis=-1)[:, :wide]
        sims[extend] = np.take_along_axis(both_sims, order, axis=1)
        idx[extend] = np.take_along_axis(both_idx, order, axis=1)
        rest = np.setdiff1d(np.arange(len(queries)), extend)
        if len(rest):
            sims[rest], idx[rest] = steps.search(indexed, queries[rest], wide)
        idx[~np.isfinite(sims)] = -1
        self.reused = len(extend)
        return sims, idx


def _search_added(steps: DataSteps, added: np.ndarray, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """steps.search(added, queries, k): for a batch's few new rows searched here, the turned tiles of
    neighbours.top_k_among_few (the same lists; a search of 20,000 old queries against 500 new rows took 1.5-2 s
    of the batch re-run's coverage and duplicates checks, four fifths of it multiplying padding). Another
    engine's steps (Ray's tasks) search as they search every block, so the work goes where the engine puts it."""
    from .neighbours import QUERY_TILE, top_k_among_few

    if len(added) <= QUERY_TILE and isinstance(steps, SerialSteps):
        return top_k_among_few(added, queries, k)
    return steps.search(added, queries, k)


class _RememberingSteps:
    """An engine's steps whose `search` goes through a memo; every other step is the engine's own."""

    def __init__(self, steps: DataSteps, memo: SearchMemo):
        self.steps, self.memo = steps, memo

    def search(self, indexed: np.ndarray, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        return self.memo.search(self.steps, indexed, queries, k)

    def __getattr__(self, name: str):
        return getattr(self.steps, name)


def remembering(steps: DataSteps, config, purpose: str) -> DataSteps:
    """`steps` with its searches kept for the next run under `purpose` (one name per search a check makes:
    two searches under one name would replace each other's entries); `steps` itself when caching is off."""
    memo = SearchMemo.open(config, purpose)
    return steps if memo is None else _RememberingSteps(steps, memo)  # type: ignore[return-value]
