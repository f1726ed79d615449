"""The one function that turns dataset text into an excerpt any report may show.

Text from datasets is hostile until proven otherwise. Every excerpt in every output (terminal, Markdown,
HTML, JSON, history, compare, suspects files) comes from `excerpt()`: masked for personal data and secrets
first (so truncation can never cut a value in half and leave its head visible; looked for in the text with its
control characters taken out, so an escape sequence cannot hide a value), control characters shown as visible
escapes, then truncated, Markdown neutralised. Each renderer still escapes for its own format.
"""

from __future__ import annotations

import re
import unicodedata
from importlib import import_module
from typing import Callable, Iterable

DEFAULT_LIMIT = 160
ELLIPSIS = "…"

# Markdown that can act when pasted into a PR: links and images (an escaped bracket cannot open one, so
# parentheses and "!" stay as typed: "record\(s\)" was noise in every report), emphasis, code, headings,
# list markers, tables, strikethrough, HTML; and GitHub's math ("$...$", "$$...$$") and @mentions (a report
# posted as a PR comment would typeset "$\\color{red}{...}$" or notify @octocat): a backslash before '$' and '@'
# shows them as typed. tests/test_excerpt.py renders cells with a CommonMark parser and with cmark-gfm.
_MARKDOWN = re.compile(r"([\\`*_{}\[\]<>#+|~$@])")
# GitHub's Markdown (cmark-gfm) also links bare URLs: "https://…", "http://…", "ftp://…" and "www.…". A
# backslash before the ':' of "://" and the '.' after "www" stops it, and the page still shows the text as typed.
# (An e-mail address is linked too, but the personal-data masker has replaced it before this runs.)
_AUTOLINK = re.compile(r":(?=//)|(?<=www)\.", re.IGNORECASE)
_SPACE = re.compile(r"\s+")
# GitHub links "@name" to a user (and notifies them) and "#123" or "GH-123" to an issue (and leaves a backlink there) after
# the Markdown is rendered, so a backslash does not stop it: an invisible word joiner between the sign and the
# name does, and the page still reads "@name" / "#123".
WORD_JOINER = "\u2060"
_REFERENCE = re.compile(r"(?<=[@#])(?=\w)|(?<=\bGH)(?=-\d)", re.IGNORECASE)  # "GH-45" links an issue too

# ANSI escape sequences as whole units (CSI "ESC [ ... m", OSC "ESC ] ... BEL", two-character escapes, the
# 8-bit CSI), so that "alice@exam\x1b[0mple.com" reads as the address it shows on a terminal.
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]|\x9b[0-?]*[ -/]*[@-~]")
_HIDDEN = ("Cc", "Cf", "Cs", "Co", "Cn")

Span = tuple[int, int, str]  # start, end, what replaces text[start:end]
_maskers: list[Callable[[str], Iterable[Span]]] = []
_scanners_loaded = False


def register_masker(masker: Callable[[str], Iterable[Span]]) -> None:
    """A function text -> non-overlapping (start, end, replacement) spans of sensitive values (the PII check
    registers one)."""
    if masker not in _maskers:
        _maskers.append(masker)


def _spans(text: str) -> list[Span]:
    global _scanners_loaded
    if not _scanners_loaded:  # late: the scanners import this module to register themselves
        import_module(".scan.pii", __package__)  # imported for its effect: it registers the personal-data masker

        _scanners_loaded = True
    found: list[Span] = []
    for masker in _maskers:
        found.extend(s for s in masker(text) if all(s[1] <= f[0] or s[0] >= f[1] for f in found))
    return sorted(found)


def _replace(text: str, spans: list[Span], outside: Callable[[str], str]) -> str:
    parts, position = [], 0
    for start, end, replacement in spans:
        parts.append(outside(text[position:start]))
        parts.append(replacement)
        position = end
    parts.append(outside(text[position:]))
    return "".join(parts)


def _hidden_runs(text: str) -> list[tuple[int, int]]:
    """Spans a terminal would not show as characters: ANSI sequences and single control or format characters
    (newline and tab are whitespace and stay)."""
    runs = [(m.start(), m.end()) for m in _ANSI.finditer(text)] if "\x1b" in text or "\x9b" in text else []
    covered = {i for a, b in runs for i in range(a, b)}
    runs += [(i, i + 1) for i, ch in enumerate(text)
             if i not in covered and ch not in "\n\t" and unicodedata.category(ch) in _HIDDEN]
    return sorted(runs)


def reading_view(text: str) -> tuple[str, list[int]] | None:
    """The text as a terminal shows it (ANSI sequences, zero-width and other control characters taken out), and
    where each of its characters is in text; None when nothing is hidden. Values are looked for in this view,
    so a control character cannot hide an address from the masker, the pii check or redact."""
    if text.isprintable() or text.replace("\n", " ").replace("\t", " ").isprintable():  # C-speed: most texts
        return None
    hidden = _hidden_runs(text)
    if not hidden:
        return None
    origin, position = [], 0  # origin[i]: where the shown text's i-th character is in text
    for start, end in hidden:
        origin.extend(range(position, start))
        position = end
    origin.extend(range(position, len(text)))
    return "".join(text[i] for i in origin), origin


def sanitise(text: str) -> str:
    """text with every sensitive value masked and every control or format character shown as a visible escape,
    untruncated. Values are looked for in the reading view; a control inside a masked value goes with it, any
    other is shown as its escape."""
    view = reading_view(text)
    if view is None:
        return _replace(text, _spans(text), str if text.isprintable() else visible_controls)
    shown, origin = view
    spans = [(origin[start], origin[end - 1] + 1, replacement) for start, end, replacement in _spans(shown)]
    return _replace(text, spans, visible_controls)


def mask(text: str) -> str:
    """text with every sensitive value replaced by its masked form (control characters left as they are)."""
    spans = _spans(text)
    return _replace(text, spans, str) if spans else text


def visible_controls(text: str) -> str:
    """Control and format characters (ANSI escapes, bidi overrides, NUL, lone surrogates) as visible escapes."""
    out = []
    for ch in text:
        if ch in "\n\t":
            out.append(" ")
            continue
        category = unicodedata.category(ch)
        if category in _HIDDEN and ch != " ":
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
        else:
            out.append(ch)
    return "".join(out)


def neutralise_markdown(text: str) -> str:
    escaped = _AUTOLINK.sub(lambda m: "\\" + m.group(0), _MARKDOWN.sub(r"\\\1", text))
    return _REFERENCE.sub(WORD_JOINER, escaped)


def excerpt(text: object, limit: int = DEFAULT_LIMIT, *, markdown: bool = True, keep_end: bool = False) -> str:
    """Safe, short, single-line text for reports. markdown=False keeps Markdown characters as they are
    (for outputs that escape them on their own, such as CSV); control characters and masking always apply.
    keep_end=True truncates at the start instead, for text whose end tells it apart (a file path's name)."""
    if text is None:
        return ""
    value = sanitise(str(text))
    value = _SPACE.sub(" ", value).strip()
    if len(value) > limit:
        kept = max(limit - 1, 0)
        value = ELLIPSIS + value[len(value) - kept:].lstrip() if keep_end else value[:kept].rstrip() + ELLIPSIS
    return neutralise_markdown(value) if markdown else value


def plain_excerpt(text: object, limit: int = DEFAULT_LIMIT) -> str:
    """The excerpt a result stores: masked, control-free, truncated, Markdown left as typed (each renderer
    escapes for its own format, so a Markdown escape here would show as a stray backslash in the terminal)."""
    return excerpt(text, limit, markdown=False)
