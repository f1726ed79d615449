"""Agreement at scale: 100,000 items x 5 annotators (nominal, 4 labels, 20% of labels missing).

    .venv/bin/python benchmarks/bench_agreement.py [--items N] [--resamples B]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dataaudit.config import AgreementConfig  # noqa: E402
from dataaudit.checks.agreement import measure_agreement  # noqa: E402
from dataaudit.load.records import Annotation, Dataset, Record  # noqa: E402


def build(items: int, seed: int = 0) -> Dataset:
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 4, items)
    records = []
    for j in range(items):
        annotations = []
        for a in range(5):
            if rng.random() < 0.2:
                continue
            label = truth[j] if rng.random() > (0.1 if a < 4 else 0.5) else rng.integers(0, 4)
            annotations.append(Annotation(f"a{a}", f"l{label}", j + 1))
        records.append(Record("bench", j + 1, "text", f"item {j}", annotations=tuple(annotations)))
    return Dataset("bench", [], records, [], items, 0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--resamples", type=int, default=1000)
    args = parser.parse_args()
    start = time.perf_counter()
    dataset = build(args.items)
    print(f"built {args.items:,} items x 5 annotators in {time.perf_counter() - start:.1f} s (not part of the measurement)")
    for resamples in (0, args.resamples):
        start = time.perf_counter()
        result = measure_agreement(dataset, AgreementConfig(bootstrap_resamples=resamples))
        elapsed = time.perf_counter() - start
        print(f"measure_agreement, {resamples:4d} bootstrap resamples: {elapsed:6.2f} s  alpha {result.krippendorff_alpha:.4f} "
              f"CI {result.alpha_ci}  flagged {[a.annotator for a in result.annotators if a.flagged]}")


if __name__ == "__main__":
    main()
