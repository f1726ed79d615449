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


def percent_text(value: float, *bounds: float) -> str:
    """`value` as a percent with the places (one at least) that put it on the same side of every bound as the
    unrounded value: digits.value_text's figure with the point moved two places, so 0.049996 against 0.05 reads
    "4.9996%", never "5.0%", and 0.0016 reads "0.2%" as "{:.1%}" would."""
    text = value_text(value, *bounds)
    if "e" in text or "." not in text or len(text.split(".")[1]) > MAX_PLACES:  # repr(): no place count separates it
        # a value equal to a bound no decimal writes (1/3) reads as the bound would; any other needs every digit
        return f"{value:.1%}" if value in bounds else f"{value * 100!r}%"
    sign, text = ("-", text[1:]) if text.startswith("-") else ("", text)
    whole, places = text.split(".")
    places = places.ljust(3, "0")
    return f"{sign}{int(whole + places[:2])}.{places[2:]}%"


FLOAT_NOISE = 1e-9  # a sum of floats misses an exact bound by ~1e-16; a measured figure is never this close on purpose


def snapped(value: float, *bounds: float) -> float:
    """`value`, or the bound it is within FLOAT_NOISE of: 1 - (27/30) sums to 0.09999999999999998, which is the
    bound 0.10 (3 of 30 labels), not a figure under it; the threshold and the wording then read the bound."""
    return next((bound for bound in bounds if abs(value - bound) <= FLOAT_NOISE), value)
