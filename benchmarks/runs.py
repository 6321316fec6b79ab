"""The measured runs of one size: generated data, the pipeline, the baseline and the floors.

Each run is a process of its own under the same time and memory caps
(`benchmarks.measure`); what it leaves behind joins its record.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import duckdb

from benchmarks.build_results import (
    CLUSTERING_MODEL,
    SCORING_MODEL,
    TRANSACTIONS_STAGING,
    models_seconds,
    persona_agreement,
    read_pipeline_parameters,
    slowest_nodes,
    stage_seconds,
    with_overhead,
)
from benchmarks.measure import run_measured

PROJECT_DIR = Path(__file__).resolve().parents[1]
DEFAULT_SIZES = (10_000, 100_000)
LARGE_SIZE = 1_000_000
HUGE_SIZE = 10_000_000
# Sizes from here are generated and read as Parquet unless --format says otherwise:
# CSV that large is several times the Parquet files' size on disk.
PARQUET_FROM = HUGE_SIZE
# Per-run wall-clock caps when --timeout is not given: up to LARGE_SIZE customers, and above.
DEFAULT_TIMEOUT = 600.0
HUGE_TIMEOUT = 3600.0


def data_format(customers: int, requested: str) -> str:
    """The raw file format for a size: `requested`, or for `auto` Parquet from PARQUET_FROM."""
    if requested != "auto":
        return requested
    return "parquet" if customers >= PARQUET_FROM else "csv"


def ensure_data(customers: int, seed: int, data_root: Path, file_format: str = "csv") -> Path:
    """Generate the raw files for a size once; reuse them when the manifest matches.

    The cache is keyed by size, seed and format (the directory's name). The
    manifest is written last by the generator, so its presence means a
    complete set of files.
    """
    out = data_root / f"customers-{customers}-seed-{seed}-{file_format}"
    manifest = out / "manifest.json"
    if manifest.exists():
        params = json.loads(manifest.read_text(encoding="utf-8"))["parameters"]
        if (params["customers"], params["seed"], params["format"]) == (
            customers,
            seed,
            file_format,
        ):
            return out
    cmd = [sys.executable, "-m", "raw_data.generate"]
    cmd += ["--customers", str(customers), "--seed", str(seed), "--out", str(out)]
    cmd += ["--format", file_format]
    subprocess.run(cmd, cwd=PROJECT_DIR, check=True)
    return out


def dbt_env(workdir: Path) -> dict[str, str]:
    """Environment for a dbt build whose database, target, logs and publish dir are `workdir`'s."""
    return {
        **os.environ,
        "DBT_PROFILES_DIR": str(PROJECT_DIR),
        "SEGMENTATION_DB_PATH": str(workdir / "warehouse.duckdb"),
        "DBT_TARGET_PATH": str(workdir / "target"),
        "DBT_LOG_PATH": str(workdir / "logs"),
        "SEGMENTATION_PUBLISH_DIR": str(workdir / "published"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


def fresh_workdir(workdir: Path) -> None:
    """Start a build from nothing: no warehouse, no previous artifacts."""
    for name in ("warehouse.duckdb", "warehouse.duckdb.wal"):
        (workdir / name).unlink(missing_ok=True)
    for name in ("target/run_results.json", "target/manifest.json"):
        (workdir / name).unlink(missing_ok=True)
    workdir.mkdir(parents=True, exist_ok=True)


def load_average() -> float:
    """The one-minute load average: how busy the shared machine was around a run."""
    return round(os.getloadavg()[0], 2)


def warehouse_bytes(workdir: Path) -> int:
    """Size on disk of the build's warehouse: the database file and its write-ahead log."""
    return sum(
        path.stat().st_size
        for path in (workdir / "warehouse.duckdb", workdir / "warehouse.duckdb.wal")
        if path.exists()
    )


def run_pipeline(
    data_dir: Path, workdir: Path, caps: dict, dbt_args: list[str], file_format: str = "csv"
) -> dict:
    """A full `dbt build` on `data_dir`, measured; stage times and parameters when it finished."""
    fresh_workdir(workdir)
    return _measured_build(data_dir, workdir, caps, dbt_args, file_format)


def run_score_build(
    data_dir: Path, workdir: Path, caps: dict, dbt_args: list[str], file_format: str = "csv"
) -> dict:
    """A `dbt build` in score mode on the warehouse `run_pipeline` left in `workdir`, measured.

    The same files and the same warehouse: every model is rebuilt as in the
    full build but the clustering, which assigns every customer with the fit
    the full build stored instead of fitting one.
    """
    record = _measured_build(
        data_dir, workdir, caps, dbt_args, file_format, {"clustering_mode": "score"}, "score"
    )
    if "stages" in record:
        run_results_path = workdir / "target" / "run_results.json"
        run_results = json.loads(run_results_path.read_text(encoding="utf-8"))
        record["scoring_model_seconds"] = models_seconds(run_results, (SCORING_MODEL,))
    return record


def _measured_build(
    data_dir: Path,
    workdir: Path,
    caps: dict,
    dbt_args: list[str],
    file_format: str,
    extra_vars: dict | None = None,
    name: str = "dbt_build",
) -> dict:
    """One measured `dbt build` in `workdir`, logged to `<name>.log`; stage times and
    parameters when it finished."""
    dbt = str(Path(sys.executable).with_name("dbt"))
    build_vars = {"raw_data_path": str(data_dir), "raw_file_format": file_format}
    cmd = [dbt, "build", "--vars", json.dumps({**build_vars, **(extra_vars or {})}), *dbt_args]
    # An earlier build's results in the same workdir would pass for this one's.
    (workdir / "target" / "run_results.json").unlink(missing_ok=True)
    load_before = load_average()
    measurement = run_measured(
        cmd, log_path=workdir / f"{name}.log", env=dbt_env(workdir), cwd=PROJECT_DIR, **caps
    )
    record: dict = {
        "measurement": asdict(measurement),
        "load_average": [load_before, load_average()],
        "warehouse_bytes": warehouse_bytes(workdir),
    }
    run_results_path = workdir / "target" / "run_results.json"
    manifest_path = workdir / "target" / "manifest.json"
    if run_results_path.exists() and manifest_path.exists():
        run_results = json.loads(run_results_path.read_text(encoding="utf-8"))
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        record["stages"] = with_overhead(
            stage_seconds(run_results, manifest), measurement.wall_seconds
        )
        record["slowest_nodes"] = slowest_nodes(run_results)
        record["node_seconds"] = {
            r["unique_id"]: round(float(r["execution_time"]), 3) for r in run_results["results"]
        }
        record["transactions_staging_seconds"] = models_seconds(run_results, TRANSACTIONS_STAGING)
        record["clustering_model_seconds"] = models_seconds(run_results, (CLUSTERING_MODEL,))
    if measurement.finished:
        try:
            record["parameters"] = read_pipeline_parameters(workdir / "warehouse.duckdb")
        except (duckdb.Error, ValueError) as error:
            record["parameters_error"] = str(error)
        try:
            record["persona_agreement"] = persona_agreement(
                workdir / "warehouse.duckdb", data_dir / "truth.csv"
            )
        except duckdb.Error as error:
            record["persona_agreement_error"] = str(error)
    return record


def run_baseline(data_dir: Path, workdir: Path, caps: dict, parameters: dict) -> dict:
    """The pandas-notebook baseline with the pipeline's parameters, measured."""
    report = workdir / "baseline.json"
    report.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "benchmarks.baseline_notebook", "--data", str(data_dir)]
    cmd += ["--eps", repr(parameters["eps"]), "--min-samples", str(parameters["min_samples"])]
    cmd += ["--features", ",".join(parameters["features"]), "--report", str(report)]
    return _measured_report(cmd, workdir / "baseline.log", report, caps)


def run_floor(data_dir: Path, workdir: Path, caps: dict, file_format: str = "csv") -> dict:
    """DuckDB reading the raw files once, measured; `seconds` is the scan itself."""
    report = workdir / "scan_floor.json"
    report.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "benchmarks.scan_floor", "--data", str(data_dir)]
    cmd += ["--format", file_format, "--report", str(report)]
    return _measured_report(cmd, workdir / "scan_floor.log", report, caps)


def run_typed_copy_floor(
    data_dir: Path, workdir: Path, caps: dict, file_format: str = "csv"
) -> dict:
    """DuckDB writing a typed copy of the transactions file, measured; `seconds` is the copy."""
    report = workdir / "typed_copy_floor.json"
    report.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "benchmarks.typed_copy_floor", "--data", str(data_dir)]
    cmd += ["--db", str(workdir / "typed_copy.duckdb"), "--format", file_format]
    cmd += ["--report", str(report)]
    return _measured_report(cmd, workdir / "typed_copy_floor.log", report, caps)


def _measured_report(cmd: list[str], log_path: Path, report: Path, caps: dict) -> dict:
    """Measure a command that writes a JSON report; the report joins the record when it ran."""
    load_before = load_average()
    measurement = run_measured(cmd, log_path=log_path, cwd=PROJECT_DIR, **caps)
    record: dict = {
        "measurement": asdict(measurement),
        "load_average": [load_before, load_average()],
    }
    if measurement.finished and report.exists():
        record["result"] = json.loads(report.read_text(encoding="utf-8"))
    return record
