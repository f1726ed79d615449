"""Embedding versus the whole coverage measurement, cold and with a warm cache.

100,000 training + 10,000 production short texts (see corpus.py) on this 2-core machine:
- pure embedding (cold cache): every distinct text through the model;
- the rest of the coverage measurement (neighbours, rule, scenarios, unused training, domain AUC);
- a warm re-run: vectors from the cache plus the measurement again (goal: under a tenth of the cold run).

    .venv/bin/python benchmarks/bench_coverage.py [--train N] [--production M]

--clinc150 times the check's `measure` alone on real vectors instead: CLINC150's 15,000 training and 4,500
test queries (the "nothing absent" case of coverage_validity.py, embedded into its cache), twice. Each run is
a fresh process, as a user's audit is, and keeps its results (searches, clusterings) in a fresh temporary
folder, removed after it: with the user's result cache the second run would reuse the first run's searches,
and in one process it would skip the first run's one-time costs (lazy imports, the code hash that keys
results), so it would time a different thing; and a benchmark has no business filling the user's cache.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path


sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.corpus import base_queries, distinct_texts  # noqa: E402
from dataaudit.checks.base import AuditContext  # noqa: E402
from dataaudit.checks.coverage import CHECK  # noqa: E402
from dataaudit.config import Config  # noqa: E402
from dataaudit.embeddings import Embedder  # noqa: E402
from dataaudit.index import TextIndex, build_index  # noqa: E402
from dataaudit.load.records import Dataset, Record  # noqa: E402


def indexed(role: str, texts: list[str], vectors) -> TextIndex:
    """The check's input for distinct texts already normalised (the corpus is lower-cased and deduplicated),
    so each text is its own key and its vector is the one embedded for it."""
    records = [Record(f"{role}.jsonl", i + 1, "text_label", t) for i, t in enumerate(texts)]
    index = build_index(role, Dataset(role, [], records, [], len(records), 0), lambda text: text)
    return index.with_vectors(dict(zip(texts, vectors)), vectors.shape[1])


def run(train: list[str], prod: list[str], cache: Path) -> tuple[float, float, float]:
    embedder = Embedder(cache_dir=cache)
    start = time.perf_counter()
    train_vectors = embedder.embed(train)
    prod_vectors = embedder.embed(prod)
    embed_s = time.perf_counter() - start
    start = time.perf_counter()
    ctx = AuditContext(config=Config(), train=indexed("train", train, train_vectors),
                       production=indexed("production", prod, prod_vectors), embedding_model=embedder.label)
    result = CHECK.measure(ctx)
    rest_s = time.perf_counter() - start
    print(f"  embedded {embedder.stats.computed:,} (from cache {embedder.stats.from_cache:,}) in {embed_s:.1f} s; "
          f"coverage measurement {rest_s:.1f} s; covered {result.covered_share:.3f}, {len(result.scenarios)} scenarios, "
          f"{len(result.uncovered)} uncovered, AUC {result.domain_auc}")
    return embed_s, rest_s, embed_s + rest_s


def clinc150_measure(repeats: int = 2) -> None:
    import subprocess

    for attempt in range(1, repeats + 1):
        # stdout only: a failing run's traceback reaches the terminal
        line = subprocess.run([sys.executable, __file__, "--clinc150-run", str(attempt)], check=True,
                              stdout=subprocess.PIPE, text=True).stdout.strip().splitlines()
        if attempt == 1:
            print(line[0])
        print(line[-1])


def clinc150_measure_once(attempt: int) -> None:
    import dataclasses

    from benchmarks.coverage_validity import CACHE, _index, build_cases
    from dataaudit.checks.base import AuditContext
    from dataaudit.checks.coverage import CHECK
    from dataaudit.config import Config, EmbeddingConfig

    embedder = Embedder(cache_dir=CACHE)
    case = build_cases(only={"CLINC150, nothing absent"})[0]
    results_home = Path(tempfile.mkdtemp(prefix="dataaudit-bench-coverage-results-"))
    try:
        # The results folder follows embeddings.cache_dir (result_cache.results_folder); the vectors come from
        # the embedder above, so nothing is embedded or read from this folder.
        config = dataclasses.replace(Config(), embeddings=EmbeddingConfig(cache_dir=str(results_home)))
        ctx = AuditContext(config=config, train=_index("train", case.train, True, embedder),
                           production=_index("production", case.production, False, embedder),
                           embedding_model=embedder.label)
        print(f"CLINC150: {len(case.train):,} training + {len(case.production):,} production queries, vectors cached; "
              f"each run a fresh process with a fresh, empty result cache")
        start = time.perf_counter()
        result = CHECK.measure(ctx)
        elapsed = time.perf_counter() - start
    finally:
        shutil.rmtree(results_home, ignore_errors=True)
    print(f"  coverage measure, run {attempt}: {elapsed:.1f} s; covered {result.covered_share:.4f}, "
          f"{len(result.scenarios)} scenarios, {len(result.uncovered)} uncovered")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--train", type=int, default=100_000)
    parser.add_argument("--production", type=int, default=10_000)
    parser.add_argument("--keep-cache", help="embed into this folder and keep it (a later run with it is warm)")
    parser.add_argument("--clinc150", action="store_true", help="time measure alone on CLINC150 (cached vectors)")
    parser.add_argument("--clinc150-run", type=int, help=argparse.SUPPRESS)  # one timed run, in the child process
    args = parser.parse_args()
    if args.clinc150_run:
        clinc150_measure_once(args.clinc150_run)
        return
    if args.clinc150:
        clinc150_measure()
        return
    train_seeds, prod_seeds = base_queries()
    train = list(dict.fromkeys(t.lower() for t in distinct_texts(train_seeds, args.train + 5000, seed=1)))[: args.train]
    prod_set = set(train)
    prod = list(dict.fromkeys(t.lower() for t in distinct_texts(prod_seeds, args.production * 2, seed=2) if t.lower() not in prod_set))[: args.production]
    cache = Path(args.keep_cache) if args.keep_cache else Path(tempfile.mkdtemp(prefix="dataaudit-bench-"))
    try:
        print(f"{len(train):,} training + {len(prod):,} production texts; cache {cache}")
        print("cold run:")
        embed_s, rest_s, cold = run(train, prod, cache)
        print("warm run (same texts, cache filled):")
        warm_embed, warm_rest, warm = run(train, prod, cache)
        print()
        print(f"pure embedding (cold)           {embed_s:8.1f} s  ({(len(train) + len(prod)) / embed_s:,.0f} texts/s)")
        print(f"rest of coverage measurement    {rest_s:8.1f} s  = {rest_s / embed_s:.1%} of embedding (goal <= 15%)")
        print(f"whole coverage, cold            {cold:8.1f} s")
        print(f"whole coverage, warm cache      {warm:8.1f} s  = {warm / cold:.1%} of cold (goal < 10%); cache read {warm_embed:.1f} s")
    finally:
        if not args.keep_cache:
            shutil.rmtree(cache, ignore_errors=True)


if __name__ == "__main__":
    main()
