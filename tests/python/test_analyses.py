"""The analyses run where docs/for-bi-users.md sends analysts: the published copy.

Every analysis of analyses/ is compiled as the docs say and its SQL run, read-only,
on the published segments.duckdb of the shared pipeline build. A catalog or
schema of the warehouse written into the SQL, or a table that is not
published, fails here; so does a DuckDB variable that no longer chooses what
the analysis reads.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import PipelineBuild
from dbt_project_runner import PROJECT_DIR, DbtResult, run_dbt

from segmentation import publish as pub

ANALYSES = sorted(path.stem for path in (PROJECT_DIR / "analyses").glob("*.sql"))


@pytest.fixture(scope="module")
def compilation(pipeline_build: PipelineBuild, tmp_path_factory) -> DbtResult:
    """The analyses compiled against a copy of the shared build's warehouse, as the docs
    say, with the data-quality gate's tests beside them under a limit every source
    breaks (the gate must not speak when nothing is built or tested)."""
    workdir = tmp_path_factory.mktemp("analyses") / "dbt"
    workdir.mkdir()
    shutil.copy(pipeline_build.result.db_path, workdir / "warehouse.duckdb")
    selected = ["resource_type:analysis", "test_name:reject_share_below_limit"]
    dbt_vars = {"raw_data_path": str(pipeline_build.raw), "max_reject_share": 0.0001}
    result = run_dbt(workdir, ["compile", "--select", *selected], dbt_vars)
    assert result.ok, result.output[-3000:]
    return result


@pytest.fixture(scope="module")
def compiled(compilation: DbtResult) -> dict[str, str]:
    """Each analysis's compiled SQL."""
    folder = compilation.target_path / "compiled" / "customer_segmentation" / "analyses"
    return {name: (folder / f"{name}.sql").read_text() for name in ANALYSES}


@pytest.fixture(scope="module")
def published(pipeline_build: PipelineBuild) -> Path:
    return pipeline_build.workdir / "published" / pub.CURRENT_LINK / pub.DATABASE_FILE


@pytest.mark.parametrize("name", ANALYSES)
def test_an_analysis_runs_on_the_published_copy(compiled, published: Path, name: str) -> None:
    with duckdb.connect(str(published), read_only=True) as con:
        rows = con.execute(compiled[name]).fetchall()
    assert rows, f"{name} found nothing on the published copy"


def test_analyses_read_only_published_tables(pipeline_build: PipelineBuild) -> None:
    manifest = json.loads((pipeline_build.result.target_path / "manifest.json").read_text())
    published_tables = {
        node_id.split(".")[-1]
        for node_id in manifest["nodes"]["model.customer_segmentation.publish_marts"]["depends_on"][
            "nodes"
        ]
    } - {"publish_audit"}
    for node in manifest["nodes"].values():
        if node["resource_type"] == "analysis":
            read = {node_id.split(".")[-1] for node_id in node["depends_on"]["nodes"]}
            assert read <= published_tables, (node["name"], read - published_tables)


def test_a_variable_chooses_the_campaign_segment(compiled, published: Path) -> None:
    with duckdb.connect(str(published), read_only=True) as con:
        [(smallest, customers)] = con.execute(
            "select segment_name, customers from segment_summary"
            " order by customers asc, segment_name limit 1"
        ).fetchall()
        con.execute("set variable campaign_segment = ?", [smallest])
        rows = con.execute(compiled["campaign_target_list"]).fetchall()
    assert len(rows) == customers
    assert {row[1] for row in rows} == {smallest}


def test_compiling_says_nothing_about_the_data_quality_gate(compilation: DbtResult) -> None:
    """`dbt compile` and `dbt docs generate` render the gate's tests too; only a build or a
    test run may speak for them."""
    assert "Data-quality gate" not in compilation.output
