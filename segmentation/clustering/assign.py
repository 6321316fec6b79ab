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

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from segmentation.clustering.output import METHOD_CODES
from segmentation.clustering.sampling import FitRows
from segmentation.refine import NOISE, Refinement, absorb_excess_noise

# How far past the radius a nearest-point query looks (relative, and absolute at zero).
BOUND_MARGIN = 1e-9


def nearest_within(
    chunk: np.ndarray, index: cKDTree, radius: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distance and position of each row's nearest indexed point, and whether it is within radius.

    The search is bounded a hair above the radius (scipy's bound is strict,
    and compared squared, where a zero radius would find nothing) so the tree
    prunes every branch further away than a row could join; it finds the
    nearest points an unbounded query would, on every core, and the test
    `<= radius` decides. Rows with none within the bound get an infinite distance.
    """
    bound = radius * (1 + BOUND_MARGIN) + BOUND_MARGIN
    distances, indices = index.query(chunk, k=1, distance_upper_bound=bound, workers=-1)
    return distances, indices, distances <= radius


def assign_chunk(
    chunk: np.ndarray, core_index: cKDTree, core_labels: np.ndarray, eps: float
) -> np.ndarray:
    """Label rows by the cluster of their nearest core point within eps, else noise.

    A pure function of one chunk and the (broadcastable) core points: the unit
    of work that maps over partitions on a distributed engine.
    """
    if len(chunk) == 0:
        return np.empty(0, dtype=np.int64)
    _, indices, within = nearest_within(chunk, core_index, eps)
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


@dataclass(frozen=True)
class Assignment:
    """Every customer's label, core flag and assignment method, and what scoring reuses.

    `anchors` are the positions of the customers excess noise could join
    (`absorb_excess_noise`'s targets), `absorb_radius` the farthest any
    noise customer lay from the one it joined (0 when none did): with the
    core points, all a later build needs to assign a customer as this one
    would have (segmentation.clustering.score).
    """

    labels: np.ndarray
    core: np.ndarray
    methods: np.ndarray | int
    anchors: np.ndarray
    absorb_radius: float


def absorption_radius(matrix: np.ndarray, absorbed: np.ndarray, targets: np.ndarray) -> float:
    """The farthest an absorbed customer lies from its nearest target (0 when none was absorbed).

    Noise is absorbed nearest first (`absorb_excess_noise`), so every noise
    customer within this distance of a target was absorbed and every one
    beyond it was not: the rule, as one number, that scoring applies.
    """
    if absorbed.size == 0 or targets.size == 0:
        return 0.0
    distances, _ = cKDTree(matrix[targets]).query(matrix[absorbed], k=1, workers=-1)
    return float(distances.max())


def assign_everyone(
    matrix: np.ndarray,
    rows: FitRows,
    *,
    fit_matrix: np.ndarray,
    fit_core: np.ndarray,
    dbscan_labels: np.ndarray,
    refined: Refinement,
    eps: float,
    max_noise_share: float,
    chunk_rows: int,
) -> Assignment:
    """Labels, core mask and assignment method codes of every customer.

    Exact: the refined fit as it is; noise joined DBSCAN's clustered
    customers. Sampled: the fitted rows keep theirs and every other customer
    joins its nearest core point within eps; noise joined the sample's
    segmented customers.
    """
    fit_labels = refined.labels
    if not rows.sampled:
        targets = np.flatnonzero(dbscan_labels != NOISE)
        absorbed = np.flatnonzero((dbscan_labels == NOISE) & (fit_labels != NOISE))
        radius = absorption_radius(matrix, absorbed, targets)
        return Assignment(fit_labels, fit_core, METHOD_CODES["exact"], targets, radius)
    near = assign_to_nearest_core(
        matrix, fit_matrix[fit_core], fit_labels[fit_core], eps, chunk_rows
    )
    near[rows.fit] = fit_labels
    # The sample's noise limit holds for everyone: customers beyond eps of every
    # core point join their nearest clustered sample customer as the sample's did.
    targets = rows.fit[fit_labels != NOISE]
    labels = absorb_excess_noise(
        matrix,
        near,
        max_noise_share,
        refined.steps,
        targets=targets,
    )
    absorbed = np.flatnonzero((near == NOISE) & (labels != NOISE))
    core = np.zeros(len(matrix), dtype=bool)
    core[rows.fit] = fit_core
    methods = np.full(len(matrix), METHOD_CODES["nearest_core"], dtype=np.int8)
    methods[rows.fit] = METHOD_CODES["sampled_fit"]
    return Assignment(labels, core, methods, targets, absorption_radius(matrix, absorbed, targets))
