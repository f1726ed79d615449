"""Size: how many usable examples there are, and how long inputs and targets are in tokens."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config import SizeConfig
from ..load.records import Dataset
from ..tokens import TokenCounter

MAX_LINES_LISTED = 100


@dataclass
class TokenStats:
    min: int
    median: float
    p95: float
    max: int
    total: int
    mean: float


@dataclass
class OverContext:
    file: str
    line: int
    tokens: int


@dataclass
class SizeResult:
    examples: int  # valid records (items)
    usable: int  # examples with a non-empty input; the duplicates check lowers this after de-duplication
    tokenizer: str
    input_tokens: TokenStats | None
    target_tokens: TokenStats | None
    context_limit: int
    over_context: int
    over_context_examples: list[OverContext]
    input_token_counts: list[int]  # kept for plots; not written to JSON
    target_token_counts: list[int]


def _stats(counts: list[int]) -> TokenStats | None:
    if not counts:
        return None
    values = np.asarray(counts)
    return TokenStats(int(values.min()), float(np.median(values)), float(np.percentile(values, 95)),
                      int(values.max()), int(values.sum()), round(float(values.mean()), 2))


def measure_size(dataset: Dataset, tokens: TokenCounter, config: SizeConfig) -> SizeResult:
    records = dataset.records
    input_counts = tokens.count([r.input_text for r in records])
    with_target = [i for i, r in enumerate(records) if r.target is not None]
    target_counts = tokens.count([records[i].target or "" for i in with_target])
    per_record = list(input_counts)
    for i, n in zip(with_target, target_counts):
        per_record[i] += n
    over = [OverContext(records[i].source, records[i].line, n) for i, n in enumerate(per_record) if n > config.context_limit]
    return SizeResult(
        examples=len(records),
        usable=sum(1 for r in records if r.input_text.strip()),
        tokenizer=tokens.name,
        input_tokens=_stats(input_counts),
        target_tokens=_stats(target_counts),
        context_limit=config.context_limit,
        over_context=len(over),
        over_context_examples=over[:MAX_LINES_LISTED],
        input_token_counts=input_counts,
        target_token_counts=target_counts,
    )
