"""How often the duplicates check is right, per kind of copy, and how often it calls a hard negative a copy.

Built from CLINC150's test queries (../shared/datasets): each kind below takes its own sample of queries and
makes one copy of each; a copy counts as found when it lands in the same group as its original.
- exact, case (Title Case or UPPER), punctuation (a comma after the first word, a final ? or !, or none),
  typo (one letter swapped, dropped, doubled or replaced in a word of 4+ letters), word order (the last one
  or two words moved to the front), filler (hi / please / um / thanks / can you ... added);
- paraphrase: 30 reworded pairs written for this project (PARAPHRASES), found only with embeddings.
Hard negatives are the same template with another slot value, which must stay apart: a number changed, a
city or person swapped for another, an opposite (on/off, up/down, lock/unlock, ...) swapped.
Other scripts: a small hand-written battery (INTL_PAIRS) of copies (full-width, punctuation, case, an invisible
mark, Arabic vowel marks, a moved block of Chinese, a Cyrillic typo) and hard negatives one character or
syllable apart in Chinese, Japanese, Thai, Korean and Hindi (raise/lower, 8/9 o'clock, cancel/do not cancel).
Hard negatives a QA probe found, the rules then changed for them (PROBE_PAIRS): a greeting or thanks that is the
whole message, two adjacent content words swapped, a one-letter change to another real word, a direction
(out of / into), swapped arguments; and a second probe's: a person, question word, quantifier or again / still /
too changed, added or dropped.
For reference, the rule before issue 21 (rapidfuzz ratio >= 0.90 or cosine >= 0.95) is scored on the
same pairs.
With embeddings, eval leakage too: CLINC150's and Banking77's published test splits against their train
splits (held out by their authors, yet holding real copies: the exact and lexical columns, which a sample
shows are copies; the semantic column mixes rewrites with independent paraphrases, so its share is an upper
bound on false alarms and sets the bound of `checks.duplicates.MAX_SEMANTIC_LEAK_SHARE`), and 100 CLINC150 test queries reworded with their originals put
in training (planted leaks that must be found).

    .venv/bin/python benchmarks/duplicates_validity.py [--per-kind 100] [--no-embeddings] [--cache-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "datasets"
COPY_KINDS = ("exact", "case", "punctuation", "typo", "word order", "filler", "paraphrase")
NEGATIVE_KINDS = ("number", "name", "opposite")
FILLERS = (("hi, ", ""), ("", " please"), ("um, ", ""), ("", ", thanks"), ("can you ", ""), ("please ", ""), ("hey, ", " thanks"))
CITIES = ("paris", "london", "tokyo", "chicago", "boston", "denver", "seattle", "miami", "dallas", "berlin", "rome", "madrid",
          "atlanta", "phoenix", "houston", "austin", "toronto", "sydney", "dublin", "vienna", "new york", "los angeles",
          "san francisco", "las vegas", "orlando", "portland", "detroit", "montreal", "mexico city", "beijing")
NAMES = ("john", "mary", "james", "sarah", "michael", "linda", "david", "susan", "robert", "karen", "tom", "anna", "mom", "dad",
         "jessica", "kevin", "emily", "daniel", "laura", "steve", "bob", "alice", "peter", "lisa", "mike", "jane", "chris")
OPPOSITE_SWAPS = (("on", "off"), ("off", "on"), ("up", "down"), ("down", "up"), ("lock", "unlock"), ("unlock", "lock"),
                  ("open", "close"), ("close", "open"), ("enable", "disable"), ("disable", "enable"), ("increase", "decrease"),
                  ("decrease", "increase"), ("start", "stop"), ("stop", "start"), ("add", "remove"), ("remove", "add"),
                  ("buy", "sell"), ("sell", "buy"), ("before", "after"), ("after", "before"), ("higher", "lower"),
                  ("lower", "higher"), ("raise", "lower"), ("louder", "quieter"), ("in", "out"), ("yes", "no"))
# Reworded copies written for this project: the same request in other words.
PARAPHRASES = (
    ("how do i reset my password", "what are the steps to reset my password"),
    ("what is the weather like today", "how is the weather today"),
    ("play some relaxing jazz music", "put on some relaxing jazz music"),
    ("i lost my credit card", "my credit card is lost"),
    ("cancel my subscription please", "i would like to cancel my subscription"),
    ("what time is it right now", "what is the current time"),
    ("how much money is in my checking account", "what is the balance of my checking account"),
    ("set an alarm for tomorrow morning", "wake me up tomorrow morning with an alarm"),
    ("tell me a joke", "say something funny to me"),
    ("where is my package", "where is my parcel right now"),
    ("i want to book a table for dinner", "i would like to reserve a table for dinner"),
    ("what is the exchange rate for euros", "how many euros do i get for a dollar"),
    ("how do i change my address", "i need to update my address"),
    ("can i pay my bill online", "is it possible to pay my bill online"),
    ("why was my card declined", "my card got declined, why"),
    ("add milk to my shopping list", "put milk on my shopping list"),
    ("how many calories are in a banana", "what is the calorie count of a banana"),
    ("translate hello into spanish", "how do you say hello in spanish"),
    ("what is my credit score", "tell me my credit score"),
    ("remind me to call the dentist", "set a reminder to call the dentist"),
    ("how long does shipping take", "how long will delivery take"),
    ("i forgot my pin", "i cannot remember my pin"),
    ("what's on my calendar today", "what do i have scheduled today"),
    ("is my flight on time", "is my flight delayed or on time"),
    ("how do i activate my new card", "how can i activate the card i just got"),
    ("what is the meaning of life", "what is life's meaning"),
    ("who made you", "who created you"),
    ("give me directions to the airport", "how do i get to the airport"),
    ("my transfer has not arrived yet", "the money i transferred still has not arrived"),
    ("please speak more slowly", "can you talk slower"),
)

# (kind, original, other, hard negative): copies in other scripts, and pairs one character or syllable apart
# that mean something else (in Chinese or Japanese one character is a word).
INTL_PAIRS = (
    ("width", "ＷｉＦｉを切って", "WiFiを切って", False), ("width", "ｶﾀｶﾅで注文を確認", "カタカナで注文を確認", False),
    ("punctuation", "把空调温度调高一点", "把空调温度调高一点。", False), ("punctuation", "我要取消订单！", "我要取消订单", False),
    ("case", "ПОКАЖИ МОЙ БАЛАНС", "покажи мой баланс", False), ("case", "İSTANBUL uçuşumu iptal et", "istanbul uçuşumu iptal et", False),
    ("invisible mark", "\u200fمرحبا، أريد إلغاء طلبي", "مرحبا، أريد إلغاء طلبي", False),
    ("vowel marks", "كَتَبْتُ رِسَالَةً إِلَى الدَّعْمِ", "كتبت رسالة إلى الدعم", False),
    ("word order", "明天北京天气怎么样", "北京明天天气怎么样", False),
    ("typo", "покажи мой баланс на карте", "покажи мой баланс на карет", False),
    ("opposite", "把空调温度调高一点", "把空调温度调低一点", True), ("opposite", "音量を上げてください", "音量を下げてください", True),
    ("negation", "我要取消订单", "我不取消订单", True), ("number", "明天早上八点叫醒我", "明天早上九点叫醒我", True),
    ("number", "タイマーを5分にセットして", "タイマーを6分にセットして", True), ("another word", "查询余额", "查询余票", True),
    ("place", "我想订一张去北京的机票", "我想订一张去上海的机票", True), ("number", "三个苹果", "五个苹果", True),
    ("opposite", "เปิดไฟในห้องนอน", "ปิดไฟในห้องนอน", True), ("opposite", "전원을 켜 주세요", "전원을 꺼 주세요", True),
    ("another word", "मेरा दिन अच्छा था", "मेरा दान अच्छा था", True), ("another word", "ดูยอดเงินในบัญชี", "โอนเงินในบัญชี", True),
    ("negation", "予約をキャンセルします", "予約をキャンセルしません", True), ("negation", "电脑可以开机", "电脑无法开机", True),
    ("opposite", "帮我把灯打开", "帮我把灯关掉", True), ("opposite", "我要买入股票", "我要卖出股票", True),
    ("opposite", "今天的天气", "明天的天气", True), ("negation", "결제를 취소해 주세요", "결제를 취소하지 마세요", True),
    ("another word", "故事很长", "事故很长", True),
)

# (kind, original, other): hard negatives a skeptical reviewer's probes found on data the rules had not been tuned
# on (CLINC150 and Banking77-like requests; the rules were then changed to keep them apart): a greeting or thanks that is the message, two adjacent
# content words swapped, a one-letter change to another real word, a direction, swapped arguments.
PROBE_PAIRS = (
    ("greeting / thanks", "why hello", "why thank you"), ("greeting / thanks", "hello again", "thanks again"),
    ("greeting / thanks", "oh hi there", "oh thanks there"), ("greeting / thanks", "well hello", "well thanks"),
    ("greeting / thanks", "yes please", "yes thanks"), ("greeting / thanks", "hey, good morning", "thanks, good morning"),
    ("greeting / thanks", "hello, that's all", "thanks, that's all"), ("greeting / thanks", "ok please", "ok thanks"),
    ("greeting / thanks", "how do you say please in french", "how do you say hi in french"),
    ("greeting / thanks", "what is the word for thanks in german", "what is the word for hello in german"),
    ("swapped compound", "add a bar of milk chocolate to my grocery order for delivery this evening",
     "add a bar of chocolate milk to my grocery order for delivery this evening"),
    ("swapped compound", "i want to buy a house boat for the summer", "i want to buy a boat house for the summer"),
    ("real word", "can you please lend me the money for the deposit on the new apartment downtown",
     "can you please land me the money for the deposit on the new apartment downtown"),
    ("real word", "my card payment at the hotel restaurant in barcelona was declined even though my balance is fine",
     "my card payment at the hostel restaurant in barcelona was declined even though my balance is fine"),
    ("real word", "i want to hire a car at the airport when i land in lisbon on my business trip",
     "i want to fire a car at the airport when i land in lisbon on my business trip"),
    ("real word", "i need a well-rated hotel in vegas", "i need a well-rated motel in vegas"),
    ("real word", "how do i say 'hotel' in finnish", "how do i say 'motel' in finnish"),
    ("direction", "change out of whisper mode", "change into whisper mode"),
    ("direction", "exit whisper mode now", "enter whisper mode now"),
    ("direction", "get me out of driving mode", "put me into driving mode"),
    ("direction", "take me off the waiting list for the table", "put me on the waiting list for the table"),
    ("direction", "leave the family sharing group", "join the family sharing group"),
    ("swapped arguments", "convert 50 us dollars into euros please", "convert 50 euros into us dollars please"),
    ("swapped arguments", "transfer 200 dollars from my savings account to my checking account",
     "transfer 200 dollars from my checking account to my savings account"),
    ("swapped arguments", "book a flight from boston to denver for next friday", "book a flight from denver to boston for next friday"),
    ("swapped arguments", "set the bedroom lights to warm white and the kitchen lights to cool white for the evening",
     "set the bedroom lights to cool white and the kitchen lights to warm white for the evening"),
    # A second probe (issue dups39): one meaning-bearing function word changed, added or dropped, which a sentence
    # embedding put at cosine 0.95-0.99; the first of each kind are the probe's, the rest written for this project.
    ("person", "what is my balance", "what is your balance"), ("person", "can you call him for me", "can you call her for me"),
    ("person", "please send it to me today", "please send it to him today"),
    ("person", "can you cancel it for me", "can you cancel them for me"),
    ("person", "where is our package", "where is their package"),
    ("question word", "why is my card blocked", "how is my card blocked"),
    ("question word", "when is my payment due", "where is my payment due"),
    ("question word", "who approved my transfer", "why was my transfer approved"),
    ("quantifier", "delete all my transactions", "delete some of my transactions"),
    ("quantifier", "cancel all pending payments on my card", "cancel pending payments on my card"),
    ("quantifier", "refund each payment from last week", "refund the payment from last week"),
    ("quantifier", "do i have any unread messages", "do i have many unread messages"),
    ("again / still / too", "I was charged again for my coffee", "I was charged for my coffee"),
    ("again / still / too", "can I still use my old card", "can I use my old card"),
    ("again / still / too", "why did my top up fail", "why did my top up fail again"),
    ("again / still / too", "why was I charged a fee", "why was I charged a fee too"),
    ("again / still / too", "is my card still activated", "is my card activated"),
    ("again / still / too", "can i only pay by card", "can i pay by card"),
)
# Rewordings for planted reworded leaks (a held-out query put in training, its rewording in the eval set).
REWORDINGS = (("what is", "what's"), ("i want to", "i'd like to"), ("tell me", "let me know"), ("can you", "could you"),
              ("how do i", "how can i"), ("i need", "i require"), ("please", "kindly"))


@dataclass(frozen=True)
class Pair:
    kind: str
    original: str
    copy: str
    negative: bool  # a hard negative: must not be grouped


def clinc_queries() -> list[str]:
    data = json.loads((SHARED / "clinc150" / "data_full.json").read_text())
    return list(dict.fromkeys(t for t, _ in data["test"] + data["val"] + data["train"]))


def one_typo(text: str, rng: random.Random) -> str | None:
    words = text.split(" ")
    candidates = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
    if not candidates:
        return None
    i = rng.choice(candidates)
    w = words[i]
    p = rng.randrange(1, len(w) - 1)
    edit = rng.randrange(4)
    if edit == 0:
        w = w[:p] + w[p + 1] + w[p] + w[p + 2:]
    elif edit == 1:
        w = w[:p] + w[p + 1:]
    elif edit == 2:
        w = w[:p] + w[p] + w[p:]
    else:
        w = w[:p] + rng.choice([c for c in "abcdefghijklmnopqrstuvwxyz" if c != w[p]]) + w[p + 1:]
    words[i] = w
    return " ".join(words)


def _copy(kind: str, text: str, rng: random.Random) -> str | None:
    if kind == "exact":
        return text
    if kind == "case":
        return text.upper() if rng.random() < 0.5 else text.title()
    if kind == "punctuation":
        words = text.rstrip("?!.").split(" ")
        if len(words) < 2:
            return None
        return words[0] + ", " + " ".join(words[1:]) + rng.choice(["?", "!", ""])
    if kind == "typo":
        return one_typo(text, rng)
    if kind == "word order":
        words = text.split(" ")
        if len(words) < 4:
            return None
        k = rng.choice([1, 2])
        return " ".join(words[-k:] + words[:-k])
    if kind == "filler":
        before, after = rng.choice(FILLERS)
        return before + text + after
    raise ValueError(kind)


def _negative(kind: str, text: str, rng: random.Random) -> str | None:
    words = text.split(" ")
    if kind == "number":
        spots = [i for i, w in enumerate(words) if re.fullmatch(r"\d+", w)]
        if not spots:
            return None
        i = rng.choice(spots)
        words[i] = str(int(words[i]) + rng.choice([1, 2, 5, 10]))
        return " ".join(words)
    if kind == "name":
        for pool in (CITIES, NAMES):
            found = [v for v in pool if re.search(rf"\b{re.escape(v)}\b", text)]
            if found:
                old = rng.choice(found)
                new = rng.choice([v for v in pool if v != old])
                return re.sub(rf"\b{re.escape(old)}\b", new, text, count=1)
        return None
    if kind == "opposite":
        spots = [(i, b) for i, w in enumerate(words) for a, b in OPPOSITE_SWAPS if w == a]
        if not spots:
            return None
        i, new = rng.choice(spots)
        words[i] = new
        return " ".join(words)
    raise ValueError(kind)


def build_pairs(per_kind: int, seed: int = 0, queries: list[str] | None = None) -> list[Pair]:
    """per_kind pairs of each copy kind (paraphrases: at most 30) and up to per_kind of each hard negative."""
    rng = random.Random(seed)
    pool = list(queries if queries is not None else clinc_queries())
    rng.shuffle(pool)
    used: set[str] = set()
    pairs: list[Pair] = []
    plan = [(kind, _negative, True) for kind in NEGATIVE_KINDS] + [(kind, _copy, False) for kind in COPY_KINDS[:-1]]
    for kind, make, negative in plan:
        made = 0
        for text in pool:
            if made >= per_kind:
                break
            if text in used:
                continue
            other = make(kind, text, rng)
            if other and (negative or other is not None) and (other != text or not negative) and other not in used:
                used.update((text, other))
                pairs.append(Pair(kind, text, other, negative))
                made += 1
    pairs += [Pair("paraphrase", a, b, False) for a, b in PARAPHRASES[:per_kind]]
    return pairs


def score(pairs: list[Pair], embedder=None) -> dict[str, tuple[int, int]]:
    """kind -> (pairs grouped together, pairs), running the duplicates check on one file of every text."""
    from dataaudit.checks.duplicates import measure_index
    from dataaudit.config import Config
    from dataaudit.index import build_index
    from dataaudit.load.dataset import load_dataset
    from dataaudit.normalize import normalize_text

    config = Config()
    folder = Path(tempfile.mkdtemp(prefix="dataaudit-validity-"))
    path = folder / "pairs.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for pair in pairs:
            handle.write(json.dumps({"text": pair.original, "label": pair.kind}) + "\n")
            handle.write(json.dumps({"text": pair.copy, "label": pair.kind}) + "\n")
    index = build_index("train", load_dataset([path], config), lambda t: normalize_text(t, config.duplicates))
    if embedder is not None:
        index = index.with_vectors(dict(zip(index.distinct, embedder.embed(index.distinct))), 384)
    result = measure_index(index, config)
    group_of: dict[int, int] = {}
    for g, group in enumerate(result.all_groups):  # a near group holds every record of its keys: it wins
        for _, line in group.members:
            if group.kind == "near" or line not in group_of:
                group_of[line] = g
    out: dict[str, list[int]] = {}
    for n, pair in enumerate(pairs):
        a, b = 2 * n + 1, 2 * n + 2
        tally = out.setdefault(pair.kind, [0, 0])
        tally[0] += int(a in group_of and group_of.get(a) == group_of.get(b))
        tally[1] += 1
    return {k: (v[0], v[1]) for k, v in out.items()}


def score_old_rule(pairs: list[Pair], embedder=None) -> dict[str, tuple[int, int]]:
    """The rule before issue 21, pair by pair: same key, rapidfuzz ratio >= 0.90, or cosine >= 0.95."""
    import numpy as np
    from rapidfuzz.fuzz import ratio

    from dataaudit.config import Config
    from dataaudit.normalize import normalize_text

    config = Config().duplicates
    out: dict[str, list[int]] = {}
    keys = [(normalize_text(p.original, config), normalize_text(p.copy, config)) for p in pairs]
    cosines = None
    if embedder is not None:
        left = embedder.embed([a for a, _ in keys])
        right = embedder.embed([b for _, b in keys])
        cosines = np.sum(left * right, axis=1)
    for n, (pair, (a, b)) in enumerate(zip(pairs, keys)):
        same = a == b or ratio(a, b) >= 90 or (cosines is not None and cosines[n] >= 0.95)
        tally = out.setdefault(pair.kind, [0, 0])
        tally[0] += int(same)
        tally[1] += 1
    return {k: (v[0], v[1]) for k, v in out.items()}


def table(new: dict[str, tuple[int, int]], old: dict[str, tuple[int, int]], title: str) -> list[str]:
    lines = [f"### {title}", "", "| pairs | kind | grouped, this rule | grouped, rule before issue 21 |", "|---|---|---|---|"]
    for kind in COPY_KINDS + NEGATIVE_KINDS:
        if kind in new:
            (f, n), (fo, _) = new[kind], old[kind]
            what = "hard negative (must stay apart)" if kind in NEGATIVE_KINDS else "copy (recall)"
            lines.append(f"| {what} | {kind} | {f}/{n} ({f / n:.0%}) | {fo}/{n} ({fo / n:.0%}) |")
    for label, scores in (("this rule", new), ("rule before issue 21", old)):
        found = sum(scores[k][0] for k in COPY_KINDS if k in scores)
        false = sum(scores[k][0] for k in NEGATIVE_KINDS if k in scores)
        negatives = sum(scores[k][1] for k in NEGATIVE_KINDS if k in scores)
        precision = found / (found + false) if found + false else float("nan")
        lines.append(f"\n{label}: hard negatives kept apart {negatives - false}/{negatives} ({(negatives - false) / negatives:.0%}); "
                     f"pair precision over the battery {precision:.3f} ({found} copies found, {false} hard negatives grouped)")
    return lines


def intl_table(scores: dict[str, tuple[int, int]],
               title: str = "Other scripts (INTL_PAIRS, written for this project; lexical rules only)") -> list[str]:
    """A hand-written battery, kinds as scored (a negative's kind prefixed with 'not ')."""
    lines = [f"### {title}", "", "| pairs | kind | grouped |", "|---|---|---|"]
    for kind, (f, n) in scores.items():
        what = "hard negative (must stay apart)" if kind.startswith("not ") else "copy (recall)"
        lines.append(f"| {what} | {kind.removeprefix('not ')} | {f}/{n} |")
    found = sum(f for k, (f, _) in scores.items() if not k.startswith("not "))
    copies = sum(n for k, (_, n) in scores.items() if not k.startswith("not "))
    false = sum(f for k, (f, _) in scores.items() if k.startswith("not "))
    negatives = sum(n for k, (_, n) in scores.items() if k.startswith("not "))
    lines.append(f"\ncopies found {found}/{copies}; hard negatives kept apart {negatives - false}/{negatives}"
                 if copies else f"\nhard negatives kept apart {negatives - false}/{negatives}")
    return lines


def probe_pairs() -> list[Pair]:
    return [Pair("not " + kind, a, b, True) for kind, a, b in PROBE_PAIRS]


def leak_counts(train_rows: list[tuple[str, str]], eval_rows: list[tuple[str, str]], embedder) -> tuple[Counter, int, list]:
    """Eval records that leak from training, by how they match, the eval records, and the leaks (measure_index)."""
    from dataaudit.checks.duplicates import measure_index
    from dataaudit.config import Config
    from dataaudit.index import build_index
    from dataaudit.load.dataset import load_dataset
    from dataaudit.normalize import normalize_text

    config = Config()
    folder = Path(tempfile.mkdtemp(prefix="dataaudit-leaks-"))
    indexes = []
    for role, found in (("train", train_rows), ("eval", eval_rows)):
        path = folder / f"{role}.jsonl"
        path.write_text("".join(json.dumps({"text": t, "label": label}) + "\n" for t, label in found), encoding="utf-8")
        index = build_index(role, load_dataset([path], config), lambda t: normalize_text(t, config.duplicates))
        indexes.append(index.with_vectors(dict(zip(index.distinct, embedder.embed(index.embed_texts))), 384))
    result = measure_index(indexes[0], config, eval_index=indexes[1])
    return Counter(x.kind for x in result.all_leaks), len(eval_rows), result.all_leaks


def standard_splits() -> dict[str, tuple[list[tuple[str, str]], list[tuple[str, str]]]]:
    """(train, test) rows of CLINC150 and Banking77 as published, held out by their authors (CLINC150's test split
    still shares exact and near-verbatim copies with its train split)."""
    import csv

    clinc = json.loads((SHARED / "clinc150" / "data_full.json").read_text())
    banking = {split: [(r["text"], r["category"]) for r in csv.DictReader((SHARED / "banking77" / f"{split}.csv").open())]
               for split in ("train", "test")}
    return {"CLINC150": ([tuple(r) for r in clinc["train"]], [tuple(r) for r in clinc["test"]]),
            "Banking77": (banking["train"], banking["test"])}


def planted_rewordings(train: list[tuple[str, str]], test: list[tuple[str, str]],
                       limit: int = 100) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Held-out queries put in training with their REWORDINGS in the eval set: leaks that must be found."""
    originals, reworded = [], []
    for text, label in test:
        for a, b in REWORDINGS:
            if len(reworded) < limit and re.search(rf"\b{a}\b", text):
                originals.append((text, label))
                reworded.append((re.sub(rf"\b{a}\b", b, text, count=1), label))
                break
    return train + originals, reworded


def leak_table(embedder) -> list[str]:
    from dataaudit.checks.duplicates import MAX_SEMANTIC_LEAK_SHARE

    lines = ["### Eval leakage (all-MiniLM-L6-v2, the leak rules)", "",
             "| eval set | eval records | exact / query | lexical | semantic (reworded) | semantic share |", "|---|---|---|---|---|---|"]
    for name, (train, test) in standard_splits().items():
        kinds, total, _ = leak_counts(train, test, embedder)
        lines.append(f"| {name} test against its train split (clean) | {total} | {kinds['exact'] + kinds['query']} | "
                     f"{kinds['lexical']} | {kinds['semantic']} | {kinds['semantic'] / total:.1%} |")
    train, test = standard_splits()["CLINC150"]
    kinds, total, leaks = leak_counts(*planted_rewordings(train, test), embedder)
    found = sum(kinds.values())
    lines.append(f"| CLINC150: {total} test queries reworded, originals put in training (planted) | {total} | "
                 f"{kinds['exact'] + kinds['query']} | {kinds['lexical']} | {kinds['semantic']} | {kinds['semantic'] / total:.1%} |")
    # Eval line i is the rewording of the original at training line len(train) + i: a leak to another training row
    # is not the planted one found (CLINC150 holds near copies of many queries).
    to_original = Counter(x.kind for x in leaks if x.train_line == len(train) + x.eval_line)
    lines.append(f"\nplanted rewordings flagged as leaks {found}/{total}; matched to their planted original "
                 f"{sum(to_original.values())}/{total} (exact/query {to_original['exact'] + to_original['query']}, lexical "
                 f"{to_original['lexical']}, semantic {to_original['semantic']}; several rewordings swap filler, which the "
                 f"lexical rule reads as a copy); a share of semantic leaks above {MAX_SEMANTIC_LEAK_SHARE:.0%} of the eval "
                 "set fails hygiene, below it they warn (exact, query and lexical leaks fail above hygiene.max_leaked)")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--per-kind", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-embeddings", action="store_true")
    parser.add_argument("--cache-dir", type=Path, default=Path(tempfile.gettempdir()) / "dataaudit-bench-seeds",
                        help="embedding cache (the leak table embeds both standard splits: 32,583 texts)")
    args = parser.parse_args()
    if not SHARED.exists():
        raise SystemExit("../shared/datasets is not beside the project")
    pairs = build_pairs(args.per_kind, args.seed)
    lines = table(score(pairs), score_old_rule(pairs), "Without embeddings (lexical rules only)")
    lines += [""] + intl_table(score([Pair(("not " if negative else "") + kind, a, b, negative)
                                      for kind, a, b, negative in INTL_PAIRS]))
    lines += [""] + intl_table(score(probe_pairs()), "Hard negatives a QA probe found, the rules then changed for them "
                               "(PROBE_PAIRS; lexical rules only)")
    if not args.no_embeddings:
        from dataaudit.embeddings import Embedder

        embedder = Embedder(cache_dir=args.cache_dir)
        lines += [""] + table(score(pairs, embedder), score_old_rule(pairs, embedder),
                              "With embeddings (all-MiniLM-L6-v2, cosine >= 0.95 plus the lexical rules)")
        lines += [""] + intl_table(score(probe_pairs(), embedder), "Hard negatives a QA probe found, the rules then changed "
                                   "for them (PROBE_PAIRS; with embeddings)")
        lines += [""] + leak_table(embedder)
    print(f"CLINC150 queries, seed {args.seed}, up to {args.per_kind} pairs per kind\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
