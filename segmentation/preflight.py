"""Before dbt opens the warehouse: say in one sentence why it cannot, when it cannot.

DuckDB allows one process to write a database file, and a BI tool, a notebook
or a second build that opened the warehouse (even read-only) holds it; a
warehouse in a folder that does not exist cannot be created. dbt-duckdb then
fails each of its connection attempts with a full Python traceback, about 235
lines in all. dbt lets a profile's plugin speak before the connection is made
(`update_connection_config`), so `Plugin` (named in profiles.yml) checks the
file the way the build will open it and, when it cannot be, stops dbt with one
sentence naming the file, the folder or the process and what to do: plain
`dbt build` as well as `make build`.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, ClassVar

import duckdb
from dbt.adapters.duckdb.plugins import BasePlugin
from dbt_common.exceptions import DbtRuntimeError

HOLDER = re.compile(r"Conflicting lock is held in (?P<program>.+?) \(PID (?P<pid>\d+)\)")
# Paths DuckDB does not open as a local file: nothing here to check.
NOT_A_LOCAL_FILE = re.compile(r"^(:memory:|[a-z][a-z0-9+.-]*:)", re.IGNORECASE)


def held_message(database: Path, error: str) -> str | None:
    """The sentence for a lock conflict in DuckDB's `error`, or None for any other error."""
    if "Could not set lock" not in error:
        return None
    holder = HOLDER.search(error)
    who = f"{Path(holder['program']).name} (PID {holder['pid']})" if holder else "another process"
    return (
        f"The warehouse file {database} is held by {who}, so dbt cannot write it: close"
        " that process (a notebook, a BI tool or another build), or wait for the other"
        " build to end, then build again. BI tools and notebooks should read the"
        " published copy (current/segments.duckdb in the publish folder), which a build"
        " never holds."
    )


def folder_message(database: Path) -> str | None:
    """The sentence for a warehouse whose folder is missing or cannot be written, or None."""
    folder = database.parent
    fix = (
        "create it, or point SEGMENTATION_DB_PATH at a file in a folder the build can write,"
        " then build again."
    )
    cannot_create = f"so dbt cannot create {database}: {fix}"
    if not folder.exists():
        return f"The warehouse folder {folder} does not exist, {cannot_create}"
    if not folder.is_dir():
        return f"The warehouse folder {folder} is a file, not a folder: {fix}"
    if not database.exists() and not os.access(folder, os.W_OK | os.X_OK):
        return f"The warehouse folder {folder} cannot be written, {cannot_create}"
    return None


def warehouse_problem(database: Path) -> str | None:
    """Why the build cannot open `database` for writing, in one sentence; None if it can.

    A file that does not exist yet cannot be held; it is not created here.
    """
    problem = folder_message(database)
    if problem or not database.exists():
        return problem
    try:
        duckdb.connect(str(database)).close()
    except duckdb.IOException as error:
        return held_message(database, str(error))
    return None


class Plugin(BasePlugin):
    """dbt-duckdb calls `update_connection_config` just before it opens the warehouse."""

    checked: ClassVar[set[str]] = set()

    def update_connection_config(self, creds: Any, config: dict[str, Any]) -> None:
        """Stop dbt with the problem sentence; each warehouse is checked once per process.

        Once per process: dbt-duckdb reopens the file after its last handle closes,
        and a build that got the file has nothing more to learn from another check.
        """
        path = str(creds.path)
        if path in self.checked or NOT_A_LOCAL_FILE.match(path):
            return
        problem = warehouse_problem(Path(path))
        if problem:
            raise DbtRuntimeError(problem)
        self.checked.add(path)
