"""Smoke tests of the benchmark's code paths on tiny data; no timing is asserted.

`make bench` is too slow for `make test`, so its parts are checked here on
300 customers: the baseline's cleaning agrees with the generator's manifest,
the scan floor reads every raw row, the typed copy floor gives the row-level
reject reasons the manifest expects, the raw sizes count the CSV the
generator would write, generated data is cached per size, seed and format,
`--huge` adds the 1M and 10M sizes read as Parquet, the measuring wrapper
tells a finished run from one that hit a cap, and dbt's artifacts are split
into stages (by model folder) and ratios.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import duckdb
import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from benchmarks import (
    baseline_notebook,
    build_results,
    raw_sizes,
    run_benchmark,
    runs,
    scan_floor,
    tables,
    typed_copy_floor,
)
from benchmarks.measure import GIB, run_measured
from raw_data import generate as gen

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


def _node(path: str, kind: str = "model") -> dict:
    return {"original_file_path": path, "resource_type": kind}


def test_run_results_are_split_into_stages_by_folder() -> None:
    nodes = {
        "seed.p.product_categories": _node("seeds/staging/product_categories.csv", "seed"),
        "model.p.stg_raw__transactions": _node("models/staging/s.sql"),
        "model.p.customer_features": _node("models/features/f.sql"),
        "model.p.customer_clusters_dbscan": _node("models/clustering/customer_clusters_dbscan.py"),
        "model.p.customer_clusters": _node("models/clustering/c.sql"),
        "seed.p.feature_labels": _node("seeds/segments/feature_labels.csv", "seed"),
        "model.p.int_segments__cluster_profiles": _node("models/segments/p.sql"),
        "model.p.publish_marts": _node("models/publish/publish_marts.py"),
        "model.p.metricflow_time_spine": _node("models/semantic/t.sql"),
        "test.p.not_null_x": _node("models/segments/m.yml", "test"),
        # A hook is no stage's cost.
        "operation.p.on-run-start-0": _node("hooks/on-run-start-0.sql", "operation"),
        # History records a build once its audit passed: publishing's cost.
        "snapshot.p.memberships": _node("snapshots/_snapshots.yml", "snapshot"),
    }
    unit_tests = {"unit_test.p.u": _node("models/segments/m.yml", "unit_test")}
    manifest = {"nodes": nodes, "unit_tests": unit_tests}
    seconds = {uid: float(2**i) for i, uid in enumerate([*nodes, *unit_tests])}
    seconds["model.p.gone"] = 8192.0
    run_results = {
        "results": [{"unique_id": uid, "execution_time": s} for uid, s in seconds.items()]
    }

    stages = build_results.stage_seconds(run_results, manifest)

    assert stages == {
        "staging": 1 + 2,
        "features": 4,
        "clustering": 8 + 16,
        "segments": 32 + 64,
        "publish": 128 + 2048,
        "semantic": 256,
        "tests": 512 + 4096,
        "other": 1024 + 8192,
    }
    overhead = build_results.with_overhead(stages, 20_000.0)["dbt_overhead"]
    assert overhead == 20_000.0 - sum(seconds.values())


def test_non_clustering_time_leaves_out_the_clustering_model_only() -> None:
    run_results = {
        "results": [
            {"unique_id": "model.p.customer_clusters_dbscan", "execution_time": 30.0},
            {"unique_id": "model.p.customer_clusters", "execution_time": 2.0},
        ]
    }
    clustering = build_results.models_seconds(run_results, (build_results.CLUSTERING_MODEL,))
    pipeline = {
        "measurement": {"status": "ok", "wall_seconds": 100.0},
        "clustering_model_seconds": clustering,
    }
    assert tables.non_clustering_seconds(pipeline) == 70.0
    assert tables.non_clustering_seconds({**pipeline, "clustering_model_seconds": None}) is None


def test_parameters_are_read_from_columns_or_a_json_document() -> None:
    as_columns = {"eps": 0.75, "min_samples": 40, "features_used": ["a", "b"], "clusters": 5}
    as_json = {
        "diagnostics_json": json.dumps(
            {"eps": 0.75, "min_samples": 40, "features_used": ["a", "b"]}
        )
    }
    for row in (as_columns, as_json):
        params = build_results.parameters_from_row(row)
        assert (params["eps"], params["min_samples"], params["features"]) == (0.75, 40, ["a", "b"])
    with pytest.raises(ValueError, match="no eps"):
        build_results.parameters_from_row({"clusters": 3})


@pytest.fixture(scope="module")
def tiny_parquet(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    data_root = tmp_path_factory.mktemp("bench-cache")
    data_dir = runs.ensure_data(300, 11, data_root, "parquet")
    return data_dir, json.loads((data_dir / "manifest.json").read_text())


def test_generated_data_is_cached_by_size_seed_and_format(
    tiny_parquet: tuple[Path, dict],
) -> None:
    data_dir, manifest = tiny_parquet
    assert data_dir.name == "customers-300-seed-11-parquet"
    assert (data_dir / "transactions.parquet").exists()
    written = (data_dir / "manifest.json").stat().st_mtime_ns
    again = runs.ensure_data(300, 11, data_dir.parent, "parquet")
    assert again == data_dir
    assert (data_dir / "manifest.json").stat().st_mtime_ns == written
    assert manifest["parameters"]["format"] == "parquet"


def test_raw_sizes_count_the_csv_the_generator_would_write(
    tiny_data: tuple[Path, dict], tiny_parquet: tuple[Path, dict]
) -> None:
    csv_dir, _ = tiny_data
    parquet_dir, _ = tiny_parquet
    csv_files = sum((csv_dir / f"{s}.csv").stat().st_size for s in raw_sizes.SOURCES)
    parquet_files = sum((parquet_dir / f"{s}.parquet").stat().st_size for s in raw_sizes.SOURCES)
    from_parquet = raw_sizes.raw_sizes(parquet_dir, "parquet")
    # Same size and seed: the CSV streamed from the Parquet files is byte for byte the CSV.
    assert from_parquet == {"csv_bytes": csv_files, "parquet_bytes": parquet_files}
    from_csv = raw_sizes.raw_sizes(csv_dir, "csv")
    assert from_csv["csv_bytes"] == csv_files
    # Row groups may split differently; the compressed size is close, not equal.
    assert abs(from_csv["parquet_bytes"] - parquet_files) < 0.2 * parquet_files
    assert (parquet_dir / raw_sizes.SIZES_FILE).exists()


@pytest.mark.parametrize("file_format", ["csv", "parquet"])
def test_typed_copy_floor_gives_each_row_its_row_level_reason(
    tiny_data: tuple[Path, dict],
    tiny_parquet: tuple[Path, dict],
    tmp_path: Path,
    file_format: str,
) -> None:
    data_dir, manifest = tiny_data if file_format == "csv" else tiny_parquet
    result = typed_copy_floor.typed_copy(data_dir, tmp_path / "copy.duckdb", file_format)
    expected = manifest["expected_rejected_rows"]["transactions"]
    row_level = {reason: n for reason, n in expected.items() if reason in result["row_rejects"]}
    assert result["rows"] == manifest["raw_rows"]["transactions"]
    assert result["row_rejects"] == row_level
    # The reasons from `duplicate` on need the other rows: not the floor's job.
    assert set(expected) - set(result["row_rejects"]) == {
        "duplicate",
        "conflicting_duplicate",
        "future_date",
    }
    assert not (tmp_path / "copy.duckdb").exists()


def test_huge_adds_one_and_ten_million_read_as_parquet() -> None:
    args = run_benchmark.parse_args(["--sizes", "300", "--huge"])
    assert args.sizes == [300, 1_000_000, 10_000_000]
    assert [runs.data_format(n, args.format) for n in args.sizes] == [
        "csv",
        "csv",
        "parquet",
    ]
    assert runs.data_format(10_000_000, "csv") == "csv"
    caps = [run_benchmark.run_caps(n, args)["timeout_seconds"] for n in args.sizes]
    assert caps == [600.0, 600.0, 3600.0]
    assert run_benchmark.baseline_skip_reason(10_000_000, "csv", args, {}) is not None
    assert run_benchmark.baseline_skip_reason(1_000_000, "parquet", args, {}) is not None
    assert run_benchmark.baseline_skip_reason(1_000_000, "csv", args, {}) is None


def test_transactions_staging_sums_its_three_models() -> None:
    results = [
        {"unique_id": "model.p.base_raw__transactions_lines", "execution_time": 2.0},
        {"unique_id": "model.p.base_raw__transactions", "execution_time": 3.0},
        {"unique_id": "model.p.stg_raw__transactions", "execution_time": 0.5},
        {"unique_id": "model.p.base_raw__demographics", "execution_time": 9.0},
        {"unique_id": "test.p.base_raw__transactions", "execution_time": 9.0},
    ]
    staging = build_results.TRANSACTIONS_STAGING
    assert build_results.models_seconds({"results": results}, staging) == 5.5
    assert build_results.models_seconds({"results": results[1:]}, staging) is None


def _scale_row(customers: int, wall: float, peak_gib: float, staging: float, copy: float) -> dict:
    return {
        "customers": customers,
        "raw_transactions": customers * 13,
        "format": "csv",
        "raw_sizes": {"input_bytes": GIB, "csv_bytes": GIB, "parquet_bytes": GIB // 4},
        "pipeline": {
            "measurement": {
                "status": "ok",
                "wall_seconds": wall,
                "peak_rss_bytes": int(peak_gib * GIB),
            },
            "warehouse_bytes": 2 * GIB,
            "transactions_staging_seconds": staging,
            "load_average": [1.0, 2.0],
            "persona_agreement": {"adjusted_rand": 0.9},
        },
        "typed_copy_floor": {"result": {"seconds": copy}},
    }


def test_scale_table_gives_ratios_to_the_one_million_row() -> None:
    rows = [
        _scale_row(1_000_000, wall=50.0, peak_gib=3.0, staging=20.0, copy=10.0),
        _scale_row(10_000_000, wall=600.0, peak_gib=6.0, staging=300.0, copy=100.0),
    ]
    text = tables.scale_table(rows)
    huge = next(line for line in text.splitlines() if line.startswith("| 10,000,000"))
    cells = [cell.strip() for cell in huge.strip("|").split("|")]
    assert cells[5] == "2.0x"  # warehouse over raw CSV
    assert cells[7] == "12.0x (10x the customers)"  # wall over the 1M row's
    assert cells[8] == "2.0x"  # peak over the 1M row's
    assert cells[11] == "3.0x"  # staging over its typed copy floor
    assert cells[12] == "0.900"  # adjusted Rand against the planted personas
    assert cells[13] == "1.00 -> 2.00"
    alone = tables.scale_table(rows[1:])
    assert "| - | - |" in alone  # no 1M row: no ratios


def test_adjusted_rand_from_counts_matches_scikit_learn() -> None:
    rng = np.random.default_rng(3)
    truth = rng.integers(0, 5, 2000)
    labels = np.where(rng.random(2000) < 0.8, truth, rng.integers(-1, 6, 2000))
    pairs, counts = np.unique(np.stack([labels, truth]), axis=1, return_counts=True)
    table = [(int(a), int(b), int(n)) for (a, b), n in zip(pairs.T, counts, strict=True)]
    ours = build_results.adjusted_rand_from_counts(table)
    assert ours == pytest.approx(adjusted_rand_score(truth, labels), abs=1e-12)
    assert build_results.adjusted_rand_from_counts([(0, "a", 5), (1, "b", 5)]) == 1.0


def test_persona_agreement_joins_clusters_to_the_truth_file(tmp_path: Path) -> None:
    truth = tmp_path / "truth.csv"
    truth.write_text("customer_id,persona\nC1,a\nC2,a\nC3,b\nC4,b\nC5,b\n")
    db = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute(
            "create table customer_clusters as select * from (values "
            "('C1', 0), ('C2', 0), ('C3', 1), ('C4', 1)) as t(customer_id, cluster_id)"
        )
    result = build_results.persona_agreement(db, truth)
    assert result == {"adjusted_rand": 1.0, "customers_scored": 4, "truth_rows": 5}


def test_growth_table_lists_the_nodes_that_add_the_most_time() -> None:
    rows = [
        _scale_row(1_000_000, wall=50.0, peak_gib=3.0, staging=20.0, copy=10.0),
        _scale_row(10_000_000, wall=600.0, peak_gib=6.0, staging=300.0, copy=100.0),
    ]
    test = "test.p.unique_x_id.88734bec45"
    rows[0]["pipeline"]["node_seconds"] = {"model.p.sort": 2.0, "model.p.scan": 5.0, test: 1.0}
    rows[1]["pipeline"]["node_seconds"] = {"model.p.sort": 80.0, "model.p.scan": 50.0, test: 9.0}
    lines = tables.growth_table(rows).splitlines()
    assert lines[4:] == [
        "| `sort` | 2.0 s | 80.0 s | 40.0x |",
        "| `scan` | 5.0 s | 50.0 s | 10.0x |",
        "| `unique_x_id` | 1.0 s | 9.0 s | 9.0x |",
    ]
    assert tables.growth_table(rows[1:]) == ""


def test_score_table_sets_the_score_build_against_the_full_one() -> None:
    row = _scale_row(1_000_000, wall=80.0, peak_gib=3.0, staging=20.0, copy=10.0)
    row["pipeline"]["clustering_model_seconds"] = 12.0
    row["score"] = {
        "measurement": {"status": "ok", "wall_seconds": 60.0, "peak_rss_bytes": int(1.5 * GIB)},
        "scoring_model_seconds": 3.0,
    }
    skipped = {**_scale_row(100_000, wall=9.0, peak_gib=1.0, staging=2.0, copy=1.0), "score": None}
    text = tables.score_table([skipped, row])
    lines = [line for line in text.splitlines() if line.startswith("| 1")]
    assert len(lines) == 1, "a size without a score build has no row"
    cells = [cell.strip() for cell in lines[0].strip("|").split("|")]
    assert cells[1:4] == ["80.0 s", "60.0 s", "0.75x"]
    assert cells[4:7] == ["3.00 GiB", "1.50 GiB", "0.50x"]
    assert cells[7:10] == ["12.0 s", "3.0 s", "0.25x"]
    assert tables.score_table([skipped]) == ""
