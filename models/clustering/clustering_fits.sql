-- Appended, never rebuilt: a refit whose fit is already the latest adds nothing, so
-- rebuilding the same data changes no stored state.
with

dbscan as (
    select * from {{ ref('customer_clusters_dbscan') }}
),

features as (
    select * from {{ ref('customer_features') }}
),

payload as (
    {{ build_diagnostics('dbscan') }}
),

fit as (
    select
        diagnostics,
        diagnostics -> 'stored_fit' as stored_fit
    from payload
    where (diagnostics -> 'stored_fit') is not null
),

{% if is_incremental() %}
    stored as (
        select
            max(refit_number) as last_refit_number,
            arg_max(fit_id, refit_number) as last_fit_id
        from {{ this }}
    ),
{% else %}
    stored as (
        select
            cast(null as integer) as last_refit_number,
            cast(null as varchar) as last_fit_id
    ),
{% endif %}

final as (
    select
        cast(coalesce(stored.last_refit_number, 0) + 1 as integer) as refit_number,
        cast(fit.stored_fit ->> 'fit_id' as varchar) as fit_id,
        cast((select max(features.as_of_date) from features) as date) as as_of_date,
        cast({{ this_invocation() }} as varchar) as dbt_invocation_id,
        -- dbt's run_started_at is in UTC; the cast keeps its wall-clock time.
        cast({{ sql_string(run_started_at) }} as timestamp) as built_at,
        cast(fit.diagnostics ->> 'customers' as bigint) as customers,
        from_json(fit.diagnostics -> 'features_used', '["varchar"]') as features,
        cast(fit.diagnostics ->> 'eps' as double) as eps,
        cast(fit.diagnostics ->> 'min_samples' as integer) as min_samples,
        cast(fit.diagnostics ->> 'fit_min_samples' as integer) as fit_min_samples,
        cast(fit.stored_fit ->> 'absorb_radius' as double) as absorb_radius,
        cast(fit.diagnostics ->> 'fit_method' as varchar) as fit_method,
        cast(fit.diagnostics ->> 'sample_size' as integer) as sample_size,
        cast(fit.diagnostics ->> 'dbscan_clusters' as integer) as dbscan_clusters,
        cast(fit.diagnostics ->> 'clusters' as integer) as clusters,
        cast(fit.diagnostics ->> 'noise_share' as double) as noise_share,
        cast(fit.diagnostics ->> 'stability_resamples' as integer) as stability_resamples,
        cast(fit.stored_fit ->> 'stored_points' as integer) as stored_points,
        -- JSON text written by segmentation.clustering.stored_fit, character for character.
        cast(fit.stored_fit ->> 'scoring_parameters' as varchar) as scoring_parameters
    from fit
    cross join stored
    where (fit.stored_fit ->> 'fit_id') is distinct from stored.last_fit_id
)

select * from final
