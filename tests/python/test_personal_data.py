"""Personal data stays in the base layer (docs/raw-data-contract.md: email, full_name).

The raw email and full_name values of the shared pipeline build are searched,
case-insensitively and as substrings, in every text rendering of every value of
every relation of the warehouse outside the base layer (the base_raw__* tables
and views that read the raw files: staging's stg_ models and rejected_rows, the
intermediate models, the marts, the seeds) and of every published file.
rejected_rows keeps each rejected raw row as JSON with the personal columns
masked. The same search must find the values in the base layer, where the raw
rows are read: that proves the search can find what it looks for.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from conftest import PipelineBuild, publishes

PERSONAL_COLUMNS = ("email", "full_name")
# Column names that would carry a person's name or address whatever their values.
PERSONAL_NAME_PARTS = ("email", "e_mail", "mail", "full_name", "first_name", "last_name")
PERSONAL_NAMES = ("name", "surname", "given_name", "family_name")


def _personal_values(raw_dir: Path) -> list[str]:
    """The personal values of the raw CRM file; a repeated header line's column names are not."""
    with duckdb.connect() as con:
        path = str(raw_dir / "demographics.csv").replace("'", "''")
        rows = con.execute(
            "select distinct lower(trim(value)) from ("
            f" select unnest([{', '.join(PERSONAL_COLUMNS)}]) as value"
            f" from read_csv('{path}', all_varchar = true, header = true))"
            " where nullif(trim(value), '') is not null"
        ).fetchall()
    return [value for (value,) in rows if value not in PERSONAL_COLUMNS]


BASE_LAYER = "base_raw__"


def _relations(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every table and view of the warehouse (what dbt built, whatever its layer)."""
    return sorted(
        name
        for (name,) in con.execute(
            "select table_name from duckdb_tables() where not temporary"
            " union select view_name from duckdb_views() where not internal and not temporary"
        ).fetchall()
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


def test_the_search_finds_personal_data_in_the_base_layer(
    pipeline_build: PipelineBuild, personal_values: list[str]
) -> None:
    with _connect_with(pipeline_build.result.db_path, personal_values) as con:
        hits = {column for column, _ in _hits(con, f"{BASE_LAYER}demographics_typed")}
    assert {"email_raw", "full_name_raw"} <= hits


def test_no_relation_outside_the_base_layer_holds_personal_data(
    pipeline_build: PipelineBuild, personal_values: list[str]
) -> None:
    with _connect_with(pipeline_build.result.db_path, personal_values) as con:
        relations = [r for r in _relations(con) if not r.startswith(BASE_LAYER)]
        assert {"rejected_rows", "stg_raw__demographics", "customer_features"} <= set(relations)
        [(rejected_crm_rows,)] = con.execute(
            "select count(*) from rejected_rows where source_name = 'demographics'"
            " and json_extract_string(raw_record, '$.email') is not null"
        ).fetchall()
        assert rejected_crm_rows > 10, "rejected CRM rows with an email to keep out"
        for relation in relations:
            names = _column_names(con, relation)
            assert not [n for n in names if _is_personal_column(n)], relation
            assert _hits(con, relation) == [], relation


def test_a_rejected_row_keeps_its_key_and_row_number_and_masks_personal_data(
    pipeline_build: PipelineBuild,
) -> None:
    """The raw row can still be found: its file, row number and key are there."""
    rows = pipeline_build.result.query(
        "select source_row_number, record_key, json_extract_string(raw_record, '$.email'),"
        " json_extract_string(raw_record, '$.full_name'),"
        " json_extract_string(raw_record, '$.region') is not null"
        " from rejected_rows where source_name = 'demographics' and reject_reason = 'superseded'"
    )
    assert rows and all(number > 0 and key for number, key, *_ in rows)
    assert {(email, name) for _, _, email, name, _ in rows} == {("<masked>", "<masked>")}
    assert any(has_region for *_, has_region in rows), "other columns are kept as they were"


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
