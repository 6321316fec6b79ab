"""Run the dbt project in isolation, the way pytest's end-to-end tests need it.

Every build gets its own DuckDB file, target and log folders, so tests can run
beside a developer's own build and beside each other without sharing state.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb

PROJECT_DIR = Path(__file__).resolve().parents[2]
DBT = Path(sys.executable).with_name("dbt")


@dataclass(frozen=True)
class DbtResult:
    """What one dbt invocation left behind."""

    returncode: int
    output: str
    db_path: Path
    target_path: Path

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def query(self, sql: str) -> list[tuple]:
        """Run one read-only query against the built warehouse and close it again.

        The connection is closed before returning because any other process
        holding the file makes the next `dbt build` fail.
        """
        with duckdb.connect(str(self.db_path), read_only=True) as con:
            return con.execute(sql).fetchall()

    def run_results(self) -> list[dict]:
        """The per-node results dbt wrote for this invocation."""
        data = json.loads((self.target_path / "run_results.json").read_text())
        return data["results"]


def dbt_invocation(
    workdir: Path,
    args: list[str],
    dbt_vars: dict | None = None,
    env: dict[str, str] | None = None,
    project_dir: Path = PROJECT_DIR,
) -> tuple[list[str], dict[str, str]]:
    """The command line and environment of `dbt <args>` with its state kept under `workdir`.

    Separate from run_dbt for tests that must start dbt themselves (to interrupt
    it) or run a modified copy of the project (`project_dir`).
    """
    workdir.mkdir(parents=True, exist_ok=True)
    # dbt-duckdb writes each Python model to a temporary file; a run killed on purpose
    # (test_reruns) would leave it in /tmp.
    (workdir / "tmp").mkdir(exist_ok=True)
    cmd = [str(DBT), *args, "--project-dir", str(project_dir), "--profiles-dir", str(PROJECT_DIR)]
    if dbt_vars:
        cmd += ["--vars", json.dumps(dbt_vars)]
    full_env = {
        **os.environ,
        "SEGMENTATION_DB_PATH": str(workdir / "warehouse.duckdb"),
        "SEGMENTATION_PUBLISH_DIR": str(workdir / "published"),
        "DBT_TARGET_PATH": str(workdir / "target"),
        "DBT_LOG_PATH": str(workdir / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "TMPDIR": str(workdir / "tmp"),
        **(env or {}),
    }
    return cmd, full_env


def run_dbt(
    workdir: Path,
    args: list[str],
    dbt_vars: dict | None = None,
    env: dict[str, str] | None = None,
    project_dir: Path = PROJECT_DIR,
) -> DbtResult:
    """Run `dbt <args>` against the project with its state kept under `workdir`."""
    cmd, full_env = dbt_invocation(workdir, args, dbt_vars, env, project_dir)
    proc = subprocess.run(
        cmd, cwd=project_dir, env=full_env, capture_output=True, text=True, check=False
    )
    return DbtResult(
        proc.returncode, proc.stdout + proc.stderr, workdir / "warehouse.duckdb", workdir / "target"
    )
