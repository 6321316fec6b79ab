"""Publishing for BI: complete versions, an atomic `current`, readers never disturbed.

These run the publish functions on small in-memory tables; the end-to-end
check (a reader querying the published files during a whole `dbt build`)
is in test_segments_e2e.py.
"""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from project_settings import project_vars

from segmentation import publish as pub

T0 = datetime(2026, 1, 1, tzinfo=UTC)
# The versions a build with the default vars keeps.
KEEP = project_vars()["publish_keep_versions"]


def _relations(con: duckdb.DuckDBPyConnection, customers: int) -> dict:
    """Two small marts; `customers` changes between builds so versions can be told apart."""
    con.execute(
        "create or replace table customer_segments as "
        f"select 'C' || i as customer_id, i % 3 as cluster_id from range({customers}) t(i)"
    )
    con.execute(
        "create or replace table segment_summary as "
        "select cluster_id, count(*) as customers from customer_segments group by cluster_id"
    )
    return {name: con.table(name) for name in ("customer_segments", "segment_summary")}


def _publish(con, publish_dir: Path, customers: int, build: int, keep: int = KEEP) -> pd.DataFrame:
    return pub.publish(
        _relations(con, customers),
        {},
        publish_dir,
        build_id=f"build-{build}",
        keep_versions=keep,
        now=T0 + timedelta(minutes=build),
    )


def _count(database: Path, table: str) -> int:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(f"select count(*) from {table}").fetchall()[0][0]


def test_publish_writes_parquet_and_database_with_every_row(tmp_path: Path) -> None:
    with duckdb.connect() as con:
        result = _publish(con, tmp_path, customers=30, build=1)
    current = tmp_path / pub.CURRENT_LINK
    assert current.is_symlink()
    assert not os.path.isabs(os.readlink(current)), "a relative link survives moving the folder"
    assert dict(zip(result["table_name"], result["row_count"], strict=True)) == {
        "customer_segments": 30,
        "segment_summary": 3,
    }
    assert _count(current / pub.DATABASE_FILE, "customer_segments") == 30
    with duckdb.connect() as con:
        parquet = current / "customer_segments.parquet"
        assert con.execute(f"select count(*) from '{parquet}'").fetchall()[0][0] == 30
    manifest = json.loads((current / pub.MANIFEST_FILE).read_text())
    assert manifest["build_id"] == "build-1"


def test_publish_reports_where_bi_reads_each_table_and_the_manifest_lists_them(
    tmp_path: Path,
) -> None:
    """What a build log and a BI admin see: the version, and paths through `current`."""
    with duckdb.connect() as con:
        result = _publish(con, tmp_path, customers=30, build=1)
    version = os.path.basename(os.readlink(tmp_path / pub.CURRENT_LINK))
    current = tmp_path / pub.CURRENT_LINK
    assert result.to_dict("records") == [
        {
            "table_name": name,
            "row_count": rows,
            "version": version,
            "database_path": str(current / pub.DATABASE_FILE),
            "parquet_path": str(current / f"{name}.parquet"),
        }
        for name, rows in (("customer_segments", 30), ("segment_summary", 3))
    ]
    assert json.loads((current / pub.MANIFEST_FILE).read_text()) == {
        "build_id": "build-1",
        "version": version,
        "tables": [
            {"table_name": "customer_segments", "row_count": 30},
            {"table_name": "segment_summary", "row_count": 3},
        ],
        "persistent": [],
    }


def test_publishing_nothing_gives_the_columns_and_types_of_a_publish(tmp_path: Path) -> None:
    """`dbt build --empty` publishes nothing; publish_marts still returns its columns."""
    with duckdb.connect() as con:
        published = _publish(con, tmp_path, customers=3, build=1)
    empty = pub.empty_result()
    assert empty.empty
    assert list(empty.columns) == list(published.columns)
    assert {name: str(t) for name, t in empty.dtypes.items()} == {
        "table_name": "string",
        "row_count": "int64",
        "version": "string",
        "database_path": "string",
        "parquet_path": "string",
    }


def test_a_version_is_named_by_its_build_time_in_utc_and_its_build(monkeypatch) -> None:
    """Names sort by build time whatever the machine's zone, and say which build wrote them."""
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        at = datetime(2026, 3, 1, 10, 0, 0, 5, tzinfo=timezone(timedelta(hours=2)))
        assert pub.version_name("a1-b2:c3/d4e5f6g7h8", at) == "20260301T080000000005Z-a1b2c3d4e5f6"
        assert pub.version_name("--", at) == "20260301T080000000005Z-build"
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_the_version_takes_the_build_time_it_is_given(tmp_path: Path) -> None:
    with duckdb.connect() as con:
        result = _publish(con, tmp_path, customers=3, build=7)
    assert result["version"][0] == pub.version_name("build-7", T0 + timedelta(minutes=7))


def test_current_still_opens_after_the_publish_folder_moves(tmp_path: Path) -> None:
    with duckdb.connect() as con:
        _publish(con, tmp_path / "a", customers=4, build=1)
    moved = tmp_path / "b" / "c" / "d"
    moved.parent.mkdir(parents=True)
    (tmp_path / "a").rename(moved)
    assert _count(moved / pub.CURRENT_LINK / pub.DATABASE_FILE, "customer_segments") == 4


def test_table_names_that_need_quoting_are_published(tmp_path: Path) -> None:
    with duckdb.connect() as con:
        con.execute('create table "odd ""name""" as select 1 as "a ""b"""')
        pub.publish(
            {'odd "name"': con.table('"odd ""name"""')}, {}, tmp_path, "b", keep_versions=1, now=T0
        )
    assert _count(tmp_path / pub.CURRENT_LINK / pub.DATABASE_FILE, '"odd ""name"""') == 1


def test_a_version_is_never_written_into_an_existing_folder(tmp_path: Path) -> None:
    with duckdb.connect() as con:
        relations = _relations(con, customers=3)
        pub.write_version(relations, {}, tmp_path / "v", "b")
        with pytest.raises(FileExistsError):
            pub.write_version(relations, {}, tmp_path / "v", "b")


def test_published_database_holds_tables_not_views(tmp_path: Path) -> None:
    """Views over Parquet paths break when the file is opened from elsewhere."""
    with duckdb.connect() as con:
        _publish(con, tmp_path, customers=5, build=1)
    database = tmp_path / pub.CURRENT_LINK / pub.DATABASE_FILE
    with duckdb.connect(str(database), read_only=True) as con:
        kinds = con.execute("select count(*) from duckdb_views() where not internal").fetchall()
        tables = con.execute("select table_name from duckdb_tables() order by 1").fetchall()
    assert kinds == [(0,)]
    assert tables == [("customer_segments",), ("segment_summary",)]


def test_docs_become_comments_in_the_published_database(tmp_path: Path) -> None:
    with duckdb.connect() as con:
        con.execute("create table t as select 1 as a")
        con.execute("comment on table t is 'the table''s doc'")
        con.execute("comment on column t.a is 'the column doc'")
        docs = pub.read_table_docs(con, "main", ["t"])
        pub.publish({"t": con.table("t")}, docs, tmp_path, build_id="b", keep_versions=KEEP, now=T0)
    database = tmp_path / pub.CURRENT_LINK / pub.DATABASE_FILE
    with duckdb.connect(str(database), read_only=True) as con:
        table_doc = con.execute("select comment from duckdb_tables() where table_name = 't'")
        assert table_doc.fetchall() == [("the table's doc",)]
        column_doc = con.execute("select comment from duckdb_columns() where column_name = 'a'")
        assert column_doc.fetchall() == [("the column doc",)]


def test_current_moves_to_the_new_build_and_old_versions_are_pruned(tmp_path: Path) -> None:
    with duckdb.connect() as con:
        for build in range(1, 5):
            _publish(con, tmp_path, customers=10 * build, build=build, keep=2)
    versions = sorted(p.name for p in (tmp_path / pub.VERSIONS_DIR).iterdir())
    assert len(versions) == 2
    assert (tmp_path / pub.CURRENT_LINK).resolve().name == versions[-1]
    assert _count(tmp_path / pub.CURRENT_LINK / pub.DATABASE_FILE, "customer_segments") == 40


def test_prune_never_removes_the_current_version(tmp_path: Path) -> None:
    versions = tmp_path / pub.VERSIONS_DIR
    for name in ("a", "b", "c"):
        (versions / name).mkdir(parents=True)
    pub.swap_current(tmp_path, versions / "a")  # e.g. a newer build failed before its swap
    removed = pub.prune_versions(tmp_path, keep=1)
    assert sorted(p.name for p in versions.iterdir()) == ["a", "c"]
    assert removed == ["b"]


def test_an_open_reader_keeps_reading_after_its_version_is_replaced_and_pruned(
    tmp_path: Path,
) -> None:
    with duckdb.connect() as con:
        _publish(con, tmp_path, customers=7, build=1, keep=1)
        reader = duckdb.connect(
            str(tmp_path / pub.CURRENT_LINK / pub.DATABASE_FILE), read_only=True
        )
        try:
            _publish(con, tmp_path, customers=9, build=2, keep=1)
            _publish(con, tmp_path, customers=11, build=3, keep=1)
            assert len(list((tmp_path / pub.VERSIONS_DIR).iterdir())) == 1
            # The reader's version is gone from the folder, but its open file still answers.
            assert reader.execute("select count(*) from customer_segments").fetchall() == [(7,)]
        finally:
            reader.close()
    assert _count(tmp_path / pub.CURRENT_LINK / pub.DATABASE_FILE, "customer_segments") == 11


def test_keep_versions_below_one_is_refused(tmp_path: Path) -> None:
    with duckdb.connect() as con, pytest.raises(ValueError, match="keep_versions"):
        _publish(con, tmp_path, customers=1, build=1, keep=0)


class _WriteFailsHalfway:
    """A mart whose Parquet write dies after a few bytes, as on a full disk."""

    def write_parquet(self, path: str) -> None:
        Path(path).write_bytes(b"PAR1 half a file")
        raise OSError(28, "No space left on device")


def test_a_write_that_fails_halfway_leaves_versions_and_current_as_they_were(
    tmp_path: Path,
) -> None:
    """Nothing reaches `versions/` or `current` before every file of a version is written:
    a reader or the pruning must never meet a version with some files and no manifest."""
    with duckdb.connect() as con:
        _publish(con, tmp_path, customers=10, build=1)
        versions_before = sorted((tmp_path / pub.VERSIONS_DIR).iterdir())
        current_before = os.readlink(tmp_path / pub.CURRENT_LINK)
        relations = {**_relations(con, customers=20), "zz_fails": _WriteFailsHalfway()}
        with pytest.raises(pub.PublishError, match="No space left"):
            pub.publish(relations, {}, tmp_path, build_id="build-2", keep_versions=KEEP, now=T0)
    assert sorted((tmp_path / pub.VERSIONS_DIR).iterdir()) == versions_before
    assert os.readlink(tmp_path / pub.CURRENT_LINK) == current_before
    assert _count(tmp_path / pub.CURRENT_LINK / pub.DATABASE_FILE, "customer_segments") == 10


def test_a_publish_killed_halfway_leaves_no_version_and_costs_no_good_one(
    tmp_path: Path,
) -> None:
    with duckdb.connect() as con:
        _publish(con, tmp_path, customers=10, build=1)
        first = os.readlink(tmp_path / pub.CURRENT_LINK)
        # What a build killed inside write_version leaves: a folder with some of its files.
        abandoned = tmp_path / pub.INCOMPLETE_DIR / "20260101T000200000000Z-killed"
        abandoned.mkdir(parents=True)
        (abandoned / pub.DATABASE_FILE).write_bytes(b"half a file")
        assert sorted(p.name for p in (tmp_path / pub.VERSIONS_DIR).iterdir()) == [
            os.path.basename(first)
        ]
        _publish(con, tmp_path, customers=20, build=3, keep=2)
    assert not (tmp_path / pub.INCOMPLETE_DIR).exists() or not any(
        (tmp_path / pub.INCOMPLETE_DIR).iterdir()
    ), "the next build discards what the killed one left"
    versions = sorted(p.name for p in (tmp_path / pub.VERSIONS_DIR).iterdir())
    assert len(versions) == 2, "the previous complete version is still kept"
    assert os.path.basename(first) in versions
    assert all((tmp_path / pub.VERSIONS_DIR / v / pub.MANIFEST_FILE).exists() for v in versions)


def test_current_as_a_plain_folder_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    (tmp_path / pub.CURRENT_LINK).mkdir()
    (tmp_path / pub.CURRENT_LINK / "customer_segments.parquet").write_bytes(b"copied by hand")
    with duckdb.connect() as con, pytest.raises(pub.PublishError, match="is a plain folder"):
        _publish(con, tmp_path, customers=3, build=1)
    assert not (tmp_path / pub.VERSIONS_DIR).exists()
    assert (tmp_path / pub.CURRENT_LINK / "customer_segments.parquet").read_bytes() == (
        b"copied by hand"
    )


def test_a_publish_folder_that_cannot_be_written_is_one_sentence(tmp_path: Path) -> None:
    blocker = tmp_path / "a file"
    blocker.write_text("")
    with duckdb.connect() as con, pytest.raises(pub.PublishError, match="cannot be written"):
        _publish(con, blocker / "published", customers=3, build=1)


def test_a_write_that_fails_halfway_keeps_current_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with duckdb.connect() as con:
        _publish(con, tmp_path, customers=10, build=1)
        first = os.readlink(tmp_path / pub.CURRENT_LINK)

        def disk_full(*args, **kwargs):
            raise OSError(28, "No space left on device", str(tmp_path / "x.parquet"))

        monkeypatch.setattr(pub, "flush_to_disk", disk_full)
        with pytest.raises(pub.PublishError, match="No space left on device"):
            _publish(con, tmp_path, customers=20, build=2)
    assert os.readlink(tmp_path / pub.CURRENT_LINK) == first
    assert not (tmp_path / pub.INCOMPLETE_DIR).exists(), "nothing half-written is left"
    assert _count(tmp_path / pub.CURRENT_LINK / pub.DATABASE_FILE, "customer_segments") == 10


def test_persistent_tables_travel_with_the_version_and_are_not_published_for_bi(
    tmp_path: Path,
) -> None:
    """History no build can regenerate is copied beside the marts, listed on its own in
    the manifest, and never offered to BI as a mart."""
    with duckdb.connect() as con:
        relations = _relations(con, customers=12)
        con.execute(
            "create table memberships_snapshot as"
            " select 'C' || i as customer_id, 'S0' || (i % 3) as segment_key from range(7) t(i)"
        )
        result = pub.publish(
            relations,
            {},
            tmp_path,
            build_id="build-1",
            keep_versions=KEEP,
            now=T0,
            persistent={"memberships_snapshot": con.table("memberships_snapshot")},
        )
    current = tmp_path / pub.CURRENT_LINK
    manifest = json.loads((current / pub.MANIFEST_FILE).read_text())
    assert manifest["persistent"] == [{"table_name": "memberships_snapshot", "row_count": 7}]
    assert "memberships_snapshot" not in set(result["table_name"])
    assert [t["table_name"] for t in manifest["tables"]] == [
        "customer_segments",
        "segment_summary",
    ]
    copy = current / pub.PERSISTENT_DIR / "memberships_snapshot.parquet"
    with duckdb.connect() as con:
        rows = con.execute(
            "select customer_id, segment_key from read_parquet(?) order by customer_id",
            [str(copy)],
        ).fetchall()
    assert rows == sorted((f"C{i}", f"S0{i % 3}") for i in range(7))
    with duckdb.connect(str(current / pub.DATABASE_FILE), read_only=True) as con:
        tables = {name for (name,) in con.execute("show tables").fetchall()}
    assert "memberships_snapshot" not in tables


def test_a_publish_folder_whose_parents_do_not_exist_yet_is_created(tmp_path: Path) -> None:
    """SEGMENTATION_PUBLISH_DIR may name a folder below ones nobody has made yet."""
    publish_dir = tmp_path / "shared" / "bi" / "published"
    with duckdb.connect() as con:
        _publish(con, publish_dir, customers=5, build=1)
    assert _count(publish_dir / pub.CURRENT_LINK / pub.DATABASE_FILE, "customer_segments") == 5
