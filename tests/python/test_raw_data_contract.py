"""The raw data contract's columns have one home the rest agrees with.

Columns live in models/staging/_raw__sources.yml (raw_data/contract.py reads
them for Python). What is checked here is what is still written by hand: the
contract page users read.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from raw_data.contract import contract_columns

PROJECT_DIR = Path(__file__).resolve().parents[2]
CONTRACT_DOC = PROJECT_DIR / "docs" / "raw-data-contract.md"


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
