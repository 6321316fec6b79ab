"""The clustering as its list of steps, each timed into the diagnostics.

`cluster_relation` is what the dbt model runs: read and scale the features,
choose eps and min_samples, fit DBSCAN on the fitted rows, refine its
clusters into segments, measure their stability, bring every other customer
in, then number, project and describe the result. `cluster_customers` runs
the same on a frame, for pytest.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from segmentation.clustering.assign import assign_everyone
from segmentation.clustering.config import ClusteringConfig
from segmentation.clustering.fit import fit_dbscan, segment_procedure
from segmentation.clustering.output import (
    METHOD_CODES,
    build_output,
    cluster_origins,
    diagnostics_json,
    empty_assignments,
    fit_projection,
    project,
    renumber_clusters,
    renumbering,
    segment_diagnostics,
    unusual_features,
)
from segmentation.clustering.quality import evaluate_labels, quality_fields
from segmentation.clustering.sampling import FitRows, fit_rows, scale_min_samples, stable_sample
from segmentation.clustering.search import ParameterChoice, choose_parameters
from segmentation.clustering.stored_fit import StoredFit, point_lists, stored_segments
from segmentation.features.selection import few_features_note
from segmentation.features.source import CustomerFeatures, read_features
from segmentation.refine import NOISE, refine_segments
from segmentation.stability import subset_stability

logger = logging.getLogger(__name__)


@dataclass
class ClusteringResult:
    """One row per customer plus the build's diagnostics; a refit's model and its rows.

    `fit` is what a score build needs (segmentation.clustering.stored_fit),
    `fit_rows` the positions of its points among the assignments; both None
    when nothing was fitted (no customers, or nothing to cluster) or scored.
    """

    assignments: pd.DataFrame
    diagnostics: dict = field(default_factory=dict)
    fit: StoredFit | None = None
    fit_rows: np.ndarray | None = None


class StepClock:
    """Seconds of each step since the one before, and of the whole run at the end."""

    def __init__(self) -> None:
        self.started = self.last = time.perf_counter()
        self.seconds: dict[str, float] = {}

    def lap(self, step: str) -> None:
        """Close `step` now."""
        now = time.perf_counter()
        self.seconds[step] = round(now - self.last, 4)
        self.last = now

    def finish(self, diagnostics: dict) -> dict:
        """The diagnostics with the step timings and the total attached."""
        self.seconds["total_seconds"] = round(time.perf_counter() - self.started, 4)
        return {**diagnostics, "step_seconds": self.seconds}


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
    returns here); segmentation/features/source.py reads it in chunks into
    customer ids and a float32 matrix, in customer_id order, which is all
    that grows with the customers past the fitted sample.
    """
    clock = StepClock()
    data = read_features(
        relation, requested=config.features, rules=config.selection, chunk_rows=config.chunk_rows
    )
    diagnostics: dict = {
        "clustering_mode": "refit",
        "features_requested": list(config.features) if config.features else None,
        "customers": len(data.customer_ids),
    }
    if len(data.customer_ids) == 0:
        return empty_result(diagnostics, clock)
    diagnostics.update(feature_diagnostics(data))
    clock.lap("features_seconds")
    matrix = data.matrix.values
    if matrix.shape[1] == 0 or len(matrix) < 2:
        return degenerate_result(data, diagnostics, clock)

    rows = fit_rows(
        data.customer_ids,
        max_exact_rows=config.max_exact_rows,
        sample_rows=config.sample_rows,
        search_rows=config.search_rows,
    )
    # The sample's steps (search, fit, refinement, stability) run in float64 on
    # a copy of at most sample_rows rows; only the whole matrix stays float32.
    eps_floor = data.matrix.eps_floor
    choice = choose_parameters(
        matrix[rows.search].astype(np.float64), config, len(matrix), eps_floor
    )
    fit_min_samples = scale_min_samples(choice.search_min_samples, len(rows.search), len(rows.fit))
    clock.lap("search_seconds")

    fit_matrix = matrix[rows.fit].astype(np.float64)
    dbscan_labels, fit_core = fit_dbscan(fit_matrix, choice.eps, fit_min_samples)
    clock.lap("fit_seconds")

    refined = refine_segments(
        fit_matrix,
        dbscan_labels,
        eps=choice.eps,
        min_samples=fit_min_samples,
        limits=config.limits,
        random_state=config.random_state,
        eps_floor=eps_floor,
    )
    clock.lap("refine_seconds")

    stability_rows = stable_sample(data.customer_ids.iloc[rows.fit], config.stability_rows)
    stability = measure_stability(
        fit_matrix[stability_rows],
        refined.labels[stability_rows],
        eps=choice.eps,
        min_samples=fit_min_samples,
        reference_rows=len(rows.fit),
        config=config,
        eps_floor=eps_floor,
    )
    clock.lap("stability_seconds")

    assignment = assign_everyone(
        matrix,
        rows,
        fit_core=fit_core,
        fit_matrix=fit_matrix,
        dbscan_labels=dbscan_labels,
        refined=refined,
        eps=choice.eps,
        max_noise_share=config.limits.max_noise_share,
        chunk_rows=config.chunk_rows,
    )
    core = assignment.core
    clock.lap("assign_seconds")

    mapping = renumbering(assignment.labels)
    labels = renumber_clusters(assignment.labels)
    projection = fit_projection(matrix, rows.fit, config.random_state)
    out = build_output(
        data.customer_ids,
        labels,
        core,
        assignment.methods,
        project(matrix, projection, config.chunk_rows),
    )
    clock.lap("projection_seconds")

    quality = evaluate_labels(matrix, labels, config.silhouette_rows, config.random_state)
    clock.lap("quality_seconds")

    diagnostics.update(
        fit_diagnostics(choice, config, rows, fit_min_samples, len(matrix)),
        dbscan_clusters=int(np.unique(dbscan_labels[dbscan_labels != NOISE]).size),
        refinement_steps=refined.steps,
        segments=segment_diagnostics(
            mapping=mapping,
            origins=cluster_origins(refined.labels, refined.origins),
            stability=stability,
            unusual=unusual_features(matrix, labels, data.matrix.features),
            has_noise=bool((labels == NOISE).any()),
        ),
        stability_rows=len(stability_rows),
        **quality_fields(quality),
    )
    log_summary(diagnostics, choice)
    anchors = assignment.anchors
    fit = StoredFit(
        scales=data.scales,
        eps=choice.eps,
        absorb_radius=assignment.absorb_radius,
        points=matrix[anchors],
        labels=labels[anchors],
        is_core=core[anchors],
        projection=projection,
        segments=stored_segments(diagnostics["segments"]),
    )
    diagnostics["stored_fit"] = stored_fit_summary(fit)
    return ClusteringResult(out, clock.finish(diagnostics), fit=fit, fit_rows=anchors)


def stored_fit_summary(fit: StoredFit) -> dict:
    """What clustering_fits stores of a refit's model besides its points.

    The parameters travel as JSON text inside the diagnostics, so the SQL
    side stores them character for character, floats included.
    """
    return {
        "fit_id": fit.fit_id,
        "absorb_radius": fit.absorb_radius,
        "stored_points": len(fit.labels),
        "scoring_parameters": json.dumps(fit.parameters(), sort_keys=True),
    }


def model_frame(result: ClusteringResult, diagnostics: dict) -> pd.DataFrame:
    """What a clustering Python model returns: the assignments, the fit's points, the diagnostics.

    `fit_point` holds a refit's stored points on their customers' rows
    (clustering_fit_points reads them) and is null elsewhere. The
    diagnostics ride along as one JSON text column, repeated on every row as
    a single-category categorical built from codes: a list repeating the
    text would make pandas copy it once per customer first, the build's peak
    memory; a code takes one byte.
    """
    frame = result.assignments
    rows = len(frame)
    points = (
        point_lists(result.fit.points, result.fit_rows, rows)
        if result.fit is not None
        else pa.nulls(rows, type=pa.list_(pa.float32()))
    )
    frame["fit_point"] = pd.Series(pd.arrays.ArrowExtensionArray(points))
    frame["build_diagnostics"] = pd.Categorical.from_codes(
        np.zeros(rows, dtype=np.int8), categories=[diagnostics_json(diagnostics)]
    )
    return frame


def empty_result(diagnostics: dict, clock: StepClock) -> ClusteringResult:
    """No customers: a typed empty frame and a warning."""
    logger.warning("customer_features is empty: no customers to cluster")
    diagnostics.update(fit_method="empty", parameter_source="none", features_used=[])
    return ClusteringResult(empty_assignments(), clock.finish(diagnostics))


def feature_diagnostics(data: CustomerFeatures) -> dict:
    """Which features were used, which left out and why, and how each entered the distance."""
    note = few_features_note(data.selection)
    if note is not None:
        logger.warning("%s", note)
    return {
        "features_used": list(data.selection.used),
        "features_dropped": data.selection.dropped,
        "feature_transforms": data.selection.transforms,
        "feature_note": note,
        "lattice_share": data.selection.lattice_share,
        "eps_floor": round(data.matrix.eps_floor, 6),
        "log_transformed": list(data.matrix.log_transformed),
        "imputed_values": data.matrix.imputed_counts,
    }


def degenerate_result(
    data: CustomerFeatures, diagnostics: dict, clock: StepClock
) -> ClusteringResult:
    """One customer, or no feature that varies: everyone in cluster 0, with a warning."""
    matrix = data.matrix.values
    n = len(matrix)
    reason = "no feature varies across customers" if n >= 2 else "only one customer"
    logger.warning("clustering skipped (%s): every customer is put in cluster 0", reason)
    labels = np.zeros(n, dtype=np.int64)
    projection = np.zeros((n, 2), dtype=np.float32)
    out = build_output(
        data.customer_ids, labels, np.ones(n, dtype=bool), METHOD_CODES["exact"], projection
    )
    diagnostics.update(fit_method="degenerate", parameter_source="degenerate", note=reason)
    diagnostics.update(quality_fields(evaluate_labels(matrix, labels, 0, 0)))
    return ClusteringResult(out, clock.finish(diagnostics))


def measure_stability(
    matrix: np.ndarray,
    labels: np.ndarray,
    *,
    eps: float,
    min_samples: int,
    reference_rows: int,
    config: ClusteringConfig,
    eps_floor: float = 0.0,
) -> dict[int, float]:
    """Each segment's mean Jaccard over subsets reclustered by the whole procedure."""
    procedure = segment_procedure(
        eps=eps,
        min_samples=min_samples,
        reference_rows=reference_rows,
        limits=config.limits,
        random_state=config.random_state,
        eps_floor=eps_floor,
    )
    return subset_stability(
        matrix,
        labels,
        procedure,
        resamples=config.stability_resamples,
        fraction=config.stability_fraction,
        random_state=config.random_state,
    )


def fit_diagnostics(
    choice: ParameterChoice,
    config: ClusteringConfig,
    rows: FitRows,
    fit_min_samples: int,
    customers: int,
) -> dict:
    """How eps and min_samples were chosen and which rows the fit saw."""
    return {
        "eps": choice.eps,
        # A var is reported as given: scaling it to the search sample and back rounds twice.
        "min_samples": (
            config.min_samples
            if config.min_samples is not None
            else scale_min_samples(choice.search_min_samples, len(rows.search), customers)
        ),
        "fit_min_samples": fit_min_samples,
        "parameter_source": choice.source,
        "candidates_evaluated": choice.candidates_evaluated,
        "search_score": choice.search_score,
        "search_rows": len(rows.search),
        "fit_method": "sampled" if rows.sampled else "exact",
        "sample_size": len(rows.fit) if rows.sampled else None,
        "min_segment_share": config.limits.min_share,
        "stability_resamples": config.stability_resamples,
    }


def log_summary(diagnostics: dict, choice: ParameterChoice) -> None:
    """One line in the build's log with what the clustering found."""
    logger.info(
        "DBSCAN %s on %d customers: eps=%.4f min_samples=%d (%s) -> %d DBSCAN clusters, "
        "%d segments after refinement, %.1f%% noise",
        diagnostics["fit_method"],
        diagnostics["customers"],
        choice.eps,
        diagnostics["min_samples"],
        choice.source,
        diagnostics["dbscan_clusters"],
        diagnostics["clusters"],
        100 * diagnostics["noise_share"],
    )
