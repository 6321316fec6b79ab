"""Shared fixtures for the end-to-end tests of dirty input, reruns, personal data and contracts.

A dbt invocation costs seconds of start-up, so the raw data is generated once
per session (a few hundred customers) and copied per case, and one whole
pipeline build on it is shared by every test that only reads the result.
"""

from __future__ import annotations

import csv
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from dbt_project_runner import DbtResult, run_dbt

from raw_data.generate import generate
from segmentation import publish as pub

SAMPLE_CUSTOMERS = 300
SAMPLE_SEED = 5
RAW_FILES = ("transactions.csv", "demographics.csv", "credit_profiles.csv")
# Unit tests do not read the raw files; `make dbt-test` runs them once.
PIPELINE_BUILD = ["build", "--exclude", "resource_type:unit_test"]
# Cautious: a test that also reads a later layer (not built here) is left out.
STAGING_BUILD = [
    "build",
    "--select",
    "+staging",
    "--indirect-selection",
    "cautious",
    "--exclude",
    "resource_type:unit_test",
]

# Customers the generator may or may not produce by chance; planted so that
# "a customer is anyone present in any source" is always exercised.
ONE_SOURCE_CUSTOMERS = {
    "transactions": "C-ONLY-TRANSACTIONS",
    "demographics": "C-ONLY-DEMOGRAPHICS",
    "credit_profiles": "C-ONLY-CREDIT",
}


@dataclass(frozen=True)
class RawSample:
    """Generated raw files and the generator's manifest (the oracle for reject counts)."""

    path: Path
    manifest: dict

    def copy_to(self, destination: Path) -> Path:
        """The three raw files copied into `destination`, ready to be spoiled."""
        destination.mkdir(parents=True, exist_ok=True)
        for name in RAW_FILES:
            shutil.copyfile(self.path / name, destination / name)
        return destination


@dataclass(frozen=True)
class PipelineBuild:
    """One whole `dbt build` on the sample (plus the one-source customers)."""

    raw: Path
    workdir: Path
    result: DbtResult


@pytest.fixture(scope="session")
def raw_sample(tmp_path_factory: pytest.TempPathFactory) -> RawSample:
    out = tmp_path_factory.mktemp("raw_sample")
    manifest = generate(SAMPLE_CUSTOMERS, SAMPLE_SEED, out, "csv")
    return RawSample(out, manifest)


def csv_field(value: str | None) -> str:
    """One CSV field: None is written unquoted and empty, which DuckDB reads as null."""
    if value is None:
        return ""
    return '"' + value.replace('"', '""') + '"'


def append_rows(path: Path, rows: list[dict[str, str | None]]) -> None:
    """Append rows to a raw CSV file, in the column order of its header."""
    with path.open(encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle))
    lines = [",".join(csv_field(row.get(column)) for column in header) for row in rows]
    with path.open("a", encoding="utf-8", newline="") as handle:
        handle.write("".join(line + "\n" for line in lines))


def plant_one_source_customers(raw_dir: Path) -> None:
    """Add one customer present only in transactions, one only in demographics, one only
    in credit_profiles, each with otherwise clean values."""
    append_rows(
        raw_dir / "transactions.csv",
        [
            {
                "transaction_id": "T-ONLY-TRANSACTIONS",
                "customer_id": ONE_SOURCE_CUSTOMERS["transactions"],
                "transaction_date": "2026-03-01",
                "amount": "42.00",
                "quantity": "1",
                "product_category": "books",
                "channel": "web",
                "payment_method": "card",
            }
        ],
    )
    append_rows(
        raw_dir / "demographics.csv",
        [
            {
                "customer_id": ONE_SOURCE_CUSTOMERS["demographics"],
                "birth_date": "1980-05-05",
                "gender": "f",
                "annual_income": "50000",
                "region": "London",
                "signup_date": "2020-01-01",
                "updated_at": "2025-01-01 10:00:00",
                "email": "only.demographics@example.com",
                "full_name": "Onlie Demographics",
            }
        ],
    )
    append_rows(
        raw_dir / "credit_profiles.csv",
        [
            {
                "customer_id": ONE_SOURCE_CUSTOMERS["credit_profiles"],
                "snapshot_date": "2026-05-01",
                "credit_limit": "5000.00",
                "balance": "100.00",
                "missed_payments_12m": "0",
                "credit_score": "700",
            }
        ],
    )


def reject_counts(result: DbtResult) -> dict[str, dict[str, int]]:
    """Rejected rows per source and reason, shaped like the generator's manifest."""
    counts: dict[str, dict[str, int]] = {}
    rows = result.query(
        "select source_name, reject_reason, count(*) from rejected_rows group by all"
    )
    for source, reason, count in rows:
        counts.setdefault(source, {})[reason] = count
    return counts


def expected_reject_counts(manifest: dict) -> dict[str, dict[str, int]]:
    """The manifest's expected rejects without its zero entries (rejected_rows has none)."""
    return {
        source: {reason: n for reason, n in reasons.items() if n}
        for source, reasons in manifest["expected_rejected_rows"].items()
    }


def assert_clean_failure(result: DbtResult, *expected: str) -> None:
    """The build failed with a message holding every `expected` text, not a stack trace."""
    assert not result.ok, result.output[-3000:]
    for text in expected:
        assert text in result.output, f"{text!r} not in output:\n{result.output[-3000:]}"
    assert "Traceback" not in result.output, result.output[-3000:]


@pytest.fixture(scope="session")
def pipeline_build(raw_sample: RawSample, tmp_path_factory: pytest.TempPathFactory):
    """The whole pipeline built once on the sample plus the one-source customers."""
    root = tmp_path_factory.mktemp("pipeline")
    raw = raw_sample.copy_to(root / "raw")
    plant_one_source_customers(raw)
    workdir = root / "dbt"
    result = run_dbt(workdir, PIPELINE_BUILD, {"raw_data_path": str(raw)})
    assert result.ok, result.output[-4000:]
    return PipelineBuild(raw, workdir, result)


# Wall-clock timings (clustering_diagnostics' *_seconds) and the build's own
# identity (build_metadata's invocation id and start time) differ between any
# two runs by nature; every other column of every mart must be identical.
TIMING_SUFFIX = "_seconds"
PER_RUN_COLUMNS = frozenset({"dbt_invocation_id", "built_at"})

Checksum = tuple[tuple[tuple[str, str], ...], int, str]


def mart_names(result: DbtResult) -> list[str]:
    """The tables a build writes for its readers, from the manifest this invocation wrote:
    every SQL model after staging but the intermediate ones and the per-run audit."""
    manifest = json.loads((result.target_path / "manifest.json").read_text())
    return sorted(
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
        and node["language"] == "sql"
        and not node["original_file_path"].startswith("models/staging/")
        and not node["name"].startswith("int_")
        and node["name"] != "publish_audit"
    )


def contracted_models(result: DbtResult) -> set[str]:
    """The models whose contract is enforced, from the manifest this invocation wrote."""
    manifest = json.loads((result.target_path / "manifest.json").read_text())
    return {
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["config"].get("contract", {}).get("enforced")
    }


def publishes(result: DbtResult) -> bool:
    """Whether this project version publishes marts for BI (publish_marts is enabled)."""
    manifest = json.loads((result.target_path / "manifest.json").read_text())
    return "model.customer_segmentation.publish_marts" in manifest["nodes"]


def relation_checksum(con: duckdb.DuckDBPyConnection, relation: str) -> Checksum:
    """Column names and types, row count, and an md5 over the rows sorted as text.

    Rows are compared as a set (a table has no order); doubles print in their
    shortest round-trip form, so equal text means equal bits.
    """
    columns = tuple(
        (name, data_type)
        for name, data_type, *_ in con.execute(f"describe select * from {relation}").fetchall()
    )
    compared = ", ".join(
        f'"{name}"'
        for name, _ in columns
        if not name.endswith(TIMING_SUFFIX) and name not in PER_RUN_COLUMNS
    )
    [(rows, digest)] = con.execute(
        "select count(*), md5(coalesce(string_agg(row_text, chr(10) order by row_text), ''))"
        f" from (select cast(row({compared}) as varchar) as row_text from {relation})"
    ).fetchall()
    return columns, rows, digest


def mart_checksums(result: DbtResult) -> dict[str, Checksum]:
    """A checksum of every mart in the warehouse the invocation built."""
    with duckdb.connect(str(result.db_path), read_only=True) as con:
        return {name: relation_checksum(con, name) for name in mart_names(result)}


def published_checksums(publish_dir: Path) -> dict[str, Checksum]:
    """A checksum of every table the `current` published version lists, from its Parquet
    file and from its DuckDB file. Reading fails if either is missing or half-written."""
    current = publish_dir / pub.CURRENT_LINK
    listed = json.loads((current / pub.MANIFEST_FILE).read_text())["tables"]
    checksums: dict[str, Checksum] = {}
    with duckdb.connect(str(current / pub.DATABASE_FILE), read_only=True) as con:
        for entry in listed:
            table = entry["table_name"]
            parquet = str(current / f"{table}.parquet").replace("'", "''")
            checksums[f"{table}.parquet"] = relation_checksum(con, f"read_parquet('{parquet}')")
            checksums[f"{pub.DATABASE_FILE}:{table}"] = relation_checksum(con, f'"{table}"')
            assert checksums[f"{table}.parquet"][1] == entry["row_count"], table
    return checksums
