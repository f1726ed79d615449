"""Shards built from CLINC150 for the engine tests: text+label training queries across JSONL, CSV and
Parquet files with planted exact copies (some across files, one with a conflicting label) and malformed
lines, and production queries (in-scope test queries plus out-of-scope ones) across two JSONL files."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from dataaudit.embeddings import Embedder, ModelRef
from tests.conftest import shared_dataset, write_jsonl


@dataclass(frozen=True)
class Shards:
    train: Path  # a directory of train_0.jsonl, train_1.csv, train_2.parquet
    production: Path  # a directory of prod_0.jsonl, prod_1.jsonl
    train_rows: int  # data rows written (valid or not)
    malformed: list[tuple[str, int]]  # (file name, line) of each planted malformed record
    copies: list[tuple[str, str]]  # (copy text, original text) planted exact copies, after normalisation equal
    conflict: str  # text of the copy planted with a different label
    in_scope: int
    out_of_scope: int


def clinc_shards(folder: Path, *, intents: int = 12, per_intent: int = 12, production_per_intent: int = 4,
                 out_of_scope: int = 12) -> Shards:
    data = json.loads((shared_dataset("clinc150") / "data_full.json").read_text(encoding="utf-8"))
    chosen = sorted({intent for _, intent in data["train"]})[:intents]
    taken: dict[str, int] = {}
    rows = []
    for text, intent in data["train"]:
        if intent in chosen and taken.get(intent, 0) < per_intent:
            taken[intent] = taken.get(intent, 0) + 1
            rows.append({"text": text, "label": intent})
    third = len(rows) // 3
    parts = [rows[:third], rows[third:2 * third], rows[2 * third:]]
    # Copies: two inside a shard, two across shards (the copy in another file than its original, one of them
    # re-cased and re-spaced so only normalisation finds it), one across shards with a conflicting label.
    copies = [(parts[0][1]["text"], parts[0][1]["text"]), (parts[1][2]["text"], parts[1][2]["text"]),
              ("  " + parts[0][3]["text"].upper() + " ", parts[0][3]["text"]), (parts[1][4]["text"], parts[1][4]["text"])]
    parts[0].append(dict(parts[0][1]))
    parts[1].append(dict(parts[1][2]))
    parts[2].append({"text": copies[2][0], "label": parts[0][3]["label"]})
    parts[2].append(dict(parts[1][4]))
    other = next(i for i in chosen if i != parts[0][5]["label"])
    conflict = parts[0][5]["text"]
    parts[1].append({"text": conflict, "label": other})
    folder.mkdir(parents=True, exist_ok=True)
    train = folder / "train"
    train.mkdir()
    malformed_lines = ['{"text": "where is my card', "not json at all", json.dumps({"text": "a query with no label"})]
    jsonl_rows: list = list(parts[0])
    malformed = []
    for offset, bad in zip((4, 9, 15), malformed_lines):
        jsonl_rows.insert(offset, bad)
        malformed.append(("train_0.jsonl", offset + 1))
    write_jsonl(train / "train_0.jsonl", jsonl_rows)
    pd.DataFrame(parts[1]).to_csv(train / "train_1.csv", index=False)
    pd.DataFrame(parts[2]).to_parquet(train / "train_2.parquet", index=False)
    (train / "README.md").write_text("not a shard: left out when the directory is read\n", encoding="utf-8")

    seen: dict[str, int] = {}
    production_rows = []
    for text, intent in data["test"]:
        if intent in chosen and seen.get(intent, 0) < production_per_intent:
            seen[intent] = seen.get(intent, 0) + 1
            production_rows.append({"text": text})
    in_scope = len(production_rows)
    production_rows += [{"text": text} for text, _ in data["oos_test"][:out_of_scope]]
    production = folder / "production"
    production.mkdir()
    half = len(production_rows) // 2
    write_jsonl(production / "prod_0.jsonl", production_rows[:half])
    write_jsonl(production / "prod_1.jsonl", production_rows[half:])
    return Shards(train, production, sum(len(p) for p in parts) + len(malformed_lines), malformed, copies, conflict,
                  in_scope, out_of_scope)


PLANTED_FAILURE = "planted embedding failure: CUDA out of memory"
FORGED_FAILURE = "cannot parse record 'hi\ndataaudit.errors.ConfigError: planted.toml: write to ann.lee@example.com'"
# Two lines, as the Hugging Face and torch messages embeddings.py wraps can be.
PLANTED_USER_ERROR = "cannot load embedding model char-3-gram stand-in: planted device error\nsecond line of the cause"


class _CharGramModel:
    """Stands in for the sentence model where its speed matters more than its semantics: character 3-gram
    counts hashed into 256 dimensions, unit length. Same `encode` signature as SentenceTransformer."""

    def __init__(self, fail: str = "", marker: str = ""):
        self.fail = fail
        self.marker = marker

    def encode(self, texts, **_):
        import os

        if self.fail == "raise":  # a failure that is no input or config error: the cluster's, with its cause
            raise RuntimeError(PLANTED_FAILURE)
        if self.fail == "forged":  # a library quoting a record whose text reads like one of dataaudit's errors
            raise ValueError(FORGED_FAILURE)
        if self.fail == "user_error":  # what a worker's model load raises for a device it lacks
            from dataaudit.errors import ModelNotFoundError

            raise ModelNotFoundError(PLANTED_USER_ERROR)
        if self.fail == "die_once" and not os.path.exists(self.marker):
            open(self.marker, "w").close()
            os._exit(1)  # the worker process dies, as when its node is lost
        if self.fail == "stall_on_doomed_node":  # marker: a folder; its file `doomed` names the node to stall on
            import time

            import ray

            node = ray.get_runtime_context().get_node_id()
            Path(self.marker, f"embedding-on-{node}").touch()
            if node == Path(self.marker, "doomed").read_text():
                time.sleep(300)  # until the test removes this node
        from sklearn.feature_extraction.text import HashingVectorizer

        vectors = HashingVectorizer(analyzer="char_wb", ngram_range=(3, 3), n_features=256, alternate_sign=False,
                                    norm="l2").transform(list(texts)).toarray()
        return vectors.astype(np.float32)


class CharGramEmbedder(Embedder):
    """cache_dir: a cache of its own vectors (keyed apart from the real model's); writers: a folder where each
    process that writes the cache leaves a file named by its node and pid, to show who wrote it."""

    def __init__(self, fail: str = "", marker: str = "", cache_dir: str = "", writers: str = ""):
        super().__init__(use_cache=bool(cache_dir), cache_dir=cache_dir or None)
        self.ref = ModelRef(self.ref.location, "char-3-gram stand-in", "char-3-gram-stand-in:256")
        self.fail = fail
        self.marker = marker
        self.writers = writers

    def store(self, texts, vectors) -> bool:
        stored = super().store(texts, vectors)
        if stored and self.writers:
            import os

            import ray

            node = ray.get_runtime_context().get_node_id() if ray.is_initialized() else "driver"
            Path(self.writers, f"{node}-{os.getpid()}").write_text(str(len(texts)))
        return stored

    @property
    def label(self) -> str:
        return "char-3-gram stand-in"

    def _load(self):
        if self._model is None:
            self._model = _CharGramModel(self.fail, self.marker)
        return self._model


# Map functions for the engines' data-parallel steps (module level, so Ray tasks can run them).


def normalised_input(record) -> str:
    from dataaudit.config import Config
    from dataaudit.normalize import normalize_text

    return normalize_text(record.input_text, Config().duplicates)


def label_counts(records):
    from collections import Counter

    return Counter(r.label for r in records if r.label is not None)


def process_and_size(records) -> tuple[int, int]:
    import os

    return os.getpid(), len(records)


def process_and_line(records) -> list[tuple[int, str, int]]:
    """A per-record map step: where it ran, and which record each value belongs to."""
    import os

    return [(os.getpid(), r.source, r.line) for r in records]


def rejects_the_config(records):
    from dataaudit.errors import ConfigError

    raise ConfigError("tokens.tokenizer: rejected in a task")


def typo_shards(folder: Path, size: int = 160) -> Path:
    """Three JSONL files of CLINC150 training queries (a folder) with copies the lexical pass must join across
    files: typo copies (two letters swapped) of queries in other files, exact copies across files, and
    queries behind a mistyped "plese" that is a typo only by the counts of all files together (the first
    file holds the "please" queries, the last the "plese" ones)."""
    data = json.loads((shared_dataset("clinc150") / "data_full.json").read_text(encoding="utf-8"))
    texts = [(text, intent) for text, intent in data["train"][:size]]

    def swapped(text: str) -> str:
        i = len(text) // 2
        return text[:i] + text[i + 1] + text[i] + text[i + 2:]

    third = size // 3
    parts = [texts[:third], texts[third:2 * third], texts[2 * third:]]
    parts[0] += [("please " + t, i) for t, i in texts[third:third + 45]]
    parts[1] += [(swapped(t), i) for t, i in texts[:third:4]] + texts[2 * third:2 * third + 2]
    parts[2] += [(swapped(t), i) for t, i in texts[third + 1:2 * third:5]] + [("plese " + t, i) for t, i in texts[2:4]]
    folder.mkdir(parents=True, exist_ok=True)
    for n, part in enumerate(parts):
        write_jsonl(folder / f"typos_{n}.jsonl", [{"text": t, "label": i} for t, i in part])
    return folder


def keys_and_process(keys: list[str]) -> tuple[int, int]:
    import os

    return os.getpid(), len(keys)


def copies_and_templates(count: int = 600, seed: int = 5) -> list[str]:
    """Distinct normalised-looking texts where the lexical pass has work: CLINC150 queries, seeded typo copies
    of some (a letter dropped, two swapped, one doubled), and templated variants of others (the same
    query behind several openings), so band buckets hold both true copies and crowds of template siblings."""
    import random

    rng = random.Random(seed)
    data = json.loads((shared_dataset("clinc150") / "data_full.json").read_text(encoding="utf-8"))
    queries = list(dict.fromkeys(text.lower() for text, _ in data["train"]))[:count]

    def typo(text: str) -> str:
        i = rng.randrange(1, len(text) - 2)
        return rng.choice([text[:i] + text[i + 1:], text[:i] + text[i + 1] + text[i] + text[i + 2:], text[:i] + text[i] + text[i:]])

    typos = [typo(q) for q in rng.sample(queries, count // 6) if len(q) > 8]
    templated = [f"{opening} {q}" for q in queries[:count // 10] for opening in ("please tell me", "i need to know", "hey can you say")]
    return list(dict.fromkeys(queries + typos + templated))


def block_and_process(block, shared) -> tuple[int, object, object]:
    import os

    return os.getpid(), block, shared


def annotation_shards(folder: Path, spanning: bool = True) -> Path:
    """Three files of long-layout ratings (one row per item, annotator and label; config ANNOTATION_CONFIG):
    items rated inside one file, with `spanning` items whose ratings are split between the first two files
    (the same item id in both: one item across files), gold on some items, ties, a careless annotator, and
    item texts repeated in another file under other ids."""
    import random

    rng = random.Random(23)
    labels = ["billing", "account", "shipping"]

    def rows(prefix: str, count: int, annotators: list[str], gold_every: int = 0, text_prefix: str = "") -> list[dict]:
        out = []
        for n in range(count):
            truth = labels[n % 3]
            for annotator in annotators:
                careless = annotator == "ann_d"
                label = rng.choice(labels) if careless or rng.random() < 0.15 else truth
                row = {"item": f"{prefix}{n}", "annotator": annotator, "label": label,
                       "text": f"ticket {text_prefix or prefix}{n} about {truth}"}
                if gold_every and n % gold_every == 0:
                    row["gold"] = truth
                out.append(row)
        return out

    folder.mkdir(parents=True, exist_ok=True)
    first_half = rows("span", 15, ["ann_a", "ann_b"]) if spanning else []
    second_half = rows("span", 15, ["ann_c", "ann_d"]) if spanning else []
    write_jsonl(folder / "ann_0.jsonl", rows("a", 40, ["ann_a", "ann_b", "ann_d"], gold_every=5) + first_half)
    write_jsonl(folder / "ann_1.jsonl", second_half + rows("b", 40, ["ann_b", "ann_c"]))
    pd.DataFrame(rows("c", 30, ["ann_a", "ann_c", "ann_d"]) + rows("again", 6, ["ann_b", "ann_c"], text_prefix="a")).to_csv(
        folder / "ann_2.csv", index=False)
    return folder


# No result reuse (embeddings.cache): a second audit of the same files must measure again.
ANNOTATION_CONFIG = {"fields": {"annotator": "annotator", "id": "item", "gold": "gold"}, "embeddings": {"cache": False}}
PREFERENCE_CONFIG = {"embeddings": {"cache": False}}


def preference_shards(folder: Path) -> Path:
    """Preference records in four files: pairs whose reverse (B over A for the same prompt) sits in another
    file, an identical pair, and unpaired completions marked desirable in one file and not in another."""
    pairs = [{"prompt": f"Question {n}: what is {n} plus {n}?", "chosen": f"The answer is {2 * n}, because {n} plus {n} makes {2 * n}.",
              "rejected": f"{2 * n}."} for n in range(30)]
    reversed_pairs = [{"prompt": p["prompt"].upper(), "chosen": p["rejected"], "rejected": " " + p["chosen"]} for p in pairs[3:6]]
    identical = {"prompt": "Pick a colour", "chosen": "Blue.", "rejected": "blue. "}
    folder.mkdir(parents=True, exist_ok=True)
    write_jsonl(folder / "pref_0.jsonl", pairs[:20] + [identical])
    write_jsonl(folder / "pref_1.jsonl", pairs[20:] + reversed_pairs + [pairs[4]])
    write_jsonl(folder / "pref_2.jsonl", [{"prompt": "Greet me", "completion": "Hello!", "label": True},
                                          {"prompt": "Greet me", "completion": "Go away.", "label": False}])
    write_jsonl(folder / "pref_3.jsonl", [{"prompt": "Greet me", "completion": "hello! ", "label": False}])
    return folder
