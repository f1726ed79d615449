"""Realistic short texts for benchmarks: CLINC150 and Banking77 queries (../shared/datasets), with
light rewordings to reach 100,000+ distinct texts. Attribution: CLINC150 (Larson et al. 2019, CC BY 3.0),
Banking77 (Casanueva et al. 2020, CC BY 4.0)."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "datasets"
PREFIXES = ["", "hi, ", "hello, ", "hey, ", "quick question: ", "please help: ", "excuse me, ", "so ", "um, ", "ok "]
SUFFIXES = ["", " please", " thanks", " asap", " today", " right now", " if possible", " again", " for me", " now"]


def base_queries() -> tuple[list[str], list[str]]:
    """(queries for training-like use, queries held back for production-like use)."""
    if not SHARED.exists():
        raise SystemExit("../shared/datasets is not beside the project")
    clinc = json.loads((SHARED / "clinc150" / "data_full.json").read_text())
    train = [t for t, _ in clinc["train"] + clinc["val"]] + [t for t, _ in clinc["oos_train"] + clinc["oos_val"]]
    prod = [t for t, _ in clinc["test"] + clinc["oos_test"]]
    with (SHARED / "banking77" / "train.csv").open(encoding="utf-8") as handle:
        train += [row["text"] for row in csv.DictReader(handle)]
    with (SHARED / "banking77" / "test.csv").open(encoding="utf-8") as handle:
        prod += [row["text"] for row in csv.DictReader(handle)]
    return train, prod


def distinct_texts(seeds: list[str], count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    out = list(dict.fromkeys(seeds))[:count]
    seen = set(out)
    while len(out) < count:
        text = rng.choice(PREFIXES) + rng.choice(seeds) + rng.choice(SUFFIXES)
        if text not in seen:
            seen.add(text)
            out.append(text)
    return out
