"""Label noise at scale: 100,000 examples over 100 labels, 384-d vectors, 5% of labels flipped (seeded).

The vectors stand in for cached sentence embeddings: random unit cluster centres plus Gaussian spread
(--spread, relative to the centre's length), normalised; what is timed is the check's own work (the
out-of-fold classifier, cleanlab, the bootstrap), never the embedding. Goal: under a minute on 2 cores.
CPU seconds are printed beside wall seconds: the fits run on one BLAS thread, so on a machine shared with
other work the CPU figure is the closer one to an idle machine's wall time.

    .venv/bin/python benchmarks/bench_label_noise.py [--examples N] [--labels K] [--spread S] [--repeat R]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dataaudit.checks.base import AuditContext  # noqa: E402
from dataaudit.checks.label_noise import measure  # noqa: E402
from dataaudit.config import Config  # noqa: E402
from dataaudit.index import build_index  # noqa: E402
from dataaudit.load.records import Dataset, Record  # noqa: E402

DIM = 384
FLIPPED = 0.05


def build(examples: int, labels: int, spread: float, seed: int = 0) -> tuple[AuditContext, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((labels, DIM)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    truth = rng.integers(0, labels, examples)
    vectors = centres[truth] + rng.standard_normal((examples, DIM)).astype(np.float32) * (spread / np.sqrt(DIM))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    given = truth.copy()
    flip = rng.random(examples) < FLIPPED
    given[flip] = (truth[flip] + rng.integers(1, labels, int(flip.sum()))) % labels
    records = [Record("bench.jsonl", i + 1, "text_label", f"text {i}", None, f"label_{given[i]:03d}") for i in range(examples)]
    index = build_index("train", Dataset("bench", [], records, [], examples, 0), lambda s: s)
    index = index.with_vectors(dict(zip(index.distinct, vectors)), DIM)
    return AuditContext(config=Config(), train=index), flip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--examples", type=int, default=100_000)
    parser.add_argument("--labels", type=int, default=100)
    parser.add_argument("--spread", type=float, default=1.5)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    ctx, flip = build(args.examples, args.labels, args.spread)
    print(f"{args.examples:,} examples x {args.labels} labels, {DIM}-d, {flip.mean():.1%} flipped")
    for run in range(args.repeat):
        start, cpu_start = time.perf_counter(), time.process_time()
        result = measure(ctx)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
        found = {s["line"] - 1 for s in result.all_suspects}
        planted = set(np.flatnonzero(flip).tolist())
        hits = len(found & planted)
        print(f"run {run + 1}: {seconds:.1f} s wall, {cpu:.1f} s CPU ({result.folds} folds, CV accuracy {result.cv_accuracy:.3f}); "
              f"estimated error rate {result.estimated_error_rate:.4f} (CI {result.error_rate_ci}), truth {flip.mean():.4f}; "
              f"suspects {result.suspects_total:,}, precision {hits / max(len(found), 1):.3f}, recall {hits / max(len(planted), 1):.3f}")


if __name__ == "__main__":
    main()
