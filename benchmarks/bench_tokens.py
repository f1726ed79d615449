"""Counting 1,000,000 short chat examples in the target model's encoding, against a bare json.loads pass.

Each example is a system prompt (one of 5), a real query (CLINC150 + Banking77 via corpus.py, reworded) as
the user turn and its intent as the assistant turn, i.e. a fine-tuning export for intent classification.
Timed: (1) a bare `json.loads` over the JSONL lines, (2) the tokens check's measurement over the parsed
records (counting, limit, epochs, billing), in o200k_base (gpt-4o-mini) and cl100k_base (gpt-3.5-turbo).

    .venv/bin/python benchmarks/bench_tokens.py [--records N]
"""

from __future__ import annotations

import argparse
import json
import random
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=1_000_000)
    args = parser.parse_args()
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
