"""DBSCAN over distinct rows, each weighted by how many customers share it.

On discrete data many customers share one point (the same age, the same
count). DBSCAN over every row would hold, for each of them, a neighbourhood
of everyone at that point, which grows with the square of the heap; over the
distinct rows with their counts as sample weights it finds the same clusters
(a row is a core point when the customers within eps, itself included,
number at least min_samples) with one neighbourhood per distinct point. On
continuous data every row is distinct and this is plain DBSCAN, in the same
row order.
"""

from __future__ import annotations

import numpy as np
from sklearn.cluster import DBSCAN


def distinct_rows(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct rows in order of first appearance, each row's index into them, and counts."""
    _, first, inverse, counts = np.unique(
        matrix, axis=0, return_index=True, return_inverse=True, return_counts=True
    )
    order = np.argsort(first, kind="stable")
    position = np.empty_like(order)
    position[order] = np.arange(len(order))
    return matrix[first[order]], position[inverse.reshape(-1)], counts[order]


def dbscan_labels(
    matrix: np.ndarray, eps: float, min_samples: int
) -> tuple[np.ndarray, np.ndarray]:
    """DBSCAN labels and a core-point mask for every row, computed over the distinct rows.

    The radius query is most of the fit, so it runs on every core (n_jobs=-1).
    """
    if len(matrix) == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=bool)
    rows, index, counts = distinct_rows(matrix)
    model = DBSCAN(eps=eps, min_samples=min_samples, n_jobs=-1).fit(rows, sample_weight=counts)
    core = np.zeros(len(rows), dtype=bool)
    core[model.core_sample_indices_] = True
    return model.labels_.astype(np.int64)[index], core[index]
