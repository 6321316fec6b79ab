"""One set of figures: the build summary says what dbt's closing lines, the publish audit
and the report say.

The summary is the last thing a build prints before dbt's own closing lines; if
it counts warnings or segments differently from them, a reader cannot tell
which to believe. Checked on the shared pipeline build (warnings where builds
warn: test_warnings.py, test_bad_inputs.py).
"""

from __future__ import annotations

import itertools
import re

import duckdb
from conftest import PipelineBuild

from segmentation.report import page


def _summary(output: str) -> str:
    """The summary's lines: its heading and the indented lines under it."""
    lines = output[output.index("Build summary:") :].splitlines()
    return "\n".join([lines[0], *itertools.takewhile(lambda line: line.startswith(" "), lines[1:])])


def test_a_build_without_warnings_says_none_where_dbt_counts_none(
    pipeline_build: PipelineBuild,
) -> None:
    output = pipeline_build.result.output
    warned = sum(r["status"] == "warn" for r in pipeline_build.result.run_results())
    assert f"WARN={warned} " in output.splitlines()[-1]
    expected = "warnings: none" if warned == 0 else f"warnings: {warned} (as dbt counts"
    assert expected in _summary(output), _summary(output)


def test_segments_are_counted_without_outliers_as_the_audit_and_the_report_count(
    pipeline_build: PipelineBuild,
) -> None:
    summary = _summary(pipeline_build.result.output)
    found = re.search(r"customers: (\d+) segments? \(.*\) and outliers \((.*)\)", summary)
    assert found, summary
    segments, outliers = int(found[1]), found[2]
    [(audited,)] = pipeline_build.result.query(
        "select observed from publish_audit where check_name = 'has_segments'"
    )
    assert segments == audited
    with duckdb.connect(str(pipeline_build.result.db_path), read_only=True) as con:
        segment_summary = con.execute("select * from segment_summary").df()
    noise = segment_summary.loc[segment_summary["naming_basis"] == "noise"]
    [(name, customers)] = noise[["segment_name", "customers"]].itertuples(index=False)
    assert outliers == f"{name} {customers:,}"
    assert page.segments_and_outliers(segment_summary) == (
        f"{segments} segments and {customers:,} outliers"
    )
