"""Report figures as a reviewer reads them, shared by the renderers: shares as percentages, a difference of
shares in percentage points, a missing figure as '-'. report.json and compare.json keep the raw numbers."""

from __future__ import annotations

from functools import cache
from typing import Any, Mapping

from ..digits import percent_text, value_text

# The figures a condition judges against bounds, and where the config keeps them: each view writes such a figure
# with the places that keep it on its side of them, as the condition does (0.79996 read "0.800" in the history
# beside the agreement section's "0.79996").
JUDGED_BY = {
    "krippendorff_alpha": ("agreement", ("reliable_alpha", "tentative_alpha")),
    "covered_share": ("coverage", ("min_covered_share",)),
    "duplicate_share": ("hygiene", ("warn_duplicate_share", "max_duplicate_share")),
    "chosen_longer_share": ("preference", ("max_chosen_longer_share",)),
}


@cache
def _default_config() -> dict[str, Any]:
    from ..config import Config

    return Config().to_dict()


def _judged_as(figure: str) -> str:
    """The figure whose bounds judge `figure`: a file's alpha (krippendorff_alpha:b2.jsonl) and an unrounded one
    are judged as the alpha is."""
    return figure.split(":", 1)[0].removesuffix("_unrounded")


def _is_share(figure: str) -> bool:
    return figure.endswith("_share") or figure.startswith("label_share:")


def figure_bounds(figure: str, config: Mapping[str, Any] | None = None) -> tuple[float, ...]:
    """The bounds `figure` is judged against in `config` (a report's config as a dict; the defaults where None,
    as for the history and compare, which keep no config): () for a figure judged against none."""
    section, keys = JUDGED_BY.get(_judged_as(figure), ("", ()))
    settings = (_default_config() if config is None else config).get(section) or {}
    bounds = tuple(float(settings[k]) for k in keys if isinstance(settings.get(k), (int, float)) and not isinstance(settings.get(k), bool))
    if _judged_as(figure) == "chosen_longer_share" and bounds:
        # shorter-wins is judged too, at 1 - the bound (rounded as the check rounds it: 1 - 0.7 is 0.30000000000000004)
        bounds += (round(1 - bounds[0], 12),)
    return bounds


def judged_text(figure: str, value: float, config: Mapping[str, Any] | None = None) -> str:
    """`value` of `figure` written against its bounds (figure_bounds): a share as a percent (digits.percent_text),
    any other figure as digits.value_text writes it; the same text in every view that shows it."""
    bounds = figure_bounds(figure, config)
    return percent_text(value, *bounds) if _is_share(figure) else value_text(value, *bounds)


def report_figure(report: Any, figure: str, value: float) -> str:
    """judged_text against the bounds of the config `report` was made with (the defaults where it carries none)."""
    return judged_text(figure, value, getattr(report, "config", None) or None)


def shown_value(figure: str, value: Any, config: Mapping[str, Any] | None = None) -> str:
    """A figure as a reviewer reads it: a share as a percentage, alpha to three places, a figure judged against
    bounds with the places that keep it on its side of them (judged_text), a missing figure as '-'."""
    if value is None:
        return "-"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if _judged_as(figure) in JUDGED_BY:
        return judged_text(figure, value, config)
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


def regression_cells(r: dict[str, Any], config: Mapping[str, Any] | None = None) -> list[str]:
    """A regression as table cells: what, before, now, detail. config: the report's, whose bounds a figure is
    written against (the defaults where None: compare and the history keep no config)."""
    return [r["what"], shown_value(r["what"], r["before"], config), shown_value(r["what"], r["now"], config), r["detail"]]


def regression_line(r: dict[str, Any], config: Mapping[str, Any] | None = None) -> str:
    """'label_share:yes: 74.4% -> 66.3% (moved by -8.13 points ...)': a regression in the units the tables use."""
    return (f"{r['what']}: {shown_value(r['what'], r['before'], config)} -> {shown_value(r['what'], r['now'], config)} "
            f"({r['detail']})")
