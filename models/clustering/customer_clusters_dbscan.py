"""DBSCAN segments over `customer_features`: a thin wrapper over segmentation.clustering.

Parameters arrive through the YAML config (vars rendered there), because
`dbt.config()` inside a Python model only takes literals. The per-build
diagnostics ride along as one JSON text column, repeated on every row as a
single-category categorical (cheap in pandas, compressed by DuckDB), and
`clustering_diagnostics` parses it into one typed row.
"""

import logging

import numpy as np
import pandas as pd

from segmentation.clustering import (
    ClusteringConfig,
    cluster_relation,
    diagnostics_json,
)
from segmentation.dbt_logging import captured_warnings

logger = logging.getLogger("segmentation")


def model(dbt, session):
    dbt.config(materialized="table")
    # dbt hands a Python model only the config keys named in literal
    # `dbt.config.get("...")` calls (it reads them from the source), so each
    # key is spelled out here once instead of being looked up by name.
    settings = {
        "cluster_features": dbt.config.get("cluster_features"),
        "dbscan_eps": dbt.config.get("dbscan_eps"),
        "dbscan_min_samples": dbt.config.get("dbscan_min_samples"),
        "dbscan_max_exact_rows": dbt.config.get("dbscan_max_exact_rows"),
        "dbscan_sample_rows": dbt.config.get("dbscan_sample_rows"),
        "dbscan_search_rows": dbt.config.get("dbscan_search_rows"),
        "dbscan_chunk_rows": dbt.config.get("dbscan_chunk_rows"),
        "dbscan_max_noise_share": dbt.config.get("dbscan_max_noise_share"),
        "dbscan_max_largest_cluster_share": dbt.config.get("dbscan_max_largest_cluster_share"),
        "dbscan_random_state": dbt.config.get("dbscan_random_state"),
        "segment_min_share": dbt.config.get("segment_min_share"),
        "segment_min_count": dbt.config.get("segment_min_count"),
        "segment_max_count": dbt.config.get("segment_max_count"),
        "segment_stability_resamples": dbt.config.get("segment_stability_resamples"),
        "segment_stability_rows": dbt.config.get("segment_stability_rows"),
        "feature_min_coverage": dbt.config.get("feature_min_coverage"),
        "feature_max_dominant_share": dbt.config.get("feature_max_dominant_share"),
        "feature_max_rank_correlation": dbt.config.get("feature_max_rank_correlation"),
        "feature_min_primary": dbt.config.get("feature_min_primary"),
        "feature_flag_zero_share": dbt.config.get("feature_flag_zero_share"),
    }
    # Warnings reach dbt's log and are kept with the diagnostics (segmentation/dbt_logging.py).
    with captured_warnings() as warnings:
        config = ClusteringConfig.from_getter(settings.get)
        # The relation, not a frame: only the ids and a float32 matrix of the
        # chosen features cross into Python (segmentation/feature_source.py).
        result = cluster_relation(dbt.ref("customer_features"), config)
    result.diagnostics["warnings"] = warnings
    frame = result.assignments
    payload = diagnostics_json(result.diagnostics)
    logger.info("clustering diagnostics: %s", payload)
    # Built from codes: a list of 1M copies of the text made pandas copy each
    # one first (2.6 GiB at 1M customers, the build's peak); codes cost 1 MB.
    frame["build_diagnostics"] = pd.Categorical.from_codes(
        np.zeros(len(frame), dtype=np.int8), categories=[payload]
    )
    return frame
