"""The registry of checks: every module here that defines `CHECK` is a check, run in `CHECK.order`.

Adding a check is adding a module (and its renderer section and tests); nothing else lists checks: `dataaudit
init` writes its config section from its dataclass, and the history reads its listing caps from the fields'
marks (config.listing_cap).
"""

from __future__ import annotations

from functools import cache

from ..decide.conditions import CONDITION_IDS
from ..discovery import discover

from .base import AuditContext, Check, Finding, Need, RunStatus, Status

__all__ = ["AuditContext", "Check", "Finding", "Need", "RunStatus", "Status", "all_checks", "config_sections"]


@cache
def all_checks() -> tuple[Check, ...]:
    found = discover(__name__, __path__, "CHECK", Check)
    ids = [c.id for c in found]
    if len(ids) != len(set(ids)):  # pragma: no cover - a programming error, caught by the registry test
        raise RuntimeError(f"two checks share an id: {sorted(ids)}")
    for check in found:
        _refuse_unnamed_conditions(check)
    return tuple(sorted(found, key=lambda c: (c.order, c.id)))


def config_sections() -> dict[str, type]:
    """TOML table name -> dataclass, for the sections that checks own."""
    return {c.config_section[0]: c.config_section[1] for c in all_checks() if c.config_section}


def _refuse_unnamed_conditions(check: Check) -> None:
    """A check that judges must name the conditions it judges: when it raises, those are unknown at best, where
    without them its condition was judged on the other checks alone (a `pass` a broken check never gave)."""
    if check.judges and not check.conditions:
        raise RuntimeError(f"{check.measure.__module__}: check {check.id!r} has a judge but no conditions=: name the conditions its findings judge, "
                           "e.g. Check(..., conditions=frozenset({\"format\"}))")
    unknown = sorted(check.conditions - set(CONDITION_IDS))
    if unknown:
        raise RuntimeError(f"{check.measure.__module__}: check {check.id!r}: unknown condition {unknown[0]!r} in conditions= (known: {', '.join(CONDITION_IDS)})")
