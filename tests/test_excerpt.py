"""excerpt(): the one function every report excerpt passes through. Property-based: whatever the text, the
excerpt is bounded, has no control character, and once a renderer escapes it, no live Markdown or HTML."""

from __future__ import annotations

import html
import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dataaudit.excerpt import excerpt, plain_excerpt
from dataaudit.render.markdown import cell

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # man ZWJ woman ZWJ girl ZWJ boy
ENGLAND = "\U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f"  # black flag, tags "gbeng", cancel
PERSIAN = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"  # "I want", spelt with a ZWNJ
INTL_PIECES = [FAMILY, ENGLAND, PERSIAN, "\U0001f44d\U0001f3fd", "\U0001f1ef\U0001f1f5", "e\u0301", "\u0915\u094d\u0937",
               "\u05e9\u05dc\u05d5\u05dd\u200f", "\u200d", "\u200c", "\u200f", "\U000e0067", "\\u200b"]
HOSTILE_PIECES = ["[click](http://evil.example)", "![img](http://evil.example/x.png)", "<img src=x onerror=alert(1)>",
                  "<script>alert(1)</script>", "\x1b[31m", "\x1b]8;;http://x\x07", "\u202e", "\x00", "`code`", "**bold**",
                  "| pipe |", "[ref]: http://evil.example", "<https://evil.example>", "\ud800", "\r\n", "&lt;",
                  "\ufe0f", "\U000e0100", "\u3164", "\u115f", "\u1160", "\u034f", "\u2800"]
texts = st.lists(st.one_of(st.sampled_from(HOSTILE_PIECES + INTL_PIECES), st.text(max_size=40)), max_size=12).map("".join)


# Format characters an excerpt may show as themselves, in the contexts excerpt.visible_controls allows (joiners,
# direction marks, a subdivision flag's tags): none of them reorders text beyond itself or hides characters.
_SHOWN_FORMAT = set("\u200c\u200d\u200e\u200f\u061c") | {chr(c) for c in range(0xE0020, 0xE0080)}


def _controls(value: str) -> list[str]:
    return [ch for ch in value if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") and ch not in _SHOWN_FORMAT]


@settings(max_examples=300, deadline=None)
@given(texts, st.integers(min_value=1, max_value=300))
def test_excerpt_is_bounded_single_line_and_control_free(text, limit):
    for markdown in (True, False):
        value = excerpt(text, limit, markdown=markdown)
        # The one format character an excerpt may hold: the word joiner Markdown puts after "@" and "#".
        shown = re.sub(r"(?i)(?<=gh)\u2060(?=-)", "", value.replace("@\u2060", "@").replace("#\u2060", "#"))
        assert _controls(shown) == [] and "\n" not in value
        if not markdown:
            assert len(value) <= limit


@settings(max_examples=300, deadline=None)
@given(texts)
def test_markdown_cells_have_no_live_link_image_or_html(text):
    value = cell(text, 2000)
    assert "<" not in value and ">" not in value  # HTML-escaped
    assert not re.search(r"(?<!\\)!?\[[^\]]*(?<!\\)\]\((?!\s)", value)  # [x](...) or ![x](...) left live
    assert not re.search(r"(?<!\\)`", value)


LIVE_MARKUP = re.compile(r"<(a|img|code|em|strong|s|del|h[1-6]|ul|ol|li|blockquote|pre|hr|script)\\b")


@settings(max_examples=300, deadline=None)
@given(texts)
def test_a_commonmark_parser_finds_no_markup_in_a_table_cell(text):
    """Rendered as a PR renders it (CommonMark with tables and strikethrough), a cell is one plain cell."""
    from markdown_it import MarkdownIt

    parser = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    rendered = parser.render(f"| a | b |\n|---|---|\n| {cell(text, 2000)} | x |\n")
    assert not LIVE_MARKUP.search(rendered)
    assert rendered.count("<td>") == 2  # no pipe split the row


def test_parentheses_and_exclamation_marks_stay_as_typed():
    assert cell("1 record(s) hold credentials! See [this](http://x)") == "1 record(s) hold credentials! See \\[this\\](http\\://x)"


BARE_URLS = "see https://evil.example/x, http://evil.example/t.png, ftp://f.example and www.evil.example or WWW.EVIL.EXAMPLE"


def test_bare_urls_are_not_links_on_github():
    """GitHub's Markdown links a bare "https://..." or "www...." (the autolink extension): a cell escapes the
    ':' of "://" and the '.' after "www", which shows the text as typed and links nothing."""
    value = cell(BARE_URLS, 400)
    assert not re.search(r"(?<!\\)://|(?i:www)(?<!\\)\.", value), value
    assert value.replace("\\", "") == BARE_URLS
    from markdown_it import MarkdownIt

    rendered = MarkdownIt("commonmark").render(value)
    assert "<a" not in rendered and html.unescape(re.sub(r"<[^>]+>", "", rendered)).strip() == BARE_URLS


def test_bare_urls_are_not_links_in_cmark_gfm():
    cmarkgfm = pytest.importorskip("cmarkgfm")  # GitHub's own renderer, where it is installed
    rendered = cmarkgfm.github_flavored_markdown_to_html(f"| a |\n|---|\n| {cell(BARE_URLS, 400)} |\n")
    assert "<a" not in rendered and BARE_URLS in html.unescape(rendered)


@settings(max_examples=200, deadline=None)
@given(texts)
def test_html_escaping_on_top_of_the_excerpt_leaves_no_tag(text):
    from dataaudit.render.html import esc

    value = esc(text)
    assert "<" not in value and ">" not in value and _controls(value) == []
    assert html.unescape(value) == excerpt(text, 100_000, markdown=False)


def test_known_cases():
    assert excerpt("a\x1b[31mb") == "a\\\\x1b\\[31mb"  # visible escape, then Markdown-neutralised
    assert excerpt("a\x1b[31mb", markdown=False) == "a\\x1b[31mb"
    assert excerpt("x" * 10, 5, markdown=False) == "xxxx…"
    assert excerpt("line one\nline two\t end", markdown=False) == "line one \u23ce line two end"  # the line break shown
    assert excerpt(None) == ""


@pytest.mark.parametrize("text, shown", [
    ("mail alice.smith@exam\x1b[0mple.com please", "mail <EMAIL ….com #7dcd> please"),  # an ANSI reset inside the address
    ("mail alice\u200b.smith@example.com please", "mail <EMAIL ….com #7dcd> please"),  # a zero-width space inside it
    ("\x1b[31mRED\x1b[0m bob@evil.example.com\u202e", "\\x1b[31mRED\\x1b[0m <EMAIL ….com #a191>\\u202e"),  # controls outside stay visible
])
def test_control_characters_cannot_hide_a_value_from_the_masker(text, shown):
    assert excerpt(text, markdown=False) == shown


MATH_AND_MENTIONS = "total $\\color{red}{HACKED}$ and $$x^2$$, cc @octocat and team@ (price $5)"


def test_github_math_and_mentions_are_shown_as_typed():
    value = cell(MATH_AND_MENTIONS, 400)
    # "@name" keeps a word joiner after the sign: GitHub resolves mentions after rendering, past the backslash.
    assert value == "total \\$\\\\color\\{red\\}\\{HACKED\\}\\$ and \\$\\$x^2\\$\\$, cc \\@\u2060octocat and team\\@ (price \\$5)"
    assert not re.search(r"(?<!\\)[$@]", value)
    cmarkgfm = pytest.importorskip("cmarkgfm")  # GitHub's own renderer, where it is installed
    rendered = cmarkgfm.github_flavored_markdown_to_html(f"| a |\n|---|\n| {value} |\n")
    shown = html.unescape(re.sub(r"<[^>]+>", "", rendered))
    assert shown.replace("\u2060", "").split() == ["a", *MATH_AND_MENTIONS.split()]
    assert "@\u2060octocat" in shown  # reads "@octocat", and is no mention


def test_issue_references_and_mentions_cannot_link_on_github():
    """GitHub links "#123" and "@name" after rendering; a word joiner after the sign keeps them plain text."""
    assert excerpt("see order #42 and ask @ops-team, total 5 # items") == \
        "see order \\#\u206042 and ask \\@\u2060ops-team, total 5 \\# items"
    assert excerpt("see order #42", markdown=False) == "see order #42"  # only Markdown output is touched
    assert excerpt("stuck, see GH-45 (not ghost-1)") == "stuck, see GH\u2060-45 (not ghost-1)"


@pytest.mark.parametrize("text", [FAMILY, ENGLAND, PERSIAN, "\u0915\u094d\u200d\u0937",  # Devanagari half form
                                  "\U0001f3f3\ufe0f\u200d\U0001f308",  # rainbow flag: white flag, VS16, ZWJ, rainbow
                                  "\U0001f44d\U0001f3fd", "\u05e9\u05dc\u05d5\u05dd\u200f!", "(\u200f\u05e9\u05dc\u05d5\u05dd)"])
def test_script_and_emoji_joiners_are_shown_as_themselves(text):
    """ZWJ emoji, a Persian ZWNJ, a subdivision flag, an RLM next to Hebrew: what the text needs to be drawn right."""
    assert excerpt(text, markdown=False) == text


@pytest.mark.parametrize("text, shown", [
    ("a\u200db", "a\\u200db"),  # a ZWJ between Latin letters joins nothing: it splits a word
    ("pay\u200cpal", "pay\\u200cpal"),
    ("\U0001f468\u200d", "\U0001f468\\u200d"),  # a ZWJ that joins no second emoji
    ("1\u200f-2", "1\\u200f-2"),  # an RLM in Latin text would draw "2-1"
    ("\U0001f3f4\U000e0041\U000e0042\U000e0043\U000e007f", "\U0001f3f4\\U000e0041\\U000e0042\\U000e0043\\U000e007f"),  # smuggled ASCII
    ("\u05e9\u202e\u05dc", "\u05e9\\u202e\u05dc"),  # an override stays visible even in Hebrew text
    ("soft\xadhyphen", "soft\\xadhyphen"),
    ("\u0645\u06cc\u200b\u062e", "\u0645\u06cc\\u200b\u062e"),  # a zero-width space splits even Persian
])
def test_joiners_and_marks_elsewhere_stay_escaped(text, shown):
    assert excerpt(text, markdown=False) == shown


def test_a_zero_width_joiner_cannot_hide_an_address_from_the_masker():
    for joiner in ("\u200d", "\u200c", "\u200f"):
        assert excerpt(f"mail alice{joiner}.smith@example.com please", markdown=False) == "mail <EMAIL ….com #7dcd> please"


@pytest.mark.parametrize("text, limit, shown", [
    ("ab" + FAMILY + "cd", 10, "ab" + FAMILY + "…"),
    ("ab" + FAMILY + "cd", 6, "ab…"),  # never "ab👨\u200d…"
    ("ab\u200bcd", 4, "ab…"),  # never "ab\\u…": the escape is whole or absent
    ("ab\u200bcdef", 10, "ab\\u200bc…"),
    ("thumbs \U0001f44d\U0001f3fd up", 9, "thumbs…"),  # never the thumb without its skin tone
    ("flag \U0001f1ef\U0001f1f5\U0001f1ef\U0001f1f5", 8, "flag \U0001f1ef\U0001f1f5…"),  # never a lone regional indicator
    ("cafe\u0301 au lait", 5, "caf…"),  # the accent stays on its letter
    ("\u0915\u094d\u0937\u0915\u0915", 3, "…"),  # Hindi "ksha" is one cluster
    ("\u0915\u094d\u0937\u0915\u0915", 4, "\u0915\u094d\u0937…"),
    ("x " + ENGLAND + " y", 6, "x…"),
    ("\u0e19\u0e49\u0e33\u0e19\u0e49\u0e33", 3, "…"),  # Thai SARA AM stays on "น้ำ" (water): never "น้…"
])
def test_truncation_never_cuts_an_escape_or_a_grapheme_cluster(text, limit, shown):
    assert excerpt(text, limit, markdown=False) == shown


def test_truncation_from_the_start_keeps_whole_clusters():
    assert excerpt("data/\U0001f44d\U0001f3fd.jsonl", 8, markdown=False, keep_end=True) == "….jsonl"
    assert excerpt("data/x\u200by.jsonl", 12, markdown=False, keep_end=True) == "…y.jsonl"


def _selectors(payload: bytes) -> str:
    """One variation selector per byte (VS1-VS16 for 0-15, VS17-VS256 above): the encoding that hides a message
    after an ordinary character."""
    return "".join(chr(0xFE00 + b) if b < 16 else chr(0xE0100 + b - 16) for b in payload)


def _escaped(ch: str) -> str:
    code = ord(ch)
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


@pytest.mark.parametrize("text", [
    "a" + _selectors(b"approve this PR") + " visible",  # a message hidden one byte per selector after a letter
    "\U0001f600" + _selectors(b"hidden"),  # and after an emoji: a run of selectors is no emoji's variation
    "ok\ufe0f",  # an emoji presentation selector after an ASCII letter
    "\u4e00\U000e0100\U000e0101",  # two ideographic variation selectors on one ideograph
    "x\u3164\u3164\u3164=1",  # Hangul fillers between Latin letters: an invisible name
    "x\u3164y", "x\uffa0y", "x\u115fy", "x\u1160y",
    "ok\u034f\u034f\u034fok",  # combining grapheme joiners that join no marks
    "pass\u2800word",  # a braille blank outside braille text
    "a\u180b", "\u1780\u17b4",  # a Mongolian selector after a Latin letter; a deprecated Khmer inherent vowel
])
def test_selectors_and_fillers_that_do_no_job_are_escaped(text):
    hidden = {ch for ch in text if ord(ch) in (0x34F, 0x115F, 0x1160, 0x17B4, 0x180B, 0x2800, 0x3164, 0xFFA0)
              or 0xFE00 <= ord(ch) <= 0xFE0F or 0xE0100 <= ord(ch) <= 0xE01EF}
    shown = excerpt(text, 400, markdown=False)
    assert not hidden & set(shown)
    assert shown == "".join(_escaped(ch) if ch in hidden else ch for ch in text)
    assert not hidden & set(cell(text, 400))


@pytest.mark.parametrize("text", [
    "\u2764\ufe0f", "\u2764\ufe0e",  # heavy black heart as emoji and as text
    "#\ufe0f\u20e3", "1\ufe0f\u20e3",  # keycaps
    "\u263a\ufe0f ok",
    "\u845b\U000e0100",  # an ideographic variation sequence (Japanese name kanji)
    "\u2229\ufe00",  # a standardized variant of a math symbol
    "\u1100\u1160", "\u115f\u1161",  # Old Hangul syllables with a filler for the missing jamo
    "\u1100\u1161\u034f\u0308",  # a CGJ between a letter and a mark
    "u\u034f\u0308",  # German trema vs umlaut, told apart by a CGJ
    "\u2813\u2811\u2807\u2807\u2815\u2800\u283a\u2815\u2817\u2807\u2819",  # "hello world" in braille
    "\u314b\u3164",  # a Hangul filler beside Hangul
    "\u1820\u180b",  # a Mongolian free variation selector on a Mongolian letter
    "\U0001f3f3\ufe0f\u200d\U0001f308",  # rainbow flag
])
def test_selectors_and_fillers_doing_their_job_are_shown_as_themselves(text):
    assert excerpt(text, markdown=False) == text


@pytest.mark.parametrize("hidden", ["\ufe0f", "\U000e0141", "\u3164", "\u034f", "\u2800", "\u115f"])
def test_an_invisible_selector_or_filler_cannot_hide_an_address_from_the_masker(hidden):
    assert excerpt(f"mail alice{hidden}.smith@example.com please", markdown=False) == "mail <EMAIL ….com #7dcd> please"


# Values of the number kinds and addresses as tickets write them, and what may stand between two of them.
VALUE_PIECES = ["+44 20 7946 0958", "(415) 555-2671", "+1 415-555-2671", "020 7946 0958", "4111 1111 1111 1111",
                "5500-0000-0000-0004", "378282246310005", "jane.doe@example.com", "GB82 WEST 1234 5698 7654 32",
                "DE89370400440532013000", "call", "card"]
SEPARATORS = [" ", ", ", "-", "\n", "", " and ", "/", ": ", "  ", "\t"]
value_texts = st.lists(st.tuples(st.sampled_from(VALUE_PIECES), st.sampled_from(SEPARATORS)), min_size=1,
                       max_size=6).map(lambda parts: "".join(piece + separator for piece, separator in parts))


@settings(max_examples=300, deadline=None)
@given(value_texts)
def test_masking_is_idempotent_on_texts_of_phone_card_email_and_iban_values(text):
    """A second pass finds nothing the first left: whatever it would mask, every excerpt shows unmasked."""
    from dataaudit.excerpt import sanitise

    once = sanitise(text)
    assert sanitise(once) == once


def test_a_phone_number_written_next_to_a_card_number_is_masked_in_one_pass():
    from dataaudit.excerpt import sanitise

    assert sanitise("call +44 20 7946 0958 4111 1111 1111 1111") == "call <PHONE …0958> <CREDIT_CARD …1111>"


# What the printable fast path of visible_controls and reading_view looks at (selectors, fillers, the CGJ, the
# braille blank) beside what decides whether a selector or filler does a job (Hangul, emoji, Latin, combining
# marks), and the whitespace that path maps (newline, tab).
FAST_PATH_ALPHABET = list("a\n\t 😀☺#1中\u034f\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180f\u1820\u2800\u2801\u3164"
                          "\ufe0f\ufe0e\ufe00\ufe01\ufe07\uffa0\U000e0100\U000e01ef\u0308ü\u1100\uac00\u2a00\u2200")
NUL = "\x00"  # not printable: a text ending in it takes the per-character path, where the NUL alone is escaped


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from(FAST_PATH_ALPHABET), max_size=12).map("".join))
def test_the_printable_fast_path_escapes_and_hides_what_the_per_character_path_does(text):
    from dataaudit.excerpt import reading_view, visible_controls

    assert text.replace("\n", " ").replace("\t", " ").isprintable()  # the fast path's texts
    slow = visible_controls(text + NUL)
    assert slow.endswith("\\x00") and visible_controls(text) == slow[:-len("\\x00")]
    view, origin = reading_view(text + NUL)  # the NUL taken out, the rest as the per-character path finds it
    assert reading_view(text) == (None if (view, origin) == (text, list(range(len(text)))) else (view, origin))


def test_a_text_exactly_the_limit_long_is_shown_whole_and_one_more_is_cut():
    assert excerpt("a" * 160, 160) == "a" * 160
    assert excerpt("a" * 161, 160) == "a" * 159 + "…"  # the ellipsis counts in the limit
    assert excerpt("a" * 5, 5, markdown=False) == "aaaaa"


def test_runs_of_spaces_are_one_space():
    assert excerpt("a  b \u00a0 c", markdown=False) == "a b c"


def test_an_address_after_a_c1_control_that_swallows_its_first_letter_in_the_terminal_view_is_still_masked():
    """hypothesis found "¯\x9b a0@aa.com" shown with a0@aa.com in clear: the reading view drops "\x9b a" as one
    CSI sequence, leaving "¯0@aa.com" (no address), while the excerpt shows the control as an escape and the
    rest as typed. Values are now looked for in the text as shown too. At 15 characters the placeholder does not
    fit and is left out whole."""
    for limit, placeholder in ((15, False), (60, True)):
        for shown in (excerpt("\u00af\x9b a0@aa.com", limit), plain_excerpt("\u00af\x9b a0@aa.com", limit)):
            assert "a0@aa.com" not in shown and ("EMAIL" in shown) is placeholder


PLACEHOLDER = re.compile(r"<[A-Z]+(?: [^<>]*)?>")


def test_a_cut_never_falls_inside_a_masked_values_placeholder():
    """The hostile report showed "or call <PHONE …0958> key <…": the secret's placeholder cut to its first
    character. Each placeholder is kept whole or left out, whichever end is kept."""
    source = "email me at bob@example.org or call +1 415 555 0958 key sk_live_abcdefghijklmnopqrstuvwxyz012345 and more text"
    whole = plain_excerpt(source, 500)
    assert whole.count("<") == 3 and "<SECRET …2345>" in whole
    for limit in range(8, len(whole) + 1):
        for shown in (plain_excerpt(source, limit), excerpt(source, limit, markdown=False, keep_end=True),
                      excerpt(source, limit, markdown=False, keep_both=True)):
            assert len(shown) <= limit
            assert shown.count("<") == shown.count(">") == len(PLACEHOLDER.findall(shown)), (limit, shown)
            assert all(p in whole for p in PLACEHOLDER.findall(shown))


def test_the_cut_before_a_placeholder_is_where_it_starts():
    shown = plain_excerpt("call +1 415 555 0958 key sk_live_abcdefghijklmnopqrstuvwxyz012345", 30)
    assert shown == "call <PHONE …958> key…"


def test_keep_both_cuts_the_middle_and_keeps_both_ends():
    name = "customer_request_category_refund_and_billing_dispute_high"
    shown = excerpt(name, 40, markdown=False, keep_both=True)
    assert shown == "customer_request_cat…illing_dispute_high"
    assert excerpt(name, 100, markdown=False, keep_both=True) == name


def test_an_excerpt_of_text_masked_before_keeps_its_placeholders_whole():
    """A result stores its excerpts masked; a renderer excerpts them again to its width, where the placeholders
    are text like any other: "… <PHONE …0958> key <…" read as a value's head."""
    from dataaudit.excerpt import plain_excerpt

    masked = plain_excerpt("email me at bob@example.org or call +1 415 555 0958 key "
                           "sk_live_51HxTestTestTestTestAbCdEfGhIjKlMnOpQrStUvWxYzEXAMPLE card arrive", 300)
    assert "<SECRET …MPLE>" in masked
    for limit in range(10, len(masked)):
        for cut in (excerpt(masked, limit, markdown=False), excerpt(masked, limit, markdown=False, keep_end=True),
                    excerpt(masked, limit, markdown=False, keep_both=True)):
            assert len(cut) <= limit
            assert cut.count("<") == cut.count(">"), (limit, cut)


def test_only_the_maskers_placeholders_are_kept_whole_not_a_templates_tokens():
    from dataaudit.excerpt import MASKED_KINDS
    from dataaudit.scan.pii import KINDS

    assert MASKED_KINDS == KINDS
    text = "system: answer with one word <LABEL_NAME> and stop at <EOS>"
    assert excerpt(text, 40, markdown=False) == "system: answer with one word <LABEL_NAM…"


def _rendered_text(markdown: str) -> str:
    """What a reader sees of rendered Markdown: tags dropped, references resolved, word joiners invisible."""
    return html.unescape(re.sub(r"<[^>]+>", "", markdown)).replace("\u2060", "").strip()


@pytest.mark.parametrize("text", ["- item", "+ item", "* item", "1. item", "12) item", "---", "===", "- - -", "***", "___",
                                  "> quoted", "# heading"])
def test_a_block_marker_at_the_start_stays_text_where_a_report_puts_an_excerpt_first(text):
    """report.md writes "- {excerpt}" and "1. {action}": an excerpt "- item" made a nested list, "---" a rule."""
    from markdown_it import MarkdownIt

    shown = excerpt(text)
    for line in (f"- {shown}", shown, f"1. {shown}"):
        rendered = MarkdownIt("commonmark").render(line)
        assert rendered.count("<ul>") + rendered.count("<ol>") == (line != shown), (line, rendered)  # the report's own list only
        assert not re.search(r"<(?:hr|h[1-6]|blockquote)\b", rendered), (line, rendered)
        assert _rendered_text(rendered) == text, (line, rendered)


@pytest.mark.parametrize("text", ["&#8238;evil", "&amp; &lt;b&gt;", "R&D <b>x</b>", "&#x202e;", "&copy;"])
def test_html_character_references_show_as_typed(text):
    """"&#8238;" rendered as a right-to-left override on GitHub and "&amp;" as "&": '&' is written "&amp;", once."""
    from markdown_it import MarkdownIt

    for shown in (excerpt(text), cell(text)):
        assert _rendered_text(MarkdownIt("commonmark").render(shown)) == text
    assert cell("&amp;") == excerpt("&amp;") == "&amp;amp;"  # report.md escapes once, not twice


def test_a_table_cell_keeps_a_leading_dash_as_typed():
    from dataaudit.render.markdown import _table

    assert _table(["a", "b"], [["- x", "-"]]) == ["| a | b |", "|---|---|", "| - x | - |", ""]


@pytest.mark.parametrize("text, shown", [
    ("hi, I have a question\nplease help with my math", "hi, I have a question ⏎ please help with my math"),  # chat turns
    ("one\n\n\ntwo \n three", "one ⏎ two ⏎ three"),  # a run of whitespace with line breaks in it is one sign
    ("\n\n  first\nlast \n\n", "first ⏎ last"),  # none at either end
    ("call (212) 555-0147\nor write a@b.co", "call <PHONE …147> ⏎ or write <EMAIL …o #8030>"),
    ("para\u2029next\u2028line", "para ⏎ next ⏎ line"),  # Unicode's paragraph and line separators
    ("red \x1b[31m\nnext", "red \\x1b[31m ⏎ next"),  # through the per-character path too
])
def test_a_line_break_shows_as_a_sign_so_turns_and_lines_do_not_run_together(text, shown):
    """Chat turns are joined with a newline; an excerpt made it a space, and a conversation "hi, I have a question" →
    "Sure, go ahead." → "please help with my math" read as one sentence in the duplicate and conflict tables."""
    assert excerpt(text, markdown=False) == shown


def test_a_cut_never_ends_or_starts_on_a_line_breaks_sign():
    text = "hello there\nsecond line here"
    assert excerpt(text, 13, markdown=False) == "hello there…"
    assert excerpt(text, 16, markdown=False, keep_end=True) == "…econd line here"
    assert excerpt("first\nsecond line here", 12, markdown=False, keep_both=True) == "first…here"
    assert all(len(excerpt(text, limit)) <= limit for limit in range(1, 40))


def test_sanitise_keeps_newlines_as_spaces_for_the_callers_that_lay_text_out_themselves():
    from dataaudit.excerpt import sanitise

    assert sanitise("a\nb\tc") == "a b c"


def test_one_line_shows_a_line_break_in_a_name_as_every_excerpt_does():
    """The terminal (sanitise: a space) read "carol smith" where report.md (excerpt) read "carol ⏎ smith"."""
    from dataaudit.excerpt import excerpt, one_line, one_line_parts, sanitise

    assert one_line("carol\nsmith") == "carol ⏎ smith" == excerpt("carol\nsmith", markdown=False)
    assert one_line("b/part\ntwo.jsonl") == "b/part ⏎ two.jsonl"
    assert one_line("x" * 500) == "x" * 500  # uncut
    shown, placeholders = one_line_parts("mail a.b@example.org\nnow")
    assert shown.endswith(" ⏎ now") and [shown[a:b] for a, b in placeholders] == [shown.split(" ⏎ ")[0][5:]]
    assert sanitise("carol\nsmith", keep_newlines=True) == "carol\nsmith"  # report.json's data, as given


def test_cyrillic_and_greek_letters_disguised_inside_a_latin_word_are_shown_as_escapes():
    """A label 'bіlling' (Cyrillic і) is another class than 'billing' but was drawn identically: two 'billing' rows."""
    from dataaudit.excerpt import plain_excerpt

    assert plain_excerpt("b\u0456lling", 80) == "b\\u0456lling"
    assert plain_excerpt("I \u0430m w\u0430iting", 80) == "I \\u0430m w\\u0430iting"
    for text in ("billing", "Для iPhone", "café", "what if ρ = 0.03", "Το iPhone μου"):  # one script a word: as written
        assert plain_excerpt(text, 80) == text


def test_names_numbered_apart_take_their_number_from_their_raw_value_not_the_order_they_came():
    """Numbered in the order they came, a label was #1 in a table ordered by count and #2 in one ordered otherwise."""
    from dataaudit.excerpt import distinct_texts

    one, two = "refund from +1 415 555 0958", "refund from +1 416 555 0958"
    secret_a, secret_b = "AKIAIOSFODNN7EXAMPLE", "AKIAABCDEFGHIJKLMPLE"
    expected = {one: "refund from <PHONE …958> #1", two: "refund from <PHONE …958> #2",
                secret_b: "<SECRET …MPLE> #1", secret_a: "<SECRET …MPLE> #2"}
    assert distinct_texts([secret_a, two, secret_b, one], 40) == expected
    assert distinct_texts([one, secret_b, two, secret_a], 40) == expected
