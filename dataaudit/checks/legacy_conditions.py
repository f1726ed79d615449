"""Condition logic of the checks not yet converted to the Check shape (format, agreement, duplicates, coverage).

Each function returns a Finding; the module goes away as each check takes its judge into its own module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import Config
from .base import Finding as Condition
from .base import Status

PASS, WARN, FAIL, UNKNOWN = Status.PASS, Status.WARN, Status.FAIL, Status.UNKNOWN

if TYPE_CHECKING:
    from .agreement import AgreementResult
    from .balance import BalanceResult
    from .coverage import CoverageResult
    from .duplicates import DuplicatesResult
    from .format import FormatResult
    from .size import SizeResult


def coverage_condition(coverage: CoverageResult | None, config: Config, reason_missing: str = "") -> Condition:
    bound = config.coverage.min_covered_share
    scenario_bound = config.coverage.max_uncovered_scenario_share
    if coverage is None:
        return Condition("coverage", UNKNOWN, reason_missing or "no production sample was supplied, so coverage cannot be judged",
                         {}, "Supply a sample of real production inputs with --production FILE (a few hundred or more) "
                             "so that uncovered scenarios can be named.")
    uncovered = coverage.uncovered
    evidence = {"covered_share": coverage.covered_share, "min_covered_share": bound,
                "max_uncovered_scenario_share": scenario_bound, "production_inputs": coverage.production_inputs,
                "uncovered_scenarios": [{"label": s.label, "share": s.share, "examples": s.examples[:3]} for s in uncovered[:10]]}
    largest = uncovered[0] if uncovered else None
    detail = ""
    action = ""
    if largest is not None:
        detail = f"; the '{largest.label}' scenario, {largest.share:.0%} of production, is mostly uncovered (e.g. \"{_clip(largest.examples[0])}\")"
        action = ("Collect training examples for the uncovered production scenarios, largest first: "
                  + ", ".join(f"'{s.label}' ({s.share:.0%})" for s in uncovered[:5]) + ".")
    summary = f"{coverage.covered_share:.0%} of production inputs are covered by training data{detail}"
    if coverage.covered_share < bound or (largest is not None and largest.share > scenario_bound):
        return Condition("coverage", FAIL, summary, evidence, action or "Collect training examples resembling the uncovered production inputs.")
    if uncovered:
        return Condition("coverage", WARN, summary, evidence, action)
    return Condition("coverage", PASS, summary, evidence)


def _clip(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def hygiene_condition(duplicates: DuplicatesResult, config: Config) -> Condition:
    h = config.hygiene
    records = max(duplicates.records, 1)
    conflict_records = sum(len(c.lines) for c in duplicates.conflicts)
    conflict_share = conflict_records / records
    leaked = len(duplicates.leakage)
    evidence = {"duplicate_share": duplicates.duplicate_share, "conflict_groups": len(duplicates.conflicts),
                "conflict_records": conflict_records, "conflict_share": round(conflict_share, 4), "leaked_eval_records": leaked,
                "exact_groups": len(duplicates.exact_groups), "near_groups": len(duplicates.near_groups),
                "bounds": {"max_conflict_share": h.max_conflict_share, "max_leaked": h.max_leaked,
                           "max_duplicate_share": h.max_duplicate_share}}
    fails, warns, actions = [], [], []
    if leaked > h.max_leaked:
        first = duplicates.leakage[0]
        fails.append(f"{leaked} eval records also appear in training (e.g. eval line {first.eval_line} = train line {first.train_line})")
        actions.append(f"Remove the {leaked} leaked records from the eval set (or training) so the evaluation measures generalisation.")
    if duplicates.conflicts:
        c = duplicates.conflicts[0]
        n = len(duplicates.conflicts)
        text = (f"{n} {'group' if n == 1 else 'groups'} of duplicate inputs carry different labels "
                f"(e.g. lines {', '.join(map(str, c.lines[:4]))}: {', '.join(c.labels[:4])})")
        (fails if conflict_share > h.max_conflict_share else warns if conflict_share > h.warn_conflict_share else []).append(text)
        actions.append(f"Adjudicate the {n} conflicting {'group' if n == 1 else 'groups'}: one input, one label.")
    share = duplicates.duplicate_share
    if share > h.warn_duplicate_share:
        text = f"{share:.1%} of records are duplicates ({len(duplicates.exact_groups)} exact and {len(duplicates.near_groups)} near groups)"
        (fails if share > h.max_duplicate_share else warns).append(text)
        actions.append("De-duplicate with `dataaudit dedup` (keeps the first record of each group).")
    action = " ".join(actions)
    if fails:
        return Condition("hygiene", FAIL, "; ".join(fails + warns), evidence, action)
    if warns:
        return Condition("hygiene", WARN, "; ".join(warns), evidence, action)
    return Condition("hygiene", PASS, f"no leakage, no conflicting labels, {share:.1%} duplicates", evidence)
