"""The clustering functions on synthetic data: blobs with scattered outliers, no dbt."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys

import duckdb
import numpy as np
import pandas as pd
import pytest
from dbt_project_runner import PROJECT_DIR
from project_settings import clustering_config, project_vars
from scipy.spatial import cKDTree
from sklearn.cluster import DBSCAN
from sklearn.datasets import make_blobs
from sklearn.decomposition import PCA
from sklearn.metrics import adjusted_rand_score
from sklearn.neighbors import radius_neighbors_graph

from segmentation.clustering.assign import assign_chunk, assign_to_nearest_core
from segmentation.clustering.config import ClusteringConfig
from segmentation.clustering.fit import dbscan_from_graph, fit_dbscan, segment_procedure
from segmentation.clustering.output import (
    OUTPUT_COLUMNS,
    build_output,
    cluster_origins,
    diagnostics_json,
    empty_assignments,
    fit_projection,
    project,
    renumber_clusters,
    segment_diagnostics,
    unusual_features,
)
from segmentation.clustering.run import cluster_customers, cluster_relation
from segmentation.clustering.sampling import fit_rows, id_hashes, scale_min_samples, stable_sample
from segmentation.clustering.search import knee_value
from segmentation.features.scaling import Moments, build_matrix
from segmentation.features.selection import (
    FeatureConfigError,
    evenly_spaced,
    parse_feature_list,
    select_features,
)
from segmentation.features.source import evenly_spaced_rows, query, read_features
from segmentation.refine import (
    NOISE,
    ORIGIN_BISECTION,
    ORIGIN_DBSCAN,
    ORIGIN_DBSCAN_SPLIT,
    refine_segments,
)

FEATURES = ("f0", "f1", "f2", "f3")


def blobs_with_outliers(n: int, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    """Five well-separated blobs plus 3% uniform outliers, rows in shuffled order."""
    rng = np.random.default_rng(seed)
    n_blob = int(n * 0.97)
    # Fixed centres at least 8 apart: random ones can touch, and then exact DBSCAN
    # rightly bridges them on large inputs, which is not what these tests are about.
    centres = 6.0 * np.vstack([np.eye(len(FEATURES)), -np.eye(len(FEATURES))[:1]])
    points, labels = make_blobs(
        n_samples=n_blob, centers=centres, cluster_std=0.6, random_state=seed
    )
    outliers = rng.uniform(-14, 14, size=(n - n_blob, len(FEATURES)))
    frame = pd.DataFrame(np.vstack([points, outliers]), columns=list(FEATURES))
    frame["customer_id"] = [f"c{i:06d}" for i in range(n)]
    truth = pd.Series(np.concatenate([labels, np.full(n - n_blob, -1)]), index=frame.customer_id)
    return frame.sample(frac=1.0, random_state=seed).reset_index(drop=True), truth


def ari_against(truth: pd.Series, assignments: pd.DataFrame) -> float:
    return adjusted_rand_score(
        truth.loc[assignments.customer_id].to_numpy(), assignments.cluster_id
    )


@pytest.fixture(scope="module")
def blobs() -> tuple[pd.DataFrame, pd.Series]:
    return blobs_with_outliers(3000)


@pytest.fixture(scope="module")
def auto_result(blobs):
    frame, _ = blobs
    return cluster_customers(frame, clustering_config(features=FEATURES))


def test_automatic_parameters_recover_blobs_and_outliers(blobs, auto_result):
    _, truth = blobs
    assert ari_against(truth, auto_result.assignments) >= 0.95
    diagnostics = auto_result.diagnostics
    assert diagnostics["parameter_source"] == "search"
    assert diagnostics["clusters"] == 5
    assert diagnostics["largest_cluster_share"] <= 0.60
    assert diagnostics["fit_method"] == "exact"


def test_output_is_sorted_typed_and_one_row_per_customer(blobs, auto_result):
    frame, _ = blobs
    out = auto_result.assignments
    assert tuple(out.columns) == OUTPUT_COLUMNS
    assert out.customer_id.is_unique and len(out) == len(frame)
    assert out.customer_id.is_monotonic_increasing
    assert set(out.assignment_method) <= {"exact", "noise"}
    assert ((out.cluster_id == NOISE) == (out.assignment_method == "noise")).all()
    assert str(out.cluster_id.dtype) == "int32"


def test_same_input_in_any_row_order_gives_identical_assignments(blobs, auto_result):
    frame, _ = blobs
    reordered = frame.sample(frac=1.0, random_state=99)
    again = cluster_customers(reordered, clustering_config(features=FEATURES))
    pd.testing.assert_frame_equal(again.assignments, auto_result.assignments)


def test_a_single_cluster_is_numbered_zero():
    assert renumber_clusters(np.array([5, NOISE, 5])).tolist() == [0, NOISE, 0]
    assert renumber_clusters(np.array([NOISE, NOISE])).tolist() == [NOISE, NOISE]


def test_the_output_names_each_customers_method_and_projection():
    out = build_output(
        pd.Series(["a", "b", "c"], dtype="str"),
        np.array([0, NOISE, 1]),
        np.array([True, False, False]),
        np.array([0, 1, 2], dtype=np.int8),
        np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], dtype=np.float32),
    )
    assert out.to_dict("list") == {
        "customer_id": ["a", "b", "c"],
        "cluster_id": [0, NOISE, 1],
        "is_core_point": [True, False, False],
        "assignment_method": ["exact", "noise", "nearest_core"],
        "projection_x": [1.0, 3.0, 5.0],
        "projection_y": [2.0, 4.0, 6.0],
    }


def test_clusters_numbered_by_size_then_smallest_member():
    labels = np.array([7, 3, 3, NOISE, 7, 5, 5, 9])
    # 3 and 7 and 5 have two members each: the one seen first (smallest row) comes first.
    assert renumber_clusters(labels).tolist() == [0, 1, 1, NOISE, 0, 2, 2, 3]


# Python salts hash() of text per process (PYTHONHASHSEED): anything that orders clusters
# by it numbers them differently from run to run. Each seed's verdict is fixed.
HASH_SEEDS = ("0", "1")
_NUMBERING_UNDER_A_HASH_SEED = """
import json, sys
import numpy as np
import pandas as pd
sys.path.insert(0, "tests/python")
from project_settings import clustering_config
from segmentation.clustering.output import renumber_clusters
from segmentation.clustering.run import cluster_customers
case = json.loads(sys.argv[1])
frame = pd.DataFrame(case["frame"])
config = clustering_config(
    features=("f0", "f1"), eps=1.0, min_samples=4, stability_resamples=2
)
print(json.dumps({
    "renumbered": renumber_clusters(np.array(case["labels"])).tolist(),
    "clusters": cluster_customers(frame, config).assignments.cluster_id.tolist(),
}))
"""


def _tied_labels() -> tuple[list[int], list[int]]:
    """Twelve clusters of three customers, one of four, and noise; and their numbering.

    The tied clusters are first seen in the reverse order of their labels, so
    neither the labels' order nor any hash order passes for first-row order.
    """
    tied = list(range(11, -1, -1))
    labels = tied * 3 + [NOISE, 12, 12, 12, 12]
    expected_of = {12: 0, NOISE: NOISE} | {label: 1 + rank for rank, label in enumerate(tied)}
    return labels, [expected_of[label] for label in labels]


def _tied_blobs() -> tuple[dict, list[int]]:
    """Four dense blobs of 30 customers each, far apart: four tied segments.

    Customer ids put the blob at (0, 6) first, then (6, 0), (0, -6), (-6, 0);
    rows are listed in another order so the input order cannot decide either.
    """
    rng = np.random.default_rng(2)
    centres = [(0.0, 6.0), (6.0, 0.0), (0.0, -6.0), (-6.0, 0.0)]
    rows = []
    for blob, (x, y) in enumerate(centres):
        for i in range(30):
            dx, dy = rng.normal(scale=0.2, size=2)
            rows.append((f"c{blob}{i:03d}", x + dx, y + dy, blob))
    rows = rows[::-1]
    frame = {
        "customer_id": [r[0] for r in rows],
        "f0": [r[1] for r in rows],
        "f1": [r[2] for r in rows],
    }
    by_id = sorted(rows)
    return frame, [blob for *_, blob in by_id]


@pytest.mark.parametrize("seed", HASH_SEEDS)
def test_cluster_numbering_does_not_depend_on_the_hash_seed(seed: str) -> None:
    """Tied clusters are numbered by their first row under every hash seed, end to end too."""
    labels, expected = _tied_labels()
    frame, blobs = _tied_blobs()
    case = json.dumps({"labels": labels, "frame": frame})
    env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(PROJECT_DIR)}
    done = subprocess.run(
        [sys.executable, "-c", _NUMBERING_UNDER_A_HASH_SEED, case],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout)
    assert result["renumbered"] == expected
    # Output rows are in customer_id order: blob k of the ids is cluster k.
    assert result["clusters"] == blobs


def test_sampled_path_agrees_with_exact_dbscan():
    frame, truth = blobs_with_outliers(8000, seed=1)
    config = clustering_config(features=FEATURES, max_exact_rows=2500, sample_rows=2500)
    sampled = cluster_customers(frame, config)
    diagnostics = sampled.diagnostics
    assert diagnostics["fit_method"] == "sampled"
    assert diagnostics["sample_size"] == 2500
    methods = sampled.assignments.assignment_method.value_counts()
    assert methods["sampled_fit"] > 0 and methods["nearest_core"] > 0

    matrix = build_matrix(frame.sort_values("customer_id"), FEATURES).values
    exact_labels, _ = fit_dbscan(matrix, diagnostics["eps"], diagnostics["min_samples"])
    assert adjusted_rand_score(exact_labels, sampled.assignments.cluster_id) >= 0.95
    assert ari_against(truth, sampled.assignments) >= 0.95


def test_graph_dbscan_matches_sklearn():
    points, _ = make_blobs(n_samples=1500, centers=4, random_state=3)
    points = np.vstack([points, np.random.default_rng(0).uniform(-12, 12, (60, 2)), points[:3]])
    graph = radius_neighbors_graph(points, radius=1.0, mode="distance")
    for eps, min_samples in [(0.3, 5), (0.6, 12)]:
        ours = dbscan_from_graph(graph, eps, min_samples)
        theirs = DBSCAN(eps=eps, min_samples=min_samples).fit_predict(points)
        assert ((ours == NOISE) == (theirs == NOISE)).all()
        assert adjusted_rand_score(ours, theirs) >= 0.99


def test_assignment_joins_nearest_core_within_eps_else_noise():
    cores = np.array([[0.0, 0.0], [10.0, 0.0]])
    rows = np.array([[0.4, 0.0], [9.5, 0.0], [5.0, 0.0], [0.0, 3.0]])
    labels = assign_to_nearest_core(rows, cores, np.array([0, 1]), eps=1.0, chunk_rows=3)
    assert labels.tolist() == [0, 1, NOISE, NOISE]
    assert labels.dtype == np.int64


def test_a_single_core_point_takes_the_rows_within_eps():
    rows = np.array([[0.5, 0.0], [3.0, 0.0]])
    labels = assign_to_nearest_core(rows, np.zeros((1, 2)), np.array([4]), eps=1.0, chunk_rows=8)
    assert labels.tolist() == [4, NOISE]


def test_an_empty_partition_assigns_nobody():
    # assign_chunk is the unit a distributed engine maps over partitions, and one may be empty.
    labels = assign_chunk(np.empty((0, 2)), cKDTree(np.zeros((1, 2))), np.array([0]), eps=1.0)
    assert labels.shape == (0,) and labels.dtype == np.int64


def test_assignment_at_exactly_eps_joins_and_nearest_core_wins():
    # DBSCAN's neighbourhood includes distance == eps; a strict search bound would drop it.
    cores = np.array([[0.0, 0.0], [3.0, 0.0]])
    rows = np.array([[-1.0, 0.0], [1.75, 0.0], [4.0, 0.0], [-1.5, 0.0]])
    labels = assign_to_nearest_core(rows, cores, np.array([4, 7]), eps=1.25, chunk_rows=2)
    assert labels.tolist() == [4, 7, 7, NOISE]
    exact = assign_to_nearest_core(rows, cores, np.array([4, 7]), eps=1.0, chunk_rows=10)
    assert exact.tolist() == [4, NOISE, 7, NOISE]


def test_ids_hashed_in_chunks_hash_as_the_whole_column():
    ids = pd.Series([f"c{i:05d}" for i in range(1000)])
    whole = pd.util.hash_pandas_object(ids, index=False).to_numpy()
    hashes = id_hashes(ids, chunk_rows=7)
    assert hashes.dtype == np.uint64, "every bit of the hash orders the sample"
    np.testing.assert_array_equal(hashes, whole)


def test_stable_sample_keeps_members_when_customers_are_added():
    ids = pd.Series([f"c{i:05d}" for i in range(5000)])
    first = set(ids.iloc[stable_sample(ids, 500)])
    grown = pd.concat([ids, pd.Series([f"new{i}" for i in range(50)])], ignore_index=True)
    second = set(grown.iloc[stable_sample(grown, 500)])
    assert len(first & second) >= 450
    assert (np.diff(stable_sample(ids, 500)) > 0).all()


def test_graph_dbscan_counts_a_neighbour_at_exactly_eps_and_gives_borders_their_core():
    # On a line, one apart: a point with two neighbours at exactly eps is a core point;
    # the ends, with one, are borders that join their core; a point further off is noise.
    points = np.array([[0.0], [1.0], [2.0], [3.0], [4.0], [10.0], [11.0], [12.0], [30.0]])
    graph = radius_neighbors_graph(points, radius=1.5, mode="distance")
    labels = dbscan_from_graph(graph, 1.0, 3)
    assert labels.tolist() == [0, 0, 0, 0, 0, 1, 1, 1, NOISE]
    assert labels.tolist() == DBSCAN(eps=1.0, min_samples=3).fit_predict(points).tolist()


def test_exact_fit_gives_dbscans_labels_and_core_points():
    points, _ = make_blobs(n_samples=300, centers=3, cluster_std=0.5, random_state=4)
    points = np.vstack([points, [[30.0, 30.0]]])
    labels, core = fit_dbscan(points, 0.6, 8)
    model = DBSCAN(eps=0.6, min_samples=8).fit(points)
    assert labels.dtype == np.int64 and labels.tolist() == model.labels_.tolist()
    assert np.flatnonzero(core).tolist() == model.core_sample_indices_.tolist()
    assert labels[-1] == NOISE and not core[-1]


def test_the_segment_procedure_clusters_a_subset_at_the_density_of_the_whole():
    """Stability reclusters subsets: min_samples, meant for the reference rows, is scaled."""
    points, _ = make_blobs(n_samples=400, centers=3, cluster_std=0.6, random_state=5)
    limits = clustering_config().limits
    procedure = segment_procedure(
        eps=0.5, min_samples=40, reference_rows=4000, limits=limits, random_state=3
    )
    density, _ = fit_dbscan(points, 0.5, scale_min_samples(40, 4000, len(points)))
    expected = refine_segments(
        points, density, eps=0.5, min_samples=4, limits=limits, random_state=3
    ).labels
    assert procedure(points).tolist() == expected.tolist()


@pytest.mark.parametrize(("customers", "sampled"), [(40, False), (41, True)])
def test_fit_rows_are_everyone_up_to_the_exact_limit_then_a_stable_sample(customers, sampled):
    ids = pd.Series([f"c{i:03d}" for i in range(customers)])
    rows = fit_rows(ids, max_exact_rows=40, sample_rows=25, search_rows=10)
    assert rows.sampled is sampled
    assert rows.fit.tolist() == (
        stable_sample(ids, 25).tolist() if sampled else list(range(customers))
    )
    assert len(rows.search) == 10 and set(rows.search) <= set(rows.fit)
    assert rows.search.tolist() == rows.fit[stable_sample(ids.iloc[rows.fit], 10)].tolist()


def test_min_samples_from_no_rows_is_kept_and_never_below_two():
    assert scale_min_samples(5, 0, 100) == 5
    assert scale_min_samples(1, 0, 100) == 2
    assert scale_min_samples(3, 1, 2) == 6


def test_min_samples_scales_with_rows():
    assert scale_min_samples(10, 10_000, 50_000) == 50
    assert scale_min_samples(10, 50_000, 1_000) == 2


def test_knee_of_flat_then_steep_curve():
    curve = np.concatenate([np.linspace(1.0, 1.2, 95), np.linspace(2.0, 10.0, 5)])
    assert 1.1 <= knee_value(curve) <= 2.0


def test_all_null_and_constant_features_are_left_out_with_a_warning(caplog):
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0], "empty": [None, None, None], "same": [4, 4, None]})
    with caplog.at_level(logging.WARNING):
        selection = select_features(frame, ("a", "empty", "same"), clustering_config().selection)
    assert selection.used == ("a",)
    assert selection.dropped == {"empty": "entirely null", "same": "constant"}
    assert "empty left out: entirely null" in caplog.text


def test_a_feature_var_naming_an_unknown_column_fails_listing_the_columns():
    frame = pd.DataFrame({"customer_id": ["c1"], "a": [1.0], "b": [2.0]})
    with pytest.raises(FeatureConfigError, match=r"names missing, .* columns are: a, b"):
        select_features(frame, ("a", "missing"), clustering_config().selection)


def test_imputation_and_log_transform():
    frame = pd.DataFrame(
        {
            "recency_days": [10.0, 400.0, None],
            "credit_utilisation": [0.1, None, 0.5],
            "frequency": [1, 10, 100],
        }
    )
    matrix = build_matrix(frame, ("recency_days", "credit_utilisation", "frequency"))
    assert matrix.imputed_counts == {"recency_days": 1, "credit_utilisation": 1}
    assert matrix.log_transformed == ("frequency",)
    recency, utilisation, frequency = matrix.values.T
    assert recency[2] == recency[1]  # never bought: as stale as the stalest
    assert utilisation[1] == pytest.approx(0.0)  # the median sits at the scaled centre
    # log1p makes the 1 -> 10 -> 100 steps roughly even.
    assert frequency[1] - frequency[0] == pytest.approx(frequency[2] - frequency[1], rel=0.25)


def _scaled_spreads(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return values.mean(axis=0, dtype=np.float64), values.std(axis=0, dtype=np.float64)


def test_every_feature_enters_the_distance_centred_with_unit_spread():
    """Each feature weighs the same in DBSCAN's distance: mean 0 and spread 1 once scaled.

    The columns differ in scale by six orders of magnitude and have gaps, so
    a matrix centred but not divided by its spread, or scaled by a spread
    other than the column's, is caught here and not only by a clustering
    that happens to go wrong. Checked on the frame held in memory and on the
    relation read from DuckDB in chunks (each computes its own scale).
    """
    rng = np.random.default_rng(11)
    n = 400
    frame = pd.DataFrame(
        {
            "customer_id": [f"c{i:04d}" for i in range(n)],
            "recency_days": np.where(rng.random(n) < 0.1, np.nan, rng.integers(0, 900, n)),
            "frequency": rng.integers(1, 60, n),
            "credit_utilisation": np.where(rng.random(n) < 0.3, np.nan, rng.uniform(0, 0.01, n)),
            "annual_income": rng.lognormal(12, 1.0, n) * 1000,
            "missed_payments_12m": np.where(rng.random(n) < 0.8, 0, rng.integers(1, 6, n)),
        }
    )
    names = tuple(c for c in frame.columns if c != "customer_id")
    selection = select_features(frame, names, clustering_config().selection)
    assert selection.used == names
    in_memory = build_matrix(frame, selection.used, selection.transforms).values
    connection = duckdb.connect()
    read = read_features(
        connection.from_df(frame),
        requested=names,
        rules=clustering_config().selection,
        chunk_rows=37,
    ).matrix.values
    for matrix in (in_memory, read):
        means, spreads = _scaled_spreads(matrix)
        np.testing.assert_allclose(means, 0.0, atol=1e-5)
        np.testing.assert_allclose(spreads, 1.0, rtol=1e-5)


def test_a_column_constant_after_filling_stays_inert_at_zero():
    # Its spread is 0: dividing by it would make NaNs; it must weigh nothing instead.
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": [5.0, np.nan, 5.0, 5.0]})
    values = build_matrix(frame, ("a", "b"), {"a": "linear", "b": "linear"}).values
    assert values[:, 1].tolist() == [0.0, 0.0, 0.0, 0.0]
    assert _scaled_spreads(values)[1][0] == pytest.approx(1.0)


def test_feature_list_var_spellings():
    # The spellings validate_vars accepts: null, a list, or comma-separated text.
    assert parse_feature_list(None) is None
    assert parse_feature_list("") is None
    assert parse_feature_list(" a, b ,") == ("a", "b")
    assert parse_feature_list(["a", "b", "a"]) == ("a", "b")


def test_config_reads_each_var_by_name_into_its_field():
    settings = {
        **project_vars(),
        "cluster_features": "frequency, recency_days",
        "dbscan_eps": 0.75,
        "dbscan_min_samples": 12,
        "dbscan_max_exact_rows": 101,
        "segment_min_share": 0.07,
        "dbscan_max_noise_share": 0.2,
        "feature_min_primary": 3,
        "segment_stability_rows": 999,
    }
    config = ClusteringConfig.from_vars(settings)
    assert config.features == ("frequency", "recency_days")
    assert (config.eps, config.min_samples, config.max_exact_rows) == (0.75, 12, 101)
    assert (config.limits.min_share, config.limits.max_noise_share) == (0.07, 0.2)
    assert config.selection.min_primary_features == 3
    assert config.stability_rows == 999


def test_a_var_missing_from_the_settings_is_named():
    settings = {
        name: value for name, value in project_vars().items() if name != "dbscan_chunk_rows"
    }
    with pytest.raises(KeyError, match="var dbscan_chunk_rows was not handed"):
        ClusteringConfig.from_vars(settings)


def test_the_empty_output_has_the_types_of_a_full_one():
    full = build_output(
        pd.Series(["c1"], dtype="str"),
        np.array([0]),
        np.array([True]),
        np.array([0], dtype=np.int8),
        np.zeros((1, 2), dtype=np.float32),
    )
    empty = empty_assignments()
    assert tuple(empty.columns) == OUTPUT_COLUMNS
    # customer_id is text either way; the model's SQL casts it.
    columns = list(OUTPUT_COLUMNS[1:])
    assert empty[columns].dtypes.to_dict() == full[columns].dtypes.to_dict()


def project_2d(
    matrix: np.ndarray, fit: np.ndarray, random_state: int, chunk_rows: int
) -> np.ndarray:
    """The projection a refit stores, applied to every row."""
    return project(matrix, fit_projection(matrix, fit, random_state), chunk_rows)


def test_the_projection_is_pca_fitted_on_the_rows_dbscan_saw():
    rng = np.random.default_rng(8)
    matrix = rng.normal(size=(50, 3)).astype(np.float32)
    matrix[:, 0] *= 4
    fit = np.arange(0, 50, 2)
    projection = project_2d(matrix, fit, random_state=0, chunk_rows=7)
    pca = PCA(n_components=2, svd_solver="full").fit(matrix[fit].astype(np.float64))
    expected = pca.transform(matrix.astype(np.float64))
    assert projection.dtype == np.float32
    # PCA's axes are defined up to their sign.
    signs = np.sign((projection * expected).sum(axis=0))
    np.testing.assert_allclose(projection * signs, expected, rtol=1e-4, atol=1e-4)


def test_a_projection_of_one_feature_leaves_the_second_axis_at_zero():
    matrix = np.arange(6, dtype=np.float32).reshape(6, 1)
    projection = project_2d(matrix, np.arange(6), random_state=0, chunk_rows=4)
    assert projection[:, 1].tolist() == [0.0] * 6
    assert np.ptp(projection[:, 0]) == pytest.approx(5.0)
    assert project_2d(np.zeros((3, 0), np.float32), np.arange(3), 0, 2).tolist() == [[0, 0]] * 3


def test_unusual_features_are_those_noise_strays_on_widest_first():
    rng = np.random.default_rng(2)
    matrix = rng.normal(scale=0.2, size=(40, 3))
    labels = np.zeros(40, dtype=np.int64)
    labels[:10] = NOISE
    matrix[:10, 1] = rng.normal(scale=3.0, size=10)
    matrix[:10, 2] = rng.normal(scale=2.0, size=10)
    features = ("a", "b", "c")
    assert unusual_features(matrix, labels, features) == ["b", "c"]
    assert unusual_features(matrix, labels, features, top=1) == ["b"]
    # A spread of exactly UNUSUAL_SPREAD_RATIO is unusual; under it is not.
    spread = np.array([[1.5, 1.4], [-1.5, -1.4], [0.0, 0.0], [0.0, 0.0]])
    assert unusual_features(spread, np.array([NOISE, NOISE, 0, 0]), ("x", "y")) == ["x"]
    assert unusual_features(matrix, np.where(np.arange(40) == 0, NOISE, 0), features) == []


def test_each_cluster_takes_the_origin_most_of_its_customers_came_from():
    labels = np.array([0, 0, 0, 1, 1, 2, 2, NOISE])
    origins = np.array(
        [ORIGIN_DBSCAN, ORIGIN_BISECTION, ORIGIN_BISECTION, ORIGIN_DBSCAN_SPLIT,
         ORIGIN_BISECTION, ORIGIN_DBSCAN_SPLIT, ORIGIN_DBSCAN, ORIGIN_DBSCAN],
        dtype=np.int8,
    )  # fmt: skip
    assert cluster_origins(labels, origins) == {0: "bisection", 1: "dbscan_split", 2: "dbscan"}


def test_segment_diagnostics_follow_the_final_numbering():
    diagnostics = segment_diagnostics(
        mapping={5: 0, 2: 1, 9: 2, NOISE: NOISE},
        origins={5: "bisection", 2: "dbscan"},
        stability={5: 0.912345, 2: 0.5, 9: 1.0},
        unusual=["recency_days"],
        has_noise=True,
    )
    assert diagnostics == [
        {"cluster_id": NOISE, "origin": "noise", "stability": None,
         "unusual_features": ["recency_days"]},
        {"cluster_id": 0, "origin": "bisection", "stability": 0.9123, "unusual_features": []},
        {"cluster_id": 1, "origin": "dbscan", "stability": 0.5, "unusual_features": []},
        {"cluster_id": 2, "origin": "dbscan", "stability": 1.0, "unusual_features": []},
    ]  # fmt: skip
    without_noise = segment_diagnostics(
        mapping={0: 0, NOISE: NOISE}, origins={}, stability={0: 1.0}, unusual=[], has_noise=False
    )
    assert [d["cluster_id"] for d in without_noise] == [0]


def test_diagnostics_are_canonical_json_with_numpy_numbers_as_numbers():
    diagnostics = {"noise_share": np.float32(0.25), "clusters": 3, "eps": np.float64(0.5)}
    text = diagnostics_json(diagnostics)
    assert text == '{"clusters": 3, "eps": 0.5, "noise_share": 0.25}'


def test_empty_input_returns_typed_empty_frame():
    result = cluster_customers(pd.DataFrame({"customer_id": [], "f0": []}), clustering_config())
    assert result.assignments.empty
    assert tuple(result.assignments.columns) == OUTPUT_COLUMNS
    assert str(result.assignments.cluster_id.dtype) == "int32"
    assert result.diagnostics["fit_method"] == "empty"


@pytest.mark.parametrize(
    "frame",
    [
        pd.DataFrame({"customer_id": ["only"], "f0": [1.0]}),
        pd.DataFrame({"customer_id": [f"c{i}" for i in range(50)], "f0": [3.0] * 50}),
        pd.DataFrame({"customer_id": [f"c{i}" for i in range(50)], "f0": [None] * 50}),
    ],
    ids=["one customer", "all identical", "feature entirely null"],
)
def test_degenerate_inputs_give_one_cluster_and_a_log_line(frame, caplog):
    with caplog.at_level(logging.WARNING):
        result = cluster_customers(frame, clustering_config(features=("f0",)))
    assert result.assignments.cluster_id.tolist() == [0] * len(frame)
    assert result.diagnostics["fit_method"] == "degenerate"
    assert "clustering skipped" in caplog.text


def test_only_the_id_and_requested_features_that_exist_leave_duckdb():
    relation = duckdb.connect().sql(
        "select 'c1' as customer_id, 1.0 as frequency, 'x' as top_category, 2 as \"odd name\""
    )
    read = query(relation, names=("frequency", "odd name", "absent"), body="select * from features")
    assert read.columns == ["customer_id", "frequency", "odd name"]
    assert [str(t) for t in read.types] == ["VARCHAR", "DOUBLE", "DOUBLE"]
    with pytest.raises(FeatureConfigError, match="absent"):
        cluster_relation(relation, clustering_config(features=("frequency", "absent")))


@pytest.mark.parametrize("rows", [1, 6, 7, 1000, 1003])
def test_selection_rows_from_duckdb_are_the_evenly_spaced_ones_of_the_sorted_ids(rows):
    # Ids in shuffled order; "position" is each id's place in customer_id order.
    relation = duckdb.connect().sql(
        f"select printf('c%06d', i) as customer_id, i as position "
        f"from range({rows}) as t(i) order by hash(i)"
    )
    taken = evenly_spaced_rows(relation, names=("position",), rows=rows, sample_rows=7)
    expected = evenly_spaced(np.arange(rows, dtype=np.float64), 7)
    np.testing.assert_array_equal(taken["position"], expected)


def test_moments_merged_over_chunks_equal_the_whole_columns():
    values = np.random.default_rng(3).lognormal(size=1001)
    merged = Moments()
    for start in range(0, len(values), 97):
        merged = merged.merge(Moments.of(values[start : start + 97]))
    assert merged.count == len(values)
    assert merged.mean == pytest.approx(values.mean(), rel=1e-12)
    assert merged.std == pytest.approx(values.std(), rel=1e-12)


def test_duckdb_columns_read_in_chunks_give_the_matrix_of_the_sorted_frame():
    # Integers, decimals and NULLs as customer_features has them, read 37 rows at a time.
    connection = duckdb.connect()
    relation = connection.sql(
        """
        select
            printf('c%04d', i) as customer_id,
            case when i % 9 = 0 then null else (i * 7919) % 365 end::integer as recency_days,
            1 + (i * 31) % 40 as frequency,
            case when i % 5 = 0 then null else ((i * 13) % 1000) / 7.0 end::decimal(18, 2)
                as avg_order_value,
            case when i % 4 = 0 then null else ((i * 17) % 100) / 100.0 end as credit_utilisation
        from range(500) as t(i)
        order by hash(i)
        """
    )
    names = ("recency_days", "frequency", "avg_order_value", "credit_utilisation")
    rules = clustering_config().selection
    read = read_features(relation, requested=names, rules=rules, chunk_rows=37)
    frame = relation.df().sort_values("customer_id").reset_index(drop=True)
    selection = select_features(frame, names, rules)
    expected = build_matrix(frame, selection.used, selection.transforms)
    assert read.selection == selection
    assert read.customer_ids.tolist() == frame.customer_id.tolist()
    assert read.matrix.values.dtype == np.float32
    assert read.matrix.imputed_counts == expected.imputed_counts
    np.testing.assert_allclose(read.matrix.values, expected.values, rtol=1e-6, atol=1e-6)
