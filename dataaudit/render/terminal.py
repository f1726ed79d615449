"""The terminal summary (rich): the verdict, the conditions table with key figures, the next actions.

Dataset text goes in as rich Text, never as markup, so '[bold]' in a record prints as itself.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..report import Report
from .summary import agreement_rows, coverage_rows, duplicates_rows, economics_lines, format_rows, size_rows

STYLE = {"pass": "green", "warn": "yellow", "fail": "red", "unknown": "magenta",
         "ready": "bold green", "not_ready": "bold red", "insufficient_evidence": "bold magenta"}


def render_terminal(report: Report, console: Console | None = None) -> None:
    console = console or Console()
    v = report.verdict
    console.print(Text.assemble(("dataaudit ", "bold"), (f"{report.dataset}", "bold cyan"),
                                f"  ({sum(i.records for i in report.inputs if i.role == 'train')} records)"))
    console.print(Text.assemble((v.status.replace("_", " ").upper(), STYLE[v.status]), "  ", Text(v.sentence)))
    table = Table(show_header=True, header_style="bold", expand=False)
    table.add_column("condition")
    table.add_column("status")
    table.add_column("summary", overflow="fold")
    for c in v.conditions:
        table.add_row(c.id, Text(c.status, STYLE[c.status]), Text(c.summary))
    for n in v.not_judged:
        table.add_row(n.id, Text("not judged", "dim"), Text(n.reason, "dim"))
    console.print(table)
    sections = [("format", format_rows(report)[0]), ("size", size_rows(report)), ("agreement", agreement_rows(report)[0]),
                ("duplicates", duplicates_rows(report)[0]), ("coverage", coverage_rows(report)[0]),
                ("decision", economics_lines(report))]
    for title, lines in sections:
        if lines:
            console.print(Text(title, "bold underline"))
            for line in lines:
                console.print(Text("  " + line))
    if report.regressions:
        console.print(Text(f"regressions against the previous run ({len(report.regressions)})", "bold red"))
        for r in report.regressions:
            console.print(Text(f"  {r['what']}: {r['before']} -> {r['now']} ({r['detail']})"))
    for warning in report.warnings:
        console.print(Text(f"warning: {warning}", "yellow"))
    if v.actions:
        console.print(Text("next actions", "bold underline"))
        for i, action in enumerate(v.actions, 1):
            console.print(Text(f"  {i}. {action}"))
