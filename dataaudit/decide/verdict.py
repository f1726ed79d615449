"""Deciding: turning measurement results into conditions (pass / warn / fail / unknown) and a verdict.

Nothing is measured here and nothing is rendered: every figure comes from a check's result, every
threshold from the config, so a reviewer can trace each status to its evidence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..config import Config

PASS, WARN, FAIL, UNKNOWN = "pass", "warn", "fail", "unknown"
READY, NOT_READY, INSUFFICIENT = "ready", "not_ready", "insufficient_evidence"
EXIT_CODES = {READY: 0, NOT_READY: 1, INSUFFICIENT: 3}
# Order of impact for the next actions: broken input first, then what makes evaluation lie or training
# learn noise, then quantity, then scope of the data, then the decision outside the data.
CONDITION_ORDER = ("format", "hygiene", "consistency", "scale", "coverage", "prompt_ceiling", "maintenance")


@dataclass
class Condition:
    id: str
    status: str
    summary: str
    evidence: dict[str, Any] = field(default_factory=dict)
    action: str = ""  # what to do about it; empty when it passes


@dataclass
class NotJudged:
    id: str
    reason: str


@dataclass
class Verdict:
    status: str
    sentence: str
    conditions: list[Condition]
    not_judged: list[NotJudged]
    actions: list[str]

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.status]


def overall_status(statuses: list[str]) -> str:
    if FAIL in statuses:
        return NOT_READY
    if UNKNOWN in statuses:
        return INSUFFICIENT
    return READY


def _sentence(status: str, conditions: list[Condition]) -> str:
    def join(selected: list[Condition]) -> str:
        return "; ".join(c.summary.rstrip(".") for c in selected)

    fails = [c for c in conditions if c.status == FAIL]
    unknowns = [c for c in conditions if c.status == UNKNOWN]
    warns = [c for c in conditions if c.status == WARN]
    if status == NOT_READY:
        return f"Not ready: {join(fails)}."
    if status == INSUFFICIENT:
        return f"Not enough evidence: {join(unknowns)}."
    if warns:
        return f"Ready, with warnings: {join(warns)}."
    return "Ready: every necessary condition that was judged passes."


def build_verdict(conditions: list[Condition], config: Config, extra_not_judged: list[NotJudged] | None = None) -> Verdict:
    """Drop the conditions the team declared out of scope, order the rest, and decide."""
    skip = config.conditions.skip
    judged = [c for c in conditions if c.id not in skip]
    not_judged = [NotJudged(cid, reason) for cid, reason in skip.items()] + list(extra_not_judged or [])
    rank = {cid: i for i, cid in enumerate(CONDITION_ORDER)}
    judged.sort(key=lambda c: rank.get(c.id, len(rank)))
    status = overall_status([c.status for c in judged])
    severity = {FAIL: 0, UNKNOWN: 1, WARN: 2}
    actions = [c.action for c in sorted(judged, key=lambda c: (severity.get(c.status, 3), rank.get(c.id, 99)))
               if c.status != PASS and c.action]
    return Verdict(status, _sentence(status, judged), judged, not_judged, actions)
