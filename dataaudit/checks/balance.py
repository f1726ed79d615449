"""Label balance: counts and shares per label, imbalance ratio, normalised entropy, rare labels."""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from dataclasses import dataclass

from ..config import BalanceConfig
from ..engine.base import DataSteps, SerialSteps
from ..excerpt import plain_excerpt
from ..load.records import Dataset, Record
from .base import Check


@dataclass(frozen=True)
class BalanceResult:
    labels: int
    labelled: int
    counts: dict[str, int]  # by label_key: a label over LABEL_KEY_LIMIT characters is keyed by its excerpt and digest
    shares: dict[str, float]
    imbalance_ratio: float  # largest / smallest count
    normalized_entropy: float | None  # 1 = perfectly even; undefined for a single label
    min_label_count: int  # the configured bound (balance.min_label_count), not a count of this data
    rare_labels: list[str]  # labels with fewer than min_label_count examples
    smallest_label_count: int | None = None  # examples of the least frequent label
    # The ratio as computed, which the bound judges: rounded to 4 places, 100/30 = 3.33333 read 3.3333 and passed
    # a bound of 3.3333 it is above (None in a result written before this field).
    imbalance_ratio_unrounded: float | None = None


# The longest label a result keys by as it is. A longer one is a reply or a document taken for a label: one of
# 5 MB was copied whole four times into report.json (counts, shares, rare_labels, the scale evidence), 21 MB.
LABEL_KEY_LIMIT = 120
LABEL_DIGEST_CHARS = 12
LABEL_SCAN_CHARS = 65_536


def label_key(label: str) -> str:
    """The label as a result names it: itself, or past LABEL_KEY_LIMIT its excerpt with a digest of the whole
    label, so two long labels that start alike stay two keys (and the same label is one key in every run)."""
    if len(label) <= LABEL_KEY_LIMIT:
        return label
    digest = hashlib.sha256(label.encode("utf-8", "surrogatepass")).hexdigest()[:LABEL_DIGEST_CHARS]
    # The excerpt reads a head far longer than any value its masker spans (a PEM key is some 3,000 characters):
    # masking all of 5 MB took 3 s, for a key that shows 97 characters.
    return f"{plain_excerpt(label[:LABEL_SCAN_CHARS], LABEL_KEY_LIMIT - LABEL_DIGEST_CHARS - 10)} [sha256 {digest}]"


def label_counts(records: list[Record]) -> Counter:
    """The map step: one file's label counts (summed over files by the engine)."""
    return Counter(r.label for r in records if r.label is not None)


def measure_balance(dataset: Dataset, config: BalanceConfig, steps: DataSteps | None = None) -> BalanceResult | None:
    """None when the records carry no labels (e.g. free-form generation data)."""
    from scipy.stats import entropy  # here, not at import: 1.2 s a re-run that reuses this result never needs

    counts = (steps or SerialSteps()).count(dataset, label_counts)
    if not counts:
        return None
    counts = Counter({label_key(label): n for label, n in counts.items()})  # one key per label: the digest tells long ones apart
    ordered = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    total = sum(ordered.values())
    values = list(ordered.values())
    return BalanceResult(
        labels=len(ordered),
        labelled=total,
        counts=ordered,
        shares={k: round(v / total, 6) for k, v in ordered.items()},
        imbalance_ratio=round(max(values) / min(values), 4),
        normalized_entropy=round(float(entropy(values) / math.log(len(values))), 6) if len(values) > 1 else None,
        min_label_count=config.min_label_count,
        rare_labels=[k for k, v in ordered.items() if v < config.min_label_count],
        smallest_label_count=min(values),
        imbalance_ratio_unrounded=max(values) / min(values),
    )


# Balance has no condition of its own: rare labels and imbalance are part of `scale` (see size.py).
CHECK = Check(id="balance", order=30, measure=lambda ctx: measure_balance(ctx.train.dataset, ctx.config.balance, ctx.steps), conditions=frozenset({"scale"}))
