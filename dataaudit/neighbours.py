"""k-nearest-neighbour search by cosine over unit vectors, never an n x m matrix in memory.

faiss is used because it is the fastest exact search measured on these 2-core machines (100k x 100k
self-query: faiss IndexFlatIP 31 s, torch blocked 52 s, numpy 74-128 s, scikit-learn brute 181 s; see
../shared/MEASUREMENTS.md and benchmarks/). Above EXACT_LIMIT indexed vectors an HNSW graph keeps a
million-row self-query feasible; its recall on real sentence embeddings is measured in benchmarks/.
"""

from __future__ import annotations

import numpy as np

EXACT_LIMIT = 300_000
HNSW_M = 32
HNSW_EF_SEARCH = 128


def top_k(indexed: np.ndarray, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Cosine similarities and indices (into `indexed`) of each query's k nearest, best first.

    Missing neighbours (k > len(indexed)) have index -1 and similarity -inf.
    """
    import faiss

    indexed = np.ascontiguousarray(indexed, dtype=np.float32)
    queries = np.ascontiguousarray(queries, dtype=np.float32)
    if len(indexed) == 0 or len(queries) == 0 or k <= 0:
        return np.full((len(queries), max(k, 0)), -np.inf, dtype=np.float32), np.full((len(queries), max(k, 0)), -1, dtype=np.int64)
    dim = indexed.shape[1]
    if len(indexed) <= EXACT_LIMIT:
        index = faiss.IndexFlatIP(dim)
    else:
        index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efSearch = max(HNSW_EF_SEARCH, 2 * k)
    index.add(indexed)
    sims, idx = index.search(queries, min(k, len(indexed)))
    if k > len(indexed):
        pad = k - len(indexed)
        sims = np.hstack([sims, np.full((len(queries), pad), -np.inf, dtype=np.float32)])
        idx = np.hstack([idx, np.full((len(queries), pad), -1, dtype=np.int64)])
    sims[idx < 0] = -np.inf
    return sims, idx
