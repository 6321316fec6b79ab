"""Scoring with a stored fit: the pure functions on hand-made points, and a refit scored again.

A score build must assign a customer as the refit that stored the fit did:
within eps of a core point, to its cluster; beyond, within the absorption
radius of a stored point, to that point's cluster (the refit let excess noise
join so far); else an outlier. The stored form must give back the very fit
(same id, same points, every scale field), and a refit on the same data the
same id.
"""

from __future__ import annotations

import json
from dataclasses import fields, replace

import duckdb
import numpy as np
import pandas as pd
import pytest
from project_settings import clustering_config
from sklearn.decomposition import PCA
from test_clustering import FEATURES, blobs_with_outliers

from segmentation.clustering.output import METHOD_CODES, Projection, fit_projection, project
from segmentation.clustering.run import cluster_customers
from segmentation.clustering.score import ScoringIndex, score_chunk, score_matrix, score_relation
from segmentation.clustering.stored_fit import (
    StoredFit,
    point_lists,
    read_latest_fit,
)
from segmentation.features.scaling import ColumnScale, scale_records, scales_from_records
from segmentation.features.source import StoredFeaturesMissing
from segmentation.refine import NOISE

CODE = {code: name for name, code in METHOD_CODES.items()}


def hand_made_fit(*, absorb_radius: float) -> StoredFit:
    """Two core points (clusters 0 and 1, eps 1) and one non-core point of cluster 1 at x=10."""
    return StoredFit(
        scales=(ColumnScale("x", 0.0, "linear"), ColumnScale("y", 0.0, "linear")),
        eps=1.0,
        absorb_radius=absorb_radius,
        points=np.array([[0.0, 0.0], [5.0, 0.0], [10.0, 0.0]], dtype=np.float32),
        labels=np.array([0, 1, 1]),
        is_core=np.array([True, True, False]),
        projection=Projection(np.zeros(2), np.eye(2)),
        segments=({"cluster_id": 0, "origin": "dbscan", "stability": 0.9},),
    )


def test_a_customer_joins_the_nearest_core_within_eps_then_a_point_within_the_radius():
    chunk = np.array(
        [
            [0.0, 0.0],  # on core 0
            [0.0, 0.9],  # within eps of core 0
            [4.2, 0.0],  # within eps of core 1
            [2.5, 0.0],  # beyond eps of both cores, 2.5 from a stored point
            [11.5, 0.0],  # beyond eps of every core, 1.5 from the non-core point
            [30.0, 0.0],  # far from everything
        ],
        dtype=np.float32,
    )
    labels, methods, at_core = score_chunk(chunk, ScoringIndex.of(hand_made_fit(absorb_radius=2.0)))
    assert labels.tolist() == [0, 0, 1, NOISE, 1, NOISE]
    assert [CODE[m] for m in methods] == [
        "scored_core",
        "scored_core",
        "scored_core",
        "scored_noise",
        "scored_absorbed",
        "scored_noise",
    ]
    assert at_core.tolist() == [True, False, False, False, False, False]


def test_without_absorption_only_the_stored_points_themselves_join_beyond_eps():
    chunk = np.array([[10.0, 0.0], [10.5, 0.0]], dtype=np.float32)
    labels, methods, _ = score_chunk(chunk, ScoringIndex.of(hand_made_fit(absorb_radius=0.0)))
    assert labels.tolist() == [1, NOISE]
    assert [CODE[m] for m in methods] == ["scored_absorbed", "scored_noise"]


def test_scoring_in_chunks_equals_scoring_at_once():
    rng = np.random.default_rng(3)
    matrix = rng.uniform(-2, 12, size=(257, 2)).astype(np.float32)
    index = ScoringIndex.of(hand_made_fit(absorb_radius=1.5))
    whole = score_chunk(matrix, index)
    for got, expected in zip(score_matrix(matrix, index, chunk_rows=10), whole, strict=True):
        np.testing.assert_array_equal(got, expected)


def test_every_scale_field_is_stored_and_restored():
    scales = (ColumnScale("recency_days", 696.0, "linear", 101.5, 171.4),)
    records = scale_records(scales)
    assert set(records[0]) == {field.name for field in fields(ColumnScale)}
    assert scales_from_records(json.loads(json.dumps(records))) == scales


@pytest.fixture(scope="module")
def blobs():
    return blobs_with_outliers(2000)


def with_noise_limit(config, share: float):
    return replace(config, limits=replace(config.limits, max_noise_share=share))


@pytest.fixture(scope="module", params=["exact", "sampled"])
def absorbing_refit(request, blobs):
    """A refit whose noise limit (1%, under the 3% outliers) makes it absorb noise."""
    frame, _ = blobs
    config = with_noise_limit(clustering_config(features=FEATURES, eps=1.0, min_samples=8), 0.01)
    if request.param == "sampled":
        config = replace(config, max_exact_rows=800, sample_rows=800)
    result = cluster_customers(frame, config)
    assert result.diagnostics["fit_method"] == request.param
    assert any(step["step"] == "absorb_noise" for step in result.diagnostics["refinement_steps"])
    return frame, config, result


def scored(frame: pd.DataFrame, fit: StoredFit, config):
    record = dict.fromkeys(
        ("min_samples", "fit_min_samples", "dbscan_clusters", "stability_resamples"), 0
    )
    with duckdb.connect() as con:
        return score_relation(con.from_df(frame), fit, {**record, "fit_id": fit.fit_id}, config)


def test_scoring_the_refits_own_customers_gives_its_segments_and_points(absorbing_refit):
    frame, config, refit = absorbing_refit
    again = scored(frame, refit.fit, config).assignments
    pd.testing.assert_series_equal(again.customer_id, refit.assignments.customer_id)
    np.testing.assert_array_equal(again.cluster_id, refit.assignments.cluster_id)
    np.testing.assert_array_equal(again.projection_x, refit.assignments.projection_x)
    absorbed = (again.assignment_method == "scored_absorbed").sum()
    assert absorbed > 0 and refit.fit.absorb_radius > 0


def test_the_absorption_radius_is_what_keeps_absorbed_customers_in_their_segments(
    absorbing_refit,
):
    frame, config, refit = absorbing_refit
    without = replace(refit.fit, absorb_radius=0.0)
    again = scored(frame, without, config).assignments
    lost = (again.cluster_id.to_numpy() == NOISE) & (refit.assignments.cluster_id != NOISE)
    assert lost.sum() > 0


def test_the_stored_form_gives_back_the_same_fit(absorbing_refit, tmp_path):
    _, _, refit = absorbing_refit
    fit = refit.fit
    summary = refit.diagnostics["stored_fit"]
    assert summary["fit_id"] == fit.fit_id and summary["stored_points"] == len(fit.labels)
    with duckdb.connect(str(tmp_path / "fits.duckdb")) as con:
        con.execute(
            "create table fits as select 1 as refit_number, ? as fit_id, ? as scoring_parameters",
            [fit.fit_id, summary["scoring_parameters"]],
        )
        con.execute(
            "create table points as select unnest(range(?)) + 1 as point_number, ? as fit_id,"
            " unnest(?) as cluster_id, unnest(?) as is_core_point,"
            " unnest(cast(? as float[][])) as coordinates",
            [
                len(fit.labels),
                fit.fit_id,
                fit.labels.tolist(),
                fit.is_core.tolist(),
                fit.points.tolist(),
            ],
        )
        restored, record = read_latest_fit(con.table("fits"), con.table("points"))
    assert record["fit_id"] == fit.fit_id
    assert restored.fit_id == fit.fit_id
    np.testing.assert_array_equal(restored.points, fit.points)
    assert restored.scales == fit.scales


def test_a_fit_id_ignores_the_last_bits_of_a_mean_but_not_a_moved_point():
    fit = hand_made_fit(absorb_radius=1.0)
    fit = replace(
        fit, scales=(ColumnScale("x", 7.0, "log", 2.1105879759560757, 0.73), fit.scales[1])
    )
    nudged = replace(fit.scales[0], mean=np.nextafter(fit.scales[0].mean, 3.0))
    assert replace(fit, scales=(nudged, fit.scales[1])).fit_id == fit.fit_id
    moved = fit.points.copy()
    moved[2, 0] += 0.5
    assert replace(fit, points=moved).fit_id != fit.fit_id
    assert replace(fit, labels=np.array([0, 1, 0])).fit_id != fit.fit_id


def test_no_stored_fit_reads_as_none():
    with duckdb.connect() as con:
        con.execute("create table fits (refit_number integer, fit_id varchar)")
        assert read_latest_fit(con.table("fits"), con.table("fits")) is None


def test_points_ride_on_their_customers_rows_and_others_are_null():
    points = np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32)
    column = point_lists(points, np.array([1, 3]), total=5)
    assert column.to_pylist() == [None, [1.0, 2.0], None, [3.0, 4.0], None]


def test_a_stored_feature_customer_features_lost_is_named_with_the_var():
    frame = pd.DataFrame({"customer_id": ["a", "b"], "x": [1.0, 2.0]})
    with pytest.raises(StoredFeaturesMissing, match=r"no column y, .*clustering_mode: refit"):
        scored(frame, hand_made_fit(absorb_radius=0.0), clustering_config())


def test_projection_is_pca_transform_bit_for_bit(blobs):
    frame, _ = blobs
    matrix = frame[list(FEATURES)].to_numpy(dtype=np.float32)
    rows = np.arange(0, len(matrix), 3)
    fitted = fit_projection(matrix, rows, random_state=0)
    pca = PCA(n_components=2, svd_solver="full", random_state=0)
    expected = pca.fit(matrix[rows].astype(np.float64)).transform(matrix.astype(np.float64))
    np.testing.assert_array_equal(
        project(matrix, fitted, chunk_rows=128), expected.astype(np.float32)
    )


def test_customers_are_read_on_the_fits_scale_not_todays(absorbing_refit):
    """New customers far from everyone move today's mean and spread; the customers the
    refit saw must still land where it put them, and the newcomers are outliers."""
    frame, config, refit = absorbing_refit
    newcomers = pd.DataFrame(
        {name: np.full(300, 60.0) for name in FEATURES}
        | {"customer_id": [f"new{i:04d}" for i in range(300)]}
    )
    today = scored(pd.concat([frame, newcomers], ignore_index=True), refit.fit, config)
    labels = today.assignments.set_index("customer_id").cluster_id
    known = refit.assignments.set_index("customer_id").cluster_id
    pd.testing.assert_series_equal(labels.loc[known.index], known)
    assert (labels.loc[newcomers.customer_id] == NOISE).all()
    assert today.diagnostics["noise_share"] > refit.diagnostics["noise_share"]
