"""Near-duplicate pairs among distinct texts, found and verified; the duplicates check (duplicates.py) groups,
judges and reports them.

- Lexical copies: equal content words (filler words, case and punctuation dropped: `normalize.skeleton`), the
  same words with one block moved, or typos: MinHash candidates over character 3-grams, once per distinct
  content-word sequence, banded with a bounded number of candidates per text (one-letter-deletion keys for
  short texts), screened by a character edit distance that grows with length (rapidfuzz, vectorised over all
  candidate pairs) before the word-level rule (`normalize.copy_kind`).
- Semantic (reworded) copies: cosine >= a bound among each text's nearest neighbours (sentence embeddings),
  unless `normalize.reworded_copy` finds a number, a negation, an opposite, in English a meaning-bearing
  function word (my / your, why / how, all, again: `normalize.MEANING_FUNCTION_WORDS`) or a slot value that
  differs, or one text is an agent's passive of the other (`normalize.voice_changed`).

A system prompt is compared as a unit (`prompt_classes`): records under prompts that are not copies of one
another are never copies, and under one prompt (or copies of it) only the queries' words are compared, so a
query pairs under a shared prompt as it does in plain text. A conversation with replies or tool turns in its
input compares its other turns (`Record.context`) as that unit, by equality. The texts these functions compare
are the queries (`TextIndex.embed_texts`), each with its prompt's class. An eval query is a leak under any prompt:
`typo_pairs_between` bands eval and training queries with no class for it (duplicates.query_copies).

Inputs of several fields (a premise and its hypothesis, joined by a newline in `Record.input_text`) are
compared field by field wherever a rule would ignore order across the whole text: two of them are word-order
copies only when each field copies the same field of the other (`fields_agree`), and sentence embeddings of
the whole input do not make a reworded copy of the same fields in another order (`fields_swapped`), so a pair
and its swap (another input of an entailment task) are never one group.

`lexical_features` is the per-text half of the lexical pass, the map step the engines run where each file lies
(docs/distributed.md); `joined_features` lines its results up with the texts of a run.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Protocol

import numpy as np

from .. import neighbours
from ..config import DuplicatesConfig
from ..engine.base import DataSteps, SerialSteps
from ..normalize import (SOCIAL_FILLERS, copy_kind, filler_count_words, mistyped_fillers, reworded_copy, skeleton,
                         tokens, voice_changed, voice_memo)

STRIP_AFFIXES = False
AFFIX_SAMPLE = 50_000  # distinct texts sampled to find template affixes
AFFIX_MIN_SHARE = 0.02  # a leading/trailing run of words this common is a template part, not content
AFFIX_MAX_WORDS = 6
MIN_JACCARD = 0.3  # estimated 3-gram Jaccard below which a MinHash candidate is not worth an edit distance
MIN_CORE_CHARS = 12  # a core shorter than this (e.g. "you") is shared by too many texts: keep the affixes
MAX_BAG_COMPARED = 64  # orderings of one bag of words compared pairwise (a bag rarely holds more than a few)
SHORT_TEXT_CHARS = 12  # 3-grams cannot find a typo in a text this short (joke / jkoe share none): one-edit keys do
# Candidate pairs per block of the verification step: about 0.2 s of one core (40-character texts), ten times
# a Ray task's round trip, so fewer pairs stay in one block, which the Ray engine runs on the driver. Shipping
# a pair's two strings costs about what verifying it does, so on the simulated two-node cluster (two CPUs,
# against the driver's two threads) the tasks were slower: 3.7 million pairs 2.1 s against 1.8 s; the gain
# comes from nodes beyond the driver's cores.
MIN_BLOCK_PAIRS = 200_000
# The exact q-gram screen before the edit distance of two long texts (`within_qgram_bound`). MinHash over the
# set of character 3-grams saturates on long English texts (two unrelated 50,000-character texts share nearly
# every common 3-gram), so nearly every pair of them became a candidate whose edit distance cost about 60 ms.
# q = 8: the bound a copy must meet falls by q + 1 grams per allowed edit (one per 20 characters), about 0.55 of
# the length at q = 8, while unrelated texts of random banking77 words shared 0.29-0.42 of their 8-grams (0.67-0.71
# of their 5-grams against a bound of 0.70: too close); a larger q leaves less of the bound for real text.
QGRAM = 8
# Below this the edit distance costs about what the screen does: 40 texts of banking77 queries, 780 unrelated
# pairs, one core, per pair: 250 characters OSA 24 us / screen 31 us, 500: 70 / 22, 1,000: 269 / 48, 4,000:
# 3,937 / 170 (the screen dropped all of them at each length).
LONG_TEXT_CHARS = 500


@dataclass
class NearPairs:
    """Confirmed near pairs over a list of distinct texts: endpoints, how they copy, similarity."""

    first: list[int] = field(default_factory=list)
    second: list[int] = field(default_factory=list)
    kind: list[str] = field(default_factory=list)
    similarity: list[float] = field(default_factory=list)

    def add(self, i: int, j: int, kind: str, similarity: float) -> None:
        self.first.append(i)
        self.second.append(j)
        self.kind.append(kind)
        self.similarity.append(similarity)


def _template_affixes(skeletons: list[tuple[str, ...]], seed: int) -> tuple[set[tuple[str, ...]], set[tuple[str, ...]]]:
    """Leading and trailing runs of words shared by at least AFFIX_MIN_SHARE of the texts (a sample)."""
    if len(skeletons) < 50:
        return set(), set()
    rng = np.random.default_rng(seed)
    sample = [skeletons[i] for i in rng.choice(len(skeletons), size=min(AFFIX_SAMPLE, len(skeletons)), replace=False)]
    heads: Counter = Counter()
    tails: Counter = Counter()
    for words in sample:
        for k in range(1, min(AFFIX_MAX_WORDS, len(words) - 1) + 1):
            heads[words[:k]] += 1
            tails[words[-k:]] += 1
    bound = max(5, AFFIX_MIN_SHARE * len(sample))
    return {a for a, c in heads.items() if c >= bound}, {a for a, c in tails.items() if c >= bound}


def _core(words: tuple[str, ...], heads: set, tails: set) -> str:
    """The words without template affixes; the whole when what is left is too short to tell texts apart."""
    start, end = 0, len(words)
    for k in range(min(AFFIX_MAX_WORDS, end - 1), 0, -1):
        if words[:k] in heads:
            start = k
            break
    for k in range(min(AFFIX_MAX_WORDS, end - start - 1), 0, -1):
        if words[end - k:] in tails:
            end -= k
            break
    core = " ".join(words[start:end])
    return core if end - start >= 2 and len(core) >= MIN_CORE_CHARS else " ".join(words)


def _allowed_edits(length: np.ndarray, ratio: float) -> np.ndarray:
    """Character edits a copy may hold: one more per 20 characters (so the similarity bound grows with length,
    from 0.90 on short texts towards 0.95), never more than (1 - lexical_ratio) of the length, at least one."""
    return np.maximum(1, np.minimum(1 + length // 20, np.floor((1 - ratio) * length))).astype(np.int64)


@dataclass(frozen=True)
class LexicalPartial:
    """The per-text work of the lexical pass over one file's distinct keys, done where the file lies."""

    keys: list[str]  # the file's distinct non-empty keys, first appearance first
    words: list[tuple[str, ...]]  # each key's content words, before the corpus's mistyped fillers are known
    filler_words: dict[int, tuple[str, ...]]  # key position -> its tokens that mistyped_fillers counts (most keys: none)
    signature_rows: np.ndarray  # key position -> its row in `signatures`
    signatures: np.ndarray  # MinHash of each distinct content-word sequence of the file


def lexical_features(keys: list[str], seed: int) -> LexicalPartial:
    """A map step of the lexical pass (module-level: it runs in the engine's tasks). Everything here depends
    on one text alone; the word counts that decide which words are mistyped fillers span the corpus, so the
    content words are taken without them, and the driver redoes the few texts that hold one."""
    distinct = [k for k in dict.fromkeys(keys) if k]
    split = [tokens(k) for k in distinct]
    counted = filler_count_words(set().union(*split))
    filler_words = {i: tuple(w for w in ws if w in counted) for i, ws in enumerate(split) if not counted.isdisjoint(ws)}
    words = [skeleton(ws) for ws in split]
    row_of: dict[str, int] = {}
    rows = np.array([row_of.setdefault(joined, len(row_of)) for joined in map(" ".join, words)], dtype=np.int64)
    signatures = neighbours.minhash_signatures(list(row_of), seed=seed + 1)
    return LexicalPartial(distinct, words, filler_words, rows, signatures)


def joined_features(texts: list[str], partials: list[LexicalPartial], seed: int) -> LexicalPartial:
    """One partial over exactly `texts`, in their order, one signature row each: each text's features taken
    from a partial that holds it (they depend on the text alone, so a key held by several files may come from
    any of them), computed here for a text none holds."""
    keys = [k for part in partials for k in part.keys]
    where = None  # texts in the partials' order, each once: the usual case of training keys alone
    if keys != texts:  # eval keys, keys in several files, or keys the partials were not given
        held = set(keys)
        missing = [t for t in texts if t not in held]
        if missing:
            partials = [*partials, lexical_features(missing, seed)]
            keys += partials[-1].keys
        slot = dict(zip(keys, range(len(keys))))
        where = np.fromiter(map(slot.__getitem__, texts), dtype=np.int64, count=len(texts))
    all_words = [w for part in partials for w in part.words]
    words = all_words if where is None else [all_words[g] for g in where.tolist()]
    row_offsets = np.cumsum([0] + [len(part.signatures) for part in partials[:-1]])
    all_rows = np.concatenate([part.signature_rows + offset for part, offset in zip(partials, row_offsets)])
    signatures = np.concatenate([part.signatures for part in partials])[all_rows if where is None else all_rows[where]]
    key_offsets = np.cumsum([0] + [len(part.keys) for part in partials[:-1]]).tolist()
    filler_words = {g + offset: found for part, offset in zip(partials, key_offsets) for g, found in part.filler_words.items()}
    if where is not None:
        filler_words = {i: filler_words[g] for i, g in enumerate(where.tolist()) if g in filler_words}
    return LexicalPartial(list(texts), words, filler_words, np.arange(len(texts), dtype=np.int64), signatures)


def _gathered(texts: list[str], partials: list[LexicalPartial],
              seed: int) -> tuple[list[tuple[str, ...]], np.ndarray, set[int], frozenset[str]]:
    """Each text's content words and MinHash signature (`joined_features`), the texts whose words were redone here
    because they hold one of the corpus's mistyped fillers (their signatures are stale), and those fillers."""
    joined = joined_features(texts, partials, seed)
    words = list(joined.words)
    found_in = list(joined.filler_words.items())
    typos = mistyped_fillers(Counter(w for _, found in found_in for w in found))
    redone = {i for i, found in found_in if not typos.isdisjoint(found)}
    for i in redone:
        words[i] = skeleton(tokens(texts[i]), typos)
    return words, joined.signatures, redone, typos


def osa_distances(block: tuple[list[str], list[str]], cutoff: int) -> np.ndarray:
    """The map step of the candidate verification (module-level: it runs in an engine's tasks): the
    optimal-string-alignment edit distance of each (left, right) pair of the block, cutoff + 1 above cutoff."""
    from rapidfuzz import process
    from rapidfuzz.distance import OSA

    left, right = block
    # Every core of this machine, unless the process is told fewer: Ray sets OMP_NUM_THREADS to the CPUs it
    # gave the task, so the tasks sharing a node do not each start a thread per core.
    workers = int(os.environ.get("OMP_NUM_THREADS") or -1)
    return process.cpdist(left, right, scorer=OSA.distance, score_cutoff=cutoff, workers=workers)


def verified_distances(left: list[str], right: list[str], cutoff: int, steps: DataSteps | None = None) -> np.ndarray:
    """osa_distances of every (left[p], right[p]), in order, the pairs split into blocks of MIN_BLOCK_PAIRS
    that steps (None = this process) maps; one cutoff for all, so any split gives the same distances."""
    blocks = [(left[start:start + MIN_BLOCK_PAIRS], right[start:start + MIN_BLOCK_PAIRS])
              for start in range(0, len(left), MIN_BLOCK_PAIRS)]
    found = (steps or SerialSteps()).map_blocks(osa_distances, blocks, cutoff)
    return np.concatenate(found) if found else np.zeros(0, dtype=np.uint32)


def qgram_keys(text: str) -> np.ndarray:
    """The text's character q-grams (QGRAM) as a multiset turned into a set: each gram's 32-bit hash in the high
    half of a key and its occurrence number among the text's grams of that hash in the low half, sorted. Two
    texts' keys in common count their hashed grams' multiset intersection, which is never below the true
    grams' (a hash shared by two grams only merges counts: min(a + b, c + d) >= min(a, c) + min(b, d))."""
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    count = len(codes) - QGRAM + 1
    if count <= 0:
        return np.zeros(0, dtype=np.uint64)
    hashed = np.zeros(count, dtype=np.uint64)
    for offset in range(QGRAM):  # a polynomial hash over 64 bits, wrapping, folded to 32 below
        hashed = hashed * np.uint64(0x100000001B3) + codes[offset:offset + count]
    hashed = (hashed ^ (hashed >> np.uint64(32))) & np.uint64(0xFFFFFFFF)
    hashed.sort()
    place = np.arange(count, dtype=np.uint64)
    run_start = np.maximum.accumulate(np.where(np.r_[True, hashed[1:] != hashed[:-1]], place, np.uint64(0)))
    return (hashed << np.uint64(32)) | (place - run_start)


# Partners' keys gathered at once for one text: bounds the memory of the screen's largest step (8 bytes each).
SHARED_GATHER_KEYS = 4_000_000


def shared_qgrams(texts: list[str], first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """For each pair (texts[first[p]], texts[second[p]]), how many hashed q-grams the two hold in common,
    counted as multisets (`qgram_keys`). Each text's keys are made once and numbered over all of them; then
    for each first text its keys are marked and every partner's keys looked up in one gather, so the work is
    the partners' lengths in numpy, not a Python step per gram."""
    shared = np.zeros(len(first), dtype=np.int64)
    if not len(first):
        return shared
    involved, local = np.unique(np.concatenate([first, second]), return_inverse=True)
    keys = [qgram_keys(texts[i]) for i in involved.tolist()]
    starts = np.zeros(len(keys) + 1, dtype=np.int64)
    np.cumsum([len(k) for k in keys], out=starts[1:])
    if not starts[-1]:
        return shared
    # Numbered text by text against the distinct keys: np.unique's inverse over every key at once held about
    # 60 bytes per character at its peak (613 MB for 250 texts of 42,000 characters); this holds about 30.
    distinct = np.unique(np.concatenate(keys))
    numbered = np.empty(int(starts[-1]), dtype=np.int32 if len(distinct) < 2 ** 31 else np.int64)
    for a, own in enumerate(keys):
        numbered[starts[a]:starts[a + 1]] = np.searchsorted(distinct, own)
    keys.clear()
    marked = np.zeros(len(distinct), dtype=bool)
    del distinct
    left, right = local[:len(first)], local[len(first):]
    order = np.argsort(left, kind="stable")
    bounds = np.searchsorted(left[order], np.arange(len(involved) + 1))
    for a in np.nonzero(bounds[1:] > bounds[:-1])[0].tolist():
        own = numbered[starts[a]:starts[a + 1]]
        marked[own] = True
        pairs = order[bounds[a]:bounds[a + 1]]
        partners = right[pairs]
        sizes = starts[partners + 1] - starts[partners]
        block_start = 0
        while block_start < len(pairs):
            block_end = block_start + max(1, int(np.searchsorted(np.cumsum(sizes[block_start:]), SHARED_GATHER_KEYS, side="right")))
            block = partners[block_start:block_end]
            gathered = np.concatenate([numbered[starts[b]:starts[b + 1]] for b in block.tolist()])
            hits = np.zeros(len(gathered) + 1, dtype=np.int64)
            np.cumsum(marked[gathered], out=hits[1:])
            ends = np.cumsum(sizes[block_start:block_end])
            shared[pairs[block_start:block_end]] = hits[ends] - hits[ends - sizes[block_start:block_end]]
            block_start = block_end
        marked[own] = False
    return shared


def within_qgram_bound(texts: list[str], first: np.ndarray, second: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """Whether each pair may be within allowed[p] optimal-string-alignment edits, by the q-gram count lemma: a
    pair that shares fewer q-grams than the bound is farther apart, so its edit distance need not be computed.
    The bound, for OSA: map the text x of the two through an optimal alignment; a q-gram of x all of whose
    characters are matched, with nothing inserted between them, appears in the other text, at a start of its
    own. A substitution or a deletion touches one character of x and ruins the q grams holding it; an insertion
    falls between two characters and ruins the q - 1 grams spanning both; a transposition of two adjacent
    characters ruins the q + 1 grams holding either. So k edits ruin at most k (q + 1) of the |x| - q + 1 grams
    of x, for x either text, and the texts share at least max(|a|, |b|) - q + 1 - k (q + 1) of them."""
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    longest = np.maximum(lengths[first], lengths[second])
    bound = longest - QGRAM + 1 - allowed.astype(np.int64) * (QGRAM + 1)
    may = bound <= 0
    screened = np.nonzero(~may)[0]
    may[screened] = shared_qgrams(texts, first[screened], second[screened]) >= bound[screened]
    return may


Fields = tuple[tuple[str, ...], ...]  # content words of each field of an input, in the order the model sees them


class FieldsOf(Protocol):
    """Text position -> the fields of its input (None: an input of one field), read without the corpus's
    mistyped fillers (`typos`, normalize.mistyped_fillers) as the whole text's content words are."""

    def __call__(self, i: int, typos: frozenset[str] = frozenset()) -> Fields | None: ...


def input_fields(text: str, typos: frozenset[str] = frozenset()) -> Fields | None:
    """The content words of each field of an input whose fields are joined by newlines (Record.input_text: a
    premise and its hypothesis, sentence1 and sentence2, a system prompt and its query); None for one field.
    A line without a word is no field: a template's separator ("###" after every legacy prompt, "---") read as one
    made the input two fields, never a filler copy of the same text without it (a plain CSV of the same queries)."""
    parts = [p for p in text.split("\n") if tokens(p)]
    return tuple(skeleton(tokens(p), typos) for p in parts) if len(parts) > 1 else None


def fields_agree(a: Fields | None, b: Fields | None) -> bool:
    """Whether two inputs are copies field by field: each field equal to (filler aside) or a word-order copy
    of the same field of the other. Inputs of one field agree (their whole texts were compared); a pair and
    its swap, a word moved from one field into another, or fields split in another place do not."""
    if a is None and b is None:
        return True
    if a is None or b is None or len(a) != len(b):
        return False
    return all(copy_kind(x, y) in ("filler", "word order") for x, y in zip(a, b))


_SOCIAL = re.compile(r"\b(?:" + "|".join(map(re.escape, sorted(SOCIAL_FILLERS, key=len, reverse=True))) + r")\b")


def _social(*texts: str) -> bool:
    """Whether any of the texts holds a greeting, thanks or please (a cheap test before the fields are read)."""
    return any(_SOCIAL.search(t) for t in texts)


def fields_copy(a: Fields | None, b: Fields | None, ratio: float) -> bool:
    """Whether two inputs are lexical copies field by field: copy_kind of each field and the same field of the
    other, within the character edits a text of that field's length may hold (_allowed_edits). A typo copy of
    a hypothesis is judged on the hypothesis, not on it and its premise as one text, whose shared words let
    more edits through (one edited stretch per six words, one character per twenty)."""
    from rapidfuzz.distance import OSA

    if a is None and b is None:
        return True
    if a is None or b is None or len(a) != len(b):
        return False
    for x, y in zip(a, b):
        left, right = " ".join(x), " ".join(y)
        allowed = int(_allowed_edits(np.array([max(len(left), len(right))]), ratio)[0])
        if copy_kind(x, y) is None or OSA.distance(left, right, score_cutoff=allowed) > allowed:
            return False
    return True


def fields_swapped(a: Fields | None, b: Fields | None) -> bool:
    """Whether two inputs of as many fields read closer with their fields in another order than in place (a
    premise and hypothesis swapped, reworded or not): the content words of the fields, matched one to one to
    share the most (Jaccard), are not matched in place. They are two inputs, however close their whole texts
    read to a rule blind to the fields."""
    if a is None or b is None or len(a) != len(b):
        return False
    from scipy.optimize import linear_sum_assignment

    sets_a, sets_b = [set(x) for x in a], [set(y) for y in b]
    share = np.array([[len(x & y) / max(len(x | y), 1) for y in sets_b] for x in sets_a])
    rows, cols = linear_sum_assignment(share, maximize=True)
    return bool(share[rows, cols].sum() > np.trace(share) + 1e-9)


def prompt_classes(prompts: list[str], ratio: float, seed: int = 0, *, lexical: bool = True,
                   conversations: list[bool] | None = None) -> list[int]:
    """One class per text of the lexical and semantic passes, from its system prompt (normalised; "" for none):
    prompts that are equal or lexical copies of the earliest prompt of their group (typos, filler, one moved
    block: `lexical_pairs` over the distinct prompts, grouped by `leader_groups`, so a chain of copies does not
    join prompts that are no copies of each other) share a class; texts without a prompt have one of their own.
    lexical: False compares prompts by equality alone (duplicates.lexical off). conversations: which prompts
    are a conversation's other turns (Record.context), compared by equality alone: they are whole transcripts
    of replies and tool outputs, where a lexical pass costs more than the queries' own (and one other tool
    output is another example), and they never share a class with a system prompt."""
    whole = conversations or [False] * len(prompts)
    system = [p for p in dict.fromkeys(p for p, w in zip(prompts, whole) if not w) if p]
    copies = lexical_pairs(system, ratio, seed) if lexical and len(system) > 1 else NearPairs()
    group = leader_groups(len(system), [copies]).tolist()
    class_of: dict[tuple[bool, str], int] = {(False, p): group[i] + 1 for i, p in enumerate(system)}
    for p, w in zip(prompts, whole):
        if w:
            class_of.setdefault((True, p), len(system) + 1 + len(class_of))
    return [class_of.get((w, p), 0) for p, w in zip(prompts, whole)]


def lexical_pairs(texts: list[str], ratio: float, seed: int = 0, partials: list[LexicalPartial] | None = None,
                  steps: DataSteps | None = None, fields_of: FieldsOf | None = None,
                  prompts: list[int] | None = None) -> NearPairs:
    """Lexical copies among texts: the queries of distinct keys (a text may recur under other prompts).
    Texts with the same content words are linked to the first of them; MinHash then runs once per distinct
    content-word sequence. partials: the per-file map of `lexical_features` over these texts (None: computed
    here in one piece; a text no partial holds is computed here too). steps: the engine that runs the LSH banding and the candidate verification as blocks
    of independent work (None: this process); the pairs are the same either way. fields_of: the fields of the
    query behind each text (`input_fields`; texts are whitespace-normalised and lost the newlines between
    fields), for the word-order rule (None: every text is one field). prompts: each text's prompt class
    (`prompt_classes`; None: one for all): texts of two classes are never paired."""
    from rapidfuzz import fuzz

    pairs = NearPairs()
    if len(texts) < 2:
        return pairs
    words, text_signatures, redone, typos = _gathered(texts, partials or [], seed)
    partials = None  # joined: the files' results need not outlive the banding below
    classes = prompts or [0] * len(texts)
    # Same content words (filler, punctuation and case aside) under one prompt class: linked to the first text
    # that has them, unless an input of several fields holds a greeting or thanks (below).
    with_words: dict[tuple[int, tuple[str, ...]], list[int]] = {}
    for i, w in enumerate(words):
        if w:
            with_words.setdefault((classes[i], w), []).append(i)
    reps = []
    for members in with_words.values():
        rep = members[0]
        if fields_of is None or len(members) == 1 or not any(_social(texts[i]) for i in members):
            reps.append(rep)
            for i in members[1:]:
                pairs.add(rep, i, "filler", round(fuzz.ratio(texts[rep], texts[i]) / 100, 4))
            continue
        # A greeting or thanks is dropped beside enough other words (normalize.SOCIAL_FILLERS), and the other
        # fields' words count, so "why hello" and "why thank you" after one premise have the same content words:
        # they are judged field by field instead. Texts of equal fields are linked to the first of them, and the
        # first of each fields to every other first whose fields agree, so the groups do not depend on the order.
        first_with: dict[Fields | None, int] = {}
        for i in members:
            rep = first_with.setdefault(fields_of(i, typos), i)
            if rep != i:
                pairs.add(rep, i, "filler", round(fuzz.ratio(texts[rep], texts[i]) / 100, 4))
        firsts = list(first_with.items())
        reps += [i for _, i in firsts]
        for k, (fields_i, i) in enumerate(firsts):
            for fields_j, j in firsts[k + 1:]:
                if fields_agree(fields_i, fields_j):
                    pairs.add(i, j, "filler", round(fuzz.ratio(texts[i], texts[j]) / 100, 4))
    reps.sort()
    # The same words with one block moved. Every two texts of a bag are compared: a group holds copies of its
    # kept text only (leader_groups), and linking each text to the next copy alone made a chain, so a third
    # ordering never met the first (CLINC150: "please roll the dice, ai" / "ai, please roll the dice" / "dice ai,
    # please roll the"). A bag of more than MAX_BAG_COMPARED orderings links each to the next copy only.
    by_bag: dict[tuple[int, tuple[str, ...]], list[int]] = {}
    for i in reps:
        by_bag.setdefault((classes[i], tuple(sorted(words[i]))), []).append(i)
    for members in by_bag.values():
        every = len(members) <= MAX_BAG_COMPARED
        for k, i in enumerate(members):
            for j in members[k + 1:]:
                if copy_kind(words[i], words[j]) == "word order" and (
                        fields_of is None or fields_agree(fields_of(i, typos), fields_of(j, typos))):
                    pairs.add(i, j, "word order", round(fuzz.ratio(texts[i], texts[j]) / 100, 4))
                    if not every:
                        break
    # Typo copies: MinHash candidates over the distinct content-word sequences, template affixes stripped.
    distinct_words = [words[i] for i in reps]
    heads, tails = _template_affixes(distinct_words, seed) if STRIP_AFFIXES else (set(), set())
    joined = [" ".join(w) for w in distinct_words]
    cores = [(_core(w, heads, tails) if heads or tails else j) or j for w, j in zip(distinct_words, joined)]
    signatures = text_signatures[reps]
    # The partials hashed each text's content words as they found them: texts redone here, or cut to a core
    # without their template affixes, are hashed again.
    stale = [k for k, i in enumerate(reps) if i in redone or cores[k] != joined[k]] if redone or heads or tails else []
    if stale:
        signatures[stale] = neighbours.minhash_signatures([cores[k] for k in stale], seed=seed + 1)
    first, second = typo_candidates(signatures, joined, steps)
    if prompts:
        rep_class = np.array([classes[i] for i in reps], dtype=np.int64)
        same = rep_class[first] == rep_class[second]
        first, second = first[same], second[same]
    fields_agreed = None if fields_of is None else \
        (lambda a, b: fields_copy(fields_of(reps[a], typos), fields_of(reps[b], typos), ratio))
    for a, b, similarity in typo_copies(joined, distinct_words, first, second, ratio, steps, fields_agreed):
        pairs.add(reps[a], reps[b], "typo", similarity)
    return pairs


def typo_candidates(signatures: np.ndarray, joined: list[str],
                    steps: DataSteps | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Candidate pairs (i < j) of typo copies among texts (content words joined by spaces) with these MinHash
    signatures (`neighbours.minhash_signatures` of the joined words, seed + 1): the banded candidates whose
    estimated 3-gram Jaccard reaches MIN_JACCARD, and short texts that share a one-letter-deletion key."""
    first, second = neighbours.band_candidates(signatures, steps=steps)
    close = neighbours.estimated_jaccard(signatures, first, second) >= MIN_JACCARD
    short_first, short_second = neighbours.one_edit_candidates(joined, SHORT_TEXT_CHARS)
    return np.concatenate([first[close], short_first]), np.concatenate([second[close], short_second])


def typo_copies(joined: list[str], words: list[tuple[str, ...]], first: np.ndarray, second: np.ndarray, ratio: float,
                steps: DataSteps | None = None, fields_agreed: Callable[[int, int], bool] | None = None
                ) -> list[tuple[int, int, float]]:
    """(i, j, similarity) of the candidate pairs (first[p], second[p]) that are typo copies: within the character
    edits the longer text may hold (`_allowed_edits`; an exact q-gram screen first where both texts are long),
    then the word rule (`normalize.copy_kind` says typo: no number, name, negation or opposite changed) and
    fields_agreed(i, j) (None: every text is one field). joined: each text's content words (words) joined by spaces."""
    if not len(first):
        return []
    lengths = np.fromiter(map(len, joined), np.int64, len(joined))
    longest = np.maximum(lengths[first], lengths[second])
    allowed = _allowed_edits(longest, ratio)
    # An exact screen (no copy is lost) where both texts are long: their edit distance is what costs.
    both_long = np.nonzero(np.minimum(lengths[first], lengths[second]) >= LONG_TEXT_CHARS)[0]
    if len(both_long):
        may = np.ones(len(first), dtype=bool)
        may[both_long] = within_qgram_bound(joined, first[both_long], second[both_long], allowed[both_long])
        first, second, longest, allowed = first[may], second[may], longest[may], allowed[may]
    if not len(first):
        return []
    left = [joined[i] for i in first.tolist()]
    right = [joined[j] for j in second.tolist()]
    distance = verified_distances(left, right, int(allowed.max()), steps)
    found = []
    for p in np.nonzero(distance <= allowed)[0].tolist():
        i, j = int(first[p]), int(second[p])
        if copy_kind(words[i], words[j]) == "typo" and (fields_agreed is None or fields_agreed(i, j)):
            found.append((i, j, round(1 - float(distance[p]) / max(int(longest[p]), 1), 4)))
    return found


def typo_pairs_between(known: list[tuple[str, ...]], new: list[tuple[str, ...]], ratio: float, seed: int = 0,
                       steps: DataSteps | None = None,
                       fields_agreed: Callable[[int, int], bool] | None = None) -> NearPairs:
    """Typo copies between two lists of distinct content-word sequences (`skeleton`), never two of one list:
    (known position, new position, "typo", similarity), by the candidates and rule of `lexical_pairs`
    (`typo_candidates` over one banding of both lists, then `typo_copies`), with no prompt class: for queries
    whose system prompts differ, which that pass never pairs. fields_agreed(known position, new position):
    whether their fields are copies (None: one field each)."""
    pairs = NearPairs()
    if not known or not new:
        return pairs
    joined = [" ".join(w) for w in known] + [" ".join(w) for w in new]
    signatures = neighbours.minhash_signatures(joined, seed=seed + 1)
    first, second = typo_candidates(signatures, joined, steps)
    across = (first < len(known)) & (second >= len(known))  # known texts come first, so first < second holds
    fields = None if fields_agreed is None else (lambda a, b: fields_agreed(a, b - len(known)))
    for a, b, similarity in typo_copies(joined, [*known, *new], first[across], second[across], ratio, steps, fields):
        pairs.add(a, b - len(known), "typo", similarity)
    return pairs


def lexical_copy(texts: tuple[str, str], words: tuple[tuple[str, ...], tuple[str, ...]], ratio: float,
                 fields: tuple[Fields | None, Fields | None] | None = None) -> tuple[str, float] | None:
    """How the second of two texts is a lexical copy of the first by the rules of `lexical_pairs`, compared
    directly (no candidates), with its similarity; None when it is none. words: their content words; fields:
    their inputs' fields (`input_fields`; None: one field each). For a text the passes paired only with
    members of other groups (leader_groups' confirm), which may be asked often: lexical_pairs on the two texts
    takes 2.4 ms, and a million random pairs over a million texts ask 148,558 times."""
    from rapidfuzz import fuzz
    from rapidfuzz.distance import OSA

    kind = copy_kind(words[0], words[1])
    if kind is None or not words[0] or not words[1]:
        return None
    if fields is not None and (kind == "word order" or (kind == "filler" and _social(*texts))) \
            and not fields_agree(*fields):
        return None
    if kind != "typo":
        return kind, round(fuzz.ratio(texts[0], texts[1]) / 100, 4)
    left, right = " ".join(words[0]), " ".join(words[1])
    longest = max(len(left), len(right))
    allowed = int(_allowed_edits(np.array([longest]), ratio)[0])
    distance = OSA.distance(left, right, score_cutoff=allowed)
    if distance > allowed or (fields is not None and not fields_copy(*fields, ratio)):
        return None
    return kind, round(1 - distance / max(longest, 1), 4)


def semantic_pairs(texts: list[str], vectors: np.ndarray, bound: float, k: int,
                   content_words: dict[str, tuple[str, ...]] | None = None, steps: DataSteps | None = None,
                   fields_of: FieldsOf | None = None, prompts: list[int] | None = None,
                   rule: Callable[[tuple[str, ...], tuple[str, ...]], bool] = reworded_copy) -> NearPairs:
    """Reworded copies: cosine >= bound among the k nearest, minus protected differences and slot substitutions.
    content_words: skeleton(tokens(text)) of texts the lexical pass already took apart (the rest are here);
    steps: the engine whose steps run the neighbour search (None: this process); fields_of: the fields of
    each text's query (`input_fields`), so that one vector of a whole pair does not join it to its swap.
    texts are what was embedded (queries without their system prompt), and the rules read their words as the
    vector does; prompts: each text's prompt class (`prompt_classes`; None: one for all), which must be equal.
    A shared system prompt read as words made the same queries pair otherwise in a chat export than in plain
    text (62 groups against 63 on CLINC150). rule: `normalize.reworded_copy`, or a memo of its verdicts."""
    pairs = NearPairs()
    if len(texts) < 2:
        return pairs
    words_of = dict(content_words or {})
    voice_of = voice_memo()
    classes = prompts or [0] * len(texts)

    def words(i: int) -> tuple[str, ...]:
        found = words_of.get(texts[i])
        if found is None:
            found = words_of[texts[i]] = skeleton(tokens(texts[i]))
        return found

    sims, idx = (steps or SerialSteps()).search(vectors, vectors, k + 1)
    rows, cols = np.nonzero(sims >= bound)
    for i, c in zip(rows.tolist(), cols.tolist()):
        j = int(idx[i, c])
        if j > i and classes[i] == classes[j] and rule(words(i), words(j)) and not voice_changed(texts[i], texts[j], voice_of) and (
                fields_of is None or not fields_swapped(fields_of(i), fields_of(j))):
            pairs.add(i, j, "semantic", round(float(sims[i, c]), 4))
    return pairs


def semantic_between_copies(distinct: list[str], vectors: np.ndarray, copy_group: np.ndarray, dup: DuplicatesConfig,
                            content_words: dict[str, tuple[str, ...]] | None = None, steps: DataSteps | None = None,
                            fields_of: FieldsOf | None = None, unreadable: np.ndarray | None = None,
                            prompts: list[int] | None = None,
                            rule: Callable[[tuple[str, ...], tuple[str, ...]], bool] = reworded_copy) -> NearPairs:
    """Reworded copies among the kept key of each group of lexical copies (copy_group: each key's kept key,
    `leader_groups`): its members are already its copies, so a templated million with 50,000 groups searches
    50,000 vectors.
    distinct: what was embedded for each distinct key (its query); unreadable: keys the model reads mostly as
    its unknown token, whose vectors say nothing (vocabulary.py); prompts: each key's prompt class."""
    if len(distinct) < 2:
        return NearPairs()
    reps = np.unique(copy_group)
    if unreadable is not None:
        reps = reps[~unreadable[reps]]
    rep_fields = None if fields_of is None else (lambda r, typos=frozenset(): fields_of(int(reps[r]), typos))
    found = semantic_pairs([distinct[i] for i in reps.tolist()], vectors[reps], dup.near_cosine, dup.neighbours, content_words, steps,
                           rep_fields, None if prompts is None else [prompts[i] for i in reps.tolist()], rule)
    out = NearPairs()
    for i, j, kind, sim in zip(found.first, found.second, found.kind, found.similarity):
        out.add(int(reps[i]), int(reps[j]), kind, sim)
    return out


def components(n: int, pairs: list[NearPairs]) -> np.ndarray:
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    first = np.array([i for p in pairs for i in p.first], dtype=np.int64)
    second = np.array([j for p in pairs for j in p.second], dtype=np.int64)
    graph = coo_matrix((np.ones(len(first), dtype=np.int8), (first, second)), shape=(n, n))
    return connected_components(graph, directed=False)[1]


def leader_groups(n: int, pairs: list[NearPairs], first_seen: np.ndarray | None = None,
                  confirm: Callable[[int, int], bool] | None = None) -> np.ndarray:
    """Each text's group, named by its kept text (the leader), so that every member is a found pair of the
    kept one: in the texts' order (the distinct keys in the order their first records were read: files in
    the order given, then line), a text joins the group of the earliest leader it is paired with, else leads
    its own. Connected components joined texts through a chain (A~B~C made A and C one group though they are
    no copies: 22 Banking77 questions at cosines down to 0.834 kept one line), and dedup then dropped real
    paraphrases. Each text is placed once, from its pairs with earlier texts alone, so the order matters only
    where a text copies two leaders, or a chain makes a text that copies a member a leader of its own.
    first_seen: each text's place in that order (its first record's position), where the texts are not in it.
    confirm(leader, text): for a text paired with members of groups alone, whether it is a copy of their kept
    text all the same, a pair the search did not look for (only one text per group of lexical copies is
    searched for reworded copies); the earliest such leader is joined."""
    first = np.array([i for p in pairs for i in p.first], dtype=np.int64)
    second = np.array([j for p in pairs for j in p.second], dtype=np.int64)
    if first_seen is not None and np.any(np.diff(first_seen) < 0):
        by_place = np.argsort(first_seen, kind="stable")  # rank -> text
        rank = np.empty(n, dtype=np.int64)
        rank[by_place] = np.arange(n)
        ranked = NearPairs(rank[first].tolist(), rank[second].tolist(), [""] * len(first), [0.0] * len(first))
        by_rank = None if confirm is None else (lambda a, b: confirm(int(by_place[a]), int(by_place[b])))
        return by_place[leader_groups(n, [ranked], confirm=by_rank)[rank]]
    later, earlier = np.maximum(first, second), np.minimum(first, second)
    keep = later != earlier
    later, earlier = later[keep], earlier[keep]
    group = np.arange(n, dtype=np.int64)
    if not len(later):
        return group
    order = np.lexsort((earlier, later))
    later, earlier = later[order], earlier[order]
    starts = np.searchsorted(later, np.arange(n + 1))
    has_earlier = starts[1:] > starts[:-1]
    # Most texts copy only texts that copy nothing before them (filler copies all point at their first text):
    # those join their earliest partner, a leader by then, without the loop below.
    nearest = np.full(n, -1, dtype=np.int64)
    nearest[has_earlier] = earlier[starts[:-1][has_earlier]]
    settled = has_earlier & ~has_earlier[np.maximum(nearest, 0)]
    group[settled] = nearest[settled]
    leader = ~has_earlier
    for j in np.nonzero(has_earlier & ~settled)[0].tolist():
        partners = earlier[starts[j]:starts[j + 1]]
        led = partners[leader[partners]]
        if len(led):
            group[j] = led[0]
            continue
        kept = next((g for g in sorted(set(group[partners].tolist())) if confirm is not None and confirm(g, j)), None)
        if kept is None:
            leader[j] = True
        else:
            group[j] = kept
    return group
