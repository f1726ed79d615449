"""Report figures as a reviewer reads them, shared by the renderers: shares as percentages, a difference of
shares in percentage points, a missing figure as '-'. report.json and compare.json keep the raw numbers."""

from __future__ import annotations

from typing import Any


def _is_share(figure: str) -> bool:
    return figure.endswith("_share") or figure.startswith("label_share:")


def shown_value(figure: str, value: Any) -> str:
    """A figure as a reviewer reads it: a share as a percentage, alpha to three places, a missing figure as '-'."""
    if value is None:
        return "-"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if _is_share(figure):
        return f"{value:.1%}"
    return f"{value:.3f}" if isinstance(value, float) else f"{value:,}"


def shown_change(figure: str, before: Any, after: Any) -> str:
    """after - before, signed: percentage points for a share; blank where either side is missing or not a number."""
    numbers = [v for v in (before, after) if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if len(numbers) != 2:
        return ""
    delta = after - before
    if _is_share(figure):
        return f"{delta * 100:+.1f} pt"
    return f"{delta:+.3f}" if isinstance(delta, float) else f"{delta:+,}"


def regression_cells(r: dict[str, Any]) -> list[str]:
    """A regression as table cells: what, before, now, detail."""
    return [r["what"], shown_value(r["what"], r["before"]), shown_value(r["what"], r["now"]), r["detail"]]


def regression_line(r: dict[str, Any]) -> str:
    """'label_share:yes: 74.4% -> 66.3% (moved by -8.13 points ...)': a regression in the units the tables use."""
    return f"{r['what']}: {shown_value(r['what'], r['before'])} -> {shown_value(r['what'], r['now'])} ({r['detail']})"
