"""The readiness report: what was audited, with which config, the verdict, and every check's result.

`to_dict` is the JSON contract documented in the README (schema_version 1; extended, never renamed).
Fields that only feed plots or per-line files are declared with `metadata={"json": False}` on the result
dataclass and left out of JSON to keep it small; they are `repr=False` too, so a notebook cell showing a
result does not print a value per production line.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping

import numpy as np

from .checks.base import NOTHING_TO_MEASURE, RunStatus
from .decide.verdict import Verdict

SCHEMA_VERSION = 1

# The verdict as the README and every display label name it; report.json keeps the status values (a contract).
VERDICT_WORDS = {"ready": "ready", "not_ready": "not ready", "insufficient_evidence": "not enough evidence"}


def shown_verdict(status: str) -> str:
    """A verdict status value in the README's words ("insufficient_evidence" reads "not enough evidence"); the
    headline (`Report.headline`), the history table and every display label show it this way."""
    return VERDICT_WORDS.get(status, status.replace("_", " "))


@dataclass(frozen=True)
class InputSummary:
    role: str  # train | eval | production | prompt_log
    path: str
    sha256: str
    records: int


@dataclass(frozen=True)
class CheckRun:
    status: RunStatus
    reason: str = ""  # why it did not run, or the error it raised
    reused: bool = False  # read from the result cache: an earlier run measured the same inputs, config and code
    seconds: float = 0.0  # wall time of measure(); not in report.json, which stays the same for the same inputs


class CheckResults(Mapping[str, Any]):
    """Check id -> typed result (None when not run or nothing to measure), with how each check ran."""

    def __init__(self, results: dict[str, Any], runs: dict[str, CheckRun]):
        self._results = dict(results)
        self.runs: dict[str, CheckRun] = dict(runs)

    def __getitem__(self, key: str) -> Any:
        return self._results[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._results)

    def __len__(self) -> int:
        return len(self._results)

    def __repr__(self) -> str:
        return f"CheckResults({sorted(self._results)})"


@dataclass(frozen=True)
class Report:
    dataaudit_version: str
    generated_at: str
    dataset: str
    inputs: list[InputSummary]
    config: dict[str, Any]
    verdict: Verdict
    checks: CheckResults
    per_file: list[Any] = field(default_factory=list)
    regressions: list[dict[str, Any]] | None = None
    # with --history: generated_at of the earlier finished run these regressions were judged against (None: none)
    compared_with: str | None = None
    fail_on_regression: bool = False
    warnings: list[str] = field(default_factory=list)
    schema_version: int = SCHEMA_VERSION
    engine: Any = None  # EngineInfo: which engine ran the audit, on how many nodes, CPUs and GPUs
    # Wall seconds per stage (read, index, embed, checks, decide); kept out of report.json like CheckRun.seconds.
    timings: dict[str, float] = field(default_factory=dict, compare=False)
    # The row --history recorded this run as (not in report.json): the CLI takes it back if the reports fail.
    history_run_id: int | None = field(default=None, compare=False)
    # The usable examples every output prints, as the scale condition judged them (api.py copies its evidence):
    # after de-duplication when the duplicates check ran. None: no scale finding counted them. report.json has
    # them in that condition's evidence.
    usable: int | None = None
    usable_after_deduplication: bool = False

    def __repr__(self) -> str:
        # Short whatever the data's size (a notebook cell shows it): the full report is report.to_dict(). The
        # checks listed are those with a result; report.checks.runs says why the others have none.
        status = getattr(self.verdict, "status", self.verdict)
        return (f"Report(dataset={self.dataset!r}, verdict={str(status)!r}, exit_code={self.exit_code}, "
                f"records={sum(i.records for i in self.inputs if i.role == 'train')}, "
                f"checks={sorted(name for name, result in self.checks.items() if result is not None)}, "
                f"warnings={len(self.warnings)})")

    def time_spent(self) -> dict[str, Any]:
        """Where the time went: seconds per stage and per check that measured something (the CLI's --timings
        file; the checks report.json says "ran" for)."""
        checks = {name: round(run.seconds, 3) for name, run in self.checks.runs.items() if run_status(run, self.checks.get(name)) == "ran"}
        return {"stages": {k: round(v, 3) for k, v in self.timings.items()}, "checks": checks}

    @property
    def failing_regressions(self) -> int:
        """How many regressions fail this run (--fail-on-regression); 0 without the flag or without regressions."""
        return len(self.regressions) if self.fail_on_regression and self.regressions else 0

    @property
    def exit_code(self) -> int:
        # A regression fails the run whatever else held it back: "not enough evidence" (3) is an exit a CI
        # recipe lets pass, and a regression must not pass with it.
        if self.failing_regressions and self.verdict.exit_code in (0, 3):
            return 1
        return self.verdict.exit_code

    @property
    def headline_status(self) -> str:
        """The status the renderers style the headline by: not_ready when regressions fail the run."""
        return "not_ready" if self.failing_regressions else self.verdict.status

    @property
    def headline(self) -> str:
        """The verdict as every renderer's headline words ("ready", "not ready", "not enough evidence"), with the regressions that
        fail the run: a READY over an exit code of 1 reads as a pass to whoever looks at the headline only."""
        words = shown_verdict(self.verdict.status)
        count = self.failing_regressions
        return f"{words}, run fails on {count} regression{'s' if count != 1 else ''}" if count else words

    @property
    def sentence(self) -> str:
        """The verdict's sentence, and what fails the run beside it (report.json's verdict.sentence too)."""
        count = self.failing_regressions
        if not count:
            return self.verdict.sentence
        against = self.compared_with or "the previous run"
        return (f"{self.verdict.sentence} The run fails (exit 1) on {count} regression{'s' if count != 1 else ''} "
                f"against the run of {against} (--fail-on-regression).")

    def to_dict(self) -> dict[str, Any]:
        data = {
            "schema_version": self.schema_version,
            "dataaudit_version": self.dataaudit_version,
            "generated_at": self.generated_at,
            "dataset": self.dataset,
            "inputs": [to_jsonable(i) for i in self.inputs],
            "config": to_jsonable(self.config),
            "verdict": to_jsonable(self.verdict),
            "checks": {name: to_jsonable(result) for name, result in self.checks.items()},
            "check_runs": {name: run_entry(run, self.checks.get(name)) for name, run in self.checks.runs.items()},
            "per_file": to_jsonable(self.per_file),
            "warnings": list(self.warnings),
        }
        if self.regressions is not None:
            data["regressions"] = to_jsonable(self.regressions)
            data["compared_with"] = self.compared_with
        if self.engine is not None:
            data["engine"] = to_jsonable(self.engine)
        data["verdict"]["exit_code"] = self.exit_code
        data["verdict"]["sentence"] = self.sentence
        data["verdict"]["failing_regressions"] = self.failing_regressions
        return data


NOT_APPLICABLE = str(RunStatus.NOT_APPLICABLE)


def run_status(run: CheckRun, result: Any) -> str:
    """check_runs.<id>.status: "ran" only for a check with a result; one that ran and had nothing to measure
    (no annotations for agreement) is "not_applicable", so a null result never sits beside "ran". A check that
    was not asked for (tokens without --target-model) declares the need and is "not_run", with the reason.
    run_checks says not_applicable itself; a CheckRun built by hand as RAN with no result reads the same."""
    if run.status == RunStatus.RAN and result is None:
        return NOT_APPLICABLE
    return str(run.status)


def run_entry(run: CheckRun, result: Any) -> dict[str, Any]:
    status = run_status(run, result)
    return {"status": status, "reason": run.reason or (NOTHING_TO_MEASURE if status == NOT_APPLICABLE else ""), "reused": run.reused}


def to_jsonable(value: Any) -> Any:
    """Plain JSON types from dataclasses, numpy scalars and tuples; NaN becomes null."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:  # most values of a large report: return before the checks below
        return value
    if kind is list or kind is tuple:
        return [to_jsonable(v) for v in value]
    if kind is dict:
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value) if f.metadata.get("json", True)}
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return to_jsonable(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    return value
