"""Publish the segment marts for BI tools: Parquet files plus a DuckDB file of tables.

DuckDB allows one writer, and any other process holding the warehouse file,
even read-only, makes `dbt build` fail. BI tools therefore never open the
warehouse: they read a published copy. Each build writes a complete new
version into its own directory and then repoints the `current` symlink with
one atomic rename, so a reader either sees the previous build or the new one,
never half of one, and never holds a file the build writes to.
A version is written under `.incomplete/` and renamed into `versions/` only
once every file is on disk, so a build killed while publishing leaves nothing
in `versions/` for a reader to open, or for pruning to count as a version; the
next build discards what the killed one left in `.incomplete/`.

Layout under the publish directory::

    current -> versions/<version>          (relative symlink, swapped atomically)
    versions/<version>/segments.duckdb     (tables, with the dbt docs as comments)
    versions/<version>/<table>.parquet
    versions/<version>/manifest.json       (build id, tables and row counts)
    versions/<version>/persistent/<table>.parquet   (history no build can regenerate)

Tables tagged `persistent` in dbt (the history snapshots) travel with every
version as exact copies, not for BI (BI reads the history marts) but so that a
build on a new warehouse file can restore them (macro
restore_persistent_tables) instead of starting history over.

Old versions are removed once two newer ones exist: a reader that opened
one keeps its open file handles (POSIX keeps unlinked files readable), and a
reader that resolves `current` again gets the newest build.

A folder the build cannot use (not writable, `current` a plain folder someone
copied in, a disk that fills up while writing) raises `PublishError`, one
sentence saying what, where and what to do; `current` is then left as it was.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

CURRENT_LINK = "current"
VERSIONS_DIR = "versions"
INCOMPLETE_DIR = ".incomplete"
DATABASE_FILE = "segments.duckdb"
MANIFEST_FILE = "manifest.json"
PERSISTENT_DIR = "persistent"


class PublishError(Exception):
    """A publish folder the build cannot use, in one sentence; BI keeps what it reads."""


@dataclass(frozen=True)
class TableDocs:
    """A table's description and per-column descriptions, copied into the published file."""

    description: str | None
    columns: Mapping[str, str]


def version_name(build_id: str, now: datetime) -> str:
    """A directory name that sorts by build time and names the build that wrote it."""
    short_id = "".join(ch for ch in build_id if ch.isalnum())[:12] or "build"
    return f"{now.astimezone(UTC):%Y%m%dT%H%M%S%fZ}-{short_id}"


def read_table_docs(
    con: duckdb.DuckDBPyConnection, schema: str, tables: list[str]
) -> dict[str, TableDocs]:
    """The comments dbt's `persist_docs` wrote on the marts, so BI users see the same docs."""
    table_rows = con.execute(
        "select table_name, comment from duckdb_tables() where schema_name = ?", [schema]
    ).fetchall()
    column_rows = con.execute(
        "select table_name, column_name, comment from duckdb_columns() "
        "where schema_name = ? and comment is not null",
        [schema],
    ).fetchall()
    descriptions = {name: comment for name, comment in table_rows}
    docs: dict[str, TableDocs] = {}
    for table in tables:
        columns = {col: text for name, col, text in column_rows if name == table}
        docs[table] = TableDocs(descriptions.get(table), columns)
    return docs


def _sql_string(value: str) -> str:
    """A SQL string literal; COMMENT ON takes no bound parameters."""
    return "'" + value.replace("'", "''") + "'"


def _quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def write_persistent(
    persistent: Mapping[str, duckdb.DuckDBPyRelation], version_dir: Path
) -> list[dict]:
    """Copy each persistent table to `persistent/<table>.parquet`; one manifest entry each."""
    folder = version_dir / PERSISTENT_DIR
    folder.mkdir()
    entries = []
    for table, relation in persistent.items():
        relation.write_parquet(str(folder / f"{table}.parquet"))
        entries.append(
            {"table_name": table, "row_count": int(relation.count("*").fetchall()[0][0])}
        )
    return entries


def write_version(
    relations: Mapping[str, duckdb.DuckDBPyRelation],
    docs: Mapping[str, TableDocs],
    version_dir: Path,
    build_id: str,
    persistent: Mapping[str, duckdb.DuckDBPyRelation] | None = None,
) -> pd.DataFrame:
    """Write every relation as Parquet and as a table of a new DuckDB file in `version_dir`.

    The DuckDB file holds data, not views over Parquet paths, so it keeps
    working when opened from another folder or after the Parquet files move.
    The persistent tables are copied beside them (write_persistent).
    """
    version_dir.mkdir(parents=True, exist_ok=False)
    rows: list[dict] = []
    database_path = version_dir / DATABASE_FILE
    with duckdb.connect(str(database_path)) as published:
        for table, relation in relations.items():
            parquet_path = version_dir / f"{table}.parquet"
            relation.write_parquet(str(parquet_path))
            name = _quote_identifier(table)
            source = _sql_string(str(parquet_path))
            published.execute(f"create table {name} as select * from read_parquet({source})")
            table_docs = docs.get(table)
            if table_docs is not None:
                if table_docs.description:
                    published.execute(
                        f"comment on table {name} is {_sql_string(table_docs.description)}"
                    )
                for column, text in table_docs.columns.items():
                    published.execute(
                        f"comment on column {name}.{_quote_identifier(column)} "
                        f"is {_sql_string(text)}"
                    )
            row_count = published.execute(f"select count(*) from {name}").fetchall()[0][0]
            rows.append({"table_name": table, "row_count": int(row_count)})
        published.execute("checkpoint")
    manifest = {
        "build_id": build_id,
        "version": version_dir.name,
        "tables": rows,
        "persistent": write_persistent(persistent or {}, version_dir),
    }
    (version_dir / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n")
    return pd.DataFrame(rows, columns=["table_name", "row_count"])


def flush_to_disk(version_dir: Path) -> None:
    """fsync every file of a version and the folder before `current` points at it.

    Without it a crash right after the swap could leave `current` naming
    files whose contents never reached the disk.
    """
    for path in [*version_dir.rglob("*"), version_dir]:
        descriptor = os.open(path, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def swap_current(publish_dir: Path, version_dir: Path) -> None:
    """Point `current` at `version_dir` in one atomic rename of a fresh symlink."""
    target = os.path.relpath(version_dir, publish_dir)
    temporary = publish_dir / f".{CURRENT_LINK}-{version_dir.name}"
    if temporary.is_symlink():
        temporary.unlink()
    os.symlink(target, temporary, target_is_directory=True)
    os.replace(temporary, publish_dir / CURRENT_LINK)


def discard_incomplete(publish_dir: Path) -> None:
    """Remove what builds killed while publishing left behind.

    Only one build writes at a time (DuckDB allows one writer on the
    warehouse), so anything here when a build starts publishing is abandoned.
    """
    shutil.rmtree(publish_dir / INCOMPLETE_DIR, ignore_errors=True)


def move_into_versions(publish_dir: Path, written_dir: Path) -> Path:
    """Rename a completely written version into `versions/` in one step."""
    versions_root = publish_dir / VERSIONS_DIR
    versions_root.mkdir(parents=True, exist_ok=True)
    version_dir = versions_root / written_dir.name
    os.replace(written_dir, version_dir)
    descriptor = os.open(versions_root, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    return version_dir


def prune_versions(publish_dir: Path, keep: int) -> list[str]:
    """Remove versions older than the newest `keep`, never the one `current` points at."""
    versions_root = publish_dir / VERSIONS_DIR
    if not versions_root.is_dir():
        return []
    current = (publish_dir / CURRENT_LINK).resolve()
    versions = sorted((p for p in versions_root.iterdir() if p.is_dir()), key=lambda p: p.name)
    removed = []
    for path in versions[: max(len(versions) - keep, 0)]:
        if path.resolve() != current:
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path.name)
    return removed


def check_publish_dir(publish_dir: Path) -> None:
    """Refuse a publish folder the build cannot use before anything is written to it.

    `current` must be the link each build repoints, or absent: a plain folder
    (or file) cannot be replaced in one atomic rename, so BI would see it
    vanish. The folder must be writable (it is made if missing).
    """
    current = publish_dir / CURRENT_LINK
    if current.exists() and not current.is_symlink():
        kind = "folder" if current.is_dir() else "file"
        raise PublishError(
            f"{current} is a plain {kind}, not the link each build repoints, so this build"
            f" cannot replace it in one step: BI keeps reading it; move it aside (for example"
            f" to {current}.moved) and build again."
        )
    probe = publish_dir / f".write-check-{os.getpid()}"
    try:
        publish_dir.mkdir(parents=True, exist_ok=True)
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        raise PublishError(
            f"The publish folder {publish_dir} cannot be written ({error.strerror}): BI keeps"
            " reading what it had; make the folder writable, or point SEGMENTATION_PUBLISH_DIR"
            " at one the build can write, and build again."
        ) from error


def empty_result() -> pd.DataFrame:
    """The result of a build that published nothing (same columns as `publish`)."""
    return pd.DataFrame(
        {
            "table_name": pd.Series(dtype="string"),
            "row_count": pd.Series(dtype="int64"),
            "version": pd.Series(dtype="string"),
            "database_path": pd.Series(dtype="string"),
            "parquet_path": pd.Series(dtype="string"),
        }
    )


def publish(
    relations: Mapping[str, duckdb.DuckDBPyRelation],
    docs: Mapping[str, TableDocs],
    publish_dir: Path,
    build_id: str,
    keep_versions: int,
    now: datetime | None = None,
    persistent: Mapping[str, duckdb.DuckDBPyRelation] | None = None,
) -> pd.DataFrame:
    """Publish one complete version, make it `current`, and prune old versions.

    Returns one row per published table (what a build log or BI admin wants
    to see): table, rows, the version directory and the path BI connects to.
    """
    if keep_versions < 1:
        raise ValueError("keep_versions must be at least 1: the current version is kept")
    publish_dir = publish_dir.absolute()
    check_publish_dir(publish_dir)
    version = version_name(build_id, now or datetime.now(UTC))
    discard_incomplete(publish_dir)
    written_dir = publish_dir / INCOMPLETE_DIR / version
    try:
        published = write_version(relations, docs, written_dir, build_id, persistent)
        flush_to_disk(written_dir)
        version_dir = move_into_versions(publish_dir, written_dir)
        swap_current(publish_dir, version_dir)
    except OSError as error:
        discard_incomplete(publish_dir)
        raise PublishError(
            f"Publishing to {publish_dir} failed ({error.strerror}: {error.filename}): BI keeps"
            " reading the version published before; free disk space or fix the folder, then"
            " build again."
        ) from error
    prune_versions(publish_dir, keep_versions)
    published["version"] = version
    published["database_path"] = str(publish_dir / CURRENT_LINK / DATABASE_FILE)
    published["parquet_path"] = [
        str(publish_dir / CURRENT_LINK / f"{table}.parquet") for table in published["table_name"]
    ]
    return published
