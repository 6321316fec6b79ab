"""Every customer assigned with the latest stored fit (var clustering_mode score): a thin
`model()` over segmentation.clustering.score.

No DBSCAN, search, refinement or stability run: each customer joins the
cluster of its nearest stored core point within the stored eps, else of its
nearest stored anchor within the absorption radius, else is an outlier, in
the stored fit's own cluster ids. In refit mode it returns no rows
(customer_clusters_dbscan clusters). Its output has the refit model's
columns, so the models after it read either alike (macro clustered_customers).
"""

import logging

from segmentation.clustering.config import ClusteringConfig
from segmentation.clustering.output import diagnostics_json, empty_assignments
from segmentation.clustering.run import ClusteringResult, model_frame
from segmentation.clustering.score import score_relation
from segmentation.clustering.stored_fit import NoStoredFit, read_latest_fit
from segmentation.dbt_logging import captured_warnings
from segmentation.model_settings import read_settings

logger = logging.getLogger("segmentation")


def model(dbt, session):
    dbt.config(materialized="table")
    settings = read_settings(session, "customer_clusters_scored")
    with captured_warnings() as warnings:
        config = ClusteringConfig.from_vars(settings)
        if config.mode != "score":
            return model_frame(ClusteringResult(empty_assignments()), {})
        stored = read_latest_fit(dbt.ref("clustering_fits"), dbt.ref("clustering_fit_points"))
        if stored is None:
            raise NoStoredFit()
        fit, record = stored
        result = score_relation(dbt.ref("customer_features"), fit, record, config)
    diagnostics = {**result.diagnostics, "warnings": warnings, "clustering_vars": settings}
    logger.info("clustering diagnostics: %s", diagnostics_json(diagnostics))
    return model_frame(result, diagnostics)
