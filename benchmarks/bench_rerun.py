"""Scheduled re-runs: a cold audit, a warm re-run of the same inputs, and a batch that adds 500 records.

CLINC150: 15,000 training queries (train split) + 4,500 production queries (test split), audited through the
CLI in fresh processes (imports included, as cron runs it), with an empty embedding cache for the cold run.
Prints each wall time and the ratios to the cold audit (the goal, issue 18: warm <= 0.10x cold, and a batch
of 500 new records about the same), then where each run's time went (the CLI's --timings file: seconds per
stage and per measured check; the rest of the wall time is the interpreter, imports and model load), and whether
the batch's report is the report of an audit of the same inputs that reads no kept results (its embeddings
copied from the batch's cache, so both read the same vectors): a result kept between runs may only give back
what a fresh computation gives.

    .venv/bin/python benchmarks/bench_rerun.py
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLINC = ROOT.parent / "shared" / "datasets" / "clinc150" / "data_full.json"


def _write(path: Path, rows: list[tuple[str, str]]) -> Path:
    path.write_text("".join(json.dumps({"text": t, "label": label}) + "\n" for t, label in rows), encoding="utf-8")
    return path


def _audit(train: Path, production: Path, cache: Path, out: Path) -> tuple[float, dict]:
    timings = out.with_suffix(".timings.json")
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "dataaudit", "audit", str(train), "--production", str(production),
                             "--cache-dir", str(cache), "--out", str(out), "--format", "json", "--timings", str(timings)],
                            capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode not in (0, 1, 3):
        raise SystemExit(result.stderr[-2000:])
    return elapsed, json.loads(timings.read_text())


def _report_of(out: Path) -> dict:
    """report.json without what describes the run rather than the data (time, cache folder, embedding counts)."""
    report = json.loads((out / "report.json").read_text())
    for name in ("generated_at", "timings", "engine"):
        report.pop(name, None)
    report["config"]["embeddings"].pop("cache_dir", None)
    report["checks"].pop("embeddings", None)
    report["checks"].get("coverage", {}).pop("embeddings", None)
    for run in report.get("check_runs", {}).values():
        run.pop("reused", None)
    return report


def _where(elapsed: float, spent: dict) -> str:
    stages = spent["stages"]
    measured = sum(stages.values())
    slowest = sorted(spent["checks"].items(), key=lambda item: -item[1])[:4]
    return (", ".join(f"{name} {seconds:.1f}" for name, seconds in stages.items())
            + f"; outside the audit (interpreter, imports, model load) {elapsed - measured:.1f}"
            + "; slowest checks: " + ", ".join(f"{name} {seconds:.1f}" for name, seconds in slowest))


def main() -> None:
    if not CLINC.exists():
        raise SystemExit(f"{CLINC} is not there: this benchmark needs ../shared/datasets")
    data = json.loads(CLINC.read_text())
    train_rows = [(t, label) for t, label in data["train"]]
    production_rows = [(t, label) for t, label in data["test"]]
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        train = _write(work / "train.jsonl", train_rows)
        production = _write(work / "production.jsonl", production_rows)
        cache = work / "cache"
        (cold, cold_spent) = _audit(train, production, cache, work / "r1")
        (warm, warm_spent) = _audit(train, production, cache, work / "r2")
        grown = _write(work / "train_plus.jsonl", train_rows + [(f"{t} please", label) for t, label in data["val"][:500]])
        (batch, batch_spent) = _audit(grown, production, cache, work / "r3")
        fresh = work / "fresh-cache"
        fresh.mkdir()
        shutil.copy(cache / "embeddings.sqlite3", fresh / "embeddings.sqlite3")
        (whole, whole_spent) = _audit(grown, production, fresh, work / "r4")
        same = _report_of(work / "r3") == _report_of(work / "r4") and all(
            (work / "r3" / name).read_bytes() == (work / "r4" / name).read_bytes() for name in ("coverage.jsonl", "duplicates.jsonl"))
    print(f"records: {len(train_rows):,} training + {len(production_rows):,} production (CLINC150)")
    print(f"cold audit (empty embedding cache): {cold:7.1f} s")
    print(f"warm re-run (every embedding cached): {warm:7.1f} s = {warm / cold:.2f}x cold (goal <= 0.10x)")
    print(f"batch of 500 new records: {batch:7.1f} s = {batch / cold:.2f}x cold")
    for name, elapsed, spent in (("cold", cold, cold_spent), ("warm", warm, warm_spent), ("batch", batch, batch_spent)):
        print(f"  {name}: {_where(elapsed, spent)}")
    print(f"  the batch's inputs with no kept results (every search whole): {whole:.1f} s; {_where(whole, whole_spent)}")
    print(f"batch report = report of the same inputs with no kept results: {'yes' if same else 'NO'}")
    print(f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} at the end (2 cores; other jobs slow every figure)")


if __name__ == "__main__":
    main()
