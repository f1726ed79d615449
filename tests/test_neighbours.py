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
