"""A million templated text+label records without embeddings: the whole audit against a bare json.loads pass.

Records are CLINC150 queries (train, val and test, labelled by intent) with one of 10 prefixes and one of 10
suffixes (corpus.PREFIXES / SUFFIXES: "hi, ", " please", " today", ...): templated copies, the hard case
for a lexical pass. 1% of the records are planted one-typo copies of another record (a letter swapped,
dropped, doubled or replaced in one word of the query), placed at random lines.

The audit runs as a user runs it: `dataaudit audit FILE --out DIR --no-embeddings --no-cache` in a fresh
process (so file generation and the bare parse do not count), every check and every report file included.
Printed: the bare parse time (median of 3), the whole audit's wall time and its ratio to the bare parse, the
audit process's peak memory (ru_maxrss from wait4), where its time went (its --timings file: stages and
checks), and the share of planted copies found in the same group as their original (read from the
duplicates.jsonl the audit wrote).

--semantic instead loads and indexes in this process and times the duplicates measurement with and without
cached stand-in vectors (each query's real embedding plus noise, as in bench_duplicates.py): what a re-run
with every embedding cached pays.

    .venv/bin/python benchmarks/bench_scale.py [--records 1000000] [--semantic]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.corpus import PREFIXES, SHARED, SUFFIXES  # noqa: E402
from benchmarks.duplicates_validity import one_typo  # noqa: E402

PLANTED_SHARE = 0.01


def clinc_queries() -> list[tuple[str, str]]:
    data = json.loads((SHARED / "clinc150" / "data_full.json").read_text())
    rows = data["train"] + data["val"] + data["test"]
    return list(dict.fromkeys((text, label) for text, label in rows))


def generate(path: Path, count: int, seed: int = 0) -> list[tuple[int, int]]:
    """Write the file; return (original line, planted copy line) pairs."""
    rng = random.Random(seed)
    queries = clinc_queries()
    q = len(queries)
    planted = int(count * PLANTED_SHARE)
    base = count - planted
    rows = []
    for i in range(base):
        text, label = queries[i % q]
        rows.append((PREFIXES[(i // q) % 10] + text + SUFFIXES[(i // (q * 10)) % 10], label))
    typable = [i for i in range(base) if any(len(w) >= 4 and w.isalpha() for w in rows[i][0].split(" "))]
    originals = rng.sample(typable, planted)
    copies = []
    for o in originals:
        text, label = rows[o]
        prefix = next(p for p in sorted(PREFIXES, key=len, reverse=True) if text.startswith(p))
        typed = one_typo(text[len(prefix):], rng)
        # The prefix's word may be the only one long enough to mistype (seen at 200,000 records, not at 1,000,000,
        # whose file this keeps as it was).
        copies.append((prefix + typed if typed is not None else one_typo(text, rng), label, o))
    # Planted copies go to random lines; keep track of where every row lands.
    slots = sorted(rng.sample(range(count), planted))
    order: list[tuple[str, str, int | None, int | None]] = []
    it_rows, it_copies = iter(range(base)), iter(copies)
    slot_set = set(slots)
    for line in range(count):
        if line in slot_set:
            text, label, o = next(it_copies)
            order.append((text, label, None, o))
        else:
            i = next(it_rows)
            order.append((rows[i][0], rows[i][1], i, None))
    line_of_row = {row: n + 1 for n, (_, _, row, _) in enumerate(order) if row is not None}
    pairs = [(line_of_row[o], n + 1) for n, (_, _, _, o) in enumerate(order) if o is not None]
    with path.open("w", encoding="utf-8") as handle:
        for text, label, _, _ in order:
            handle.write(json.dumps({"text": text, "label": label}) + "\n")
    return pairs


def bare_parse(path: Path) -> float:
    start = time.perf_counter()
    with path.open("rb") as handle:
        rows = [json.loads(line) for line in handle]
    elapsed = time.perf_counter() - start
    del rows
    return elapsed


def planted_found(group_lines, pairs: list[tuple[int, int]]) -> int:
    """Planted copies in the same group as their original; a near group holds every record of its keys, so
    it wins over the exact group it contains."""
    group_of: dict[int, int] = {}
    for g, line in enumerate(group_lines):
        if line["kind"] in ("exact", "near"):
            for member in line["lines"]:
                if line["kind"] == "near" or member not in group_of:
                    group_of[member] = g
    return sum(1 for o, c in pairs if o in group_of and group_of.get(o) == group_of.get(c))


def run_audit(path: Path, pairs: list[tuple[int, int]], bare: float) -> None:
    """The CLI in a fresh process, as a user runs it; its peak memory from wait4, its stages from --timings."""
    root = Path(__file__).resolve().parent.parent
    out = Path(tempfile.mkdtemp(prefix="dataaudit-bench-scale-out-"))
    timings_path = out / "timings.json"
    command = [sys.executable, "-m", "dataaudit", "audit", str(path), "--out", str(out), "--no-embeddings", "--no-cache",
               "--timings", str(timings_path)]
    env = dict(os.environ, PYTHONPATH=str(root) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    with (out / "terminal.txt").open("w") as terminal:
        start = time.perf_counter()
        child = subprocess.Popen(command, stdout=terminal, stderr=subprocess.STDOUT, env=env, cwd=out)
        _, status, usage = os.wait4(child.pid, 0)
        audit_s = time.perf_counter() - start
    exit_code = os.waitstatus_to_exitcode(status)
    if exit_code not in (0, 1, 3):
        sys.exit(f"the audit failed (exit {exit_code}); see {out / 'terminal.txt'}")
    peak = usage.ru_maxrss / 1024 / 1024
    print(f"whole audit (dataaudit audit --no-embeddings --no-cache, fresh process, exit {exit_code}): {audit_s:.1f} s = "
          f"{audit_s / bare:.1f}x the bare parse; peak memory {peak:.2f} GB")
    spent = json.loads(timings_path.read_text())
    stages = spent["stages"]
    accounted = sum(v for k, v in stages.items() if k != "checks") + stages.get("checks", 0.0)
    print("stages: " + ", ".join(f"{k} {v:.1f} s" for k, v in stages.items())
          + f"; imports and start-up {audit_s - accounted:.1f} s")
    slowest = sorted(spent["checks"].items(), key=lambda kv: -kv[1])
    print("checks: " + ", ".join(f"{k} {v:.1f} s" for k, v in slowest))
    report = json.loads((out / "report.json").read_text())
    dup = report["checks"]["duplicates"]
    print(f"{dup['records']:,} records, {dup['exact_group_count']:,} exact groups, {dup['near_group_count']:,} near groups, "
          f"{dup['conflict_count']:,} conflicts, duplicate share {dup['duplicate_share']:.1%}; near pairs by kind: {dup['near_kinds']}")
    with (out / "duplicates.jsonl").open(encoding="utf-8") as handle:
        found = planted_found((json.loads(line) for line in handle), pairs)
    print(f"planted one-typo copies found with their original: {found:,} of {len(pairs):,} ({found / len(pairs):.1%})")
    print(f"verdict {report['verdict']['status']}")


def measure_semantic(path: Path) -> None:
    """Load and index here, then the duplicates measurement with cached stand-in vectors, and the search
    over every distinct input (the case without lexical copies)."""
    from dataaudit.config import Config
    from dataaudit.index import build_index
    from dataaudit.load.dataset import load_dataset
    from dataaudit.normalize import normalize_text

    config = Config()
    dataset = load_dataset([path], config, role="train")
    index = build_index("train", dataset, lambda text: normalize_text(text, config.duplicates))
    time_semantic(index, config)


def stand_in_vectors(index, noise: float, seed: int = 0):
    """Each distinct input's stand-in embedding: the real embedding of its CLINC150 query (prefix and suffix
    stripped) plus Gaussian noise, renormalised; copies of one query make a cluster, as real embeddings do."""
    import numpy as np

    from dataaudit.embeddings import Embedder

    queries = [q for q, _ in clinc_queries()]
    seeds = Embedder(cache_dir=Path(tempfile.gettempdir()) / "dataaudit-bench-seeds").embed([q.lower() for q in queries])
    slot = {q.lower(): i for i, q in enumerate(queries)}
    rng = np.random.default_rng(seed)
    base = np.empty((len(index.distinct), seeds.shape[1]), dtype=np.float32)
    prefixes = sorted(PREFIXES, key=len, reverse=True)
    suffixes = sorted((s for s in SUFFIXES if s), key=len, reverse=True)
    for n, key in enumerate(index.distinct):
        core = next((key[len(p):] for p in prefixes if key.startswith(p)), key)
        core = next((core[: len(core) - len(s)] for s in suffixes if core.endswith(s)), core)
        base[n] = seeds[slot.get(core, n % len(seeds))]
    base += rng.normal(0, noise, base.shape).astype(np.float32)
    base /= np.linalg.norm(base, axis=1, keepdims=True)
    return base


def exact_top_k(vectors, queries, k: int, block: int = 50_000):
    """Exact neighbours of a few queries, a block of indexed vectors at a time (no second copy of the set)."""
    import numpy as np

    best_sims = np.full((len(queries), 0), -np.inf, dtype=np.float32)
    best_idx = np.zeros((len(queries), 0), dtype=np.int64)
    for start in range(0, len(vectors), block):
        sims = queries @ vectors[start:start + block].T
        top = np.argpartition(-sims, min(k, sims.shape[1] - 1), axis=1)[:, :k]
        best_sims = np.hstack([best_sims, np.take_along_axis(sims, top, axis=1)])
        best_idx = np.hstack([best_idx, top + start])
        keep = np.argsort(-best_sims, axis=1, kind="stable")[:, :k]
        best_sims, best_idx = np.take_along_axis(best_sims, keep, axis=1), np.take_along_axis(best_idx, keep, axis=1)
    return best_idx


def search_recall(vectors, k: int, bound: float, queries: int = 1000, seed: int = 0) -> tuple[float, float | None, int]:
    """Recall of neighbours.top_k against exact search on a seeded sample of self-queries: over all k
    neighbours, and over the exact neighbours at cosine >= bound (what the duplicates check keeps; None when
    there are none), with how many of those there were."""
    import numpy as np

    from dataaudit import neighbours

    sample = np.sort(np.random.default_rng(seed).choice(len(vectors), size=min(queries, len(vectors)), replace=False))
    _, found = neighbours.top_k(vectors, vectors[sample], k)
    exact = exact_top_k(vectors, vectors[sample], k)
    exact_sims = np.einsum("qd,qkd->qk", vectors[sample], vectors[exact])
    overall = float(np.mean([len(set(a) & set(e)) / k for a, e in zip(found.tolist(), exact.tolist())]))
    near = [(q, int(j)) for q, row in enumerate(exact) for j, sim in zip(row, exact_sims[q]) if sim >= bound and j != sample[q]]
    found_sets = [set(row) for row in found.tolist()]
    near_recall = sum(j in found_sets[q] for q, j in near) / len(near) if near else None
    return overall, near_recall, len(near)


def time_semantic(index, config) -> None:
    import dataclasses

    from dataaudit import neighbours
    from dataaudit.checks.duplicates import measure_index

    bound = config.duplicates.near_cosine
    vectors = stand_in_vectors(index, 0.02)
    start = time.perf_counter()
    result = measure_index(dataclasses.replace(index, vectors=vectors), config)
    elapsed = time.perf_counter() - start
    print(f"with cached stand-in vectors (noise 0.02) for all {len(vectors):,} distinct inputs: duplicates {elapsed:.1f} s "
          f"(the semantic pass searches one input per group of lexical copies); near pairs by kind: {result.near_kinds}", flush=True)
    # The worst case: no lexical copies at all, so every distinct input is searched (what semantic_pairs asks).
    k = config.duplicates.neighbours + 1
    search = "exact" if len(vectors) <= neighbours.EXACT_LIMIT else f"inverted file, {neighbours.IVF_LISTS} lists, {neighbours.IVF_PROBES} probes"
    start = time.perf_counter()
    neighbours.top_k(vectors, vectors, k)
    search_s = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
    print(f"every one of the {len(vectors):,} distinct inputs searched ({search}, k={k}): {search_s:.1f} s "
          f"(load average {os.getloadavg()[0]:.1f}); peak memory of this process {peak:.2f} GB", flush=True)
    for noise in (0.02, 0.1, 0.005):
        if noise != 0.02:
            del vectors
            vectors = stand_in_vectors(index, noise)
        overall, near, pairs = search_recall(vectors, k, bound)
        near_text = f"{near:.3f} of the {pairs:,} exact neighbours at cosine >= {bound}" if near is not None else f"no exact neighbours at cosine >= {bound}"
        print(f"stand-ins with noise {noise}: recall@{k} against exact search, 1,000 seeded queries: {overall:.3f}; {near_text}", flush=True)


def clinc_rerun() -> None:
    """What a warm re-run pays for lexical duplicates on CLINC150's 15,000 train + 4,500 test queries (issue 18:
    MinHash signatures recomputed every run cost about 4 s with datasketch)."""
    from dataaudit import neighbours
    from dataaudit.checks.duplicates import measure_index
    from dataaudit.config import Config
    from dataaudit.index import build_index
    from dataaudit.load.records import Dataset, Record
    from dataaudit.normalize import normalize_text

    data = json.loads((SHARED / "clinc150" / "data_full.json").read_text())
    config = Config()

    def index(role, rows):
        records = [Record(role, i + 1, "text_label", t, label=label) for i, (t, label) in enumerate(rows)]
        return build_index(role, Dataset(role, [], records, [], len(records), 0), lambda t: normalize_text(t, config.duplicates))

    train, test = index("train", data["train"]), index("eval", data["test"])
    texts = train.distinct + test.distinct
    start = time.perf_counter()
    neighbours.minhash_signatures(texts)
    signatures_s = time.perf_counter() - start
    start = time.perf_counter()
    measure_index(train, config, eval_index=test)
    whole_s = time.perf_counter() - start
    print(f"CLINC150 {len(train.records):,} train + {len(test.records):,} test queries: MinHash signatures {signatures_s:.2f} s, "
          f"whole duplicates measurement with eval leakage {whole_s:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--semantic", action="store_true", help="time the semantic pass on cached stand-in vectors instead")
    parser.add_argument("--measure-semantic", metavar="FILE", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure_semantic:
        measure_semantic(Path(args.measure_semantic))
        return
    clinc_rerun()
    folder = Path(tempfile.gettempdir()) / "dataaudit-bench-scale"
    folder.mkdir(exist_ok=True)
    path, pairs_path = folder / f"templated_{args.records}.jsonl", folder / f"templated_{args.records}.planted.json"
    if not path.exists() or not pairs_path.exists():
        start = time.perf_counter()
        pairs_path.write_text(json.dumps(generate(path, args.records)))
        print(f"generated {args.records:,} records ({path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - start:.0f} s")
    print(f"{args.records:,} templated text+label records, {int(args.records * PLANTED_SHARE):,} planted one-typo copies")
    print(f"load average {os.getloadavg()[0]:.1f} (1 min) on {os.cpu_count()} cores before the run")
    if args.semantic:
        subprocess.run([sys.executable, __file__, "--measure-semantic", str(path)], check=True)
        return
    parses = [bare_parse(path) for _ in range(3)]
    bare = statistics.median(parses)
    print(f"bare json.loads pass: {bare:.1f} s (median of {', '.join(f'{p:.1f}' for p in parses)})")
    run_audit(path, [tuple(p) for p in json.loads(pairs_path.read_text())], bare)
    print(f"load average {os.getloadavg()[0]:.1f} (1 min) after the run")


if __name__ == "__main__":
    main()
