-- One row per cluster (noise included) with where it came from and how far
-- it can be trusted, parsed from the clustering model's diagnostics.
--
-- segment_origin: dbscan (a dense region DBSCAN found), dbscan_split (found
-- by DBSCAN again inside a larger segment at a finer eps), bisection (a
-- 2-means cut of a segment with no inner density structure) or noise.
-- stability: mean Jaccard over subsets, clusterboot style
-- (segmentation/stability.py); is_stable compares it with var
-- segment_stable_jaccard. A build without stability figures (too few
-- customers, or var segment_stability_resamples 0) leaves both null.
-- unusual_features: for noise, the features on which it is most spread
-- out (segmentation.clustering.unusual_features), for its name.
-- A score build reports the stored fit's origins and stability.
with

payload as (
    select * from {{ ref('int_clustering__assigning_fit') }}
),

segments as (
    select
        unnest(
            from_json(
                diagnostics -> 'segments',
                '[{"cluster_id": "INTEGER", "origin": "VARCHAR", "stability": "DOUBLE",
                "unusual_features": ["VARCHAR"]}]'
            )
        ) as segment
    from payload
),

final as (
    select
        cast(segment.cluster_id as integer) as cluster_id,
        cast(segment.origin as varchar) as segment_origin,
        cast(segment.stability as double) as stability,
        cast(segment.stability >= {{ var('segment_stable_jaccard') }} as boolean) as is_stable,
        cast(coalesce(segment.unusual_features, []) as varchar[]) as unusual_features
    from segments
)

select * from final
