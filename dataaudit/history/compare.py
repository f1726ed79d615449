"""`dataaudit compare`: what changed between two report.json files (figures, conditions, regressions)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..config import config_from_dict
from ..io import write_atomic
from ..errors import InputError
from .regressions import find_regressions, key_figures

SCALARS = ("verdict", "records", "invalid", "usable", "duplicate_share", "conflicts", "leaked", "krippendorff_alpha", "covered_share")


def _read(path: str | Path) -> dict[str, Any]:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"{path}: cannot read report ({exc.strerror or exc})") from exc
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not a report.json (line {exc.lineno}: {exc.msg})") from exc


def compare_reports(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    f0, f1 = key_figures(before), key_figures(after)
    changes = [{"figure": name, "before": f0.get(name), "after": f1.get(name)} for name in SCALARS if f0.get(name) != f1.get(name)]
    labels = sorted(set(f0["label_shares"]) | set(f1["label_shares"]))
    changes += [{"figure": f"label_share:{label}", "before": f0["label_shares"].get(label), "after": f1["label_shares"].get(label)}
                for label in labels if f0["label_shares"].get(label) != f1["label_shares"].get(label)]
    conditions = sorted(set(f0["conditions"]) | set(f1["conditions"]))
    changes += [{"figure": f"condition:{cid}", "before": f0["conditions"].get(cid), "after": f1["conditions"].get(cid)}
                for cid in conditions if f0["conditions"].get(cid) != f1["conditions"].get(cid)]
    bounds = config_from_dict(after.get("config", {})).history
    return {"before": before.get("generated_at"), "after": after.get("generated_at"), "changes": changes,
            "regressions": find_regressions(f0, f1, bounds)}


def render_comparison_markdown(result: dict[str, Any]) -> str:
    lines = [f"# dataaudit compare: {result['before']} → {result['after']}", "", "| figure | before | after |", "|---|---|---|"]
    lines += [f"| {c['figure']} | {c['before']} | {c['after']} |" for c in result["changes"]] or ["| (no change) | | |"]
    lines += ["", "## Regressions", ""] + ([f"- {r['what']}: {r['before']} → {r['now']} ({r['detail']})" for r in result["regressions"]] or ["None."])
    return "\n".join(lines) + "\n"


def run_compare(before_path: str, after_path: str, out: str | None) -> int:
    from rich.console import Console
    from rich.table import Table

    result = compare_reports(_read(before_path), _read(after_path))
    table = Table(title=f"{before_path} → {after_path}")
    for column in ("figure", "before", "after"):
        table.add_column(column)
    for change in result["changes"]:
        table.add_row(change["figure"], str(change["before"]), str(change["after"]))
    console = Console()
    console.print(table)
    for regression in result["regressions"]:
        console.print(f"[red]regression[/red] {regression['what']}: {regression['before']} -> {regression['now']} ({regression['detail']})", highlight=False)
    if out:
        write_atomic(Path(out) / "compare.json", json.dumps(result, indent=2) + "\n")
        write_atomic(Path(out) / "compare.md", render_comparison_markdown(result))
    return 0
