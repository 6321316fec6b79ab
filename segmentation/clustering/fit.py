"""DBSCAN itself: the exact fit, labels from a shared neighbourhood graph, and the whole
segmentation (fit, then refinement) as one function of a matrix for the stability measure.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from segmentation.clustering.distinct import dbscan_labels
from segmentation.clustering.sampling import scale_min_samples
from segmentation.refine import NOISE, SegmentLimits, refine_segments


def dbscan_from_graph(
    graph: sparse.csr_matrix, eps: float, min_samples: int, weights: np.ndarray | None = None
) -> np.ndarray:
    """DBSCAN labels from a precomputed radius graph (self excluded) built at a radius >= eps.

    The search runs DBSCAN for many (eps, min_samples) pairs on one graph;
    sklearn's precomputed path re-sorts every row on each call, which would
    be most of the search's time. Here cores are rows with enough
    neighbours within eps, clusters are connected components of the
    core-to-core edges, and a border point joins its nearest core neighbour.
    `weights` counts the customers each row stands for (the graph is then
    over distinct rows, segmentation.clustering.distinct); None is one each.
    """
    n = graph.shape[0]
    weights = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    rows = np.repeat(np.arange(n), np.diff(graph.indptr))
    # One list of positions taken from three arrays rather than three boolean masks
    # over every edge of the graph: this runs once per search candidate.
    within = np.flatnonzero(graph.data <= eps)
    rows, cols, dist = rows.take(within), graph.indices.take(within), graph.data.take(within)
    core = np.bincount(rows, weights=weights[cols], minlength=n) + weights >= min_samples
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

    Run over the distinct rows with their counts as weights
    (segmentation.clustering.distinct), so a heap of identical customers costs
    one neighbourhood, not one per customer.
    """
    return dbscan_labels(matrix, eps, min_samples)


def segment_procedure(
    *,
    eps: float,
    min_samples: int,
    reference_rows: int,
    limits: SegmentLimits,
    random_state: int,
    eps_floor: float = 0.0,
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
            limits=limits,
            random_state=random_state,
            eps_floor=eps_floor,
        ).labels

    return run
