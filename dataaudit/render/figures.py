"""Report figures as a reviewer reads them, shared by the renderers: shares as percentages, a difference of
shares in percentage points, a missing figure as '-'. report.json and compare.json keep the raw numbers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..report import Report

# The verdict as the README and every display label name it; report.json keeps the status values (a contract).
VERDICT_WORDS = {"ready": "ready", "not_ready": "not ready", "insufficient_evidence": "not enough evidence"}


def shown_verdict(status: str) -> str:
    """A verdict status value in the README's words ("insufficient_evidence" reads "not enough evidence"); the
    headline, the history table and every display label show it this way."""
    return VERDICT_WORDS.get(status, status.replace("_", " "))


def shown_headline(report: Report) -> str:
    """report.headline in the README's words (`shown_verdict`); what follows the verdict's words (the regressions
    that fail the run) as written."""
    status_words = report.verdict.status.replace("_", " ")
    headline = report.headline
    if headline.startswith(status_words):
        return shown_verdict(report.verdict.status) + headline[len(status_words):]
    return headline


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
