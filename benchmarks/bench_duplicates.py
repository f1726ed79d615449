"""Duplicate search at scale once embeddings are cached: 100,000 records (and 1,000,000 with --million).

Texts are real queries (CLINC150 + Banking77, corpus.py): record i is seed query i mod S with one of
100 prefix/suffix rewordings, i.e. templated copies, the hard case for the lexical pass. Vectors stand in
for cached embeddings: the seed's real embedding plus Gaussian noise (renormalised; cosine to the seed
about 0.93), so the set keeps the clustered structure of real sentence embeddings. Embedding time is
excluded on purpose: this measures what a re-run with a warm cache pays.

    .venv/bin/python benchmarks/bench_duplicates.py [--records N] [--million]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.corpus import PREFIXES, SUFFIXES, base_queries  # noqa: E402
from dataaudit.config import DuplicatesConfig  # noqa: E402
from dataaudit.embeddings import Embedder  # noqa: E402
from dataaudit.checks.duplicates import measure_duplicates  # noqa: E402
from dataaudit.checks.near_pairs import lexical_pairs, semantic_pairs  # noqa: E402
from dataaudit.load.records import Dataset, Record  # noqa: E402


def vectors_for(count: int, seeds: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    out = np.empty((count, seeds.shape[1]), dtype=np.float32)
    for start in range(0, count, 100_000):
        stop = min(count, start + 100_000)
        block = seeds[np.arange(start, stop) % len(seeds)] + rng.normal(0, 0.02, (stop - start, seeds.shape[1])).astype(np.float32)
        out[start:stop] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def bench(count: int, seeds: np.ndarray, seed_texts: list[str], parts: bool = True) -> None:
    rng = np.random.default_rng(0)
    n = len(seed_texts)
    texts = [PREFIXES[(i // n) % 10] + seed_texts[i % n] + SUFFIXES[(i // (n * 10)) % 10] for i in range(count)]
    vectors = vectors_for(count, seeds, rng)
    dataset = Dataset("bench", [], [Record("bench", i + 1, "text_label", t, label="x") for i, t in enumerate(texts)], [], count, 0)
    config = DuplicatesConfig()
    print(f"{count:,} records")
    if parts:
        time_parts(texts, vectors, config, count)
    start = time.perf_counter()
    result = measure_duplicates(dataset, texts, vectors, config)
    whole_s = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
    print(f"  whole duplicates measurement:                          {whole_s:7.1f} s, {result.exact_group_count:,} exact + "
          f"{result.near_group_count:,} near groups, duplicate share {result.duplicate_share:.1%}; peak memory so far {peak:.1f} GB")


def time_parts(texts: list[str], vectors: np.ndarray, config: DuplicatesConfig, count: int) -> None:
    start = time.perf_counter()
    semantic = semantic_pairs(texts, vectors, config.near_cosine, config.neighbours)
    semantic_s = time.perf_counter() - start
    print(f"  semantic near pairs (faiss {'exact' if count <= 300_000 else 'IVF'}, k={config.neighbours}): {semantic_s:7.1f} s, {len(semantic.first):,} pairs")
    start = time.perf_counter()
    lexical = lexical_pairs(texts, config.lexical_ratio)
    lexical_s = time.perf_counter() - start
    print(f"  lexical near pairs (MinHash LSH + rapidfuzz):          {lexical_s:7.1f} s, {len(lexical.first):,} pairs")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--skip-small", action="store_true", help="with --million: only the million")
    parser.add_argument("--million", action="store_true", help="also run 1,000,000 records (half an hour or more here)")
    args = parser.parse_args()
    train_seeds, _ = base_queries()
    seed_texts = list(dict.fromkeys(t.lower() for t in train_seeds))[:20_000]
    start = time.perf_counter()
    seeds = Embedder(cache_dir=Path(tempfile.gettempdir()) / "dataaudit-bench-seeds").embed(seed_texts)
    print(f"seed embeddings: {len(seeds):,} in {time.perf_counter() - start:.1f} s (cached across runs; not part of the figures)")
    if not (args.million and args.skip_small):
        bench(args.records, seeds, seed_texts)
    if args.million:
        bench(1_000_000, seeds, seed_texts, parts=False)


if __name__ == "__main__":
    main()
