"""SQLFluff lints models as dbt renders them, loops over warehouse columns included."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

PROJECT_DIR = Path(__file__).resolve().parents[2]
SQLFLUFF = Path(sys.executable).with_name("sqlfluff")


def _rendered(model: str) -> str:
    proc = subprocess.run(
        [str(SQLFLUFF), "render", model],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    return proc.stdout


def test_the_feature_loops_render_one_column_per_numeric_feature() -> None:
    """Every numeric column of customer_features' contract appears in the linted SQL."""
    marts = yaml.safe_load((PROJECT_DIR / "models/features/_features__models.yml").read_text())
    [features] = [m for m in marts["models"] if m["name"] == "customer_features"]
    numeric = [
        c["name"]
        for c in features["columns"]
        if c["name"] != "customer_id"
        and c["data_type"].split("(")[0] in {"integer", "bigint", "double", "decimal"}
    ]
    assert len(numeric) > 10
    features = _rendered("models/segments/int_segments__clustered_features.sql")
    profiles = _rendered("models/segments/int_segments__cluster_profiles.sql")
    for position, name in enumerate(numeric, start=1):
        assert f"cast(customer_features.{name} as double) as feature_{position}," in features
        assert f"'{name}' as feature_name" in profiles


def test_vars_render_with_the_project_defaults() -> None:
    """Not SQLFluff's placeholder: the default dbt_project.yml writes once."""
    sql = _rendered("models/staging/base_raw__transactions_typed.sql")
    assert "abs(amount_number) > 1000000" in sql


def test_the_raw_column_lists_render_from_the_sources_yaml() -> None:
    """The column lists the staging macros build from dbt's graph render for SQLFluff too,
    every contract column in contract order (lint/dbt_lint_context stands in for the graph)."""
    sources = yaml.safe_load((PROJECT_DIR / "models/staging/_raw__sources.yml").read_text())
    [raw] = sources["sources"]
    tables = {table["name"]: [c["name"] for c in table["columns"]] for table in raw["tables"]}
    personal = {
        c["name"]
        for table in raw["tables"]
        for c in table["columns"]
        if c["config"]["meta"]["personal"]
    }
    masked = "case when nullif(trim({0}_raw), '') is null then {0}_raw else '<masked>' end"
    for source, columns in tables.items():
        sql = _rendered(f"models/staging/base_raw__{source}.sql")
        record = ", ".join(
            f"{name} := " + (masked.format(name) if name in personal else f"{name}_raw")
            for name in columns
        )
        assert f"cast(to_json(struct_pack({record})) as varchar)" in sql, source
    sql = _rendered("models/staging/base_raw__transactions_repeats.sql")
    order = ", ".join(f"{name}_raw asc" for name in tables["transactions"])
    assert f"order by {order}, source_row_number asc" in sql
