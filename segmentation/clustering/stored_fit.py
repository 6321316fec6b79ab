"""What a refit learned, kept in the warehouse so a later build can score without refitting.

A refit stores (models/clustering: clustering_fits, one row per fit, and
clustering_fit_points, its points):

- how each feature entered the distance (segmentation.features.scaling.ColumnScale,
  every field of it: fill, transform, centre, spread);
- eps, and the absorption radius: how far from a segmented customer the
  refit still let excess noise join a segment;
- the anchors: the fitted customers noise could join (core points and the
  other clustered customers), as scaled points, each with its final cluster
  (after refinement and renumbering) and whether it is a core point;
- the 2-D projection, and each segment's origin and stability.

Only the fitted rows are stored, never every customer. The fit's id is a
hash of all of it, so the same data gives the same id and an identical
rebuild stores nothing new.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from segmentation.clustering.output import Projection
from segmentation.features.scaling import ColumnScale, scale_records, scales_from_records

# The relations' names inside the queries that read a stored fit.
FITS_SOURCE = "clustering_fits_source"
POINTS_SOURCE = "clustering_fit_points_source"


# Significant digits of the parameters a fit's id is computed from (StoredFit.fit_id).
ID_DIGITS = 9


def significant(value: object, digits: int) -> object:
    """A JSON value with every float rounded to `digits` significant digits."""
    if isinstance(value, float):
        return float(f"{value:.{digits}g}")
    if isinstance(value, dict):
        return {key: significant(item, digits) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [significant(item, digits) for item in value]
    return value


class NoStoredFit(RuntimeError):
    """Score mode on a warehouse where no refit has stored a fit."""

    def __init__(self) -> None:
        # macros/clustering_mode.sql (require_stored_fit) stops such a build before any
        # model runs; this is the model's own guard, for a table emptied since.
        super().__init__("clustering_fits holds no fit to score with: refit first")


@dataclass(frozen=True)
class StoredFit:
    """A refit's model: scales, eps, absorption radius, anchors, projection, segments."""

    scales: tuple[ColumnScale, ...]
    eps: float
    absorb_radius: float
    points: np.ndarray
    labels: np.ndarray
    is_core: np.ndarray
    projection: Projection
    segments: tuple[dict, ...]

    @property
    def features(self) -> tuple[str, ...]:
        return tuple(scale.name for scale in self.scales)

    def parameters(self) -> dict:
        """Everything but the points, as JSON values (clustering_fits.scoring_parameters)."""
        return {
            "scales": scale_records(self.scales),
            "eps": float(self.eps),
            "absorb_radius": float(self.absorb_radius),
            "projection": {
                "mean": [float(x) for x in self.projection.mean],
                "components": [[float(x) for x in row] for row in self.projection.components],
            },
            "segments": [dict(segment) for segment in self.segments],
        }

    @property
    def fit_id(self) -> str:
        """A hash of the parameters and the points: equal fits, equal ids, across builds.

        The parameters are hashed at ID_DIGITS significant digits: a feature's
        centre and spread are sums merged in the order DuckDB's threads hand
        over the chunks, so a rerun on the same data may differ in the last
        bit, where the points (float32) and the segments do not.
        """
        digest = hashlib.sha256(
            json.dumps(significant(self.parameters(), ID_DIGITS), sort_keys=True).encode()
        )
        digest.update(np.ascontiguousarray(self.points, dtype=np.float32).tobytes())
        digest.update(np.ascontiguousarray(self.labels, dtype=np.int64).tobytes())
        digest.update(np.ascontiguousarray(self.is_core, dtype=np.bool_).tobytes())
        return digest.hexdigest()[:16]


def stored_segments(segments: list[dict]) -> tuple[dict, ...]:
    """Each segment's id, origin and stability: what a score build cannot measure again.

    What noise strays on is left out: a score build finds it on its own outliers.
    """
    return tuple(
        {"cluster_id": s["cluster_id"], "origin": s["origin"], "stability": s["stability"]}
        for s in segments
    )


def fit_from_parameters(
    parameters: dict, *, points: np.ndarray, labels: np.ndarray, is_core: np.ndarray
) -> StoredFit:
    """The StoredFit whose `parameters()` and points these are."""
    projection = parameters["projection"]
    scales = scales_from_records(parameters["scales"])
    return StoredFit(
        scales=scales,
        eps=float(parameters["eps"]),
        absorb_radius=float(parameters["absorb_radius"]),
        points=np.asarray(points, dtype=np.float32).reshape(len(labels), len(scales)),
        labels=np.asarray(labels, dtype=np.int64),
        is_core=np.asarray(is_core, dtype=bool),
        projection=Projection(
            np.asarray(projection["mean"], dtype=np.float64),
            np.asarray(projection["components"], dtype=np.float64).reshape(
                -1, len(projection["mean"])
            ),
        ),
        segments=tuple(parameters["segments"]),
    )


def point_lists(points: np.ndarray, rows: np.ndarray, total: int) -> pa.ListArray:
    """A list column over `total` customers: each row in `rows` holds its point, others null.

    One Arrow list array (offsets and a validity mask, the values only for
    the stored rows) rather than a Python object per customer.
    """
    counts = np.zeros(total, dtype=np.int32)
    counts[rows] = points.shape[1]
    offsets = np.concatenate(([0], np.cumsum(counts, dtype=np.int32)))
    stored = np.zeros(total, dtype=bool)
    stored[rows] = True
    values = pa.array(np.ascontiguousarray(points, dtype=np.float32).reshape(-1))
    return pa.ListArray.from_arrays(pa.array(offsets), values, mask=pa.array(~stored))


def read_latest_fit(fits, points) -> tuple[StoredFit, dict] | None:
    """The latest stored fit and its row of clustering_fits, or None when none is stored.

    `fits` and `points` are DuckDB relations over clustering_fits and
    clustering_fit_points; the latest fit is the highest refit_number.
    """
    latest = fits.query(
        FITS_SOURCE, f"select * from {FITS_SOURCE} order by refit_number desc limit 1"
    ).to_arrow_table()
    if latest.num_rows == 0:
        return None
    record = {name: latest.column(name)[0].as_py() for name in latest.column_names}
    fit_id = str(record["fit_id"]).replace("'", "''")
    table = points.query(
        POINTS_SOURCE,
        f"select cluster_id, is_core_point, coordinates from {POINTS_SOURCE}"
        f" where fit_id = '{fit_id}' order by point_number",
    ).to_arrow_table()
    coordinates = table.column("coordinates").combine_chunks()
    fit = fit_from_parameters(
        json.loads(record["scoring_parameters"]),
        points=np.asarray(coordinates.flatten(), dtype=np.float32),
        labels=table.column("cluster_id").to_numpy(),
        is_core=table.column("is_core_point").to_numpy(zero_copy_only=False),
    )
    return fit, record
