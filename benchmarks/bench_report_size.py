"""Report size at scale: audit 100,000 records (real queries with rewordings, 2% malformed lines, planted
copies and conflicts) and print the size of report.json / report.md / report.html and the render time.

Embeddings are off so the script runs in minutes; the coverage map adds at most 3,000 points whatever the
data size (a seeded sample), so it does not change the picture.

    .venv/bin/python benchmarks/bench_report_size.py [--records N]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.corpus import base_queries, distinct_texts  # noqa: E402
from dataaudit.api import audit  # noqa: E402
from dataaudit.config import Config  # noqa: E402
from dataaudit.render.outputs import write_reports  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=100_000)
    args = parser.parse_args()
    rng = random.Random(0)
    seeds, _ = base_queries()
    texts = distinct_texts(seeds, args.records, seed=4)
    labels = [f"intent_{i % 77}" for i in range(len(texts))]
    folder = Path(tempfile.mkdtemp(prefix="dataaudit-size-"))
    path = folder / "big.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for i, (text, label) in enumerate(zip(texts, labels)):
            if rng.random() < 0.02:
                handle.write('{"text": "broken\n')
            elif rng.random() < 0.01:
                handle.write(json.dumps({"text": texts[rng.randrange(i + 1)], "label": rng.choice(labels)}) + "\n")
            else:
                handle.write(json.dumps({"text": text, "label": label}) + "\n")
    start = time.perf_counter()
    report = audit(path, Config(), embed=False)
    audit_s = time.perf_counter() - start
    start = time.perf_counter()
    written = write_reports(report, folder, ["json", "md", "html"])
    render_s = time.perf_counter() - start
    print(f"{args.records:,} records audited (no embeddings) in {audit_s:.1f} s; reports rendered in {render_s:.1f} s")
    for file in written:
        print(f"  {file.name:12s} {file.stat().st_size / 1e6:6.2f} MB")


if __name__ == "__main__":
    main()
