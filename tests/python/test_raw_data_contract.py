"""The raw data contract and the reject reasons each have one home the rest agrees with.

Columns live in models/staging/_raw__sources.yml (raw_data/contract.py reads
them for Python); the reasons in seeds/staging/reject_reasons.csv. The staging
SQL builds its column lists from the YAML itself, so what is checked here is
what is still written by hand: the contract page users read, and the CASE
expressions that apply the reasons in order.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from raw_data.contract import contract_columns, reject_reasons

PROJECT_DIR = Path(__file__).resolve().parents[2]
CONTRACT_DOC = PROJECT_DIR / "docs" / "raw-data-contract.md"
STAGING = PROJECT_DIR / "models" / "staging"
# A CASE expression whose value is a row's reject reason (`... end as row_reject_reason`,
# or `coalesce(row_reject_reason, case ... end) as reject_reason`), and what it gives.
REASON_CASE = re.compile(
    r"\bcase\b((?:(?!\bend\b).)*)\bend\s*\)?\s*as (?:row_)?reject_reason\b", re.S
)
GIVEN_REASON = re.compile(r"then '([a-z_]+)'")


def _documented_columns(source: str) -> list[tuple[str, bool, str]]:
    """(column, required, meaning) as the contract page's table for `source` lists them."""
    text = CONTRACT_DOC.read_text(encoding="utf-8")
    section = re.search(rf"^## {source} —.*?(?=^## |\Z)", text, re.S | re.M)
    assert section, f"{CONTRACT_DOC} has no section for {source}"
    columns = []
    for line in section.group(0).splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) < 4 or cells[0] in ("column", "") or set(cells[0]) <= {"-"}:
            continue
        columns += [(name.strip(), cells[2] == "yes", cells[3]) for name in cells[0].split(",")]
    return columns


@pytest.mark.parametrize("source", sorted(contract_columns()))
def test_the_contract_page_lists_the_yaml_columns(source: str) -> None:
    expected = [(column.name, column.required) for column in contract_columns()[source]]
    assert [(name, required) for name, required, _ in _documented_columns(source)] == expected


@pytest.mark.parametrize("source", sorted(contract_columns()))
def test_the_contract_page_calls_the_personal_columns_personal_data(source: str) -> None:
    documented = [
        name for name, _, meaning in _documented_columns(source) if "personal data" in meaning
    ]
    assert documented == [column.name for column in contract_columns()[source] if column.personal]


def test_each_reject_reason_names_known_sources() -> None:
    for reason in reject_reasons():
        assert reason.sources and set(reason.sources) <= set(contract_columns()), reason


def _given_reasons(path: Path) -> list[str]:
    """The reasons the model's reject-reason CASE expressions give, in the order written."""
    cases = REASON_CASE.findall(path.read_text(encoding="utf-8"))
    return [reason for case in cases for reason in GIVEN_REASON.findall(case)]


@pytest.mark.parametrize("path", sorted(STAGING.glob("base_raw__*.sql")), ids=lambda p: p.stem)
def test_staging_gives_reasons_in_the_seeds_precedence(path: Path) -> None:
    """Within a model the CASE expressions name the reasons first wins, in the seed's order."""
    precedence = {reason.reject_reason: reason.precedence for reason in reject_reasons()}
    given = _given_reasons(path)
    assert set(given) <= set(precedence), path.name
    assert [precedence[r] for r in given] == sorted(precedence[r] for r in given), given


@pytest.mark.parametrize("source", sorted(contract_columns()))
def test_staging_gives_each_source_the_reasons_the_seed_lists_for_it(source: str) -> None:
    given = {r for path in STAGING.glob(f"base_raw__{source}*.sql") for r in _given_reasons(path)}
    assert given == {r.reject_reason for r in reject_reasons() if source in r.sources}
