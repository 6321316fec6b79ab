"""What dbt would put in a model's jinja context, with realistic values, for SQLFluff only.

SQLFluff's jinja templater renders models without dbt and without a database:
its own `var()` returns a placeholder, a macro that reads the warehouse
(`segment_numeric_features`) returns nothing and there is no `graph` (whose
sources give the staging macros the raw files' columns), so loops over
features and columns render empty and their SQL is never linted. `.sqlfluff`
loads this package as its `library_path`; every public name here becomes a
template variable, ahead of SQLFluff's dbt builtins. Nothing here runs in a
dbt build.
"""

from __future__ import annotations

import datetime as _datetime
import importlib.util as _importlib_util
import sys as _sys
from pathlib import Path as _Path

import yaml as _yaml

_PROJECT_DIR = _Path(__file__).resolve().parents[2]
_NUMERIC_TYPE_PREFIXES = (
    "tinyint",
    "smallint",
    "integer",
    "bigint",
    "hugeint",
    "utinyint",
    "usmallint",
    "uinteger",
    "ubigint",
    "float",
    "double",
    "real",
    "decimal",
    "numeric",
)

# A fixed build identity: lint output must not change from run to run.
invocation_id = "00000000-0000-0000-0000-000000000000"
run_started_at = _datetime.datetime(2026, 1, 1, tzinfo=_datetime.UTC)


def _project_vars() -> dict:
    """The vars and their defaults as dbt_project.yml writes them (each written once there)."""
    project = _yaml.safe_load((_PROJECT_DIR / "dbt_project.yml").read_text())
    return project.get("vars") or {}


def var(name: str, default: object = None) -> object:
    """dbt's `var()`: the project's default, else the default given at the call."""
    value = _project_vars().get(name)
    return default if value is None else value


class _Exceptions:
    """dbt's `exceptions`: a compiler error stops the lint of that file with its message."""

    @staticmethod
    def raise_compiler_error(message: str) -> None:
        raise RuntimeError(message)

    @staticmethod
    def warn(message: str) -> str:
        return ""


exceptions = _Exceptions()


def contract_numeric_columns(relation: object) -> list[str]:
    """The numeric columns (customer_id excluded) a model's YAML contract declares, in order.

    Stands in for the warehouse's column list where a macro reads it: the
    contract is what dbt enforces the built table to have.
    """
    name = str(relation)
    for path in sorted((_PROJECT_DIR / "models").rglob("*.yml")):
        for model in (_yaml.safe_load(path.read_text()) or {}).get("models") or []:
            if model.get("name") != name:
                continue
            return [
                column["name"]
                for column in model.get("columns") or []
                if column["name"] != "customer_id"
                and str(column.get("data_type", "")).lower().startswith(_NUMERIC_TYPE_PREFIXES)
            ]
    raise RuntimeError(f"no model {name!r} with columns in models/**/*.yml")


def _raw_data_contract() -> object:
    """raw_data/contract.py, loaded from its file: SQLFluff does not put the project on sys.path."""
    path = _PROJECT_DIR / "raw_data" / "contract.py"
    spec = _importlib_util.spec_from_file_location("_raw_data_contract", path)
    module = _importlib_util.module_from_spec(spec)
    _sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _raw_sources_graph() -> dict:
    """dbt's `graph.sources` for the raw sources, as far as macro raw_contract_columns reads it.

    Both come from models/staging/_raw__sources.yml, so SQLFluff lints the
    column lists the staging models build from it.
    """
    contract = _raw_data_contract()
    return {
        f"source.customer_segmentation.{contract.RAW_SOURCE}.{table}": {
            "source_name": contract.RAW_SOURCE,
            "name": table,
            "columns": {
                column.name: {
                    "name": column.name,
                    "meta": {"required": column.required, "personal": column.personal},
                }
                for column in columns
            },
        }
        for table, columns in contract.contract_columns().items()
    }


graph = {"sources": _raw_sources_graph()}
