"""Every customer assigned with the latest stored fit (var clustering_mode score): a thin
`model()` over segmentation.clustering.score.

No DBSCAN, search, refinement or stability run: each customer joins the
cluster of its nearest stored core point within the stored eps, else of its
nearest stored point within the absorption radius, else is an outlier, in
the stored fit's own cluster ids. In refit mode it returns no rows
(customer_clusters_dbscan clusters), with the same columns, so the models
after them read either alike (macro clustered_customers).
"""

from segmentation.clustering.model import clustering_model
from segmentation.clustering.score import score_latest_fit


def model(dbt, session):
    dbt.config(materialized="table")
    # Relations, read only in score mode; dbt finds a ref only as a statement of model().
    features = dbt.ref("customer_features")
    fits = dbt.ref("clustering_fits")
    points = dbt.ref("clustering_fit_points")
    return clustering_model(
        session,
        model_name="customer_clusters_scored",
        mode="score",
        work=lambda config: score_latest_fit(features, fits=fits, points=points, config=config),
    )
