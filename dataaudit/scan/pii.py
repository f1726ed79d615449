"""Personal data and credentials in text: pure detectors, text -> findings, and the masking every excerpt gets.

Each kind is found by a cheap candidate pattern and confirmed by a maintained validator: phone numbers by
Google's libphonenumber port (`phonenumbers`), card numbers by the Luhn check and IBANs and US social
security numbers by `python-stdnum`, IP addresses by the standard `ipaddress` module, credentials by Yelp's
`detect-secrets` plugins. Patterns are hand-written only where no library has one (e-mail addresses in free
text, Google, Anthropic and Hugging Face keys, OpenAI project keys in the shape detect-secrets misses, the
extent of a private-key block, high-entropy values after a key-like word), each with a test. Prefilters run first (an "@" for e-mail, seven digits for the number kinds, a marker or a
16-character token for secrets) so a million short records scan in minutes.

Text is read as a person reads it: with invisible characters taken out (excerpt.reading_view) and, where it
is not ASCII, with compatibility forms folded (NFKC: full-width "０９０－１２３４", "＠") and every script's digits
read as ASCII digits ("٠٥٠١٢٣٤٥٦٧", "९८७६५४३२१०"); spans map back to the characters as typed.

Importing this module registers `mask_spans` with `dataaudit.excerpt`, so every excerpt in every report is
masked: a found value shows as its kind and at most its last four characters.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import ipaddress
import re
import string
import unicodedata
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from functools import cache, cached_property, wraps
from typing import Callable, Iterable, Iterator, TypeVar

import phonenumbers
from phonenumbers import Leniency, PhoneNumberMatcher
from stdnum import iban as stdnum_iban
from stdnum import luhn
from stdnum.us import ssn as stdnum_ssn

from ..charclass import char_class
from ..excerpt import disjoint_from, hidden_blanked, reading_view, register_masker

T = TypeVar("T")

KINDS = ("email", "phone", "credit_card", "iban", "us_ssn", "ip_address", "secret")
PLACEHOLDERS = {kind: f"<{kind.upper()}>" for kind in KINDS}


def kind_count(count: int, kind: str) -> str:
    """'1 email', '4 secrets', '2 ip_addresses': a count of findings of one kind, as reports write it."""
    return f"{count} {kind}" if count == 1 else f"{count} {kind}{'es' if kind.endswith('s') else 's'}"
# US covers the North American numbering plan's national forms (US, Canada, ...); GB covers UK national
# forms and, because the UK dials abroad with 00 like most of Europe, Africa and Asia, "00 49 ..." numbers.
# Written with + they are found whatever the regions.
DEFAULT_PHONE_REGIONS = ("US", "GB")

# When two findings overlap the more specific kind wins (a card number also parses as a phone number).
_PRIORITY = {"secret": 0, "credit_card": 1, "iban": 2, "us_ssn": 3, "email": 4, "ip_address": 5, "phone": 6}


@dataclass(frozen=True)
class PiiFinding:
    kind: str  # one of KINDS
    start: int  # character offsets in the scanned text
    end: int
    detail: str  # what it is (card brand, IBAN country, secret type); never the value
    masked: str  # the kind and at most the last four characters


@dataclass(frozen=True)
class ScanOptions:
    kinds: frozenset[str] = frozenset(KINDS)
    phone_regions: tuple[str, ...] = DEFAULT_PHONE_REGIONS
    secret_entropy: float = 3.5  # bits per character a value after a key-like word needs to count as a secret
    secret_min_length: int = 16


# ---------------------------------------------------------------------------------------------------
# Masking


_PHONE_EXTENSION = re.compile(r"[\s,;]*(?:ext\.?|extension|x|#)\s*\d+$", re.IGNORECASE)


def masked_form(kind: str, value: str) -> str:
    """`<PHONE …0958>`: the kind and at most the last four characters, fewer for short values (a quarter). An
    address ends in its domain, the same for a whole team, so it also gets a tag of four hex digits of its
    SHA-256 (`<EMAIL ….com #3f2a>`): annotators known by e-mail stay told apart in the agreement tables, and
    the same address reads the same in every report, without showing it (16 bits name no one)."""
    if kind == "secret" and "PRIVATE KEY" in value:
        return "<SECRET>"
    value = value.strip()
    if kind == "phone":  # the number's own last digits, as every phone's tag shows: "…t 12" read as no number
        value = _PHONE_EXTENSION.sub("", value) or value
    shown = value[-min(4, len(value) // 4):] if len(value) >= 4 else ""
    tag = f" #{hashlib.sha256(_as_read(value).lower().encode()).hexdigest()[:4]}" if kind == "email" else ""
    return f"<{kind.upper()} …{shown}{tag}>" if shown else f"<{kind.upper()}{tag}>"


def _as_read(value: str) -> str:
    """The value as a reader sees it (excerpt.reading_view: escape sequences and invisible characters taken
    out), so one address gets one tag however it was typed."""
    view = reading_view(value)
    return value if view is None else view[0]


def replace_findings(text: str, findings: Iterable[PiiFinding], replacement) -> str:
    """replacement: finding -> str. Findings must not overlap (scan_text guarantees it)."""
    parts, position = [], 0
    for finding in sorted(findings, key=lambda f: f.start):
        parts.append(text[position:finding.start])
        parts.append(replacement(finding))
        position = finding.end
    parts.append(text[position:])
    return "".join(parts)


def redact_text(text: str, options: ScanOptions | None = None) -> tuple[str, list[PiiFinding]]:
    """text with every finding replaced by its placeholder (`<EMAIL>`, ...), and the findings."""
    findings = scan_text(text, options)
    return (replace_findings(text, findings, lambda f: PLACEHOLDERS[f.kind]) if findings else text), findings


# ---------------------------------------------------------------------------------------------------
# Candidates and validators, one per kind


def _combining_marks() -> str:
    """A character class of the combining marks (vowel signs, viramas, accents, harakat) of the scripts that write
    words with them. No mark is a regex word character (\\w), so the class and [^\\W_] never match the same
    character: an alternation of the two cannot backtrack exponentially on a long run of letters."""
    blocks = ((0x0300, 0x036F), (0x0483, 0x0489), (0x0591, 0x05C7), (0x0610, 0x061A), (0x064B, 0x065F), (0x0670, 0x0670),
              (0x06D6, 0x06ED), (0x0900, 0x0DFF), (0x0E00, 0x0EFF), (0x1000, 0x109F), (0x1780, 0x17FF), (0x3099, 0x309A))
    return "[" + char_class(c for a, b in blocks for c in range(a, b + 1) if unicodedata.category(chr(c)).startswith("M")) + "]"


# RFC 5322 allows more, but this is what people type; a TLD of letters only, and not a file extension
# ("logo@2x.png" is an image name). No library finds addresses in free text (email-validator and the like
# check a whole string), so the boundaries are hand-written: an address may touch '_', '-' or digits on
# either side, as it does in Markdown emphasis ("_alice@example.com_"), a file name
# ("report_alice@example.com_2024.jsonl") or glued to a year ("alice@example.com2024"). It may not start
# inside a word (a letter or digit just before it) nor end inside one (a letter just after its TLD).
# Letters and digits are those of any script (RFC 6531 local parts and IDNA domains: "jürgen@bücher.de",
# "张三@公司.中国"), with the combining marks Indic and Thai words are spelled with; the text was folded first
# (NFKC, see _folded_view), so a full-width address reads as ASCII. A TLD is letters or a punycode label.
_MARK = _combining_marks()


def _email_pattern(mark: str) -> re.Pattern:
    letter = f"(?:[^\\W_]|{mark})" if mark else "[^\\W_]"
    tld_letter = f"(?:[^\\W\\d_]|{mark})" if mark else "[^\\W\\d_]"
    local = rf"(?<!{mark})[^\W_](?:[\w.%+-]|{mark})*" if mark else r"[^\W_][\w.%+-]*"
    label = rf"[^\W_](?:(?:{letter}|-)*{letter})?"
    return re.compile(rf"(?<![^\W_]){local}@{label}(?:\.{label})*\.({tld_letter}{{2,24}}|xn--[A-Za-z0-9-]{{2,59}})(?![^\W\d_])")


# Marks only where the text has any: the alternation costs time on every letter.
_EMAIL = _email_pattern("")
_EMAIL_MARKED = _email_pattern(_MARK)
_HAS_MARK = re.compile(_MARK)
# A TLD outside ASCII must be one in use (IANA's IDN country codes and the common IDN generic TLDs): "単価@100円.次は"
# is a price, not an address, and Japanese and Chinese text separates sentences with "。", rarely ".".
_IDN_TLDS = frozenset("""
    中国 中國 香港 台湾 台灣 澳門 澳门 新加坡 рф бел укр қаз срб мкд мон ею ευ ελ бг հայ გე 한국 ไทย ලංකා இலங்கை சிங்கப்பூர்
    مصر السعودية امارات الاردن المغرب الجزائر تونس سورية عمان قطر البحرين فلسطين ایران پاکستان عراق سودان ليبيا مليسيا بھارت
    موريتانيا اليمن ڀارت ישראל भारत भारतम् भारोत ভারত ভাৰত বাংলা ਭਾਰਤ ભારત ଭାରତ இந்தியா భారత్ ಭಾರತ ഭാരതം
    公司 网络 網絡 网址 中文网 在线 商城 我爱你 移动 集团 游戏 企业 娱乐 网店 手机 信息 时尚 机构 政务 公益 商标 网站 广东 佛山 慈善 嘉里
    みんな コム クラウド ストア ポイント セール ファッション 世界 グーグル 닷컴 닷넷 삼성
    онлайн сайт орг ком дети москва католик рус شبكة موقع بيتك عرب كوم ابوظبي همراه कॉम नेट संगठन
""".split())
_FILE_EXTENSIONS = frozenset("png jpg jpeg gif svg webp bmp ico css js ts json pdf txt md html htm py zip gz".split())
# A file named by an address ("c/bob.smith@example.org.jsonl", "bob@example.org.csv.gz"): its extensions end the
# address. Taken as the TLD, ".jsonl" made the address "….jsonl" here and "….org" where the name's stem was masked,
# two placeholders for one address; ".json" or ".gz" left it unmasked.
_NOT_TLDS = _FILE_EXTENSIONS | frozenset("jsonl ndjson csv tsv parquet arrow feather bz2 xz zst".split())

# Scripts written without spaces between words, or with particles glued to a number ("090-1234-5678までご連絡",
# "010-1234-5678로"): a number or address may touch their letters where it may not touch Latin ones.
_NO_SPACE = "\u0e00-\u0e7f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_NO_SPACE_SCRIPT = re.compile(f"[{_NO_SPACE}]")
_LETTER_BEFORE = f"(?<![^\\W{_NO_SPACE}])"  # not right after a letter or digit, unless one of those scripts
_LETTER_AFTER = f"(?![^\\W{_NO_SPACE}])"

# A run of digit groups split by single spaces or dashes, not glued to letters; a card number is found
# inside it as a window of whole groups (the run may go on into a quantity, a date or a second number).
_DIGIT_RUN = re.compile(rf"(?<!-){_LETTER_BEFORE}\d+(?:[ -]\d+)*{_LETTER_AFTER}")
_GROUP = re.compile(r"\d+")
# Issuer prefixes (IIN ranges) of the card networks that use 13-19 digit numbers; a Luhn-valid 16-digit
# number has a one-in-ten chance by luck, and a network prefix rules most of those out.
_CARD_BRANDS = (
    ("American Express", re.compile(r"3[47]\d{13}"), ),
    ("Diners Club", re.compile(r"3(?:0[0-5]|[689]\d)\d{11,16}")),
    ("JCB", re.compile(r"35(?:2[89]|[3-8]\d)\d{12,15}")),
    ("Visa", re.compile(r"4\d{12}(?:\d{3}|\d{6})?")),
    ("Mastercard", re.compile(r"(?:5[1-5]\d{2}|222[1-9]|22[3-9]\d|2[3-6]\d{2}|27[01]\d|2720)\d{12}")),
    ("Discover", re.compile(r"(?:6011|64[4-9]\d|65\d{2})\d{12,15}")),
    ("UnionPay", re.compile(r"62\d{14,17}")),
    ("Maestro", re.compile(r"(?:50|5[6-9]|6\d)\d{11,17}")),
)

_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}(?![A-Za-z0-9])")

# An SSN or IPv4 address glued to CJK text is a room or stock number, a version ("バージョン8.8.8.8", "版本号1.2.3.4"):
# unlike phone and card numbers, these keep the Latin rule (no letter of any script touching them).
_SSN = re.compile(r"(?<![\w-])\d{3}([- ])\d{2}\1\d{4}(?![\w-])")
_SSN_BARE = re.compile(r"(?i)\b(?:ssn|social security(?: number| no\.?)?)\W{1,4}(\d{9})\b")

_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?!\.?\d)(?!\w)")
_IPV6 = re.compile(r"(?<![\w:.])(?:[0-9A-Fa-f]{1,4}:){2,7}:?[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{1,4}){0,6}(?![\w:])|"
                   r"(?<![\w:])::(?:[0-9A-Fa-f]{1,4}:){0,6}[0-9A-Fa-f]{1,4}(?![\w:])")
_VERSION_WORD = re.compile(r"(?i)(?:\bv|\bver|\bversion|\bbuild|\brelease|\bfirmware|\bfw|\bos|\bios|\bandroid|\bchrome|\bsdk)\.?\s*$")

# A phone number written as bare digits ("4155552671") is found only after a word that says it is one:
# bare digit runs are far more often order, invoice or account numbers.
# The words of other languages may take a suffix or a second word before the number ("電話番号は", "هاتفي",
# "फ़ोन नंबर", "Telefonnummer", "전화번호는"): up to twelve characters that are not digits may follow them.
_PHONE_CONTEXT = re.compile(
    r"(?i)(?:(?:phone|call|tel|mobile|cell|number|no\.|whatsapp|text me|sms|fax|ring|reach me)\W{0,12}|"
    r"(?:電話|携帯|連絡先|ケータイ|电话|手机|手機|联系|聯絡|聯繫|전화|연락처|휴대폰|핸드폰|هاتف|جوال|جوّال|موبايل|تلفون|اتصل|"
    r"טלפון|נייד|פלאפון|סלולרי|फ़ोन|फोन|मोबाइल|संपर्क|телефон|тел\.|моб|звони|telefon|telefoon|telepon|téléphone|tél|"
    r"teléfono|telefone|telefono|telemóvel|handy|mobil|móvil|movil|celular|cellulare|portable|anruf|appel|llam|ligar|"
    r"chiam|komórk|điện thoại|โทร|เบอร์)[^\d\n]{0,12})$")
_BARE_DIGITS = re.compile(r"\d+")
# Cheap stand-in for the matcher's own candidate search: a run of at least seven digits that is not a bare
# digit run without a phone word, nor a date. Only texts with such a run go to the (costly) matcher.
_PHONE_RUN = re.compile(rf"{_LETTER_BEFORE}[+(]?\d[\d \t\-.()/\u00a0]{{5,24}}\d{_LETTER_AFTER}")
_DATE = re.compile(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}")

# Google API keys: no detect-secrets plugin has them (hand-written from Google's documented 39-char form).
_GOOGLE_API_KEY = re.compile(r"(?<![\w-])AIza[0-9A-Za-z_-]{35}(?![\w-])")
# Nor Anthropic keys ("sk-ant-api03-" or "sk-ant-admin01-", then about 95 key characters) nor Hugging Face
# access tokens ("hf_" and 34 letters and digits; the older "api_org_" organisation tokens too), hand-written
# from the documented prefixes, with a lower bound on the length so a word like "hf_model" is not one.
# OpenAI's project, service-account and admin keys ("sk-proj-", 74 base64url characters, the "T3BlbkFJ" marker,
# 74 more; gitleaks' rule) are detect-secrets' too, but its pattern wants 20 letters or digits on each side of
# the marker, and a '-' or '_' sits there in about half of real keys. No OpenAI key lacks the marker: an
# "sk-" value without it (the documentation's "sk-abc...xyz123") is a secret only after a key word.
_VENDOR_KEYS = (
    ("OpenAI Token",
     re.compile(r"(?<![\w-])sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{20,}T3BlbkFJ[A-Za-z0-9_-]{20,}(?![\w-])")),
    ("Anthropic API Key", re.compile(r"(?<![\w-])sk-ant-[a-z]+\d{2}-[A-Za-z0-9_-]{32,}(?![\w-])")),
    ("Hugging Face Token", re.compile(r"(?<![\w-])(?:hf|api_org)_[A-Za-z0-9]{30,}(?![\w-])")),
)
# detect-secrets finds the BEGIN line of a private key; the finding covers the whole block, or to the end
# of the text when the block was cut off.
_PRIVATE_KEY_BLOCK = re.compile(r"-*BEGIN[A-Z0-9 ]* PRIVATE KEY(?: BLOCK)?-*.*?(?:-+END[A-Z0-9 ]* PRIVATE KEY(?: BLOCK)?-+|\Z)", re.S)
_PUTTY_BLOCK = re.compile(r"PuTTY-User-Key-File-\d.*?(?:Private-MAC: *[0-9a-f]+|\Z)", re.S)
# A secret value extends over the token it starts (detect-secrets' JWT pattern stops before the signature).
_TOKEN_TAIL = re.compile(r"[A-Za-z0-9_\-+/=.]*")
# A long random-looking value right after a key-like word, in free text or in configuration syntax.
# The words are detect-secrets' keyword list plus the ones tickets and .env files use ("token", "bearer",
# "api key", "passphrase"). In configuration a word is usually one part of a longer name ("OPENAI_API_KEY",
# "DB_PASSWORD", "aws_secret_access_key", "githubToken"): it may follow '_', '-', '.' or a lower-case letter
# before its capital, and be followed by more '_'/'-' parts or capitalised parts; a letter glued on in lower
# case ("tokens", "secretary", "passwordless") makes another word. detect-secrets' own KeywordDetector is not
# used: its value runs to the end of the line, which in a ticket is the rest of the sentence.
_KEY_WORDS = (r"api[_ -]?key|auth[_ -]?key|service[_ -]?key|account[_ -]?key|db[_ -]?key|database[_ -]?key|priv[_ -]?key|"
              r"private[_ -]?key|client[_ -]?key|client[_ -]?secret|db[_ -]?pass|database[_ -]?pass|key[_ -]?pass|"
              r"access[_ -]?key|secret[_ -]?key|password|passwd|passphrase|pwd|secret|contraseña|contrasena|token|bearer")
# Possessive and bounded: the parts of a name split one way only and a name is read at most a few parts past
# its key word, so neither a failed value after a long name nor a run of "Token_Token_..." costs more than linear time.
_NAME_PARTS = r"(?:[_-][A-Za-z0-9]{1,24}|(?-i:[A-Z][a-z0-9]{0,24})){0,6}+"
_SECRET_CONTEXT = re.compile(
    rf"(?i)(?:(?<![^\W_])|(?-i:(?<=[a-z0-9])(?=[A-Z])))((?:{_KEY_WORDS}){_NAME_PARTS})(?![^\W_])"
    r"[\"'\]]{0,2}(?:\s*(?:is|was|=|:|:=|=>)\s*|\s+)[\"'`]?([A-Za-z0-9_\-+/=.]+)")
_NAME_HEAD = re.compile(r"[A-Za-z0-9_.-]{1,40}$")
# A value spelt as words and numbers joined by '_', '-' or '.' is a name in code ("token_type_ids = input_ids_by_1"),
# not a key: a random key mixes letters and digits within its parts, or capitals, or has no separators at all.
_WORDY_VALUE = re.compile(r"(?:[a-z]+|\d+)(?:[_.-](?:[a-z]+|\d+))+")


def _key_name(text: str, match: re.Match) -> str:
    """The whole name the key word is part of ("openai_api_key"), for the finding's detail."""
    head = _NAME_HEAD.search(text, max(0, match.start(1) - 40), match.start(1))
    return ((head.group().lstrip("_.-") if head else "") + match.group(1)).lower()


def _public_address(match: re.Match, parse, label: str) -> tuple[str, int, int, str] | None:
    try:
        address = parse(match.group())
    except ValueError:
        return None
    return ("ip_address", match.start(), match.end(), label) if address.is_global else None


def _ip_findings(text: str) -> Iterator[tuple[str, int, int, str]]:
    found = []
    for match in _IPV4.finditer(text):
        if _VERSION_WORD.search(text, max(0, match.start() - 12), match.start()):
            continue
        if match.start() >= 2 and text[match.start() - 1] == "/" and text[match.start() - 2] != "/":
            continue  # "Chrome/120.0.0.0": a product version, not a URL host
        found.append(_public_address(match, ipaddress.IPv4Address, "public IPv4 address"))
    if text.count(":") >= 2:
        found.extend(_public_address(match, ipaddress.IPv6Address, "public IPv6 address") for match in _IPV6.finditer(text))
    return (f for f in found if f is not None)


def _card_brand(digits: str) -> str | None:
    for brand, pattern in _CARD_BRANDS:
        if pattern.fullmatch(digits):
            return brand
    return None


def _card_window(groups: list[re.Match], text: str) -> tuple[int, int, str] | None:
    """(start, end, brand) of the card number that the groups form exactly, if they form one."""
    lengths = [len(g.group()) for g in groups]
    if len(groups) > 1:
        separators = {text[a.end():b.start()] for a, b in zip(groups, groups[1:])}
        if len(separators) > 1:
            return None
        # 4-4-4-4(-1..3), Amex 4-6-5, Diners 4-6-4: other groupings are other kinds of numbers
        if not (all(n == 4 for n in lengths[:-1]) and 1 <= lengths[-1] <= 4) and lengths not in ([4, 6, 5], [4, 6, 4]):
            return None
    digits = "".join(g.group() for g in groups)
    if not 13 <= len(digits) <= 19 or not luhn.is_valid(digits):
        return None
    brand = _card_brand(digits)
    return (groups[0].start(), groups[-1].end(), brand) if brand else None


def _card_findings(text: str) -> Iterator[tuple[str, int, int, str]]:
    """The longest card window starting at each group. Windows may overlap ("555-2671 4111 1111 1111 1111"
    holds two Luhn-valid 4-4-4-4 windows): overlaps are resolved with the other kinds' findings, so the window
    that leaves a phone number before it whole is the one kept."""
    for run in _DIGIT_RUN.finditer(text):
        groups = list(_GROUP.finditer(text, run.start(), run.end()))
        for i in range(len(groups)):
            for j in range(min(len(groups), i + 5), i, -1):  # at most five groups; the longest window first
                found = _card_window(groups[i:j], text)
                if found:
                    yield "credit_card", *found
                    break


def _iban_findings(text: str) -> Iterator[tuple[str, int, int, str]]:
    for match in _IBAN.finditer(text):
        candidate = match.group()
        # The candidate may run on into the next upper-case word ("... 32 AND"): drop trailing groups until valid.
        while candidate:
            if stdnum_iban.is_valid(candidate):
                yield "iban", match.start(), match.start() + len(candidate), f"{candidate[:2]} IBAN"
                break
            if " " not in candidate:
                break
            candidate = candidate.rsplit(" ", 1)[0]


def _ssn_findings(text: str) -> Iterator[tuple[str, int, int, str]]:
    for match in _SSN.finditer(text):
        if stdnum_ssn.is_valid(match.group().replace(" ", "-")):
            yield "us_ssn", match.start(), match.end(), "US social security number"
    for match in _SSN_BARE.finditer(text):
        if stdnum_ssn.is_valid(match.group(1)):
            yield "us_ssn", match.start(1), match.end(1), "US social security number"


def _may_hold_phone(text: str) -> bool:
    for run in _PHONE_RUN.finditer(text):
        value = run.group()
        if _digit_count(value) < 7 or _DATE.fullmatch(value):
            continue
        if _BARE_DIGITS.fullmatch(value) and not _PHONE_CONTEXT.search(text, max(0, run.start() - 30), run.start()):
            continue
        return True
    return False


# National forms of the regions a text's script points to are read as well as the configured ones: a number
# in Japanese text written "090-1234-5678" is Japanese. Arabic is written from Morocco to Iraq: the Gulf's
# largest numbering plans and Egypt's stand for it.
_SCRIPT_REGIONS = (
    (re.compile("[\u3040-\u30ff]"), ("JP",)),
    (re.compile("[\uac00-\ud7af\u1100-\u11ff]"), ("KR",)),
    (re.compile("[\u4e00-\u9fff]"), ("CN", "TW", "HK")),  # after kana: Japanese writes kanji too
    (re.compile("[\u0590-\u05ff]"), ("IL",)),
    (re.compile("[\u0600-\u06ff]"), ("SA", "AE", "EG")),
    (re.compile("[\u0900-\u097f]"), ("IN",)),
    (re.compile("[\u0e00-\u0e7f]"), ("TH",)),
    (re.compile("[\u0400-\u04ff]"), ("RU", "UA")),
    (re.compile("[\u0370-\u03ff]"), ("GR",)),
)


def _script_regions(text: str) -> tuple[str, ...]:
    if text.isascii():
        return ()
    for pattern, regions in _SCRIPT_REGIONS:
        if pattern.search(text):
            return regions
    return ()


# A letter glued to a number's last digit ("+1 415 555 0958é", "0958word"): libphonenumber's matcher (and the run
# above) take a number touching a letter for part of a word and give it up, so a letter typed after it hid it.
# Numbers are looked for with such a letter read as a space (the same positions); a bare digit run still needs
# a phone word before it, so a product code ("4155550958X") is not taken for one.
_LETTER_AFTER_DIGIT = re.compile(r"(?<=\d)[^\W\d_]")


# Digit groups split by single spaces ("(212) 555-0147 2", "+44 20 7946 0958 5"): the shape of the numbers the
# matcher may miss for a group after them (see _phone_findings).
_SPACED_TOKEN = re.compile(r"[+(]*\d[\d().\-/]*")
_SPACED_RUN = re.compile(r"[+(]*\d[\d().\-/]*(?:[ \u00a0][+(]*\d[\d().\-/]*)+")
_MOST_GROUPS = 8  # a number is written in at most this many groups ("+1 (415) 555 26 71 x 12" has fewer)
_MOST_LEADING = 2  # small leading groups a retry leaves out (a time's minutes, a room or gate number)


def _phone_findings(text: str, regions: tuple[str, ...]) -> Iterator[tuple[str, int, int, str]]:
    letters = {m.start(): m.group() for m in _LETTER_AFTER_DIGIT.finditer(text)}
    # An ASCII letter run on from the digits is how part and product codes end; a letter of another script after
    # them is a sentence going on (Japanese writes に電話 right after a number).
    glued = {at for at, letter in letters.items() if letter.isascii()}
    text = _LETTER_AFTER_DIGIT.sub(" ", text) if letters else text
    if not _may_hold_phone(text):
        return
    hinted = _script_regions(text)
    ordered_regions = tuple(dict.fromkeys((*hinted, *regions)))
    # A national number valid in several regions (050-123-4567 is a mobile number in Israel and in Saudi
    # Arabia) is labelled by the text's script when it points to one of them, else by every region it fits.
    found: dict[tuple[int, int], tuple[int, list[str]]] = {}

    def matches(window_start: int, window_end: int) -> list[tuple[int, int, str, int]]:
        """(start, end, region, where the matcher's match starts) of each number the matcher takes in
        text[window_start:window_end], offsets in text."""
        window = text[window_start:window_end]
        numbers = []
        for region in ordered_regions:
            for match in PhoneNumberMatcher(window, region, leniency=Leniency.STRICT_GROUPING):
                start, end = window_start + match.start, window_start + match.end
                # A bare digit run, or a grouped one an ASCII letter runs on from ("SKU 415-555-0958X"), is a phone number
                # only with a + or a phone word before it: as often a product or part code.
                vouched = match.raw_string.startswith("+") or _PHONE_CONTEXT.search(text, max(0, start - 30), start)
                # So is one an ASCII letter glued to a digit sits in or just before: a UPS "1Z2174477326" read as
                # "1 2174477326", a country code and a number.
                if (_BARE_DIGITS.fullmatch(match.raw_string) or any(start - 1 <= at <= end for at in glued)) and not vouched:
                    continue
                where = phonenumbers.region_code_for_number(match.number) or "international"
                # The matcher gives up on "+1 415-555-2671 4111 ..." (a card runs on after it) and retries without
                # the "+1": the country code in front belongs to the number.
                prefix = re.search(rf"\+{match.number.country_code}[ .-]?$", text[max(0, start - 6):start])
                numbers.append((start - len(prefix.group()) if prefix else start, end, where, start))
        return numbers

    def take(start: int, end: int, where: str, matched_at: int) -> None:
        _, wheres = found.setdefault((matched_at, end), (start, []))
        if where not in wheres:
            wheres.append(where)

    for hit in matches(0, len(text)):
        take(*hit)
    # With STRICT_GROUPING the matcher reads a group after a number ("(212) 555-0147 2 times", "+44 20 7946 0958 5")
    # as part of it, rejects the grouping and finds nothing (a tab or a comma there ends the candidate instead).
    # The groups of each run of space-split groups outside the numbers found are read again without such a group
    # (_retried).
    spans = sorted((start, end) for (_, end), (start, _) in found.items())
    starts = [start for start, _ in spans]
    reach = list(itertools.accumulate((end for _, end in spans), max))  # reach[k]: the furthest end of spans[:k + 1]

    def taken(start: int, end: int) -> bool:
        before_end = bisect.bisect_left(starts, end)
        return bool(before_end) and reach[before_end - 1] > start

    for run in _SPACED_RUN.finditer(text):
        for hit in _retried(text, run, matches, taken):
            take(*hit)
    for (_, end), (start, wheres) in found.items():
        named = next((w for w in wheres if w in hinted), None)
        yield "phone", start, end, f"{named or ' or '.join(wheres)} phone number"


def _retried(text: str, run: re.Match, matches, taken: Callable[[int, int], bool]) -> Iterator[tuple[int, int, str, int]]:
    """The numbers that small groups follow at the end of a run of space-split groups ("... 555-0147 2", "... 0958 5 6"):
    each stretch of the run outside the numbers found is read again without its trailing groups of one or two
    digits (a count, a day: "2 times", "3 days"), in a window of the groups before them (at most _MOST_GROUPS, up to
    17 digits; 7 or more, one group of three or more, as every number of the default regions has). Where one is
    found, what is left of the stretch before it is read the same way. A few matcher calls per stretch, so a long
    list of small numbers costs about what the matcher's own pass does."""
    stretches, stretch = [], []
    for match in _SPACED_TOKEN.finditer(text, run.start(), run.end()):
        if taken(match.start(), match.end()):
            stretches.append(stretch)
            stretch = []
        else:
            stretch.append((match.start(), match.end(), _digit_count(match.group())))
    stretches.append(stretch)
    for groups in stretches:
        ends = [g[1] for g in groups]
        end = len(groups)
        while True:
            last = end
            while last and groups[last - 1][2] <= 2:
                last -= 1
            if last == end:
                # Nothing small follows, but a small figure may lead ("after 12:30 415 555 0958", "room 12 ...",
                # "gate 7 ..."): the matcher took it into its candidate and refused the grouping. Read again without
                # the leading groups of one or two digits (at most _MOST_LEADING): a larger one ("1,000 415 ...") is
                # left as it was, as reading every stretch again cost the scan a sixth of its time.
                leading = 0
                while leading < min(_MOST_LEADING, end - 1) and groups[leading][2] <= 2:
                    leading += 1
                hits = next((found for first in range(1, leading + 1)
                             if (found := _window_hits(text, groups[first:end], matches))), [])
                if not hits:
                    break
                yield from hits
                end = bisect.bisect_right(ends, min(h[0] for h in hits), 0, end)
                continue
            begin, window_digits = last, 0  # the window: the groups before the small ones, back to 17 digits
            while begin > max(0, last - _MOST_GROUPS) and window_digits + groups[begin - 1][2] <= 17:
                begin -= 1
                window_digits += groups[begin][2]
            # From the furthest group, then from after each small group in the window: a small number before the
            # number ("2 of 212 555 0147 5" reads "2 212 555 0147 5"), or the one before that ("0147 5 212 555 0147 5").
            hits = next((found for first in (begin, *(k + 1 for k in range(begin, last - 1) if groups[k][2] <= 2))
                         if (found := _window_hits(text, groups[first:last], matches))), [])
            if not hits:
                break
            yield from hits
            end = bisect.bisect_right(ends, min(h[0] for h in hits), 0, last)  # the groups before what was found


def _window_hits(text: str, window: list[tuple[int, int, int]], matches) -> list[tuple[int, int, str, int]]:
    """The numbers the matcher takes in a window of groups that can hold one (7 or more digits, one group of three
    or more). The window drops the left context the full pass read: a hit glued to a digit, or to a ":", ".", ","
    or "/" that a digit precedes, is the tail of some other figure ("83:413 3715610"), as that pass found; after a
    word ("tel:+44 20 ...", "Phone:", "at,") it is a number."""
    if not window or sum(g[2] for g in window) < 7 or max(g[2] for g in window) < 3:
        return []
    return [h for h in matches(max(0, window[0][0] - 1), window[-1][1]) if not _tail_of_figure(text, h[0])]


def _tail_of_figure(text: str, start: int) -> bool:
    before = text[start - 1] if start else ""
    return before.isdigit() or (before in (":", ".", ",", "/") and start >= 2 and text[start - 2].isdigit())


def _email_findings(text: str) -> Iterator[tuple[str, int, int, str]]:
    pattern = _EMAIL_MARKED if not text.isascii() and _HAS_MARK.search(text) else _EMAIL
    for match in pattern.finditer(text):
        tld = _tld(match)
        # A file's extension is no TLD: the address, if there is one, ends before it ("bob@example.org.jsonl",
        # "jane@example.com-q.jsonl", "bob@example.org.csv.gz"); none is left of "logo@2x.png" or "x@example.jsonl".
        while tld is not None and tld.lower() in _NOT_TLDS:
            match = pattern.match(text, match.start(), match.start(1) - 1)
            tld = _tld(match) if match is not None else None
        if tld is not None:
            yield "email", match.start(), match.start(1) + len(tld), "e-mail address"


def _tld(match: re.Match) -> str | None:
    """The address's TLD as the pattern found it, cut where a no-space script's letters start; None where a
    letter of another script is glued to it."""
    tld = match.group(1)
    if tld.isascii():
        return tld
    # Chinese, Japanese, Korean and Thai put no space after an address ("张三@公司.中国谢谢",
    # "user@example.com으로"): the TLD ends where such a script's letters start.
    ascii_head = len(tld) - len(tld.lstrip(string.ascii_letters))
    cut = ascii_head if ascii_head else next((k for k in range(len(tld), 1, -1) if tld[:k] in _IDN_TLDS), 0)
    # A letter of any other script glued to an ASCII TLD ("bob@example.orgé") ends it too: it hid the address.
    if cut < 2 or (not ascii_head and (cut < len(tld) and not _NO_SPACE_SCRIPT.match(tld, cut) or tld[:cut] not in _IDN_TLDS)):
        return None
    return tld[:cut]


class _Secrets:
    """detect-secrets' regex plugins, called in-process through `analyze_string` (never `analyze_line`,
    whose verification step may call the service's API over the network)."""

    @cached_property
    def plugins(self) -> list:
        from detect_secrets.plugins.aws import AWSKeyDetector
        from detect_secrets.plugins.azure_storage_key import AzureStorageKeyDetector
        from detect_secrets.plugins.basic_auth import BasicAuthDetector
        from detect_secrets.plugins.discord import DiscordBotTokenDetector
        from detect_secrets.plugins.github_token import GitHubTokenDetector
        from detect_secrets.plugins.gitlab_token import GitLabTokenDetector
        from detect_secrets.plugins.jwt import JwtTokenDetector
        from detect_secrets.plugins.mailchimp import MailchimpDetector
        from detect_secrets.plugins.npm import NpmDetector
        from detect_secrets.plugins.openai import OpenAIDetector
        from detect_secrets.plugins.private_key import PrivateKeyDetector
        from detect_secrets.plugins.pypi_token import PypiTokenDetector
        from detect_secrets.plugins.sendgrid import SendGridDetector
        from detect_secrets.plugins.slack import SlackDetector
        from detect_secrets.plugins.square_oauth import SquareOAuthDetector
        from detect_secrets.plugins.stripe import StripeDetector
        from detect_secrets.plugins.telegram_token import TelegramBotTokenDetector
        from detect_secrets.plugins.twilio import TwilioKeyDetector

        return [AWSKeyDetector(), GitHubTokenDetector(), GitLabTokenDetector(), SlackDetector(), StripeDetector(),
                OpenAIDetector(), JwtTokenDetector(), PrivateKeyDetector(), SendGridDetector(), TwilioKeyDetector(),
                PypiTokenDetector(), NpmDetector(), DiscordBotTokenDetector(), TelegramBotTokenDetector(),
                MailchimpDetector(), AzureStorageKeyDetector(), SquareOAuthDetector(), BasicAuthDetector()]

    @cached_property
    def entropy(self):
        from detect_secrets.plugins.high_entropy_strings import Base64HighEntropyString, HexHighEntropyString

        return Base64HighEntropyString(), HexHighEntropyString()

    def find(self, text: str, options: ScanOptions) -> Iterator[tuple[str, int, int, str]]:
        if not (_long_token(min(16, options.secret_min_length)).search(text) or any(lit in text for lit in _SECRET_LITERALS)):
            return
        for plugin in self.plugins:
            for value in set(plugin.analyze_string(text)):
                if not value:
                    continue
                for start in _occurrences(text, value):
                    end = start + len(value)
                    if plugin.secret_type == "Private Key":
                        block = (_PUTTY_BLOCK if value.startswith("PuTTY") else _PRIVATE_KEY_BLOCK).match(text, _block_start(text, start))
                        end = block.end() if block else end
                        start = _block_start(text, start)
                    elif plugin.secret_type == "Basic Auth Credentials":
                        pass  # the value is the password between ':' and '@'; the user name may be a real name, but it is not a secret
                    else:
                        end = _TOKEN_TAIL.match(text, end).end()
                    yield "secret", start, end, plugin.secret_type
        for match in _GOOGLE_API_KEY.finditer(text):
            yield "secret", match.start(), match.end(), "Google API Key"
        for name, pattern in _VENDOR_KEYS:
            for match in pattern.finditer(text):
                yield "secret", match.start(), match.end(), name
        base64, hexadecimal = self.entropy
        for match in _SECRET_CONTEXT.finditer(text):
            value = match.group(2).rstrip(".,;")
            if len(value) < options.secret_min_length or value.count(".") > 2 or _WORDY_VALUE.fullmatch(value):
                continue
            is_hex = all(c in "0123456789abcdefABCDEF" for c in value)
            limit = options.secret_entropy - 0.5 if is_hex else options.secret_entropy
            plugin = hexadecimal if is_hex else base64
            if plugin.calculate_shannon_entropy(value) > limit and any(c.isdigit() for c in value):
                yield "secret", match.start(2), match.start(2) + len(value), f"high-entropy value after '{_key_name(text, match)}'"


# Prefilter: every plugin pattern, the Google key and a value after a key-like word hold a run of at least
# 16 key characters (or secret_min_length, when lower), except the few whose markers are listed here.
_SECRET_LITERALS = ("PRIVATE KEY", "PuTTY-User-Key", "xox", "://", "_authToken")


@cache
def _long_token(length: int) -> re.Pattern:
    return re.compile(f"(?:[A-Za-z0-9_\\-+/=.]){{{length}}}")


def _occurrences(text: str, value: str) -> Iterator[int]:
    start = text.find(value)
    while start >= 0:
        yield start
        start = text.find(value, start + len(value))


def _block_start(text: str, begin_at: int) -> int:
    """The dashes before 'BEGIN ... PRIVATE KEY' belong to the block."""
    start = begin_at
    while start > 0 and text[start - 1] == "-":
        start -= 1
    return start


_secrets = _Secrets()
_DEFAULT = ScanOptions()


def _digit_count(text: str) -> int:
    return sum(map(text.count, "0123456789"))


def scan_text(text: str, options: ScanOptions | None = None) -> list[PiiFinding]:
    """Every value of the configured kinds in text, non-overlapping, in order of position. Looked for in the
    text as it reads (excerpt.reading_view): an address split by a zero-width space or an escape sequence is
    found, and its span in text covers the hidden characters inside it, so redact replaces all of it. That
    view is then folded (_folded_view), so "０９０－１２３４－５６７８" and "٠٥٠١٢٣٤٥٦٧" are found as the numbers they
    are, and their spans, too, are of the characters as typed."""
    if not text:
        return []
    view = reading_view(text)
    found = _scan_view(text, view, options)
    if view is not None:  # also as an excerpt shows it: the view may have dropped a letter after a control
        found += disjoint_from(found, _scan_view(hidden_blanked(text), None, options), lambda f: (f.start, f.end))
        found.sort(key=lambda f: f.start)
    return found


def _scan_view(text: str, view: tuple[str, list[int]] | None, options: ScanOptions | None) -> list[PiiFinding]:
    shown, origin = view if view is not None else (text, None)
    folded = _folded_view(shown)
    if folded is not None:
        shown, folded_origin = folded
        origin = folded_origin if origin is None else [origin[i] for i in folded_origin]
    if origin is None:
        return _scan_shown(shown, options)
    return [replace(f, start=origin[f.start], end=origin[f.end - 1] + 1) for f in _scan_shown(shown, options)]


# A decimal digit of another script: Arabic-Indic, Extended Arabic-Indic (Persian, Urdu), Devanagari, Bengali,
# Thai, ... (a str pattern's \d is any Unicode decimal digit).
_OTHER_DIGIT = re.compile(r"(?![0-9])\d")


def _folded_view(text: str) -> tuple[str, list[int]] | None:
    """text as the patterns and validators read it, and where each of its characters is in text; None when
    that is text itself (ASCII text, the most common, is never walked). Compatibility forms are folded
    (NFKC: full-width digits, letters, '＠' and '．', ligatures, circled digits) and every decimal digit reads as
    its ASCII digit. One character may fold to several ("㍿" to "株式会社"): each of them maps to it, so a span
    of the view maps to whole characters of text."""
    if text.isascii() or (unicodedata.is_normalized("NFKC", text) and not _OTHER_DIGIT.search(text)):
        return None
    parts: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        if ch < "\x80":
            parts.append(ch)
            origin.append(i)
            continue
        digit = unicodedata.decimal(ch, None)
        folded = str(digit) if digit is not None else unicodedata.normalize("NFKC", ch)
        parts.append(folded)
        origin.extend([i] * len(folded))
    return "".join(parts), origin


def _scan_shown(text: str, options: ScanOptions | None) -> list[PiiFinding]:
    options = options or _DEFAULT
    raw = _candidates(text, options)
    if not raw:
        return []
    chosen = _resolve_overlaps(text, raw)
    # A value can hide the one beside it: libphonenumber's matcher reads "+44 20 7946 0958 4111 1111 1111 1111"
    # or "+1 415-555-2671 020 7946 0958" as one candidate and finds at most its first number, and an address
    # glued to a card ("... 1111-jane@example.com") is first read as "1111-jane@..." and loses to the card. Once
    # the chosen values are masked, what they hid reads as itself: the text is read again with them blanked
    # until nothing new turns up, so one pass masks what masking twice would (an excerpt is masked once).
    while True:
        known = set(raw)
        more = [c for c in _candidates(_blanked(text, chosen), options) if c not in known]
        if not more:
            return chosen
        raw = raw + more
        chosen = _resolve_overlaps(text, raw)


def _candidates(text: str, options: ScanOptions) -> list[tuple[str, int, int, str]]:
    """(kind, start, end, detail) of every value each detector finds; they may overlap."""
    kinds = options.kinds
    raw: list[tuple[str, int, int, str]] = []
    if "email" in kinds and "@" in text:
        raw.extend(_email_findings(text))
    digits = _digit_count(text)
    if digits >= 4 and "ip_address" in kinds and ("." in text or ":" in text):
        raw.extend(_ip_findings(text))
    if digits >= 7:
        if "credit_card" in kinds and digits >= 13:
            raw.extend(_card_findings(text))
        if "iban" in kinds:
            raw.extend(_iban_findings(text))
        if "us_ssn" in kinds and digits >= 9:
            raw.extend(_ssn_findings(text))
        if "phone" in kinds:
            raw.extend(_phone_findings(text, options.phone_regions))
    if "secret" in kinds and len(text) >= 16:
        raw.extend(_secrets.find(text, options))
    return _emails_after_glued_phones(text, raw)


def _emails_after_glued_phones(text: str, raw: list[tuple[str, int, int, str]]) -> list[tuple[str, int, int, str]]:
    # "+1 415 555 0958bob@example.org": the address's pattern takes the number's last digits as the start of
    # its local part, wins the overlap as the more specific kind, and leaves "+1 415 555" in the clear. A number
    # that begins before the address and ends inside its local part is its own value: the address starts where
    # the number ends, past a separator ("0147-ann@" is ann's address, masked as ann@ is elsewhere). A number
    # that ends at the "@" is the local part of an SMS gateway's address ("+1 415 555 0958@txt.att.net"): the
    # address takes all of it. (One that starts with the address, "4155550958@txt.att.net", is inside it already.)
    phones = sorted((end, start) for kind, start, end, _ in raw if kind == "phone")
    if not phones:
        return raw
    phone_ends = [end for end, _ in phones]
    out = []
    for kind, start, end, detail in raw:
        if kind == "email":
            at = text.find("@", start, end)
            # the numbers that end inside the local part or at the "@" (few), the furthest first
            inside = range(bisect.bisect_right(phone_ends, at) - 1, bisect.bisect_right(phone_ends, start) - 1, -1)
            glued = next((phones[k] for k in inside if phones[k][1] < start), None)
            if glued is not None:
                phone_end, phone_start = glued
                if phone_end == at:
                    start = phone_start
                else:
                    start = phone_end
                    while start < at and text[start] in "-._+":
                        start += 1
        out.append((kind, start, end, detail))
    return out


def _blanked(text: str, findings: list[PiiFinding]) -> str:
    """text with each finding's characters replaced by '<   >' of the same length, as a masked value reads:
    a bracket no detector reads as part of a value, so the offsets of what is found in it are those of text."""
    parts, position = [], 0
    for f in findings:
        width = f.end - f.start
        parts += [text[position:f.start], "<" + " " * (width - 2) + ">" if width >= 2 else "<"]
        position = f.end
    return "".join(parts) + text[position:]


def _resolve_overlaps(text: str, raw: list[tuple[str, int, int, str]]) -> list[PiiFinding]:
    # Most specific kind first, then the longer span, then the span that overlaps fewer findings of other kinds
    # (of two equally long card windows, the one that leaves a phone number next to it whole); a later
    # candidate that overlaps a chosen one is dropped. Counted and checked on sorted bounds (bisect), not
    # pairwise: a record of thousands of addresses took seconds.
    overlapping = _overlap_counter(raw)
    by_kind = {kind: _overlap_counter([c for c in raw if c[0] == kind]) for kind in {c[0] for c in raw}}

    def others(c: tuple[str, int, int, str]) -> int:
        return overlapping(c[1], c[2]) - by_kind[c[0]](c[1], c[2])

    chosen: list[tuple[str, int, int, str]] = []
    starts: list[int] = []  # of the chosen spans, sorted; they do not overlap, so their ends are sorted alike
    ends: list[int] = []
    for candidate in sorted(raw, key=lambda c: (_PRIORITY[c[0]], -(c[2] - c[1]), others(c), c[1])):
        _, start, end, _ = candidate
        before = bisect.bisect_left(starts, end)  # the chosen spans that start before this one ends
        if before and ends[before - 1] > start:
            continue
        chosen.append(candidate)
        starts.insert(before, start)
        ends.insert(before, end)
    chosen.sort(key=lambda c: c[1])
    return [PiiFinding(kind, start, end, detail, masked_form(kind, text[start:end])) for kind, start, end, detail in chosen]


def _overlap_counter(spans: list[tuple[str, int, int, str]]) -> Callable[[int, int], int]:
    """(start, end) -> how many of spans overlap [start, end): those that start before it ends, less those that end
    before it starts (each of which also starts before it ends)."""
    starts = sorted(s[1] for s in spans)
    ends = sorted(s[2] for s in spans)
    return lambda start, end: bisect.bisect_left(starts, end) - bisect.bisect_right(ends, start)


# The phone regions a run's [pii] config adds to the defaults, for the excerpts made while it runs and renders:
# a number found by the pii check under `phone_regions = ["DE"]` must be masked in every excerpt too. Scoped to
# a context (not a process-wide setting), so one notebook's runs mask the same whatever ran before them.
_mask_regions: ContextVar[tuple[str, ...]] = ContextVar("mask_phone_regions", default=DEFAULT_PHONE_REGIONS)


@contextmanager
def masking_phone_regions(regions: Iterable[str]) -> Iterator[None]:
    """Within the block, excerpts mask phone numbers of these regions as well as of the defaults (and of any
    enclosing block): masking only ever widens."""
    token = _mask_regions.set(tuple(dict.fromkeys((*_mask_regions.get(), *(r.upper() for r in regions)))))
    try:
        yield
    finally:
        _mask_regions.reset(token)


def masked_as_configured(render: Callable[..., T]) -> Callable[..., T]:
    """A renderer of a Report that masks its excerpts with the phone regions the report's own config named."""
    @wraps(render)
    def rendering(report, *args, **kwargs):
        regions = ((report.config or {}).get("pii") or {}).get("phone_regions") or ()
        with masking_phone_regions(regions):
            return render(report, *args, **kwargs)
    return rendering


@cache
def _masking_options(regions: tuple[str, ...]) -> ScanOptions:
    return replace(_DEFAULT, phone_regions=regions)


def mask_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, masked form) of every value found in text (registered as the excerpt masker)."""
    return [(f.start, f.end, f.masked) for f in scan_text(text, _masking_options(_mask_regions.get()))]


register_masker(mask_spans)
