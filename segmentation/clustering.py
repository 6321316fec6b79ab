"""DBSCAN over the customer features: parameter choice, exact and sampled fits.

The Python model `customer_clusters_dbscan` is a thin wrapper over
`cluster_customers`; everything here is a plain function pytest can call.

How it scales: exact DBSCAN keeps every neighbourhood in memory, which grows
with customers times neighbourhood size. Up to `max_exact_rows` customers the
exact algorithm runs. Above it, DBSCAN runs on a deterministic sample and
every other customer joins the cluster of its nearest core point when that
core point is within eps, or becomes noise (the DBSCAN++ idea). Assignment
is a pure function over one chunk of rows, so memory stays flat and the same
function could map over partitions on a distributed engine.

Density is relative to the number of points: a sample holding a fraction p
of the customers has p times fewer neighbours within eps. `min_samples` is
therefore always reported for the whole input and scaled to the rows a step
actually sees (the search sample, the fit sample).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field

import duckdb
import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree
from sklearn.cluster import DBSCAN
from sklearn.decomposition import PCA
from sklearn.metrics import silhouette_score
from sklearn.neighbors import NearestNeighbors, radius_neighbors_graph

from segmentation.feature_source import read_features
from segmentation.features import SelectionRules, parse_feature_list
from segmentation.refine import (
    ORIGIN_NAMES,
    SegmentLimits,
    absorb_excess_noise,
    min_size,
    refine_segments,
)
from segmentation.stability import subset_stability

logger = logging.getLogger(__name__)

NOISE = -1
# The parameter search skips eps values whose average neighbourhood holds more
# than this share of the search rows (estimated on PROBE_ROWS points).
MAX_NEIGHBOURHOOD_SHARE = 0.05
PROBE_ROWS = 500
# Each search candidate's silhouette is estimated on this many clustered points.
SEARCH_SILHOUETTE_ROWS = 2_000
# assignment_method's values, as the codes of its categorical.
METHOD_CODES: dict[str, int] = {"exact": 0, "sampled_fit": 1, "nearest_core": 2, "noise": 3}
OUTPUT_COLUMNS: tuple[str, ...] = (
    "customer_id",
    "cluster_id",
    "is_core_point",
    "assignment_method",
    "projection_x",
    "projection_y",
)


@dataclass(frozen=True)
class ClusteringConfig:
    """Everything a build may set through vars; defaults are the documented ones.

    `features` None means "choose from the data" (segmentation.features).
    """

    features: tuple[str, ...] | None = None
    eps: float | None = None
    min_samples: int | None = None
    max_exact_rows: int = 20_000
    sample_rows: int = 20_000
    search_rows: int = 5_000
    chunk_rows: int = 50_000
    silhouette_rows: int = 3_000
    random_state: int = 42
    limits: SegmentLimits = field(default_factory=SegmentLimits)
    selection: SelectionRules = field(default_factory=SelectionRules)
    stability_resamples: int = 20
    stability_rows: int = 5_000
    stability_fraction: float = 0.8

    @classmethod
    def from_getter(cls, get: Callable[[str], object]) -> ClusteringConfig:
        """Build a config from a `dbt.config.get`-like lookup; unset or "None" means default."""

        def read(group: object, fields: dict[str, tuple[str, Callable]]) -> dict[str, object]:
            values: dict[str, object] = {}
            for attribute, (key, cast) in fields.items():
                parsed = parse_optional_number(get(key), cast)
                values[attribute] = parsed if parsed is not None else getattr(group, attribute)
            return values

        defaults = cls()
        values = read(
            defaults,
            {
                "eps": ("dbscan_eps", float),
                "min_samples": ("dbscan_min_samples", int),
                "max_exact_rows": ("dbscan_max_exact_rows", int),
                "sample_rows": ("dbscan_sample_rows", int),
                "search_rows": ("dbscan_search_rows", int),
                "chunk_rows": ("dbscan_chunk_rows", int),
                "random_state": ("dbscan_random_state", int),
                "stability_resamples": ("segment_stability_resamples", int),
                "stability_rows": ("segment_stability_rows", int),
            },
        )
        limits = read(
            defaults.limits,
            {
                "min_share": ("segment_min_share", float),
                "min_segments": ("segment_min_count", int),
                "max_segments": ("segment_max_count", int),
                "max_largest_share": ("dbscan_max_largest_cluster_share", float),
                "max_noise_share": ("dbscan_max_noise_share", float),
            },
        )
        selection = read(
            defaults.selection,
            {
                "min_coverage": ("feature_min_coverage", float),
                "max_dominant_share": ("feature_max_dominant_share", float),
                "max_rank_correlation": ("feature_max_rank_correlation", float),
                "min_primary_features": ("feature_min_primary", int),
                "flag_zero_share": ("feature_flag_zero_share", float),
            },
        )
        return cls(
            features=parse_feature_list(get("cluster_features")),
            limits=SegmentLimits(**limits),
            selection=SelectionRules(**selection),
            **values,
        )


@dataclass(frozen=True)
class ParameterChoice:
    """The eps and min_samples a build uses and how they were found."""

    eps: float
    search_min_samples: int
    source: str
    candidates_evaluated: int = 0
    search_score: float | None = None


@dataclass(frozen=True)
class ClusterQuality:
    """Figures that say whether a labelling is useful to marketing."""

    clusters: int
    noise_share: float
    largest_cluster_share: float
    silhouette: float | None


@dataclass
class ClusteringResult:
    """One row per customer plus the build's diagnostics."""

    assignments: pd.DataFrame
    diagnostics: dict = field(default_factory=dict)


def parse_optional_number(value: object, cast: Callable[[object], float | int]):
    """Read a var rendered into YAML config: None, "", "None", "null" all mean unset."""
    if value is None:
        return None
    if isinstance(value, str) and value.strip().lower() in {"", "none", "null"}:
        return None
    return cast(value)


def empty_assignments() -> pd.DataFrame:
    """A zero-row frame with the output's exact dtypes, for empty input."""
    return pd.DataFrame(
        {
            "customer_id": pd.Series([], dtype="object"),
            "cluster_id": pd.Series([], dtype="int32"),
            "is_core_point": pd.Series([], dtype="bool"),
            "assignment_method": pd.Categorical.from_codes([], categories=list(METHOD_CODES)),
            "projection_x": pd.Series([], dtype="float32"),
            "projection_y": pd.Series([], dtype="float32"),
        }
    )


def stable_sample(customer_ids: pd.Series, size: int) -> np.ndarray:
    """Positions of a deterministic sample: the `size` customers with the smallest id hash.

    Hashing the id (pandas' hash has a fixed key) rather than drawing random
    positions keeps a customer in or out of the sample however the other rows
    change, so adding a few customers does not reshuffle the whole fit.
    Returned positions are sorted, keeping the customer_id order.
    """
    if size >= len(customer_ids):
        return np.arange(len(customer_ids))
    hashes = id_hashes(customer_ids)
    order = np.lexsort((np.arange(len(hashes)), hashes))
    return np.sort(order[:size])


# Ids hashed this many at a time: pandas turns Arrow strings into one Python
# object each to hash them: 2.4 GB at once for 10M customers, the model's peak.
HASH_CHUNK_ROWS = 1_000_000


def id_hashes(customer_ids: pd.Series, chunk_rows: int = HASH_CHUNK_ROWS) -> np.ndarray:
    """pandas' fixed-key hash of each id as text, computed a chunk at a time.

    Each value's hash depends on that value alone, so the chunks' hashes are
    those of the whole column; only one chunk's Python strings exist at once.
    """
    hashes = np.empty(len(customer_ids), dtype=np.uint64)
    for start in range(0, len(customer_ids), chunk_rows):
        chunk = customer_ids.iloc[start : start + chunk_rows].astype(str)
        hashes[start : start + chunk_rows] = pd.util.hash_pandas_object(chunk, index=False)
    return hashes


def scale_min_samples(min_samples: int, from_rows: int, to_rows: int) -> int:
    """Carry a min_samples between data sets of different size at the same eps (at least 2)."""
    if from_rows <= 0:
        return max(2, min_samples)
    return max(2, round(min_samples * to_rows / from_rows))


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


def eps_candidates(k_distances: np.ndarray) -> list[float]:
    """eps values around the k-distance knee plus upper quantiles of the curve.

    The knee alone often merges everything into one giant cluster, so the
    search also tries quantiles that leave between 1% and 20% of points out of
    the cores, and scaled versions of the knee.
    """
    ordered = np.sort(k_distances)
    knee = knee_value(ordered)
    quantiles = np.quantile(ordered, [0.80, 0.85, 0.90, 0.94, 0.97, 0.99])
    values = {float(v) for v in quantiles} | {knee * f for f in (0.8, 1.0, 1.25)}
    return sorted(round(v, 6) for v in values if v > 0)


def evaluate_labels(
    matrix: np.ndarray, labels: np.ndarray, silhouette_rows: int, random_state: int
) -> ClusterQuality:
    """Cluster count, noise share, largest-cluster share and sampled non-noise silhouette."""
    n = len(labels)
    clustered = labels != NOISE
    clusters = int(np.unique(labels[clustered]).size)
    noise_share = float(1.0 - clustered.mean()) if n else 0.0
    largest = float(np.bincount(labels[clustered]).max() / n) if clusters else 0.0
    silhouette = None
    rows = np.flatnonzero(clustered)
    if len(rows) > silhouette_rows:
        rng = np.random.default_rng(random_state)
        rows = np.sort(rng.choice(rows, size=silhouette_rows, replace=False))
    sampled_clusters = np.unique(labels[rows]).size
    if clusters >= 2 and 2 <= sampled_clusters < len(rows):
        points = matrix[rows].astype(np.float64)
        silhouette = float(silhouette_score(points, labels[rows]))
    return ClusterQuality(clusters, noise_share, largest, silhouette)


def segment_count(labels: np.ndarray, min_share: float) -> int:
    """Clusters holding at least `min_share` of the rows: the ones that would be segments."""
    clustered = labels[labels != NOISE]
    if clustered.size == 0:
        return 0
    return int(np.count_nonzero(np.bincount(clustered) >= min_size(len(labels), min_share)))


def search_score(
    quality: ClusterQuality, segments: int, config: ClusteringConfig
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
    if quality.noise_share > config.limits.max_noise_share:
        return (0, -(quality.noise_share - config.limits.max_noise_share))
    silhouette = quality.silhouette if quality.silhouette is not None else -1.0
    score = silhouette * (1.0 - quality.noise_share)
    limits = config.limits
    in_range = limits.min_segments <= segments <= limits.max_segments
    if in_range and quality.largest_cluster_share <= limits.max_largest_share:
        return (3, score)
    return (2 if in_range else 1, score)


def choose_parameters(
    search_matrix: np.ndarray, config: ClusteringConfig, total_rows: int
) -> ParameterChoice:
    """Pick eps and min_samples (in search-sample terms) unless both are set as vars.

    Start from the k-distance curve of each candidate min_samples, try eps
    values around its knee, run DBSCAN on the search sample for each pair
    (one sparse neighbourhood graph at the largest eps serves every run) and
    keep the best by `search_score`.
    """
    rows, dimensions = search_matrix.shape
    if config.min_samples is not None:
        ks = [min(rows - 1, scale_min_samples(config.min_samples, total_rows, rows))]
    else:
        ks = min_samples_candidates(dimensions, rows)
    ks = [max(2, k) for k in ks]
    if config.eps is not None and config.min_samples is not None:
        return ParameterChoice(config.eps, ks[0], "vars")

    neighbours = NearestNeighbors(n_neighbors=max(ks)).fit(search_matrix)
    distances, _ = neighbours.kneighbors(search_matrix)
    grid = [
        (eps, k)
        for k in ks
        for eps in ([config.eps] if config.eps is not None else eps_candidates(distances[:, k - 1]))
    ]
    grid = bounded_grid(search_matrix, grid, config.random_state)
    max_eps = max(eps for eps, _ in grid)
    graph = radius_neighbors_graph(search_matrix, radius=max_eps, mode="distance")
    # Sorted once here, every core-to-core graph cut from it comes out sorted
    # and connected_components skips re-sorting it on each of the runs below.
    graph.sort_indices()
    best: tuple[tuple[int, float], float, int] | None = None
    for eps, k in grid:
        labels = dbscan_from_graph(graph, eps, k)
        quality = evaluate_labels(
            search_matrix, labels, SEARCH_SILHOUETTE_ROWS, config.random_state
        )
        rank = search_score(quality, segment_count(labels, config.limits.min_share), config)
        logger.debug("eps=%.4f min_samples=%d -> %s rank=%s", eps, k, quality, rank)
        if best is None or rank > best[0]:
            best = (rank, eps, k)
    assert best is not None
    rank, eps, k = best
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


def dbscan_from_graph(graph: sparse.csr_matrix, eps: float, min_samples: int) -> np.ndarray:
    """DBSCAN labels from a precomputed radius graph (self excluded) built at a radius >= eps.

    The search runs DBSCAN for many (eps, min_samples) pairs on one graph;
    sklearn's precomputed path re-sorts every row on each call, which made
    the search a hundred times slower than this: cores are rows with enough
    neighbours within eps, clusters are connected components of the
    core-to-core edges, and a border point joins its nearest core neighbour.
    """
    n = graph.shape[0]
    rows = np.repeat(np.arange(n), np.diff(graph.indptr))
    # One list of positions taken from three arrays: about 3x faster than three
    # boolean masks over the graph's millions of edges, and this runs per candidate.
    within = np.flatnonzero(graph.data <= eps)
    rows, cols, dist = rows.take(within), graph.indices.take(within), graph.data.take(within)
    core = np.bincount(rows, minlength=n) + 1 >= min_samples
    labels = np.full(n, NOISE, dtype=np.int64)
    if not core.any():
        return labels
    core_edges = core[rows] & core[cols]
    core_ids = np.flatnonzero(core)
    position = np.full(n, -1)
    position[core_ids] = np.arange(len(core_ids))
    # Edges come row-sorted from the CSR graph, so a CSR matrix is built directly.
    edge_rows = position[rows[core_edges]]
    indptr = np.concatenate(([0], np.cumsum(np.bincount(edge_rows, minlength=len(core_ids)))))
    adjacency = sparse.csr_matrix(
        (np.ones(len(edge_rows), dtype=np.int8), position[cols[core_edges]], indptr),
        shape=(len(core_ids), len(core_ids)),
    )
    _, components = connected_components(adjacency, directed=False)
    labels[core_ids] = components
    border = ~core[rows] & core[cols]
    b_rows, b_cols, b_dist = rows[border], cols[border], dist[border]
    order = np.lexsort((b_cols, b_dist, b_rows))
    first = np.unique(b_rows[order], return_index=True)[1]
    labels[b_rows[order][first]] = labels[b_cols[order][first]]
    return labels


def fit_dbscan(matrix: np.ndarray, eps: float, min_samples: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact DBSCAN: labels and a core-point mask, for the rows given.

    The radius query is most of the fit; on every core (n_jobs=-1) the 20k-row
    sample fit took 1.0 s instead of 1.4 s, with identical labels, because the
    rows are split into chunks whose neighbourhoods are joined back in order.
    """
    model = DBSCAN(eps=eps, min_samples=min_samples, n_jobs=-1).fit(matrix)
    core = np.zeros(len(matrix), dtype=bool)
    core[model.core_sample_indices_] = True
    return model.labels_.astype(np.int64), core


def assign_chunk(
    chunk: np.ndarray, core_index: cKDTree, core_labels: np.ndarray, eps: float
) -> np.ndarray:
    """Label rows by the cluster of their nearest core point within eps, else noise.

    A pure function of one chunk and the (broadcastable) core points: the unit
    of work that maps over partitions on a distributed engine. The search is
    bounded at eps (a hair above it, because scipy's bound is strict) so the
    tree prunes every branch further away than a row could join: at 1M
    customers this, scipy's tree and both cores made the step about 4x faster
    than an unbounded scikit-learn query, with the same nearest core points.
    """
    if len(chunk) == 0:
        return np.empty(0, dtype=np.int64)
    distances, indices = core_index.query(
        chunk, k=1, distance_upper_bound=np.nextafter(eps, np.inf), workers=-1
    )
    within = distances <= eps
    labels = np.full(len(chunk), NOISE, dtype=np.int64)
    labels[within] = core_labels[indices[within]]
    return labels


def assign_to_nearest_core(
    matrix: np.ndarray,
    core_points: np.ndarray,
    core_labels: np.ndarray,
    eps: float,
    chunk_rows: int,
) -> np.ndarray:
    """Run `assign_chunk` over the matrix chunk by chunk so memory stays flat."""
    labels = np.full(len(matrix), NOISE, dtype=np.int64)
    if len(core_points) == 0:
        return labels
    core_index = cKDTree(core_points)
    for start in range(0, len(matrix), chunk_rows):
        stop = start + chunk_rows
        labels[start:stop] = assign_chunk(matrix[start:stop], core_index, core_labels, eps)
    return labels


def renumbering(labels: np.ndarray) -> dict[int, int]:
    """Old label -> new label: clusters 0, 1, ... by size descending, ties by their first row.

    Rows are sorted by customer_id, so "first row" is the smallest member id:
    the numbering depends only on the data, not on DBSCAN's visiting order.
    Noise keeps -1.
    """
    ids, first_rows, sizes = np.unique(labels, return_index=True, return_counts=True)
    keep = ids != NOISE
    ids, first_rows, sizes = ids[keep], first_rows[keep], sizes[keep]
    order = np.lexsort((first_rows, -sizes))
    mapping = {int(old): new for new, old in enumerate(ids[order])}
    mapping[NOISE] = NOISE
    return mapping


def renumber_clusters(labels: np.ndarray) -> np.ndarray:
    """Labels renumbered by `renumbering`."""
    mapping = renumbering(labels)
    if len(mapping) == 1:
        return labels.copy()
    lookup = np.full(max(mapping) + 2, NOISE, dtype=np.int64)
    for old, new in mapping.items():
        lookup[old] = new
    return lookup[labels]


def project_2d(
    matrix: np.ndarray, fit_rows: np.ndarray, random_state: int, chunk_rows: int
) -> np.ndarray:
    """A deterministic 2-D PCA projection for plots, fitted on the rows DBSCAN saw.

    Projected chunk by chunk into float32 (a plot needs no more), so no
    float64 copy of the whole matrix is made. Fewer than two features leaves
    the missing axes at zero.
    """
    n, dimensions = matrix.shape
    projection = np.zeros((n, 2), dtype=np.float32)
    components = min(2, dimensions, len(fit_rows))
    if components == 0:
        return projection
    pca = PCA(n_components=components, svd_solver="full", random_state=random_state)
    pca.fit(matrix[fit_rows].astype(np.float64))
    for start in range(0, n, chunk_rows):
        chunk = matrix[start : start + chunk_rows].astype(np.float64)
        projection[start : start + chunk_rows, :components] = pca.transform(chunk)
    return projection


def segment_procedure(
    eps: float, min_samples: int, reference_rows: int, config: ClusteringConfig
) -> Callable[[np.ndarray], np.ndarray]:
    """The whole segmentation (DBSCAN, then refinement) as a function of a matrix.

    `min_samples` is meant for `reference_rows` rows and is scaled to the rows
    the function gets, so a subset is clustered at the same density.
    """

    def run(matrix: np.ndarray) -> np.ndarray:
        k = scale_min_samples(min_samples, reference_rows, len(matrix))
        labels, _ = fit_dbscan(matrix, eps, k)
        return refine_segments(
            matrix,
            labels,
            eps=eps,
            min_samples=k,
            limits=config.limits,
            random_state=config.random_state,
        ).labels

    return run


# A noise feature whose spread is at least this many times the population's is "unusual".
UNUSUAL_SPREAD_RATIO = 1.5


def unusual_features(
    matrix: np.ndarray, labels: np.ndarray, features: tuple[str, ...], *, top: int = 2
) -> list[str]:
    """The features on which DBSCAN's noise is most spread out, widest first.

    Noise is scattered in every direction, so its averages often sit near
    everyone's and no descriptor of a mean holds; what sets it apart is how
    far its customers stray. On the standardised matrix the population's
    spread is 1 per feature; a noise spread of at least UNUSUAL_SPREAD_RATIO
    makes the feature "unusual" for the outliers' name.
    """
    noise = labels == NOISE
    if noise.sum() < 2 or matrix.shape[1] == 0:
        return []
    spread = matrix[noise].std(axis=0, dtype=np.float64)
    order = np.argsort(-spread, kind="stable")
    return [features[i] for i in order[:top] if spread[i] >= UNUSUAL_SPREAD_RATIO]


def cluster_origins(labels: np.ndarray, origins: np.ndarray) -> dict[int, str]:
    """Each cluster's origin: the step most of its customers came from (ties: lowest code)."""
    out: dict[int, str] = {}
    for cluster in np.unique(labels[labels != NOISE]):
        counts = np.bincount(origins[labels == cluster], minlength=len(ORIGIN_NAMES))
        out[int(cluster)] = ORIGIN_NAMES[int(np.argmax(counts))]
    return out


def cluster_customers(frame: pd.DataFrame, config: ClusteringConfig) -> ClusteringResult:
    """`cluster_relation` over a frame held in memory, read through DuckDB like the table.

    One path for both, so what pytest checks on small frames is what the
    model runs on customer_features.
    """
    connection = duckdb.connect()
    try:
        return cluster_relation(connection.from_df(frame), config)
    finally:
        connection.close()


def cluster_relation(relation, config: ClusteringConfig) -> ClusteringResult:
    """Segment customers with DBSCAN; one output row per input row, plus diagnostics.

    `relation` is a DuckDB relation over customer_features (what `dbt.ref()`
    returns here); segmentation/feature_source.py reads it in chunks into
    customer ids and a float32 matrix, in customer_id order, which is all
    that grows with the customers past the fitted sample.
    """
    timings: dict[str, float] = {}
    started = time.perf_counter()
    clock = started

    def lap(step: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[step] = round(now - clock, 4)
        clock = now

    data = read_features(
        relation,
        requested=config.features,
        rules=config.selection,
        chunk_rows=config.chunk_rows,
    )
    customer_ids = data.customer_ids
    n = len(customer_ids)
    diagnostics: dict = {
        "features_requested": list(config.features) if config.features else None,
        "customers": n,
    }
    if n == 0:
        logger.warning("customer_features is empty: no customers to cluster")
        diagnostics.update(fit_method="empty", parameter_source="none", features_used=[])
        return ClusteringResult(empty_assignments(), finish(diagnostics, timings, started))

    selection, features = data.selection, data.matrix
    matrix = features.values
    diagnostics.update(
        features_used=list(selection.used),
        features_dropped=selection.dropped,
        feature_transforms=selection.transforms,
        log_transformed=list(features.log_transformed),
        imputed_values=features.imputed_counts,
    )
    lap("features_seconds")

    if matrix.shape[1] == 0 or n < 2:
        reason = "no feature varies across customers" if n >= 2 else "only one customer"
        logger.warning("clustering skipped (%s): every customer is put in cluster 0", reason)
        labels = np.zeros(n, dtype=np.int64)
        projection = np.zeros((n, 2), dtype=np.float32)
        out = build_output(
            customer_ids, labels, np.ones(n, dtype=bool), METHOD_CODES["exact"], projection
        )
        diagnostics.update(fit_method="degenerate", parameter_source="degenerate", note=reason)
        diagnostics.update(quality_fields(evaluate_labels(matrix, labels, 0, 0)))
        return ClusteringResult(out, finish(diagnostics, timings, started))

    sampled = n > config.max_exact_rows
    fit_rows = stable_sample(customer_ids, config.sample_rows if sampled else n)
    search_rows = fit_rows[stable_sample(customer_ids.iloc[fit_rows], config.search_rows)]
    # The sample's steps (search, fit, refinement, stability) run in float64 on
    # a copy of at most sample_rows rows, as they did before the matrix was float32.
    choice = choose_parameters(matrix[search_rows].astype(np.float64), config, n)
    fit_min_samples = scale_min_samples(choice.search_min_samples, len(search_rows), len(fit_rows))
    lap("search_seconds")

    fit_matrix = matrix[fit_rows].astype(np.float64)
    dbscan_labels, fit_core = fit_dbscan(fit_matrix, choice.eps, fit_min_samples)
    dbscan_clusters = int(np.unique(dbscan_labels[dbscan_labels != NOISE]).size)
    lap("fit_seconds")

    refined = refine_segments(
        fit_matrix,
        dbscan_labels,
        eps=choice.eps,
        min_samples=fit_min_samples,
        limits=config.limits,
        random_state=config.random_state,
    )
    fit_labels = refined.labels
    origins = cluster_origins(fit_labels, refined.origins)
    lap("refine_seconds")

    stability_rows = stable_sample(customer_ids.iloc[fit_rows], config.stability_rows)
    stability = subset_stability(
        fit_matrix[stability_rows],
        fit_labels[stability_rows],
        segment_procedure(choice.eps, fit_min_samples, len(fit_rows), config),
        resamples=config.stability_resamples,
        fraction=config.stability_fraction,
        random_state=config.random_state,
    )
    lap("stability_seconds")

    if sampled:
        labels = assign_to_nearest_core(
            matrix, fit_matrix[fit_core], fit_labels[fit_core], choice.eps, config.chunk_rows
        )
        labels[fit_rows] = fit_labels
        # The sample's noise limit holds for everyone: customers beyond eps of every
        # core point join their nearest clustered sample customer as the sample's did.
        labels = absorb_excess_noise(
            matrix,
            labels,
            config.limits.max_noise_share,
            refined.steps,
            targets=fit_rows[fit_labels != NOISE],
        )
        core = np.zeros(n, dtype=bool)
        core[fit_rows] = fit_core
        methods = np.full(n, METHOD_CODES["nearest_core"], dtype=np.int8)
        methods[fit_rows] = METHOD_CODES["sampled_fit"]
    else:
        labels, core, methods = fit_labels, fit_core, METHOD_CODES["exact"]
    lap("assign_seconds")

    mapping = renumbering(labels)
    labels = renumber_clusters(labels)
    projection = project_2d(matrix, fit_rows, config.random_state, config.chunk_rows)
    out = build_output(customer_ids, labels, core, methods, projection)
    lap("projection_seconds")

    quality = evaluate_labels(matrix, labels, config.silhouette_rows, config.random_state)
    lap("quality_seconds")
    unusual = unusual_features(matrix, labels, features.features)
    segments = [
        {
            "cluster_id": mapping[old],
            "origin": "noise" if old == NOISE else origins.get(old, "dbscan"),
            "stability": None if old not in stability else round(stability[old], 4),
            "unusual_features": unusual if old == NOISE else [],
        }
        for old in sorted(mapping, key=mapping.get)
        if old in stability or old in origins or (old == NOISE and bool((labels == NOISE).any()))
    ]
    diagnostics.update(
        eps=choice.eps,
        # A var is reported as given: scaling it to the search sample and back rounds twice.
        min_samples=(
            config.min_samples
            if config.min_samples is not None
            else scale_min_samples(choice.search_min_samples, len(search_rows), n)
        ),
        fit_min_samples=fit_min_samples,
        parameter_source=choice.source,
        candidates_evaluated=choice.candidates_evaluated,
        search_score=choice.search_score,
        search_rows=len(search_rows),
        fit_method="sampled" if sampled else "exact",
        sample_size=len(fit_rows) if sampled else None,
        dbscan_clusters=dbscan_clusters,
        min_segment_share=config.limits.min_share,
        refinement_steps=refined.steps,
        segments=segments,
        stability_resamples=config.stability_resamples,
        stability_rows=len(stability_rows),
        **quality_fields(quality),
    )
    logger.info(
        "DBSCAN %s on %d customers: eps=%.4f min_samples=%d (%s) -> %d DBSCAN clusters, "
        "%d segments after refinement, %.1f%% noise",
        diagnostics["fit_method"],
        n,
        choice.eps,
        diagnostics["min_samples"],
        choice.source,
        dbscan_clusters,
        quality.clusters,
        100 * quality.noise_share,
    )
    return ClusteringResult(out, finish(diagnostics, timings, started))


def build_output(
    customer_ids: pd.Series,
    labels: np.ndarray,
    core: np.ndarray,
    methods: np.ndarray | int,
    projection: np.ndarray,
) -> pd.DataFrame:
    """The per-customer frame in the output's column order and dtypes; noise is "noise".

    The assignment method is a categorical of METHOD_CODES (one byte per
    customer; a text cell each cost 64 bytes, 0.6 GB at 10M customers) and
    the projection stays float32: customer_clusters casts both for BI.
    """
    codes = np.where(labels == NOISE, METHOD_CODES["noise"], methods).astype(np.int8)
    return pd.DataFrame(
        {
            # The column itself, not a copy as Python objects (one per customer).
            "customer_id": customer_ids.reset_index(drop=True),
            "cluster_id": labels.astype("int32"),
            "is_core_point": core.astype(bool),
            "assignment_method": pd.Categorical.from_codes(codes, categories=list(METHOD_CODES)),
            "projection_x": projection[:, 0].astype("float32"),
            "projection_y": projection[:, 1].astype("float32"),
        }
    )


def quality_fields(quality: ClusterQuality) -> dict:
    """The quality figures as a plain dict for the diagnostics."""
    return asdict(quality)


def finish(diagnostics: dict, timings: dict[str, float], started: float) -> dict:
    """Attach the step timings and the total to the diagnostics."""
    timings["total_seconds"] = round(time.perf_counter() - started, 4)
    return {**diagnostics, "step_seconds": timings}


def diagnostics_json(diagnostics: Mapping) -> str:
    """Diagnostics as canonical JSON (sorted keys) so the SQL side can parse them."""
    return json.dumps(diagnostics, sort_keys=True, default=float)
