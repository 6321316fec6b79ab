"""What the report shows, read once from the warehouse after the build.

The marts, the build's diagnostics and the vars it ran with, the feature labels of seed
feature_labels, and the k-distance curve recomputed as the build saw the data.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from sklearn.neighbors import NearestNeighbors

from segmentation.clustering.config import ClusteringConfig
from segmentation.clustering.sampling import scale_min_samples, stable_sample
from segmentation.features.selection import parse_feature_list
from segmentation.features.source import read_features

REQUIRED_TABLES: tuple[str, ...] = (
    "segment_summary",
    "segment_profiles",
    "customer_segments",
    "customer_clusters",
    "customer_features",
    "feature_labels",
    "build_metadata",
)
PROJECTION_POINTS = 20_000  # enough to show every segment's shape, small enough to draw fast


@dataclass(frozen=True)
class SegmentHistory:
    """Sizes per recorded build and key, and the paths between the last two builds."""

    sizes: pd.DataFrame
    flows: pd.DataFrame

    @property
    def builds(self) -> int:
        return int(self.sizes["build_number"].nunique()) if not self.sizes.empty else 0


def empty_history() -> SegmentHistory:
    """No recorded build (a warehouse from before history, or a first build refused)."""
    return SegmentHistory(pd.DataFrame(columns=["build_number"]), pd.DataFrame())


def read_history(con: duckdb.DuckDBPyConnection, data_set: str | None) -> SegmentHistory:
    """The recorded builds of `data_set`: every key's size per build (labelled with the
    key's latest name) and the flows into the latest build from the one before."""
    if data_set is None or not table_exists(con, "segment_history"):
        return empty_history()
    sizes = con.execute(
        """
        select history.build_number, history.as_of_date, history.segment_key,
            history.segment_key || ' ' || registry.segment_name as label, history.customers
        from segment_history as history
        inner join segment_registry as registry
            on history.data_set = registry.data_set
            and history.segment_key = registry.segment_key
        where history.data_set = ? and history.customers > 0
        order by history.build_number, history.segment_key
        """,
        [data_set],
    ).df()
    flows = con.execute(
        """
        select transitions.*, builds.build_number
        from segment_transitions as transitions
        inner join published_builds as builds
            on transitions.data_set = builds.data_set
            and transitions.recorded_at = builds.recorded_at
        where builds.data_set = ? and builds.is_latest
        """,
        [data_set],
    ).df()
    return SegmentHistory(sizes, flows)


@dataclass(frozen=True)
class ReportData:
    """Everything the report shows, read once from the warehouse.

    `build` is the row of build_metadata (raw data path, currency, build
    time); `feature_labels` maps each feature to its label in seed
    feature_labels, in the seed's order (related features side by side);
    `history` the recorded builds of the build's data set; `unpublished` why
    the build is not what BI reads, or None when it is.
    """

    summary: pd.DataFrame
    profiles: pd.DataFrame
    projection: pd.DataFrame
    diagnostics: dict
    k_distances: np.ndarray | None
    k_neighbour: int | None
    build: dict
    feature_labels: dict[str, str]
    # Gross sales over purchases of all customers: the average order value the segment
    # table's is compared with (None without purchases).
    population_avg_order_value: float | None = None
    history: SegmentHistory = field(default_factory=lambda: empty_history())
    unpublished: str | None = None
    # Of the customers in the last published build, the share with another segment key now.
    moved_share: float | None = None

    @property
    def currency(self) -> str:
        return str(self.build.get("currency") or "")

    @property
    def customers(self) -> int:
        return int(self.summary["customers"].sum()) if not self.summary.empty else 0


def feature_label(feature: str, labels: dict[str, str]) -> str:
    """A feature's name as a marketer reads it: its label in seed feature_labels."""
    return labels.get(feature, feature.replace("_", " "))


def is_missing(value: object) -> bool:
    """None, NaN and pandas' NA alike (a nullable column gives any of them)."""
    return (
        value is None
        or value is pd.NA
        or value is pd.NaT
        or (isinstance(value, float | np.floating) and np.isnan(value))
    )


def has_data(summary: pd.DataFrame, column: str | None) -> bool:
    """True when `column` holds a value other than null or zero for some segment."""
    if column is None:
        return True
    if column not in summary.columns:
        return False
    values = pd.to_numeric(summary[column], errors="coerce")
    return bool((values.notna() & (values != 0)).any())


def table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    query = "select count(*) from duckdb_tables() where table_name = ?"
    return con.execute(query, [name]).fetchall()[0][0] > 0


def missing_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The marts the report needs that the database does not hold."""
    return [name for name in REQUIRED_TABLES if not table_exists(con, name)]


def read_build(con: duckdb.DuckDBPyConnection) -> dict:
    """The row of build_metadata as a dict; empty if the table holds none."""
    frame = con.execute("select * from build_metadata").df()
    return {} if frame.empty else dict(frame.iloc[-1].items())


def read_diagnostics(con: duckdb.DuckDBPyConnection) -> dict:
    """The latest row of clustering_diagnostics as a dict; empty if the table is missing."""
    if not table_exists(con, "clustering_diagnostics"):
        return {}
    frame = con.execute("select * from clustering_diagnostics").df()
    if frame.empty:
        return {}
    return {key: value for key, value in frame.iloc[-1].items() if not is_missing(value)}


def read_moved_share(con: duckdb.DuckDBPyConnection) -> float | None:
    """The publish audit's key_reshuffle figure: of the customers in the last published
    build, the share whose segment key changed (None when nothing was published before)."""
    if not table_exists(con, "publish_audit"):
        return None
    rows = con.execute(
        "select observed from publish_audit where check_name = 'key_reshuffle'"
    ).fetchall()
    return None if not rows or rows[0][0] is None else float(rows[0][0])


def read_feature_labels(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Seed feature_labels as feature -> label, in the seed's order."""
    rows = con.execute("select feature_name, label from feature_labels order by rowid").fetchall()
    return dict(rows)


def _parsed(value: object) -> object:
    """A JSON value stored as text, parsed; anything else as it is."""
    return json.loads(value) if isinstance(value, str) else value


def _listed(value: object) -> tuple[str, ...] | None:
    """A feature list stored as a list, a JSON array or comma-separated text."""
    if isinstance(value, str) and value.strip().startswith("["):
        value = json.loads(value)
    if isinstance(value, list | tuple | np.ndarray):
        return tuple(str(v) for v in value)
    return parse_feature_list(value)


def k_distance_curve(
    features: duckdb.DuckDBPyRelation, diagnostics: dict
) -> tuple[np.ndarray, int] | tuple[None, None]:
    """Sorted distance to the k-th neighbour (and k), recomputed as the clustering sees the data.

    The clustering stores eps and min_samples, not the curve; recomputing it
    over the same scaled features and the same deterministic sample, with the
    vars the build recorded (clustering_vars), shows where the chosen eps sits on it. The
    features are read as the clustering reads them
    (segmentation/features/source.py), in chunks into a float32 matrix, so no
    frame of every customer is held.
    """
    if "min_samples" not in diagnostics or "clustering_vars" not in diagnostics:
        return None, None
    # A score build searched no eps: its eps is the stored fit's, on the fit's scale.
    if diagnostics.get("clustering_mode") == "score":
        return None, None
    config = ClusteringConfig.from_vars(_parsed(diagnostics["clustering_vars"]))
    data = read_features(
        features,
        requested=_listed(diagnostics.get("features_used")) or None,
        rules=config.selection,
        chunk_rows=config.chunk_rows,
        transforms=_parsed(diagnostics.get("feature_transforms")) or None,
    )
    if not data.selection.used or len(data.customer_ids) == 0:
        return None, None
    sample = stable_sample(data.customer_ids, min(config.search_rows, len(data.customer_ids)))
    k = scale_min_samples(int(diagnostics["min_samples"]), len(data.customer_ids), len(sample))
    k = int(min(max(k, 2), len(sample) - 1))
    if k < 1:
        return None, None
    points = data.matrix.values[sample].astype(np.float64)
    distances, _ = NearestNeighbors(n_neighbors=k).fit(points).kneighbors(points)
    return np.sort(distances[:, k - 1]), k


def load_report_data(con: duckdb.DuckDBPyConnection, publish_dir: Path | None = None) -> ReportData:
    """Read the marts the report shows; `publish_dir` tells whether BI reads this build."""
    summary = con.execute("select * from segment_summary order by customers desc").df()
    profiles = con.execute("select * from segment_profiles").df()
    projection = con.execute(
        f"""
        select segments.segment_name, clusters.projection_x, clusters.projection_y
        from customer_segments as segments
        inner join customer_clusters as clusters on segments.customer_id = clusters.customer_id
        order by hash(segments.customer_id), segments.customer_id
        limit {PROJECTION_POINTS}
        """
    ).df()
    diagnostics = read_diagnostics(con)
    curve, k = k_distance_curve(con.table("customer_features"), diagnostics)
    build = read_build(con)
    return ReportData(
        summary,
        profiles,
        projection,
        diagnostics,
        curve,
        k,
        build=build,
        feature_labels=read_feature_labels(con),
        population_avg_order_value=population_avg_order_value(con),
        history=read_history(con, build.get("data_set")),
        unpublished=unpublished_notice(con, build, publish_dir),
        moved_share=read_moved_share(con),
    )


def unpublished_notice(
    con: duckdb.DuckDBPyConnection, build: dict, publish_dir: Path | None
) -> str | None:
    """Why the build reported is not what BI reads, or None when it is (or cannot be told).

    A build the publish audit refused says so with the audit's sentences; any
    other build BI does not read (the publish step did not run) is named by
    the build BI reads instead.
    """
    build_id = build.get("dbt_invocation_id")
    if build_id and table_exists(con, "publish_audit"):
        failed = con.execute(
            "select failure_message from publish_audit where invocation_id = ?"
            " and verdict = 'fail' order by check_order",
            [build_id],
        ).fetchall()
        if failed:
            reasons = "; ".join(message for (message,) in failed)
            return (
                "Not published: the publish audit refused this build, so BI still reads the "
                f"version published before and history did not record it ({reasons})."
            )
    if publish_dir is None or not build_id:
        return None
    manifest = publish_dir / "current" / "manifest.json"
    if not manifest.exists():
        return "Not published: nothing has been published for BI yet."
    published = json.loads(manifest.read_text())
    if published.get("build_id") != build_id:
        return (
            "Not published: BI reads another build (version "
            f"{published.get('version', 'unknown')}); this build did not reach its publish step."
        )
    return None


def population_avg_order_value(con: duckdb.DuckDBPyConnection) -> float | None:
    """Gross sales over purchases of every customer, as segment_summary defines a segment's.

    A customer's avg_order_value is their gross sales over their purchases,
    so their gross sales are the two multiplied.
    """
    [(value,)] = con.execute(
        "select sum(avg_order_value * frequency) / nullif(sum(frequency) filter "
        "(where avg_order_value is not null), 0) from customer_features"
    ).fetchall()
    return None if value is None else float(value)
