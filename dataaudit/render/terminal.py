"""The terminal summary (rich): the verdict, the conditions table, each section's key lines, next actions.

Dataset text goes in as rich Text, never as markup, so '[bold]' in a record prints as itself; every string
passes the excerpt sanitiser (`plain`): masked, control characters visible. The history table and the compare
note print through `plain` too.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..excerpt import sanitise
from ..report import Report
from ..scan.pii import masked_as_configured
from .figures import regression_line
from .sections import Table as SectionTable, all_sections

STYLE = {"pass": "green", "warn": "yellow", "fail": "red", "unknown": "magenta",
         "ready": "bold green", "not_ready": "bold red", "insufficient_evidence": "bold magenta"}
LONGEST_UNSPLIT = 20  # a section table's column of single words up to this long is never wrapped


def plain(value: object, style: str = "") -> Text:
    """Any string as inert terminal text: personal data masked (a dataset name, a hostile key named in an
    action, a history row), no markup, no escape sequences."""
    return Text(sanitise("" if value is None else str(value)), style=style)


def one_word_each(texts: list[Text]) -> bool:
    return all(len(t.plain.split()) <= 1 and len(t.plain) <= LONGEST_UNSPLIT for t in texts)


def section_table(table: SectionTable) -> Table:
    """A section's table for the console: every cell inert text, narrowed to the console's width. A column of
    single words (a file name, a count) is never wrapped: a figure split over two lines reads as two figures."""
    cells = [[plain(value) for value in row] for row in table.rows]
    shown = Table(title=table.title, title_justify="left", show_header=True, header_style="bold", expand=False)
    for column, header in enumerate(table.headers):
        shown.add_column(header, overflow="fold", no_wrap=one_word_each([Text(header)] + [row[column] for row in cells]))
    for row in cells:
        shown.add_row(*row)
    return shown


@masked_as_configured
def render_terminal(report: Report, console: Console | None = None) -> None:
    console = console or Console()
    v = report.verdict
    records = sum(i.records for i in report.inputs if i.role == "train")
    console.print(Text.assemble(("dataaudit ", "bold"), plain(report.dataset, "bold cyan"), f"  ({records} records)"))
    console.print(Text.assemble((v.status.replace("_", " ").upper(), STYLE[v.status]), "  ", plain(v.sentence)))
    table = Table(show_header=True, header_style="bold", expand=False)
    table.add_column("condition")
    table.add_column("status")
    table.add_column("summary", overflow="fold")
    for c in v.conditions:
        table.add_row(c.id, Text(c.status, STYLE[c.status]), plain(c.summary))
    for n in v.not_judged:
        table.add_row(n.id, Text("not judged", "dim"), plain(n.reason, "dim"))
    console.print(table)
    for section in all_sections():
        if not section.terminal:
            continue
        content = section.build(report)
        if content is None or not content.lines:
            continue
        console.print(Text(section.id if section.id != "sufficient" else "decision", "bold underline"))
        for line in content.lines:
            console.print(Text("  ") + plain(line))
        for table in content.tables:
            if table.terminal:
                console.print(section_table(table))
    if report.regressions:
        console.print(Text(f"regressions against the run of {report.compared_with or 'the previous run'} ({len(report.regressions)})", "bold red"))
        for r in report.regressions:
            console.print(Text("  ") + plain(regression_line(r)))
    for warning in report.warnings:
        console.print(plain(f"warning: {warning}", "yellow"))
    if v.actions:
        console.print(Text("next actions", "bold underline"))
        for i, action in enumerate(v.actions, 1):
            console.print(Text(f"  {i}. ") + plain(action))
