"""End to end through dbt on generator output: the planted personas come back as clusters.

Builds only the clustering's ancestors and the clustering marts (plus
`rejected_rows`, which staging's conservation tests read).
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from dbt_project_runner import PROJECT_DIR, DbtResult, run_dbt
from project_settings import project_vars
from sklearn.metrics import adjusted_rand_score

from segmentation.clustering.config import ClusteringConfig

SELECT = [
    "--select",
    "+customer_clusters",
    "+clustering_diagnostics",
    "rejected_rows",
    # Cautious: tests that also read later marts (segments, not built here) are left out.
    "--indirect-selection",
    "cautious",
    "--exclude",
    "resource_type:unit_test",
]


def generate(out: Path, customers: int, seed: int) -> Path:
    """Raw files and truth.csv from the project's generator."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "raw_data.generate",
            "--customers",
            str(customers),
            "--seed",
            str(seed),
            "--out",
            str(out),
            "--format",
            "parquet",
        ],
        cwd=PROJECT_DIR,
        check=True,
        capture_output=True,
    )
    return out


def assignments(result: DbtResult) -> pd.DataFrame:
    rows = result.query(
        "select customer_id, cluster_id, is_core_point, assignment_method "
        "from customer_clusters order by customer_id"
    )
    return pd.DataFrame(
        rows, columns=["customer_id", "cluster_id", "is_core_point", "assignment_method"]
    )


@pytest.fixture(scope="module")
def build_20k(tmp_path_factory) -> tuple[DbtResult, Path, Path]:
    workdir = tmp_path_factory.mktemp("clusters_20k")
    raw = generate(workdir / "raw", 20_000, seed=11)
    dbt_vars = {"raw_data_path": str(raw), "raw_file_format": "parquet"}
    result = run_dbt(workdir, ["build", *SELECT], dbt_vars)
    assert result.ok, result.output[-4000:]
    return result, raw, workdir


def test_personas_recovered_with_automatic_parameters(build_20k):
    result, raw, _ = build_20k
    truth = pd.read_csv(raw / "truth.csv", dtype=str)
    clusters = assignments(result)
    assert len(clusters) == len(truth) == 20_000
    merged = truth.merge(clusters, on="customer_id", validate="one_to_one")
    # Outliers form their own class; DBSCAN noise is one label, so this is direct.
    assert adjusted_rand_score(merged.persona, merged.cluster_id) >= 0.90
    source, method = result.query(
        "select parameter_source, fit_method from clustering_diagnostics"
    )[0]
    assert (source, method) == ("search", "exact")


def test_rebuild_gives_identical_assignments(build_20k):
    result, raw, workdir = build_20k
    first = assignments(result)
    dbt_vars = {"raw_data_path": str(raw), "raw_file_format": "parquet"}
    again = run_dbt(
        workdir, ["run", "--select", "customer_clusters_dbscan", "customer_clusters"], dbt_vars
    )
    assert again.ok, again.output[-4000:]
    pd.testing.assert_frame_equal(assignments(again), first)


def test_no_transactions_at_all_still_segments_with_a_clear_log(tmp_path):
    raw = generate(tmp_path / "raw", 300, seed=5)
    transactions = raw / "transactions.parquet"
    header_only = pd.read_parquet(transactions).head(0)
    header_only.to_parquet(transactions, index=False)
    dbt_vars = {"raw_data_path": str(raw), "raw_file_format": "parquet"}
    result = run_dbt(tmp_path, ["build", *SELECT], dbt_vars)
    assert result.ok, result.output[-4000:]
    assert "clustering feature recency_days left out: entirely null" in result.output
    assert "clustering feature frequency left out: constant" in result.output
    customers = result.query("select count(*) from customer_clusters")[0][0]
    with (raw / "truth.csv").open() as handle:
        planted = sum(1 for _ in csv.DictReader(handle))
    assert 0 < customers <= planted
    features_used = result.query("select features_used from clustering_diagnostics")[0][0]
    assert "credit_utilisation" in features_used and "recency_days" not in features_used


class ReadRecorder(dict):
    """A mapping that remembers which keys were read."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.read: set[str] = set()

    def __getitem__(self, key: str) -> object:
        self.read.add(key)
        return super().__getitem__(key)


def test_vars_reach_the_python_model(tmp_path):
    """The pre-hook hands the model its vars by name; the build records what it ran with."""
    raw = generate(tmp_path / "raw", 300, seed=5)
    dbt_vars = {
        "raw_data_path": str(raw),
        "raw_file_format": "parquet",
        "cluster_features": "frequency,avg_order_value,recency_days",
        "dbscan_eps": 0.75,
        "dbscan_min_samples": 7,
        "dbscan_max_exact_rows": 100,
        "dbscan_sample_rows": 150,
    }
    result = run_dbt(tmp_path, ["build", *SELECT], dbt_vars)
    assert result.ok, result.output[-4000:]
    eps, min_samples, source, features, method, sample_rows = result.query(
        "select eps, min_samples, parameter_source, features_used, fit_method, sample_size "
        "from clustering_diagnostics"
    )[0]
    assert (eps, min_samples, source) == (0.75, 7, "vars")
    assert sorted(features) == ["avg_order_value", "frequency", "recency_days"]
    assert (method, sample_rows) == ("sampled", 150)
    settings = json.loads(result.query("select clustering_vars from clustering_diagnostics")[0][0])
    given = {name: value for name, value in dbt_vars.items() if name in settings}
    defaults = {name: project_vars()[name] for name in settings if name not in dbt_vars}
    assert settings == {**defaults, **given}
    # Exactly the vars the model reads: each marked in validate_vars, none in excess.
    recorder = ReadRecorder(settings)
    ClusteringConfig.from_vars(recorder)
    assert recorder.read == set(settings)
