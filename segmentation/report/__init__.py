"""The segment report: one self-contained HTML file people would rather look at than read.

`make build` runs this after `dbt build`:

    python -m segmentation.report --db warehouse/segmentation.duckdb \
        --out reports/segment_report.html --publish-dir warehouse/published

It opens the warehouse read-only (after the build, so it blocks nothing),
reads what it shows (segmentation.report.data), draws every figure into a
PNG embedded as base64 (.figures) and writes one HTML file that can be
mailed as it is (.page).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb

from segmentation.report.data import load_report_data, missing_tables
from segmentation.report.page import render_html


def write_report(db_path: Path, out_path: Path, publish_dir: Path | None = None) -> Path:
    """Read the warehouse read-only, render the report and write it to `out_path`.

    With `publish_dir` (where BI reads), a build that is not the published one
    says so at the top of the page.
    """
    with duckdb.connect(str(db_path), read_only=True) as con:
        missing = missing_tables(con)
        if missing:
            raise LookupError(f"{db_path} has no {', '.join(missing)}: did `dbt build` succeed?")
        data = load_report_data(con, publish_dir)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(render_html(data), encoding="utf-8")
    return out_path


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; a missing warehouse is a one-line error, not a traceback."""
    parser = argparse.ArgumentParser(prog="python -m segmentation.report", description=__doc__)
    parser.add_argument("--db", type=Path, default=Path("warehouse/segmentation.duckdb"))
    parser.add_argument("--out", type=Path, default=Path("reports/segment_report.html"))
    parser.add_argument(
        "--publish-dir",
        type=Path,
        help="where the build publishes for BI, to say on top whether BI reads this build",
    )
    args = parser.parse_args(argv)
    if not args.db.exists():
        print(f"error: no warehouse at {args.db}: run `make build` first", file=sys.stderr)
        return 1
    try:
        path = write_report(args.db, args.out, args.publish_dir)
    except LookupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"wrote {path}", file=sys.stderr)
    return 0
