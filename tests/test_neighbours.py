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


def test_hnsw_path_used_above_the_exact_limit_has_high_recall_on_clustered_vectors(monkeypatch):
    monkeypatch.setattr(neighbours, "EXACT_LIMIT", 100)
    rng = np.random.default_rng(1)
    centres = rng.normal(size=(40, 32))
    data = unit(np.repeat(centres, 50, axis=0) + 0.3 * rng.normal(size=(2000, 32)))
    _, approximate = top_k(data, data[:200], 10)
    exact = np.argsort(-(data[:200] @ data.T), axis=1)[:, :10]
    recall = np.mean([len(set(a) & set(e)) / 10 for a, e in zip(approximate, exact)])
    assert recall >= 0.95
