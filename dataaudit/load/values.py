"""Field values: texts and labels checked and normalised the same way by every reader.

A text is a non-empty string (a number or boolean in its place is a wrongly typed field), never NaN/Infinity, never holding a
lone surrogate (it could not be written to any report), and is cut to MAX_TEXT_CHARS so that one huge line
cannot make embedding and comparison take minutes and gigabytes; the record says it was cut.
A label spelt out as NaN / Infinity / null (an export's missing value) is invalid; `None` is a class (LUIS has a
`None` intent), not refused. Labels are normalised so that
`1`, `1.0`, `"1"` and `" 1 "` are one label: surrounding whitespace is stripped, inner whitespace runs
become one space, a decimal number is written in its shortest exact form (`1.0` -> `1`, `2.50` -> `2.5`,
`1e3` -> `1000`), booleans become `true` / `false`, and so do the strings `True` / `TRUE` / `False` / `FALSE` (a CSV
cell's spelling of a boolean: pandas and spreadsheets write them so). Case is otherwise kept. Only ASCII digits without a leading zero
are read as a number: `"007"` is a code, not `7`, and `"٣"` stays itself.
A label is first brought to Unicode's NFKC form, once, here, so that every check (balance, conflicts, label noise,
agreement, coverage) counts one label where a reader sees one: `négatif` typed precomposed and with a combining
accent (NFC would do that much), and also half-width `ﾎﾟｼﾞﾃｨﾌﾞ` and full-width `ポジティブ`, full-width `ＰＯＳ`
or `１`, a ligature `ﬁ`. Those compatibility forms are the same class name to whoever reads the report; NFKC
folding them is what the duplicates check already does to texts. What it also folds (superscripts, `½`, `㎏`)
is no way to name two different classes.
"""

from __future__ import annotations

import datetime
import math
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any

from ..excerpt import DEFAULT_LIMIT, plain_excerpt

MAX_TEXT_CHARS = 100_000  # characters of one input / target kept for embedding and comparison

_SURROGATE = re.compile(r"[\ud800-\udfff]")
_SPACE = re.compile(r"\s+")
# A decimal number in ASCII digits whose whole part has no leading zero: `007` is a code and `٣` (Arabic-Indic)
# a script's digit, each a label of its own, not 7 and 3. (NFKC has already made full-width `１` ASCII.)
_NUMBER = re.compile(r"[+-]?(([1-9][0-9]*|0)(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")
# How pandas (str(True)), Excel and SQL clients write a boolean into a CSV cell, which has no type: the same column
# exported as JSON reads `true`, so these are that label, as "1.0" is the number 1.
_BOOLEAN_SPELLINGS = {"True": "true", "TRUE": "true", "False": "false", "FALSE": "false"}
_NON_FINITE = {"nan", "+nan", "-nan", "inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"}
_LONGEST_NON_FINITE = 9  # "+infinity"
# How exports spell a missing value (pandas' NaN, JSON and SQL clients' null): a label so spelt is no label, and an
# annotator's answer so spelt is no answer (load.dataset.no_answer).
MISSING_SPELLINGS = frozenset({"nan", "+nan", "-nan", "null"})


class Invalid(Exception):
    """One field of one record cannot be used; becomes a RecordError naming the field."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def quoted(value: Any) -> str:
    """A dataset value as an error message quotes it: through the one excerpt function, so a 70,000-character
    role or a key holding an address or an escape sequence is masked, shown without its controls and cut."""
    if isinstance(value, str):
        return f"'{plain_excerpt(value, DEFAULT_LIMIT)}'"
    return plain_excerpt(repr(value), DEFAULT_LIMIT)


def key_name(key: Any) -> str:
    """A dataset's key as a field name holds it (`messages[0].<key>`): the excerpt of it, unquoted."""
    return plain_excerpt(str(key), DEFAULT_LIMIT)


def json_type(value: Any) -> str:
    return {dict: "an object", list: "a list", type(None): "null", bool: "a boolean", str: "a string",
            int: "a number", float: "a number"}.get(type(value), type(value).__name__)


# Characters that are drawn as nothing: a text made only of them (and whitespace) is as empty as "". Format
# characters (zero-width space, word joiner, BOM, bidi marks) and the fillers that are letters or symbols by
# category but blank by design: Hangul choseong / jungseong / compatibility / half-width fillers, braille blank.
# An assistant turn of one U+200B or U+3164 is a reply with nothing in it, and a model trained on it learns to
# answer with nothing.
_FILLERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def is_blank(value: str) -> bool:
    """Whether a text shows nothing: empty, or only whitespace, format characters and blank fillers."""
    if not value or value.isspace():
        return True
    if value.isascii():
        return False
    return all(ch.isspace() or ch in _FILLERS or unicodedata.category(ch) == "Cf" for ch in value)


def check_text(value: str, field: str) -> str:
    """A string that can be shown and written anywhere: no lone surrogates."""
    if not value.isascii():  # the common case skips the search
        match = _SURROGATE.search(value)
        if match:
            raise Invalid(field, f"contains a lone surrogate (\\u{ord(match.group()):04x} at character {match.start() + 1}); "
                                 "fix the export's encoding")
    return value


def scalar_text(value: Any, field: str, *, allow_empty: bool = False) -> str:
    """A text field: a string, as it is. A number or boolean where a text belongs is a wrongly typed field, as
    a chat turn's `content: 5` is; every format says so the same way (a CSV cell is always a string)."""
    if type(value) is str:
        if not allow_empty and is_blank(value):
            raise Invalid(field, "is empty")
        return check_text(value, field) if value else value
    if isinstance(value, float) and not math.isfinite(value):
        raise Invalid(field, f"is {value}, not a value (NaN and Infinity are not accepted)")
    raise Invalid(field, f"expected a string, got {json_type(value)}")


def scalar_value(value: Any, field: str) -> str:
    """A label, id or annotator name: a string as it is, a number or boolean written out (`7` is the label
    `"7"`, an id 12 the id `"12"`); a Parquet decimal (SQL exports' NUMERIC) written out as its digits, so
    normalise_label gives it the spelling the same number has as an int or float (`3.00` -> `3`, `1.50` -> `1.5`);
    a date or time (a date32 / timestamp column) as its ISO 8601 text; anything else is invalid."""
    if type(value) is str:
        return scalar_text(value, field)
    if isinstance(value, bool):
        return str(value).lower()
    if (isinstance(value, float) and not math.isfinite(value)) or (isinstance(value, Decimal) and not value.is_finite()):
        raise Invalid(field, f"is {value}, not a value (NaN and Infinity are not accepted)")
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime.date, datetime.time)):  # datetime is a date
        return value.isoformat()
    raise Invalid(field, f"expected a string, got {json_type(value)}")


def normalise_label(value: str) -> str:
    """One spelling per label (see the module docstring for the rules)."""
    if not value.isascii():
        value = unicodedata.normalize("NFKC", value)
    text = _SPACE.sub(" ", value).strip()
    if text in _BOOLEAN_SPELLINGS:
        return _BOOLEAN_SPELLINGS[text]
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
    """A normalised label; a label spelt NaN / Infinity / null is an export's missing value, not a class. `None` is
    not refused: it is str(None), but also a class some tools define (LUIS's `None` intent)."""
    label = normalise_label(scalar_value(value, field))
    if len(label) <= _LONGEST_NON_FINITE:  # after NFKC: full-width "ＮａＮ" too
        if label.lower() in _NON_FINITE:
            raise Invalid(field, f"is {label!r}, a missing or non-finite number written as text, not a label")
        if label.lower() == "null":
            raise Invalid(field, f"is {label!r}, a missing value written as text (as JSON and SQL clients write null), "
                                 "not a label")
    return label


def is_missing(value: Any) -> bool:
    return value is None or value == ""


def cap(text: str) -> tuple[str, bool]:
    """The text cut to MAX_TEXT_CHARS, and whether it was cut."""
    if len(text) > MAX_TEXT_CHARS:
        return text[:MAX_TEXT_CHARS], True
    return text, False


def dotted_fields(names: list[str]) -> list[str]:
    """The configured field names that are paths into nested objects (`meta.intent`)."""
    return sorted({name for name in names if isinstance(name, str) and "." in name.strip(".")})


def resolve_path(obj: dict, path: str) -> tuple[bool, Any, str]:
    """(found, value, why not) for a dotted path: `meta.intent` is obj["meta"]["intent"], a number step indexes a
    list (`labels.0`). A key that holds the dot itself is the caller's to prefer (it is looked up first)."""
    value: Any = obj
    walked: list[str] = []
    for step in path.split("."):
        where = ".".join(walked) or "the record"
        if isinstance(value, dict):
            if step not in value:
                keys = ", ".join(key_name(k) for k in sorted(map(str, value))[:8]) + (", ..." if len(value) > 8 else "")
                return False, None, f"{where} has no key {step!r} (its keys: {keys or 'none'})"
            value = value[step]
        elif isinstance(value, list) and step.isdigit():
            if int(step) >= len(value):
                return False, None, f"{where} has {len(value)} items, no item {step}"
            value = value[int(step)]
        else:
            return False, None, f"{where} is {json_type(value)}, not an object to look {step!r} up in"
        walked.append(step)
    return True, value, ""


def with_paths(obj: dict, paths: list[str]) -> tuple[dict, dict[str, str]]:
    """The record with each dotted path that is not a literal key of it added as a key holding the nested value,
    and why each path that could not be followed was not found (for the 'missing' message)."""
    added: dict[str, Any] = {}
    why: dict[str, str] = {}
    for path in paths:
        if path in obj:
            continue
        found, value, reason = resolve_path(obj, path)
        if found:
            added[path] = value
        else:
            why[path] = reason
    return ({**obj, **added} if added else obj), why


# A number as a label may be written: digits with leading zeros too ("03"), unlike the loader's own spelling rule,
# which keeps "007" a code; at a numeric level the value is what is compared. float() would also take "nan", "inf"
# and "1_000", which are no rating.
NUMBER_LABEL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def is_number_label(label: str) -> bool:
    return NUMBER_LABEL.fullmatch(label) is not None


def number_label(label: str) -> str:
    """A label that is a number, spelt as the loader spells numbers ("03" and "3.0" are "3"); any other as it is."""
    if not is_number_label(label):
        return label
    number = Decimal(label)
    if abs(number.adjusted()) > 30:  # as the loader keeps `1e5000`: not expanded to 5,000 digits
        return label
    return str(int(number)) if number == number.to_integral_value() else format(number.normalize(), "f")
