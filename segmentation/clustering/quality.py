"""Figures that say whether a labelling is useful to marketing, for the search and the build."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from sklearn.metrics import silhouette_score

from segmentation.refine import NOISE


@dataclass(frozen=True)
class ClusterQuality:
    """Figures that say whether a labelling is useful to marketing."""

    clusters: int
    noise_share: float
    largest_cluster_share: float
    silhouette: float | None


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


def quality_fields(quality: ClusterQuality) -> dict:
    """The quality figures as a plain dict for the diagnostics."""
    return asdict(quality)
