"""Reruns are safe: the same files always give the same marts and published copies.

All builds run in the workdir of the shared pipeline build, as a user reruns
`dbt build` on the same warehouse: a plain rerun, then a rerun killed (SIGKILL)
inside the DBSCAN Python model, when some marts are already replaced and
others not, then a build after it. Every mart (and every published table,
Parquet and DuckDB copy) must checksum identically to the first build, and the
published `current` copy must stay complete while the killed build lies in
pieces.

The reruns skip dbt's data tests: they read and never write, and the first
build ran them on the same files.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass

import pytest
from conftest import (
    Checksum,
    PipelineBuild,
    mart_checksums,
    published_checksums,
    publishes,
)
from dbt_project_runner import PROJECT_DIR, DbtResult, dbt_invocation, run_dbt

RERUN = ["build", "--exclude", "resource_type:test", "resource_type:unit_test"]
KILL_INSIDE = "customer_clusters_dbscan"
KILL_DEADLINE_SECONDS = 600


@dataclass(frozen=True)
class Reruns:
    """Checksums of the first build, of a plain rerun, and of the build after the killed one."""

    first_marts: dict[str, Checksum]
    first_published: dict[str, Checksum] | None
    rerun_marts: dict[str, Checksum]
    rerun_published: dict[str, Checksum] | None
    published_after_kill: dict[str, Checksum] | None
    killed_output: str
    after_kill: DbtResult
    after_kill_marts: dict[str, Checksum]
    after_kill_published: dict[str, Checksum] | None


def _published(build: PipelineBuild, result: DbtResult) -> dict[str, Checksum] | None:
    return published_checksums(build.workdir / "published") if publishes(result) else None


def _run_killed_inside(build: PipelineBuild, node: str) -> str:
    """Start a rerun and SIGKILL it once it has started `node`; return what it printed."""
    cmd, env = dbt_invocation(build.workdir, RERUN, {"raw_data_path": str(build.raw)})
    proc = subprocess.Popen(
        cmd,
        cwd=PROJECT_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    printed: list[str] = []
    deadline = time.monotonic() + KILL_DEADLINE_SECONDS
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            printed.append(line)
            if "START" in line and f".{node} " in line:
                # Let the model get under way so the kill lands in the middle of it.
                time.sleep(1.0)
                break
            if time.monotonic() > deadline:
                break
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    output = "".join(printed)
    assert proc.returncode == -signal.SIGKILL, output
    assert f".{node} " in output, f"the build never reached {node}:\n{output[-3000:]}"
    return output


@pytest.fixture(scope="module")
def reruns(pipeline_build: PipelineBuild) -> Reruns:
    first = pipeline_build.result
    dbt_vars = {"raw_data_path": str(pipeline_build.raw)}
    first_marts = mart_checksums(first)
    first_published = _published(pipeline_build, first)

    rerun = run_dbt(pipeline_build.workdir, RERUN, dbt_vars)
    assert rerun.ok, rerun.output[-4000:]
    rerun_marts, rerun_published = mart_checksums(rerun), _published(pipeline_build, rerun)

    killed_output = _run_killed_inside(pipeline_build, KILL_INSIDE)
    published_after_kill = _published(pipeline_build, first)

    after_kill = run_dbt(pipeline_build.workdir, RERUN, dbt_vars)
    assert after_kill.ok, after_kill.output[-4000:]
    return Reruns(
        first_marts,
        first_published,
        rerun_marts,
        rerun_published,
        published_after_kill,
        killed_output,
        after_kill,
        mart_checksums(after_kill),
        _published(pipeline_build, after_kill),
    )


def test_the_builds_checksum_the_expected_marts(reruns: Reruns) -> None:
    """Guards the other tests against comparing nothing."""
    assert {"customer_features", "customer_clusters"} <= set(reruns.first_marts)
    assert all(rows > 0 for _, rows, _ in reruns.first_marts.values())


def test_a_rerun_gives_byte_identical_marts(reruns: Reruns) -> None:
    assert reruns.rerun_marts == reruns.first_marts


def test_a_rerun_publishes_byte_identical_copies(reruns: Reruns) -> None:
    assert reruns.first_published, "the build publishes the segment marts for BI"
    assert reruns.rerun_published == reruns.first_published


def test_a_build_after_a_killed_one_equals_a_clean_build(reruns: Reruns) -> None:
    assert reruns.after_kill_marts == reruns.first_marts
    assert reruns.after_kill_published == reruns.first_published


def test_a_killed_build_leaves_the_published_copy_complete(reruns: Reruns) -> None:
    """BI readers keep the last complete version while the killed build lies in pieces."""
    assert reruns.published_after_kill == reruns.first_published
