"""One reply given to many prompts: a canned target in generation data.

A fine-tuned model learns what its targets say as much as how they say it. When one reply ("I'm sorry, I
can't help with that.") is the target of 30% of the training rows, each asking something else, the model
learns to give it, whatever it is asked: a refusal or a placeholder repeated across an SFT set becomes the
model's habit. The duplicates check does not see it (the prompts differ), nor does balance (in a generation
task replies are not classes).

For a generation task, each record's target (the reply; a preference pair's chosen; an unpaired completion
marked desirable) is normalised as the duplicates check normalises texts, and a target is *repeated* when at
least `min_copies` records give it to at least `min_copies` different prompts (one prompt's several preference
pairs sharing their best reply repeat nothing the model could learn as a habit). The share of records whose target is repeated warns `hygiene` from
`warn_share` on (default 10%: beyond one row in ten, the reply is a large part of what the model is taught).
It never fails: a short fixed answer ("Done.") can be intended, and only the dataset's owner can say so.

The per-record work runs on the engine's steps where each file lies; a target comes back as a 16-byte digest.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from ..config import DuplicatesConfig
from ..errors import ConfigError
from ..excerpt import plain_excerpt as excerpt
from ..load.records import Record
from ..normalize import normalize_text
from .base import AuditContext, Check, Finding, Status
from .preference import _digest


@dataclass
class RepeatedTargetsConfig:
    min_copies: int = 5  # a target given to at least this many different prompts (after normalisation) is repeated
    warn_share: float = 0.10  # warn hygiene when repeated targets are this share of the records or more
    max_listed: int = 10  # repeated targets listed in the report, most frequent first (the counts stay exact)

    def __post_init__(self) -> None:
        if isinstance(self.min_copies, bool) or not isinstance(self.min_copies, int) or self.min_copies < 2:
            raise ConfigError(f"repeated_targets.min_copies: {self.min_copies!r} is not a whole number of at least 2")
        if not 0.0 < self.warn_share <= 1.0:  # also false for NaN
            raise ConfigError(f"repeated_targets.warn_share: {self.warn_share!r} is not a share above 0 and at most 1")
        if self.max_listed < 0:
            raise ConfigError(f"repeated_targets.max_listed: {self.max_listed!r} is negative")


@dataclass(frozen=True)
class RepeatedTarget:
    excerpt: str  # masked, cut
    count: int  # records giving it
    share: float  # of the records judged
    file: str  # where it is first given
    line: int


@dataclass(frozen=True)
class RepeatedTargetsResult:
    records: int  # records with a target that were judged
    repeated_records: int  # records whose target at least min_copies records give
    share: float  # repeated_records / records
    repeated_targets: int  # distinct targets that repeat
    min_copies: int
    warn_share: float
    top: list[RepeatedTarget]  # the first max_listed, most frequent first


def target_digests(records: list[Record], norm: DuplicatesConfig) -> list[bytes | None]:
    """The map step, one value per record: its normalised target's digest, None where it has none to judge."""
    return [None if record.target is None or record.desirable is False else _digest(normalize_text(record.target, norm))
            for record in records]


def measure(ctx: AuditContext) -> RepeatedTargetsResult | None:
    if ctx.config.task_type != "generation":  # a classification target is a label: balance judges how often each is given
        return None
    config: RepeatedTargetsConfig = ctx.config.section("repeated_targets")
    index = ctx.train
    if not any(r.target is not None for r in index.records):
        return None
    digests = ctx.steps.map_records(index.dataset, target_digests, ctx.config.duplicates)
    counts = Counter(d for d in digests if d is not None)
    judged = sum(counts.values())
    # A reply is canned when it answers many different prompts: one prompt's several preference pairs sharing
    # their best reply (UltraFeedback's layout) repeat the reply, not a habit. A prompt is its index key: the
    # input normalised as duplicates are (key id -1 for every empty one).
    prompts: dict[bytes, set[int]] = {}
    for d, key_id in zip(digests, index.key_ids.tolist()):
        if d is not None and counts[d] >= config.min_copies:
            prompts.setdefault(d, set()).add(key_id)
    repeated = {d: counts[d] for d, inputs in prompts.items() if len(inputs) >= config.min_copies}
    first: dict[bytes, int] = {}
    for i, d in enumerate(digests):
        if d in repeated and d not in first:
            first[d] = i
    ranked = sorted(repeated, key=lambda d: (-repeated[d], first[d]))[:config.max_listed]
    records = index.records
    top = [RepeatedTarget(excerpt(records[first[d]].target), repeated[d], repeated[d] / judged,
                          records[first[d]].source, records[first[d]].line) for d in ranked]
    repeated_records = sum(repeated.values())
    return RepeatedTargetsResult(judged, repeated_records, repeated_records / judged if judged else 0.0, len(repeated),
                                 config.min_copies, config.warn_share, top)


def judge(result: RepeatedTargetsResult | None, ctx: AuditContext) -> list[Finding]:
    if result is None or not result.repeated_records:
        return []
    # Named for this check: the hygiene condition's evidence merges every check's, and pii's "records"/"share" are others.
    evidence = {"repeated_target_records": result.repeated_records, "targets_judged": result.records,
                "repeated_target_share": result.share, "repeated_targets": result.repeated_targets,
                "repeated_target_min_copies": result.min_copies, "repeated_target_warn_share": result.warn_share}
    named = "; ".join(f'"{t.excerpt}" x{t.count:,} ({t.share:.1%})' for t in result.top[:3])
    more = f" and {result.repeated_targets - 3:,} more" if result.repeated_targets > 3 else ""
    said = (f"{result.repeated_records:,} of {result.records:,} training targets ({result.share:.1%}) are a reply given "
            f"by at least {result.min_copies} records to different prompts: {named}{more}")
    if result.share >= result.warn_share:
        return [Finding("hygiene", Status.WARN, said + "; a model trained on them learns to give that reply whatever it is asked",
                        evidence, "Check that these replies are wanted this often (a refusal or placeholder in many rows "
                                  "teaches the model to refuse or stall); drop or rewrite the extra rows, or raise "
                                  "repeated_targets.warn_share if they are intended (listed under checks.repeated_targets.top).")]
    return [Finding("hygiene", Status.PASS, f"{said} (under the {result.warn_share:.0%} bound)", evidence)]


CHECK = Check(id="repeated_targets", order=52, measure=measure, judge=judge,
              config_section=("repeated_targets", RepeatedTargetsConfig), conditions=frozenset({"hygiene"}))
