"""Smoke tests of the benchmark's code paths on tiny data; no timing is asserted.

`make bench` is too slow for `make test`, so its parts are checked here on
300 customers: the baseline's cleaning agrees with the generator's manifest,
the scan floor reads every raw row, the measuring wrapper tells a finished
run from one that hit a cap, and dbt's artifacts are split into stages.
"""

from __future__ import annotations

import itertools
import json
import sys
from pathlib import Path

import pytest

from benchmarks import baseline_notebook, run_benchmark, scan_floor
from benchmarks.measure import GIB, run_measured
from segmentation import generate as gen

FEATURES = ["recency_days", "frequency", "avg_order_value", "refund_rate", "credit_utilisation"]


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("bench-data")
    manifest = gen.generate(300, 11, out, "csv")
    return out, manifest


def test_baseline_cleans_like_the_manifest_says(tiny_data: tuple[Path, dict]) -> None:
    data_dir, manifest = tiny_data
    result = baseline_notebook.run(data_dir, eps=1e6, min_samples=2, names=FEATURES)
    assert result["clean_transactions"] == manifest["expected_clean_rows"]["transactions"]
    assert result["as_of_date"] == manifest["parameters"]["as_of_date"]
    assert result["customers"] == manifest["parameters"]["customers"]
    # An eps wider than any distance puts every customer in one cluster.
    assert (result["clusters"], result["noise_share"]) == (1, 0.0)


def test_baseline_with_a_tiny_eps_finds_mostly_noise(tiny_data: tuple[Path, dict]) -> None:
    data_dir, _ = tiny_data
    result = baseline_notebook.run(data_dir, eps=1e-9, min_samples=5, names=FEATURES)
    assert result["noise_share"] > 0.5


def test_baseline_names_a_feature_it_cannot_compute(tiny_data: tuple[Path, dict]) -> None:
    data_dir, _ = tiny_data
    with pytest.raises(SystemExit, match="favourite_colour"):
        baseline_notebook.run(data_dir, eps=1.0, min_samples=2, names=["favourite_colour"])


def test_scan_floor_reads_every_raw_row(tiny_data: tuple[Path, dict]) -> None:
    data_dir, manifest = tiny_data
    result = scan_floor.scan(data_dir)
    rows = {source: stats["rows"] for source, stats in result["sources"].items()}
    assert rows == manifest["raw_rows"]


def test_measured_baseline_finishes_and_reports_memory(
    tiny_data: tuple[Path, dict], tmp_path: Path
) -> None:
    data_dir, _ = tiny_data
    report = tmp_path / "baseline.json"
    cmd = [sys.executable, "-m", "benchmarks.baseline_notebook", "--data", str(data_dir)]
    cmd += ["--eps", "1.5", "--min-samples", "5", "--features", ",".join(FEATURES)]
    cmd += ["--report", str(report)]
    measurement = run_measured(cmd, 120, 4 * GIB, tmp_path / "baseline.log")
    assert measurement.status == "ok", measurement.output_tail
    assert measurement.peak_rss_bytes > 10 * 1024**2
    assert json.loads(report.read_text())["customers"] == 300


def test_measure_reports_which_cap_was_hit(tmp_path: Path) -> None:
    hog = [sys.executable, "-c", "import time; x = b'x' * 2 * 1024**3; time.sleep(60)"]
    memory = run_measured(hog, 60, 1 * GIB, tmp_path / "hog.log")
    assert memory.status == "dnf_memory"
    sleeper = [sys.executable, "-c", "import time; time.sleep(60)"]
    slow = run_measured(sleeper, 1, None, tmp_path / "sleep.log")
    assert slow.status == "dnf_time"
    broken = run_measured(
        [sys.executable, "-c", "raise SystemExit(7)"], 60, None, tmp_path / "b.log"
    )
    assert (broken.status, broken.returncode) == ("failed", 7)


def _node(name: str, path: str, kind: str = "model") -> dict:
    return {"name": name, "original_file_path": path, "resource_type": kind}


def test_run_results_are_split_into_stages_by_the_graph() -> None:
    nodes = {
        "seed.p.product_categories": _node("product_categories", "seeds/x.csv", "seed"),
        "model.p.stg_raw__transactions": _node("stg_raw__transactions", "models/staging/s.sql"),
        "model.p.int_transactions__customer_metrics": _node(
            "int_transactions__customer_metrics", "models/intermediate/i.sql"
        ),
        "model.p.customer_features": _node("customer_features", "models/marts/f.sql"),
        "model.p.customer_clusters_dbscan": _node(
            "customer_clusters_dbscan", "python_models/customer_clusters_dbscan.py"
        ),
        "model.p.customer_clusters": _node("customer_clusters", "models/marts/c.sql"),
        # In the intermediate folder but after clustering: a mart-stage cost.
        "model.p.int_segments__cluster_profiles": _node(
            "int_segments__cluster_profiles", "models/intermediate/p.sql"
        ),
        "test.p.not_null_x": _node("not_null_x", "models/marts/m.yml", "test"),
    }
    unit_tests = {"unit_test.p.u": _node("u", "models/marts/m.yml", "unit_test")}
    chain = list(nodes)[:-1]
    child_map = {parent: [child] for parent, child in itertools.pairwise(chain)}
    manifest = {"nodes": nodes, "unit_tests": unit_tests, "child_map": child_map}
    seconds = {uid: float(i + 1) for i, uid in enumerate([*nodes, *unit_tests])}
    seconds["model.p.gone"] = 100.0
    run_results = {
        "results": [{"unique_id": uid, "execution_time": s} for uid, s in seconds.items()]
    }

    stages = run_benchmark.stage_seconds(run_results, manifest)

    assert stages == {
        "staging": 1 + 2,
        "features": 3 + 4,
        "clustering": 5,
        "marts": 6 + 7,
        "tests": 8 + 9,
        "other": 100,
    }
    overhead = run_benchmark.with_overhead(stages, 200.0)["dbt_overhead"]
    assert overhead == 200.0 - sum(seconds.values())


def test_parameters_are_read_from_columns_or_a_json_document() -> None:
    as_columns = {"eps": 0.75, "min_samples": 40, "features_used": ["a", "b"], "clusters": 5}
    as_json = {
        "diagnostics_json": json.dumps(
            {"eps": 0.75, "min_samples": 40, "features_used": ["a", "b"]}
        )
    }
    for row in (as_columns, as_json):
        params = run_benchmark.parameters_from_row(row)
        assert (params["eps"], params["min_samples"], params["features"]) == (0.75, 40, ["a", "b"])
    with pytest.raises(ValueError, match="no eps"):
        run_benchmark.parameters_from_row({"clusters": 3})
