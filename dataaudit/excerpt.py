"""The one function that turns dataset text into an excerpt any report may show.

Text from datasets is hostile until proven otherwise. Every excerpt in every output (terminal, Markdown,
HTML, JSON, history, compare, suspects files) comes from `excerpt()`: masked for personal data and secrets
first (so truncation can never cut a value in half and leave its head visible; looked for in the text with its
control characters taken out, so an escape sequence cannot hide a value), control characters shown as visible
escapes, line breaks as LINE_BREAK (" ⏎ "), then truncated, Markdown neutralised (with '&', '<' and '>' as HTML
references, so report.md adds no escaping of its own). The HTML and terminal renderers escape for their formats.
"""

from __future__ import annotations

import hashlib
import re
import sys
import unicodedata
from bisect import bisect_left
from collections import Counter
from importlib import import_module
from itertools import accumulate
from typing import Callable, Iterable, TypeVar

T = TypeVar("T")

DEFAULT_LIMIT = 160
ELLIPSIS = "…"

# Markdown that can act when pasted into a PR: links and images (an escaped bracket cannot open one, so
# parentheses and "!" stay as typed: "record\(s\)" was noise in every report), emphasis, code, headings,
# list markers, tables, strikethrough, HTML; and GitHub's math ("$...$", "$$...$$") and @mentions (a report
# posted as a PR comment would typeset "$\\color{red}{...}$" or notify @octocat): a backslash before '$' and '@'
# shows them as typed. tests/test_excerpt.py renders cells with a CommonMark parser and with cmark-gfm.
_MARKDOWN = re.compile(r"([\\`*_{}\[\]#+|~$@])")
# '&', '<' and '>' as HTML character references, which both Markdown and an HTML block (report.md's <summary>) show
# as the character: a backslash does not stop '<' opening a tag inside an HTML block, nor '&' a reference
# ("&#8238;" is a right-to-left override on GitHub), and "&amp;" typed in the data reads "&amp;", not "&".
# The renderers add no escaping of their own on top (report.md's cell() is this function's output).
_HTML_SPECIAL = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
# A block marker at the start of the text, where a report puts an excerpt first on a line ("- {excerpt}"): a list
# item ("- item", "1. item", "1) item") would nest a list and a line of '-' or '=' draw a rule or underline a
# heading. A backslash before its last character leaves it text; elsewhere in a line they are text already.
# A lone "-" is left as it is: reports write it for a missing value, and as the whole of an item it hides nothing.
_BLOCK_MARKER = re.compile(r"\A(?:\d{1,9}[.)]|-)(?=[ \t]+\S)|\A[-=](?=(?:[ \t]*[-=]){2,}[ \t]*\Z)")
# GitHub's Markdown (cmark-gfm) also links bare URLs: "https://…", "http://…", "ftp://…" and "www.…". A
# backslash before the ':' of "://" and the '.' after "www" stops it, and the page still shows the text as typed.
# (An e-mail address is linked too, but the personal-data masker has replaced it before this runs.)
_AUTOLINK = re.compile(r":(?=//)|(?<=www)\.", re.IGNORECASE)
_SPACE = re.compile(r"\s+")
# Where a run of whitespace held a line break (chat turns are joined with one, and a text's lines end with one),
# an excerpt, one line, shows this in its place: run together, "hi, I have a question" and "please help" read
# as one made-up sentence. A slash is common in the text itself (dates, paths, "and/or"); the return symbol is
# the usual sign of a line break, rare in data, one column wide, and no format escapes it.
LINE_BREAK = " \u23ce "
_LINE_BREAKS = frozenset("\n\u2028\u2029")
# A masked value's placeholder in text masked before (a result stores its excerpts masked, and a renderer
# excerpts them again to its own width): scan/pii.masked_form's shape, `<PHONE …0958>`, `<EMAIL ….org #3f2a>`.
# The kinds are scan/pii.KINDS (which imports this module; tests/test_excerpt.py holds the two lists equal): a
# generic <WORD> would take a chat template's <EOS> or <LABEL_NAME> in unmasked text for a placeholder.
MASKED_KINDS = ("email", "phone", "credit_card", "iban", "us_ssn", "ip_address", "secret")
_MASKED_SHAPE = re.compile(f"<(?:{'|'.join(k.upper() for k in MASKED_KINDS)})(?: \u2026[^<>]{{1,4}})?(?: #[0-9a-f]{{4}})?>")
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
        found += disjoint_from(found, masker(text), _bounds)
    return sorted(found)


def _bounds(span: Span) -> tuple[int, int]:
    return span[0], span[1]


def disjoint_from(taken: Iterable[T], candidates: Iterable[T], bounds: Callable[[T], tuple[int, int]]) -> list[T]:
    """The candidates that overlap none of `taken`, each span's (start, end) given by bounds. Looked up by bisect
    on the sorted spans, not pairwise: a text of thousands of values took minutes to excerpt."""
    ordered = sorted(bounds(span) for span in taken)
    starts = [start for start, _ in ordered]
    reach = list(accumulate((end for _, end in ordered), max))  # reach[k]: the furthest end of ordered[:k + 1]
    kept = []
    for candidate in candidates:
        start, end = bounds(candidate)
        before = bisect_left(starts, end)  # the taken spans that start before the candidate ends
        if not (before and reach[before - 1] > start):
            kept.append(candidate)
    return kept


Part = tuple[str, bool]  # a piece of sanitised text, and whether it is a masked value's placeholder


def _parts(text: str, spans: list[Span], outside: Callable[[str], str]) -> list[Part]:
    parts, position = [], 0
    for start, end, replacement in spans:
        parts.append((outside(text[position:start]), False))
        parts.append((replacement, True))
        position = end
    parts.append((outside(text[position:]), False))
    return parts


def _replace(text: str, spans: list[Span], outside: Callable[[str], str]) -> str:
    return "".join(part for part, _ in _parts(text, spans, outside))


def _hidden_runs(text: str) -> list[tuple[int, int]]:
    """Spans a terminal would not show as characters: ANSI sequences and single control or format characters
    (newline and tab are whitespace and stay)."""
    if text.replace("\n", " ").replace("\t", " ").isprintable():
        # No control or format character (nor an ANSI sequence, which starts with one): only the selectors and
        # fillers can hide, so only they are looked at. Checking every character made a 1,850-character chat
        # turn with one emoji (its VS16) 50x slower to scan.
        return [(m.start(), m.end()) for m in _INVISIBLE.finditer(text) if _idle_invisible(text, m.start())]
    runs = [(m.start(), m.end()) for m in _ANSI.finditer(text)] if "\x1b" in text or "\x9b" in text else []
    covered = {i for a, b in runs for i in range(a, b)}
    runs += [(i, i + 1) for i, ch in enumerate(text)
             if i not in covered and ch not in "\n\t" and (unicodedata.category(ch) in _HIDDEN or _idle_invisible(text, i))]
    return sorted(runs)


def reading_view(text: str) -> tuple[str, list[int]] | None:
    """The text as a terminal shows it (ANSI sequences, zero-width and other control characters taken out, and the
    selectors and fillers that do no job where they stand, `_idle_invisible`), and where each of its characters is
    in text; None when nothing is hidden. Values are looked for in this view, so a control character cannot hide an
    address from the masker, the pii check or redact."""
    if ((text.isprintable() or text.replace("\n", " ").replace("\t", " ").isprintable())  # C-speed: most texts
            and not _INVISIBLE.search(text)):
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


def sanitise(text: str, *, keep_newlines: bool = False) -> str:
    """text with every sensitive value masked and every control or format character shown as a visible escape,
    untruncated; its newlines spaces unless kept (report.json keeps them: an annotator "carol\nsmith" must stay
    matchable, and JSON writes the newline as an escape). Values are looked for in the reading view; a control
    inside a masked value goes with it, any other is shown as its escape. A report shows text through `one_line`."""
    return "".join(part for part, _ in sanitised_parts(text, keep_newlines=keep_newlines))


def one_line(text: object) -> str:
    """text as every report (the terminal summary, report.md, report.html) shows it, uncut: excerpt() without a
    limit, so a line break in a name or a path reads " ⏎ " in all of them. The terminal showed "carol smith"
    (a space, as sanitise makes one) where report.md showed "carol ⏎ smith", and "b/part two.jsonl" for a file
    "b/part\ntwo.jsonl", which reads as one that does not exist."""
    return excerpt(text, sys.maxsize, markdown=False)


def one_line_parts(text: str) -> tuple[str, list[tuple[int, int]]]:
    """one_line(text), and where each masked value's placeholder stands in it, for a caller that cuts the text
    itself (a cut must not enter a placeholder)."""
    return _one_line(sanitised_parts(text, keep_newlines=True))


def sanitised_parts(text: str, *, keep_newlines: bool = False) -> list[Part]:
    """sanitise(text) in pieces, each placeholder one piece, so that an excerpt can cut around them; with
    keep_newlines, the newlines left in them (see visible_controls)."""
    def outside(piece: str) -> str:
        return visible_controls(piece, keep_newlines=keep_newlines)

    view = reading_view(text)
    if view is None:
        plain = text.isprintable() and not _INVISIBLE.search(text) and (text.isascii() or not CYRILLIC_GREEK.search(text))
        return _parts(text, _spans(text), str if plain else outside)
    shown, origin = view
    spans = [(origin[start], origin[end - 1] + 1, replacement) for start, end, replacement in _spans(shown)]
    spans += disjoint_from(spans, _spans(hidden_blanked(text)), _bounds)
    return _parts(text, sorted(spans), outside)


def hidden_blanked(text: str) -> str:
    """text with each control or format character a space (the same positions). The reading view drops what an
    ANSI sequence's grammar would take ("\x9b a" reads as one CSI sequence), but an excerpt shows the control as
    an escape and the rest as typed: "¯\x9b a0@aa.com" showed a0@aa.com unmasked, and the pii check missed it.
    So values are looked for in this text too."""
    return "".join(" " if unicodedata.category(ch) in _HIDDEN else ch for ch in text)


def mask(text: str) -> str:
    """text with every sensitive value replaced by its masked form (control characters left as they are)."""
    spans = _spans(text)
    return _replace(text, spans, str) if spans else text


ZWNJ, ZWJ = "\u200c", "\u200d"
# Format characters that hide nothing and that scripts need, shown as themselves where they do their job; anywhere
# else they are escaped like every other format character. A security reviewer's test: the character changes only
# how its neighbours are drawn, not which characters a reader believes are there or in what order.
# - ZWJ / ZWNJ between two letters (or marks) of a script that joins or forms conjuncts: Persian "mi<ZWNJ>khaham"
#   ("I want") is spelt with a ZWNJ, Devanagari half forms with a ZWJ. Between Latin letters they have no such use and are
#   escaped, as they are splitting a word or an address.
# - ZWJ between two emoji: a family or a profession emoji is drawn from its parts.
# - the tag characters of the three subdivision flags every platform draws (England, Scotland, Wales). Tags are
#   invisible ASCII ("ASCII smuggling" hides instructions in them), so any other tag run is escaped, even
#   a well-formed but unsupported flag, which shows as a bare black flag with its tags hidden.
# - LRM / RLM / ALM next to right-to-left text (or Arabic digits), where they settle the order of neutral
#   characters around a right-to-left word. They are strong characters, not embeddings: they open no level and
#   reach no further than the neutrals and numbers beside them, but in Latin text an RLM can still draw "1<RLM>-2"
#   as "2-1", so away from right-to-left text, where they have no use, they are escaped.
# Zero-width space, word joiner, soft hyphen and a BOM stay escaped wherever they are: they split words and
# addresses ("pay<SHY>pal.com" reads as paypal.com) and no script needs them to be drawn right in a one-line excerpt.
# Emoji skin tones are visible symbols: always shown as themselves. Variation selectors, Hangul fillers, the combining
# grapheme joiner and the braille blank are letters, marks or symbols, not format characters, but draw nothing of their
# own: 256 selectors after an "a" carry a hidden message one byte each, and a run of Hangul fillers is an invisible
# name. They are shown as themselves only where they do the job below (`_idle_invisible`), escaped anywhere else.
_JOINING_SCRIPTS = ((0x0600, 0x08FF),  # Arabic, Syriac, Thaana, N'Ko, Samaritan, Mandaic, Arabic Extended
                    (0x0900, 0x0DFF),  # Devanagari to Sinhala
                    (0x0F00, 0x109F),  # Tibetan, Myanmar
                    (0x1780, 0x18AF),  # Khmer, Mongolian
                    (0xA8E0, 0xA8FF), (0xA9E0, 0xA9FF), (0xAA60, 0xAA7F),  # Devanagari Extended, Myanmar Extended
                    (0xFB50, 0xFDFF), (0xFE70, 0xFEFC))  # Arabic presentation forms
_DIRECTION_MARKS = frozenset("\u200e\u200f\u061c")
_RTL_CLASSES = frozenset(("R", "AL", "AN"))
_SUBDIVISION_FLAG = re.compile("\U0001f3f4(?:\U000e0067\U000e0062(?:\U000e0065\U000e006e\U000e0067|"
                               "\U000e0073\U000e0063\U000e0074|\U000e0077\U000e006c\U000e0073))\U000e007f")
_EMOJI_MODIFIERS = range(0x1F3FB, 0x1F400)


def _joining_letter(ch: str) -> bool:
    code = ord(ch)
    return unicodedata.category(ch)[0] in "LM" and any(a <= code <= b for a, b in _JOINING_SCRIPTS)


def _pictographic(ch: str) -> bool:
    """An emoji that a ZWJ may join (close to Unicode's Extended_Pictographic, which unicodedata does not give)."""
    code = ord(ch)
    return (unicodedata.category(ch) == "So" and (0x2000 <= code < 0x3300 or 0x1F000 <= code < 0x20000)) or code in (0xA9, 0xAE)


def _emoji_before(text: str, i: int) -> bool:
    j = i - 1
    while j >= 0 and (text[j] == "\ufe0f" or ord(text[j]) in _EMOJI_MODIFIERS):  # the rainbow flag's white flag + VS16, a skin-toned person
        j -= 1
    return j >= 0 and _pictographic(text[j])


def _shown_as_itself(text: str, i: int) -> bool:
    ch = text[i]
    before = text[i - 1] if i > 0 else ""
    after = text[i + 1] if i + 1 < len(text) else ""
    if ch in (ZWJ, ZWNJ):
        if before and after and _joining_letter(before) and _joining_letter(after):
            return True
        return ch == ZWJ and bool(after) and _pictographic(after) and _emoji_before(text, i)
    if ch in _DIRECTION_MARKS:
        return any(c and unicodedata.bidirectional(c) in _RTL_CLASSES for c in (before, after))
    return False


# Characters that draw nothing of their own though they are not format characters (see above).
_INVISIBLE = re.compile("[\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180d\u180f\u2800\u3164\ufe00-\ufe0f\uffa0"
                        "\U000e0100-\U000e01ef]")
CGJ, BRAILLE_BLANK = "\u034f", "\u2800"
_HANGUL_FILLERS = frozenset("\u115f\u1160\u3164\uffa0")
_MONGOLIAN_SELECTORS = frozenset("\u180b\u180c\u180d\u180f")
# A character with an emoji presentation sequence (VS15 text, VS16 emoji) that _pictographic does not take: the keycap
# bases and a few punctuation marks and letterlike symbols.
_EMOJI_TEXT_BASES = frozenset("#*0123456789\u203c\u2049\u2139\u3030\u303d")
# Bases of Unicode's standardized variation sequences with VS1-VS14 (StandardizedVariants.txt), by block: Myanmar,
# Phags-pa, Manichaean, Egyptian hieroglyphs, CJK punctuation and ideographs; math symbols are taken by category.
_STANDARD_VARIANT_BLOCKS = ((0x1000, 0x109F), (0xA9E0, 0xA9FF), (0xAA60, 0xAA7F), (0xA840, 0xA87F), (0x10AC0, 0x10AFF),
                            (0x13000, 0x1345F), (0x3000, 0x303F), (0xFF00, 0xFF1F))
# Ideographs, the bases of the ideographic variation sequences (VS17-VS256: a Japanese name's exact kanji).
_IDEOGRAPHS = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x323AF))


def _within(ch: str, blocks: tuple[tuple[int, int], ...]) -> bool:
    """Whether ch (a character, or "" past either end of the text) is in one of the blocks."""
    return bool(ch) and any(a <= ord(ch) <= b for a, b in blocks)


def _selector(ch: str) -> bool:
    code = ord(ch)
    return 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF or ch in _MONGOLIAN_SELECTORS


def _hangul(ch: str) -> bool:
    return ch not in _HANGUL_FILLERS and _within(ch, ((0x1100, 0x11FF), (0x3131, 0x318E), (0xA960, 0xA97F),
                                                      (0xAC00, 0xD7FF), (0xFFA1, 0xFFDC)))


def _idle_invisible(text: str, i: int) -> bool:
    """Whether text[i] draws nothing and does no job where it stands, so a reader cannot know it is there:
    - a variation selector: one only, right after a character it has a variation of (VS15/VS16 after an emoji or
      a keycap base, VS1-VS14 after a math symbol or a character of the scripts that have standardized variants, VS17-VS256
      after an ideograph, a Mongolian selector after a Mongolian letter); a run of selectors is always idle;
    - a Hangul filler: U+115F / U+1160 standing for the missing consonant or vowel of an Old Hangul syllable, U+3164 /
      U+FFA0 alone beside Hangul;
    - the combining grapheme joiner between a letter or mark and the mark it keeps apart (German "u" + CGJ + trema);
    - the braille blank beside braille."""
    ch = text[i]
    if not _INVISIBLE.match(ch):
        return False
    before = text[i - 1] if i > 0 else ""
    after = text[i + 1] if i + 1 < len(text) else ""
    if _selector(ch):
        if not before or _selector(before) or (after and _selector(after)):
            return True
        code = ord(ch)
        if ch in _MONGOLIAN_SELECTORS:
            return not 0x1820 <= ord(before) <= 0x18AA
        if code >= 0xE0100:
            return not _within(before, _IDEOGRAPHS)
        symbol = ord(before) > 0x7F and unicodedata.category(before) in ("Sm", "So")
        if code >= 0xFE0E:
            return not (symbol or _pictographic(before) or before in _EMOJI_TEXT_BASES)
        return not (symbol or before == "0" or _within(before, _IDEOGRAPHS + _STANDARD_VARIANT_BLOCKS))
    if ch == "\u115f":  # choseong filler: a vowel follows, or the vowel filler and a final consonant
        return not (_within(after, ((0x1161, 0x11A7), (0xD7B0, 0xD7C6)))
                    or (after == "\u1160" and i + 2 < len(text) and _within(text[i + 2], ((0x11A8, 0x11FF), (0xD7CB, 0xD7FB)))))
    if ch == "\u1160":  # jungseong filler: after a leading consonant, or after the choseong filler before a final one
        return not (_within(before, ((0x1100, 0x115E), (0xA960, 0xA97C)))
                    or (before == "\u115f" and _within(after, ((0x11A8, 0x11FF), (0xD7CB, 0xD7FB)))))
    if ch in _HANGUL_FILLERS:
        return before in _HANGUL_FILLERS or after in _HANGUL_FILLERS or not (_hangul(before) or _hangul(after))
    if ch == CGJ:
        return not (after and unicodedata.category(after)[0] == "M" and not _INVISIBLE.match(after)
                    and before and unicodedata.category(before)[0] in "LM" and not _INVISIBLE.match(before))
    if ch == BRAILLE_BLANK:
        return not any(c and 0x2801 <= ord(c) <= 0x28FF for c in (before, after))
    return True  # the Khmer inherent vowels: deprecated, drawn as nothing


def visible_controls(text: str, *, keep_newlines: bool = False) -> str:
    """Control and format characters (ANSI escapes, bidi overrides, NUL, lone surrogates, zero-width spaces), and
    variation selectors and blank fillers that do no job, as visible escapes; the few that scripts and emoji need
    are shown as themselves where they do that job (above); Cyrillic and Greek letters disguised as Latin inside a
    Latin word too (`disguised_letters_shown`). Tabs are spaces, and so are line ends (LF, CR LF, CR) unless kept
    (for excerpt(), which shows where each was)."""
    return disguised_letters_shown(_controls_shown(text, keep_newlines))


# A label "bіlling" with a Cyrillic і is another class than "billing" (the key keeps it apart: a word of one
# script never folds, normalize.latin_lookalikes_folded) yet was drawn identically in every report, two "billing"
# rows. Inside a word that mixes Latin letters with Cyrillic or Greek ones, those that Unicode's confusables draw
# as a Latin letter are shown as escapes (b\u0456lling), as a zero-width character is; words of one script stay.
CYRILLIC_GREEK = re.compile("[\u0370-\u03ff\u0400-\u052f]")


def disguised_letters_shown(text: str) -> str:
    if text.isascii() or not CYRILLIC_GREEK.search(text):
        return text
    from .normalize import disguised_words_changed

    return disguised_words_changed(text, lambda word, table: "".join(
        _escaped(ch) if ord(ch) in table or ord(ch.lower()) in table else ch for ch in word))


def _controls_shown(text: str, keep_newlines: bool) -> str:
    if "\r" in text:  # a Windows or old Mac line end is a line break, not a control to show as "\x0d"
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    plain = text.replace("\n", " ").replace("\t", " ")
    if plain.isprintable():  # C-speed: only a selector or filler can need an escape (see _hidden_runs)
        shown = text.replace("\t", " ") if keep_newlines else plain
        return _INVISIBLE.sub(lambda m: _escaped(m.group()) if _idle_invisible(text, m.start()) else m.group(), shown)
    flags = ({i for m in _SUBDIVISION_FLAG.finditer(text) for i in range(m.start() + 1, m.end())}
             if "\U0001f3f4" in text else set())
    out = []
    for i, ch in enumerate(text):
        if ch in "\n\t":
            out.append("\n" if ch == "\n" and keep_newlines else " ")
            continue
        category = unicodedata.category(ch)
        if ((category in _HIDDEN and ch != " " and i not in flags and not (category == "Cf" and _shown_as_itself(text, i)))
                or _idle_invisible(text, i)):
            out.append(_escaped(ch))
        else:
            out.append(ch)
    return "".join(out)


def _escaped(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def neutralise_markdown(text: str, *, starts_block: bool = True) -> str:
    """text as inert Markdown, one line of it: see _MARKDOWN, _HTML_SPECIAL, _AUTOLINK, _REFERENCE, and _BLOCK_MARKER
    unless the caller knows the text cannot start a block (a table cell's content: "| - |" is text)."""
    entities = text.translate(_HTML_SPECIAL) if "&" in text or "<" in text or ">" in text else text
    escaped = _AUTOLINK.sub(lambda m: "\\" + m.group(0), _MARKDOWN.sub(r"\\\1", entities))
    if starts_block:
        escaped = _BLOCK_MARKER.sub(lambda m: m.group()[:-1] + "\\" + m.group()[-1], escaped, count=1)
    return _REFERENCE.sub(WORD_JOINER, escaped)


# A control character's escape, as visible_controls writes it: cut in half it would end an excerpt in a dangling
# backslash or a string of hex digits that reads as text.
_ESCAPE = re.compile(r"\\(?:x[0-9a-f]{2}|u[0-9a-f]{4}|U[0-9a-f]{8})")
_LONGEST_ESCAPE = 10


def _boundary(text: str, i: int) -> bool:
    """Whether an excerpt may be cut between text[i - 1] and text[i]: not inside an escape, nor inside a grapheme
    cluster as a reader sees one (UAX #29's rules that matter here; the stdlib has no segmentation and `regex`
    is not a dependency): a letter and its combining marks, an emoji and its skin tone or variation selector,
    a ZWJ or ZWNJ and what it joins, a regional-indicator pair (a flag), an Indic virama and the consonant it
    joins (Hindi "ksha"), Hangul jamo, a flag's tag characters, a direction mark and the text it sets."""
    if i <= 0 or i >= len(text):
        return True
    if "\\" in text[max(i - _LONGEST_ESCAPE + 1, 0):i]:
        for match in _ESCAPE.finditer(text, max(i - _LONGEST_ESCAPE + 1, 0), i + _LONGEST_ESCAPE):
            if match.start() < i < match.end():
                return False
    before, after = text[i - 1], text[i]
    code = ord(after)
    # Thai and Lao SARA AM are letters (Lo) that UAX #29 joins to the cluster before them (SpacingMark): "น้ำ" cut
    # before it read "น้".
    if (unicodedata.category(after) in ("Mn", "Me", "Mc") or after in (ZWJ, ZWNJ, "\u0e33", "\u0eb3") or code in _EMOJI_MODIFIERS
            or 0xE0020 <= code <= 0xE007F or 0x1160 <= code <= 0x11FF or 0xD7B0 <= code <= 0xD7FF):
        return False
    if before in (ZWJ, ZWNJ) or before in _DIRECTION_MARKS:
        return False
    if unicodedata.combining(before) == 9 and unicodedata.category(after).startswith("L"):  # virama + consonant
        return False
    if _regional_indicator(after):
        run = 0
        while i - 1 - run >= 0 and _regional_indicator(text[i - 1 - run]):
            run += 1
        return run % 2 == 0  # flags pair up from the start of the run
    return True


def _regional_indicator(ch: str) -> bool:
    return 0x1F1E6 <= ord(ch) <= 0x1F1FF


def _one_line(parts: list[Part]) -> tuple[str, list[tuple[int, int]]]:
    """The sanitised pieces joined with each run of whitespace one space, or LINE_BREAK where it held a line break,
    and none at either end, and where each placeholder stands in the result (a cut must not fall inside one:
    "key <SECRET …" cut to "key <…" read as a value's head)."""
    pieces, placeholders, length, after_space = [], [], 0, True
    for i, (piece, placeholder) in enumerate(parts):
        if not placeholder:
            piece = piece.rstrip() if i == len(parts) - 1 else piece
            piece = _SPACE.sub(_collapsed_space, piece.lstrip() if after_space else piece)
        if placeholder:
            placeholders.append((length, length + len(piece)))
        else:
            placeholders.extend((length + m.start(), length + m.end()) for m in _MASKED_SHAPE.finditer(piece))
        if piece:
            pieces.append(piece)
            length += len(piece)
            after_space = piece.endswith(" ")
    return "".join(pieces).rstrip(), placeholders


def _collapsed_space(run: re.Match) -> str:
    return LINE_BREAK if not _LINE_BREAKS.isdisjoint(run.group()) else " "


def _without_break_at_end(head: str) -> str:
    """A head cut after a line break's sign ends before it: "hi ⏎…" read as a cut in a line that is not there."""
    head = head.rstrip()
    return head[:-1].rstrip() if head.endswith(LINE_BREAK.strip()) else head


def _without_break_at_start(tail: str) -> str:
    tail = tail.lstrip()
    return tail[1:].lstrip() if tail.startswith(LINE_BREAK.strip()) else tail


def _head_end(value: str, placeholders: list[tuple[int, int]], end: int) -> int:
    """Where a head of at most `end` characters may end: at a boundary, before a placeholder it would cut."""
    while end > 0 and not _boundary(value, end):
        end -= 1
    for start, stop in placeholders:
        if start < end < stop:
            return start
    return end


def _tail_start(value: str, placeholders: list[tuple[int, int]], start: int) -> int:
    """Where a tail from `start` or later may begin: at a boundary, after a placeholder it would cut."""
    while start < len(value) and not _boundary(value, start):
        start += 1
    for first, stop in placeholders:
        if first < start < stop:
            return stop
    return start


def excerpt(text: object, limit: int = DEFAULT_LIMIT, *, markdown: bool = True, keep_end: bool = False,
            keep_both: bool = False) -> str:
    """Safe, short, single-line text for reports. markdown=False keeps Markdown characters as they are
    (for outputs that escape them on their own, such as CSV); control characters and masking always apply.
    keep_end=True truncates at the start instead, for text whose end tells it apart (a file path's name);
    keep_both=True cuts the middle out, for names that differ at either end. A masked value's placeholder is
    kept whole or left out, never cut."""
    if text is None:
        return ""
    value, placeholders = _one_line(sanitised_parts(str(text), keep_newlines=True))
    if len(value) > limit:
        kept = max(limit - 1, 0)
        if keep_both:
            end = _head_end(value, placeholders, kept - kept // 2)
            start = _tail_start(value, placeholders, max(len(value) - kept // 2, end))
            value = _without_break_at_end(value[:end]) + ELLIPSIS + _without_break_at_start(value[start:])
        elif keep_end:
            value = ELLIPSIS + _without_break_at_start(value[_tail_start(value, placeholders, len(value) - kept):])
        else:
            value = _without_break_at_end(value[:_head_end(value, placeholders, kept)]) + ELLIPSIS
    return neutralise_markdown(value) if markdown else value


def plain_excerpt(text: object, limit: int = DEFAULT_LIMIT) -> str:
    """The excerpt a result stores: masked, control-free, truncated, Markdown left as typed (each renderer
    escapes for its own format, so a Markdown escape here would show as a stray backslash in the terminal)."""
    return excerpt(text, limit, markdown=False)


# A label named in a report line or figure, and in the size check's summary, which names a label as those do.
LABEL_WIDTH = 40


# The tag a shown name gets where cutting its middle out still leaves it reading like another's: hex digits of the
# SHA-256 of the whole name, so one name reads the same in every table and figure of every report. Only a name with
# nothing masked gets one: two names read alike after the cut because a masked value was their only difference,
# and a digest of "refund request from +1 415 555 0958" is a digest of the million numbers its placeholder leaves
# to guess, so it gave the number back. A masked name is tagged by its place among the names that read like it
# instead (#1, #2), in the order of their raw values: numbered in the order they came, a label was #1 in the balance
# table (ordered by count) and #2 in a file's shares (its own order), and two labels that traded places between
# runs traded numbers too, so a comparison read no change.
NAME_TAG_CHARS = 6


def distinct_texts(values: Iterable[object], limit: int) -> dict[object, str]:
    """Each value's text at `limit`, no two alike: a plot keyed by "customer_request_category_refund_and_bi…"
    drew two labels as one bar (and dropped the larger), a table listed two annotators under one name. Where the
    heads collide the middle is cut out instead (the end usually tells them apart); where that collides too,
    each gets a tag: of its digest where nothing in it was masked, of its place among the values that read like it
    otherwise, in the order of their raw values, whatever order they came in (and whatever a digest tag still
    leaves alike is numbered too)."""
    shown = {value: excerpt(value, limit, markdown=False) for value in dict.fromkeys(values)}
    clashing = _clashing(shown)
    if clashing:
        shown.update({value: excerpt(value, limit, markdown=False, keep_both=True) for value in clashing})
        clashing = _clashing(shown)
    if clashing:
        numbered = [value for value in clashing if _masked(value)]
        shown.update({value: _tagged(value, limit, _digest_tag(value)) for value in clashing if value not in numbered})
        numbered_set = set(numbered) | set(_clashing(shown))
        _number(shown, [value for value in shown if value in numbered_set], limit)
    return shown


def _masked(value: object) -> bool:
    """Whether the value's text hides part of it (a masked value, or a control character shown as its escape)."""
    return sanitise(str(value)) != str(value)


def _digest_tag(value: object) -> str:
    return hashlib.sha256(str(value).encode("utf-8", "surrogatepass")).hexdigest()[:NAME_TAG_CHARS]


def _number(shown: dict[object, str], numbered: list[object], limit: int) -> None:
    """Tags each of `numbered` with the lowest place number left, among the values that read like it, that makes
    its text one no other value has (a tag of distinct numbers cannot clash, unlike a digest cut short). Places go
    in the order of the raw values, so a value's number depends on which values read like it, never on the order
    they came in."""
    renamed = set(numbered)
    taken = {reads for value, reads in shown.items() if value not in renamed}
    alike: dict[str, list[object]] = {}
    for value in numbered:
        alike.setdefault(shown[value], []).append(value)
    for reads in sorted(alike):
        place = 0
        for value in sorted(alike[reads], key=_raw_order):
            place += 1
            while _tagged(value, limit, str(place)) in taken:
                place += 1
            shown[value] = _tagged(value, limit, str(place))
            taken.add(shown[value])


def _raw_order(value: object) -> tuple[str, str, str]:
    return str(value), type(value).__name__, repr(value)


def _clashing(shown: dict[object, str]) -> list[object]:
    readers = Counter(shown.values())
    return [value for value, reads in shown.items() if readers[reads] > 1]


def _tagged(value: object, limit: int, tag: str) -> str:
    """The value's text with its middle cut out to make room for " #tag" within limit."""
    suffix = f" #{tag}"
    return excerpt(value, max(limit - len(suffix), 1), markdown=False, keep_both=True) + suffix
