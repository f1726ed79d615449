"""The one function that turns dataset text into an excerpt any report may show.

Text from datasets is hostile until proven otherwise. Every excerpt in every output (terminal, Markdown,
HTML, JSON, history, compare, suspects files) comes from `excerpt()`: masked for personal data and secrets
first (so truncation can never cut a value in half and leave its head visible), control characters shown as
visible escapes, Markdown neutralised, then truncated. Each renderer still escapes for its own format.
"""

from __future__ import annotations

import re
import unicodedata
from importlib import import_module
from typing import Callable

DEFAULT_LIMIT = 160
ELLIPSIS = "…"

# Markdown that can act when pasted into a PR: links and images (an escaped bracket cannot open one, so
# parentheses and "!" stay as typed: "record\(s\)" was noise in every report), emphasis, code, headings,
# list markers, tables, strikethrough, HTML. tests/test_excerpt.py renders cells with a CommonMark parser.
_MARKDOWN = re.compile(r"([\\`*_{}\[\]<>#+|~])")
# GitHub's Markdown (cmark-gfm) also links bare URLs: "https://…", "http://…", "ftp://…" and "www.…". A
# backslash before the ':' of "://" and the '.' after "www" stops it, and the page still shows the text as typed.
# (An e-mail address is linked too, but the personal-data masker has replaced it before this runs.)
_AUTOLINK = re.compile(r":(?=//)|(?<=www)\.", re.IGNORECASE)
_SPACE = re.compile(r"\s+")

_maskers: list[Callable[[str], str]] = []
_scanners_loaded = False


def register_masker(masker: Callable[[str], str]) -> None:
    """A function str -> str that replaces sensitive values (the PII check registers one)."""
    if masker not in _maskers:
        _maskers.append(masker)


def mask(text: str) -> str:
    global _scanners_loaded
    if not _scanners_loaded:  # late: the scanners import this module to register themselves
        import_module(".scan.pii", __package__)  # imported for its effect: it registers the personal-data masker

        _scanners_loaded = True
    for masker in _maskers:
        text = masker(text)
    return text


def visible_controls(text: str) -> str:
    """Control and format characters (ANSI escapes, bidi overrides, NUL, lone surrogates) as visible escapes."""
    out = []
    for ch in text:
        if ch in "\n\t":
            out.append(" ")
            continue
        category = unicodedata.category(ch)
        if category in ("Cc", "Cf", "Cs", "Co", "Cn") and ch != " ":
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
        else:
            out.append(ch)
    return "".join(out)


def neutralise_markdown(text: str) -> str:
    return _AUTOLINK.sub(lambda m: "\\" + m.group(0), _MARKDOWN.sub(r"\\\1", text))


def excerpt(text: object, limit: int = DEFAULT_LIMIT, *, markdown: bool = True, keep_end: bool = False) -> str:
    """Safe, short, single-line text for reports. markdown=False keeps Markdown characters as they are
    (for outputs that escape them on their own, such as CSV); control characters and masking always apply.
    keep_end=True truncates at the start instead, for text whose end tells it apart (a file path's name)."""
    if text is None:
        return ""
    value = str(text)
    value = mask(value)
    value = visible_controls(value)
    value = _SPACE.sub(" ", value).strip()
    if len(value) > limit:
        kept = max(limit - 1, 0)
        value = ELLIPSIS + value[len(value) - kept:].lstrip() if keep_end else value[:kept].rstrip() + ELLIPSIS
    return neutralise_markdown(value) if markdown else value


def plain_excerpt(text: object, limit: int = DEFAULT_LIMIT) -> str:
    """The excerpt a result stores: masked, control-free, truncated, Markdown left as typed (each renderer
    escapes for its own format, so a Markdown escape here would show as a stray backslash in the terminal)."""
    return excerpt(text, limit, markdown=False)
