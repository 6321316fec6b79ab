"""Before `dbt build`: say in one sentence when another process holds the warehouse file.

DuckDB allows one process to write a database file, and a BI tool or notebook
that opened the warehouse (even read-only) holds it. dbt then fails each of its
connection attempts with a full Python traceback, about 200 lines in all. This
check opens the file the way the build will and, if it is held, names the file
and the process and says what to do. `make build` runs it first; plain
`dbt build` does not, so the README points users at it.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import duckdb

HOLDER = re.compile(r"Conflicting lock is held in (?P<program>.+?) \(PID (?P<pid>\d+)\)")


def held_message(database: Path, error: str) -> str | None:
    """The sentence for a lock conflict in DuckDB's `error`, or None for any other error."""
    if "Could not set lock" not in error:
        return None
    holder = HOLDER.search(error)
    who = f"{Path(holder['program']).name} (PID {holder['pid']})" if holder else "another process"
    return (
        f"The warehouse file {database} is held by {who}, so dbt cannot write it: close"
        " that process (a notebook, a BI tool or another build), then build again. BI tools"
        " and notebooks should read the published copy (warehouse/published/current/"
        "segments.duckdb), which a build never holds."
    )


def check_database(database: Path) -> str | None:
    """Open `database` for writing as the build will; the problem sentence, or None if free.

    A file that does not exist yet cannot be held; it is not created here.
    """
    if not database.exists():
        return None
    try:
        duckdb.connect(str(database)).close()
    except duckdb.IOException as error:
        return held_message(database, str(error))
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True, help="the warehouse DuckDB file")
    args = parser.parse_args(argv)
    problem = check_database(args.db)
    if problem:
        print(problem, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
