-- One row per build: how the clustering was parameterised and how good it is.
-- The Python model can return one table only, so it repeats its diagnostics as
-- JSON on every row; an empty input still yields this row, with zero customers.
with

dbscan as (
    select * from {{ ref('customer_clusters_dbscan') }}
),

features as (
    select * from {{ ref('customer_features') }}
),

build as (
    select
        count(*) as customers,
        max(as_of_date) as as_of_date
    from features
),

payload as (
    select any_value(build_diagnostics::varchar)::json as diagnostics
    from dbscan
),

final as (
    select
        build.as_of_date::date as as_of_date,
        build.customers::bigint as customers,
        coalesce(
            from_json(payload.diagnostics -> 'features_used', '["varchar"]'), []::varchar[]
        ) as features_used,
        (payload.diagnostics -> 'features_dropped')::varchar as features_dropped,
        (payload.diagnostics -> 'imputed_values')::varchar as imputed_values,
        (payload.diagnostics -> 'feature_transforms')::varchar as feature_transforms,
        (payload.diagnostics ->> 'eps')::double as eps,
        (payload.diagnostics ->> 'min_samples')::integer as min_samples,
        (payload.diagnostics ->> 'fit_min_samples')::integer as fit_min_samples,
        coalesce(payload.diagnostics ->> 'parameter_source', 'none')::varchar as parameter_source,
        (payload.diagnostics ->> 'candidates_evaluated')::integer as candidates_evaluated,
        coalesce(payload.diagnostics ->> 'fit_method', 'empty')::varchar as fit_method,
        (payload.diagnostics ->> 'sample_size')::integer as sample_size,
        coalesce((payload.diagnostics ->> 'clusters')::integer, 0) as clusters,
        (payload.diagnostics ->> 'noise_share')::double as noise_share,
        (payload.diagnostics ->> 'largest_cluster_share')::double as largest_cluster_share,
        (payload.diagnostics ->> 'silhouette')::double as silhouette,
        (payload.diagnostics ->> 'dbscan_clusters')::integer as dbscan_clusters,
        (payload.diagnostics ->> 'min_segment_share')::double as min_segment_share,
        (payload.diagnostics -> 'refinement_steps')::varchar as refinement_steps,
        (payload.diagnostics ->> 'stability_resamples')::integer as stability_resamples,
        (payload.diagnostics ->> 'stability_rows')::integer as stability_rows,
        (payload.diagnostics -> 'step_seconds' ->> 'features_seconds')::double
            as features_seconds,
        (payload.diagnostics -> 'step_seconds' ->> 'search_seconds')::double as search_seconds,
        (payload.diagnostics -> 'step_seconds' ->> 'fit_seconds')::double as fit_seconds,
        (payload.diagnostics -> 'step_seconds' ->> 'refine_seconds')::double as refine_seconds,
        (payload.diagnostics -> 'step_seconds' ->> 'stability_seconds')::double
            as stability_seconds,
        (payload.diagnostics -> 'step_seconds' ->> 'assign_seconds')::double as assign_seconds,
        (payload.diagnostics -> 'step_seconds' ->> 'projection_seconds')::double
            as projection_seconds,
        (payload.diagnostics -> 'step_seconds' ->> 'quality_seconds')::double
            as quality_seconds,
        (payload.diagnostics -> 'step_seconds' ->> 'total_seconds')::double as total_seconds
    from build
    cross join payload
)

select * from final
