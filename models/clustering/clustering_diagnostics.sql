-- One row per build: how the clustering was parameterised and how good it is,
-- refit or scored with a stored fit (var clustering_mode), and how old that fit is.
-- The Python model can return one table only, so it repeats its diagnostics as
-- JSON on every row; an empty input still yields this row, with zero customers.
with

payload as (
    select * from {{ ref('int_clustering__assigning_fit') }}
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

final as (
    select
        cast(build.as_of_date as date) as as_of_date,
        cast(build.customers as bigint) as customers,
        coalesce(
            from_json(payload.diagnostics -> 'features_used', '["varchar"]'), cast([] as varchar[])
        ) as features_used,
        cast(payload.diagnostics -> 'features_dropped' as varchar) as features_dropped,
        cast(payload.diagnostics -> 'imputed_values' as varchar) as imputed_values,
        cast(payload.diagnostics -> 'feature_transforms' as varchar) as feature_transforms,
        cast(payload.diagnostics ->> 'feature_note' as varchar) as feature_note,
        cast(payload.diagnostics ->> 'lattice_share' as double) as lattice_share,
        cast(payload.diagnostics ->> 'eps_floor' as double) as eps_floor,
        cast(payload.diagnostics ->> 'eps' as double) as eps,
        cast(payload.diagnostics ->> 'min_samples' as integer) as min_samples,
        cast(payload.diagnostics ->> 'fit_min_samples' as integer) as fit_min_samples,
        cast(coalesce(payload.diagnostics ->> 'parameter_source', 'none') as varchar)
            as parameter_source,
        cast(payload.diagnostics ->> 'candidates_evaluated' as integer) as candidates_evaluated,
        cast(coalesce(payload.diagnostics ->> 'fit_method', 'empty') as varchar) as fit_method,
        cast(payload.diagnostics ->> 'sample_size' as integer) as sample_size,
        coalesce(cast(payload.diagnostics ->> 'clusters' as integer), 0) as clusters,
        cast(payload.diagnostics ->> 'noise_share' as double) as noise_share,
        cast(payload.diagnostics ->> 'largest_cluster_share' as double) as largest_cluster_share,
        cast(payload.diagnostics ->> 'silhouette' as double) as silhouette,
        cast(payload.diagnostics ->> 'dbscan_clusters' as integer) as dbscan_clusters,
        cast(payload.diagnostics ->> 'min_segment_share' as double) as min_segment_share,
        cast(payload.diagnostics -> 'refinement_steps' as varchar) as refinement_steps,
        cast(payload.diagnostics ->> 'stability_resamples' as integer) as stability_resamples,
        cast(payload.diagnostics ->> 'stability_rows' as integer) as stability_rows,
        cast(payload.diagnostics -> 'step_seconds' ->> 'features_seconds' as double)
            as features_seconds,
        cast(payload.diagnostics -> 'step_seconds' ->> 'search_seconds' as double)
            as search_seconds,
        cast(payload.diagnostics -> 'step_seconds' ->> 'fit_seconds' as double) as fit_seconds,
        cast(payload.diagnostics -> 'step_seconds' ->> 'refine_seconds' as double)
            as refine_seconds,
        cast(payload.diagnostics -> 'step_seconds' ->> 'stability_seconds' as double)
            as stability_seconds,
        cast(payload.diagnostics -> 'step_seconds' ->> 'assign_seconds' as double)
            as assign_seconds,
        cast(payload.diagnostics -> 'step_seconds' ->> 'projection_seconds' as double)
            as projection_seconds,
        cast(payload.diagnostics -> 'step_seconds' ->> 'quality_seconds' as double)
            as quality_seconds,
        cast(payload.diagnostics -> 'step_seconds' ->> 'total_seconds' as double) as total_seconds,
        coalesce(
            from_json(payload.diagnostics -> 'warnings', '["varchar"]'), cast([] as varchar[])
        ) as warnings,
        cast(payload.diagnostics -> 'clustering_vars' as varchar) as clustering_vars,
        cast(
            coalesce(
                payload.diagnostics ->> 'clustering_mode', {{ sql_string(var('clustering_mode')) }}
            ) as varchar
        ) as clustering_mode,
        cast(payload.fit_id as varchar) as fit_id,
        cast(payload.fit_as_of_date as date) as fit_as_of_date,
        cast(datediff('day', payload.fit_as_of_date, build.as_of_date) as integer)
            as model_age_days,
        cast(payload.fit_noise_share as double) as fit_noise_share
    from build
    -- Left: `dbt build --empty` reads the ephemeral payload as no row at all.
    left join payload on true
)

select * from final
