"""The floor: how long DuckDB alone takes to read the raw files once.

Usage::

    python -m benchmarks.scan_floor --data DIR [--format csv|parquet] [--report out.json]

Every column of every source is read with the options the dbt sources use
(`models/staging/_raw__sources.yml`: CSV as all text), and each column is
counted so no reader can skip it. No pipeline can clean data faster than it
can read it, so the pipeline's time over this one says how much the
cleaning, features and marts cost on top of the input itself.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import duckdb

from benchmarks.json_report import emit

SOURCES = ("transactions", "demographics", "credit_profiles")


def read_expression(path: Path, file_format: str) -> str:
    """The table function the dbt source uses for one raw file, with the path quoted for SQL."""
    quoted = str(path).replace("'", "''")
    if file_format == "parquet":
        return f"read_parquet('{quoted}', union_by_name = true)"
    return (
        f"read_csv('{quoted}', all_varchar = true, header = true, delim = ',', "
        "quote = '\"', union_by_name = true)"
    )


def scan_query(con: duckdb.DuckDBPyConnection, source: str) -> str:
    """A query reading every column of `source` once: a row count and a count per column."""
    columns = [row[0] for row in con.execute(f"describe select * from {source}").fetchall()]
    counts = ", ".join(f'count("{name}")' for name in columns)
    return f"select count(*), {counts} from {source}"


def scan(data_dir: Path, file_format: str = "csv", threads: int | None = None) -> dict:
    """Scan the three raw files of `data_dir` once each; seconds and rows per source."""
    results: dict[str, dict] = {}
    with duckdb.connect(":memory:") as con:
        if threads:
            con.execute(f"set threads = {int(threads)}")
        total_started = time.perf_counter()
        for source in SOURCES:
            path = data_dir / f"{source}.{file_format}"
            if not path.exists():
                raise FileNotFoundError(f"raw file {path} not found")
            reader = read_expression(path, file_format)
            con.execute(f"create view {source} as select * from {reader}")
            started = time.perf_counter()
            rows = con.execute(scan_query(con, source)).fetchone()[0]
            results[source] = {
                "rows": int(rows),
                "seconds": round(time.perf_counter() - started, 3),
                "bytes": path.stat().st_size,
            }
        total = time.perf_counter() - total_started
    return {"seconds": round(total, 3), "sources": results}


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: print (and optionally write) the scan times as JSON."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scan_floor", description=__doc__)
    parser.add_argument("--data", type=Path, required=True, help="directory of the raw files")
    parser.add_argument("--format", choices=("csv", "parquet"), default="csv")
    parser.add_argument("--threads", type=int, default=None, help="DuckDB threads (default: all)")
    parser.add_argument("--report", type=Path, default=None, help="also write the JSON here")
    args = parser.parse_args(argv)
    result = scan(args.data, args.format, args.threads)
    emit(result, args.report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
