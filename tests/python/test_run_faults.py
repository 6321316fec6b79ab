"""Faults at run time: each is one sentence saying what, where and what to do, and BI keeps
what it had until a good build replaces it.

Each case starts from a copy of the shared pipeline build (its warehouse and its
published versions, as a user's next build finds them), spoils one thing and runs
plain dbt (no `make build` preflight): the audit and the publish where the fault is
in the publish folder, anything where it is in the warehouse. A damaged published
version must not block every later build: the next good build replaces it. A bad
var value (publish_keep_versions: 0 among them) is test_settings.py's.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from conftest import PipelineBuild
from dbt_project_runner import DbtResult, run_dbt

from segmentation import publish as pub

PUBLISH = ["run", "--select", "publish_audit", "publish_marts"]
# What a fault must never show: a Python traceback or DuckDB's own message.
RAW_MESSAGES = (
    "Traceback",
    "Python model failed",
    "IO Error:",
    "Parser Error:",
    "Binder Error:",
    "Catalog Error:",
    "No magic bytes",
    "_duckdb.",
)
# A fault stops dbt within its first lines; 235 was the traceback this replaced.
MOST_LINES = 45


def _copy_build(pipeline_build: PipelineBuild, destination: Path) -> Path:
    destination.mkdir(parents=True)
    shutil.copy(pipeline_build.result.db_path, destination / "warehouse.duckdb")
    shutil.copytree(pipeline_build.workdir / "published", destination / "published", symlinks=True)
    return destination


def _run(pipeline_build: PipelineBuild, workdir: Path, args=PUBLISH, env=None) -> DbtResult:
    return run_dbt(workdir, args, {"raw_data_path": str(pipeline_build.raw)}, env)


def _what_bi_reads(published: Path) -> dict[str, str]:
    """Where `current` leads and a digest of every file there: what a BI tool would open."""
    current = published / pub.CURRENT_LINK
    seen = {"current": os.readlink(current) if current.is_symlink() else "plain folder"}
    for path in sorted(current.rglob("*")):
        if path.is_file():
            seen[str(path.relative_to(current))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return seen


def _assert_one_sentence(result: DbtResult, *expected: str) -> None:
    """The run failed with a message holding each `expected` text, and nothing raw."""
    assert not result.ok, result.output[-3000:]
    for text in expected:
        assert text in result.output, f"{text!r} not in:\n{result.output[-3000:]}"
    for raw in RAW_MESSAGES:
        assert raw not in result.output, f"{raw!r} in:\n{result.output[-3000:]}"
    assert len(result.output.splitlines()) <= MOST_LINES, result.output


def _summary(result: DbtResult) -> str:
    return result.output[result.output.index("Build summary:") :]


def test_a_truncated_published_file_is_replaced_by_the_next_good_build(
    pipeline_build: PipelineBuild, tmp_path: Path
) -> None:
    workdir = _copy_build(pipeline_build, tmp_path / "dbt")
    damaged = workdir / "published" / pub.CURRENT_LINK / "customer_segments.parquet"
    damaged.write_bytes(damaged.read_bytes()[: damaged.stat().st_size // 3])
    before = os.readlink(workdir / "published" / pub.CURRENT_LINK)
    result = _run(pipeline_build, workdir)
    assert result.ok, result.output[-3000:]
    assert "is damaged" in result.output and str(damaged) in result.output
    assert os.readlink(workdir / "published" / pub.CURRENT_LINK) != before
    with duckdb.connect() as con:
        replaced = str(workdir / "published" / pub.CURRENT_LINK / damaged.name)
        [(rows,)] = con.execute("select count(*) from read_parquet(?)", [replaced]).fetchall()
    assert rows == pipeline_build.result.query("select count(*) from customer_segments")[0][0]
    # The audit compares with history, not with the damaged file.
    verdicts = dict(result.query("select check_name, verdict from publish_audit"))
    assert verdicts["customer_change"] == "pass"
    assert verdicts["has_customers"] == "pass"


def test_a_missing_published_manifest_still_compares_the_figures(
    pipeline_build: PipelineBuild, tmp_path: Path
) -> None:
    """The audit's yardstick is history's last published build, which a lost manifest
    does not touch; the next publish writes a manifest again."""
    workdir = _copy_build(pipeline_build, tmp_path / "dbt")
    (workdir / "published" / pub.CURRENT_LINK / pub.MANIFEST_FILE).unlink()
    result = _run(pipeline_build, workdir)
    assert result.ok, result.output[-3000:]
    audit = result.query("select distinct verdict, previous_version from publish_audit")
    assert {verdict for verdict, _ in audit} == {"pass"}
    assert {version.split(" (build ")[0] for _, version in audit} == {"as of 2026-06-30"}
    assert (workdir / "published" / pub.CURRENT_LINK / pub.MANIFEST_FILE).exists()


def test_current_as_a_plain_folder_is_one_sentence_and_stays(
    pipeline_build: PipelineBuild, tmp_path: Path
) -> None:
    workdir = _copy_build(pipeline_build, tmp_path / "dbt")
    current = workdir / "published" / pub.CURRENT_LINK
    version = current.resolve()
    current.unlink()
    shutil.copytree(version, current)
    before = _what_bi_reads(workdir / "published")
    result = _run(pipeline_build, workdir)
    _assert_one_sentence(result, f"{current} is a plain folder", "move it aside")
    assert "audit refused" not in _summary(result)
    assert f"BI: NOT published: {current} is a plain folder" in _summary(result)
    assert _what_bi_reads(workdir / "published") == before


def test_a_publish_folder_that_cannot_be_written_is_one_sentence(
    pipeline_build: PipelineBuild, tmp_path: Path
) -> None:
    """A path through a file: even root cannot write there, unlike a folder without rights."""
    workdir = _copy_build(pipeline_build, tmp_path / "dbt")
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")
    publish_dir = blocker / "published"
    result = _run(pipeline_build, workdir, env={"SEGMENTATION_PUBLISH_DIR": str(publish_dir)})
    _assert_one_sentence(result, f"The publish folder {publish_dir} cannot be written")
    assert "audit refused" not in _summary(result)
    assert blocker.read_text() == "not a folder"


def test_a_warehouse_folder_that_does_not_exist_is_one_sentence(
    pipeline_build: PipelineBuild, tmp_path: Path
) -> None:
    workdir = _copy_build(pipeline_build, tmp_path / "dbt")
    database = tmp_path / "no such folder" / "warehouse.duckdb"
    before = _what_bi_reads(workdir / "published")
    result = _run(
        pipeline_build,
        workdir,
        ["build", "--select", "publish_audit+"],
        env={"SEGMENTATION_DB_PATH": str(database)},
    )
    _assert_one_sentence(result, f"The warehouse folder {database.parent} does not exist")
    assert not database.parent.exists()
    assert _what_bi_reads(workdir / "published") == before


@pytest.fixture
def held_warehouse(pipeline_build: PipelineBuild, tmp_path: Path):
    """A copy of the build whose warehouse another process (a notebook, a build) holds."""
    workdir = _copy_build(pipeline_build, tmp_path / "dbt")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys; con = duckdb.connect(sys.argv[1], read_only=True);"
            " print('held', flush=True); sys.stdin.read()",
            str(workdir / "warehouse.duckdb"),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        yield workdir, holder.pid
    finally:
        holder.communicate("")


def test_a_build_on_a_held_warehouse_is_one_sentence_naming_file_and_process(
    pipeline_build: PipelineBuild, held_warehouse: tuple[Path, int]
) -> None:
    workdir, pid = held_warehouse
    before = _what_bi_reads(workdir / "published")
    result = _run(pipeline_build, workdir, ["build"])
    _assert_one_sentence(
        result, f"The warehouse file {workdir / 'warehouse.duckdb'} is held by", f"(PID {pid})"
    )
    assert _what_bi_reads(workdir / "published") == before
