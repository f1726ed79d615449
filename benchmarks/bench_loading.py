"""Loading speed and memory: chat JSONL, the same rows as a streamed JSON array and gzipped, and one huge line.

Each case runs in its own process so that its peak resident memory is its own; times are CPU seconds of the
loading itself (imports excluded), so other work on the machine does not inflate them. The floor is a bare
`json.loads` pass over the same JSONL lines (no validation, no records).

    .venv/bin/python benchmarks/bench_loading.py [--rows N] [--line-mb M]
"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CASE = """
import json, sys, time
sys.path.insert(0, {root!r})
kind, path = sys.argv[1], sys.argv[2]
if kind != "floor":
    from dataaudit.config import Config
    from dataaudit.load import load_dataset
    config = Config()
start = time.process_time()  # CPU time: other work on the machine does not inflate it
valid = 0
if kind == "floor":
    with open(path, "rb") as handle:
        valid = sum(1 for line in handle if json.loads(line) is not None)
elif kind == "load":
    valid = len(load_dataset(path, config).records)
seconds = time.process_time() - start
# VmHWM, not ru_maxrss: the latter keeps the parent's peak across fork + exec
peak_kb = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(json.dumps({{"seconds": seconds, "peak_mb": peak_kb / 1024, "valid": valid}}))
"""


def chat_row(i: int) -> dict:
    return {"id": f"T{i}", "messages": [
        {"role": "system", "content": "You are Acme's support triage assistant. Answer with the category only."},
        {"role": "user", "content": f"Ticket {i}: my parcel {i % 977} has not arrived and the tracking page is blank."},
        {"role": "assistant", "content": ("shipping", "billing", "account")[i % 3]}]}


def run(kind: str, path: Path) -> dict:
    out = subprocess.run([sys.executable, "-c", CASE.format(root=str(ROOT)), kind, str(path)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--line-mb", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        rows = [chat_row(i) for i in range(args.rows)]
        jsonl = base / "chat.jsonl"
        jsonl.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        array = base / "chat.json"
        array.write_text(json.dumps(rows, indent=1), encoding="utf-8")
        gz = base / "chat.jsonl.gz"
        gz.write_bytes(gzip.compress(jsonl.read_bytes(), compresslevel=6))
        del rows
        huge = base / "huge.jsonl"
        with huge.open("w", encoding="utf-8") as handle:
            handle.write(json.dumps({"text": "word " * (args.line_mb * 1024 * 1024 // 5), "label": "x"}) + "\n")
            handle.write(json.dumps({"text": "small", "label": "x"}) + "\n")
        size_mb = jsonl.stat().st_size / 1e6
        print(f"{args.rows:,} chat rows, JSONL {size_mb:.0f} MB; one line of {args.line_mb} MB")
        floor = run("floor", jsonl)
        print(f"{'case':<38}{'CPU s':>9}{'x floor':>9}{'peak MB':>9}{'valid':>9}")
        print(f"{'json.loads per line (floor)':<38}{floor['seconds']:>9.2f}{1:>9.1f}{floor['peak_mb']:>9.0f}{floor['valid']:>9}")
        for label, kind, path in (("import dataaudit, no data (baseline)", "import", jsonl), ("load_dataset JSONL", "load", jsonl), ("load_dataset JSON array (streamed)", "load", array),
                                  ("load_dataset JSONL.gz", "load", gz), (f"load_dataset one {args.line_mb} MB line", "load", huge)):
            result = run(kind, path)
            print(f"{label:<38}{result['seconds']:>9.2f}{result['seconds'] / floor['seconds']:>9.1f}{result['peak_mb']:>9.0f}"
                  f"{result['valid']:>9}")


if __name__ == "__main__":
    main()
