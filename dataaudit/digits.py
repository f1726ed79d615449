"""A figure written next to the bound it was compared with, so that the text decides the comparison the way the
unrounded numbers did: 0.79996 against 0.8 reads "0.79996" / "0.800", never "0.800 < 0.800". Shared by the
consistency condition, the per-file breakdown and the history's regressions, so one rule decides everywhere."""

from __future__ import annotations

MIN_PLACES = 3  # figures are read to three places unless more are needed to tell them from the bound
MAX_PLACES = 12


def _sign(difference: float) -> int:
    return (difference > 0) - (difference < 0)


def bound_text(bound: float) -> str:
    """The bound with the fewest places (three at least) that write it exactly; repr() where none does."""
    for places in range(MIN_PLACES, MAX_PLACES + 1):
        if float(f"{bound:.{places}f}") == bound:
            return f"{bound:.{places}f}"
    return repr(bound)


def value_text(value: float, *bounds: float) -> str:
    """`value` with the fewest places (three at least) at which it stands on the same side of every bound as the
    unrounded value (above, equal or below); repr() where no place count up to MAX_PLACES separates them."""
    for places in range(MIN_PLACES, MAX_PLACES + 1):
        shown = float(f"{value:.{places}f}")
        if all(_sign(shown - bound) == _sign(value - bound) for bound in bounds):
            return f"{value:.{places}f}"
    return repr(value)


def against(value: float, bound: float) -> tuple[str, str]:
    """(value, bound) as text that compares the way the numbers do: against(0.79996, 0.8) == ("0.79996", "0.800")."""
    return value_text(value, bound), bound_text(bound)
