"""The clustering's warnings last: in dbt's log, in the build's output and summary, and in
clustering_diagnostics.warnings; dbt counts them, and the summary counts as dbt does.

The end-to-end case rebuilds the Python model and the diagnostics (with their
tests) on a copy of the shared pipeline build whose customer_features lost
every credit utilisation, so clustering leaves that feature out with a warning.
"""

from __future__ import annotations

import logging
import shutil

import duckdb
import pytest
from conftest import PipelineBuild
from dbt_project_runner import run_dbt

from segmentation.dbt_logging import LOGGER_NAME, captured_warnings

WARNING = "clustering feature credit_utilisation left out: entirely null"


def test_captured_warnings_collects_children_and_restores_the_logger() -> None:
    logger = logging.getLogger(LOGGER_NAME)
    handlers, propagate = list(logger.handlers), logger.propagate
    with captured_warnings() as warnings:
        logging.getLogger(f"{LOGGER_NAME}.features").warning("feature %s left out", "x")
        logging.getLogger(f"{LOGGER_NAME}.clustering").info("not a warning")
    assert warnings == ["feature x left out"]
    assert (logger.handlers, logger.propagate) == (handlers, propagate)


@pytest.fixture(scope="module")
def warned(pipeline_build: PipelineBuild, tmp_path_factory: pytest.TempPathFactory):
    workdir = tmp_path_factory.mktemp("warned") / "dbt"
    workdir.mkdir()
    shutil.copy(pipeline_build.result.db_path, workdir / "warehouse.duckdb")
    with duckdb.connect(str(workdir / "warehouse.duckdb")) as con:
        con.execute("update customer_features set credit_utilisation = null")
    result = run_dbt(
        workdir,
        ["build", "--select", "customer_clusters_dbscan", "clustering_diagnostics"],
        {"raw_data_path": str(pipeline_build.raw)},
    )
    assert result.ok, result.output[-3000:]
    return result, workdir


def test_a_clustering_warning_is_kept_with_the_diagnostics(warned) -> None:
    result, _ = warned
    [(warnings,)] = result.query("select warnings from clustering_diagnostics")
    assert warnings == [WARNING]


def test_a_clustering_warning_reaches_dbt_log_and_the_summary(warned) -> None:
    result, workdir = warned
    assert WARNING in (workdir / "logs" / "dbt.log").read_text()
    summary = result.output[result.output.index("Build summary:") :]
    assert f"- clustering: {WARNING}" in summary
    assert f"WARNING:{LOGGER_NAME}" not in result.output, "no raw stderr copy"


def test_the_summary_counts_the_warnings_dbt_counts(warned) -> None:
    """dbt's closing lines and the summary above them give the same number of warnings."""
    result, _ = warned
    summary = result.output[result.output.index("Build summary:") :]
    assert "warnings: 1 (as dbt counts them below):" in summary, summary
    assert "WARN=1 " in result.output.splitlines()[-1], result.output[-2000:]
    assert "Warning in test assert_clustering_has_no_warnings" in result.output
