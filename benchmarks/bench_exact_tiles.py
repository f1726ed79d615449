"""The exact search's fixed tiles (neighbours._tiled_top) against faiss.knn, the path they replaced.

Random unit vectors of 384 dimensions (all-MiniLM-L6-v2's), three shapes: 8,500 queries x 20,000 rows for 181
neighbours (coverage's production-against-training search), a 20,000 self-query for 11 and a 100,000 one for 11.
Each shape is timed alternately (faiss, tiles, ...) `--repeats` times and the best of each kept, with the load
average before each run: on a shared machine only runs under the same load compare. The tiles were accepted
where they take at most 1.3x faiss's time (bit-identical cosines whatever the shapes: tests/test_neighbours.py).

    .venv/bin/python benchmarks/bench_exact_tiles.py [--repeats 2] [--skip-large]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from dataaudit import neighbours

SHAPES = [("8,500 x 20,000, k 181", 8_500, 20_000, 181), ("20,000 self-query, k 11", 20_000, None, 11),
          ("100,000 self-query, k 11", 100_000, None, 11)]


def faiss_top_k(queries: np.ndarray, indexed: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The replaced path: faiss.knn through BLAS for k + 1 neighbours (its tie check's extra one)."""
    import faiss

    return faiss.knn(queries, indexed, min(k + 1, len(indexed)), metric=faiss.METRIC_INNER_PRODUCT)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--skip-large", action="store_true")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    for name, queries_count, rows_count, k in SHAPES[:2] if args.skip_large else SHAPES:
        rows = rng.standard_normal((rows_count or queries_count, 384)).astype(np.float32)
        rows /= np.linalg.norm(rows, axis=1, keepdims=True)
        queries = rows if rows_count is None else rng.standard_normal((queries_count, 384)).astype(np.float32)
        queries /= np.linalg.norm(queries, axis=1, keepdims=True)
        best = {"faiss": float("inf"), "tiles": float("inf")}
        loads = []
        for _ in range(1 if queries_count > 50_000 else args.repeats):
            for label, search in (("faiss", faiss_top_k), ("tiles", neighbours._exact_top_k)):
                loads.append(os.getloadavg()[0])
                start = time.perf_counter()
                search(queries, rows, k)
                best[label] = min(best[label], time.perf_counter() - start)
        print(f"{name}: faiss {best['faiss']:.2f} s, tiles {best['tiles']:.2f} s, ratio {best['tiles'] / best['faiss']:.2f}"
              f" (load {min(loads):.1f}-{max(loads):.1f} on {os.cpu_count()} cores)", flush=True)


if __name__ == "__main__":
    main()
