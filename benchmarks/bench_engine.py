"""One file through the local engine and through the Ray engine on one and two simulated nodes
(`ray.cluster_utils.Cluster`, one CPU per node): wall time of `audit()`, the driver's peak memory, records/s.

The file is CLINC150 training queries as text+label JSONL (plus the out-of-scope ones as production), the
real embedding model, no embedding cache (every text is embedded each run). Each configuration runs in its
own process so peak memory is that run's; cluster start-up is timed apart from the audit.

    .venv/bin/python benchmarks/bench_engine.py [--records N] [--no-embeddings]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.corpus import SHARED  # noqa: E402

RUNS = (("local", 0), ("ray", 1), ("ray", 2))


def write_inputs(folder: Path, records: int) -> tuple[Path, Path]:
    data = json.loads((SHARED / "clinc150" / "data_full.json").read_text(encoding="utf-8"))
    rows = (data["train"] + data["val"] + data["test"])[:records]
    train = folder / "train.jsonl"
    train.write_text("".join(json.dumps({"text": t, "label": i}) + "\n" for t, i in rows), encoding="utf-8")
    production = folder / "production.jsonl"
    production.write_text("".join(json.dumps({"text": t}) + "\n" for t, _ in data["oos_test"][:200]), encoding="utf-8")
    return train, production


def one(engine_name: str, nodes: int, train: str, production: str, embed: bool) -> dict:
    from dataaudit.api import audit
    from dataaudit.config import Config
    from dataaudit.embeddings import Embedder
    from dataaudit.engine.local import LocalEngine

    cluster = None
    start = time.perf_counter()
    if engine_name == "ray":
        from ray.cluster_utils import Cluster

        from dataaudit.engine.ray_engine import RayEngine

        cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
        for _ in range(nodes - 1):
            cluster.add_node(num_cpus=1)
        cluster.wait_for_nodes()
        engine = RayEngine(address=cluster.address)
    else:
        engine = LocalEngine()
    startup = time.perf_counter() - start
    embedder = Embedder(use_cache=False) if embed else None
    start = time.perf_counter()
    report = audit(train, Config(), production=production, embed=embed, embedder=embedder, engine=engine)
    wall = time.perf_counter() - start
    records = sum(i.records for i in report.inputs)
    result = {"engine": engine_name, "nodes": nodes or 1, "startup_s": startup, "wall_s": wall, "records": records,
              "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "verdict": str(report.verdict.status)}
    engine.close()
    if cluster is not None:
        cluster.shutdown()
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=5000)
    parser.add_argument("--no-embeddings", action="store_true")
    parser.add_argument("--one", nargs=4, metavar=("ENGINE", "NODES", "TRAIN", "PRODUCTION"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        engine_name, nodes, train, production = args.one
        print(json.dumps(one(engine_name, int(nodes), train, production, not args.no_embeddings)))
        return
    with tempfile.TemporaryDirectory() as folder:
        train, production = write_inputs(Path(folder), args.records)
        print(f"{args.records:,} training records + 200 production queries, "
              f"{'no embeddings' if args.no_embeddings else 'real model, no cache'}; "
              f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        print(f"{'engine':<16}{'start-up s':>11}{'audit s':>9}{'records/s':>11}{'driver peak MB':>16}  verdict")
        base = None
        for engine_name, nodes in RUNS:
            command = [sys.executable, __file__, "--one", engine_name, str(nodes), str(train), str(production)]
            if args.no_embeddings:
                command.append("--no-embeddings")
            out = subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
            r = json.loads(out)
            base = base or r["wall_s"]
            label = "local" if engine_name == "local" else f"ray, {nodes} node{'s' if nodes > 1 else ''}"
            print(f"{label:<16}{r['startup_s']:>11.1f}{r['wall_s']:>9.1f}{r['records'] / r['wall_s']:>11.0f}{r['peak_mb']:>16.0f}  "
                  f"{r['verdict']}  ({r['wall_s'] / base:.2f}x local)")


if __name__ == "__main__":
    main()
