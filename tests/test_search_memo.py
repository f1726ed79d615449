"""A kept search extended by a re-run gives the whole search's neighbours and cosines, bit for bit (search_memo.py)."""

import numpy as np
import pytest

from dataaudit.engine.base import SerialSteps
from dataaudit.result_cache import ResultCache
from dataaudit.search_memo import SLOTS, SearchMemo, row_hashes


def _unit(n: int, seed: int, dim: int = 32) -> np.ndarray:
    rows = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def _same(found, whole) -> None:
    np.testing.assert_array_equal(found[1], whole[1])
    np.testing.assert_array_equal(found[0], whole[0])


@pytest.fixture
def memo(tmp_path):
    return SearchMemo(ResultCache(tmp_path), "test")


def test_a_self_query_grown_by_new_rows_is_extended_not_repeated(memo):
    steps = SerialSteps()
    old = _unit(600, 1)
    memo.search(steps, old, old, 9)
    assert memo.reused == 0  # nothing kept yet
    grown = np.vstack([old[:300], _unit(40, 2), old[300:]])  # new rows in the middle: positions move
    found = memo.search(steps, grown, grown, 9)
    assert memo.reused == 600  # every old query extended; the 40 new ones searched whole
    _same(found, steps.search(grown, grown, 9))


def test_queries_against_another_set_and_rows_that_are_gone(memo):
    steps = SerialSteps()
    indexed, queries = _unit(500, 3), _unit(200, 4)
    first = memo.search(steps, indexed, queries, 7)
    gone = int(first[1][0, 0])  # the first query's nearest row leaves; its list must be searched again
    kept = np.delete(indexed, gone, axis=0)
    found = memo.search(steps, np.vstack([kept, _unit(10, 5)]), queries, 7)
    from dataaudit.search_memo import KEPT_K_STEP

    kept_lists = steps.search(indexed, queries, KEPT_K_STEP)[1]  # what the memo kept: lists of KEPT_K_STEP
    lost = int((kept_lists == gone).any(axis=1).sum())
    assert lost >= 1 and memo.reused == 200 - lost
    _same(found, steps.search(np.vstack([kept, _unit(10, 5)]), queries, 7))


def test_equal_vectors_map_to_each_other_in_order(memo):
    steps = SerialSteps()
    base = _unit(300, 6)
    twice = np.vstack([base, base[:50]])  # 50 rows the model read alike
    memo.search(steps, twice, twice, 5)
    grown = np.vstack([twice, _unit(20, 7)])
    found = memo.search(steps, grown, grown, 5)
    from dataaudit.search_memo import KEPT_K_STEP

    kept = steps.search(twice, twice, KEPT_K_STEP + 1)[0]
    tied_at_the_cut = int((kept[:, KEPT_K_STEP - 1] == kept[:, KEPT_K_STEP]).sum())  # searched whole again
    assert tied_at_the_cut > 0 and memo.reused == 350 - tied_at_the_cut
    _same(found, steps.search(grown, grown, 5))  # equal vectors tie: listed by index in both


def test_old_rows_in_another_order_are_extended_with_ties_listed_by_their_new_index(memo):
    """A grown training set may list its old rows in another order (distinct keys are ordered anew): the kept
    lists hold rows, not places, so they are extended, and tied rows come out in the new order's index order."""
    steps = SerialSteps()
    base = _unit(300, 70)
    rows = np.vstack([base, base[:40]])  # 40 pairs of equal vectors tie for every query
    memo.search(steps, rows, rows, 7)
    shuffled = np.vstack([rows[np.random.default_rng(71).permutation(len(rows))], _unit(9, 72)])
    found = memo.search(steps, shuffled, shuffled, 7)
    from dataaudit.search_memo import KEPT_K_STEP

    kept = steps.search(rows, rows, KEPT_K_STEP + 1)[0]
    assert memo.reused == len(rows) - int((kept[:, KEPT_K_STEP - 1] == kept[:, KEPT_K_STEP]).sum()) > 250
    _same(found, steps.search(shuffled, shuffled, 7))


def test_another_dataset_gets_its_own_slot_and_a_mostly_new_set_is_searched_whole(memo):
    steps = SerialSteps()
    a, b = _unit(400, 8), _unit(400, 9)
    memo.search(steps, a, a, 5)
    memo.search(steps, b, b, 5)  # another dataset: a slot of its own, a's entry stays
    memo.search(steps, np.vstack([a, _unit(5, 10)]), np.vstack([a, _unit(5, 10)]), 5)
    assert memo.reused == 400
    mostly_new = np.vstack([a[:100], _unit(400, 11)])
    _same(memo.search(steps, mostly_new, mostly_new, 5), steps.search(mostly_new, mostly_new, 5))
    assert memo.reused == 0
    for seed in range(12, 12 + SLOTS + 1):  # more datasets than slots: the least alike is replaced
        other = _unit(100, seed)
        memo.search(steps, other, other, 5)
    assert len(memo.cache.get(memo.directory_key)["slots"]) == SLOTS


def test_another_k_or_a_damaged_entry_is_a_whole_search(memo, tmp_path):
    steps = SerialSteps()
    rows = _unit(300, 20)
    memo.search(steps, rows, rows, 5)
    _same(memo.search(steps, rows, rows, 40), steps.search(rows, rows, 40))  # beyond the kept 32
    assert memo.reused == 0
    for entry in tmp_path.glob("*.pickle"):
        entry.write_bytes(b"not a pickle")
    _same(memo.search(steps, rows, rows, 40), steps.search(rows, rows, 40))
    assert memo.reused == 0


def test_a_k_that_moves_within_the_kept_lists_is_extended_and_cut(memo):
    """Lists are kept for k rounded up to KEPT_K_STEP: a batch whose k moved a little (coverage's follows the
    labels' sizes) still extends them, and their first k are the whole search's k, ties included."""
    from dataaudit.search_memo import KEPT_K_STEP

    steps = SerialSteps()
    base = _unit(400, 21)
    rows = np.vstack([base, base[:30], base[:30]])  # triples tie for every query: the cut falls inside ties
    memo.search(steps, rows, rows, KEPT_K_STEP - 9)
    grown = np.vstack([rows, _unit(12, 22), base[:5]])
    found = memo.search(steps, grown, grown, KEPT_K_STEP - 2)
    kept = steps.search(rows, rows, KEPT_K_STEP + 1)[0]
    assert memo.reused == len(rows) - int((kept[:, KEPT_K_STEP - 1] == kept[:, KEPT_K_STEP]).sum()) > 350
    assert found[0].shape == (len(grown), KEPT_K_STEP - 2)
    _same(found, steps.search(grown, grown, KEPT_K_STEP - 2))
    for k in (1, 2, 3):  # a cut between tied rows keeps the lowest indices, as a search for k does
        _same(memo.search(steps, grown, grown, k), steps.search(grown, grown, k))


def test_a_changing_k_keeps_one_slot_and_leaves_other_datasets_theirs(memo):
    steps = SerialSteps()
    other, rows = _unit(200, 40), _unit(300, 41)
    memo.search(steps, other, other, 5)
    for k in (5, 6, 5, 6):  # coverage's k grows with the labels' sizes as batches come in
        memo.search(steps, rows, rows, k)
    assert len(memo.cache.get(memo.directory_key)["slots"]) == 2
    memo.search(steps, np.vstack([other, _unit(3, 42)]), np.vstack([other, _unit(3, 42)]), 5)
    assert memo.reused == 200  # the other dataset's lists are still there


def test_row_hashes_tell_rows_apart_and_equal_rows_alike():
    rows = _unit(1000, 30, dim=384)
    hashes = row_hashes(rows)
    assert len({tuple(h) for h in hashes.tolist()}) == 1000
    nudged = rows.copy()
    nudged[0, 0] = np.nextafter(nudged[0, 0], np.float32(2))  # one bit of one value
    assert (row_hashes(nudged)[1:] == hashes[1:]).all() and (row_hashes(nudged)[0] != hashes[0]).any()
    assert (row_hashes(_unit(3, 31, dim=7)) != 0).any()  # an odd width is padded


def test_occurrence_keys_match_rows_as_a_dict_of_hash_pairs_and_counts_would():
    from dataaudit.search_memo import _occurrence_keys, _positions_in

    rng = np.random.default_rng(50)
    old = rng.integers(0, 6, size=(400, 2)).astype(np.uint64)  # few distinct pairs: many repeats
    new = np.vstack([old[rng.permutation(400)[:300]], rng.integers(4, 9, size=(150, 2)).astype(np.uint64)])

    def by_dict(hashes):
        seen, keys = {}, []
        for pair in map(tuple, hashes.tolist()):
            seen[pair] = seen.get(pair, 0) + 1
            keys.append((*pair, seen[pair] - 1))
        return keys

    assert [tuple(k) for k in _occurrence_keys(old).tolist()] == by_dict(old)
    row_of = {key: r for r, key in enumerate(by_dict(old))}
    expected = [row_of.get(key, -1) for key in by_dict(new)]
    assert _positions_in(_occurrence_keys(old), _occurrence_keys(new)).tolist() == expected
    assert -1 in expected and sum(e >= 0 for e in expected) > 200  # both kinds present
    assert _positions_in(_occurrence_keys(old[:0]), _occurrence_keys(new)).tolist() == [-1] * len(new)


def test_remembering_keeps_a_checks_searches_under_the_cache_and_nothing_without_one(tmp_path):
    import dataclasses

    from dataaudit.config import Config
    from dataaudit.search_memo import remembering

    steps = SerialSteps()
    config = dataclasses.replace(Config(), embeddings=dataclasses.replace(Config().embeddings, cache_dir=str(tmp_path)))
    rows = _unit(300, 60)
    first = remembering(steps, config, "coverage.production")
    assert first is not steps and first.map_partitions == steps.map_partitions  # other steps are the engine's own
    first.search(rows, rows, 5)
    assert any((tmp_path / "results" / "searches").iterdir())
    grown = np.vstack([rows, _unit(4, 61)])
    again = remembering(steps, config, "coverage.production")
    _same(again.search(grown, grown, 5), steps.search(grown, grown, 5))
    assert again.memo.reused == 300
    off = dataclasses.replace(config, embeddings=dataclasses.replace(config.embeddings, cache=False))
    assert remembering(steps, off, "coverage.production") is steps


def test_an_entry_kept_under_other_blas_kernels_is_not_extended(memo, monkeypatch):
    """A kept cosine's last bits depend on the BLAS kernel: lists another machine kept are searched whole."""
    from dataaudit import search_memo

    steps = SerialSteps()
    rows = _unit(300, 62)
    memo.search(steps, rows, rows, 5)
    monkeypatch.setattr(search_memo, "_blas_kernels", lambda: ["openblas 0.3.0 Zen"])
    memo.search(steps, np.vstack([rows, _unit(4, 63)]), np.vstack([rows, _unit(4, 63)]), 5)
    assert memo.reused == 0
