"""The project's var defaults, read from dbt_project.yml, for tests that run the code without dbt.

dbt_project.yml writes each default once; a test that needs "the settings a
build gets" reads them here rather than restating them, and changes only the
ones it means (`clustering_config(features=...)`, `dataclasses.replace`).
"""

from __future__ import annotations

import csv
from dataclasses import replace

from dbt_project_runner import PROJECT_DIR

from benchmarks.project_vars import project_vars
from segmentation.clustering.config import ClusteringConfig

__all__ = ["clustering_config", "project_vars", "seed_feature_labels"]


def clustering_config(**changes: object) -> ClusteringConfig:
    """The config a build with the default vars runs, with `changes` to its fields."""
    return replace(ClusteringConfig.from_vars(project_vars()), **changes)


def seed_feature_labels() -> dict[str, str]:
    """Seed feature_labels as feature -> label, in the seed's order (what the report reads)."""
    with (PROJECT_DIR / "seeds" / "segments" / "feature_labels.csv").open(newline="") as handle:
        return {row["feature_name"]: row["label"] for row in csv.DictReader(handle)}
