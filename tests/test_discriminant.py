from __future__ import annotations

import numpy as np

from dataaudit.discriminant import grouped_folds, majority_labels, seeded_ranks, stratified_folds


def test_seeded_ranks_depend_on_the_texts_and_the_seed_alone():
    texts = [f"query {i}" for i in range(50)]
    ranks = seeded_ranks(texts, 0)
    assert sorted(ranks.tolist()) == list(range(50))
    reordered = seeded_ranks(texts[::-1], 0)[::-1]
    assert reordered.tolist() == ranks.tolist()  # a text's rank does not move with its position
    assert seeded_ranks(texts, 1).tolist() != ranks.tolist()
    assert ranks.tolist() != list(range(50))  # not the input order


def test_a_group_is_placed_by_its_most_common_label_and_a_tie_by_the_lower_label():
    labels = np.array([2, 1, 1, 0, 2, 0, 1])
    groups = np.array([7, 7, 7, 3, 3, 9, 9])
    numbers, group_index, majority = majority_labels(labels, groups)
    assert numbers.tolist() == [3, 7, 9]
    assert group_index.tolist() == [1, 1, 1, 0, 0, 2, 2]
    assert majority.tolist() == [0, 1, 0]  # 7: two 1s against one 2; 3 and 9: one each, the lower label


def _copies(seed: int = 0):
    """3 labels x 30 inputs, every fifth input in 3 copies, one of those copies with another label (a conflict)."""
    rng = np.random.default_rng(seed)
    labels, groups = [], []
    for label in range(3):
        for j in range(30):
            group = label * 100 + j
            copies = 3 if j % 5 == 0 else 1
            labels += [label] * copies
            groups += [group] * copies
            if j == 5:
                labels[-1] = (label + 1) % 3
    labels, groups = np.array(labels), np.array(groups)
    shuffle = rng.permutation(len(labels))
    return labels[shuffle], groups[shuffle]


def test_every_copy_of_an_input_is_in_one_fold_and_the_folds_stay_stratified():
    labels, groups = _copies()
    fold_of = grouped_folds(labels, groups, 5)
    for group in np.unique(groups):
        assert len(set(fold_of[groups == group].tolist())) == 1
    assert (fold_of >= 0).all()
    _, _, majority = majority_labels(labels, groups)
    numbers = np.unique(groups)
    group_fold = np.array([fold_of[groups == g][0] for g in numbers])
    for label in range(3):
        per_fold = np.bincount(group_fold[majority == label], minlength=5)
        assert per_fold.tolist() == [6] * 5  # 30 inputs per label dealt round-robin
    # the row-position folds before split copies across folds
    old = stratified_folds(labels, 5, 0)
    assert any(len(set(old[groups == g].tolist())) > 1 for g in numbers)


def test_folds_do_not_move_with_row_order():
    labels, groups = _copies()
    fold_of = grouped_folds(labels, groups, 5)
    shuffle = np.random.default_rng(3).permutation(len(labels))
    assert grouped_folds(labels[shuffle], groups[shuffle], 5).tolist() == fold_of[shuffle].tolist()


def test_a_label_whose_rows_would_all_be_held_out_together_is_in_every_model():
    # label 2: one input in 12 copies; label 3: one input in 3 copies, one of them labelled 0 (a conflict)
    labels = np.array([0] * 10 + [1] * 10 + [2] * 12 + [0, 3, 3])
    groups = np.array(list(range(10)) + list(range(10, 20)) + [20] * 12 + [21, 21, 21])
    fold_of = grouped_folds(labels, groups, 5)
    assert (fold_of[labels == 2] == -1).all()
    assert (fold_of[groups == 21] == -1).all()
    assert (fold_of[groups < 20] >= 0).all()
    for fold in range(5):  # every label keeps a row in every fold's model
        assert set(labels[fold_of != fold].tolist()) == {0, 1, 2, 3}
    # a learned subset: rows outside it do not count as being in a model
    learned = np.flatnonzero(groups != 3)
    only_learned = grouped_folds(labels, groups, 5, learned)
    assert (only_learned[labels == 2] == -1).all() and (only_learned[groups == 3] >= 0).all()
