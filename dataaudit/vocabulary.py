"""Text the embedding model cannot read: the share of each text its tokenizer maps to the unknown token.

all-MiniLM-L6-v2's WordPiece vocabulary (bert-base-uncased) has no Thai and lacks many CJK characters, so
a Thai sentence is one `[UNK]` token and two different Thai intents get the same vector (cosine 1.0). The
semantic rules would call them reworded copies and `dedup` would delete them; coverage and label noise fit
the same collapsed vectors; and the WordPiece token count of a 77-character Thai text is 3.

The measure is the share of a text's non-space characters that the model's own tokenizer (its tokenizer.json,
read with the `tokenizers` library: no torch, no transformers) reads as its unknown token. A character share,
not a token share: WordPiece makes one `[UNK]` of a whole unspaced Thai clause but one token per CJK character.

UNREADABLE_SHARE was set by measurement (90 texts: the QA pass's Thai, Chinese and Arabic intents, English
intents with Thai or Chinese tails of growing length, Japanese, Korean; bundled model, cosine to the nearest
text of another intent): every text whose nearest other intent reached the near_cosine of 0.95 had 67% or
more of its characters unknown (Chinese 取消我的订单 0.99, all-Thai 1.00); at or under 0.35 none came above
0.74. 0.3 leaves a margin under the first collapse, and at 0.3 a third of what a text says is invisible to
the model, which is already too much to call two such texts copies on the model's word. An ASCII text never
has an unknown token in a tokenizer checked to read every printable ASCII character, so English data costs
one `str.isascii` per text.
"""

from __future__ import annotations

import functools
import json
import re
import string
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

UNREADABLE_SHARE = 0.3  # texts with at least this share of their characters unknown to the model
EXAMPLES = 3
WARNING_START = "the embedding model "
SCRIPTS_FROM = 1000  # unreadable texts whose unknown characters are named by script (enough to name them)


class Probe:
    """A tokenizer with an unknown token: how much of each text falls in it.

    Learnt per character, not by tokenizing each text with offsets (2-3 s for 20,000 short Thai or Chinese
    texts on this 2-core machine under load; this: ASCII 3-15 ms, accented Latin 20-25 ms, Chinese 115-165 ms,
    Thai 230-240 ms, against 1-2 s for the size check's own WordPiece count of them): each distinct character is tokenized alone and doubled (a word's
    later characters need their continuation piece, `##x`: BERT's vocabulary has many Thai letters alone, few
    as continuations, so a Thai clause is one [UNK] although most of its letters are in the vocabulary), and
    between words (whitespace, punctuation, CJK) or not. A word holding an unknown character is unknown whole,
    as WordPiece makes one [UNK] of it; a regular expression finds those words in each text."""

    def __init__(self, tokenizer, unk_id: int):
        self.tokenizer = tokenizer
        self.unk_id = unk_id
        self._unknown: set[str] = set()
        self._breaks: set[str] = set(string.whitespace)
        # what no share counts: spaces, and what the tokenizer drops (accents and Thai vowel marks stripped by
        # BERT's normaliser, controls), which would otherwise count as read
        self._silent: set[str] = set(string.whitespace)
        self._seen: set[str] = set()
        self._pattern = None
        printable = string.printable.strip()
        self._learn(set(printable))
        self.ascii_safe = not (self._unknown & set(printable))

    def _learn(self, chars: set[str]) -> None:
        new = sorted(chars - self._seen)
        if not new:
            return
        self._seen.update(new)
        encoded = self.tokenizer.encode_batch(new + [c + c for c in new], add_special_tokens=False)
        normalizer, pre = self.tokenizer.normalizer, self.tokenizer.pre_tokenizer
        for c, alone, doubled in zip(new, encoded, encoded[len(new):]):
            if not alone.ids:
                self._silent.add(c)
            elif self.unk_id in alone.ids or self.unk_id in doubled.ids:
                self._unknown.add(c)
            if c.isspace():
                self._breaks.add(c)
            elif pre is not None:
                text = normalizer.normalize_str(f"a{c}a") if normalizer is not None else f"a{c}a"
                if len(pre.pre_tokenize_str(text)) != 1:
                    self._breaks.add(c)
        self._pattern = None

    def _unknown_words(self):
        """Words that hold an unknown character; a character that is a word of its own (CJK) alone."""
        if self._pattern is None:
            self._silent_chars = re.compile(f"[{''.join(map(re.escape, sorted(self._silent)))}]")
            if not self._unknown:
                self._pattern = False
            else:
                breaks = "".join(map(re.escape, sorted(self._breaks)))
                within = "".join(map(re.escape, sorted(self._unknown - self._breaks)))
                alone = "".join(map(re.escape, sorted(self._unknown & self._breaks)))
                self._pattern = re.compile("|".join(
                    ([f"[^{breaks}]*[{within}][^{breaks}]*"] if within else []) + ([f"[{alone}]"] if alone else [])))
        return self._pattern

    def _maybe_unknown(self, texts: Sequence[str]) -> list[int]:
        todo = [i for i, t in enumerate(texts) if not (self.ascii_safe and t.isascii())]
        if todo:
            self._learn(set().union(*(texts[i] for i in todo)))
        return todo

    def unknown_text(self, text: str) -> str:
        """The characters of text in words the model reads as its unknown token."""
        pattern = self._unknown_words()
        return "".join(pattern.findall(text)) if pattern else ""

    def unknown_shares(self, texts: Sequence[str]) -> np.ndarray:
        """Per text, the share of its non-space characters that the model reads as its unknown token."""
        shares = np.zeros(len(texts), dtype=np.float32)
        todo = self._maybe_unknown(texts)
        pattern = self._unknown_words()
        if not pattern:
            return shares
        # counted with subn: str.translate with a dict table cost three times as much
        silent = self._silent_chars.subn
        for i in todo:
            text = texts[i]
            words = pattern.findall(text)
            if words:
                unknown = "".join(words)
                shares[i] = min(1.0, (len(unknown) - silent("", unknown)[1]) / max(1, len(text) - silent("", text)[1]))
        return shares

    def has_unknown(self, texts: Sequence[str]) -> list[bool]:
        """Whether each text has a word the model reads as its unknown token."""
        found = [False] * len(texts)
        todo = self._maybe_unknown(texts)
        pattern = self._unknown_words()
        if pattern:
            for i in todo:
                found[i] = pattern.search(texts[i]) is not None
        return found


def _unk_id(path: Path, tokenizer) -> int | None:
    """The unknown token's id, or None when the tokenizer has none (byte-level BPE reads every text)."""
    try:
        model = json.loads(path.read_text(encoding="utf-8")).get("model", {})
    except (OSError, ValueError):
        return None
    if model.get("type") == "Unigram":
        return model.get("unk_id")
    token = model.get("unk_token")
    return tokenizer.token_to_id(token) if isinstance(token, str) else None


@functools.lru_cache(maxsize=4)
def probe_of_file(path: Path) -> Probe | None:
    from .tokens import _read_tokenizer_json

    try:
        tokenizer = _read_tokenizer_json(path)
    except Exception:  # an unreadable tokenizer: nothing is measured, as for a model without one
        return None
    unk_id = _unk_id(path, tokenizer)
    return Probe(tokenizer, unk_id) if unk_id is not None else None


@functools.lru_cache(maxsize=4)
def probe_for(model: str = "") -> Probe | None:
    """The probe for the configured embedding model ('' = the bundled one); None when its tokenizer cannot be
    read or has no unknown token. Never loads the model itself."""
    from .embeddings import bundled_model_path, resolve_model

    try:
        folder = bundled_model_path() if not model else Path(resolve_model(model).location)
    except Exception:  # the embedder reports a missing model; this measure just has nothing to read
        return None
    if folder is None or not (folder / "tokenizer.json").is_file():
        return None
    return probe_of_file(folder / "tokenizer.json")


# ---------------------------------------------------------------------------------------------------
# Per index: which distinct texts the model cannot read


def unreadable_mask(texts: Sequence[str], model: str = "") -> np.ndarray | None:
    probe = probe_for(model)
    if probe is None:
        return None
    return probe.unknown_shares(texts) >= UNREADABLE_SHARE


def mark_unreadable(indexes: list, model: str) -> list:
    """Each index with `unreadable` set over its distinct keys, measured on what was embedded for them."""
    import dataclasses

    return [dataclasses.replace(index, unreadable=unreadable_mask(index.embed_texts, model)) for index in indexes]


def scripts(texts: Sequence[str], probe: Probe) -> list[str]:
    """The writing systems of the unknown characters, most first: the first word of each character's Unicode
    name (THAI, CJK, HANGUL), SYMBOL for emoji and other symbols."""
    probe._maybe_unknown(texts)
    counts: Counter = Counter()
    for c, n in Counter("".join(probe.unknown_text(t) for t in texts)).items():
        category = unicodedata.category(c)
        # ASCII (digits and Latin letters) inside an unknown word is never the script the model lacks: "436일째" read
        # as "DIGIT" among the writing systems.
        if c.isascii() or category.startswith(("P", "Z", "C")):
            continue
        counts["SYMBOL" if category.startswith("S") else (unicodedata.name(c, "") or "UNNAMED").split()[0]] += n
    return [name for name, _ in counts.most_common(5)]


@dataclass(frozen=True)
class Unreadable:
    """Distinct inputs the embedding model reads mostly as its unknown token (report.json checks.embeddings.unreadable)."""

    count: int  # distinct training inputs with >= threshold of their characters unknown to the model
    share: float  # of the distinct training inputs
    threshold: float
    scripts: list[str]
    examples: list[str]  # the first EXAMPLES of them, each its first record's input as typed (excerpted)
    production: int = 0  # distinct production inputs likewise
    eval: int = 0
    roles: dict[str, int] = field(default_factory=dict, repr=False, metadata={"json": False})
    example_places: list[str] = field(default_factory=list, repr=False, metadata={"json": False})  # "file:line" of each example


def summarize(train, production=None, eval_index=None, model: str = "") -> Unreadable | None:
    from .excerpt import plain_excerpt

    if train.unreadable is None:
        return None
    mask = train.unreadable
    texts = [t for t, bad in zip(train.embed_texts, mask.tolist()) if bad]
    count = len(texts)
    # Quoted as typed, where the reader can find it: what was embedded is normalised (lower-cased, emoji joiners
    # taken out), so "Family 👨‍👩‍👧" read "family 👨👩👧", a text no file holds.
    firsts = [train.records[train.positions[key][0]] for key, bad in zip(train.distinct, mask.tolist()) if bad][:EXAMPLES]
    other = {index.role: int(index.unreadable.sum()) for index in (production, eval_index)
             if index is not None and index.unreadable is not None}
    probe = probe_for(model)
    named = scripts(texts[:SCRIPTS_FROM] + [t for index in (production, eval_index) if index is not None and index.unreadable is not None
                                            for t, bad in zip(index.embed_texts, index.unreadable.tolist()) if bad][:SCRIPTS_FROM],
                    probe) if probe is not None and (count or any(other.values())) else []
    return Unreadable(count, round(count / len(mask), 4) if len(mask) else 0.0, UNREADABLE_SHARE, named,
                      [plain_excerpt(r.query_text or r.input_text, 80) for r in firsts], other.get("production", 0),
                      other.get("eval", 0), {"train": count, **other}, [f"{r.source}:{r.line}" for r in firsts])


def _script_word(name: str) -> str:
    """A script as a sentence names it: THAI (its Unicode name's first word) as Thai; CJK stays CJK."""
    return name if name in ("CJK",) else name.capitalize()


def warning(unreadable: Unreadable | None, model_label: str, ran: set[str]) -> str | None:
    if unreadable is None or not any(unreadable.roles.values()):
        return None
    where = [f"{unreadable.count} distinct training inputs ({unreadable.share:.1%})"]
    where += [f"{n} {role} inputs" for role, n in unreadable.roles.items() if role != "train" and n]
    scripts_named = f" (mostly {', '.join(_script_word(s) for s in unreadable.scripts)} characters)" if unreadable.scripts else ""
    places = unreadable.example_places or [""] * len(unreadable.examples)
    quoted = [f'{place} "{text}"'.lstrip() for place, text in zip(places, unreadable.examples)]
    shown = f"; e.g. {', '.join(quoted)}" if quoted else ""
    unreliable = ("; label noise left them out of its classifier" if "label_noise" in ran else "")
    unreliable += ("; coverage reads the same vectors, so its figures for these texts are unreliable" if "coverage" in ran else "")
    return (f"{WARNING_START}{model_label} cannot read {' and '.join(where)}{scripts_named}: at least "
            f"{UNREADABLE_SHARE:.0%} of their characters are its unknown token, so different texts get nearly the same "
            f"vector. They were kept out of semantic near duplicates and leaks (exact and lexical copies still count)"
            f"{unreliable}{shown}. Use a multilingual sentence-transformers model (--model PATH, or [embeddings] model), "
            "e.g. paraphrase-multilingual-MiniLM-L12-v2")


def vocabulary_warnings(checks, ctx) -> list[str]:
    """The report's warnings about text the embedding model's tokenizer cannot read (api.py adds them)."""
    out = []
    embeddings = checks.get("embeddings")
    ran = {name for name, run in checks.runs.items() if run.status == "ran"}
    said = warning(getattr(embeddings, "unreadable", None), ctx.embedding_model, ran)
    if said:
        out.append(said)
    size = checks.get("size")
    n = getattr(size, "recounted", 0) if size is not None else 0
    if n:
        targeted = checks.get("tokens") is not None  # the tokens check measures only for a target model
        resting = "the size check's token counts and its context limit"
        resting += " and the economics figures" if "economics" in ran and not targeted else ""
        target = "" if targeted else " Set --target-model (or [tokens] target_model) to count with the model you will tune."
        texts_have, they_were, them = (("text has", "it was", "it") if n == 1 else ("texts have", "they were", "them"))
        out.append(f"{n} distinct training {texts_have} words the {size.tokenizer} tokenizer cannot read (it would count a "
                   f"whole Thai clause or a row of emoji as one token): {they_were} counted with o200k_base where that counts more, so "
                   f"{resting} rest on that estimate for {them}.{target}")
    return out


def say_unreadable(warnings: list[str]) -> None:
    """The unreadable-text warning as an InputWarning, which `dedup` shows as a `dataaudit: note:` line."""
    import warnings as _warnings

    from .errors import InputWarning

    for said in warnings:
        if said.startswith(WARNING_START) and " cannot read " in said:
            _warnings.warn(said, InputWarning, stacklevel=2)
