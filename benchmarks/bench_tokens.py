"""Counting 1,000,000 short chat examples in the target model's encoding, against a bare json.loads pass.

Each example is a system prompt (one of 5), a real query (CLINC150 + Banking77 via corpus.py, reworded) as
the user turn and its intent as the assistant turn, i.e. a fine-tuning export for intent classification.
Timed: (1) a bare `json.loads` over the JSONL lines, (2) the tokens check's measurement over the parsed
records (counting, limit, epochs, billing), in o200k_base (gpt-4o-mini) and cl100k_base (gpt-3.5-turbo).
Also timed, each in a fresh interpreter (what a re-run pays): loading the size check's WordPiece counter
through the `tokenizers` library (now) and through transformers' AutoTokenizer (before), and the counts of
both on the same texts.

    .venv/bin/python benchmarks/bench_tokens.py [--records N]
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.corpus import PREFIXES, SUFFIXES, base_queries  # noqa: E402
from dataaudit.checks.tokens import OpenAIExampleCounter, TokensConfig, measure_tokens, resolve_target  # noqa: E402
from dataaudit.load.records import Record  # noqa: E402

SYSTEM_PROMPTS = [
    "You are Acme's support triage assistant. Answer with the ticket's intent only.",
    "Classify the customer's message into one intent.",
    "You route banking questions. Reply with the intent label.",
    "Return the intent of the user's request, nothing else.",
    "You are a helpful assistant that labels requests by intent.",
]


def make_lines(count: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    queries, _ = base_queries()
    intents = [f"intent_{i % 227}" for i in range(len(queries))]
    lines = []
    for i in range(count):
        k = rng.randrange(len(queries))
        example = {"messages": [
            {"role": "system", "content": SYSTEM_PROMPTS[i % len(SYSTEM_PROMPTS)]},
            {"role": "user", "content": rng.choice(PREFIXES) + queries[k] + rng.choice(SUFFIXES)},
            {"role": "assistant", "content": intents[k]},
        ]}
        lines.append(json.dumps(example, ensure_ascii=False))
    return lines


LOAD_NOW = """
import time; start = time.perf_counter()
from dataaudit.tokens import load_token_counter
counter = load_token_counter()
print(time.perf_counter() - start, sum(counter.count(TEXTS)))
"""
LOAD_BEFORE = """
import time; start = time.perf_counter()
import os; os.environ.setdefault("HF_HUB_OFFLINE", "1"); os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
from transformers import AutoTokenizer
from dataaudit.embeddings import bundled_model_path
tokenizer = AutoTokenizer.from_pretrained(str(bundled_model_path())); tokenizer.model_max_length = 10**9
print(time.perf_counter() - start, sum(len(i) for i in tokenizer(TEXTS, add_special_tokens=False)["input_ids"]))
"""


def load_seconds(script: str, texts: list[str]) -> tuple[float, int]:
    root = Path(__file__).resolve().parent.parent
    code = f"import sys; sys.path.insert(0, {str(root)!r}); TEXTS = {texts!r}\n" + script
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    return float(out[0]), int(out[1])


def compare_loading(repeats: int = 3) -> None:
    texts = base_queries()[0][:2000]
    now = [load_seconds(LOAD_NOW, texts) for _ in range(repeats)]
    before = [load_seconds(LOAD_BEFORE, texts) for _ in range(repeats)]
    best_now, best_before = min(s for s, _ in now), min(s for s, _ in before)
    same = {n for _, n in now} == {n for _, n in before}
    print(f"WordPiece counter, import + load + count 2,000 texts, fresh interpreter, best of {repeats}: "
          f"tokenizers {best_now:.2f} s, transformers AutoTokenizer {best_before:.2f} s "
          f"({best_before / best_now:.1f}x); same total count: {same} ({now[0][1]:,} tokens)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=1_000_000)
    args = parser.parse_args()
    compare_loading()
    lines = make_lines(args.records)
    print(f"{args.records:,} chat examples, {sum(map(len, lines)) / 1e6:.0f} MB of JSONL")

    start = time.perf_counter()
    parsed = [json.loads(line) for line in lines]
    parse_s = time.perf_counter() - start
    print(f"bare json.loads pass: {parse_s:.2f} s")
    records = [Record("bench.jsonl", i, "chat", obj["messages"][1]["content"], obj["messages"][2]["content"], raw=obj)
               for i, obj in enumerate(parsed, start=1)]
    del parsed

    for model in ("gpt-4o-mini", "gpt-3.5-turbo"):
        config = TokensConfig(target_model=model)
        target = resolve_target(config)
        counter = OpenAIExampleCounter(target.encoding)  # built outside the timing: loading is a one-off
        start = time.perf_counter()
        result = measure_tokens(records, target, config, counter)
        count_s = time.perf_counter() - start
        print(f"{model} ({result.encoding}): {count_s:.2f} s, {args.records / count_s:,.0f} examples/s, "
              f"{count_s / parse_s:.2f}x the json.loads pass; total {result.total:,} tokens, "
              f"median {result.per_example.median:g} per example, {result.epochs} epoch(s), "
              f"{result.billed_tokens:,} billed, ${result.estimated_cost_usd:,.2f}")


if __name__ == "__main__":
    main()
