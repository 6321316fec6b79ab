"""What the model returns: one row per customer, and the build's diagnostics as JSON.

Clusters are renumbered by size so reruns give identical ids; the 2-D
projection is for plots; the diagnostics describe each segment's origin,
stability and (for noise) its unusual features, for the naming downstream.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA

from segmentation.refine import NOISE, ORIGIN_NAMES

# assignment_method's values, as the codes of its categorical: a refit's four, then how a
# score build assigned (segmentation.clustering.score).
METHOD_CODES: dict[str, int] = {
    "exact": 0,
    "sampled_fit": 1,
    "nearest_core": 2,
    "noise": 3,
    "scored_core": 4,
    "scored_absorbed": 5,
    "scored_noise": 6,
}
OUTPUT_COLUMNS: tuple[str, ...] = (
    "customer_id",
    "cluster_id",
    "is_core_point",
    "assignment_method",
    "projection_x",
    "projection_y",
)


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


@dataclass(frozen=True)
class Projection:
    """A fitted 2-D PCA projection: the centre and up to two component rows.

    Kept with a stored fit, so a score build draws its customers where the
    refit drew them.
    """

    mean: np.ndarray
    components: np.ndarray


def fit_projection(matrix: np.ndarray, fit_rows: np.ndarray, random_state: int) -> Projection:
    """A deterministic PCA fitted on the rows DBSCAN saw (no component without a feature)."""
    dimensions = matrix.shape[1]
    components = min(2, dimensions, len(fit_rows))
    if components == 0:
        return Projection(np.zeros(dimensions), np.zeros((0, dimensions)))
    pca = PCA(n_components=components, svd_solver="full", random_state=random_state)
    pca.fit(matrix[fit_rows].astype(np.float64))
    return Projection(pca.mean_, pca.components_)


def project(matrix: np.ndarray, projection: Projection, chunk_rows: int) -> np.ndarray:
    """Every row projected, chunk by chunk into float32 (a plot needs no more).

    The arithmetic is scikit-learn's PCA.transform (project, then subtract
    the projected centre), so the same fit gives the same points. No float64
    copy of the whole matrix is made; fewer than two features leaves the
    missing axes at zero.
    """
    n = len(matrix)
    out = np.zeros((n, 2), dtype=np.float32)
    components = len(projection.components)
    if components == 0:
        return out
    centre = projection.mean.reshape(1, -1) @ projection.components.T
    for start in range(0, n, chunk_rows):
        chunk = matrix[start : start + chunk_rows].astype(np.float64)
        projected = chunk @ projection.components.T
        projected -= centre
        out[start : start + chunk_rows, :components] = projected
    return out


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


def segment_diagnostics(
    *,
    mapping: dict[int, int],
    origins: dict[int, str],
    stability: dict[int, float],
    unusual: list[str],
    has_noise: bool,
) -> list[dict]:
    """Each segment by its final id: where it came from, its stability, and for noise its
    unusual features (what int_segments__cluster_diagnostics parses for the naming).

    `mapping` renumbers the fit's labels, in which `origins` and `stability` are keyed.
    """
    return [
        {
            "cluster_id": mapping[old],
            "origin": "noise" if old == NOISE else origins.get(old, "dbscan"),
            "stability": None if old not in stability else round(stability[old], 4),
            "unusual_features": unusual if old == NOISE else [],
        }
        for old in sorted(mapping, key=mapping.get)
        if old in stability or old in origins or (old == NOISE and has_noise)
    ]


def build_output(
    customer_ids: pd.Series,
    labels: np.ndarray,
    core: np.ndarray,
    methods: np.ndarray | int,
    projection: np.ndarray,
    noise_method: str = "noise",
) -> pd.DataFrame:
    """The per-customer frame in the output's column order and dtypes.

    Noise gets `noise_method` whatever `methods` says. The assignment method
    is a categorical of METHOD_CODES (one byte per customer, where a text
    cell would hold one Python string each) and the projection stays
    float32: customer_clusters casts both for BI.
    """
    codes = np.where(labels == NOISE, METHOD_CODES[noise_method], methods).astype(np.int8)
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


def diagnostics_json(diagnostics: Mapping) -> str:
    """Diagnostics as canonical JSON (sorted keys) so the SQL side can parse them."""
    return json.dumps(diagnostics, sort_keys=True, default=float)
