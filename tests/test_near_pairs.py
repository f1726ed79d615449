"""near_pairs: how found pairs become groups, and which similarities make a reworded pair."""

from __future__ import annotations

import numpy as np

from dataaudit.checks.near_pairs import NearPairs, leader_groups, semantic_pairs


def test_a_text_paired_with_two_leaders_joins_the_earliest():
    # text 2 copies texts 0 and 1, both leaders: it joins 0, and 1 keeps its own group
    both_leaders = NearPairs([0, 1], [2, 2], ["semantic"] * 2, [0.9, 0.9])
    assert leader_groups(3, [both_leaders]).tolist() == [0, 1, 0]
    # text 1 joins 0, so it is no leader; texts 2 and 3 lead; text 4 copies 1, 2 and 3 and joins 2, the
    # earliest of the leaders among its partners (1 is a member, not a leader)
    through_a_member = NearPairs([0, 1, 2, 3], [1, 4, 4, 4], ["semantic"] * 4, [0.9] * 4)
    assert leader_groups(5, [through_a_member]).tolist() == [0, 0, 2, 3, 2]


def test_a_pair_exactly_at_the_cosine_bound_is_reported():
    # unit vectors whose inner product is exactly 0.5 in float32: the bound is inclusive ("cosine >= bound")
    vectors = np.array([[1, 0, 0, 0], [0.5, 0.5, 0.5, 0.5]], dtype=np.float32)
    at_bound = semantic_pairs(["jazz music", "rock songs"], vectors, 0.5, 1)
    assert list(zip(at_bound.first, at_bound.second)) == [(0, 1)] and at_bound.similarity == [0.5]
    assert semantic_pairs(["jazz music", "rock songs"], vectors, 0.5001, 1).first == []


def test_a_copy_may_hold_one_more_character_edit_per_20_characters_within_the_ratio():
    from dataaudit.checks.near_pairs import _allowed_edits

    # ratio 0.9: 5 chars -> 1 + 0 = 1 (at least one); 40 -> 1 + 2 = 3; 100 -> 1 + 5 = 6; 400 -> 1 + 20 = 21,
    # each within 10% of the length; at ratio 0.97, 3% of 100 chars (3) caps the 6
    assert _allowed_edits(np.array([5, 40, 100, 400]), 0.9).tolist() == [1, 3, 6, 21]
    assert _allowed_edits(np.array([100]), 0.97).tolist() == [3]


def _pseudo_words(seed: int, count: int) -> list[str]:
    """Words of 4 to 8 random letters (no filler, no real word a rule reads), from a seeded generator."""
    import random

    rng = random.Random(seed)
    return ["".join(rng.choice("bcdfghjklmnprstvwz") + rng.choice("aeiou") for _ in range(rng.randint(2, 4)))
            for _ in range(count)]


def _long_text(seed: int, vocabulary: list[str], chars: int = 3_000) -> str:
    import random

    rng = random.Random(seed)
    words: list[str] = []
    while sum(map(len, words)) + len(words) < chars:
        words.append(rng.choice(vocabulary))
    return " ".join(words)


def test_shared_qgrams_counts_the_multiset_intersection_of_the_texts_grams(monkeypatch):
    from collections import Counter
    from itertools import combinations

    from dataaudit.checks.near_pairs import QGRAM, shared_qgrams

    def grams(t: str) -> Counter:
        return Counter(t[i:i + QGRAM] for i in range(len(t) - QGRAM + 1))

    # "ab" strings repeat their 8-grams many times: counts, not sets, must be intersected
    texts = ["abababababab", "babababababa", "abababababababab", "aaaaaaaaaaaa", "aaaaaaaaa", "abcabcabcabc", "ab"]
    first, second = map(np.array, zip(*combinations(range(len(texts)), 2)))
    expected = [sum((grams(texts[a]) & grams(texts[b])).values()) for a, b in zip(first, second)]
    assert shared_qgrams(texts, first, second).tolist() == expected
    # "abababababab" (5 grams) and "abababababababab" (9) share the 3 "abababab" and 2 "babababa" of the shorter
    assert expected[1] == 5
    # partners gathered a few keys at a time (one text's keys at least) count the same
    from dataaudit.checks import near_pairs

    monkeypatch.setattr(near_pairs, "SHARED_GATHER_KEYS", 6)
    assert shared_qgrams(texts, first, second).tolist() == expected


def test_the_qgram_bound_allows_q_plus_one_ruined_grams_per_transposition():
    """The bound is tight for OSA: on text of distinct characters two transpositions ruin 2 (q + 1) grams, and
    the pair sits exactly on the bound. The Levenshtein lemma (q per edit) would have dropped this copy."""
    from rapidfuzz.distance import OSA

    from dataaudit.checks.near_pairs import QGRAM, shared_qgrams, within_qgram_bound

    original = "".join(chr(0x4E00 + i) for i in range(40))
    swapped = list(original)
    swapped[10], swapped[11] = swapped[11], swapped[10]
    swapped[25], swapped[26] = swapped[26], swapped[25]
    copy = "".join(swapped)
    assert OSA.distance(original, copy) == 2
    shared = int(shared_qgrams([original, copy], np.array([0]), np.array([1]))[0])
    assert shared == 40 - QGRAM + 1 - 2 * (QGRAM + 1) == 15
    assert within_qgram_bound([original, copy], np.array([0]), np.array([1]), np.array([2])).tolist() == [True]
    assert within_qgram_bound([original, copy], np.array([0]), np.array([1]), np.array([1])).tolist() == [False]


def _pairs_verified(monkeypatch) -> list[int]:
    """How many pairs each call of near_pairs.verified_distances (the edit distance) was given, in order."""
    from dataaudit.checks import near_pairs

    passed: list[int] = []
    real = near_pairs.verified_distances
    monkeypatch.setattr(near_pairs, "verified_distances",
                        lambda left, right, cutoff, steps=None: passed.append(len(left)) or real(left, right, cutoff, steps))
    return passed


def test_long_texts_a_few_typos_apart_still_pair_through_the_qgram_screen(monkeypatch):
    from dataaudit.checks import near_pairs

    passed = _pairs_verified(monkeypatch)
    vocabulary = _pseudo_words(1, 400)
    original = _long_text(2, vocabulary)
    words = original.split(" ")
    for k in range(5, len(words), len(words) // 6):  # six words, each with two letters swapped
        words[k] = words[k][0] + words[k][2] + words[k][1] + words[k][3:]
    copy = " ".join(words)
    assert len(original) >= near_pairs.LONG_TEXT_CHARS
    found = near_pairs.lexical_pairs([original, copy], 0.9)
    assert list(zip(found.first, found.second, found.kind)) == [(0, 1, "typo")]
    assert found.similarity[0] == round(1 - 6 / len(original), 4)
    assert passed == [1]


def test_unrelated_long_texts_are_dropped_before_the_edit_distance(monkeypatch):
    from dataaudit.checks import near_pairs

    passed = _pairs_verified(monkeypatch)
    vocabulary = _pseudo_words(1, 400)
    texts = [_long_text(3, vocabulary), _long_text(4, vocabulary)]
    assert near_pairs.lexical_pairs(texts, 0.9).first == []
    assert passed == []
    # they are MinHash candidates all the same (their 3-grams are nearly the same set): without the screen
    # the edit distance is computed for them
    monkeypatch.setattr(near_pairs, "LONG_TEXT_CHARS", 10 ** 9)
    assert near_pairs.lexical_pairs(texts, 0.9).first == []
    assert passed == [1]


def _edited(text: str, edits: list[tuple[int, int, str]]) -> str:
    """text with each (operation, place, letter) applied in turn: 0 substitute, 1 insert, 2 delete, 3 swap two
    adjacent letters (places wrap around the current length)."""
    chars = list(text)
    for operation, place, letter in edits:
        if operation == 1 or not chars:
            chars.insert(place % (len(chars) + 1), letter)
            continue
        at = place % len(chars)
        if operation == 0:
            chars[at] = letter
        elif operation == 2:
            del chars[at]
        elif at + 1 < len(chars):
            chars[at], chars[at + 1] = chars[at + 1], chars[at]
    return "".join(chars)


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="abc ", min_size=0, max_size=120),
       st.lists(st.tuples(st.integers(0, 3), st.integers(0, 200), st.sampled_from("abcd ")), max_size=8),
       st.integers(0, 3))
def test_the_qgram_screen_never_drops_a_pair_within_its_edit_distance(text, edits, slack):
    from rapidfuzz.distance import OSA

    from dataaudit.checks.near_pairs import within_qgram_bound

    copy = _edited(text, edits)
    distance = OSA.distance(text, copy)
    for allowed in (distance, distance + slack):
        assert within_qgram_bound([text, copy], np.array([0]), np.array([1]), np.array([allowed])).tolist() == [True]


def test_typo_pairs_between_pairs_each_new_text_with_the_known_ones_it_copies_never_two_of_one_list():
    from dataaudit.checks.near_pairs import typo_pairs_between
    from dataaudit.normalize import skeleton, tokens

    def words(text):
        return skeleton(tokens(text))

    known = [words("send 20 dollars to john from my checking account"),
             words("send 20 dollars to jhon from my checking account"),        # a typo copy of known 0: not paired
             words("please turn on the lights in the kitchen")]
    new = [words("please turn on the lights in the kitchn"),                  # typo of known 2
           words("please turn on the lihgts in the kitchen"),                 # typo of known 2 (and of new 0: not paired)
           words("please turn off the lights in the kitchen"),                # an opposite: no copy
           words("send 20 dollars to john from my chekcing account"),         # typo of known 0 and 1 (two edits)
           words("send 30 dollars to john from my checking account")]         # another number: no copy
    found = typo_pairs_between(known, new, 0.9)
    # 1 - edits / characters of the longer content words: 1/48, 2/48 (jhon and chekcing), 1/25
    assert sorted(zip(found.first, found.second, found.kind, found.similarity)) == [
        (0, 3, "typo", 0.9792), (1, 3, "typo", 0.9583), (2, 0, "typo", 0.96), (2, 1, "typo", 0.96)]
    assert typo_pairs_between(known, [], 0.9).first == [] and typo_pairs_between([], new, 0.9).first == []


def test_a_line_without_words_is_no_field_of_an_input():
    """The legacy fine-tuning separator ("\\n\\n###\\n\\n", shared by every prompt) read as a second field, so a
    text holding a greeting or thanks was never a filler copy of itself without the separator (fields_agree of
    two fields and one)."""
    from dataaudit.checks.near_pairs import input_fields

    text = "I can't find my refund. Please help."
    assert input_fields(text + "\n\n###\n\n") is None
    assert input_fields("---\n" + text + "\n->") is None
    assert input_fields("Premise here.\n\n###\n\nHypothesis here.") == (("premise", "here"), ("hypothesis", "here"))
