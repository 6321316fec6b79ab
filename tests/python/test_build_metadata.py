"""build_metadata: the row the report's header reads (a bad currency: test_settings.py)."""

from __future__ import annotations

from conftest import PipelineBuild
from dbt_project_runner import run_dbt


def test_build_metadata_records_the_raw_data_and_currency_read(
    pipeline_build: PipelineBuild,
) -> None:
    """One row naming the folder the build read (the var as given) and the default currency."""
    rows = pipeline_build.result.query(
        "select raw_data_path, raw_file_format, transactions_file, currency,"
        " built_at is not null from build_metadata"
    )
    raw = str(pipeline_build.raw)
    assert rows == [(raw, "csv", f"{raw}/transactions.csv", "EUR", True)]


def test_the_currency_var_is_recorded_as_given(tmp_path) -> None:
    result = run_dbt(tmp_path, ["run", "--select", "build_metadata"], {"currency": "GBP"})
    assert result.ok, result.output[-2000:]
    assert result.query("select currency from build_metadata") == [("GBP",)]
