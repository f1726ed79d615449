"""terminal: a capped table's note in the summary."""

from __future__ import annotations

from rich.console import Console

from dataaudit.render.sections import Table
from dataaudit.render.terminal import section_table


def test_a_terminal_table_says_how_many_exist_and_how_many_more_report_json_lists():
    """'first 1000 errors listed' stood above a table of 5 rows whose note said only 'first 5 of 1334 listed'."""
    errors = Table("Format errors (1334)", ["file", "line"], [["a.jsonl", n] for n in range(1000)], total=1334,
                   terminal=True, terminal_rows=5)
    console = Console(record=True, width=120)
    console.print(section_table(errors, console))
    shown = console.export_text()
    assert "first 5 of 1334 listed; 995 more are in report.json" in " ".join(shown.split())  # the caption wraps
    assert [line.split()[3] for line in shown.splitlines() if "a.jsonl" in line] == ["0", "1", "2", "3", "4"]

