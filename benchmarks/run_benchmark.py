"""`make bench`: the pipeline against the pandas-notebook baseline and the DuckDB scan floor.

Usage::

    python -m benchmarks.run_benchmark                      # 10k and 100k customers
    python -m benchmarks.run_benchmark --large              # and 1M customers
    python -m benchmarks.run_benchmark --huge --sizes 1000000  # 1M and 10M customers
    python -m benchmarks.run_benchmark --sizes 10000 --update-benchmarks-md

For each size it generates the raw data once (cached in the data directory
under a name holding its size, seed and format; `raw_data.generate` with
a fixed seed; CSV below 10M customers, Parquet from there unless `--format`
says otherwise), then measures, each in a fresh process under the same caps
(`benchmarks.measure`):

1. the pipeline: a full `dbt build` from an empty warehouse, with its stage
   times from dbt's `run_results.json` and the warehouse's size on disk;
2. the baseline (`benchmarks.baseline_notebook`) with the eps, min_samples
   and features the pipeline chose, read from its `clustering_diagnostics`
   (CSV input up to `--baseline-max-customers` only: it reads CSV with
   pandas, and at 1M it already runs out of the 8 GiB cap);
3. the scan floor (`benchmarks.scan_floor`): DuckDB reading the raw files once;
4. the typed copy floor (`benchmarks.typed_copy_floor`): DuckDB writing a
   typed copy of the transactions file with the row-level reject reasons.

The raw input's size is reported as CSV and as Parquet whatever the format
read (`benchmarks.raw_sizes`), and the larger sizes as ratios to the 1M row
of the same run.

It writes a JSON record and a Markdown table to the results directory
(git-ignored) and, with `--update-benchmarks-md`, puts the table into
BENCHMARKS.md. Nothing here asserts a timing: the targets are read off the table.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import subprocess
import sys
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from benchmarks.measure import GIB, run_measured
from benchmarks.raw_sizes import raw_sizes

PROJECT_DIR = Path(__file__).resolve().parents[1]
DEFAULT_RESULTS = PROJECT_DIR / "benchmarks" / "results"
BENCHMARKS_MD = PROJECT_DIR / "BENCHMARKS.md"
TABLE_START = "<!-- bench-table:start -->"
TABLE_END = "<!-- bench-table:end -->"
DEFAULT_SIZES = (10_000, 100_000)
LARGE_SIZE = 1_000_000
HUGE_SIZE = 10_000_000
# Sizes from here are generated and read as Parquet unless --format says otherwise:
# 10M customers are about 14 GB of CSV and 4 GB of Parquet.
PARQUET_FROM = HUGE_SIZE
# Per-run wall-clock caps when --timeout is not given: up to 1M customers, and above.
DEFAULT_TIMEOUT = 600.0
HUGE_TIMEOUT = 3600.0
# The models that stage the transactions file, timed against the typed copy floor.
TRANSACTIONS_STAGING = (
    "base_raw__transactions_lines",
    "base_raw__transactions",
    "stg_raw__transactions",
)
CLUSTERING_MODEL = "customer_clusters_dbscan"
DIAGNOSTICS_MODEL = "clustering_diagnostics"
STAGES = ("staging", "features", "clustering", "marts", "tests")


# --- stages from dbt's artifacts -------------------------------------------------------


def descendants(child_map: dict[str, list[str]], roots: list[str]) -> set[str]:
    """Every node downstream of `roots` in dbt's child map."""
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        for child in child_map.get(todo.pop(), []):
            if child not in seen:
                seen.add(child)
                todo.append(child)
    return seen


def node_stages(manifest: dict) -> dict[str, str]:
    """Map each node of a dbt manifest to its benchmark stage.

    Tests (data and unit) are their own stage. The clustering Python model is
    `clustering`; anything downstream of it (customer_clusters, the segment
    marts, diagnostics, publishing) is `marts`; models under models/staging
    and seeds are `staging`; the rest upstream (models/intermediate and
    customer_features) is `features`. Placing by the graph, not by folder
    alone, keeps post-clustering intermediate models out of `features`.
    """
    nodes = {**manifest.get("nodes", {}), **manifest.get("unit_tests", {})}
    clustering = [uid for uid, node in nodes.items() if node.get("name") == CLUSTERING_MODEL]
    after = descendants(manifest.get("child_map", {}), clustering)
    stages: dict[str, str] = {}
    for uid, node in nodes.items():
        kind = node.get("resource_type")
        path = str(node.get("original_file_path", ""))
        if kind in {"test", "unit_test"}:
            stages[uid] = "tests"
        elif uid in clustering:
            stages[uid] = "clustering"
        elif uid in after:
            stages[uid] = "marts"
        elif kind == "seed" or path.startswith("models/staging/"):
            stages[uid] = "staging"
        else:
            stages[uid] = "features"
    return stages


def stage_seconds(run_results: dict, manifest: dict) -> dict[str, float]:
    """Sum dbt's per-node execution times into stages.

    Unknown nodes (not in the manifest) are reported under `other` so nothing
    measured is dropped.
    """
    stages = node_stages(manifest)
    totals = dict.fromkeys((*STAGES, "other"), 0.0)
    for result in run_results.get("results", []):
        totals[stages.get(result["unique_id"], "other")] += float(result["execution_time"])
    return {name: round(seconds, 3) for name, seconds in totals.items()}


def with_overhead(stages: dict[str, float], wall_seconds: float) -> dict[str, float]:
    """Add `dbt_overhead`: the process's wall time the nodes do not account for.

    That is starting Python, parsing and compiling the project, connecting,
    and writing artifacts: a fixed cost of every `dbt build`.
    """
    return {**stages, "dbt_overhead": round(max(0.0, wall_seconds - sum(stages.values())), 3)}


def slowest_nodes(run_results: dict, count: int = 8) -> list[tuple[str, float]]:
    """The nodes that took longest, for the report of where the time goes."""
    timed = [(r["unique_id"], float(r["execution_time"])) for r in run_results.get("results", [])]
    return sorted(timed, key=lambda item: -item[1])[:count]


# --- clustering parameters the pipeline chose ------------------------------------------


def _as_list(value: object) -> list[str]:
    """A features value from the diagnostics table: a list, JSON text or comma separated text."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    text = str(value).strip()
    if text.startswith("["):
        return [str(v) for v in json.loads(text)]
    return [part.strip() for part in text.split(",") if part.strip()]


def parameters_from_row(row: dict) -> dict:
    """eps, min_samples and features from one clustering_diagnostics row.

    The diagnostics may be columns of their own or one JSON document (a column
    whose name contains "json" or "diagnostics"); both are read, columns win.
    """
    merged: dict = {}
    for name, value in row.items():
        if isinstance(value, str) and ("json" in name or "diagnostics" in name):
            try:
                parsed = json.loads(value)
            except ValueError:
                continue
            if isinstance(parsed, dict):
                merged.update(parsed)
    merged.update({k: v for k, v in row.items() if v is not None})
    features = _as_list(merged.get("features_used") or merged.get("features"))
    if merged.get("eps") is None or merged.get("min_samples") is None or not features:
        raise ValueError(f"clustering_diagnostics holds no eps/min_samples/features: {row}")
    return {
        "eps": float(merged["eps"]),
        "min_samples": int(merged["min_samples"]),
        "features": features,
        "fit_method": merged.get("fit_method"),
        "clusters": merged.get("clusters"),
        "noise_share": merged.get("noise_share"),
    }


def read_pipeline_parameters(db_path: Path) -> dict:
    """The clustering parameters of a finished build, read from its warehouse (then closed)."""
    with duckdb.connect(str(db_path), read_only=True) as con:
        cursor = con.execute(f"select * from {DIAGNOSTICS_MODEL} limit 1")
        names = [d[0] for d in cursor.description]
        row = cursor.fetchone()
    if row is None:
        raise ValueError(f"{DIAGNOSTICS_MODEL} is empty")
    return parameters_from_row(dict(zip(names, row, strict=True)))


def adjusted_rand_from_counts(counts: list[tuple[object, object, int]]) -> float:
    """Adjusted Rand index from a contingency table given as (label, truth, count) rows.

    The same index as scikit-learn's `adjusted_rand_score`, computed from
    counts so that 10M customers never cross into Python one by one.
    """

    def pairs(values) -> float:
        return sum(v * (v - 1) / 2 for v in values)

    cells, by_label, by_truth = [], {}, {}
    for label, truth, count in counts:
        cells.append(count)
        by_label[label] = by_label.get(label, 0) + count
        by_truth[truth] = by_truth.get(truth, 0) + count
    total = sum(cells)
    index, label_pairs, truth_pairs = (
        pairs(cells),
        pairs(by_label.values()),
        pairs(by_truth.values()),
    )
    expected = label_pairs * truth_pairs / pairs([total]) if total > 1 else 0.0
    maximum = (label_pairs + truth_pairs) / 2
    if maximum == expected:
        return 1.0
    return (index - expected) / (maximum - expected)


def persona_agreement(db_path: Path, truth_path: Path) -> dict:
    """How well the build's clusters recover the generator's planted personas (truth.csv).

    Noise is one label, as in the clustering tests; customers missing from
    either side are counted, not scored.
    """
    truth = str(truth_path).replace("'", "''")
    with duckdb.connect(str(db_path), read_only=True) as con:
        counts = con.execute(
            f"""
            select clusters.cluster_id, truth.persona, count(*)
            from customer_clusters as clusters
            inner join read_csv('{truth}', all_varchar = true) as truth
                on clusters.customer_id = truth.customer_id
            group by all
            """
        ).fetchall()
        truth_rows = con.execute(f"select count(*) from read_csv('{truth}')").fetchone()[0]
    scored = sum(count for _, _, count in counts)
    return {
        "adjusted_rand": round(adjusted_rand_from_counts(counts), 4),
        "customers_scored": scored,
        "truth_rows": int(truth_rows),
    }


# --- the measured runs -----------------------------------------------------------------


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


def transactions_staging_seconds(run_results: dict) -> float | None:
    """Seconds of the models that stage the transactions file, or None when one is missing."""
    times = {
        result["unique_id"].rsplit(".", 1)[-1]: float(result["execution_time"])
        for result in run_results.get("results", [])
        if result["unique_id"].startswith("model.")
    }
    if not all(name in times for name in TRANSACTIONS_STAGING):
        return None
    return round(sum(times[name] for name in TRANSACTIONS_STAGING), 3)


def run_pipeline(
    data_dir: Path, workdir: Path, caps: dict, dbt_args: list[str], file_format: str = "csv"
) -> dict:
    """A full `dbt build` on `data_dir`, measured; stage times and parameters when it finished."""
    fresh_workdir(workdir)
    dbt = str(Path(sys.executable).with_name("dbt"))
    build_vars = {"raw_data_path": str(data_dir), "raw_file_format": file_format}
    cmd = [dbt, "build", "--vars", json.dumps(build_vars), *dbt_args]
    load_before = load_average()
    measurement = run_measured(
        cmd, log_path=workdir / "dbt_build.log", env=dbt_env(workdir), cwd=PROJECT_DIR, **caps
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
        record["transactions_staging_seconds"] = transactions_staging_seconds(run_results)
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


# --- reporting -------------------------------------------------------------------------


def machine() -> dict:
    """What the numbers ran on, including how busy the machine was."""
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    versions = {
        package: importlib.metadata.version(package)
        for package in ("dbt-core", "dbt-duckdb", "duckdb", "pandas", "scikit-learn", "numpy")
    }
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(memory / GIB, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "versions": versions,
    }


def _status_text(measurement: dict) -> str:
    """`DNF (time cap)` / `DNF (memory cap)` / `failed` for a run that did not finish."""
    return {
        "dnf_time": "DNF (time cap)",
        "dnf_memory": "DNF (memory cap)",
        "failed": "failed",
    }.get(measurement["status"], measurement["status"])


def _time(record: dict | None) -> str:
    if not record:
        return "not run"
    measurement = record["measurement"]
    if measurement["status"] != "ok":
        return f"{_status_text(measurement)} after {measurement['wall_seconds']:.0f} s"
    return f"{measurement['wall_seconds']:.1f} s"


def _memory(record: dict | None) -> str:
    if not record:
        return "-"
    return f"{record['measurement']['peak_rss_bytes'] / GIB:.2f} GiB"


def non_clustering_seconds(pipeline: dict) -> float | None:
    """End-to-end pipeline time minus the clustering model: everything DuckDB and dbt do."""
    if pipeline["measurement"]["status"] != "ok" or "stages" not in pipeline:
        return None
    return pipeline["measurement"]["wall_seconds"] - pipeline["stages"]["clustering"]


def table(rows: list[dict]) -> str:
    """The BENCHMARKS.md tables: the comparison, then where the pipeline's time goes."""
    lines = [
        "| customers | transactions (raw) | pipeline time | pipeline peak memory "
        "| baseline time | baseline peak memory | baseline / pipeline "
        "| DuckDB scan floor | pipeline non-clustering / floor |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        pipeline, baseline, floor = row["pipeline"], row.get("baseline"), row.get("floor")
        ratio = "-"
        if pipeline["measurement"]["status"] != "ok":
            ratio = f"pipeline {_status_text(pipeline['measurement'])}"
        elif baseline:
            if baseline["measurement"]["status"] == "ok":
                speedup = (
                    baseline["measurement"]["wall_seconds"]
                    / pipeline["measurement"]["wall_seconds"]
                )
                ratio = f"{speedup:.1f}x"
            elif baseline["measurement"]["status"].startswith("dnf"):
                ratio = "baseline DNF"
        floor_text, floor_ratio = "-", "-"
        if floor and "result" in floor:
            floor_seconds = floor["result"]["seconds"]
            floor_text = f"{floor_seconds:.1f} s"
            rest = non_clustering_seconds(pipeline)
            if rest is not None and floor_seconds > 0:
                floor_ratio = f"{rest / floor_seconds:.1f}x ({rest:.1f} s)"
        if row.get("baseline_parameters"):
            ratio += f" (parameters scaled from {row['baseline_parameters']['scaled_from']:,})"
        baseline_time = "skipped" if row.get("baseline_skipped") else _time(baseline)
        lines.append(
            f"| {row['customers']:,} | {row['raw_transactions']:,} | {_time(pipeline)} "
            f"| {_memory(pipeline)} | {baseline_time} | {_memory(baseline)} | {ratio} "
            f"| {floor_text} | {floor_ratio} |"
        )
    lines += [
        "",
        "Pipeline stages (seconds, from dbt's `run_results.json`; dbt overhead is the "
        "rest of the wall time: starting, parsing, compiling, connecting):",
        "",
        "| customers | staging | features | clustering | marts | tests | dbt overhead "
        "| clustering fit | clusters | noise share |",
        "|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|",
    ]
    for row in rows:
        stages = row["pipeline"].get("stages")
        params = row["pipeline"].get("parameters", {})
        if not stages:
            continue
        cells = " | ".join(
            f"{stages[name]:.1f}"
            for name in ("staging", "features", "clustering", "marts", "tests", "dbt_overhead")
        )
        noise = params.get("noise_share")
        noise_text = f"{float(noise):.1%}" if noise is not None else "-"
        lines.append(
            f"| {row['customers']:,} | {cells} | {params.get('fit_method') or '-'} "
            f"| {params.get('clusters', '-')} | {noise_text} |"
        )
    return "\n".join([*lines, "", scale_table(rows), "", growth_table(rows)])


def _ratio(value: float | None, reference: float | None) -> str:
    if value is None or not reference:
        return "-"
    return f"{value / reference:.1f}x"


def _gib(count: float | None) -> str:
    return "-" if count is None else f"{count / GIB:.2f} GiB"


def scale_view(row: dict) -> dict:
    """The figures of one row the scale table compares: None where a run gave none."""
    pipeline = row["pipeline"]
    finished = pipeline["measurement"]["status"] == "ok"
    copy_floor = row.get("typed_copy_floor") or {}
    return {
        "wall": pipeline["measurement"]["wall_seconds"] if finished else None,
        "peak": pipeline["measurement"]["peak_rss_bytes"],
        "warehouse": pipeline.get("warehouse_bytes") if finished else None,
        "staging": pipeline.get("transactions_staging_seconds"),
        "copy_floor": copy_floor.get("result", {}).get("seconds"),
    }


def scale_table(rows: list[dict]) -> str:
    """Size on disk, memory and time against the data, and each row's ratio to the 1M row."""
    reference = next((scale_view(r) for r in rows if r["customers"] == LARGE_SIZE), None)
    lines = [
        "Scale (raw input as read, and the same data as CSV and as Parquet; the ratios are "
        "to the 1M row of the same run; load average: one minute, at the build's start and "
        "end):",
        "",
        "| customers | input | raw as CSV | raw as Parquet | warehouse on disk "
        "| warehouse / raw CSV | peak memory | time / 1M | peak / 1M "
        "| transactions staging | typed copy floor | staging / typed copy "
        "| adjusted Rand vs personas | load average |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        view = scale_view(row)
        sizes = row.get("raw_sizes", {})
        data_ratio = (
            f" ({row['customers'] / LARGE_SIZE:g}x the customers)"
            if reference and row["customers"] != LARGE_SIZE
            else ""
        )
        time_ratio = _ratio(view["wall"], reference and reference["wall"])
        peak_ratio = _ratio(view["peak"], reference and reference["peak"])
        staging = "-" if view["staging"] is None else f"{view['staging']:.1f} s"
        copy_floor = "-" if view["copy_floor"] is None else f"{view['copy_floor']:.1f} s"
        agreement = row["pipeline"].get("persona_agreement")
        rand = "-" if agreement is None else f"{agreement['adjusted_rand']:.3f}"
        load = row["pipeline"].get("load_average")
        load_text = f"{load[0]:.2f} -> {load[1]:.2f}" if load else "-"
        lines.append(
            f"| {row['customers']:,} | {row.get('format', 'csv')} "
            f"| {_gib(sizes.get('csv_bytes'))} | {_gib(sizes.get('parquet_bytes'))} "
            f"| {_gib(view['warehouse'])} | {_ratio(view['warehouse'], sizes.get('csv_bytes'))} "
            f"| {_gib(view['peak'])} | {time_ratio}{data_ratio} | {peak_ratio} "
            f"| {staging} | {copy_floor} | {_ratio(view['staging'], view['copy_floor'])} "
            f"| {rand} | {load_text} |"
        )
    return "\n".join(lines)


def node_name(unique_id: str) -> str:
    """A node's name from its dbt unique id (a test's id ends in a hash after its name)."""
    parts = unique_id.split(".")
    return parts[2] if len(parts) > 2 else unique_id


def growth_table(rows: list[dict], count: int = 10) -> str:
    """The nodes that add the most time from the 1M row to the largest row above it.

    Each with both times and their ratio: a ratio well above the ratio of the
    data sizes marks a step that grows faster than the data (a sort, a
    window, a frame of every row), where to look first.
    """
    by_size = {row["customers"]: row["pipeline"].get("node_seconds") for row in rows}
    larger = [size for size, nodes in by_size.items() if size > LARGE_SIZE and nodes]
    if not by_size.get(LARGE_SIZE) or not larger:
        return ""
    top = max(larger)
    small, big = by_size[LARGE_SIZE], by_size[top]
    shared = sorted(set(small) & set(big), key=lambda uid: small[uid] - big[uid])[:count]
    lines = [
        f"Nodes adding the most time from 1,000,000 to {top:,} customers "
        f"({top / LARGE_SIZE:g}x the customers):",
        "",
        f"| node | 1,000,000 | {top:,} | ratio |",
        "|---|---:|---:|---:|",
    ]
    for uid in shared:
        lines.append(
            f"| `{node_name(uid)}` | {small[uid]:.1f} s | {big[uid]:.1f} s "
            f"| {_ratio(big[uid], small[uid])} |"
        )
    return "\n".join(lines)


def update_benchmarks_md(markdown: str, path: Path = BENCHMARKS_MD) -> None:
    """Replace the table between the markers in BENCHMARKS.md."""
    text = path.read_text(encoding="utf-8")
    start, end = text.index(TABLE_START) + len(TABLE_START), text.index(TABLE_END)
    path.write_text(text[:start] + "\n" + markdown + "\n" + text[end:], encoding="utf-8")


# --- entry point -----------------------------------------------------------------------


def scaled_parameters(parameters: dict, from_customers: int, to_customers: int) -> dict:
    """A smaller build's parameters carried to a larger size, for when the larger build failed.

    eps is a distance in standardised units and stays; min_samples counts
    neighbours in the whole input, so it grows with the number of customers.
    """
    scaled = round(parameters["min_samples"] * to_customers / from_customers)
    return {**parameters, "min_samples": max(2, scaled), "scaled_from": from_customers}


def baseline_skip_reason(
    customers: int, file_format: str, args: argparse.Namespace, parameters: dict | None
) -> str | None:
    """Why the baseline does not run on a size, or None when it runs."""
    if args.skip_baseline:
        return "--skip-baseline"
    if file_format != "csv":
        return "the baseline reads CSV only"
    if customers > args.baseline_max_customers:
        return f"above --baseline-max-customers ({args.baseline_max_customers:,})"
    if parameters is None:
        return "the pipeline gave no parameters"
    return None


def benchmark_size(
    customers: int, args: argparse.Namespace, fallback: tuple[int, dict] | None
) -> dict:
    """Measure pipeline, baseline and the two floors on one size; progress goes to stderr.

    `fallback` is (customers, parameters) of a smaller size's build: the
    baseline uses them, scaled, when this size's build gave none.
    """
    caps = run_caps(customers, args)
    file_format = data_format(customers, args.format)
    data_dir = ensure_data(customers, args.seed, args.data_dir, file_format)
    raw = json.loads((data_dir / "manifest.json").read_text(encoding="utf-8"))["raw_rows"]
    workdir = args.results_dir / "runs" / f"customers-{customers}"
    row: dict = {
        "customers": customers,
        "raw_transactions": raw["transactions"],
        "format": file_format,
        "raw_sizes": {
            "input_bytes": sum(
                (data_dir / f"{source}.{file_format}").stat().st_size for source in raw
            ),
            **raw_sizes(data_dir, file_format),
        },
        "caps": caps,
    }
    print(f"[bench] {customers:,} customers ({file_format}): dbt build", file=sys.stderr)
    row["pipeline"] = run_pipeline(data_dir, workdir / "pipeline", caps, args.dbt_args, file_format)
    print(f"[bench]   pipeline: {_time(row['pipeline'])}", file=sys.stderr)
    parameters = row["pipeline"].get("parameters")
    if parameters is None and fallback is not None:
        parameters = scaled_parameters(fallback[1], fallback[0], customers)
        row["baseline_parameters"] = parameters
    skip = baseline_skip_reason(customers, file_format, args, parameters)
    if skip:
        print(f"[bench]   baseline skipped: {skip}", file=sys.stderr)
        row["baseline"], row["baseline_skipped"] = None, skip
    else:
        row["baseline"] = run_baseline(data_dir, workdir, caps, parameters)
        print(f"[bench]   baseline: {_time(row['baseline'])}", file=sys.stderr)
    row["floor"] = run_floor(data_dir, workdir, caps, file_format)
    print(f"[bench]   scan floor: {_time(row['floor'])}", file=sys.stderr)
    row["typed_copy_floor"] = run_typed_copy_floor(data_dir, workdir, caps, file_format)
    print(f"[bench]   typed copy floor: {_time(row['typed_copy_floor'])}", file=sys.stderr)
    return row


def run_caps(customers: int, args: argparse.Namespace) -> dict:
    """The time and memory caps of every run on one size."""
    timeout = args.timeout
    if timeout is None:
        timeout = DEFAULT_TIMEOUT if customers <= LARGE_SIZE else HUGE_TIMEOUT
    return {
        "timeout_seconds": timeout,
        "memory_cap_bytes": int(args.memory_cap_gib * GIB) if args.memory_cap_gib else None,
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run_benchmark", description=__doc__)
    parser.add_argument(
        "--sizes",
        type=lambda text: [int(part) for part in text.split(",")],
        default=list(DEFAULT_SIZES),
        help="comma separated customer counts (default 10000,100000)",
    )
    parser.add_argument("--large", action="store_true", help="also run 1,000,000 customers")
    parser.add_argument(
        "--huge",
        action="store_true",
        help="also run 1,000,000 and 10,000,000 customers (the ratios are to the 1M row)",
    )
    parser.add_argument(
        "--format",
        choices=("auto", "csv", "parquet"),
        default="auto",
        help="raw file format; auto: CSV below 10M customers, Parquet from there",
    )
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--timeout",
        type=float,
        default=None,
        help=f"wall-clock cap per run, s (default {DEFAULT_TIMEOUT:.0f}; "
        f"{HUGE_TIMEOUT:.0f} above 1M customers)",
    )
    parser.add_argument(
        "--memory-cap-gib",
        type=float,
        default=8.0,
        help="resident memory cap per run (process tree)",
    )
    parser.add_argument("--results-dir", type=Path, default=DEFAULT_RESULTS)
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="cache of generated data, one folder per size, seed and format "
        "(default: RESULTS_DIR/data)",
    )
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument(
        "--baseline-max-customers",
        type=int,
        default=LARGE_SIZE,
        help="largest size the baseline runs on (default 1,000,000: it runs out of "
        "8 GiB there already)",
    )
    parser.add_argument(
        "--update-benchmarks-md", action="store_true", help="write the table into BENCHMARKS.md"
    )
    parser.add_argument(
        "--dbt-arg", dest="dbt_args", action="append", default=[], help="extra dbt build argument"
    )
    args = parser.parse_args(argv)
    extra = [LARGE_SIZE] if args.large else []
    extra += [LARGE_SIZE, HUGE_SIZE] if args.huge else []
    args.sizes = sorted({*args.sizes, *extra})
    args.results_dir = args.results_dir.resolve()
    args.data_dir = (args.data_dir or args.results_dir / "data").resolve()
    return args


def main(argv: list[str] | None = None) -> int:
    """Run every size, write the JSON record and the Markdown table."""
    args = parse_args(argv)
    started = datetime.now(UTC)
    before = machine()
    rows: list[dict] = []
    fallback: tuple[int, dict] | None = None
    for customers in args.sizes:
        rows.append(benchmark_size(customers, args, fallback))
        if "parameters" in rows[-1]["pipeline"]:
            fallback = (customers, rows[-1]["pipeline"]["parameters"])
    record = {
        "started": started.isoformat(timespec="seconds"),
        "command": " ".join(["python -m benchmarks.run_benchmark", *(argv or sys.argv[1:])]),
        "caps": {"timeout_seconds": args.timeout, "memory_cap_gib": args.memory_cap_gib},
        "machine": before,
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "rows": rows,
    }
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    args.results_dir.mkdir(parents=True, exist_ok=True)
    (args.results_dir / f"bench-{stamp}.json").write_text(
        json.dumps(record, indent=2) + "\n", encoding="utf-8"
    )
    markdown = table(rows)
    (args.results_dir / "latest.md").write_text(markdown + "\n", encoding="utf-8")
    print(markdown)
    if args.update_benchmarks_md:
        update_benchmarks_md(markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
