"""Hostile input end to end: texts that are SQL, and files read on machines in other time zones.

One whole build reads Parquet files whose dates are TIMESTAMPTZ, from a folder
whose name holds a quote, braces and a literal {name}, with a noise segment name
and a null marker that are SQL: each text must arrive as written and none of it
run. A second build, of staging only, reads the same files on a machine in
another time zone: the staged rows, the rejects and the as-of date must be the
same (nothing else feeds the marts). The report is written from the first
build, the segment name with `$...$`, `<` and `&` in it.
(test_settings.py refuses the same kind of text in every var that may not hold it.)
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from conftest import (
    PIPELINE_BUILD,
    STAGING_BUILD,
    RawSample,
    append_rows,
    expected_reject_counts,
    reject_counts,
    relation_checksum,
)
from dbt_project_runner import PROJECT_DIR, DbtResult, run_dbt

from raw_data.contract import null_markers
from segmentation import publish as pub
from segmentation.report import write_report

# A folder name SQL, Python's str.format and a glob would each take for their own.
FOLDER = "export {2024} {name} o'brien; drop"
# Each would run its own statement if pasted into SQL unquoted.
INJECTED = "create table injected as select 1"
NOISE_NAME = f"Kunden's $Ausreißer$ <b>&amp; '); {INJECTED}; --"
MARKER = f"n/a'); {INJECTED}; --"
# Every var whose rule lets it hold any text (macros/validate_vars.sql) is built here with
# SQL in it; every other var refuses such a value (test_settings.py).
TEXT_VARS_BUILT_HERE = {"raw_data_path", "segment_noise_name", "id_null_markers"}
# Two machines far apart: a purchase late in the UTC evening falls on another
# calendar day in each, unless the session time zone is pinned.
TIME_ZONES = ("Asia/Tokyo", "America/Los_Angeles")
STAGED = (
    "stg_raw__transactions",
    "stg_raw__demographics",
    "stg_raw__credit_profiles",
    "stg_raw__as_of_date",
    "rejected_rows",
)
# The date columns written as TIMESTAMPTZ: what a warehouse export typically writes.
TIMESTAMPTZ_COLUMNS = {
    "transactions": ["transaction_date"],
    "demographics": ["updated_at"],
    "credit_profiles": ["snapshot_date"],
}


@dataclass(frozen=True)
class HostileBuilds:
    raw: Path
    workdir: Path
    built: DbtResult
    other_time_zone: DbtResult


def _to_parquet_with_time_zones(csv_dir: Path, out: Path) -> None:
    """The raw CSV files as Parquet, their dates as UTC instants (TIMESTAMPTZ)."""
    out.mkdir(parents=True)
    with duckdb.connect() as con:
        con.execute("set TimeZone = 'UTC'")
        for source, columns in TIMESTAMPTZ_COLUMNS.items():
            csv_path = str(csv_dir / f"{source}.csv").replace("'", "''")
            parquet_path = str(out / f"{source}.parquet").replace("'", "''")
            typed = ", ".join(
                f"try_cast(trim({column}) as timestamptz) as {column}" for column in columns
            )
            con.execute(
                f"copy (select * replace ({typed}) from read_csv('{csv_path}',"
                f" all_varchar = true, header = true)) to '{parquet_path}' (format parquet)"
            )


def _hostile_vars(raw: Path) -> dict:
    return {
        "raw_data_path": str(raw),
        "raw_file_format": "parquet",
        "segment_noise_name": NOISE_NAME,
        "id_null_markers": [*null_markers(), MARKER],
    }


@pytest.fixture(scope="module")
def hostile(raw_sample: RawSample, tmp_path_factory: pytest.TempPathFactory) -> HostileBuilds:
    root = tmp_path_factory.mktemp("hostile")
    csv_dir = raw_sample.copy_to(root / "csv")
    planted = {"transaction_id": "T-MARKER", "customer_id": MARKER, "amount": "1"}
    append_rows(csv_dir / "transactions.csv", [{**planted, "transaction_date": "2026-01-01"}])
    raw = root / FOLDER
    _to_parquet_with_time_zones(csv_dir, raw)
    workdir = root / "dbt"
    built = run_dbt(workdir, PIPELINE_BUILD, _hostile_vars(raw), env={"TZ": TIME_ZONES[0]})
    assert built.ok, built.output[-4000:]
    other = run_dbt(
        root / "dbt-other-zone", STAGING_BUILD, _hostile_vars(raw), env={"TZ": TIME_ZONES[1]}
    )
    assert other.ok, other.output[-4000:]
    return HostileBuilds(raw, workdir, built, other)


def test_every_var_that_may_hold_any_text_is_built_here() -> None:
    rules = (PROJECT_DIR / "macros" / "validate_vars.sql").read_text()
    free = set(re.findall(r"\{'var': '([a-z0-9_]+)', 'is': 'texts?'(?!, 'pattern')", rules))
    assert free <= TEXT_VARS_BUILT_HERE
    assert "segment_noise_name" in TEXT_VARS_BUILT_HERE, "its pattern lets quotes through"


def test_the_folder_is_read_as_named(hostile: HostileBuilds, raw_sample: RawSample) -> None:
    folder = str(hostile.raw)
    assert hostile.built.query("select raw_data_path, transactions_file from build_metadata") == [
        (folder, f"{folder}/transactions.parquet")
    ]
    expected = expected_reject_counts(raw_sample.manifest)
    expected["transactions"]["null_marker_id"] += 1
    assert reject_counts(hostile.built) == expected


def test_sql_in_a_name_or_a_marker_is_text_and_never_runs(hostile: HostileBuilds) -> None:
    assert hostile.built.query(
        "select distinct base_segment_name from segment_summary where cluster_id < 0"
    ) == [(NOISE_NAME,)]
    assert hostile.built.query(
        "select reject_reason from rejected_rows where record_key = 'T-MARKER'"
    ) == [("null_marker_id",)]
    published = hostile.workdir / "published" / pub.CURRENT_LINK / pub.DATABASE_FILE
    for database in (hostile.built.db_path, published):
        with duckdb.connect(str(database), read_only=True) as con:
            found = con.execute("select table_name from duckdb_tables()").fetchall()
        tables = {name for (name,) in found}
        assert "injected" not in tables, database


def test_two_time_zones_stage_the_same_rows(hostile: HostileBuilds, raw_sample: RawSample) -> None:
    """Dates read from TIMESTAMPTZ are UTC dates, wherever the build runs."""
    as_of = raw_sample.manifest["parameters"]["as_of_date"]
    for result in (hostile.built, hostile.other_time_zone):
        assert result.query("select cast(as_of_date as varchar) from stg_raw__as_of_date") == [
            (as_of,)
        ]
    checksums = []
    for result in (hostile.built, hostile.other_time_zone):
        with duckdb.connect(str(result.db_path), read_only=True) as con:
            checksums.append({name: relation_checksum(con, name) for name in STAGED})
    assert checksums[0] == checksums[1]


def test_the_report_shows_a_name_as_written(hostile: HostileBuilds, tmp_path: Path) -> None:
    """`$...$` never reaches matplotlib's math parser; `<` and `&` are escaped in the HTML."""
    page = write_report(hostile.built.db_path, tmp_path / "report.html").read_text()
    descriptions = page.split('id="segment-descriptions"')[1].split("</section>")[0]
    assert html.escape(NOISE_NAME) in descriptions
    assert "<b>" not in page
    assert page.count("data:image/png;base64,") >= 4
