"""Shared fixtures for the end-to-end tests of dirty input, reruns, personal data and contracts.

A dbt invocation costs seconds of start-up, so the raw data is generated once
per session (a few hundred customers) and copied per case, and one whole
pipeline build on it is shared by every test that only reads the result.
"""

from __future__ import annotations

import csv
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from dbt_project_runner import DbtResult, run_dbt

from segmentation.generate import generate

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
