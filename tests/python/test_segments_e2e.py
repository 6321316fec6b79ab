"""Named segments end to end on 20k generated customers, one shared build.

The generator plants seven personas; the segment names must recover them.
The same build then runs a second time while a separate process, like a BI
tool, keeps querying the published files: it must never fail and never see
a partial result, and every table it builds must equal the first build's bit
for bit. The report is rendered from the finished warehouse.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from conftest import Checksum, contracted_models, mart_checksums
from dbt_project_runner import DbtResult, run_dbt
from test_report import assert_complete_report, description_claims, false_claims

from raw_data.generate import generate
from segmentation import publish as pub
from segmentation import report

CUSTOMERS = 20_000
SEED = 7
MIN_PERSONA_ACCURACY = 0.90
# Unit tests read no raw data; `make dbt-test` runs them once.
BUILD = ["build", "--exclude", "resource_type:unit_test"]
EXPECTED_NAMES = {
    "frequent_shopper": "Frequent Shoppers",
    "big_spender": "Big Spenders",
    "bargain_hunter": "Bargain Hunters",
    "dormant": "Dormant Customers",
    "new_customer": "New Customers",
    "high_risk_borrower": "High-Risk Borrowers",
    "outlier": "Outliers",
}

# A BI-like reader in its own process: one connection held open for the whole
# build plus a fresh connection and a Parquet read per round. It records what
# it saw; the test judges. Runs until the stop file appears.
READER = textwrap.dedent(
    """
    import json, os, sys, time, traceback
    import duckdb
    publish_dir, stop_file, log_file = sys.argv[1:4]
    current = os.path.join(publish_dir, "current")
    database = os.path.join(current, "segments.duckdb")
    check = (
        "select (select count(*) from customer_segments), "
        "(select sum(customers) from segment_summary), "
        "(select count(distinct segment_name) from customer_segments), "
        "(select count(*) from segment_summary)"
    )
    held = duckdb.connect(database, read_only=True)
    with open(log_file, "w") as log:
        while not os.path.exists(stop_file):
            row = {"version": os.path.basename(os.path.realpath(current))}
            try:
                row["held"] = list(held.execute(check).fetchone())
                with duckdb.connect(database, read_only=True) as fresh:
                    row["fresh"] = list(fresh.execute(check).fetchone())
                with duckdb.connect() as con:
                    row["parquet"] = con.execute(
                        "select count(*) from read_parquet(?)",
                        [os.path.join(current, "customer_segments.parquet")],
                    ).fetchone()[0]
            except Exception:
                row["error"] = traceback.format_exc()
            log.write(json.dumps(row) + "\\n")
            log.flush()
            time.sleep(0.2)
    held.close()
    """
)


@dataclass(frozen=True)
class Build:
    """The shared state: raw data, the first and second build, what the reader saw."""

    raw: Path
    first: DbtResult
    second: DbtResult
    reader_log: list[dict]
    publish_dir: Path
    first_marts: dict[str, Checksum]
    second_marts: dict[str, Checksum]


def _assert_ok(result: DbtResult) -> None:
    assert result.ok, result.output[-4000:]


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    """Generate 20k customers, build twice, and read the published files during build two."""
    root = tmp_path_factory.mktemp("segments_e2e")
    raw = root / "raw"
    generate(CUSTOMERS, SEED, raw, "csv")
    workdir = root / "dbt"
    dbt_vars = {"raw_data_path": str(raw)}
    first = run_dbt(workdir, BUILD, dbt_vars)
    _assert_ok(first)
    # Taken now: the second build replaces every table in the same warehouse.
    first_marts = mart_checksums(first)

    publish_dir = workdir / "published"
    stop_file, log_file = root / "stop", root / "reader.jsonl"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(publish_dir), str(stop_file), str(log_file)]
    )
    try:
        time.sleep(1.0)  # the reader holds its connection before the build starts
        second = run_dbt(workdir, BUILD, dbt_vars)
        time.sleep(1.0)  # and reads the new version after it
    finally:
        stop_file.touch()
        reader.wait(timeout=60)
    log = [json.loads(line) for line in log_file.read_text().splitlines()]
    second_marts = mart_checksums(second) if second.ok else {}
    return Build(raw, first, second, log, publish_dir, first_marts, second_marts)


def _segments_with_truth(build: Build) -> pd.DataFrame:
    truth = pd.read_csv(build.raw / "truth.csv", dtype=str)
    # The base name: noise is "Outliers: <what describes it>", its base "Outliers".
    segments = pd.DataFrame(
        build.first.query("select customer_id, base_segment_name from customer_segments"),
        columns=["customer_id", "segment_name"],
    )
    return truth.merge(segments, on="customer_id", how="left", validate="one_to_one")


def test_each_planted_persona_carries_its_segment_name(build: Build) -> None:
    joined = _segments_with_truth(build)
    assert joined["segment_name"].notna().all(), "every generated customer has a segment"
    accuracy = (
        joined.assign(hit=joined["segment_name"] == joined["persona"].map(EXPECTED_NAMES))
        .groupby("persona")["hit"]
        .mean()
    )
    print("persona naming accuracy:", accuracy.round(4).to_dict())
    assert set(accuracy.index) == set(EXPECTED_NAMES)
    assert (accuracy >= MIN_PERSONA_ACCURACY).all(), accuracy.to_dict()


def test_every_expected_name_appears_in_the_summary(build: Build) -> None:
    names = {row[0] for row in build.first.query("select base_segment_name from segment_summary")}
    assert set(EXPECTED_NAMES.values()) <= names


def test_every_customer_is_in_exactly_one_segment(build: Build) -> None:
    (features, segments, distinct) = build.first.query(
        "select (select count(*) from customer_features), (select count(*) from "
        "customer_segments), (select count(distinct customer_id) from customer_segments)"
    )[0]
    assert features == segments == distinct >= CUSTOMERS


def test_a_reader_during_a_build_never_fails_and_sees_only_complete_results(
    build: Build,
) -> None:
    _assert_ok(build.second)
    customers = build.first.query("select count(*) from customer_segments")[0][0]
    segments = build.first.query("select count(*) from segment_summary")[0][0]
    complete = [customers, customers, segments, segments]
    errors = [row["error"] for row in build.reader_log if "error" in row]
    assert not errors, errors[0]
    assert len(build.reader_log) >= 20, "the reader ran through the build"
    for row in build.reader_log:
        assert row["held"] == complete
        assert row["fresh"] == complete
        assert row["parquet"] == customers
    versions = {row["version"] for row in build.reader_log}
    assert len(versions) == 2, "the reader saw the swap from the first build to the second"


def test_rebuilding_the_same_files_publishes_identical_marts(build: Build) -> None:
    versions = sorted((build.publish_dir / pub.VERSIONS_DIR).iterdir())
    assert len(versions) == 2
    with duckdb.connect() as con:
        for table in ("customer_segments", "segment_summary", "segment_profiles"):
            old, new = (str(v / f"{table}.parquet") for v in versions)
            difference = con.execute(
                "select count(*) from ((from read_parquet(?) except all from read_parquet(?)) "
                "union all (from read_parquet(?) except all from read_parquet(?)))",
                [old, new, new, old],
            ).fetchall()[0][0]
            assert difference == 0, table


def test_two_builds_of_the_same_files_give_byte_identical_tables(build: Build) -> None:
    """Every contracted table (and every other mart), compared as text of each value:
    a double that differs in its last bit prints differently. Timings and the build's
    own identity are left out (conftest.relation_checksum)."""
    _assert_ok(build.second)
    contracted = contracted_models(build.first)
    assert {"customer_features", "segment_profiles", "segment_summary"} <= contracted
    # How this build's clusters met the last build's keys: the second build meets the
    # first's (survived, with its Jaccard) where the first met none (emerged).
    matching = {"int_segments__segment_keys"}
    assert contracted - matching <= set(build.first_marts), "every contracted table is compared"
    differing = [
        name
        for name, checksum in build.first_marts.items()
        if build.second_marts.get(name) != checksum
    ]
    assert differing == []


def test_report_from_the_build_has_every_section(build: Build, tmp_path: Path) -> None:
    out = tmp_path / "segment_report.html"
    code = report.main(["--db", str(build.second.db_path), "--out", str(out)])
    assert code == 0
    names = [row[0] for row in build.second.query("select segment_name from segment_summary")]
    page = out.read_text(encoding="utf-8")
    assert_complete_report(page, names)
    assert os.path.getsize(out) > 50_000, "figures are embedded, not linked"
    assert len(description_claims(page)) >= len(names), "the descriptions quote their figures"
    assert false_claims(page) == []
