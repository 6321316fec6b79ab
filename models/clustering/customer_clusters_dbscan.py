"""DBSCAN segments over `customer_features`: a thin `model()` over segmentation.clustering.

The vars arrive as one JSON object that the pre-hook set_python_model_settings()
hands over (segmentation/model_settings.py says why), parsed here, at the edge,
into a ClusteringConfig. The per-build diagnostics ride along as one JSON text
column, repeated on every row as a single-category categorical (cheap in
pandas, compressed by DuckDB), and `clustering_diagnostics` parses it into one
typed row, with the vars the build ran with (clustering_vars).
"""

import logging

import numpy as np
import pandas as pd

from segmentation.clustering.config import ClusteringConfig
from segmentation.clustering.output import diagnostics_json
from segmentation.clustering.run import cluster_relation
from segmentation.dbt_logging import captured_warnings
from segmentation.model_settings import read_settings

logger = logging.getLogger("segmentation")


def model(dbt, session):
    dbt.config(materialized="table")
    settings = read_settings(session, "customer_clusters_dbscan")
    # Warnings reach dbt's log and are kept with the diagnostics (segmentation/dbt_logging.py).
    with captured_warnings() as warnings:
        config = ClusteringConfig.from_vars(settings)
        # The relation, not a frame: only the ids and a float32 matrix of the
        # chosen features cross into Python (segmentation/features/source.py).
        result = cluster_relation(dbt.ref("customer_features"), config)
    result.diagnostics["warnings"] = warnings
    result.diagnostics["clustering_vars"] = settings
    frame = result.assignments
    payload = diagnostics_json(result.diagnostics)
    logger.info("clustering diagnostics: %s", payload)
    # Built from codes: a list repeating the text would make pandas copy it once
    # per customer first, the build's peak memory; a code takes one byte.
    frame["build_diagnostics"] = pd.Categorical.from_codes(
        np.zeros(len(frame), dtype=np.int8), categories=[payload]
    )
    return frame
