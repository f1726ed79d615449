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
