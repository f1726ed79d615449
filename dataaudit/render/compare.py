"""`dataaudit compare`: the differences between two reports, as a terminal table and as Markdown."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from .markdown import cell
from .terminal import plain


def render_comparison_terminal(result: dict[str, Any], before: str, after: str, console: Console | None = None) -> None:
    console = console or Console()
    table = Table(title=plain(f"{before} → {after}"))
    for column in ("figure", "before", "after"):
        table.add_column(column, overflow="fold")
    for change in result["changes"]:
        table.add_row(plain(change["figure"]), plain(change["before"]), plain(change["after"]))
    console.print(table)
    if result.get("note"):
        console.print(Text("note ", "yellow") + plain(result["note"]))
    for r in result["regressions"]:
        console.print(Text("regression ", "red") + plain(f"{r['what']}: {r['before']} -> {r['now']} ({r['detail']})"))


def render_comparison_markdown(result: dict[str, Any]) -> str:
    lines = [f"# dataaudit compare: {cell(result['before'])} → {cell(result['after'])}", ""]
    if result.get("note"):
        lines += [f"> **Note:** {cell(result['note'], 300)}", ""]
    lines += ["| figure | before | after |", "|---|---|---|"]
    lines += [f"| {cell(c['figure'])} | {cell(c['before'])} | {cell(c['after'])} |" for c in result["changes"]] or ["| (no change) | | |"]
    lines += ["", "## Regressions", ""] + ([f"- {cell(r['what'])}: {cell(r['before'])} → {cell(r['now'])} ({cell(r['detail'], 300)})"
                                            for r in result["regressions"]] or ["None."])
    return "\n".join(lines) + "\n"
