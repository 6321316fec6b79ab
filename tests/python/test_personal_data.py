"""Personal data stays in the base layer (docs/raw-data-contract.md).

The personal columns are those the sources YAML marks `personal` in their
meta (models/staging/_raw__sources.yml, read through raw_data.contract). Their
raw values in the shared pipeline build's files are searched, case-insensitively
and as substrings, in every text rendering of every value of every relation
in the warehouse outside the base layer (the `base_raw__*` models; the
`stg_raw__*` models are not base) and of every published file; no column
may be named after a personal column either. rejected_rows keeps each rejected
raw row as JSON with the personal columns masked. The same search must find the
values in the base layer, where the raw rows are kept on purpose: that proves
the search can find what it looks for.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from conftest import PipelineBuild, publishes

from raw_data.contract import contract_columns

BASE_LAYER_PREFIX = "base_raw__"


def _personal_columns() -> dict[str, tuple[str, ...]]:
    """Each source's personal columns, as the sources YAML marks them."""
    return {
        source: tuple(column.name for column in columns if column.personal)
        for source, columns in contract_columns().items()
    }


def _personal_values(raw_dir: Path) -> list[str]:
    """Every distinct personal value of the raw files, lowercased and trimmed.

    A repeated header line's column names are not personal values.
    """
    values: set[str] = set()
    with duckdb.connect() as con:
        for source, columns in _personal_columns().items():
            if not columns:
                continue
            path = str(raw_dir / f"{source}.csv").replace("'", "''")
            rows = con.execute(
                "select distinct lower(trim(value)) from ("
                f" select unnest([{', '.join(columns)}]) as value"
                f" from read_csv('{path}', all_varchar = true, header = true))"
                " where nullif(trim(value), '') is not null"
            ).fetchall()
            values.update(value for (value,) in rows if value not in columns)
    return sorted(values)


def _relations(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every table and view of the warehouse, as a quoted schema.name."""
    rows = con.execute(
        "select schema_name, table_name from duckdb_tables() where not temporary"
        " union all"
        " select schema_name, view_name from duckdb_views() where not internal and not temporary"
    ).fetchall()
    return sorted(f'"{schema}"."{name}"' for schema, name in rows)


def _name(relation: str) -> str:
    return relation.rsplit(".", 1)[-1].strip('"')


def _hits(con: duckdb.DuckDBPyConnection, relation: str) -> list[tuple[str, str]]:
    """(column, personal value) pairs where a value of `relation` contains personal data."""
    hits: list[tuple[str, str]] = []
    for column in _column_names(con, relation):
        hits += con.execute(
            f'select distinct ?, personal.value from (select distinct lower(cast("{column}" as'
            f" varchar)) as text from {relation}) as cells join personal"
            " on contains(cells.text, personal.value)",
            [column],
        ).fetchall()
    return hits


def _column_names(con: duckdb.DuckDBPyConnection, relation: str) -> list[str]:
    return [row[0] for row in con.execute(f"describe select * from {relation}").fetchall()]


def _personal_named(con: duckdb.DuckDBPyConnection, relation: str) -> list[str]:
    """Columns of `relation` named after a personal column (email, email_raw, ...)."""
    personal = {name for columns in _personal_columns().values() for name in columns}
    return [
        column
        for column in _column_names(con, relation)
        if any(name in column.lower() for name in personal)
    ]


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


def test_the_contract_marks_personal_columns() -> None:
    assert any(_personal_columns().values()), "the sources YAML marks no column personal"


def test_the_search_finds_personal_data_where_it_is_kept(
    pipeline_build: PipelineBuild, personal_values: list[str]
) -> None:
    """The base layer holds the raw rows: every personal value is found there."""
    found: set[str] = set()
    with _connect_with(pipeline_build.result.db_path, personal_values) as con:
        for relation in _relations(con):
            if _name(relation).startswith(BASE_LAYER_PREFIX):
                found |= {value for _, value in _hits(con, relation)}
    assert found == set(personal_values)


def test_no_relation_outside_the_base_layer_holds_personal_data(
    pipeline_build: PipelineBuild, personal_values: list[str]
) -> None:
    with _connect_with(pipeline_build.result.db_path, personal_values) as con:
        relations = [r for r in _relations(con) if not _name(r).startswith(BASE_LAYER_PREFIX)]
        checked = {_name(r) for r in relations}
        assert {"rejected_rows", "stg_raw__demographics", "customer_segments"} <= checked
        [(rejected_crm_rows,)] = con.execute(
            "select count(*) from rejected_rows where source_name = 'demographics'"
            " and json_extract_string(raw_record, '$.email') is not null"
        ).fetchall()
        assert rejected_crm_rows > 10, "rejected CRM rows with an email to keep out"
        leaks = {
            _name(r): (_personal_named(con, r), _hits(con, r)[:3])
            for r in relations
            if _personal_named(con, r) or _hits(con, r)
        }
    assert leaks == {}


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
                for relation in _relations(con):
                    assert _personal_named(con, relation) == [], (path, relation)
                    assert _hits(con, relation) == [], (path, relation)
        elif path.suffix == ".parquet":
            with _connect_with(None, personal_values) as con:
                relation = "read_parquet('{}')".format(str(path).replace("'", "''"))
                assert _personal_named(con, relation) == [], path
                assert _hits(con, relation) == [], path
        else:
            text = path.read_bytes().decode("utf-8", errors="replace").lower()
            assert not [v for v in personal_values if v in text], path
