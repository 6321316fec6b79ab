"""Segments over time: stable keys, history that survives, who moved, and builds it refuses.

Two deliveries of one generated data set land in the same folder, as a user's
would. The first lacks 5% of the customers; the second is the whole set, with
the purchases of another 5% since the start of the year removed (their
behaviour changed). Both end on the same date, so the second is a new build as
of the same as-of date (stamped a second later). Each is one whole `dbt build`
(with its data tests: the history tests reconcile the two builds).
A third build reads the second delivery again on a new warehouse file with
`--full-refresh`: history must come back from the published copy and gain
nothing. The rest reruns only the audit and what follows it on copies of that
workdir (the way test_publish_audit.py does), spoiling the new build's marts.
"""

from __future__ import annotations

import csv
import hashlib
import os
import shutil
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest
from conftest import PIPELINE_BUILD, relation_checksum
from dbt_project_runner import DbtResult, run_dbt

from raw_data.generate import generate
from segmentation import publish as pub

CUSTOMERS = 1000
SEED = 11
SHARE_PERCENT = 5  # added, and changed, customers: 5% each
CHANGED_SINCE = "2026-01-01"  # the changed customers lose their purchases from here on
SOURCES = ("transactions.csv", "demographics.csv", "credit_profiles.csv")
DATE_COLUMNS = {"transactions.csv": "transaction_date"}
SNAPSHOTS = (
    "published_builds_snapshot",
    "segment_memberships_snapshot",
    "segment_builds_snapshot",
    "segment_transitions_snapshot",
)
HISTORY_TESTS = (
    "assert_segment_transitions_reconcile",
    "assert_membership_changes_are_the_key_changes",
    "assert_history_holds_the_published_build",
    "assert_segment_keys_are_stable",
)
FROM_THE_AUDIT = ["build", "--select", "publish_audit+", "--exclude", "resource_type:unit_test"]


def _bucket(customer_id: str) -> int:
    """A stable 0-99 bucket per customer, so the same customers are added and changed."""
    return int(hashlib.md5(customer_id.encode()).hexdigest(), 16) % 100


def _write_delivery(full: Path, raw: Path, keep) -> None:
    """Copy every raw file from `full` into `raw`, keeping the rows `keep(file, row)` accepts."""
    raw.mkdir(parents=True, exist_ok=True)
    for name in SOURCES:
        with (full / name).open(newline="") as source, (raw / name).open("w", newline="") as out:
            reader = csv.DictReader(source)
            writer = csv.DictWriter(
                out, reader.fieldnames, quoting=csv.QUOTE_ALL, lineterminator="\n"
            )
            writer.writeheader()
            writer.writerows(row for row in reader if keep(name, row))


def _row_date(name: str, row: dict) -> str:
    return (row.get(DATE_COLUMNS.get(name, ""), "") or "")[:10]


def _keys(result: DbtResult) -> dict[str, str]:
    return dict(result.query("select customer_id, segment_key from customer_segments"))


def _snapshot_checksums(db_path: Path) -> dict:
    with duckdb.connect(str(db_path), read_only=True) as con:
        return {name: relation_checksum(con, name) for name in SNAPSHOTS}


def _test_statuses(result: DbtResult) -> dict[str, str]:
    return {
        entry["unique_id"].split(".")[2]: entry["status"]
        for entry in result.run_results()
        if entry["unique_id"].startswith("test.")
    }


@dataclass(frozen=True)
class History:
    """Three builds of one data set in one workdir, and what each left behind."""

    workdir: Path
    raw: Path
    personas: dict[str, str]
    added: set[str]
    changed: set[str]
    first: DbtResult
    first_keys: dict[str, str]
    second: DbtResult
    second_keys: dict[str, str]
    snapshots_after_second: dict
    published_after_second: str
    third: DbtResult
    third_keys: dict[str, str]
    snapshots_after_third: dict


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> History:
    root = tmp_path_factory.mktemp("history")
    full = root / "generated"
    generate(CUSTOMERS, SEED, full, "csv")
    with (full / "truth.csv").open(newline="") as handle:
        personas = {row["customer_id"]: row["persona"] for row in csv.DictReader(handle)}
    added = {c for c in personas if _bucket(c) < SHARE_PERCENT}
    changed = {c for c in personas if SHARE_PERCENT <= _bucket(c) < 2 * SHARE_PERCENT}
    raw, workdir = root / "raw", root / "dbt"

    def first_delivery(name: str, row: dict) -> bool:
        return row["customer_id"].strip() not in added

    def second_delivery(name: str, row: dict) -> bool:
        return not (
            name == "transactions.csv"
            and row["customer_id"].strip() in changed
            and _row_date(name, row) >= CHANGED_SINCE
        )

    dbt_vars = {"raw_data_path": str(raw)}
    _write_delivery(full, raw, first_delivery)
    first = run_dbt(workdir, PIPELINE_BUILD, dbt_vars)
    assert first.ok, first.output[-4000:]
    first_keys = _keys(first)
    _write_delivery(full, raw, second_delivery)
    second = run_dbt(workdir, PIPELINE_BUILD, dbt_vars)
    assert second.ok, second.output[-4000:]
    second_keys = _keys(second)
    snapshots_after_second = _snapshot_checksums(second.db_path)
    published_after_second = os.readlink(workdir / "published" / pub.CURRENT_LINK)
    # The same delivery again, on a new warehouse file, rebuilding every table.
    for leftover in workdir.glob("warehouse.duckdb*"):
        leftover.unlink()
    third = run_dbt(workdir, [*PIPELINE_BUILD, "--full-refresh"], dbt_vars)
    assert third.ok, third.output[-4000:]
    return History(
        workdir,
        raw,
        personas,
        added,
        changed,
        first,
        first_keys,
        second,
        second_keys,
        snapshots_after_second,
        published_after_second,
        third,
        _keys(third),
        _snapshot_checksums(third.db_path),
    )


def _copy_workdir(history: History, destination: Path) -> Path:
    """The workdir after the third build; its target/ too, so dbt parses only what changed."""
    destination.mkdir(parents=True)
    shutil.copy(history.third.db_path, destination / "warehouse.duckdb")
    shutil.copytree(history.workdir / "published", destination / "published", symlinks=True)
    shutil.copytree(history.workdir / "target", destination / "target")
    return destination


def _spoil(workdir: Path, *statements: str) -> None:
    with duckdb.connect(str(workdir / "warehouse.duckdb")) as con:
        for statement in statements:
            con.execute(statement)


def test_the_history_tests_ran_and_passed_on_both_builds(history: History) -> None:
    for result in (history.first, history.second):
        statuses = _test_statuses(result)
        assert {name: statuses.get(name) for name in HISTORY_TESTS} == dict.fromkeys(
            HISTORY_TESTS, "pass"
        )


def test_the_deliveries_are_what_the_scenario_says(history: History) -> None:
    """Guards the other tests against comparing builds that differ in nothing."""
    assert set(history.first_keys).isdisjoint(history.added)
    assert history.added <= set(history.second_keys)
    assert 0.03 < len(history.added) / len(history.personas) < 0.07
    assert 0.03 < len(history.changed) / len(history.personas) < 0.07
    assert history.second.query(
        "select build_number, recorded_at - min(recorded_at) over () from published_builds"
    ) == [(1, timedelta(0)), (2, timedelta(seconds=1))]


def test_untouched_customers_keep_their_key(history: History) -> None:
    untouched = [c for c in history.first_keys if c not in history.changed]
    kept = sum(history.first_keys[c] == history.second_keys[c] for c in untouched)
    assert kept / len(untouched) >= 0.95, f"{kept} of {len(untouched)} kept their key"


def test_every_planted_persona_keeps_one_key(history: History) -> None:
    """The key most of a persona's customers have is the same in both builds."""
    untouched = [c for c in history.first_keys if c not in history.changed]
    for persona in sorted(set(history.personas.values())):
        members = [c for c in untouched if history.personas[c] == persona]
        first = Counter(history.first_keys[c] for c in members).most_common(1)[0]
        second = Counter(history.second_keys[c] for c in members).most_common(1)[0]
        assert first[0] == second[0], f"{persona}: {first} then {second}"
        assert first[1] > len(members) / 2, f"{persona}: {first} of {len(members)}"


def test_membership_changes_are_exactly_the_customers_whose_key_changed(
    history: History,
) -> None:
    expected = set()
    for customer in history.first_keys.keys() | history.second_keys.keys():
        before, after = history.first_keys.get(customer), history.second_keys.get(customer)
        if before != after:
            if after is not None:
                expected.add((customer, after, "entered", before))
            if before is not None:
                expected.add((customer, before, "left", after))
    rows = history.second.query(
        "select customer_id, segment_key, change_type, other_segment_key"
        " from segment_membership_changes where build_number = 2"
    )
    assert expected, "the second build moved nobody: the scenario changed nothing"
    assert set(rows) == expected
    assert len(rows) == len(expected)


def test_transitions_count_the_moves_between_the_two_builds(history: History) -> None:
    expected = Counter(
        (history.first_keys.get(c), history.second_keys.get(c))
        for c in history.first_keys.keys() | history.second_keys.keys()
    )
    rows = history.second.query(
        "select from_segment_key, to_segment_key, customers from segment_transitions"
    )
    assert {(f, t): n for f, t, n in rows} == dict(expected)


def test_a_rebuild_of_the_same_data_on_a_new_warehouse_restores_history_and_adds_nothing(
    history: History,
) -> None:
    for name in SNAPSHOTS:
        assert f"Restored {name} from" in history.third.output
    assert history.snapshots_after_third == history.snapshots_after_second
    assert history.third_keys == history.second_keys
    assert history.third.query("select max(build_number) from published_builds") == [(2,)]
    summary = history.third.output[history.third.output.index("Build summary:") :]
    assert "history: build 2 of data set" in summary


def test_the_first_build_of_a_data_set_says_so(history: History) -> None:
    summary = history.first.output[history.first.output.index("Build summary:") :]
    assert "the first build of data set" in summary
    assert "history: build 1 of data set" in summary
    second = history.second.output[history.second.output.index("Build summary:") :]
    assert "the first build of data set" not in second
    assert "history: build 2 of data set" in second


def test_a_refused_build_changes_neither_what_bi_reads_nor_history(
    history: History, tmp_path: Path
) -> None:
    """A shrunken delivery whose refit also reshuffles the keys: both checks refuse it."""
    workdir = _copy_workdir(history, tmp_path / "dbt")
    # Every segment's customers handed to the next segment's key, then most customers gone.
    _spoil(
        workdir,
        "create temp table rotation as select segment_key as old_key, coalesce("
        "lead(segment_key) over (order by segment_key), min(segment_key) over ()) as new_key"
        " from (select distinct segment_key from customer_segments)",
        "update customer_segments set segment_key = rotation.new_key from rotation"
        " where customer_segments.segment_key = rotation.old_key",
        "delete from customer_segments where hash(customer_id) % 10 < 6",
    )
    result = run_dbt(workdir, FROM_THE_AUDIT, {"raw_data_path": str(history.raw)})
    assert not result.ok
    verdicts = dict(result.query("select check_name, verdict from publish_audit"))
    assert verdicts["customer_change"] == verdicts["key_reshuffle"] == "fail"
    assert "customers changed from" in result.output
    assert "moved to another segment key since the last published build" in result.output
    assert "publish_max_reshuffle_share = 50.0%" in result.output
    assert "history did not record it" in result.output
    assert "Traceback" not in result.output
    assert _snapshot_checksums(workdir / "warehouse.duckdb") == history.snapshots_after_third
    assert os.readlink(workdir / "published" / pub.CURRENT_LINK) == os.readlink(
        history.workdir / "published" / pub.CURRENT_LINK
    )


def test_another_data_set_is_its_own_first_version_and_leaves_this_one_alone(
    history: History, tmp_path: Path
) -> None:
    workdir = _copy_workdir(history, tmp_path / "dbt")
    # From the history the build reads on: every model that names the data set.
    select = ["build", "--select", "path:models/staging/history+"]
    result = run_dbt(
        workdir,
        [*select, "--exclude", "resource_type:unit_test"],
        {"raw_data_path": str(history.raw), "data_set": "another"},
    )
    assert result.ok, result.output[-4000:]
    assert "the first build of data set another" in result.output
    verdicts = dict(result.query("select check_name, verdict from publish_audit"))
    assert verdicts["customer_change"] == verdicts["key_reshuffle"] == "not_applicable"
    statuses = result.query(
        "select distinct key_status from segment_history where data_set = 'another'"
    )
    assert {status for (status,) in statuses} <= {"emerged", "outliers"}
    with duckdb.connect(str(result.db_path), read_only=True) as con:
        for name in SNAPSHOTS:
            own = relation_checksum(con, f"(select * from {name} where data_set != 'another')")
            with duckdb.connect(str(history.third.db_path), read_only=True) as before:
                assert own == relation_checksum(before, name), name


def test_an_empty_build_leaves_history_alone(history: History, tmp_path: Path) -> None:
    workdir = _copy_workdir(history, tmp_path / "dbt")
    # What runs after this build's stamp is decided: the snapshots and what reads them.
    select = ["--select", "int_history__this_build+", "--exclude", "resource_type:unit_test"]
    result = run_dbt(workdir, ["build", "--empty", *select], {"raw_data_path": str(history.raw)})
    assert result.ok, result.output[-4000:]
    assert _snapshot_checksums(workdir / "warehouse.duckdb") == history.snapshots_after_third


def test_dbt_run_does_not_publish_marts_history_does_not_hold(
    history: History, tmp_path: Path
) -> None:
    """`dbt run` runs no snapshots: a changed customer_segments would reach BI unrecorded."""
    workdir = _copy_workdir(history, tmp_path / "dbt")
    _spoil(
        workdir,
        "update customer_segments set segment_key = 'S00'"
        " where customer_id in (select customer_id from customer_segments"
        " where segment_key != 'S00' order by customer_id limit 3)",
    )
    result = run_dbt(
        workdir,
        ["run", "--select", "publish_audit", "publish_marts"],
        {"raw_data_path": str(history.raw)},
    )
    assert not result.ok
    assert "history does not hold this build (3 customers" in result.output
    assert os.readlink(workdir / "published" / pub.CURRENT_LINK) == os.readlink(
        history.workdir / "published" / pub.CURRENT_LINK
    )


def test_history_travels_with_the_published_version(history: History) -> None:
    current = history.workdir / "published" / pub.CURRENT_LINK
    for name in SNAPSHOTS:
        assert (current / pub.PERSISTENT_DIR / f"{name}.parquet").exists(), name
    with duckdb.connect(str(current / pub.DATABASE_FILE), read_only=True) as con:
        tables = {
            name for (name,) in con.execute("select table_name from duckdb_tables()").fetchall()
        }
    assert {
        "segment_registry",
        "segment_history",
        "segment_transitions",
        "segment_membership_changes",
        "published_builds",
        "audiences",
        "audience_people",
        "audience_memberships",
    } <= tables
