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
   then, on the warehouse it left, a `dbt build` in score mode (var
   clustering_mode: score: every customer assigned with the fit the full
   build stored; `--skip-score` leaves it out);
2. the baseline (`benchmarks.baseline_notebook`) with the eps, min_samples
   and features the pipeline chose, read from its `clustering_diagnostics`
   (CSV input up to `--baseline-max-customers` only: it reads CSV with
   pandas, which runs out of the memory cap above that size);
3. the scan floor (`benchmarks.scan_floor`): DuckDB reading the raw files once;
4. the typed copy floor (`benchmarks.typed_copy_floor`): DuckDB writing a
   typed copy of the transactions file with the row-level reject reasons.

The raw input's size is reported as CSV and as Parquet whatever the format
read (`benchmarks.raw_sizes`), and the larger sizes as ratios to the 1M row
of the same run.

It writes a JSON record and a Markdown table to the results directory
(git-ignored) and, with `--update-benchmarks-md`, puts the table into
BENCHMARKS.md. Nothing here asserts a timing: the targets are read off the table.

Here: the command line and the loop over sizes. `benchmarks.runs` runs and
measures, `benchmarks.build_results` reads what a finished build tells
(stage times, parameters, persona agreement), `benchmarks.tables` writes
the Markdown.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.measure import GIB
from benchmarks.raw_sizes import raw_sizes
from benchmarks.runs import (
    DEFAULT_SIZES,
    DEFAULT_TIMEOUT,
    HUGE_SIZE,
    HUGE_TIMEOUT,
    LARGE_SIZE,
    PROJECT_DIR,
    data_format,
    ensure_data,
    run_baseline,
    run_floor,
    run_pipeline,
    run_score_build,
    run_typed_copy_floor,
)
from benchmarks.tables import table, time_text, update_benchmarks_md

DEFAULT_RESULTS = PROJECT_DIR / "benchmarks" / "results"


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
    print(f"[bench]   pipeline: {time_text(row['pipeline'])}", file=sys.stderr)
    if args.skip_score or row["pipeline"]["measurement"]["status"] != "ok":
        row["score"] = None
    else:
        print("[bench]   dbt build in score mode on that warehouse", file=sys.stderr)
        row["score"] = run_score_build(
            data_dir, workdir / "pipeline", caps, args.dbt_args, file_format
        )
        print(f"[bench]   score build: {time_text(row['score'])}", file=sys.stderr)
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
        print(f"[bench]   baseline: {time_text(row['baseline'])}", file=sys.stderr)
    row["floor"] = run_floor(data_dir, workdir, caps, file_format)
    print(f"[bench]   scan floor: {time_text(row['floor'])}", file=sys.stderr)
    row["typed_copy_floor"] = run_typed_copy_floor(data_dir, workdir, caps, file_format)
    print(f"[bench]   typed copy floor: {time_text(row['typed_copy_floor'])}", file=sys.stderr)
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
        "--skip-score",
        action="store_true",
        help="skip the score-mode build after the full build (clustering_mode: score)",
    )
    parser.add_argument(
        "--baseline-max-customers",
        type=int,
        default=LARGE_SIZE,
        help="largest size the baseline runs on (default 1,000,000: it runs out of "
        "the default memory cap there already)",
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
