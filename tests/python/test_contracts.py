"""Contracts bite: a model change that breaks a mart's contract fails, and BI keeps the old table.

Each case copies the project, breaks one mart's final select (the style guide
ends every model with `select * from final`), and runs just that mart against
a copy of the shared pipeline build's warehouse, whose parents are all there.
The run must fail with dbt's contract error (or the contract's primary key
constraint) naming the column, and the mart in the warehouse must be the
one from before.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from conftest import Checksum, PipelineBuild, relation_checksum
from dbt_project_runner import PROJECT_DIR, run_dbt

# What dbt needs to parse and run the project (segmentation: the profile's module_paths;
# docs: the doc blocks); the rest (virtualenv, data, benchmarks, build output) stays behind.
PROJECT_PARTS = (
    "models",
    "macros",
    "seeds",
    "snapshots",
    "tests",
    "analyses",
    "segmentation",
    "docs",
)
FINAL_SELECT = "select * from final"
CONTRACT_FAILED = "This model has an enforced contract that failed"


@dataclass(frozen=True)
class Breakage:
    """One way to break a mart: its final select replaced by `replacement`."""

    name: str
    model: str
    replacement: str
    expected: tuple[str, ...]


BREAKAGES = [
    Breakage(
        "type change",
        "customer_segments",
        "select * replace (cast(cluster_id as varchar) as cluster_id) from final",
        (CONTRACT_FAILED, "cluster_id", "data type mismatch"),
    ),
    Breakage(
        "dropped column",
        "segment_summary",
        "select * exclude (customer_share) from final",
        (CONTRACT_FAILED, "customer_share", "missing in definition"),
    ),
    Breakage(
        "duplicate key",
        "customer_features",
        "select * from final union all (select * from final limit 1)",
        ("customer_features", "PRIMARY KEY or UNIQUE constraint violation", "duplicate key"),
    ),
]


@dataclass(frozen=True)
class ProjectCopy:
    """A copy of the project and a warehouse to run it against."""

    project_dir: Path
    workdir: Path
    raw: Path


@pytest.fixture(scope="module")
def project_copy(
    pipeline_build: PipelineBuild, tmp_path_factory: pytest.TempPathFactory
) -> ProjectCopy:
    root = tmp_path_factory.mktemp("contracts")
    project_dir = root / "project"
    project_dir.mkdir()
    shutil.copy(PROJECT_DIR / "dbt_project.yml", project_dir)
    for part in PROJECT_PARTS:
        if (PROJECT_DIR / part).is_dir():
            shutil.copytree(
                PROJECT_DIR / part, project_dir / part, ignore=shutil.ignore_patterns("python")
            )
    workdir = root / "dbt"
    workdir.mkdir()
    # run_dbt names every warehouse file alike, so the views' catalog name still matches.
    shutil.copy(pipeline_build.result.db_path, workdir / "warehouse.duckdb")
    return ProjectCopy(project_dir, workdir, pipeline_build.raw)


def _model_path(copy: ProjectCopy, model: str) -> Path:
    [path] = (copy.project_dir / "models").rglob(f"{model}.sql")
    return path


def _checksum(database: Path, model: str) -> Checksum:
    with duckdb.connect(str(database), read_only=True) as con:
        return relation_checksum(con, model)


@pytest.mark.parametrize("breakage", BREAKAGES, ids=lambda b: f"{b.model}: {b.name}")
def test_breaking_a_mart_contract_fails_and_keeps_the_old_table(
    project_copy: ProjectCopy, breakage: Breakage
) -> None:
    path = _model_path(project_copy, breakage.model)
    original = path.read_text(encoding="utf-8")
    assert original.count(FINAL_SELECT) == 1, f"{path.name} does not end in `{FINAL_SELECT}`"
    path.write_text(original.replace(FINAL_SELECT, breakage.replacement), encoding="utf-8")
    database = project_copy.workdir / "warehouse.duckdb"
    before = _checksum(database, breakage.model)
    try:
        result = run_dbt(
            project_copy.workdir,
            ["run", "--select", breakage.model],
            {"raw_data_path": str(project_copy.raw)},
            project_dir=project_copy.project_dir,
        )
    finally:
        path.write_text(original, encoding="utf-8")
    assert not result.ok, result.output[-3000:]
    for text in breakage.expected:
        assert text in result.output, f"{text!r} not in:\n{result.output[-3000:]}"
    assert "Traceback" not in result.output
    assert _checksum(database, breakage.model) == before, "BI still reads the previous table"


def test_an_empty_build_runs_every_model_and_test(tmp_path):
    """`dbt build --empty` (every ref and source read with zero rows) passes end to end.

    It is dbt's quick check of a change's SQL; it also runs the Python models,
    which dbt cannot contract or unit-test, so they must take an empty input
    and return an empty, typed table that the contracted models after them
    accept. Every model exists afterwards with no rows, except those that
    hold one row per build, source or audit check (the as-of date, the
    clustering diagnostics, source_matching and publish_audit, all saying
    there was no data, the comparison with the published version, and the
    build's metadata), and nothing is published for BI tools.
    """
    result = run_dbt(tmp_path, ["build", "--empty"])
    assert result.ok, result.output
    models = [
        r["unique_id"].split(".")[-1]
        for r in result.run_results()
        if r["unique_id"].startswith("model.")
    ]
    assert "customer_clusters_dbscan" in models and "customer_segments" in models
    one_row = {
        "stg_raw__as_of_date",
        "clustering_diagnostics",
        "build_metadata",
    }
    # One row per source and per audit check, saying there was nothing to match or audit.
    per_build = {"source_matching", "publish_audit"}
    for model in set(models) - one_row - per_build:
        assert result.query(f"select count(*) from {model}") == [(0,)], model
    assert result.query("select count(*), sum(customers) from source_matching") == [(3, 0)]
    assert result.query("select distinct verdict from publish_audit") == [("not_applicable",)]
    assert result.query("select as_of_date, as_of_date_source from stg_raw__as_of_date") == [
        (None, "none")
    ]
    assert result.query("select customers, fit_method from clustering_diagnostics") == [
        (0, "empty")
    ]
    assert not (tmp_path / "published").exists()
