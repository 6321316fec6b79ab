"""DBSCAN segments over `customer_features` (a refit): a thin `model()` over
segmentation.clustering.

With var clustering_mode score it returns no rows: customer_clusters_scored
assigns the customers with the stored fit. Otherwise the refit's stored points
ride along in `fit_point` and the per-build diagnostics as one JSON text column
(segmentation.clustering.run.model_frame); `clustering_diagnostics` parses them
into one typed row, and clustering_fits and clustering_fit_points keep the fit
for later score builds.
"""

from segmentation.clustering.model import clustering_model
from segmentation.clustering.run import cluster_relation


def model(dbt, session):
    dbt.config(materialized="table")
    # The relation, not a frame: only the ids and a float32 matrix of the chosen
    # features cross into Python (segmentation/features/source.py). dbt finds a ref
    # only as a statement of model() itself, not inside a lambda.
    features = dbt.ref("customer_features")
    return clustering_model(
        session,
        model_name="customer_clusters_dbscan",
        mode="refit",
        work=lambda config: cluster_relation(features, config),
    )
