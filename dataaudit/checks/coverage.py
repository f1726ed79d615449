"""Production coverage: which share of production inputs do the training data cover, and which are the gaps?

Training is a labelled sample of the known scenarios; production an unlabelled mixture of the same scenarios
in another mix, plus possibly new ones. So the covered share is a mixture-proportion estimate under label
shift, chosen on the battery in benchmarks/coverage_validity.py (CLINC150, Banking77; table in the README):

1. Production's label mix by EM re-estimation (Saerens, Latinne & Decaestecker 2002) of kNN label posteriors;
   training is reweighted to that mix, so a change of mix is reported as `mix_shift`, never as a gap.
   The EM is run again on the inputs that look covered, so new scenarios do not inflate their siblings.
2. Two signals per input, each turned into its percentile among weighted training inputs: the cosine to the
   nearest training input (catches spread-out novel inputs) and the weighted training share of its k nearest
   neighbours in training + production (catches dense novel topics that sit beside a sibling). They are
   combined Fisher-style (sum of log percentiles) into `score`: higher is better covered.
3. The covered share by best-bin estimation (Garg et al. 2021): the smallest upper-bounded ratio of production
   to training mass above a score threshold that keeps at least a fifth of training.
4. Each input's probability of being covered from the binned ratio of training to production score density,
   made monotone; inputs below one half are uncovered unless the estimated gap is below `min_gap_share`.

Training references are computed without the inputs written in the same sitting (same label, same block of
its label's rows in file order): such rows resemble each other (measured on CLINC150), and counting them makes
production look less covered than it is. Scenarios: the covered inputs and the uncovered inputs are each
clustered on their own (k-means, k by silhouette), so every production input belongs to one scenario and
every uncovered scenario holds only inputs judged uncovered.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterator

import numpy as np

from ..excerpt import plain_excerpt as excerpt
from ..neighbours import top_k
from .base import AuditContext, Check, Finding, Need, Status

if TYPE_CHECKING:
    from ..index import TextIndex

MAX_AUC_SAMPLES = 2_000  # per side; the AUC is stable to about 0.01 well before this
SILHOUETTE_SAMPLE = 3000  # k is chosen on a seeded sample of this size; the final clustering uses every input
FULL_KMEANS_LIMIT = 20_000  # above this, MiniBatchKMeans (seeded) clusters in seconds instead of a minute
SITTING_BLOCKS = 5  # a label's training rows, in file order, split in this many blocks ("written in one sitting")
SITTING_EXTRA = 30  # extra neighbours fetched so that k remain once same-sitting rows are dropped
BBE_MIN_TRAIN_MASS = 0.2
BBE_DELTA = 0.1
BBE_GAMMA = 0.01
POSTERIOR_BINS = 20
LOG_FLOOR = 1e-3
LABEL_PSEUDO_VOTE = 0.05


@dataclass
class CoverageConfig:
    neighbours: int = 50  # k of the density signal; at k = 10 CLINC150's same-sitting rows bias it
    label_neighbours: int = 20  # k of the kNN label posteriors used to estimate production's label mix
    label_mix_passes: int = 2  # EM passes; from the second on, only inputs that look covered count
    reference_sample: int = 4000  # training inputs scored as the reference (seeded sample); all are neighbours
    min_production_inputs: int = 30  # below this, coverage is unknown
    min_training_inputs: int = 30  # below this, coverage is unknown
    min_gap_share: float = 0.02  # an estimated gap below this names no uncovered scenario
    min_covered_share: float = 0.90  # fail below
    max_uncovered_scenario_share: float = 0.05  # fail when one uncovered scenario holds more of production
    examples_per_scenario: int = 5
    max_scenarios: int = 40
    seed: int = 0


@dataclass(frozen=True)
class NearestTraining:
    text: str
    file: str
    line: int
    label: str | None
    similarity: float


@dataclass(frozen=True)
class UncoveredExample:
    text: str
    file: str
    line: int
    nearest_training: list[NearestTraining]


@dataclass(frozen=True)
class Scenario:
    id: str
    label: str
    size: int  # production records
    share: float
    covered_share: float  # mean estimated probability that its inputs are covered
    uncovered: bool  # named as a gap
    examples: list[str]  # most central inputs, excerpted
    uncovered_examples: list[UncoveredExample]
    centroid_2d: list[float] | None = field(default=None, metadata={"json": False})  # for the map


@dataclass(frozen=True)
class TrainingCluster:
    label: str
    size: int
    share: float
    examples: list[str]


@dataclass(frozen=True)
class LineVerdicts:
    """Per distinct production key (rows of ctx.production.vectors): plot/file-only, kept out of JSON."""

    covered: np.ndarray
    score: np.ndarray
    covered_probability: np.ndarray
    nearest_similarity: np.ndarray
    nearest: list[dict | None]  # {file, line, label} of the nearest training record
    scenario: list[str]
    records: list[tuple[str, int, int]]  # per production record: file, line, row (-1 for an empty input)


@dataclass(frozen=True)
class CoverageResult:
    model: str
    rule: str
    neighbours: int
    production_inputs: int
    training_inputs: int
    covered_share: float | None
    scenarios: list[Scenario]
    uncovered: list[Scenario]
    unused_training: list[TrainingCluster]
    domain_auc: float | None
    embeddings: dict[str, int]
    training_label_mix: dict[str, float] | None = None
    production_label_mix: dict[str, float] | None = None  # EM estimate over the inputs that look covered
    mix_shift: float | None = None  # total variation distance between the two label mixes
    not_measured: str = ""  # why no estimate was made (sample too small); empty when measured
    map_points: dict[str, list] | None = field(default=None, metadata={"json": False})  # seeded 2-D PCA sample for the map
    line_verdicts: LineVerdicts | None = field(default=None, repr=False, metadata={"json": False})  # coverage_lines() reads it; not in JSON


RULE = ("covered share by best-bin mixture-proportion estimation on a score combining nearest-training cosine and "
        "the kNN density ratio of production to training reweighted to production's EM-estimated label mix")


# ---------------------------------------------------------------- the estimate (pure numpy, used by the benchmark)

@dataclass(frozen=True)
class Estimate:
    score: np.ndarray  # per production vector, higher = better covered
    covered_probability: np.ndarray
    covered: np.ndarray
    covered_share: float
    label_mix: np.ndarray | None  # production's, over training's label ids
    training_mix: np.ndarray | None


def knn_label_posteriors(train_vectors: np.ndarray, label_ids: np.ndarray, n_labels: int, queries: np.ndarray,
                         k: int, prior: np.ndarray) -> np.ndarray:
    """p(label | x) under training's label mix: the label votes of the k nearest training inputs, plus a small
    pseudo-vote spread by the training mix so that no label gets probability zero (a whole vote skews the EM
    mix towards large labels: measured on separated synthetic clusters)."""
    _, idx = top_k(train_vectors, queries, k)
    votes = np.zeros((len(queries), n_labels))
    rows = np.repeat(np.arange(len(queries)), idx.shape[1])
    valid = idx.ravel() >= 0
    np.add.at(votes, (rows[valid], label_ids[idx.ravel()[valid]]), 1.0)
    votes += LABEL_PSEUDO_VOTE * prior
    return votes / votes.sum(axis=1, keepdims=True)


def saerens_em(posteriors: np.ndarray, train_prior: np.ndarray, weights: np.ndarray, iterations: int = 200,
               tol: float = 1e-7) -> np.ndarray:
    """Production's label mix by EM re-estimation of the posteriors (Saerens, Latinne & Decaestecker 2002)."""
    mix = train_prior.copy()
    base = posteriors / train_prior
    total = max(float(weights.sum()), 1e-12)
    for _ in range(iterations):
        adjusted = base * mix
        adjusted /= adjusted.sum(axis=1, keepdims=True)
        new = (weights[:, None] * adjusted).sum(axis=0) / total
        done = np.abs(new - mix).max() < tol
        mix = new
        if done:
            break
    return mix


def sitting_blocks(label_ids: np.ndarray, blocks: int = SITTING_BLOCKS) -> np.ndarray:
    """Block of each training input among its label's inputs in file order."""
    out = np.zeros(len(label_ids), dtype=np.int64)
    for label in np.unique(label_ids):
        members = np.where(label_ids == label)[0]
        out[members] = np.arange(len(members)) * blocks // len(members)
    return out


def nearest_outside_sitting(train_vectors: np.ndarray, label_ids: np.ndarray, blocks: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Each reference training input's cosine to its nearest training input outside its own sitting: the
    training reference for production's nearest-training cosine."""
    sims, idx = top_k(train_vectors, train_vectors[reference], min(SITTING_EXTRA, len(train_vectors)))
    safe = np.maximum(idx, 0)
    same = (idx == reference[:, None]) | (idx < 0) | (
        (label_ids[safe] == label_ids[reference][:, None]) & (blocks[safe] == blocks[reference][:, None]))
    best = np.where(same, -np.inf, sims).max(axis=1)
    return np.where(np.isfinite(best), best, sims[:, -1])


def density_share(train_vectors: np.ndarray, train_weights: np.ndarray, production_vectors: np.ndarray,
                  production_weights: np.ndarray, k: int, label_ids: np.ndarray, blocks: np.ndarray,
                  reference: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted training share of the k nearest neighbours in training + production of each reference training
    input and each production input. Excluded: the input itself, and for a training input its own sitting."""
    pooled = np.vstack([train_vectors, production_vectors])
    mass = np.r_[train_weights, production_weights]
    n_train = len(train_vectors)
    is_train = np.r_[np.ones(n_train, bool), np.zeros(len(production_vectors), bool)]
    queries = np.r_[reference, n_train + np.arange(len(production_vectors))]
    _, idx = top_k(pooled, pooled[queries], min(k + 1 + SITTING_EXTRA, len(pooled)))
    safe = np.maximum(idx, 0)
    label = np.r_[label_ids, np.full(len(production_vectors), -1)]
    block = np.r_[blocks, np.full(len(production_vectors), -1)]
    excluded = (idx == queries[:, None]) | (idx < 0) | (
        is_train[queries][:, None] & is_train[safe] & (label[safe] == label[queries][:, None]) & (block[safe] == block[queries][:, None]))
    keep = ~excluded & (np.cumsum(~excluded, axis=1) <= k)
    weight = np.where(keep, mass[safe], 0.0)
    train_part = np.where(is_train[safe], weight, 0.0).sum(axis=1)
    share = train_part / np.maximum(weight.sum(axis=1), 1e-12)
    return share[:len(reference)], share[len(reference):]


def weighted_percentile(reference: np.ndarray, weights: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Weighted share of the reference at or below each value."""
    order = np.argsort(reference, kind="stable")
    cumulative = np.cumsum(weights[order])
    cumulative /= cumulative[-1]
    position = np.searchsorted(reference[order], values, side="right")
    return np.where(position > 0, cumulative[np.maximum(position - 1, 0)], 0.0)


def best_bin_share(train_scores: np.ndarray, train_weights: np.ndarray, production_scores: np.ndarray,
                   production_weights: np.ndarray) -> float:
    """Share of production drawn from the (weighted) training distribution, by best-bin estimation (Garg et al.
    2021): over thresholds keeping at least BBE_MIN_TRAIN_MASS of training, the ratio of production to training
    mass above the threshold whose upper confidence bound is smallest."""
    train_mass = train_weights / train_weights.sum()
    production_mass = production_weights / production_weights.sum()
    penalty = (np.sqrt(np.log(4 / BBE_DELTA) / (2 * len(production_scores)))
               + np.sqrt(np.log(4 / BBE_DELTA) / (2 * len(train_scores))))
    best, best_bound = 1.0, np.inf
    for threshold in np.quantile(train_scores, np.linspace(0, 1 - BBE_MIN_TRAIN_MASS, 60)):
        above_train = train_mass[train_scores >= threshold].sum()
        if above_train < BBE_MIN_TRAIN_MASS:
            continue
        above_production = production_mass[production_scores >= threshold].sum()
        bound = (above_production + (1 + BBE_GAMMA) * penalty) / above_train
        if bound < best_bound:
            best_bound, best = bound, above_production / above_train
    return float(min(best, 1.0))


def covered_probability(train_scores: np.ndarray, train_weights: np.ndarray, production_scores: np.ndarray,
                        production_weights: np.ndarray, covered_share: float) -> np.ndarray:
    """P(covered | score) = covered share x training density / production density, in production-quantile bins,
    made non-decreasing in the score."""
    from sklearn.isotonic import IsotonicRegression

    edges = np.unique(np.quantile(production_scores, np.linspace(0, 1, POSTERIOR_BINS + 1)))
    if len(edges) < 2:
        return np.full(len(production_scores), covered_share)
    edges[0], edges[-1] = -np.inf, np.inf
    bins = len(edges) - 1
    train_bin = np.clip(np.searchsorted(edges, train_scores, side="right") - 1, 0, bins - 1)
    production_bin = np.clip(np.searchsorted(edges, production_scores, side="right") - 1, 0, bins - 1)
    train_mass = np.bincount(train_bin, weights=train_weights, minlength=bins) / train_weights.sum()
    production_mass = np.bincount(production_bin, weights=production_weights, minlength=bins) / production_weights.sum()
    ratio = np.minimum(1.0, covered_share * train_mass / np.maximum(production_mass, 1e-12))
    occupied = production_mass > 0
    centres = np.array([np.median(production_scores[production_bin == b]) for b in np.where(occupied)[0]])
    model = IsotonicRegression(increasing=True, y_min=0.0, y_max=1.0, out_of_bounds="clip")
    model.fit(centres, ratio[occupied], sample_weight=production_mass[occupied])
    return model.predict(production_scores)


def estimate_coverage(train_vectors: np.ndarray, train_labels: list[str | None] | None, production_vectors: np.ndarray,
                      production_counts: np.ndarray, config: CoverageConfig, train_counts: np.ndarray | None = None) -> Estimate:
    """The covered share of production and a per-input score, probability and verdict. Vectors are unit rows;
    counts say how many records each row stands for; train_labels None (or all None) means unlabelled."""
    n_train = len(train_vectors)
    train_counts = np.ones(n_train) if train_counts is None else np.asarray(train_counts, dtype=float)
    production_counts = np.asarray(production_counts, dtype=float)
    labelled = train_labels is not None and any(label is not None for label in train_labels)
    if labelled:
        names, label_ids = np.unique(np.array(["" if x is None else f"={x}" for x in train_labels]), return_inverse=True)
        prior = np.bincount(label_ids, weights=train_counts, minlength=len(names)) / train_counts.sum()
        posteriors = knn_label_posteriors(train_vectors, label_ids, len(names), production_vectors, config.label_neighbours, prior)
    else:
        label_ids, prior, posteriors = np.zeros(n_train, dtype=np.int64), None, None
    blocks = sitting_blocks(label_ids)
    # The training reference is a seeded sample: its scores need every training input as neighbour, not as query.
    reference = np.arange(n_train)
    if n_train > config.reference_sample:
        reference = np.sort(np.random.default_rng(config.seed).choice(n_train, config.reference_sample, replace=False))
    nearest_production = top_k(train_vectors, production_vectors, 1)[0][:, 0]
    nearest_train = nearest_outside_sitting(train_vectors, label_ids, blocks, reference)
    em_weights = production_counts
    mix = None
    result = None
    for _ in range(max(1, config.label_mix_passes if labelled else 1)):
        if labelled:
            mix = saerens_em(posteriors, prior, em_weights)
            train_weights = train_counts * (mix / prior)[label_ids]
        else:
            train_weights = train_counts.copy()
        train_weights *= production_counts.sum() / max(train_weights.sum(), 1e-12)
        density_train, density_production = density_share(train_vectors, train_weights, production_vectors, production_counts,
                                                          config.neighbours, label_ids, blocks, reference)
        reference_weights = train_weights[reference]
        score_train = _combined(weighted_percentile(nearest_train, reference_weights, nearest_train),
                                weighted_percentile(density_train, reference_weights, density_train))
        score_production = _combined(weighted_percentile(nearest_train, reference_weights, nearest_production),
                                     weighted_percentile(density_train, reference_weights, density_production))
        share = best_bin_share(score_train, reference_weights, score_production, production_counts)
        probability = covered_probability(score_train, reference_weights, score_production, production_counts, share)
        covered = probability >= 0.5 if 1.0 - share >= config.min_gap_share else np.ones(len(production_vectors), dtype=bool)
        result = Estimate(score_production, probability, covered, share, mix, prior)
        em_weights = production_counts * covered
        if em_weights.sum() <= 0:
            break
    assert result is not None
    return result


def _combined(nearest_percentile: np.ndarray, density_percentile: np.ndarray) -> np.ndarray:
    return np.log(nearest_percentile + LOG_FLOOR) + np.log(density_percentile + LOG_FLOOR)


# ---------------------------------------------------------------- scenarios, map, unused training

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
        labels.append(" / ".join(excerpt(t, 40) for t in top) if top else f"scenario {i + 1}")
    return labels


def _central(vectors: np.ndarray, members: np.ndarray, centroid: np.ndarray) -> list[int]:
    sims = vectors[members] @ centroid
    return [int(members[j]) for j in np.argsort(-sims, kind="stable")]


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


def coverage_map_points(train_vectors: np.ndarray, production_vectors: np.ndarray, covered: np.ndarray, seed: int,
                        limit: int = 1500):
    """Seeded 2-D PCA sample of both sides for the HTML report's map, and the fitted PCA (to place centroids)."""
    from sklearn.decomposition import PCA

    rng = np.random.default_rng(seed)
    t_pick = np.sort(rng.permutation(len(train_vectors))[:limit])
    p_pick = np.sort(rng.permutation(len(production_vectors))[:limit])
    pca = PCA(n_components=2, random_state=seed).fit(np.vstack([train_vectors[t_pick], production_vectors[p_pick]]))
    points = {"train": pca.transform(train_vectors[t_pick]).round(4).tolist(),
              "production": pca.transform(production_vectors[p_pick]).round(4).tolist(),
              "production_uncovered": [bool(not covered[i]) for i in p_pick]}
    return points, pca


def _unused_training(train: TextIndex, nearest_train: np.ndarray, config: CoverageConfig) -> list[TrainingCluster]:
    """Training clusters that are no production input's nearest training neighbour: possibly wasted data."""
    vectors = train.vectors
    if vectors is None or len(vectors) < 6:
        return []
    k = max(2, min(config.max_scenarios, int(np.sqrt(len(vectors) / 2))))
    assignment, centroids = _cluster(vectors, k, config.seed)
    hits = np.bincount(assignment[nearest_train[nearest_train >= 0]], minlength=len(centroids))
    texts = [train.records[train.positions[key][0]].query_text for key in train.distinct]
    labels = _cluster_labels(texts, assignment, len(centroids))
    result = []
    for c in np.where(hits == 0)[0]:
        members = np.where(assignment == c)[0]
        if len(members) == 0:
            continue
        size = int(sum(len(train.positions[train.distinct[m]]) for m in members))
        examples = [excerpt(texts[m]) for m in _central(vectors, members, centroids[c])[:config.examples_per_scenario]]
        result.append(TrainingCluster(labels[c], size, round(size / len(train.records), 4), examples))
    return sorted(result, key=lambda t: (-t.size, t.label))


# ---------------------------------------------------------------- the check

def _distinct_labels(index: TextIndex) -> list[str | None]:
    """The most common label among the records that carry each distinct key (first seen wins a tie)."""
    labels = []
    for key in index.distinct:
        found = [index.records[i].label for i in index.positions[key] if index.records[i].label is not None]
        labels.append(Counter(found).most_common(1)[0][0] if found else None)
    return labels


def _label_mix(names: list[str], mix: np.ndarray) -> dict[str, float]:
    return dict(sorted(((n, round(float(m), 4)) for n, m in zip(names, mix)), key=lambda kv: (-kv[1], kv[0])))


def measure(ctx: AuditContext) -> CoverageResult | None:
    config: CoverageConfig = ctx.config.section("coverage")
    train, production = ctx.train, ctx.production
    if production is None or train.vectors is None or production.vectors is None:
        return None
    production_counts = np.array([len(production.positions[k]) for k in production.distinct], dtype=float)
    train_counts = np.array([len(train.positions[k]) for k in train.distinct], dtype=float)
    n_production, n_train = int(production_counts.sum()), int(train_counts.sum())
    base = dict(model=ctx.embedding_model, rule=RULE, neighbours=config.neighbours, production_inputs=n_production,
                training_inputs=n_train, embeddings=dict(ctx.embedding_stats))
    small = []
    if n_production < config.min_production_inputs:
        small.append(f"production_inputs {n_production} < min_production_inputs {config.min_production_inputs}")
    if n_train < config.min_training_inputs:
        small.append(f"training_inputs {n_train} < min_training_inputs {config.min_training_inputs}")
    if small:
        return CoverageResult(**base, covered_share=None, scenarios=[], uncovered=[], unused_training=[], domain_auc=None,
                              not_measured="; ".join(small))

    labels = _distinct_labels(train)
    result = estimate_coverage(train.vectors, labels, production.vectors, production_counts, config, train_counts)
    nearest_sims, nearest_idx = top_k(train.vectors, production.vectors, 3)
    points, pca = coverage_map_points(train.vectors, production.vectors, result.covered, config.seed)
    scenarios, scenario_of = _scenarios(ctx, config, result, production_counts, nearest_sims, nearest_idx, train_labels=labels, pca=pca)

    training_mix = production_mix = shift = None
    if result.label_mix is not None and result.training_mix is not None:
        keys = sorted({"" if x is None else f"={x}" for x in labels})  # the order estimate_coverage numbers labels in
        readable = [k[1:] if k else "(no label)" for k in keys]
        training_mix = _label_mix(readable, result.training_mix)
        production_mix = _label_mix(readable, result.label_mix)
        shift = round(float(0.5 * np.abs(result.label_mix - result.training_mix).sum()), 4)
    nearest = []
    for j in nearest_idx[:, 0]:
        first = train.records[train.positions[train.distinct[int(j)]][0]] if j >= 0 else None
        nearest.append({"file": first.source, "line": first.line, "label": first.label} if first else None)
    verdicts = LineVerdicts(result.covered, result.score, result.covered_probability, nearest_sims[:, 0], nearest, scenario_of,
                            [(r.source, r.line, int(row)) for r, row in zip(production.records, production.key_ids)])
    return CoverageResult(
        **base, covered_share=round(result.covered_share, 4), scenarios=scenarios,
        uncovered=[s for s in scenarios if s.uncovered], unused_training=_unused_training(train, nearest_idx[:, 0], config),
        domain_auc=_domain_auc(train.vectors, production.vectors, config.seed),
        training_label_mix=training_mix, production_label_mix=production_mix, mix_shift=shift,
        map_points=points, line_verdicts=verdicts)


def _scenarios(ctx: AuditContext, config: CoverageConfig, result: Estimate, counts: np.ndarray, nearest_sims: np.ndarray,
               nearest_idx: np.ndarray, *, train_labels: list[str | None], pca) -> tuple[list[Scenario], list[str]]:
    """Covered and uncovered inputs, each clustered on their own: a gap is not diluted by the covered topics
    around it, and each gap gets its own name and examples. Returns the scenarios (largest first, uncovered
    ones first) and each distinct production key's scenario id."""
    production, train = ctx.production, ctx.train
    vectors = production.vectors
    texts = [production.records[production.positions[k][0]].query_text for k in production.distinct]
    total = float(counts.sum())

    def nearest_of(m: int) -> list[NearestTraining]:
        out = []
        for s, j in zip(nearest_sims[m], nearest_idx[m]):
            if j < 0:
                continue
            record = train.records[train.positions[train.distinct[int(j)]][0]]
            out.append(NearestTraining(excerpt(record.query_text), record.source, record.line, train_labels[int(j)], round(float(s), 4)))
        return out

    groups: list[tuple[bool, np.ndarray, np.ndarray]] = []  # (uncovered, members, centroid)
    labels: list[str] = []
    for uncovered in (True, False):
        members_all = np.where(result.covered != uncovered)[0]
        if len(members_all) == 0:
            continue
        assignment, centroids = _cluster(vectors[members_all], _choose_k(vectors[members_all], config.max_scenarios, config.seed), config.seed)
        names = _cluster_labels([texts[m] for m in members_all], assignment, len(centroids))
        for c in range(len(centroids)):
            local = np.where(assignment == c)[0]
            if len(local):
                groups.append((uncovered, members_all[local], centroids[c]))
                labels.append(names[c])
    order = sorted(range(len(groups)), key=lambda g: (not groups[g][0], -counts[groups[g][1]].sum(), labels[g]))
    scenarios: list[Scenario] = []
    scenario_of = [""] * len(vectors)
    for rank, g in enumerate(order, start=1):
        uncovered, members, centroid = groups[g]
        scenario_id = f"s{rank}"
        for m in members:
            scenario_of[int(m)] = scenario_id
        size = float(counts[members].sum())
        ranked = _central(vectors, members, centroid)
        scenarios.append(Scenario(
            id=scenario_id, label=labels[g], size=int(size), share=round(size / total, 4),
            covered_share=round(float((counts[members] * result.covered_probability[members]).sum() / size), 4),
            uncovered=uncovered, examples=[excerpt(texts[m]) for m in ranked[:config.examples_per_scenario]],
            uncovered_examples=[UncoveredExample(excerpt(texts[m]), production.records[production.positions[production.distinct[m]][0]].source,
                                                 production.records[production.positions[production.distinct[m]][0]].line, nearest_of(m))
                                for m in ranked[:config.examples_per_scenario]] if uncovered else [],
            centroid_2d=pca.transform(centroid[None, :])[0].round(4).tolist() if uncovered else None))
    return scenarios, scenario_of


def coverage_lines(result: CoverageResult) -> Iterator[dict]:
    """One verdict per production record, in record order: {file, line, covered, score, nearest: {file, line,
    label, similarity}, scenario}; score is higher for better-covered inputs, scenario the id of its entry in
    `scenarios`. An empty input has covered, score, nearest and scenario None. Yields nothing when coverage
    was not measured."""
    verdicts = result.line_verdicts
    if verdicts is None:
        return
    for file, line, row in verdicts.records:
        if row < 0:
            yield {"file": file, "line": line, "covered": None, "score": None, "nearest": None, "scenario": None}
            continue
        nearest = verdicts.nearest[row]
        if nearest is not None:
            nearest = {**nearest, "similarity": round(float(verdicts.nearest_similarity[row]), 4)}
        yield {"file": file, "line": line, "covered": bool(verdicts.covered[row]), "score": round(float(verdicts.score[row]), 4),
               "nearest": nearest, "scenario": verdicts.scenario[row]}


def judge(result: CoverageResult | None, ctx: AuditContext) -> list[Finding]:
    config: CoverageConfig = ctx.config.section("coverage")
    if result is None:
        reason = ctx.not_run.get("coverage") or "no production sample was supplied, so coverage cannot be judged"
        return [Finding("coverage", Status.UNKNOWN, reason, {}, "Supply a sample of real production inputs with --production FILE "
                                                                "(a few hundred or more) so that uncovered scenarios can be named.")]
    if result.not_measured:
        return [Finding("coverage", Status.UNKNOWN, f"the sample is too small to estimate coverage ({result.not_measured})",
                        {"production_inputs": result.production_inputs, "training_inputs": result.training_inputs,
                         "min_production_inputs": config.min_production_inputs, "min_training_inputs": config.min_training_inputs},
                        "Supply a larger production sample (a few hundred inputs or more).")]
    uncovered = result.uncovered
    evidence = {"covered_share": result.covered_share, "min_covered_share": config.min_covered_share,
                "max_uncovered_scenario_share": config.max_uncovered_scenario_share, "production_inputs": result.production_inputs,
                "mix_shift": result.mix_shift,
                "uncovered_scenarios": [{"id": s.id, "label": s.label, "share": s.share, "examples": s.examples[:3]} for s in uncovered[:10]]}
    largest = max(uncovered, key=lambda s: s.share) if uncovered else None
    detail = ""
    action = ""
    if largest is not None:
        detail = f"; the '{largest.label}' scenario, {largest.share:.0%} of production, is uncovered (e.g. \"{excerpt(largest.examples[0], 80)}\")"
        action = ("Collect training examples for the uncovered production scenarios, largest first: "
                  + ", ".join(f"'{s.label}' ({s.share:.0%})" for s in sorted(uncovered, key=lambda s: -s.share)[:5]) + ".")
    summary = f"an estimated {result.covered_share:.0%} of production inputs are covered by training data{detail}"
    if result.covered_share < config.min_covered_share or (largest is not None and largest.share > config.max_uncovered_scenario_share):
        return [Finding("coverage", Status.FAIL, summary, evidence, action or "Collect training examples resembling the uncovered production inputs.")]
    if uncovered:
        return [Finding("coverage", Status.WARN, summary, evidence, action)]
    return [Finding("coverage", Status.PASS, summary, evidence)]


CHECK = Check(id="coverage", order=60, needs=frozenset({Need.PRODUCTION, Need.EMBEDDINGS}), measure=measure, judge=judge,
              config_section=("coverage", CoverageConfig))


def measure_coverage(train_records, train_keys, train_vectors, production_records, production_keys, production_vectors,
                     config=None, *, model: str, embeddings: dict[str, int]) -> CoverageResult | None:
    """Transitional entry point for the pre-registry api.py (delete once api.py runs CHECK): builds the two
    TextIndexes from records, keys and vectors and runs `measure` with the default coverage settings."""
    from ..config import Config
    from ..index import build_index
    from ..load.records import Dataset

    def index(role, records, keys, vectors):
        key_of = dict(zip((r.input_text for r in records), keys))  # keys are the api's normalised inputs
        built = build_index(role, Dataset(role, [], list(records), [], len(records), 0), key_of.__getitem__)
        return built.with_vectors(dict(zip(built.distinct, vectors)), vectors.shape[1])

    ctx = AuditContext(config=Config(), train=index("train", train_records, train_keys, train_vectors),
                       production=index("production", production_records, production_keys, production_vectors),
                       embedding_model=model, embedding_stats=embeddings)
    result = measure(ctx)
    if result is None or result.not_measured:
        return None
    from dataclasses import replace

    return replace(result, line_verdicts=None)
