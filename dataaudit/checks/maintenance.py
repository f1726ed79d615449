"""Maintenance: is someone named to keep a fine-tuned model alive (owner, cadence, eval set, monitoring)?

A necessary condition outside the data, judged when the config has a [maintenance] section or asks for
the full decision. The eval set named there is checked to exist and hold something.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..config import Config
from .base import AuditContext, Check, Finding, Need, Status


@dataclass(frozen=True)
class MaintenanceResult:
    owner: str
    retraining_cadence: str
    eval_set: str
    monitoring: str
    missing: list[str]
    eval_note: str  # why the eval set counts as missing, when it is named but unusable


def measure_maintenance(config: Config, base: Path | None = None) -> MaintenanceResult | None:
    """base: the folder a relative eval_set lies in; None: the current folder. A config whose paths were
    resolved (config_paths.with_resolved_paths, as api.run_checks hands the checks) names it absolutely."""
    section = config.maintenance
    if section is None:
        return None
    missing = [name for name in ("owner", "retraining_cadence", "monitoring") if not getattr(section, name).strip()]
    eval_note = ""
    named = config.paths_as_written.get("maintenance.eval_set", section.eval_set)  # as the user wrote it, not resolved
    if not section.eval_set.strip():
        missing.append("eval_set")
    else:
        path = (base or Path()) / Path(section.eval_set).expanduser()
        if not path.is_file():
            missing.append("eval_set")
            eval_note = f" ({named} is a folder, not the eval file)" if path.is_dir() else f" ({named} does not exist)"
        elif path.stat().st_size == 0:
            missing.append("eval_set")
            eval_note = f" ({named} is empty)"
    return MaintenanceResult(section.owner, section.retraining_cadence, named, section.monitoring, missing, eval_note)


def maintenance_finding(result: MaintenanceResult | None) -> Finding:
    if result is None:
        return Finding("maintenance", Status.UNKNOWN, "no [maintenance] section: nobody is named to keep a fine-tuned model alive", {},
                       "Add a [maintenance] section: owner, retraining_cadence, eval_set, monitoring.")
    evidence = {"owner": result.owner, "retraining_cadence": result.retraining_cadence, "eval_set": result.eval_set,
                "monitoring": result.monitoring, "missing": result.missing}
    if result.missing:
        return Finding("maintenance", Status.FAIL, f"maintenance plan incomplete: missing {', '.join(result.missing)}{result.eval_note}",
                       evidence, "Complete the maintenance plan: " + ", ".join(result.missing) + ".")
    return Finding("maintenance", Status.PASS, f"owned by {result.owner}, retrained {result.retraining_cadence}, monitored", evidence)


def _measure(ctx: AuditContext) -> MaintenanceResult | None:
    return measure_maintenance(ctx.config)


def _judge(result: MaintenanceResult | None, ctx: AuditContext) -> list[Finding]:
    if ctx.config.maintenance is None and not ctx.config.conditions.full_decision:
        return []
    return [maintenance_finding(result)]


CHECK = Check(id="maintenance", order=85, measure=_measure, judge=_judge, needs=frozenset({Need.MAINTENANCE_PLAN}),
              conditions=frozenset({"maintenance"}))
