"""The raw data contract as the dbt project states it, for the Python tools.

The columns of each source live once, in models/staging/_raw__sources.yml (their
order, and per column whether it is required or personal data); the reject
reasons live once, in seeds/staging/reject_reasons.csv. The staging models read
both through dbt; the generator, the converters and the tests read them here, so
a column or reason added there reaches every writer of raw files.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

PROJECT_DIR = Path(__file__).resolve().parents[1]
SOURCES_YML = PROJECT_DIR / "models" / "staging" / "_raw__sources.yml"
REJECT_REASONS_CSV = PROJECT_DIR / "seeds" / "staging" / "reject_reasons.csv"
RAW_SOURCE = "raw"


@dataclass(frozen=True)
class ContractColumn:
    """One column of a raw file: its name and what the contract says of it."""

    name: str
    required: bool
    personal: bool


@dataclass(frozen=True)
class RejectReason:
    """One row of seeds/staging/reject_reasons.csv."""

    reject_reason: str
    precedence: int
    sources: tuple[str, ...]
    is_defect: bool
    meaning: str


def _column(*, source: str, column: dict) -> ContractColumn:
    """A column of the YAML; a missing meta key is an error, not a silent default."""
    meta = (column.get("config") or {}).get("meta") or {}
    missing = {"required", "personal"} - set(meta)
    if missing:
        raise ValueError(
            f"{SOURCES_YML}: column {source}.{column['name']} lacks meta {sorted(missing)}"
        )
    return ContractColumn(
        name=column["name"], required=bool(meta["required"]), personal=bool(meta["personal"])
    )


@cache
def contract_columns() -> dict[str, tuple[ContractColumn, ...]]:
    """Each raw source's columns in contract order, sources in the YAML's order."""
    document = yaml.safe_load(SOURCES_YML.read_text(encoding="utf-8"))
    [raw] = [s for s in document["sources"] if s["name"] == RAW_SOURCE]
    return {
        table["name"]: tuple(_column(source=table["name"], column=c) for c in table["columns"])
        for table in raw["tables"]
    }


def column_names() -> dict[str, tuple[str, ...]]:
    """Each raw source's column names in contract order (the header of its file)."""
    return {
        source: tuple(column.name for column in columns)
        for source, columns in contract_columns().items()
    }


@cache
def reject_reasons() -> tuple[RejectReason, ...]:
    """Every reject reason, in precedence order (where several apply, the first wins)."""
    with REJECT_REASONS_CSV.open(encoding="utf-8", newline="") as file:
        rows = [
            RejectReason(
                reject_reason=row["reject_reason"],
                precedence=int(row["precedence"]),
                sources=tuple(row["sources"].split()),
                is_defect=row["is_defect"] == "true",
                meaning=row["meaning"],
            )
            for row in csv.DictReader(file)
        ]
    return tuple(sorted(rows, key=lambda reason: reason.precedence))


def reject_reasons_by_source() -> dict[str, tuple[str, ...]]:
    """The reasons each source's rows can get, in precedence order."""
    return {
        source: tuple(r.reject_reason for r in reject_reasons() if source in r.sources)
        for source in contract_columns()
    }
