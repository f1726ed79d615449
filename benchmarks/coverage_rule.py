"""Choosing the coverage rule by measurement, on CLINC150 with two of its ten domains held out of training.

Training: 30 queries per intent of the 8 kept domains (3,600); production: 10 test queries per intent of all
10 domains (1,500; 300 out-of-domain). For each rule: share of in-domain production called covered (higher is
better) and share of out-of-domain production called covered (lower is better).

    .venv/bin/python benchmarks/coverage_rule.py   (needs ../shared/datasets/clinc150)
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dataaudit.embeddings import Embedder  # noqa: E402
from dataaudit.checks.coverage import covered_by_neighbourhood  # noqa: E402
from dataaudit.neighbours import top_k  # noqa: E402

CLINC = ROOT.parent / "shared" / "datasets" / "clinc150"
HELD_OUT_SETS = [("travel", "kitchen_and_dining"), ("banking", "small_talk"), ("auto_and_commute", "meta")]


def split(held_out):
    data = json.loads((CLINC / "data_full.json").read_text())
    domains = json.loads((CLINC / "domains.json").read_text())
    held = {i for d in held_out for i in domains[d]}
    count: dict[str, int] = {}
    train = []
    for text, intent in data["train"]:
        if intent not in held and count.get(intent, 0) < 30:
            count[intent] = count.get(intent, 0) + 1
            train.append(text)
    seen: dict[str, int] = {}
    prod, ood = [], []
    for text, intent in data["test"]:
        if seen.get(intent, 0) < 10:
            seen[intent] = seen.get(intent, 0) + 1
            prod.append(text)
            ood.append(intent in held)
    return train, prod, np.array(ood)


def floor_rule(train, prod, floor):
    sims, _ = top_k(train, prod, 1)
    return sims[:, 0] >= floor


def main() -> None:
    if not CLINC.exists():
        sys.exit("../shared/datasets/clinc150 is not beside the project")
    embedder = Embedder()
    rules = {
        "cosine floor 0.6": lambda t, p: floor_rule(t, p, 0.6),
        "cosine floor 0.7": lambda t, p: floor_rule(t, p, 0.7),
    }
    for k in (5, 10, 20, 30):
        for ratio in (0.3, 0.5):
            rules[f"kNN share k={k} ratio={ratio}"] = lambda t, p, k=k, ratio=ratio: covered_by_neighbourhood(t, p, k, ratio)
    for close in (0.7, 0.75, 0.8):
        rules[f"kNN share k=10 ratio=0.5 or cos>={close}"] = lambda t, p, close=close: covered_by_neighbourhood(t, p, 10, 0.5, close)
    rules["kNN share AND nearest cos>=0.5"] = lambda t, p: covered_by_neighbourhood(t, p, 10, 0.5) & floor_rule(t, p, 0.5)
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in rules}
    for held_out in HELD_OUT_SETS:
        train_texts, prod_texts, ood = split(held_out)
        start = time.perf_counter()
        train = embedder.embed(train_texts)
        prod = embedder.embed(prod_texts)
        print(f"held out {', '.join(held_out)}: {len(train_texts)} train, {len(prod_texts)} production "
              f"({ood.sum()} out of domain), embedded in {time.perf_counter() - start:.1f} s")
        for name, rule in rules.items():
            covered = rule(train, prod)
            results[name].append((covered[~ood].mean(), covered[ood].mean()))
    print(f"\n{'rule':34s} {'in-domain covered':>18s} {'out-of-domain covered':>22s}   (mean over {len(HELD_OUT_SETS)} splits)")
    for name, pairs in results.items():
        in_dom = np.mean([a for a, _ in pairs])
        out_dom = np.mean([b for _, b in pairs])
        print(f"{name:34s} {in_dom:18.1%} {out_dom:22.1%}")


if __name__ == "__main__":
    main()
