"""k-nearest-neighbour search by cosine over unit vectors, never an n x m matrix in memory.

The exact search multiplies fixed-size tiles with numpy and keeps each query's best in faiss's heaps, so a
pair's cosine is the same bits in every search (see QUERY_TILE); it took 0.8-1.3x faiss.knn's time, the fastest
search measured before (100k x 100k self-query: faiss IndexFlatIP 31 s, torch blocked 52 s, numpy 74-128 s,
scikit-learn brute 181 s; see ../shared/MEASUREMENTS.md and benchmarks/bench_exact_tiles.py). Above EXACT_LIMIT indexed vectors the search is an inverted
file: the vectors are bucketed by their nearest of IVF_LISTS k-means centroids, and the queries of one
bucket are searched exactly, in one matrix product, against the IVF_PROBES buckets nearest to its centroid.
That is faiss's IndexIVFFlat search with the probes chosen per bucket instead of per query, so the work is a
matrix product (BLAS) rather than a scan per query. Measured once while choosing (scratch runs, 400,000
stand-in vectors: CLINC150 query embeddings plus noise 0.1, a loose cluster per query; load average 5-7 on
2 cores): the whole self-query for 11 neighbours took 89 s at recall 0.760 with 8 probes, 156 s at 0.809
with 16; IndexIVFFlat with the same 1,024 lists would take about 353 s at 0.815 (8 probes, extrapolated
from 2,000 queries); an HNSW graph (M 32) had not finished building after 9 minutes. Near copies (cosine
0.95 and up, all the duplicates check keeps) sit in the same or a neighbouring bucket, so their recall is
higher than these averages over all 11 neighbours; benchmarks/bench_scale.py --semantic measures both at a million.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .engine.base import DataSteps, SerialSteps

EXACT_LIMIT = 300_000
# A million vectors in 1,024 buckets is about 1,000 a bucket; k-means on 39 sampled vectors per bucket
# (faiss's floor) trains in seconds. The probes were chosen by recall against exact search (bench_scale.py).
IVF_LISTS = 1024
IVF_PROBES = 8
IVF_TRAIN_PER_LIST = 39
IVF_SEED = 1234


def spherical_kmeans(points: np.ndarray, k: int, seed: int, iterations: int = 20,
                     restarts: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Centroids of seeded spherical k-means (faiss) over unit vectors compared by cosine, and each point's
    centroid. One thread: the
    centroid sums then add up in one order on every machine, so the same vectors give the same centroids;
    on 2 cores it was also faster (15,000 inputs, k = 40: 0.9 s against 2.3 s with two threads)."""
    import faiss

    points = np.ascontiguousarray(points, dtype=np.float32)
    # min_points_per_centroid=1: small clusters are expected, and faiss would warn on stderr about them.
    model = faiss.Kmeans(points.shape[1], k, niter=iterations, nredo=restarts, seed=seed, spherical=True,
                         min_points_per_centroid=1, verbose=False)
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        model.train(points)
        _, assignment = model.index.search(points, 1)
    finally:
        faiss.omp_set_num_threads(threads)
    return model.centroids, assignment[:, 0].astype(int)


def _centroids(indexed: np.ndarray) -> np.ndarray:
    """Centroids of a seeded sample: the same vectors give the same buckets every run."""
    lists = min(IVF_LISTS, max(1, len(indexed) // IVF_TRAIN_PER_LIST))
    rng = np.random.default_rng(IVF_SEED)
    sample = np.sort(rng.choice(len(indexed), size=min(len(indexed), lists * IVF_TRAIN_PER_LIST), replace=False))
    return spherical_kmeans(indexed[sample], lists, IVF_SEED)[0]


def _nearest_centroid(vectors: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    import faiss

    return faiss.knn(vectors, centroids, 1, metric=faiss.METRIC_INNER_PRODUCT)[1][:, 0]


def _bucket_bounds(bucket_of: np.ndarray, buckets: int) -> tuple[np.ndarray, np.ndarray]:
    """Positions sorted by bucket, and where each bucket starts in that order (buckets + 1 offsets)."""
    order = np.argsort(bucket_of, kind="stable")
    return order, np.searchsorted(bucket_of[order], np.arange(buckets + 1))


@dataclass(frozen=True)
class InvertedFile:
    """The buckets of an inverted-file search over one set of indexed vectors, built once however many
    query blocks search them (an engine ships it to its workers beside the vectors)."""

    centroids: np.ndarray
    home: np.ndarray  # each indexed vector's bucket
    probed: np.ndarray  # each bucket's IVF_PROBES nearest buckets, itself first
    members: np.ndarray  # indexed positions sorted by bucket
    starts: np.ndarray  # where each bucket starts in `members` (buckets + 1 offsets)


def inverted_file(indexed: np.ndarray) -> InvertedFile:
    import faiss

    centroids = _centroids(indexed)
    home = _nearest_centroid(indexed, centroids)
    probed = faiss.knn(centroids, centroids, min(IVF_PROBES, len(centroids)), metric=faiss.METRIC_INNER_PRODUCT)[1]
    members, starts = _bucket_bounds(home, len(centroids))
    return InvertedFile(centroids, home, probed, members, starts)


def _inverted_file_top_k(inverted: InvertedFile, indexed: np.ndarray, queries: np.ndarray, query_home: np.ndarray,
                         k: int) -> tuple[np.ndarray, np.ndarray]:
    import faiss

    members, starts, buckets = inverted.members, inverted.starts, len(inverted.centroids)
    asking, query_starts = _bucket_bounds(query_home, buckets)
    sims = np.full((len(queries), k), -np.inf, dtype=np.float32)
    idx = np.full((len(queries), k), -1, dtype=np.int64)
    for bucket in range(buckets):
        mine = asking[query_starts[bucket]:query_starts[bucket + 1]]
        if not len(mine):
            continue
        candidates = np.concatenate([members[starts[b]:starts[b + 1]] for b in inverted.probed[bucket] if b >= 0])
        found = min(k, len(candidates))
        if not found:
            continue
        block_sims, block_idx = faiss.knn(queries[mine], indexed[candidates], found, metric=faiss.METRIC_INNER_PRODUCT)
        sims[mine, :found] = block_sims
        idx[mine, :found] = candidates[block_idx]
    return sims, idx


@dataclass(frozen=True)
class SearchIndex:
    """Indexed vectors ready to be searched by any number of query blocks: float32 rows, and above
    EXACT_LIMIT their inverted file."""

    vectors: np.ndarray
    inverted: InvertedFile | None


def search_index(indexed: np.ndarray) -> SearchIndex:
    vectors = np.ascontiguousarray(indexed, dtype=np.float32)
    return SearchIndex(vectors, inverted_file(vectors) if len(vectors) > EXACT_LIMIT else None)


def query_index(index: SearchIndex, queries: np.ndarray | slice, k: int) -> tuple[np.ndarray, np.ndarray]:
    """top_k over a built index. `queries` is either vectors or a slice of the indexed rows themselves (a
    self-query, whose rows the inverted file finds in their own buckets, as the whole self-query does)."""
    indexed = index.vectors
    rows = queries if isinstance(queries, slice) else None
    queries = indexed[rows] if rows is not None else np.ascontiguousarray(queries, dtype=np.float32)
    if len(indexed) == 0 or len(queries) == 0 or k <= 0:
        return np.full((len(queries), max(k, 0)), -np.inf, dtype=np.float32), np.full((len(queries), max(k, 0)), -1, dtype=np.int64)
    found = min(k, len(indexed))
    if index.inverted is not None:
        inverted = index.inverted
        query_home = inverted.home[rows] if rows is not None else _nearest_centroid(queries, inverted.centroids)
        sims, idx = _inverted_file_top_k(inverted, indexed, queries, query_home, found)
    else:
        sims, idx = _exact_top_k(queries, indexed, found)
    if k > len(indexed):
        pad = k - len(indexed)
        sims = np.hstack([sims, np.full((len(queries), pad), -np.inf, dtype=np.float32)])
        idx = np.hstack([idx, np.full((len(queries), pad), -1, dtype=np.int64)])
    sims[idx < 0] = -np.inf
    return ties_by_index(sims, idx)


# The exact search multiplies fixed tiles, QUERY_TILE queries by ROW_TILE indexed rows (the last of each
# zero-padded to full size), because a sum of products in float32 depends on the order BLAS adds it in, and
# BLAS (faiss's included) chooses that order by the matrices' shapes: the same pair came out up to 5.4e-7 apart
# in a whole search and in an extended one (search_memo.py), enough to move coverage's figures. One tile shape
# is one kernel path, so a pair's cosine is the same bits among any queries and rows at any offset, with one
# BLAS thread or two (tests/test_neighbours.py) — on one machine: another CPU may pick another kernel.
# 1,024 x 4,096 was the fastest of the shapes tried (benchmarks/bench_exact_tiles.py); smaller tiles spent
# their time in two BLAS threads' hand-offs.
QUERY_TILE = 1024
ROW_TILE = 4096


def _tiled_top(queries: np.ndarray, indexed: np.ndarray, wanted: int) -> tuple[np.ndarray, np.ndarray]:
    """Each query's `wanted` best rows, best first (tied ones in heap order), kept in faiss's heaps as the tiles
    are multiplied. The heaps run on one thread: beside BLAS's two, faiss's OpenMP threads only wait on them
    (measured: 0.37 s against 0.05 s to add 84 million similarities)."""
    import faiss

    n, dimensions = indexed.shape
    sims = np.empty((len(queries), wanted), dtype=np.float32)
    idx = np.empty((len(queries), wanted), dtype=np.int64)
    query_tile = np.zeros((QUERY_TILE, dimensions), dtype=np.float32)
    block = np.empty((QUERY_TILE, ROW_TILE), dtype=np.float32)
    last_rows = n % ROW_TILE
    last_tile = np.zeros((ROW_TILE, dimensions), dtype=np.float32)
    last_tile[:last_rows] = indexed[n - last_rows:]
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        for start in range(0, len(queries), QUERY_TILE):
            real = min(QUERY_TILE, len(queries) - start)
            query_tile[:real] = queries[start:start + real]
            query_tile[real:] = 0
            heaps = faiss.float_minheap_array_t()
            heaps.k, heaps.nh = wanted, real
            heaps.val = faiss.swig_ptr(sims[start:start + real])
            heaps.ids = faiss.swig_ptr(idx[start:start + real])
            heaps.heapify()  # -inf and -1: a padded column (-inf) never enters
            for row in range(0, n, ROW_TILE):
                whole = row + ROW_TILE <= n
                np.matmul(query_tile, (indexed[row:row + ROW_TILE] if whole else last_tile).T, out=block)
                if not whole:
                    block[:, last_rows:] = -np.inf
                heaps.addn(ROW_TILE, faiss.swig_ptr(block), row, 0, real)
            heaps.reorder()
    finally:
        faiss.omp_set_num_threads(threads)
    return sims, idx


def top_k_among_few(rows: np.ndarray, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """top_k(rows, queries, k) for at most QUERY_TILE rows and k <= len(rows): the same similarities and indices,
    best first, ties by lowest index. The tiles are turned: the rows fill one query tile and the queries pass as
    row tiles. A batch's few hundred new rows searched as row tiles filled a 4,096-row tile each time, most of it
    padding: for a search memo extending 20,000 queries by 500 rows (search_memo.py), 20 tile products instead of
    5. Turned, a pair's cosine is the same bits (the same products summed in the same order: tests/test_neighbours.py
    compares it with top_k), and with so few rows each query's list is a partition and sort of all of them."""
    if not 0 < k <= len(rows) <= QUERY_TILE or QUERY_TILE > 1024:  # _best_first keeps a column in 10 bits
        raise ValueError(f"top_k_among_few: needs 0 < k <= {len(rows)} rows <= {QUERY_TILE}")
    rows = np.ascontiguousarray(rows, dtype=np.float32)
    queries = np.ascontiguousarray(queries, dtype=np.float32)
    dimensions = rows.shape[1]
    row_tile = np.zeros((QUERY_TILE, dimensions), dtype=np.float32)
    row_tile[:len(rows)] = rows
    query_tile = np.zeros((ROW_TILE, dimensions), dtype=np.float32)
    block = np.empty((QUERY_TILE, ROW_TILE), dtype=np.float32)
    sims = np.empty((len(queries), k), dtype=np.float32)
    idx = np.empty((len(queries), k), dtype=np.int64)
    for start in range(0, len(queries), ROW_TILE):
        real = min(ROW_TILE, len(queries) - start)
        query_tile[:real] = queries[start:start + real]
        query_tile[real:] = 0
        np.matmul(row_tile, query_tile.T, out=block)
        turned = block[:len(rows), :real].T
        order = _best_first(turned, k)
        sims[start:start + real] = np.take_along_axis(turned, order, axis=1)
        idx[start:start + real] = order
    return sims, idx


def _best_first(similarities: np.ndarray, k: int) -> np.ndarray:
    """Each row's k largest columns, largest first, equal ones by lowest column (fewer than 1,024 columns).
    Each similarity and its column are one int64 that sorts as (-similarity, column), so a plain partition and a
    sort of the k finds them: a stable argsort of the floats was most of top_k_among_few's time."""
    # + 0: -0.0 becomes 0.0, which the heaps take as equal; NaN is last, as top_k never returns one
    flipped = -(np.nan_to_num(similarities, nan=-np.inf) + np.float32(0.0))
    bits = flipped.view(np.int32).astype(np.int64)
    ascending = np.where(bits < 0, bits ^ 0x7FFFFFFF, bits)  # a float32's bits, turned to sort as its value
    keys = (ascending << 10) | np.arange(similarities.shape[1], dtype=np.int64)
    if k < similarities.shape[1]:
        keys = np.partition(keys, k - 1, axis=1)[:, :k]
    return np.sort(keys, axis=1) & 0x3FF


def _exact_top_k(queries: np.ndarray, indexed: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k nearest by exact search, rows tied across the k-th place chosen by lowest index: which of them a
    heap keeps depends on what else it evicted, which a search of other rows (search_memo.py) would not
    reproduce. One more
    neighbour shows such a tie; the few queries that have one are searched again for twice as many, and again,
    until the list ends below the tied value (so it holds the whole tie), never for every row at once: a
    self-query of 2,000 equal vectors among 100,000 took 108 s and 7.7 GB that way."""
    queries = np.ascontiguousarray(queries, dtype=np.float32)
    indexed = np.ascontiguousarray(indexed, dtype=np.float32)
    wanted = min(k + 1, len(indexed))
    sims, idx = _tiled_top(queries, indexed, wanted)
    if wanted == k:
        return sims, idx
    tied = np.flatnonzero(np.isfinite(sims[:, k]) & (sims[:, k] == sims[:, k - 1]))
    width = wanted
    while len(tied):
        width = min(2 * width, len(indexed))
        wider_sims, wider_idx = ties_by_index(*_tiled_top(queries[tied], indexed, width))
        whole_tie = (width == len(indexed)) | (wider_sims[:, -1] < wider_sims[:, k - 1])
        sims[tied[whole_tie]], idx[tied[whole_tie]] = wider_sims[whole_tie, :wanted], wider_idx[whole_tie, :wanted]
        tied = tied[~whole_tie]
    return sims[:, :k], idx[:, :k]


def ties_by_index(sims: np.ndarray, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's neighbours best first, equal similarities by index (missing ones last). A heap returns tied
    ones in heap order, so a kept search extended by new rows (search_memo.py) could list them in another order
    than a whole search, and a check reading the first neighbour or a share of the first k would then report
    something else. (Which tied rows cross the k-th place is _exact_top_k's business.)"""
    tied = np.flatnonzero((sims[:, 1:] == sims[:, :-1]).any(axis=1)) if sims.shape[1] > 1 else np.zeros(0, dtype=np.int64)
    if len(tied):
        rows_idx = idx[tied]
        order = np.lexsort((np.where(rows_idx < 0, np.iinfo(np.int64).max, rows_idx), -sims[tied]), axis=-1)
        sims[tied] = np.take_along_axis(sims[tied], order, axis=1)
        idx[tied] = np.take_along_axis(rows_idx, order, axis=1)
    return sims, idx


def top_k(indexed: np.ndarray, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Cosine similarities and indices (into `indexed`) of each query's k nearest, best first; `queries is
    indexed` is a self-query.

    Missing neighbours (k > len(indexed)) have index -1 and similarity -inf.
    """
    if len(queries) == 0 or k <= 0:  # nothing to search: no inverted file is built for it
        return query_index(SearchIndex(np.zeros((0, 0), dtype=np.float32), None), queries, k)
    return query_index(search_index(indexed), slice(None) if queries is indexed else queries, k)


# ---------------------------------------------------------------------------------------------------
# Lexical candidates: MinHash over character 3-grams, banded, with a bounded number of candidates per text.
#
# Signatures are computed in NumPy over one flat buffer of 3-gram codes (no Python object per gram or per
# text). rensa (Rust) computes the same kind of signature about 8x faster, but returns them only as Python
# lists; converting a million rows back into an array costs more than NumPy's whole computation (about 14 s
# against 8 s, measured once on a million templated CLINC150 queries), and the banding needs an array.

MINHASH_BANDS = 15
MINHASH_ROWS = 2  # a one-typo copy of a 12-character text (3-gram Jaccard 0.5) is a candidate with probability 0.99
CANDIDATE_WINDOW = 4  # per band, each text is paired with at most this many bucket neighbours on each side
# Bands per block of the banding step: enough that a block sorts at least this many band keys (texts x bands),
# about 0.25 s of one core. A Ray task's round trip costs about 20 ms (15 one-band tasks over 20,000 texts on
# a simulated two-node cluster, one CPU each: 0.21 s against 0.10 s in one process), so a smaller block would
# be mostly overhead; under 33,000 texts the 15 bands are one block, which the Ray engine runs on the driver.
# Measured there: 100,000 templated texts 0.62-0.67 s in tasks against 0.70 s, 300,000 2.56 s against 2.64 s
# (two CPUs cannot gain more; each added node adds a CPU's share of the bands).
MIN_BLOCK_BAND_KEYS = 500_000
_MIX = np.uint64(0x9E3779B97F4A7C15)


def gram_codes(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Hashed byte 3-grams of ' text ' for every text, flat, with row offsets (len(texts) + 1)."""
    padded = [" " + t.replace("\x00", " ") + " " for t in texts]
    encoded = [p.encode("utf-8") for p in padded]
    lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
    data = np.frombuffer(b"\x00".join(encoded), dtype=np.uint8).astype(np.uint32)
    codes = (data[:-2] << np.uint32(16)) | (data[1:-1] << np.uint32(8)) | data[2:]
    keep = (data[:-2] != 0) & (data[1:-1] != 0) & (data[2:] != 0)  # grams that do not cross into the next text
    counts = np.maximum(lengths - 2, 0)
    offsets = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    hashed = codes[keep].astype(np.uint64) * _MIX
    return (hashed >> np.uint64(32)).astype(np.uint32), offsets


def minhash_signatures(texts: list[str], permutations: int = MINHASH_BANDS * MINHASH_ROWS, seed: int = 1) -> np.ndarray:
    """(len(texts), permutations) uint32 MinHash signatures of the texts' character 3-grams."""
    grams, offsets = gram_codes(texts)
    signatures = np.zeros((len(texts), permutations), dtype=np.uint32)
    if len(grams) == 0:
        return signatures
    rng = np.random.default_rng(seed)
    multipliers = rng.integers(1, 2**32, size=permutations, dtype=np.uint64).astype(np.uint32) | np.uint32(1)
    increments = rng.integers(0, 2**32, size=permutations, dtype=np.uint64).astype(np.uint32)
    starts = offsets[:-1]
    nonempty = offsets[1:] > starts
    with np.errstate(over="ignore"):
        for k in range(permutations):
            permuted = grams * multipliers[k] + increments[k]
            signatures[nonempty, k] = np.minimum.reduceat(permuted, starts[nonempty])
    return signatures


def band_keys(signatures: np.ndarray, bands: int = MINHASH_BANDS, rows: int = MINHASH_ROWS) -> np.ndarray:
    """(bands, len(signatures)) uint64: each text's `rows` signature values of every band hashed into one key."""
    n = len(signatures)
    sig = signatures.astype(np.uint64)
    keys = np.empty((bands, n), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for b in range(bands):
            key = np.full(n, np.uint64(b + 1), dtype=np.uint64)
            for r in range(rows):
                key = (key * _MIX) ^ sig[:, b * rows + r]
            keys[b] = key
    return keys


def band_pair_codes(band_numbers: list[int], keys: np.ndarray, window: int) -> np.ndarray:
    """The map step of band_candidates (module-level: it runs in an engine's tasks): for each of these bands,
    the texts sorted by (band, next band, the one after) and each paired with its next `window` neighbours
    that share its band key, every pair coded low * n + high (int64). Each band reads only the key matrix."""
    n = keys.shape[1]
    bands = len(keys)
    codes = []
    for b in band_numbers:
        order = np.lexsort((keys[(b + 2) % bands], keys[(b + 1) % bands], keys[b]))
        sorted_keys = keys[b][order]
        for step in range(1, window + 1):
            same = sorted_keys[step:] == sorted_keys[:-step]
            i, j = order[:-step][same], order[step:][same]
            codes.append(np.minimum(i, j) * n + np.maximum(i, j))
    return np.concatenate(codes) if codes else np.zeros(0, dtype=np.int64)


def band_blocks(bands: int, texts: int, min_keys: int) -> list[list[int]]:
    """The bands split into blocks of consecutive bands, each sorting at least `min_keys` band keys (texts x its
    bands) where the bands allow: below that a block is not worth an engine's task."""
    per_block = min(bands, max(1, -(-min_keys // max(texts, 1))))
    return [list(range(start, min(start + per_block, bands))) for start in range(0, bands, per_block)]


def band_candidates(signatures: np.ndarray, bands: int = MINHASH_BANDS, rows: int = MINHASH_ROWS,
                    window: int = CANDIDATE_WINDOW, steps: DataSteps | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Candidate pairs (i < j) that share all `rows` values of at least one band.

    Per band, texts are sorted by (band, next band, the one after) and each is paired with its next `window`
    neighbours in the same bucket: texts that agree on three bands sit side by side, and a bucket of thousands
    of templated texts costs `window` pairs per text instead of its size squared. The bands are independent:
    steps (a DataSteps; None = this process) maps blocks of them (`band_pair_codes`) over the one key
    matrix, and the pairs of every band are deduplicated here, so any split gives the same pairs."""
    n = len(signatures)
    if n < 2:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    keys = band_keys(signatures, bands, rows)
    found = (steps or SerialSteps()).map_blocks(band_pair_codes, band_blocks(bands, n, MIN_BLOCK_BAND_KEYS), keys, window)
    combined = np.sort(np.concatenate(found))
    unique = combined[np.concatenate(([True], combined[1:] != combined[:-1]))] if len(combined) else combined
    return unique // n, unique % n


def estimated_jaccard(signatures: np.ndarray, i: np.ndarray, j: np.ndarray, chunk: int = 1_000_000) -> np.ndarray:
    out = np.empty(len(i), dtype=np.float32)
    for start in range(0, len(i), chunk):
        stop = start + chunk
        out[start:stop] = (signatures[i[start:stop]] == signatures[j[start:stop]]).mean(axis=1)
    return out


def one_edit_candidates(texts: list[str], max_chars: int, cap: int = 50) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (i < j) of texts of at most max_chars characters that share a one-character deletion (SymSpell's
    key): every pair one substitution, insertion, deletion or swap apart shares one. At most `cap` pairs per key."""
    by_key: dict[str, list[int]] = {}
    for i, text in enumerate(texts):
        if 0 < len(text) <= max_chars:
            for key in {text} | {text[:p] + text[p + 1:] for p in range(len(text))}:
                by_key.setdefault(key, []).append(i)
    first, second = [], []
    for members in by_key.values():
        for a, b in zip(members[:cap], members[1:cap + 1]):
            first.append(a)
            second.append(b)
    i, j = np.array(first, dtype=np.int64), np.array(second, dtype=np.int64)
    return np.minimum(i, j), np.maximum(i, j)
