from __future__ import annotations

import numpy as np

from dataaudit import neighbours
from dataaudit.neighbours import top_k


def unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def test_exact_search_matches_brute_force_and_pads_missing_neighbours():
    rng = np.random.default_rng(0)
    indexed, queries = unit(rng.normal(size=(50, 16))), unit(rng.normal(size=(7, 16)))
    sims, idx = top_k(indexed, queries, 5)
    brute = queries @ indexed.T
    assert np.array_equal(idx, np.argsort(-brute, axis=1)[:, :5])
    assert np.allclose(sims, np.sort(brute, axis=1)[:, ::-1][:, :5], atol=1e-5)
    sims, idx = top_k(indexed[:3], queries, 5)
    assert (idx[:, 3:] == -1).all() and np.isneginf(sims[:, 3:]).all()


def test_tied_neighbours_are_listed_and_kept_by_lowest_index_however_many_queries_are_searched():
    """Rows with equal vectors tie for every query: the k kept are the lowest indices of a tie across the k-th
    place, listed by index, whether a query is searched alone or among many (search_memo merges lists from
    searches of other shapes and must meet the whole search's)."""
    rng = np.random.default_rng(3)
    base = unit(rng.normal(size=(40, 16)))
    indexed = np.vstack([base, np.repeat(base[:1], 6, axis=0), base[1:20]])  # row 0 and rows 40-45 are one vector
    queries = unit(base[:30] + 0.05 * rng.normal(size=(30, 16)))
    sims, idx = top_k(indexed, queries, 4)
    alone_sims, alone_idx = top_k(indexed, queries[:1], 4)
    assert np.array_equal(idx[:1], alone_idx) and np.array_equal(sims[:1], alone_sims)
    assert idx[0].tolist() == [0, 40, 41, 42]  # seven rows tie first: the four lowest indices, in order
    for row_sims, row_idx in zip(sims, idx):
        ties = row_sims[1:] == row_sims[:-1]
        assert (row_idx[1:][ties] > row_idx[:-1][ties]).all()


def test_a_tie_larger_than_twice_k_is_widened_until_whole_and_kept_by_lowest_index(monkeypatch):
    """A tie across the k-th place is searched again for twice as many neighbours until the list ends below the
    tied value: 40 equal rows, k = 3, never a search for every row."""
    rng = np.random.default_rng(9)
    indexed = unit(rng.normal(size=(200, 16)))
    indexed[50:90] = indexed[50]
    widths = []
    tiled = neighbours._tiled_top
    monkeypatch.setattr(neighbours, "_tiled_top", lambda q, x, wanted: widths.append(wanted) or tiled(q, x, wanted))
    sims, idx = top_k(indexed, indexed[60:61].copy(), 3)
    assert idx[0].tolist() == [50, 51, 52] and widths == [4, 8, 16, 32, 64]


def test_inverted_file_path_above_the_exact_limit_has_high_recall_on_clustered_vectors_and_is_repeatable(monkeypatch):
    monkeypatch.setattr(neighbours, "EXACT_LIMIT", 100)
    monkeypatch.setattr(neighbours, "IVF_LISTS", 16)
    monkeypatch.setattr(neighbours, "IVF_PROBES", 4)
    rng = np.random.default_rng(1)
    centres = rng.normal(size=(40, 32))
    data = unit(np.repeat(centres, 50, axis=0) + 0.3 * rng.normal(size=(2000, 32)))
    sims, approximate = top_k(data, data[:200], 10)
    exact = np.argsort(-(data[:200] @ data.T), axis=1)[:, :10]
    recall = np.mean([len(set(a) & set(e)) / 10 for a, e in zip(approximate, exact)])
    assert recall >= 0.95
    assert (approximate[:, 0] == np.arange(200)).all()  # every vector finds itself: it lies in the list it probes first
    assert np.all(np.diff(sims, axis=1) <= 1e-6)  # best first
    again_sims, again = top_k(data, data[:200], 10)
    assert np.array_equal(again, approximate) and np.array_equal(again_sims, sims)  # seeded training: same lists each run
    _, itself = top_k(data, data, 10)  # the self-query a duplicates pass makes buckets the vectors once
    assert np.array_equal(itself[:200], approximate)


def test_minhash_agreement_estimates_the_3gram_jaccard():
    a = "where is my parcel, it was due on monday morning"
    b = "where is my parcell, it was due on mondey morning"
    grams = lambda t: {f" {t} "[i:i + 3] for i in range(len(t))}
    truth = len(grams(a) & grams(b)) / len(grams(a) | grams(b))
    signatures = neighbours.minhash_signatures([a, b], permutations=512)
    assert abs(neighbours.estimated_jaccard(signatures, np.array([0]), np.array([1]))[0] - truth) < 0.06
    assert (neighbours.minhash_signatures([a, b, ""], permutations=8)[2] == 0).all()


def test_band_candidates_find_a_typo_copy_in_a_crowd_of_template_siblings_with_bounded_pairs():
    texts = [f"please turn on the light in room {i} of the north building" for i in range(3000)]
    texts.append("please turn on the light in room 1234 of the nrth building")
    first, second = neighbours.band_candidates(neighbours.minhash_signatures(texts))
    pairs = set(zip(first.tolist(), second.tolist()))
    assert (1234, 3000) in pairs
    assert len(pairs) <= neighbours.MINHASH_BANDS * neighbours.CANDIDATE_WINDOW * len(texts)  # not 3000 squared


def test_one_edit_candidates_pair_short_texts_one_letter_apart():
    first, second = neighbours.one_edit_candidates(["joke", "jkoe", "tell a joke", "poke", "a much longer text here"], 12)
    pairs = set(zip(first.tolist(), second.tolist()))
    assert (0, 1) in pairs and (0, 3) in pairs and all(4 not in p for p in pairs)


def test_query_blocks_are_runs_of_whole_faiss_tiles_at_most_one_per_worker():
    from dataaudit.engine.base import query_blocks

    def sizes(*args):
        blocks = query_blocks(*args)
        assert blocks[0].start == 0 and all(a.stop == b.start for a, b in zip(blocks, blocks[1:])) and blocks[-1].stop == args[0]
        return [b.stop - b.start for b in blocks]

    assert sizes(20_000, 4, 2_000, 4096) == [4096, 4096, 4096, 7712]  # 5 tiles over 4 workers
    assert sizes(5_500, 16, 2_000, 4096) == [4096, 1404]  # the last block is what is left
    assert sizes(8_200, 16, 2_000, 4096) == [4096, 4104]  # a last tile under 20 queries joins the block before
    assert sizes(1_999, 16, 2_000, 4096) == [1_999]  # fewer than the fewest: one block of them all
    assert sizes(300, 2, 20, 20) == [140, 160]
    assert sizes(0, 4, 20, 4096) == [0]


def blockwise(indexed: np.ndarray, queries: np.ndarray | None, k: int, cuts: list[int]):
    """The search one block of queries at a time (queries None: the self-query, each block its rows of the index)."""
    index = neighbours.search_index(indexed)
    parts = [neighbours.query_index(index, slice(a, b) if queries is None else queries[a:b], k) for a, b in zip(cuts, cuts[1:])]
    return np.concatenate([s for s, _ in parts]), np.concatenate([i for _, i in parts])


def test_blocks_cut_at_faiss_tiles_give_the_whole_search_bit_for_bit(monkeypatch):
    """faiss multiplies queries in tiles (4,096 by default; 64 here): blocks made of whole tiles give the whole
    search's neighbours and similarities bit for bit, exact and inverted-file alike, self-queries included."""
    import faiss

    tile = faiss.cvar.distance_compute_blas_query_bs
    faiss.cvar.distance_compute_blas_query_bs = 64
    try:
        rng = np.random.default_rng(2)
        centres = rng.normal(size=(40, 96))
        data = unit(np.repeat(centres, 30, axis=0) + 0.3 * rng.normal(size=(1200, 96)))
        queries = unit(np.repeat(centres, 10, axis=0) + 0.3 * rng.normal(size=(400, 96)))
        for limit in (neighbours.EXACT_LIMIT, 100):
            monkeypatch.setattr(neighbours, "EXACT_LIMIT", limit)
            monkeypatch.setattr(neighbours, "IVF_LISTS", 16)
            for cuts in ([0, 192, 400], [0, 64, 128, 384, 400]):
                for whole, blocks in ((top_k(data, queries, 12), blockwise(data, queries, 12, cuts)),
                                      (top_k(data, data, 12), blockwise(data, None, 12, cuts + [1200]))):
                    rows = len(blocks[0])
                    assert np.array_equal(blocks[1], whole[1][:rows]) and np.array_equal(blocks[0], whole[0][:rows]), (limit, cuts)
    finally:
        faiss.cvar.distance_compute_blas_query_bs = tile


def test_a_built_index_pads_missing_neighbours_and_answers_empty_queries():
    rng = np.random.default_rng(3)
    index = neighbours.search_index(unit(rng.normal(size=(4, 8))))
    sims, idx = neighbours.query_index(index, unit(rng.normal(size=(25, 8))), 6)
    assert sims.shape == idx.shape == (25, 6) and (idx[:, 4:] == -1).all() and np.isneginf(sims[:, 4:]).all()
    assert (np.sort(idx[:, :4], axis=1) == np.arange(4)).all()
    sims, idx = neighbours.query_index(index, np.zeros((0, 8), dtype=np.float32), 6)
    assert sims.shape == idx.shape == (0, 6)
    sims, idx = top_k(index.vectors, np.zeros((0, 8), dtype=np.float32), 3)
    assert sims.shape == idx.shape == (0, 3)


def test_band_candidates_are_the_same_pairs_however_the_bands_are_split_into_blocks(monkeypatch):
    from tests.engine_data import copies_and_templates

    signatures = neighbours.minhash_signatures(copies_and_templates())
    n = len(signatures)
    keys = neighbours.band_keys(signatures)
    every_band = neighbours.band_pair_codes(list(range(neighbours.MINHASH_BANDS)), keys, neighbours.CANDIDATE_WINDOW)
    expected = np.unique(every_band)  # one pass over every band, deduplicated: the unsplit banding
    for min_keys in (1, 4 * n, 10**12):  # a block per band, blocks of 4 bands (the last of 3), one block
        monkeypatch.setattr(neighbours, "MIN_BLOCK_BAND_KEYS", min_keys)
        first, second = neighbours.band_candidates(signatures)
        assert np.array_equal(first * n + second, expected) and (first < second).all()
    assert neighbours.band_blocks(15, n, 4 * n) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11], [12, 13, 14]]
    assert neighbours.band_blocks(15, 20_000, neighbours.MIN_BLOCK_BAND_KEYS) == [list(range(15))]  # small: one block


# Searched by a child process with a given number of BLAS threads (set before numpy loads its BLAS): the planted
# rows' similarities to 20 probe queries, among other queries and rows, at several places in both.
_PROBE_SCRIPT = r"""
import sys
import numpy as np
from dataaudit.neighbours import top_k

def unit(rows):
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)

rng = np.random.default_rng(11)
probes = unit(rng.normal(size=(20, 384)))
planted = unit(np.repeat(probes, 10, axis=0) + 0.02 * rng.normal(size=(200, 384)))  # cosine about 0.93
filler_queries, filler_rows = unit(rng.normal(size=(5000, 384))), unit(rng.normal(size=(20000, 384)))
found = []
for queries, rows, query_at, row_at in [(20, 1000, 0, 0), (500, 1000, 37, 5), (500, 20000, 300, 4000),
                                        (5000, 1000, 1030, 130), (20, 20000, 0, 19800)]:
    asked = np.vstack([filler_queries[:query_at], probes, filler_queries[query_at:queries - 20]])
    indexed = np.vstack([filler_rows[:row_at], planted, filler_rows[row_at:rows - 200]])
    sims, idx = top_k(indexed, asked, 10)
    found.append(np.stack([sims[query_at:query_at + 20], (idx[query_at:query_at + 20] - row_at).astype(np.float32)]))
np.save(sys.argv[1], np.stack(found))
"""


def test_a_pairs_cosine_is_the_same_bits_among_any_queries_and_rows_at_any_place_with_one_or_two_threads(tmp_path):
    """search_memo extends a kept search with searches of other shapes: the exact search's tiles make each pair's
    cosine independent of the other queries and rows searched with it, and of BLAS's thread count."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    runs = []
    for threads in ("1", "2"):
        out = tmp_path / f"threads{threads}.npy"
        env = {**os.environ, "OPENBLAS_NUM_THREADS": threads, "OMP_NUM_THREADS": threads,
               "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
        subprocess.run([sys.executable, "-c", _PROBE_SCRIPT, str(out)], env=env, check=True, timeout=600)
        runs.append(np.load(out))
    first = runs[0][0]
    assert np.array_equal(np.sort(first[1], axis=1), np.arange(200, dtype=np.float32).reshape(20, 10))  # its own 10 rows
    assert first[0].min() > 0.85
    for run in runs:
        for found in run:
            assert np.array_equal(found, first)  # same rows, same order, same float32 bits


def test_the_turned_search_among_few_rows_gives_top_ks_lists_bit_for_bit_ties_by_lowest_index():
    """search_memo extends a kept search by a batch's new rows with top_k_among_few: its lists must be top_k's,
    the similarities to the last bit (rows and queries trade places in the tile product), tied rows by index."""
    import pytest

    rng = np.random.default_rng(21)
    rows = unit(rng.normal(size=(500, 384)))
    rows[[7, 300, 499]] = rows[120]  # four equal rows: every query sees them tied
    queries = unit(np.vstack([rows[:40] + 0.05 * rng.normal(size=(40, 384)), rng.normal(size=(9000, 384))]))
    for k in (1, 33, 500):
        sims, idx = neighbours.top_k_among_few(rows, queries, k)
        whole_sims, whole_idx = top_k(rows, queries, k)
        assert np.array_equal(idx, whole_idx) and np.array_equal(sims, whole_sims)
    sims, idx = neighbours.top_k_among_few(rows, queries[120:121], 500)
    tied = idx[0][sims[0] == sims[0][np.flatnonzero(idx[0] == 120)[0]]]
    assert tied.tolist() == [7, 120, 300, 499]
    with pytest.raises(ValueError):
        neighbours.top_k_among_few(unit(rng.normal(size=(neighbours.QUERY_TILE + 1, 8))), queries[:1, :8], 1)


def test_best_first_orders_as_a_stable_sort_of_negated_similarities_with_minus_zero_equal_to_zero():
    rng = np.random.default_rng(5)
    similarities = rng.choice(np.array([-1.0, -0.5, -0.0, 0.0, 0.25, 0.25, 0.9, 1.0], dtype=np.float32), size=(300, 40))
    for k in (1, 7, 40):
        reference = np.argsort(-(similarities + np.float32(0.0)), axis=1, kind="stable")[:, :k]
        assert np.array_equal(neighbours._best_first(similarities, k), reference)


def test_a_nan_similarity_sorts_last_in_the_turned_search_as_top_k_leaves_it_out():
    """Its flipped bits sorted first: a row of NaN took rank 0 (top_k never returns one) and, in search_memo's
    extension, a real neighbour's slot."""
    from dataaudit.neighbours import _best_first

    similarities = np.array([[0.5, np.nan, 0.9, 0.1]], dtype=np.float32)
    assert _best_first(similarities, 2).tolist() == [[2, 0]]
    assert _best_first(similarities, 4).tolist() == [[2, 0, 3, 1]]
