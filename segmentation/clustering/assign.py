"""Every customer outside the fitted sample joins the cluster of its nearest core point.

Exact DBSCAN keeps every neighbourhood in memory, which grows with customers
times neighbourhood size, so above `max_exact_rows` customers DBSCAN runs on
a deterministic sample and every other customer joins the cluster of its
nearest core point when that core point is within eps, or becomes noise (the
DBSCAN++ idea). Assignment is a pure function over one chunk of rows, so
memory stays flat and the same function could map over partitions on a
distributed engine.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from segmentation.clustering.output import METHOD_CODES
from segmentation.clustering.sampling import FitRows
from segmentation.refine import NOISE, Refinement, absorb_excess_noise


def assign_chunk(
    chunk: np.ndarray, core_index: cKDTree, core_labels: np.ndarray, eps: float
) -> np.ndarray:
    """Label rows by the cluster of their nearest core point within eps, else noise.

    A pure function of one chunk and the (broadcastable) core points: the unit
    of work that maps over partitions on a distributed engine. The search is
    bounded at eps (a hair above it, because scipy's bound is strict) so the
    tree prunes every branch further away than a row could join; it finds the
    nearest core points an unbounded query would, on every core.
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


def assign_everyone(
    matrix: np.ndarray,
    rows: FitRows,
    *,
    fit_matrix: np.ndarray,
    fit_core: np.ndarray,
    refined: Refinement,
    eps: float,
    max_noise_share: float,
    chunk_rows: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | int]:
    """Labels, core mask and assignment method codes of every customer.

    Exact: the refined fit as it is. Sampled: the fitted rows keep theirs and
    every other customer joins its nearest core point within eps.
    """
    if not rows.sampled:
        return refined.labels, fit_core, METHOD_CODES["exact"]
    fit_labels = refined.labels
    labels = assign_to_nearest_core(
        matrix, fit_matrix[fit_core], fit_labels[fit_core], eps, chunk_rows
    )
    labels[rows.fit] = fit_labels
    # The sample's noise limit holds for everyone: customers beyond eps of every
    # core point join their nearest clustered sample customer as the sample's did.
    labels = absorb_excess_noise(
        matrix,
        labels,
        max_noise_share,
        refined.steps,
        targets=rows.fit[fit_labels != NOISE],
    )
    core = np.zeros(len(matrix), dtype=bool)
    core[rows.fit] = fit_core
    methods = np.full(len(matrix), METHOD_CODES["nearest_core"], dtype=np.int8)
    methods[rows.fit] = METHOD_CODES["sampled_fit"]
    return labels, core, methods
