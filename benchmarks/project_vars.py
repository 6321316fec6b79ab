"""The build's var defaults, read from dbt_project.yml: the benchmark measures a default build.

The baseline and the typed copy floor apply the build's rules (the earliest
valid date, the largest amount, the as-of date's quantile and tolerance, the
engagement window) with the values a build that sets no var uses, read here
rather than written a second time.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

PROJECT_FILE = Path(__file__).resolve().parents[1] / "dbt_project.yml"


@cache
def project_vars() -> dict[str, object]:
    """Every var with its default, as dbt_project.yml writes it."""
    return yaml.safe_load(PROJECT_FILE.read_text(encoding="utf-8"))["vars"]
