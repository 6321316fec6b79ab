"""DBSCAN segments over `customer_features` (a refit): a thin `model()` over
segmentation.clustering.

The vars arrive as one JSON object that the pre-hook set_python_model_settings()
hands over (segmentation/model_settings.py says why), parsed here, at the edge,
into a ClusteringConfig. With var clustering_mode score this model returns no
rows: customer_clusters_scored assigns the customers with the stored fit.
Otherwise the refit's stored points ride along in `fit_point` and the per-build
diagnostics as one JSON text column (segmentation.clustering.run.model_frame);
`clustering_diagnostics` parses them into one typed row, with the vars the
build ran with (clustering_vars), and clustering_fits and clustering_fit_points
keep the fit for later score builds.
"""

import logging

from segmentation.clustering.config import ClusteringConfig
from segmentation.clustering.output import diagnostics_json, empty_assignments
from segmentation.clustering.run import ClusteringResult, cluster_relation, model_frame
from segmentation.dbt_logging import captured_warnings
from segmentation.model_settings import read_settings

logger = logging.getLogger("segmentation")


def model(dbt, session):
    dbt.config(materialized="table")
    settings = read_settings(session, "customer_clusters_dbscan")
    # Warnings reach dbt's log and are kept with the diagnostics (segmentation/dbt_logging.py).
    with captured_warnings() as warnings:
        config = ClusteringConfig.from_vars(settings)
        if config.mode != "refit":
            return model_frame(ClusteringResult(empty_assignments()), {})
        # The relation, not a frame: only the ids and a float32 matrix of the
        # chosen features cross into Python (segmentation/features/source.py).
        result = cluster_relation(dbt.ref("customer_features"), config)
    diagnostics = {**result.diagnostics, "warnings": warnings, "clustering_vars": settings}
    logger.info("clustering diagnostics: %s", diagnostics_json(diagnostics))
    return model_frame(result, diagnostics)
