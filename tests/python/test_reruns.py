"""Reruns are safe: the same files always give the same marts and published copies.

All builds run in the workdir of the shared pipeline build, as a user reruns
`dbt build` on the same warehouse. A first rerun is killed (SIGKILL) as it
starts publishing, when every mart has been rebuilt: the marts must checksum
like the first build's, and the published `current` copy must be complete.
A second rerun is killed inside the DBSCAN Python model, when some marts are
replaced and others not: `current` must still be complete. A last build after
the kills must give every mart and every published table (Parquet and DuckDB
copy) byte-identical to the first build; it sets var publish_keep_versions to
1, and only the version it published may remain.

The reruns skip dbt's data tests: they read and never write, and the first
build ran them on the same files.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import (
    Checksum,
    PipelineBuild,
    mart_checksums,
    published_checksums,
    publishes,
)
from dbt_project_runner import PROJECT_DIR, DbtResult, dbt_invocation, run_dbt

from segmentation import publish as pub

RERUN = ["build", "--exclude", "resource_type:test", "resource_type:unit_test"]
PUBLISH_MODEL = "publish_marts"
PYTHON_MODEL = "customer_clusters_dbscan"
KILL_DEADLINE_SECONDS = 600


@dataclass(frozen=True)
class Reruns:
    """Checksums of the first build, after each killed rerun, and of the build after them."""

    first_marts: dict[str, Checksum]
    first_published: dict[str, Checksum] | None
    marts_when_publishing: dict[str, Checksum]
    published_after_publish_kill: dict[str, Checksum] | None
    published_after_model_kill: dict[str, Checksum] | None
    after_kills_marts: dict[str, Checksum]
    after_kills_published: dict[str, Checksum] | None
    incomplete_versions: list[str]
    kept_versions: list[str]


def _published(build: PipelineBuild, result: DbtResult) -> dict[str, Checksum] | None:
    return published_checksums(build.workdir / "published") if publishes(result) else None


def _run_killed_inside(build: PipelineBuild, node: str, delay_seconds: float) -> None:
    """Start a rerun and SIGKILL it `delay_seconds` after it has started `node`."""
    # Unbuffered, so each START line arrives when dbt prints it, not when a buffer fills.
    cmd, env = dbt_invocation(
        build.workdir, RERUN, {"raw_data_path": str(build.raw)}, {"PYTHONUNBUFFERED": "1"}
    )
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
                time.sleep(delay_seconds)
                break
            if time.monotonic() > deadline:
                break
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    output = "".join(printed)
    assert proc.returncode == -signal.SIGKILL, output
    assert f".{node} " in output, f"the build never reached {node}:\n{output[-3000:]}"


def _incomplete_versions(publish_dir: Path) -> list[str]:
    """Version directories a BI user could open that lack their manifest or a listed file."""
    incomplete = []
    for version in sorted((publish_dir / pub.VERSIONS_DIR).iterdir()):
        manifest = version / pub.MANIFEST_FILE
        tables = json.loads(manifest.read_text())["tables"] if manifest.exists() else None
        if tables is None or not all(
            (version / f"{t['table_name']}.parquet").exists() for t in tables
        ):
            incomplete.append(version.name)
    return incomplete


@pytest.fixture(scope="module")
def reruns(pipeline_build: PipelineBuild) -> Reruns:
    first = pipeline_build.result
    first_marts = mart_checksums(first)
    first_published = _published(pipeline_build, first)

    # Publishing a few hundred rows takes a fraction of a second: a short delay
    # lands the kill inside it, with dbt still running.
    _run_killed_inside(pipeline_build, PUBLISH_MODEL, delay_seconds=0.1)
    marts_when_publishing = mart_checksums(first)
    published_after_publish_kill = _published(pipeline_build, first)

    _run_killed_inside(pipeline_build, PYTHON_MODEL, delay_seconds=1.0)
    published_after_model_kill = _published(pipeline_build, first)

    # One version kept: the var reaches publish_marts through its pre-hook.
    last_vars = {"raw_data_path": str(pipeline_build.raw), "publish_keep_versions": 1}
    after_kills = run_dbt(pipeline_build.workdir, RERUN, last_vars)
    assert after_kills.ok, after_kills.output[-4000:]
    versions = pipeline_build.workdir / "published" / pub.VERSIONS_DIR
    return Reruns(
        first_marts,
        first_published,
        marts_when_publishing,
        published_after_publish_kill,
        published_after_model_kill,
        mart_checksums(after_kills),
        _published(pipeline_build, after_kills),
        _incomplete_versions(pipeline_build.workdir / "published"),
        sorted(version.name for version in versions.iterdir()),
    )


def test_the_builds_checksum_the_expected_marts(reruns: Reruns) -> None:
    """Guards the other tests against comparing nothing."""
    assert {"customer_features", "customer_clusters"} <= set(reruns.first_marts)
    # Transitions need a build before this one: the first build of a data set has none.
    empty = {name for name, (_, rows, _) in reruns.first_marts.items() if rows == 0}
    assert empty <= {"segment_transitions"}


def test_a_rerun_gives_byte_identical_marts(reruns: Reruns) -> None:
    assert reruns.marts_when_publishing == reruns.first_marts


def test_a_rerun_publishes_byte_identical_copies(reruns: Reruns) -> None:
    assert reruns.first_published, "the build publishes the segment marts for BI"
    assert reruns.after_kills_published == reruns.first_published


def test_a_build_after_killed_ones_equals_a_clean_build(reruns: Reruns) -> None:
    assert reruns.after_kills_marts == reruns.first_marts


def test_a_build_killed_while_publishing_leaves_a_complete_published_copy(
    reruns: Reruns,
) -> None:
    """`current` is the previous version or the new one, whole either way (both equal)."""
    assert reruns.published_after_publish_kill == reruns.first_published


def test_no_half_written_version_is_left_once_a_build_succeeds(reruns: Reruns) -> None:
    """A BI user browsing versions/ (say, to roll back) must find only whole versions."""
    assert reruns.incomplete_versions == []


def test_the_last_build_keeps_only_the_versions_its_var_asks_for(
    reruns: Reruns, pipeline_build: PipelineBuild
) -> None:
    current = os.readlink(pipeline_build.workdir / "published" / pub.CURRENT_LINK)
    assert reruns.kept_versions == [Path(current).name]


def test_a_build_killed_in_the_python_model_leaves_the_published_copy_alone(
    reruns: Reruns,
) -> None:
    assert reruns.published_after_model_kill == reruns.first_published
