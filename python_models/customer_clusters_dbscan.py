"""DBSCAN segments over `customer_features`: a thin wrapper over segmentation.clustering.

Parameters arrive through the YAML config (vars rendered there), because
`dbt.config()` inside a Python model only takes literals. The per-build
diagnostics ride along as one JSON text column, repeated on every row as a
single-category categorical (cheap in pandas, compressed by DuckDB), and
`clustering_diagnostics` parses it into one typed row.
"""

import logging

import pandas as pd

from segmentation.clustering import (
    ClusteringConfig,
    cluster_customers,
    diagnostics_json,
)

logger = logging.getLogger("segmentation")


def to_pandas(relation) -> pd.DataFrame:
    """Convert whatever `dbt.ref()` returns on this adapter to pandas, in one place."""
    for method in ("df", "toPandas", "to_pandas"):
        if hasattr(relation, method):
            return getattr(relation, method)()
    raise TypeError(f"cannot convert {type(relation).__name__} to pandas")


def model(dbt, session):
    dbt.config(materialized="table")
    features = to_pandas(dbt.ref("customer_features"))
    config = ClusteringConfig.from_getter(dbt.config.get)
    result = cluster_customers(features, config)
    frame = result.assignments
    payload = diagnostics_json(result.diagnostics)
    logger.info("clustering diagnostics: %s", payload)
    frame["build_diagnostics"] = pd.Categorical([payload] * len(frame), categories=[payload])
    return frame
