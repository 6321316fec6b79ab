"""A wholly rejected source stops the build, and the build ends with what to fix.

Three columns are spoilt the way real exports get them wrong, in one build to
keep it quick: transaction dates written DD/MM/YYYY on every other row,
amounts written "€12,50" on the rest, and a lender's loans dated in the 1970s.
Each gate must stop the build before anything after staging runs, and dbt's
closing lines must name the source, the reason, the first offending raw
values with their line in the file, and the fix of seed reject_reasons, with
the var that admits the rows where one does.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import STAGING_BUILD, RawSample
from dbt_project_runner import DbtResult, run_dbt


@dataclass(frozen=True)
class Spoilt:
    """One way an export spoils a whole column, and what the gate must say about it."""

    name: str
    source: str
    column: str
    reason: str
    rewrite: str
    fix: str
    # Which rows of the file the case spoils: every one, or even or odd lines only.
    lines: str = "all"


def _dd_mm_yyyy(value: str) -> str:
    found = re.match(r"(\d{4})-(\d{2})-(\d{2})", value)
    return f"{found[3]}/{found[2]}/{found[1]}" if found else value


def _euro_decimal_comma(value: str) -> str:
    found = re.fullmatch(r"(-?)(\d+)\.(\d\d)", value)
    return f"{found[1]}€{found[2]},{found[3]}" if found else value


def _fifty_years_earlier(value: str) -> str:
    found = re.match(r"(\d{4})(.*)", value)
    return f"{int(found[1]) - 50}{found[2]}" if found else value


REWRITES = {
    "dd_mm_yyyy": _dd_mm_yyyy,
    "euro_decimal_comma": _euro_decimal_comma,
    "fifty_years_earlier": _fifty_years_earlier,
}

CASES = [
    Spoilt(
        "DD/MM dates",
        "transactions",
        "transaction_date",
        "unparsable_date",
        "dd_mm_yyyy",
        "fix: write dates as YYYY-MM-DD",
        "even",
    ),
    Spoilt(
        "euro amounts with a decimal comma",
        "transactions",
        "amount",
        "non_numeric_amount",
        "euro_decimal_comma",
        "remove the currency symbol",
        "odd",
    ),
    Spoilt(
        "1970s loans",
        "credit_profiles",
        "snapshot_date",
        "implausible_date",
        "fifty_years_earlier",
        "dates before var min_valid_date (1990-01-01)",
    ),
]


def _spoil(path: Path, case: Spoilt) -> list[tuple[int, str]]:
    """Rewrite the case's column on its lines; return (line, new value) of the rows changed."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    position = rows[0].index(case.column)
    changed = []
    for line, row in enumerate(rows[1:], start=2):
        if case.lines != "all" and (line % 2 == 0) != (case.lines == "even"):
            continue
        new = REWRITES[case.rewrite](row[position])
        if new != row[position]:
            row[position] = new
            changed.append((line, new))
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, quoting=csv.QUOTE_ALL).writerows(rows)
    return changed


@pytest.fixture(scope="module")
def stopped(raw_sample: RawSample, tmp_path_factory) -> tuple[dict[str, list], DbtResult]:
    root = tmp_path_factory.mktemp("gate")
    raw = raw_sample.copy_to(root / "raw")
    changed = {case.name: _spoil(raw / f"{case.source}.csv", case) for case in CASES}
    return changed, run_dbt(root / "dbt", STAGING_BUILD, {"raw_data_path": str(raw)})


def _closing_lines(result: DbtResult) -> str:
    """What dbt prints after the run: from "Completed with ..." to the end."""
    return result.output[result.output.rindex("Completed with") :]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_a_wholly_rejected_source_ends_the_build_with_its_fix_and_values(
    stopped, case: Spoilt
) -> None:
    changed, result = stopped
    assert not result.ok
    assert "Traceback" not in result.output
    ending = _closing_lines(result)
    gate = ending[ending.index(f"source '{case.source}'") :]
    assert f"{case.reason}, " in gate, ending
    assert case.fix in gate, ending
    # The first offending values, quoted as the file holds them, with their lines.
    (line, value), (next_line, next_value) = changed[case.name][:2]
    assert f'{case.column} "{value}" (line {line})' in gate, ending
    assert f'"{next_value}" (line {next_line})' in gate, ending
    assert "configured to fail" not in ending, "dbt's row count is not the message"


@pytest.mark.parametrize("source", sorted({case.source for case in CASES}))
def test_the_gate_stops_everything_after_staging_but_keeps_the_rejects(stopped, source) -> None:
    _, result = stopped
    statuses = {r["unique_id"].split(".")[-1]: r["status"] for r in result.run_results()}
    assert statuses[f"stg_raw__{source}"] == "skipped"
    assert statuses["rejected_rows"] == "success"
    [(rejected,)] = result.query(
        f"select count(*) from rejected_rows where source_name = '{source}'"
    )
    assert rejected > 0
