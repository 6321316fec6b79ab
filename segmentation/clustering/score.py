"""Score mode: every customer assigned with a stored fit, without DBSCAN, search, refinement
or stability runs (var clustering_mode: score).

A customer, new or changed, is read on the fit's own scale and joins:

- the cluster of its nearest stored core point within the stored eps
  (`scored_core`), the rule by which a refit brings in customers outside its
  fitted sample (segmentation.clustering.assign);
- else the cluster of its nearest stored anchor within the stored absorption
  radius (`scored_absorbed`): the refit let excess noise join a segment up to
  that distance (segmentation.refine.absorb_excess_noise), nearest first;
- else it is an outlier (`scored_noise`).

Cluster ids are the stored fit's, never renumbered: the same id means the same
segment as in the refit. Each customer's label depends on it and the fit
alone, so a build with more outliers than the fit had shows drift instead of
hiding it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from segmentation.clustering.assign import nearest_within
from segmentation.clustering.config import ClusteringConfig
from segmentation.clustering.output import (
    METHOD_CODES,
    build_output,
    project,
    unusual_features,
)
from segmentation.clustering.quality import evaluate_labels, quality_fields
from segmentation.clustering.run import (
    ClusteringResult,
    StepClock,
    empty_result,
    feature_diagnostics,
)
from segmentation.clustering.stored_fit import NoStoredFit, StoredFit, read_latest_fit
from segmentation.features.source import read_scaled
from segmentation.refine import NOISE

# The columns of clustering_fits a score build reports as its own parameters.
FIT_RECORD_FIELDS: tuple[str, ...] = (
    "min_samples",
    "fit_min_samples",
    "dbscan_clusters",
    "stability_resamples",
)


@dataclass(frozen=True)
class ScoringIndex:
    """A stored fit's core points and anchors, indexed for nearest-point queries."""

    cores: cKDTree
    core_labels: np.ndarray
    anchors: cKDTree
    anchor_labels: np.ndarray
    eps: float
    absorb_radius: float

    @classmethod
    def of(cls, fit: StoredFit) -> ScoringIndex:
        return cls(
            cores=cKDTree(fit.points[fit.is_core].reshape(-1, fit.points.shape[1])),
            core_labels=fit.labels[fit.is_core],
            anchors=cKDTree(fit.points),
            anchor_labels=fit.labels,
            eps=fit.eps,
            absorb_radius=fit.absorb_radius,
        )


def score_chunk(
    chunk: np.ndarray, index: ScoringIndex
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Labels, assignment method codes and "is a stored core point" flags of one chunk.

    A pure function of the chunk and the stored fit, like `assign_chunk`: the
    unit of work that maps over partitions. A customer whose features are
    exactly a stored core point's is that core point again.
    """
    labels = np.full(len(chunk), NOISE, dtype=np.int64)
    methods = np.full(len(chunk), METHOD_CODES["scored_noise"], dtype=np.int8)
    at_core = np.zeros(len(chunk), dtype=bool)
    if len(chunk) == 0 or index.anchors.n == 0:
        return labels, methods, at_core
    if index.cores.n:
        distances, nearest, within = nearest_within(chunk, index.cores, index.eps)
        labels[within] = index.core_labels[nearest[within]]
        methods[within] = METHOD_CODES["scored_core"]
        at_core = distances == 0
    rest = np.flatnonzero(labels == NOISE)
    if rest.size:
        _, nearest, within = nearest_within(chunk[rest], index.anchors, index.absorb_radius)
        labels[rest[within]] = index.anchor_labels[nearest[within]]
        methods[rest[within]] = METHOD_CODES["scored_absorbed"]
    return labels, methods, at_core


def score_matrix(
    matrix: np.ndarray, index: ScoringIndex, chunk_rows: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`score_chunk` over the matrix chunk by chunk, so memory stays flat."""
    labels = np.empty(len(matrix), dtype=np.int64)
    methods = np.empty(len(matrix), dtype=np.int8)
    at_core = np.empty(len(matrix), dtype=bool)
    for start in range(0, len(matrix), chunk_rows):
        stop = start + chunk_rows
        labels[start:stop], methods[start:stop], at_core[start:stop] = score_chunk(
            matrix[start:stop], index
        )
    return labels, methods, at_core


def scored_segments(fit: StoredFit, labels: np.ndarray, unusual: list[str]) -> list[dict]:
    """The fit's segments that hold customers now, with what today's outliers stray on."""
    present = set(np.unique(labels).tolist())
    return [
        {**segment, "unusual_features": unusual if segment["cluster_id"] == NOISE else []}
        for segment in fit.segments
        if segment["cluster_id"] in present
    ]


def score_relation(
    relation, fit: StoredFit, record: dict, config: ClusteringConfig
) -> ClusteringResult:
    """Every customer of customer_features scored with `fit`; one row each, plus diagnostics.

    `record` is the fit's row of clustering_fits: the parameters the refit
    chose, reported again as this build's.
    """
    clock = StepClock()
    data = read_scaled(relation, scales=fit.scales, chunk_rows=config.chunk_rows)
    diagnostics: dict = {
        "clustering_mode": "score",
        "customers": len(data.customer_ids),
        "stored_fit": {"fit_id": record["fit_id"]},
    }
    if len(data.customer_ids) == 0:
        return empty_result(diagnostics, clock)
    diagnostics.update(feature_diagnostics(data), features_dropped={})
    clock.lap("features_seconds")
    matrix = data.matrix.values
    labels, methods, at_core = score_matrix(matrix, ScoringIndex.of(fit), config.chunk_rows)
    clock.lap("assign_seconds")
    projection = project(matrix, fit.projection, config.chunk_rows)
    out = build_output(
        data.customer_ids, labels, at_core, methods, projection, noise_method="scored_noise"
    )
    clock.lap("projection_seconds")
    quality = evaluate_labels(matrix, labels, config.silhouette_rows, config.random_state)
    clock.lap("quality_seconds")
    diagnostics.update(
        {name: record[name] for name in FIT_RECORD_FIELDS},
        eps=fit.eps,
        parameter_source="stored_fit",
        fit_method="scored",
        min_segment_share=config.limits.min_share,
        refinement_steps=[],
        segments=scored_segments(
            fit, labels, unusual_features(matrix, labels, data.matrix.features)
        ),
        **quality_fields(quality),
    )
    return ClusteringResult(out, clock.finish(diagnostics))


def score_latest_fit(relation, *, fits, points, config: ClusteringConfig) -> ClusteringResult:
    """customer_features scored with the latest fit of clustering_fits and its points."""
    stored = read_latest_fit(fits, points)
    if stored is None:
        raise NoStoredFit()
    fit, record = stored
    return score_relation(relation, fit, record, config)
