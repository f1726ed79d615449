"""`dataaudit history`: the table of past runs, readable at 80 columns and inert to dataset names."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from .terminal import plain


def _fmt(value: Any, pattern: str = "{:.3f}") -> str:
    return "-" if value is None else pattern.format(value)


def render_history(runs: list[dict[str, Any]], source: str, console: Console | None = None) -> None:
    console = console or Console()
    table = Table(title=plain(f"dataaudit history: {source}"), show_lines=False)
    # Narrow terminals fold the long columns instead of cutting them to "…".
    for column, kwargs in (("run", {"no_wrap": True}), ("time", {"no_wrap": True}), ("dataset", {"overflow": "fold"}),
                           ("verdict", {"overflow": "fold"}), ("usable", {}), ("alpha", {}), ("covered", {}), ("dup", {}),
                           ("regressions", {"overflow": "fold"})):
        table.add_column(column, **kwargs)
    for run in runs:
        f = run["figures"]
        table.add_row(str(run["id"]), plain(run["generated_at"][5:10] + " " + run["generated_at"][11:16]), plain(run["dataset"]),
                      plain(run["verdict"]), _fmt(f.get("usable"), "{}"), _fmt(f.get("krippendorff_alpha"), "{:.2f}"),
                      _fmt(f.get("covered_share"), "{:.0%}"), _fmt(f.get("duplicate_share"), "{:.0%}"),
                      plain(", ".join(r["what"] for r in run["regressions"]) or "-"))
    console.print(table)
