"""The semantic layer answers like the marts: `mf query` by segment equals segment_summary.

MetricFlow's CLI reads the semantic manifest from `<project>/target/` only, so
the query runs in a scratch project folder holding the project's
dbt_project.yml and the manifest of the shared pipeline build, against that
build's warehouse; the developer's own target/ and warehouse are left alone.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from conftest import PipelineBuild
from dbt_project_runner import PROJECT_DIR

MF = Path(sys.executable).with_name("mf")
METRICS = ("customers", "revenue", "revenue_share", "average_order_value", "outlier_customers")
SEGMENT = "customer__segment_name"


def mf_query(
    build: PipelineBuild, workdir: Path, metrics: tuple[str, ...], group_by: str = SEGMENT
) -> list[dict]:
    """Rows of `mf query --metrics ... --group-by <group_by>` over the build."""
    project = workdir / "project"
    (project / "target").mkdir(parents=True)
    (project / "dbt_project.yml").symlink_to(PROJECT_DIR / "dbt_project.yml")
    # The profile's plugin (segmentation.preflight) is imported from the project root.
    (project / "segmentation").symlink_to(PROJECT_DIR / "segmentation")
    shutil.copyfile(
        build.result.target_path / "semantic_manifest.json",
        project / "target" / "semantic_manifest.json",
    )
    out = workdir / "query.csv"
    env = {
        **os.environ,
        "DBT_PROJECT_DIR": str(project),
        "DBT_PROFILES_DIR": str(PROJECT_DIR),
        "SEGMENTATION_DB_PATH": str(build.result.db_path),
        "DBT_LOG_PATH": str(workdir / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    proc = subprocess.run(
        [str(MF), "query", "--metrics", ",".join(metrics), "--group-by", group_by, "--csv", out],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with out.open(newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def by_segment(pipeline_build: PipelineBuild, tmp_path_factory: pytest.TempPathFactory):
    """The metric query's rows and segment_summary's, each keyed by segment name."""
    rows = mf_query(pipeline_build, tmp_path_factory.mktemp("metricflow"), METRICS)
    summary = pipeline_build.result.query(
        "select segment_name, customers, revenue, revenue_share, avg_order_value, cluster_id"
        " from segment_summary"
    )
    return {row[SEGMENT]: row for row in rows}, {row[0]: row[1:] for row in summary}


def test_the_query_returns_every_segment_once(by_segment) -> None:
    metric_rows, summary = by_segment
    assert len(summary) >= 3
    assert sorted(metric_rows) == sorted(summary)


def test_customers_and_revenue_equal_segment_summary(by_segment) -> None:
    metric_rows, summary = by_segment
    for segment, (customers, revenue, *_) in summary.items():
        assert int(metric_rows[segment]["customers"]) == customers, segment
        assert Decimal(metric_rows[segment]["revenue"]) == revenue, segment


def test_shares_and_order_values_equal_segment_summary(by_segment) -> None:
    """Doubles summed in another order may differ in their last bits, nothing more."""
    metric_rows, summary = by_segment
    for segment, (_, _, revenue_share, avg_order_value, _) in summary.items():
        assert float(metric_rows[segment]["revenue_share"]) == pytest.approx(revenue_share)
        assert float(metric_rows[segment]["average_order_value"]) == pytest.approx(avg_order_value)


def test_outlier_customers_are_the_noise_segment(by_segment) -> None:
    metric_rows, summary = by_segment
    assert any(cluster_id == -1 for *_, cluster_id in summary.values()), "no noise to count"
    for segment, (customers, *_, cluster_id) in summary.items():
        expected = customers if cluster_id == -1 else 0
        assert int(metric_rows[segment]["outlier_customers"]) == expected, segment


def test_the_readme_examples_and_saved_queries_come_sorted_and_readable() -> None:
    """MetricFlow returns rows in no set order and prints large figures as 1.5519e+06:
    each example a user copies sorts (--order, or a saved query with order_by) and fixes
    its decimals."""
    readme = (PROJECT_DIR / "README.md").read_text()
    commands = re.findall(r"\.venv/bin/mf query(?:[^\n]*\\\n)*[^\n]*", readme)
    assert commands, "the README's mf examples moved"
    semantic = yaml.safe_load(
        (PROJECT_DIR / "models" / "semantic" / "_semantic__models.yml").read_text()
    )
    sorted_queries = {
        query["name"] for query in semantic["saved_queries"] if query["query_params"]["order_by"]
    }
    assert sorted_queries == {query["name"] for query in semantic["saved_queries"]}
    for command in commands:
        saved = re.search(r"--saved-query (\w+)", command)
        assert "--order " in command or (saved and saved[1] in sorted_queries), command
        assert "--decimals " in command, command


def test_movement_metrics_count_the_membership_changes(
    pipeline_build: PipelineBuild, tmp_path: Path
) -> None:
    """Customers entered and left per segment key equal segment_membership_changes' rows."""
    key = "membership_change__segment_key"
    rows = mf_query(pipeline_build, tmp_path, ("customers_entered", "customers_left"), key)
    changes = pipeline_build.result.query(
        "select segment_key, count(*) filter (where change_type = 'entered'),"
        " count(*) filter (where change_type = 'left') from segment_membership_changes"
        " group by segment_key"
    )
    assert changes, "the build recorded no membership: nothing to compare"
    assert {
        row[key]: (int(row["customers_entered"]), int(row["customers_left"])) for row in rows
    } == {segment_key: (entered, left) for segment_key, entered, left in changes}
