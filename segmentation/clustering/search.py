"""Choosing eps and min_samples: the k-distance curve, candidate pairs and their ranking.

Unless both are set as vars, DBSCAN's parameters come from a bounded search
on a sample of the fitted rows: candidate min_samples from the number of
features, candidate eps around the knee of each one's k-distance curve, one
DBSCAN run per pair on a shared neighbourhood graph, and `search_score` to
rank the results by the segment limits first and quality second.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from sklearn.neighbors import NearestNeighbors, radius_neighbors_graph

from segmentation.clustering.config import ClusteringConfig
from segmentation.clustering.distinct import distinct_rows
from segmentation.clustering.fit import dbscan_from_graph
from segmentation.clustering.quality import ClusterQuality, evaluate_labels
from segmentation.clustering.sampling import scale_min_samples
from segmentation.refine import NOISE, SegmentLimits, min_size

logger = logging.getLogger(__name__)

# The parameter search skips eps values whose average neighbourhood holds more
# than this share of the search rows (estimated on PROBE_ROWS points).
MAX_NEIGHBOURHOOD_SHARE = 0.05
PROBE_ROWS = 500
# Each search candidate's silhouette is estimated on this many clustered points.
SEARCH_SILHOUETTE_ROWS = 2_000


@dataclass(frozen=True)
class ParameterChoice:
    """The eps and min_samples a build uses and how they were found."""

    eps: float
    search_min_samples: int
    source: str
    candidates_evaluated: int = 0
    search_score: float | None = None


def knee_value(sorted_values: np.ndarray) -> float:
    """The knee of an ascending curve: the point furthest below the chord from first to last.

    On the sorted k-distance curve the knee separates points inside dense
    regions (flat part) from sparse ones (steep tail): the classic eps guess.
    """
    n = len(sorted_values)
    if n < 3 or sorted_values[-1] == sorted_values[0]:
        return float(sorted_values[-1]) if n else 0.0
    x = np.linspace(0.0, 1.0, n)
    y = (sorted_values - sorted_values[0]) / (sorted_values[-1] - sorted_values[0])
    return float(sorted_values[int(np.argmax(x - y))])


def min_samples_candidates(dimensions: int, rows: int) -> list[int]:
    """min_samples to try: the usual 2 x dimensions rule, a looser and a stricter one.

    Bounded by the rows available so a tiny input still gets a valid value.
    """
    base = max(4, 2 * dimensions)
    candidates = {max(4, dimensions + 1), base, 2 * base}
    return sorted(k for k in candidates if k < rows) or [max(2, min(rows - 1, base))]


def eps_candidates(k_distances: np.ndarray, eps_floor: float = 0.0) -> list[float]:
    """eps values around the k-distance knee plus upper quantiles of the curve.

    The knee alone often merges everything into one giant cluster, so the
    search also tries quantiles that leave between 1% and 20% of points out of
    the cores, and scaled versions of the knee. None is below `eps_floor`
    (the gap between adjacent values of a ranked column): a candidate under
    it is raised to it.
    """
    ordered = np.sort(k_distances)
    knee = knee_value(ordered)
    quantiles = np.quantile(ordered, [0.80, 0.85, 0.90, 0.94, 0.97, 0.99])
    values = {float(v) for v in quantiles} | {knee * f for f in (0.8, 1.0, 1.25)}
    floor = round(float(eps_floor), 6)
    raised = {max(round(v, 6), floor) for v in values}
    return sorted(v for v in raised if v > 0)


def segment_count(labels: np.ndarray, min_share: float) -> int:
    """Clusters holding at least `min_share` of the rows: the ones that would be segments."""
    clustered = labels[labels != NOISE]
    if clustered.size == 0:
        return 0
    return int(np.count_nonzero(np.bincount(clustered) >= min_size(len(labels), min_share)))


def search_score(
    quality: ClusterQuality, segments: int, limits: SegmentLimits
) -> tuple[int, float]:
    """Rank a candidate: first by which limits it keeps, then by quality.

    Tiers, best first: noise within its limit, a usable number of segments
    (clusters of at least the minimum share) and no cluster over the largest
    share; noise and segment count only; noise only. Candidates with too
    much noise rank below all of them, by how far they overshoot. Within a
    tier, quality is the non-noise silhouette times the clustered share, so
    calling hard points noise is not free. The refinement step fixes what
    the winner still lacks (too few or too many segments, a giant one), but
    a candidate that needs no fixing shows the data's own density structure.
    """
    if quality.noise_share > limits.max_noise_share:
        return (0, -(quality.noise_share - limits.max_noise_share))
    silhouette = quality.silhouette if quality.silhouette is not None else -1.0
    score = silhouette * (1.0 - quality.noise_share)
    in_range = limits.min_segments <= segments <= limits.max_segments
    if in_range and quality.largest_cluster_share <= limits.max_largest_share:
        return (3, score)
    return (2 if in_range else 1, score)


def choose_parameters(
    search_matrix: np.ndarray, config: ClusteringConfig, total_rows: int, eps_floor: float = 0.0
) -> ParameterChoice:
    """Pick eps and min_samples (in search-sample terms) unless both are set as vars.

    Start from the k-distance curve of each candidate min_samples, try eps
    values around its knee (never below `eps_floor`), run DBSCAN on the
    search sample for each pair (one sparse neighbourhood graph at the
    largest eps serves every run) and keep the best by `search_score`.
    """
    ks = min_samples_to_try(search_matrix, config.min_samples, total_rows)
    if config.eps is not None and config.min_samples is not None:
        return ParameterChoice(config.eps, ks[0], "vars")
    grid = candidate_grid(search_matrix, ks, config.eps, config.random_state, eps_floor)
    rank, eps, k = best_candidate(search_matrix, grid, config.limits, config.random_state)
    source = "search" if config.eps is None and config.min_samples is None else "search_partial"
    if rank[0] == 0:
        source += "_fallback"
        logger.warning(
            "no eps/min_samples pair kept noise <= %.0f%%; using the closest one "
            "(eps=%.4f, min_samples=%d)",
            100 * config.limits.max_noise_share,
            eps,
            k,
        )
    return ParameterChoice(eps, k, source, len(grid), rank[1] if rank[0] else None)


def min_samples_to_try(
    search_matrix: np.ndarray, min_samples: int | None, total_rows: int
) -> list[int]:
    """The var scaled to the search rows when set, else the candidates; each at least 2."""
    rows, dimensions = search_matrix.shape
    if min_samples is not None:
        ks = [min(rows - 1, scale_min_samples(min_samples, total_rows, rows))]
    else:
        ks = min_samples_candidates(dimensions, rows)
    return [max(2, k) for k in ks]


def candidate_grid(
    search_matrix: np.ndarray,
    ks: list[int],
    eps: float | None,
    random_state: int,
    eps_floor: float = 0.0,
) -> list[tuple[float, int]]:
    """(eps, min_samples) pairs to run: the eps var, or candidates from each k-distance curve."""
    neighbours = NearestNeighbors(n_neighbors=max(ks)).fit(search_matrix)
    distances, _ = neighbours.kneighbors(search_matrix)
    grid = [
        (value, k)
        for k in ks
        for value in ([eps] if eps is not None else eps_candidates(distances[:, k - 1], eps_floor))
    ]
    return bounded_grid(search_matrix, grid, random_state)


def best_candidate(
    search_matrix: np.ndarray,
    grid: list[tuple[float, int]],
    limits: SegmentLimits,
    random_state: int,
) -> tuple[tuple[int, float], float, int]:
    """DBSCAN on the search rows for each pair of the grid; the best (rank, eps, min_samples)."""
    max_eps = max(eps for eps, _ in grid)
    # Over distinct rows, weighted: a heap of identical customers is one node of the graph.
    rows, index, counts = distinct_rows(search_matrix)
    graph = radius_neighbors_graph(rows, radius=max_eps, mode="distance")
    # Sorted once here, every core-to-core graph cut from it comes out sorted
    # and connected_components skips re-sorting it on each of the runs below.
    graph.sort_indices()
    best: tuple[tuple[int, float], float, int] | None = None
    for eps, k in grid:
        labels = dbscan_from_graph(graph, eps, k, counts)[index]
        quality = evaluate_labels(search_matrix, labels, SEARCH_SILHOUETTE_ROWS, random_state)
        rank = search_score(quality, segment_count(labels, limits.min_share), limits)
        logger.debug("eps=%.4f min_samples=%d -> %s rank=%s", eps, k, quality, rank)
        if best is None or rank > best[0]:
            best = (rank, eps, k)
    assert best is not None
    return best


def mean_neighbourhood_sizes(
    matrix: np.ndarray, radii: list[float], probe_rows: int, random_state: int
) -> dict[float, float]:
    """Mean number of points within each radius, estimated from a fixed probe sample."""
    rng = np.random.default_rng(random_state)
    probe = rng.choice(len(matrix), size=min(probe_rows, len(matrix)), replace=False)
    index = NearestNeighbors().fit(matrix)
    distances = index.radius_neighbors(matrix[np.sort(probe)], radius=max(radii))[0]
    return {r: float(np.mean([np.count_nonzero(d <= r) for d in distances])) for r in radii}


def bounded_grid(
    matrix: np.ndarray, grid: list[tuple[float, int]], random_state: int
) -> list[tuple[float, int]]:
    """Drop eps values whose neighbourhoods hold more than MAX_NEIGHBOURHOOD_SHARE of the rows.

    Such an eps merges most customers into one cluster (useless, and over the
    largest-cluster limit anyway) and would make the shared neighbourhood
    graph quadratic in memory. The smallest eps always stays.
    """
    radii = sorted({eps for eps, _ in grid})
    sizes = mean_neighbourhood_sizes(matrix, radii, PROBE_ROWS, random_state)
    limit = MAX_NEIGHBOURHOOD_SHARE * len(matrix)
    allowed = {r for r in radii if sizes[r] <= limit} or {radii[0]}
    return [(eps, k) for eps, k in grid if eps in allowed]
