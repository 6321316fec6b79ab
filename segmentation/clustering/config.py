"""The clustering's settings: the vars it reads, turned into keyword arguments once, here.

dbt_project.yml holds each var's default and macros/validate_vars.sql its
rule; the model's pre-hook hands the vars over by name
(segmentation.model_settings), and `ClusteringConfig.from_vars` is the one
place that knows which var becomes which field. Everything past it takes
plain keyword arguments and never sees a var name or a default.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from segmentation.features.selection import SelectionRules, parse_feature_list
from segmentation.model_settings import setting
from segmentation.refine import SegmentLimits

# Fixed parts of the method, not vars: the clustered rows the build's silhouette
# is estimated on, and the share of the rows each stability subset holds.
SILHOUETTE_ROWS = 3_000
STABILITY_FRACTION = 0.8


@dataclass(frozen=True)
class ClusteringConfig:
    """Everything a build sets through vars, as `from_vars` reads them.

    `features` None means "choose from the data" (segmentation.features);
    `eps` or `min_samples` None means "search for it". `mode` is "refit"
    (fit DBSCAN and store what it learned) or "score" (assign every customer
    with the stored fit; segmentation.clustering.score).
    """

    mode: str
    features: tuple[str, ...] | None
    eps: float | None
    min_samples: int | None
    max_exact_rows: int
    sample_rows: int
    search_rows: int
    chunk_rows: int
    random_state: int
    limits: SegmentLimits
    selection: SelectionRules
    stability_resamples: int
    stability_rows: int
    silhouette_rows: int = SILHOUETTE_ROWS
    stability_fraction: float = STABILITY_FRACTION

    @classmethod
    def from_vars(cls, settings: Mapping[str, object]) -> ClusteringConfig:
        """The config from var values by var name (validate_vars has checked each one)."""

        def read(name: str, cast: Callable[[object], float | int]):
            value = setting(settings, name)
            return None if value is None else cast(value)

        return cls(
            mode=str(setting(settings, "clustering_mode")),
            features=parse_feature_list(setting(settings, "cluster_features")),
            eps=read("dbscan_eps", float),
            min_samples=read("dbscan_min_samples", int),
            max_exact_rows=read("dbscan_max_exact_rows", int),
            sample_rows=read("dbscan_sample_rows", int),
            search_rows=read("dbscan_search_rows", int),
            chunk_rows=read("dbscan_chunk_rows", int),
            random_state=read("dbscan_random_state", int),
            limits=SegmentLimits(
                min_share=read("segment_min_share", float),
                min_segments=read("segment_min_count", int),
                max_segments=read("segment_max_count", int),
                max_largest_share=read("dbscan_max_largest_cluster_share", float),
                max_noise_share=read("dbscan_max_noise_share", float),
            ),
            selection=SelectionRules(
                min_coverage=read("feature_min_coverage", float),
                max_dominant_share=read("feature_max_dominant_share", float),
                max_rank_correlation=read("feature_max_rank_correlation", float),
                min_primary_features=read("feature_min_primary", int),
                flag_zero_share=read("feature_flag_zero_share", float),
                heap_min_share=read("feature_heap_min_share", float),
                discrete_share=read("feature_discrete_share", float),
            ),
            stability_resamples=read("segment_stability_resamples", int),
            stability_rows=read("segment_stability_rows", int),
        )
