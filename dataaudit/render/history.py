"""`dataaudit history`: the table of past runs, readable at 80 columns and inert to dataset names."""

from __future__ import annotations

from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table

from ..report import shown_verdict
from ..history.regressions import as_computed
from .figures import shown_value
from .terminal import plain


def _fmt(value: Any, pattern: str = "{:.3f}") -> str:
    return "-" if value is None else pattern.format(value)


def render_history(runs: list[dict[str, Any]], source: str, console: Console | None = None) -> None:
    console = console or Console()
    table = Table(title=plain(f"dataaudit history: {source}"), box=box.SIMPLE_HEAD, show_lines=False, pad_edge=False, collapse_padding=True)
    # Narrow terminals fold the dataset and verdict instead of cutting them to "…". Regressions are counted
    # in the table and named under it, where a long list wraps at the terminal's width instead of squeezing
    # every other column (at 80 columns a list of figure names took the whole table).
    for column, kwargs in (("run", {"no_wrap": True}), ("time", {"no_wrap": True}), ("dataset", {"overflow": "fold", "min_width": 7}),
                           ("verdict", {"overflow": "fold", "min_width": 9}), ("usable", {}), ("alpha", {}), ("covered", {}),
                           ("dup", {}), ("regressions", {"no_wrap": True})):
        table.add_column(column, **kwargs)
    for run in runs:
        f = run["figures"]
        table.add_row(str(run["id"]), plain(run["generated_at"][5:10] + " " + run["generated_at"][11:16]), plain(run["dataset"]),
                      plain(shown_verdict(run["verdict"])), _fmt(f.get("usable"), "{}"),
                      # as the report shows them, from the unrounded figures where the run kept them: 0.55151
                      # kept as 0.5515 would read 0.551, and 4.5% duplicates read 4% at :.0%
                      *(shown_value(name, as_computed(f, name)) for name in ("krippendorff_alpha", "covered_share", "duplicate_share")),
                      str(len(run["regressions"])) if run["regressions"] else "-")
    console.print(table)
    for run in runs:
        # Which run each was judged against, and whether it failed its gate (then it is no later run's baseline).
        against = f" (against run {run['baseline_id']})" if run.get("baseline_id") is not None else ""
        if run["regressions"]:
            gate = "; failed its gate, so no baseline" if run.get("failed_gate") else ""
            console.print(plain(f"run {run['id']} regressions{against}: " + ", ".join(r["what"] for r in run["regressions"]) + gate),
                          markup=False, highlight=False)
        for note in run.get("notes") or []:
            console.print(plain(f"run {run['id']} note: {note}"), markup=False, highlight=False)
