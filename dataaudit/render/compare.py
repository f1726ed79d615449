"""`dataaudit compare`: the differences between two reports, as a terminal table and as Markdown.

compare.json keeps the raw figures for scripts; here a reviewer reads them: shares as percentages, a change
column (percentage points for shares), and each side named by its dataset and the time it was audited."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from .figures import regression_line, shown_change, shown_value
from .json_report import _safe
from .markdown import cell
from .terminal import plain

NO_CHANGE = "no compared figure changed"


def comparison_json(result: dict[str, Any]) -> dict[str, Any]:
    """The comparison as compare.json writes it: every string masked and control-free as report.json writes its
    dataset text (`json_report`), numbers as computed. The dataset names, the note that quotes them and the label
    figures come from the two report.json files, and one from a fork's CI run is untrusted: a forged name held
    OSC 52 and CSI sequences and an AWS key, which compare.md masked and compare.json copied verbatim
    (`jq -r .note compare.json` wrote them to the log)."""
    return _safe(result)


def _side(result: dict[str, Any], which: str) -> str:
    dataset = (result.get("datasets") or {}).get(which)
    when = result.get(which) or "?"
    return f"{dataset} ({when})" if dataset else str(when)


def _exact(change: dict[str, Any], side: str) -> Any:
    """A side of a change as the report computed it, where compare kept that (its 4-place figure otherwise)."""
    exact = change.get(f"{side}_unrounded")
    return change[side] if exact is None else exact


def _rows(result: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    return [(c["figure"], shown_value(c["figure"], _exact(c, "before")), shown_value(c["figure"], _exact(c, "after")),
             shown_change(c["figure"], c["before"], c["after"])) for c in result["changes"]]


def render_comparison_terminal(result: dict[str, Any], console: Console | None = None) -> None:
    console = console or Console()
    rows = _rows(result)
    if rows:
        table = Table(title=plain(f"{_side(result, 'before')} → {_side(result, 'after')}"))
        for column in ("figure", "before", "after", "change"):
            table.add_column(column, overflow="fold", justify="left" if column == "figure" else "right")
        for row in rows:
            table.add_row(*(plain(value) for value in row))
        console.print(table)
    else:
        console.print(plain(f"{_side(result, 'before')} → {_side(result, 'after')}: {NO_CHANGE}"))
    if result.get("note"):
        console.print(Text("note ", "yellow") + plain(result["note"]))
    for r in result["regressions"]:
        console.print(Text("regression ", "red") + plain(regression_line(r)))


def render_comparison_markdown(result: dict[str, Any]) -> str:
    lines = [f"# dataaudit compare: {cell(_side(result, 'before'))} → {cell(_side(result, 'after'))}", ""]
    if result.get("note"):
        lines += [f"> **Note:** {cell(result['note'], 300)}", ""]
    lines += ["| figure | before | after | change |", "|---|--:|--:|--:|"]
    lines += [f"| {' | '.join(cell(v, starts_block=False) for v in row)} |" for row in _rows(result)] or [f"| ({NO_CHANGE}) | | | |"]
    lines += ["", "## Regressions", ""] + ([f"- {cell(r['what'])}: {cell(shown_value(r['what'], r['before']))} → "
                                            f"{cell(shown_value(r['what'], r['now']))} ({cell(r['detail'], 300)})"
                                            for r in result["regressions"]] or ["None."])
    return "\n".join(lines) + "\n"
