"""What a check is: an id, what it needs, a pure measurement, and the findings it contributes to conditions.

A check module defines `CHECK = Check(...)`; the registry (`checks/__init__.py`) finds every such module, so
adding a check is one module (plus its renderer section and tests). `measure(ctx)` returns a typed, frozen
result (or None when the data gives it nothing to measure); `judge(result, ctx)` turns it into Findings for
one or more necessary conditions, reading thresholds from the check's own config section, and names them in
`conditions`. Neither lays anything out: the renderers do. But the dataset text a result or a finding holds
(a duplicate group's members, a disputed item, a rare label in a summary) is stored already excerpted by
`excerpt.plain_excerpt` (masked, control-free, truncated, Markdown left as typed), so that report.json, the
history and every renderer hold the same safe text and none of them ever sees a raw record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping

from ..engine.base import DataSteps, SerialSteps
from ..errors import said

if TYPE_CHECKING:
    from ..config import Config
    from ..index import TextIndex


class Status(StrEnum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    UNKNOWN = "unknown"


class RunStatus(StrEnum):
    RAN = "ran"
    # measured, and the inputs held nothing for it (no annotations for agreement): its result is None
    NOT_APPLICABLE = "not_applicable"
    NOT_RUN = "not_run"  # a need was not met (no production sample, embeddings off, ...)
    ERROR = "error"  # the check raised: isolated, reported, the rest of the audit goes on


NOTHING_TO_MEASURE = "nothing to measure in these inputs"  # a NOT_APPLICABLE check's reason


class Need(StrEnum):
    PRODUCTION = "production"  # a production sample (--production)
    EVAL = "eval"  # an eval set (--eval)
    EMBEDDINGS = "embeddings"  # sentence embeddings (not --no-embeddings)
    PROMPT_LOG = "prompt_log"  # a prompt-experiment log (--prompt-log)
    TARGET_MODEL = "target_model"  # the model to be fine-tuned (--target-model, or [tokens] target_model)
    MAINTENANCE_PLAN = "maintenance_plan"  # a [maintenance] section in the config


def need_missing(need: Need) -> str:
    """Why a check that needs `need` did not run, naming the flag (command line) or parameter (Python API)."""
    return {
        Need.PRODUCTION: f"no production sample was supplied ({said('--production', 'production=')})",
        Need.EVAL: f"no eval set was supplied ({said('--eval', 'eval_path=')})",
        Need.EMBEDDINGS: f"embeddings were switched off ({said('--no-embeddings', 'embed=False')})",
        Need.PROMPT_LOG: f"no prompt-experiment log was supplied ({said('--prompt-log', 'prompt_log=')})",
        Need.TARGET_MODEL: f"no target model was named ({said('--target-model, or [tokens] target_model in the config', 'tokens.target_model in the config')})",
        Need.MAINTENANCE_PLAN: "the config has no [maintenance] section (owner, retraining_cadence, eval_set, monitoring)",
    }[need]


@dataclass(frozen=True)
class Finding:
    """One check's contribution to one necessary condition; the verdict merges findings per condition."""

    condition: str  # an id from decide.conditions.CONDITIONS
    status: Status
    summary: str
    evidence: dict[str, Any] = field(default_factory=dict)
    action: str = ""  # what to do about it; empty when it passes
    # What this check could not judge, said in the condition's summary whatever decides it: a passing finding's
    # summary is left out beside a failing one, and with it a limit the reader must still be told.
    caveat: str = ""


@dataclass(frozen=True)
class AuditContext:
    """Everything a check may read; built once by `audit()`. `results` holds the checks that ran before."""

    config: Config
    train: TextIndex
    production: TextIndex | None = None
    eval: TextIndex | None = None
    prompt_log: Path | None = None
    embedding_model: str = ""
    embedding_stats: Mapping[str, int] = field(default_factory=dict)
    results: Mapping[str, Any] = field(default_factory=dict)
    not_run: Mapping[str, str] = field(default_factory=dict)  # check id -> why it did not run
    # The executor of the data-parallel steps (per-file maps, merged here): the engine that read the inputs, so
    # a check's per-record work runs where the records lie (Ray tasks, or this process one file at a time).
    steps: DataSteps = field(default_factory=SerialSteps, repr=False)
    task_type_reason: str = ""  # why config.task_type was inferred from the data; "" = the config named it

    def has(self, need: Need) -> bool:
        if need is Need.PRODUCTION:
            return self.production is not None
        if need is Need.EVAL:
            return self.eval is not None
        if need is Need.EMBEDDINGS:
            return self.train.embedded
        if need is Need.TARGET_MODEL:
            return bool(self.config.section("tokens").target_model)
        if need is Need.MAINTENANCE_PLAN:
            return self.config.maintenance is not None
        return self.prompt_log is not None


def line_places(lines: list[int], files: list[str]) -> str:
    """'lines 4, 11' where the lines lie in one file, 'a.jsonl:4, b.jsonl:11' where they lie in several (a
    bare number would name a line of either)."""
    if len(set(files)) > 1:
        return ", ".join(f"{file}:{line}" for file, line in zip(files, lines))
    return f"line{'s' if len(lines) > 1 else ''} {', '.join(map(str, lines))}"


def _no_findings(result: Any, ctx: AuditContext) -> list[Finding]:
    return []


@dataclass(frozen=True)
class Check:
    id: str  # key under report.json `checks`
    order: int  # checks run in this order; a check may read the results of lower orders
    measure: Callable[[AuditContext], Any]
    judge: Callable[[Any, AuditContext], list[Finding]] = _no_findings  # called with None when not run
    needs: frozenset[Need] = frozenset()
    config_section: tuple[str, type] | None = None  # (TOML table name, dataclass) owned by this check
    # False when measure reads this run's own state (the embedding cache counts), so a result measured on the
    # same inputs, config and code by an earlier run is not the same result (see result_cache.py).
    reusable: bool = True
    # The conditions its findings judge: when the check fails (an error, not a missing need), they cannot be
    # judged in full and are unknown at best, never silently left out of the verdict.
    conditions: frozenset[str] = frozenset()

    @property
    def judges(self) -> bool:
        """Whether it contributes findings (a judge of its own); such a check must name its `conditions`."""
        return self.judge is not _no_findings
