"""Write-audit-publish: a bad build never replaces what BI reads, unless overridden.

Each case starts from a copy of the shared pipeline build (warehouse and
published folder), spoils the new build's customer_segments or
source_matching in one way, and reruns only the audit and the publish. The
audit must refuse with a sentence naming the figures and the var, fail the
invocation without a traceback, and leave `current` byte-identical; with var
publish_override the same build is published and the audit says so.
Whole builds whose raw ids disagree between sources are in test_source_matching.py.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest
from conftest import PipelineBuild, published_checksums
from dbt_project_runner import DbtResult, run_dbt

from segmentation import publish as pub

AUDIT_AND_PUBLISH = ["run", "--select", "publish_audit", "publish_marts"]


@dataclass(frozen=True)
class Spoil:
    """A change to the new build and the check it must fail, with words of its message."""

    name: str
    sql: list[str]
    failed_check: str
    expected: list[str]
    dbt_vars: dict = field(default_factory=dict)


SPOILS = [
    Spoil(
        "no customers",
        ["delete from customer_segments"],
        "has_customers",
        ["the new build has no customers"],
    ),
    Spoil(
        "no segment, only outliers",
        ["update customer_segments set cluster_id = -1"],
        "has_segments",
        ["no segment, only outliers"],
    ),
    Spoil(
        "customers change too much",
        ["delete from customer_segments where hash(customer_id) % 10 < 6"],
        "customer_change",
        ["customers changed from", "publish_max_customer_change = 50.0%"],
    ),
    Spoil(
        "segment count changes too much",
        ["update customer_segments set cluster_id = 0 where cluster_id >= 0"],
        "segment_count_change",
        ["segments changed from", "to 1", "publish_max_segment_count_change = 2"],
    ),
    Spoil(
        "outlier share jumps",
        ["update customer_segments set cluster_id = -1 where hash(customer_id) % 10 < 3"],
        "outlier_share_change",
        ["share of outliers changed from", "publish_max_outlier_share_change = 15.0 points"],
    ),
    Spoil(
        "a source matches too few customers",
        [
            "update source_matching set matched_customers = 3, match_share = 3 / customers,"
            " likely_cause = 'case', near_matches_case = customers - 3"
            " where source_name = 'demographics'"
        ],
        "source_match_share",
        [
            "source demographics: 3 of",
            "min_source_match_share = 20.0%",
            "customer_id_normalization: [lower]",
        ],
    ),
    Spoil(
        "a threshold var tightened",
        ["delete from customer_segments where hash(customer_id) % 10 = 0"],
        "customer_change",
        ["publish_max_customer_change = 5.0%"],
        {"publish_max_customer_change": 0.05},
    ),
]


def _copy_build(pipeline_build: PipelineBuild, destination: Path) -> Path:
    """The pipeline build's warehouse and published folder, as a user's next build finds them."""
    destination.mkdir(parents=True)
    shutil.copy(pipeline_build.result.db_path, destination / "warehouse.duckdb")
    shutil.copytree(pipeline_build.workdir / "published", destination / "published", symlinks=True)
    return destination


def _spoil(workdir: Path, statements: list[str]) -> None:
    with duckdb.connect(str(workdir / "warehouse.duckdb")) as con:
        for statement in statements:
            con.execute(statement)


def _verdicts(result: DbtResult) -> dict[str, str]:
    return dict(result.query("select check_name, verdict from publish_audit"))


def _current(workdir: Path) -> str:
    return os.readlink(workdir / "published" / pub.CURRENT_LINK)


def _audit(pipeline_build: PipelineBuild, workdir: Path, spoil: Spoil, **extra) -> DbtResult:
    _copy_build(pipeline_build, workdir)
    _spoil(workdir, spoil.sql)
    dbt_vars = {"raw_data_path": str(pipeline_build.raw), **spoil.dbt_vars, **extra}
    return run_dbt(workdir, AUDIT_AND_PUBLISH, dbt_vars)


@pytest.mark.parametrize("spoil", SPOILS, ids=lambda s: s.name)
def test_a_failed_audit_refuses_the_publish_and_keeps_current(
    pipeline_build: PipelineBuild, tmp_path: Path, spoil: Spoil
) -> None:
    before = published_checksums(pipeline_build.workdir / "published")
    result = _audit(pipeline_build, tmp_path / "dbt", spoil)
    assert not result.ok, "a refused publish fails the invocation (exit code 1)"
    assert "Publish refused, BI keeps the version published before" in result.output
    for text in spoil.expected:
        assert text in result.output, f"{text!r} not in:\n{result.output[-3000:]}"
    assert "Traceback" not in result.output, result.output[-3000:]
    assert _verdicts(result)[spoil.failed_check] == "fail"
    assert _current(tmp_path / "dbt") == _current(pipeline_build.workdir)
    assert published_checksums(tmp_path / "dbt" / "published") == before


def test_override_publishes_a_deliberate_change_and_records_it(
    pipeline_build: PipelineBuild, tmp_path: Path
) -> None:
    [spoil] = [s for s in SPOILS if s.failed_check == "segment_count_change"]
    result = _audit(pipeline_build, tmp_path / "dbt", spoil, publish_override=True)
    assert result.ok, result.output[-3000:]
    assert _verdicts(result)["segment_count_change"] == "overridden"
    assert _current(tmp_path / "dbt") != _current(pipeline_build.workdir)
    with duckdb.connect(
        str(tmp_path / "dbt" / "published" / pub.CURRENT_LINK / pub.DATABASE_FILE), read_only=True
    ) as con:
        segments = con.execute(
            "select count(distinct cluster_id) from customer_segments where cluster_id >= 0"
        ).fetchall()
    assert segments == [(1,)]
    assert "audits overridden by var publish_override: segment_count_change" in result.output


def test_a_build_like_the_published_one_passes_every_audit(
    pipeline_build: PipelineBuild, tmp_path: Path
) -> None:
    result = _audit(pipeline_build, tmp_path / "dbt", Spoil("none", [], "", []))
    assert result.ok, result.output[-3000:]
    assert set(_verdicts(result).values()) == {"pass"}
    assert _current(tmp_path / "dbt") != _current(pipeline_build.workdir)


def test_the_first_publish_has_nothing_to_compare_with(pipeline_build: PipelineBuild) -> None:
    verdicts = _verdicts(pipeline_build.result)
    assert verdicts == {
        "has_customers": "pass",
        "has_segments": "pass",
        "customer_change": "not_applicable",
        "segment_count_change": "not_applicable",
        "outlier_share_change": "not_applicable",
        "source_match_share": "pass",
        "key_reshuffle": "not_applicable",
        "as_of_date_order": "pass",
    }


def test_the_build_ends_with_a_summary(pipeline_build: PipelineBuild) -> None:
    output = pipeline_build.result.output
    summary = output[output.index("Build summary:") :]
    customers = pipeline_build.result.query("select count(*) from customer_segments")[0][0]
    assert f", {customers:,} customers: " in summary
    assert "rejected rows (table rejected_rows" in summary
    assert "customers found in another source: credit_profiles" in summary
    assert f"BI: published to {pipeline_build.workdir / 'published' / 'current'}" in summary


def test_an_audit_of_an_earlier_invocation_does_not_count(
    pipeline_build: PipelineBuild, tmp_path: Path
) -> None:
    """`dbt run -s customer_segments publish_marts` would publish marts nobody audited."""
    workdir = _copy_build(pipeline_build, tmp_path / "dbt")
    _spoil(workdir, SPOILS[0].sql)
    result = run_dbt(
        workdir, ["run", "--select", "publish_marts"], {"raw_data_path": str(pipeline_build.raw)}
    )
    assert not result.ok
    assert "publish_audit did not run in this invocation" in result.output
    assert "Traceback" not in result.output
    assert _current(workdir) == _current(pipeline_build.workdir)
