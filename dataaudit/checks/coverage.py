"""Production coverage: does the training data cover what production will send?

The covered rule is a neighbourhood rule, chosen by measurement on CLINC150 (benchmarks/coverage_rule.py):
an absolute cosine floor separates in- from out-of-domain production inputs badly, because how close
"close" is varies across topics. Instead, among a production input's k nearest neighbours in training +
production, the share that are training inputs is compared with the share expected from the two sizes;
the input is covered when it reaches `min_share_ratio` of that expectation. A production topic the
training data lacks has only production neighbours, whatever its absolute similarities. An input whose
nearest training input is very close (cosine >= 0.75) is covered whatever its neighbourhood: on CLINC150
(3 splits, 2 of 10 domains held out) this lifts in-domain coverage from 92.7% to 96.1% and leaves
out-of-domain inputs called covered at 16.7% (a cosine floor of 0.6 alone: 83.7% / 11.4%).

Scenarios are k-means clusters of the production inputs (k chosen by silhouette on a seeded sample),
labelled by their most distinctive terms (class-based TF-IDF). Uncovered scenarios are the uncovered
inputs clustered the same way on their own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config import CoverageConfig
from ..neighbours import top_k
from ..load.records import Record

MAX_AUC_SAMPLES = 5_000  # per side; the AUC is stable to about 0.01 well before this
SILHOUETTE_SAMPLE = 3000  # k is chosen on a seeded sample of this size; the final clustering uses every input
FULL_KMEANS_LIMIT = 20_000  # above this, MiniBatchKMeans (seeded) clusters in seconds instead of a minute
MAX_TEXT_CHARS = 300


@dataclass
class NearestTraining:
    text: str
    similarity: float


@dataclass
class UncoveredExample:
    text: str
    file: str
    line: int
    nearest_training: list[NearestTraining]


@dataclass
class Scenario:
    label: str
    size: int  # production records
    share: float
    covered_share: float
    examples: list[str]  # most central inputs, original text
    uncovered_examples: list[UncoveredExample]
    centroid_2d: list[float] | None = None


@dataclass
class TrainingCluster:
    label: str
    size: int
    share: float
    examples: list[str]


@dataclass
class CoverageResult:
    model: str
    rule: str
    neighbours: int
    min_share_ratio: float
    production_inputs: int
    training_inputs: int
    covered_share: float
    scenarios: list[Scenario]
    uncovered: list[Scenario]
    unused_training: list[TrainingCluster]
    domain_auc: float | None
    embeddings: dict[str, int]
    map_points: dict[str, list] | None = None  # seeded 2-D PCA sample for the HTML report's map


def _distinct(keys: list[str]) -> tuple[list[str], dict[str, list[int]]]:
    positions: dict[str, list[int]] = {}
    for i, key in enumerate(keys):
        if key:
            positions.setdefault(key, []).append(i)
    return list(positions), positions


def covered_by_neighbourhood(train_vectors: np.ndarray, production_vectors: np.ndarray, k: int, min_share_ratio: float,
                             close_enough: float | None = None, nearest_similarity: np.ndarray | None = None) -> np.ndarray:
    """Boolean per production vector: its k-neighbourhood in training + production holds enough training,
    or (when close_enough is given) its nearest training input is at least that similar.
    nearest_similarity: each production vector's cosine to its nearest training vector, when already known."""
    n_train, n_prod = len(train_vectors), len(production_vectors)
    if n_prod == 0:
        return np.zeros(0, dtype=bool)
    if n_train == 0:
        return np.zeros(n_prod, dtype=bool)
    combined = np.vstack([train_vectors, production_vectors])
    k = min(k, n_train + n_prod - 1)
    _, idx = top_k(combined, production_vectors, k + 1)
    own = (n_train + np.arange(n_prod))[:, None]
    neighbours = np.where(idx == own, -1, idx)
    # Drop self (or, when self was not returned among equals, the last neighbour) to keep exactly k.
    keep = np.ones_like(neighbours, dtype=bool)
    has_self = (neighbours == -1).any(axis=1)
    keep[has_self] = neighbours[has_self] != -1
    keep[~has_self, -1] = False
    neighbours = neighbours[keep].reshape(n_prod, k)
    train_share = (neighbours < n_train).mean(axis=1)
    expected = n_train / (n_train + n_prod - 1)
    covered = train_share >= min_share_ratio * expected
    if close_enough is not None:
        if nearest_similarity is None:
            nearest_similarity = top_k(train_vectors, production_vectors, 1)[0][:, 0]
        covered |= nearest_similarity >= close_enough
    return covered


def _choose_k(vectors: np.ndarray, max_k: int, seed: int) -> int:
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    n = len(vectors)
    if n < 6:
        return 1
    upper = max(2, min(max_k, n // 3, int(np.sqrt(n)) + 1))  # silhouette favours many tiny clusters on templated text
    candidates = sorted({int(round(x)) for x in np.geomspace(2, upper, num=min(8, upper - 1))})
    sample = vectors if n <= SILHOUETTE_SAMPLE else vectors[np.random.default_rng(seed).choice(n, SILHOUETTE_SAMPLE, replace=False)]
    best_k, best_score = candidates[0], -2.0
    for k in candidates:
        if k >= len(sample):
            continue
        labels = KMeans(n_clusters=k, n_init=2, random_state=seed).fit_predict(sample)
        if len(set(labels)) < 2:
            continue
        score = silhouette_score(sample, labels, metric="cosine")
        if score > best_score:
            best_k, best_score = k, score
    return best_k


def _cluster(vectors: np.ndarray, k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.cluster import KMeans, MiniBatchKMeans

    if k <= 1 or len(vectors) <= 1:
        return np.zeros(len(vectors), dtype=int), vectors.mean(axis=0, keepdims=True)
    if len(vectors) > FULL_KMEANS_LIMIT:
        model = MiniBatchKMeans(n_clusters=k, n_init=3, batch_size=4096, random_state=seed).fit(vectors)
    else:
        model = KMeans(n_clusters=k, n_init=3, random_state=seed).fit(vectors)
    return model.labels_, model.cluster_centers_


def _cluster_labels(texts: list[str], assignment: np.ndarray, clusters: int) -> list[str]:
    """The most distinctive terms of each cluster: TF-IDF over one document per cluster."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    documents = [" ".join(t for t, c in zip(texts, assignment) if c == i) for i in range(clusters)]
    try:
        vectorizer = TfidfVectorizer(stop_words="english", token_pattern=r"(?u)\b[^\W\d_]{2,}\b", sublinear_tf=True)
        matrix = vectorizer.fit_transform(documents)
    except ValueError:  # only stop words or no words at all
        return [f"scenario {i + 1}" for i in range(clusters)]
    terms = vectorizer.get_feature_names_out()
    labels = []
    for i in range(clusters):
        row = matrix[i].toarray().ravel()
        top = [terms[j] for j in np.argsort(-row, kind="stable")[:3] if row[j] > 0]
        labels.append(" / ".join(top) if top else f"scenario {i + 1}")
    return labels


def _central(vectors: np.ndarray, members: np.ndarray, centroid: np.ndarray, count: int) -> list[int]:
    sims = vectors[members] @ centroid
    return [int(members[j]) for j in np.argsort(-sims, kind="stable")[:count]]


def _domain_auc(train_vectors: np.ndarray, production_vectors: np.ndarray, seed: int) -> float | None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    if len(train_vectors) < 10 or len(production_vectors) < 10:
        return None
    rng = np.random.default_rng(seed)
    a = train_vectors[rng.permutation(len(train_vectors))[:MAX_AUC_SAMPLES]]
    b = production_vectors[rng.permutation(len(production_vectors))[:MAX_AUC_SAMPLES]]
    features = np.vstack([a, b])
    target = np.r_[np.zeros(len(a)), np.ones(len(b))]
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=seed)
    model = LogisticRegression(max_iter=1000, class_weight="balanced")
    return round(float(cross_val_score(model, features, target, cv=folds, scoring="roc_auc").mean()), 4)


def _map_points(train_vectors: np.ndarray, production_vectors: np.ndarray, covered: np.ndarray, seed: int,
                limit: int = 1500):
    """Seeded 2-D PCA sample of both sides for the report's map, and the fitted PCA (to place centroids)."""
    from sklearn.decomposition import PCA

    rng = np.random.default_rng(seed)
    t_pick = np.sort(rng.permutation(len(train_vectors))[:limit])
    p_pick = np.sort(rng.permutation(len(production_vectors))[:limit])
    pca = PCA(n_components=2, random_state=seed).fit(np.vstack([train_vectors[t_pick], production_vectors[p_pick]]))
    t2 = pca.transform(train_vectors[t_pick]).round(4).tolist()
    p2 = pca.transform(production_vectors[p_pick]).round(4).tolist()
    return {"train": t2, "production": p2, "production_uncovered": [bool(not covered[i]) for i in p_pick]}, pca


def measure_coverage(train_records: list[Record], train_keys: list[str], train_vectors: np.ndarray,
                     production_records: list[Record], production_keys: list[str], production_vectors: np.ndarray,
                     config: CoverageConfig, *, model: str, embeddings: dict[str, int]) -> CoverageResult:
    """Vectors hold one unit vector per distinct non-empty key of each side, in order of first appearance."""
    train_distinct, train_positions = _distinct(train_keys)
    prod_distinct, prod_positions = _distinct(production_keys)
    if len(train_vectors) != len(train_distinct) or len(production_vectors) != len(prod_distinct):
        raise ValueError("coverage needs one vector per distinct non-empty key on each side")
    weights = np.array([len(prod_positions[k]) for k in prod_distinct], dtype=float)
    nearest_sims, nearest_idx = top_k(train_vectors, production_vectors, 3)
    covered = covered_by_neighbourhood(train_vectors, production_vectors, config.neighbours, config.min_share_ratio,
                                       config.close_enough_cosine, nearest_sims[:, 0])
    total = float(weights.sum())
    covered_share = round(float((weights * covered).sum() / total), 4) if total else 0.0

    original = [production_records[prod_positions[k][0]] for k in prod_distinct]

    def nearest_of(m: int) -> list[NearestTraining]:
        return [NearestTraining(train_records[train_positions[train_distinct[int(j)]][0]].input_text[:MAX_TEXT_CHARS], round(float(s), 4))
                for s, j in zip(nearest_sims[m], nearest_idx[m]) if j >= 0]

    def scenarios_of(members_all: np.ndarray) -> list[tuple[Scenario, np.ndarray]]:
        """Cluster the given production inputs into scenarios, largest first, each with its centroid."""
        vectors = production_vectors[members_all]
        assignment, centroids = _cluster(vectors, _choose_k(vectors, config.max_scenarios, config.seed), config.seed)
        labels = _cluster_labels([original[m].input_text for m in members_all], assignment, len(centroids))
        found = []
        for c in range(len(centroids)):
            local = np.where(assignment == c)[0]
            if len(local) == 0:
                continue
            members = members_all[local]
            size = float(weights[members].sum())
            ranked = [int(members_all[j]) for j in _central(vectors, local, centroids[c], len(local))]
            uncovered_members = [m for m in ranked if not covered[m]]
            found.append((Scenario(
                labels[c], int(size), round(size / total, 4), round(float((weights[members] * covered[members]).sum() / size), 4),
                [original[m].input_text[:MAX_TEXT_CHARS] for m in ranked[:config.examples_per_scenario]],
                [UncoveredExample(original[m].input_text[:MAX_TEXT_CHARS], original[m].source, original[m].line, nearest_of(m))
                 for m in uncovered_members[:config.examples_per_scenario]]), centroids[c]))
        return sorted(found, key=lambda pair: (-pair[0].size, pair[0].label))

    everything = np.arange(len(prod_distinct))
    scenarios = [scenario for scenario, _ in scenarios_of(everything)]
    # The uncovered inputs are grouped on their own: clusters of all production mix a missing topic with
    # neighbouring covered ones, which hides it; grouped alone, each missing topic gets its own name and examples.
    uncovered_members = everything[~covered]
    uncovered_with_centroids = scenarios_of(uncovered_members) if len(uncovered_members) else []
    uncovered = [scenario for scenario, _ in uncovered_with_centroids]

    unused = _unused_training(train_records, train_distinct, train_positions, train_vectors, nearest_idx[:, 0], config)
    points, pca = _map_points(train_vectors, production_vectors, covered, config.seed)
    for scenario, centroid in uncovered_with_centroids:
        scenario.centroid_2d = pca.transform(centroid[None, :])[0].round(4).tolist()
    return CoverageResult(
        model=model, rule=(f"covered when >= {config.min_share_ratio:g} x the expected training share of its {config.neighbours} nearest "
                           f"neighbours in training + production are training inputs, or a training input is within cosine {config.close_enough_cosine:g}"),
        neighbours=config.neighbours, min_share_ratio=config.min_share_ratio,
        production_inputs=int(total), training_inputs=len(train_records), covered_share=covered_share,
        scenarios=scenarios, uncovered=uncovered, unused_training=unused,
        domain_auc=_domain_auc(train_vectors, production_vectors, config.seed), embeddings=embeddings, map_points=points)


def _unused_training(train_records: list[Record], distinct: list[str], positions: dict[str, list[int]], vectors: np.ndarray,
                     nearest_train: np.ndarray, config: CoverageConfig) -> list[TrainingCluster]:
    """Training clusters that are no production input's nearest training neighbour: possibly wasted data."""
    if len(vectors) < 6:
        return []
    k = max(2, min(config.max_scenarios, int(np.sqrt(len(vectors) / 2))))
    assignment, centroids = _cluster(vectors, k, config.seed)
    hits = np.bincount(assignment[nearest_train[nearest_train >= 0]], minlength=len(centroids))
    texts = [train_records[positions[key][0]].input_text for key in distinct]
    labels = _cluster_labels(texts, assignment, len(centroids))
    result = []
    for c in np.where(hits == 0)[0]:
        members = np.where(assignment == c)[0]
        if len(members) == 0:
            continue
        size = int(sum(len(positions[distinct[m]]) for m in members))
        result.append(TrainingCluster(labels[c], size, round(size / len(train_records), 4),
                                      [texts[m][:MAX_TEXT_CHARS] for m in _central(vectors, members, centroids[c], config.examples_per_scenario)]))
    return sorted(result, key=lambda t: (-t.size, t.label))
