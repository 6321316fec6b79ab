"""What both clustering Python models do around their work: read the vars, stand aside in
the other mode, keep the warnings, and return the frame with its diagnostics.

customer_clusters_dbscan refits and customer_clusters_scored scores (var
clustering_mode); each returns no rows in the other's mode, with the same
columns, so the models after them read either alike.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import pandas as pd

from segmentation.clustering.config import ClusteringConfig
from segmentation.clustering.output import diagnostics_json, empty_assignments
from segmentation.clustering.run import ClusteringResult, model_frame
from segmentation.dbt_logging import captured_warnings
from segmentation.model_settings import read_settings

logger = logging.getLogger("segmentation")


def clustering_model(
    session,
    *,
    model_name: str,
    mode: str,
    work: Callable[[ClusteringConfig], ClusteringResult],
) -> pd.DataFrame:
    """`work` on the model's config when var clustering_mode is `mode`, else no rows.

    The vars arrive as one JSON object from the pre-hook
    set_python_model_settings() (segmentation/model_settings.py says why) and
    are parsed here, at the edge. Warnings reach dbt's log and are kept with
    the diagnostics (segmentation/dbt_logging.py), as are the vars the build
    ran with (clustering_vars).
    """
    settings = read_settings(session, model_name)
    with captured_warnings() as warnings:
        config = ClusteringConfig.from_vars(settings)
        if config.mode != mode:
            return model_frame(ClusteringResult(empty_assignments()), {})
        result = work(config)
    diagnostics = {**result.diagnostics, "warnings": warnings, "clustering_vars": settings}
    logger.info("clustering diagnostics: %s", diagnostics_json(diagnostics))
    return model_frame(result, diagnostics)
