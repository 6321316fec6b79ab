"""Raw files in another encoding, delimiter or compression: read when the vars say so,
one sentence naming the file, the line and what to do when they do not.

Three failing staging builds hold two unreadable files each (each source fails
on its own); three passing builds read the variants the README names through
the vars (semicolon-delimited latin-1 gzip files together, tab-delimited
files, pipe-delimited UTF-16 files) and must stage every raw row, non-ASCII
text intact. (A warehouse file held by another process: test_run_faults.py.)
"""

from __future__ import annotations

import csv
import gzip
import io
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import RAW_FILES, STAGING_BUILD, RawSample, append_rows
from dbt_project_runner import DbtResult, run_dbt

SOURCES = ("transactions", "demographics", "credit_profiles")
ODD_REGION = "Île-de-France"
LONG_LINE_BYTES = 2_100_000


def _line_count(path: Path) -> int:
    return len(path.read_bytes().rstrip(b"\n").split(b"\n"))


def _redelimit(text: str, delimiter: str) -> str:
    rows = list(csv.reader(io.StringIO(text, newline="")))
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\n", quoting=csv.QUOTE_ALL).writerows(rows)
    return out.getvalue()


@dataclass(frozen=True)
class Unreadable:
    raw: Path
    result: DbtResult
    lines: dict[str, int]


def _message(result: DbtResult, path: Path) -> str:
    """The one error line that names `path`; no traceback, no reader dump."""
    assert not result.ok, result.output[-3000:]
    assert "Traceback" not in result.output, result.output[-3000:]
    assert "(Set By User)" not in result.output, "DuckDB's reader dump reached the user"
    assert "Possible Solution" not in result.output, "DuckDB's reader dump reached the user"
    lines = [line for line in result.output.splitlines() if f"'{path}'" in line]
    assert len(lines) == 1, f"{path} not named once in:\n{result.output[-3000:]}"
    return lines[0]


def _unreadable(raw_sample: RawSample, root: Path, spoil) -> Unreadable:
    """A staging build of the sample with `spoil(raw)` applied; it returns lines to name."""
    raw = raw_sample.copy_to(root / "raw")
    lines = spoil(raw)
    return Unreadable(raw, run_dbt(root / "dbt", STAGING_BUILD, {"raw_data_path": str(raw)}), lines)


def _redelimit_file(path: Path, delimiter: str) -> None:
    path.write_text(_redelimit(path.read_text(encoding="utf-8"), delimiter), encoding="utf-8")


def _overlong_transactions_latin1_demographics(raw: Path) -> dict[str, int]:
    append_rows(raw / "transactions.csv", [{"transaction_id": "x" * LONG_LINE_BYTES}])
    append_rows(raw / "demographics.csv", [{"customer_id": "C-LATIN", "region": ODD_REGION}])
    path = raw / "demographics.csv"
    path.write_bytes(path.read_text(encoding="utf-8").encode("latin-1"))
    return {
        "transactions": _line_count(raw / "transactions.csv"),
        "demographics": _line_count(path),
    }


def _tab_transactions_gzip_named_demographics(raw: Path) -> dict[str, int]:
    _redelimit_file(raw / "transactions.csv", "\t")
    path = raw / "demographics.csv"
    path.write_bytes(gzip.compress(path.read_bytes()))
    return {}


def _semicolon_transactions_gz_only_demographics(raw: Path) -> dict[str, int]:
    _redelimit_file(raw / "transactions.csv", ";")
    path = raw / "demographics.csv"
    path.with_suffix(".csv.gz").write_bytes(gzip.compress(path.read_bytes()))
    path.unlink()
    return {}


# transactions and demographics fail independently (credit_profiles waits for the
# as-of date, from transactions), so each build holds two unreadable files.
@pytest.fixture(scope="module")
def unreadable_one(raw_sample: RawSample, tmp_path_factory: pytest.TempPathFactory):
    return _unreadable(
        raw_sample,
        tmp_path_factory.mktemp("unreadable"),
        _overlong_transactions_latin1_demographics,
    )


@pytest.fixture(scope="module")
def unreadable_two(raw_sample: RawSample, tmp_path_factory: pytest.TempPathFactory):
    return _unreadable(
        raw_sample, tmp_path_factory.mktemp("unreadable"), _tab_transactions_gzip_named_demographics
    )


@pytest.fixture(scope="module")
def unreadable_three(raw_sample: RawSample, tmp_path_factory: pytest.TempPathFactory):
    return _unreadable(
        raw_sample,
        tmp_path_factory.mktemp("unreadable"),
        _semicolon_transactions_gz_only_demographics,
    )


def test_semicolon_delimited_file_names_the_delimiter_var(unreadable_three: Unreadable) -> None:
    message = _message(unreadable_three.result, unreadable_three.raw / "transactions.csv")
    assert "is semicolon-delimited" in message
    assert 'set var raw_csv_delimiter: ";"' in message


def test_tab_delimited_file_names_the_delimiter_var(unreadable_two: Unreadable) -> None:
    message = _message(unreadable_two.result, unreadable_two.raw / "transactions.csv")
    assert "is tab-delimited" in message
    assert 'set var raw_csv_delimiter: "\\t"' in message


def test_latin1_file_names_the_line_and_the_encoding_var(unreadable_one: Unreadable) -> None:
    message = _message(unreadable_one.result, unreadable_one.raw / "demographics.csv")
    assert f"is not utf-8 text at line {unreadable_one.lines['demographics']} " in message
    assert "raw_csv_encoding: latin-1" in message


def test_overlong_line_names_the_line(unreadable_one: Unreadable) -> None:
    message = _message(unreadable_one.result, unreadable_one.raw / "transactions.csv")
    line = unreadable_one.lines["transactions"]
    assert f"has a line longer than 2,000,000 bytes at line {line}," in message


def test_gzip_bytes_named_csv_are_named_as_such(unreadable_two: Unreadable) -> None:
    message = _message(unreadable_two.result, unreadable_two.raw / "demographics.csv")
    assert "is gzip-compressed but named without .gz" in message
    assert "raw_file_pattern: '{name}.csv.gz'" in message


def test_a_csv_missing_beside_its_gz_names_the_pattern_var(unreadable_three: Unreadable) -> None:
    message = _message(unreadable_three.result, unreadable_three.raw / "demographics.csv")
    assert "Raw file missing for source 'demographics'" in message
    assert "set var raw_file_pattern: '{name}.csv.gz'" in message


@dataclass(frozen=True)
class Variant:
    raw: Path
    result: DbtResult
    raw_rows: dict[str, int]


def _staged_rows(result: DbtResult) -> dict[str, int]:
    """Raw rows landed per source: cleaned rows plus rejected ones."""
    rows = {}
    for source in SOURCES:
        [(count,)] = result.query(
            f"select (select count(*) from stg_raw__{source})"
            f" + (select count(*) from rejected_rows where source_name = '{source}')"
        )
        rows[source] = count
    return rows


def _build_variant(
    raw_sample: RawSample, root: Path, delimiter: str, encoding: str, gzipped: bool
) -> Variant:
    raw = raw_sample.copy_to(root / "raw")
    append_rows(raw / "demographics.csv", [{"customer_id": "C-ODD-REGION", "region": ODD_REGION}])
    raw_rows = {}
    for name in RAW_FILES:
        path = raw / name
        raw_rows[path.stem] = _line_count(path) - 1
        data = _redelimit(path.read_text(encoding="utf-8"), delimiter).encode(encoding)
        if gzipped:
            path.with_suffix(".csv.gz").write_bytes(gzip.compress(data))
            path.unlink()
        else:
            path.write_bytes(data)
    dbt_vars = {
        "raw_data_path": str(raw),
        "raw_csv_delimiter": delimiter,
        "raw_csv_encoding": encoding,
    }
    if gzipped:
        dbt_vars["raw_file_pattern"] = "{name}.csv.gz"
    return Variant(raw, run_dbt(root / "dbt", STAGING_BUILD, dbt_vars), raw_rows)


@pytest.fixture(scope="module")
def semicolon_latin1_gzip(raw_sample: RawSample, tmp_path_factory: pytest.TempPathFactory):
    return _build_variant(
        raw_sample, tmp_path_factory.mktemp("semicolon_latin1_gzip"), ";", "latin-1", True
    )


@pytest.fixture(scope="module")
def tab_delimited(raw_sample: RawSample, tmp_path_factory: pytest.TempPathFactory):
    return _build_variant(raw_sample, tmp_path_factory.mktemp("tab"), "\t", "utf-8", False)


@pytest.fixture(scope="module")
def pipe_utf16(raw_sample: RawSample, tmp_path_factory: pytest.TempPathFactory):
    return _build_variant(raw_sample, tmp_path_factory.mktemp("pipe_utf16"), "|", "utf-16", False)


@pytest.mark.parametrize("variant", ["semicolon_latin1_gzip", "tab_delimited", "pipe_utf16"])
def test_a_supported_variant_stages_every_row_with_its_text(
    request: pytest.FixtureRequest, variant: str
) -> None:
    built: Variant = request.getfixturevalue(variant)
    assert built.result.ok, built.result.output[-3000:]
    assert _staged_rows(built.result) == built.raw_rows
    assert built.result.query(
        "select region from stg_raw__demographics where customer_id = 'C-ODD-REGION'"
    ) == [(ODD_REGION,)]
