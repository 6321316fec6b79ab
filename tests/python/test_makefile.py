"""`make build` takes the user's vars, so the preflight, the build and the report stay one command.

dbt is replaced by a stub that writes the arguments it got, one per line: the
vars must arrive as one argument exactly as typed (quotes included), and no
`--vars` at all when none is given.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from dbt_project_runner import PROJECT_DIR

STUB = '#!/bin/sh\nfor argument in "$@"; do echo "$argument"; done > "$STUB_OUT"\n'


def _dbt_arguments(tmp_path: Path, *make_args: str) -> list[str]:
    stub = tmp_path / "dbt"
    stub.write_text(STUB)
    stub.chmod(0o755)
    out = tmp_path / "arguments"
    env = {
        **os.environ,
        "STUB_OUT": str(out),
        "SEGMENTATION_DB_PATH": str(tmp_path / "warehouse.duckdb"),
    }
    # The report finds no warehouse afterwards and fails: only dbt's arguments matter here.
    subprocess.run(
        ["make", "-s", "build", f"DBT={stub}", *make_args],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        check=False,
    )
    return out.read_text().splitlines()


def test_make_build_hands_vars_to_dbt_as_typed(tmp_path: Path) -> None:
    typed = "{raw_data_path: '/data/o''brien files', currency: USD}"
    assert _dbt_arguments(tmp_path, f"VARS={typed}") == ["build", "--vars", typed]


def test_make_build_without_vars_builds_the_sample(tmp_path: Path) -> None:
    assert _dbt_arguments(tmp_path) == ["build"]
