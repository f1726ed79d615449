"""Field values: texts and labels checked and normalised the same way by every reader.

A text is a non-empty string (numbers and booleans are written out), never NaN/Infinity, never holding a
lone surrogate (it could not be written to any report), and is cut to MAX_TEXT_CHARS so that one huge line
cannot make embedding and comparison take minutes and gigabytes; the record says it was cut.
A label spelt out as NaN / Infinity (an export's missing value) is invalid. Labels are normalised so that
`1`, `1.0`, `"1"` and `" 1 "` are one label: surrounding whitespace is stripped, inner whitespace runs
become one space, a decimal number is written in its shortest exact form (`1.0` -> `1`, `2.50` -> `2.5`,
`1e3` -> `1000`), booleans become `true` / `false`. Case is kept.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation
from typing import Any

MAX_TEXT_CHARS = 100_000  # characters of one input / target kept for embedding and comparison

_SURROGATE = re.compile(r"[\ud800-\udfff]")
_SPACE = re.compile(r"\s+")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_NON_FINITE = {"nan", "+nan", "-nan", "inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"}
_LONGEST_NON_FINITE = 12  # with surrounding spaces allowed for


class Invalid(Exception):
    """One field of one record cannot be used; becomes a RecordError naming the field."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def json_type(value: Any) -> str:
    return {dict: "an object", list: "a list", type(None): "null", bool: "a boolean", str: "a string",
            int: "a number", float: "a number"}.get(type(value), type(value).__name__)


def check_text(value: str, field: str) -> str:
    """A string that can be shown and written anywhere: no lone surrogates."""
    if not value.isascii():  # the common case skips the search
        match = _SURROGATE.search(value)
        if match:
            raise Invalid(field, f"contains a lone surrogate (\\u{ord(match.group()):04x} at character {match.start() + 1}); "
                                 "fix the export's encoding")
    return value


def scalar_text(value: Any, field: str, *, allow_empty: bool = False) -> str:
    """A text field: strings as they are; numbers and booleans written out; anything else is invalid."""
    if type(value) is str:
        if not allow_empty and (not value or value.isspace()):
            raise Invalid(field, "is empty")
        return check_text(value, field) if value else value
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and not math.isfinite(value):
        raise Invalid(field, f"is {value}, not a value (NaN and Infinity are not accepted)")
    if isinstance(value, (int, float)):
        return repr(value)
    raise Invalid(field, f"expected a string, got {json_type(value)}")


def normalise_label(value: str) -> str:
    """One spelling per label (see the module docstring for the rules)."""
    text = _SPACE.sub(" ", value).strip()
    if _NUMBER.fullmatch(text):
        try:
            number = Decimal(text)
        except InvalidOperation:  # pragma: no cover - the pattern only admits valid decimals
            return text
        if abs(number.adjusted()) > 30:  # `1e5000` is kept as written rather than expanded to 5,000 digits
            return text
        if number == number.to_integral_value():
            return str(int(number))
        return format(number.normalize(), "f")
    return text


def label_text(value: Any, field: str) -> str:
    """A normalised label; a label spelt NaN / Infinity is an export's missing value, not a class."""
    text = scalar_text(value, field)
    if len(text) <= _LONGEST_NON_FINITE and text.strip().lower() in _NON_FINITE:
        raise Invalid(field, f"is {text.strip()!r}, a missing or non-finite number written as text, not a label")
    return normalise_label(text)


def is_missing(value: Any) -> bool:
    return value is None or value == ""


def cap(text: str) -> tuple[str, bool]:
    """The text cut to MAX_TEXT_CHARS, and whether it was cut."""
    if len(text) > MAX_TEXT_CHARS:
        return text[:MAX_TEXT_CHARS], True
    return text, False
