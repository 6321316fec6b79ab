"""Personal data never leaves staging (docs/raw-data-contract.md: email, full_name).

The raw email and full_name values of the shared pipeline build are searched,
case-insensitively and as substrings, in every text rendering of every value of
every relation after the staging layer (intermediate models and marts) and of
every published file. The same search must find them in rejected_rows, where
the raw rows are kept on purpose: that proves the search can find what it
looks for.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from conftest import PipelineBuild, publishes

PERSONAL_COLUMNS = ("email", "full_name")
# Column names that would carry a person's name or address whatever their values.
PERSONAL_NAME_PARTS = ("email", "e_mail", "mail", "full_name", "first_name", "last_name")
PERSONAL_NAMES = ("name", "surname", "given_name", "family_name")


def _personal_values(raw_dir: Path) -> list[str]:
    with duckdb.connect() as con:
        path = str(raw_dir / "demographics.csv").replace("'", "''")
        rows = con.execute(
            "select distinct lower(trim(value)) from ("
            f" select unnest([{', '.join(PERSONAL_COLUMNS)}]) as value"
            f" from read_csv('{path}', all_varchar = true, header = true))"
            " where nullif(trim(value), '') is not null"
        ).fetchall()
    return [value for (value,) in rows]


def _later_relations(build: PipelineBuild) -> list[str]:
    """Every model built after staging: intermediate models and marts (tables and views)."""
    manifest = json.loads((build.result.target_path / "manifest.json").read_text())
    return sorted(
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
        and not node["original_file_path"].startswith("models/staging/")
        and node["config"]["materialized"] in ("table", "view", "incremental")
    )


def _hits(con: duckdb.DuckDBPyConnection, relation: str) -> list[tuple[str, str]]:
    """(column, personal value) pairs where a value of `relation` contains personal data."""
    columns = [row[0] for row in con.execute(f"describe select * from {relation}").fetchall()]
    hits: list[tuple[str, str]] = []
    for column in columns:
        hits += con.execute(
            f'select distinct ?, personal.value from (select distinct lower(cast("{column}" as'
            f" varchar)) as text from {relation}) as cells join personal"
            " on contains(cells.text, personal.value)",
            [column],
        ).fetchall()
    return hits


def _column_names(con: duckdb.DuckDBPyConnection, relation: str) -> list[str]:
    return [row[0].lower() for row in con.execute(f"describe select * from {relation}").fetchall()]


def _is_personal_column(name: str) -> bool:
    return name in PERSONAL_NAMES or any(part in name for part in PERSONAL_NAME_PARTS)


@pytest.fixture(scope="module")
def personal_values(pipeline_build: PipelineBuild) -> list[str]:
    values = _personal_values(pipeline_build.raw)
    assert len(values) > 100, "the sample has personal data to look for"
    return values


def _connect_with(database: Path | None, values: list[str]) -> duckdb.DuckDBPyConnection:
    """A connection (read-only to `database`, or in memory) with the values as table personal."""
    con = duckdb.connect(str(database), read_only=True) if database else duckdb.connect()
    con.execute("create temp table personal as select unnest(?::varchar[]) as value", [values])
    return con


def test_the_search_finds_personal_data_where_it_is_kept(
    pipeline_build: PipelineBuild, personal_values: list[str]
) -> None:
    with _connect_with(pipeline_build.result.db_path, personal_values) as con:
        assert "raw_record" in {column for column, _ in _hits(con, "rejected_rows")}


def test_no_model_after_staging_holds_personal_data(
    pipeline_build: PipelineBuild, personal_values: list[str]
) -> None:
    relations = _later_relations(pipeline_build)
    assert {"customer_features", "customer_clusters"} <= set(relations)
    with _connect_with(pipeline_build.result.db_path, personal_values) as con:
        for relation in relations:
            names = _column_names(con, relation)
            assert not [n for n in names if _is_personal_column(n)], relation
            assert _hits(con, relation) == [], relation


def test_no_published_file_holds_personal_data(
    pipeline_build: PipelineBuild, personal_values: list[str]
) -> None:
    assert publishes(pipeline_build.result), "the build publishes the segment marts for BI"
    files = sorted(p for p in (pipeline_build.workdir / "published").rglob("*") if p.is_file())
    assert any(p.suffix == ".parquet" for p in files)
    for path in files:
        if path.suffix == ".duckdb":
            with _connect_with(path, personal_values) as con:
                tables = [
                    row[0]
                    for row in con.execute(
                        "select table_name from duckdb_tables() where not temporary"
                    ).fetchall()
                ]
                for table in tables:
                    names = _column_names(con, f'"{table}"')
                    assert not [n for n in names if _is_personal_column(n)], (path, table)
                    assert _hits(con, f'"{table}"') == [], (path, table)
        elif path.suffix == ".parquet":
            with _connect_with(None, personal_values) as con:
                relation = "read_parquet('{}')".format(str(path).replace("'", "''"))
                names = _column_names(con, relation)
                assert not [n for n in names if _is_personal_column(n)], path
                assert _hits(con, relation) == [], path
        else:
            text = path.read_bytes().decode("utf-8", errors="replace").lower()
            assert not [v for v in personal_values if v in text], path
