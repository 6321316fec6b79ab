"""The typed copy floor: DuckDB alone writing a typed, screened copy of the transactions file.

Usage::

    python -m benchmarks.typed_copy_floor --data DIR --db copy.duckdb \
        [--format csv|parquet] [--report out.json]

One CREATE TABLE AS reads `transactions.<format>` with the dbt source's read
options, types every column the way `base_raw__transactions` does (trimmed
ids, timestamp, decimal amount, integer quantity) and gives each row its
row-level reject reason (a repeated header line, missing ids or null markers,
unparsable or implausible date,
non-numeric or out-of-range amount: the reasons before `duplicate` in
CONTRIBUTING.md), into a fresh database file with the build's DuckDB memory
limit and compression settings. The transactions staging models do that
and more (numbering lines, duplicates, future dates, folding free text),
so their time over this one says what the rest of staging costs on top of
the cheapest typed copy DuckDB can write. The scan floor
(`benchmarks.scan_floor`) only reads.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import duckdb

from benchmarks.json_report import emit
from benchmarks.project_vars import project_vars
from benchmarks.scan_floor import read_expression
from raw_data.contract import column_names

# The build's defaults (dbt_project.yml vars min_valid_date and max_abs_amount,
# profiles.yml memory_limit): the floor screens and spills like the build does.
MIN_VALID_DATE = str(project_vars()["min_valid_date"])
MAX_ABS_AMOUNT = project_vars()["max_abs_amount"]
NULL_MARKERS = [str(marker).lower() for marker in project_vars()["id_null_markers"]]
MEMORY_LIMIT_ENV = "SEGMENTATION_DUCKDB_MEMORY_LIMIT"
DEFAULT_MEMORY_LIMIT = "3GB"


def typed_copy_sql(reader: str, min_valid_date: str, max_abs_amount: float) -> str:
    """The single CREATE TABLE AS: casts as in base_raw__transactions, the row-level reasons."""
    markers = ", ".join("'" + marker.replace("'", "''") + "'" for marker in NULL_MARKERS) or "null"
    # The header line again: customer_id reads customer_id, every other column its name or null.
    header = " and ".join(
        f"coalesce(lower(trim({name})) = '{name}', {str(name != 'customer_id').lower()})"
        for name in column_names()["transactions"]
    )
    return f"""
create table typed_transactions as
select
    * exclude (is_header),
    case
        when is_header then 'repeated_header'
        when customer_id is null then 'missing_customer_id'
        when transaction_id is null then 'missing_transaction_id'
        when lower(customer_id) in ({markers}) or lower(transaction_id) in ({markers})
            then 'null_marker_id'
        when transaction_at is null then 'unparsable_date'
        when transaction_at < date '{min_valid_date}' then 'implausible_date'
        when amount_number is null or not isfinite(amount_number) then 'non_numeric_amount'
        when abs(amount_number) > {max_abs_amount} then 'amount_out_of_range'
    end as row_reject_reason
from (
    select
        nullif(trim(transaction_id), '') as transaction_id,
        nullif(trim(customer_id), '') as customer_id,
        try_cast(trim(transaction_date) as timestamp) as transaction_at,
        try_cast(trim(amount) as double) as amount_number,
        try_cast(trim(amount) as decimal(18, 2)) as amount,
        try_cast(trim(quantity) as integer) as quantity,
        product_category,
        channel,
        payment_method,
        {header} as is_header
    from {reader}
) as typed
"""


def typed_copy(
    data_dir: Path,
    db_path: Path,
    file_format: str = "csv",
    memory_limit: str = DEFAULT_MEMORY_LIMIT,
) -> dict:
    """Write the typed copy into a fresh `db_path`; seconds, rows and rejects per reason.

    The database file is removed afterwards: only the time is wanted, and the
    copy is as large as the transactions.
    """
    source = data_dir / f"transactions.{file_format}"
    if not source.exists():
        raise FileNotFoundError(f"raw file {source} not found")
    for stale in (db_path, db_path.with_name(db_path.name + ".wal")):
        stale.unlink(missing_ok=True)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    sql = typed_copy_sql(read_expression(source, file_format), MIN_VALID_DATE, MAX_ABS_AMOUNT)
    try:
        with duckdb.connect(str(db_path)) as con:
            con.execute(f"set memory_limit = '{memory_limit}'")
            # As base_raw__transactions writes it (macro without_fsst_hooks).
            con.execute("set disabled_compression_methods = 'fsst,dict_fsst'")
            started = time.perf_counter()
            con.execute(sql)
            con.execute("checkpoint")
            seconds = time.perf_counter() - started
            table_bytes = db_path.stat().st_size
            rejects = con.execute(
                "select row_reject_reason, count(*) from typed_transactions "
                "where row_reject_reason is not null group by all order by all"
            ).fetchall()
            rows = con.execute("select count(*) from typed_transactions").fetchone()[0]
    finally:
        for made in (db_path, db_path.with_name(db_path.name + ".wal")):
            made.unlink(missing_ok=True)
    return {
        "seconds": round(seconds, 3),
        "rows": int(rows),
        "database_bytes": table_bytes,
        "row_rejects": {reason: int(count) for reason, count in rejects},
        "memory_limit": memory_limit,
    }


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: print (and optionally write) the copy's time as JSON."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.typed_copy_floor", description=__doc__
    )
    parser.add_argument("--data", type=Path, required=True, help="directory of the raw files")
    parser.add_argument("--db", type=Path, required=True, help="scratch database file")
    parser.add_argument("--format", choices=("csv", "parquet"), default="csv")
    parser.add_argument("--report", type=Path, default=None, help="also write the JSON here")
    args = parser.parse_args(argv)
    memory_limit = os.environ.get(MEMORY_LIMIT_ENV) or DEFAULT_MEMORY_LIMIT
    result = typed_copy(args.data, args.db, args.format, memory_limit)
    emit(result, args.report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
