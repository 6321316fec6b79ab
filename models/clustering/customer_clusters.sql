-- The contracted face of the clustering: every column cast, one row per customer,
-- from the refit or the score build (var clustering_mode), with the fit used.
-- depends_on: {{ ref('customer_clusters_dbscan') }}
-- depends_on: {{ ref('customer_clusters_scored') }}
with

clustered as (
    select * from {{ clustered_customers() }}
),

fit as (
    select * from {{ ref('int_clustering__assigning_fit') }}
),

final as (
    select
        cast(clustered.customer_id as varchar) as customer_id,
        cast(clustered.cluster_id as integer) as cluster_id,
        cast(clustered.is_core_point as boolean) as is_core_point,
        cast(clustered.assignment_method as varchar) as assignment_method,
        cast(clustered.projection_x as double) as projection_x,
        cast(clustered.projection_y as double) as projection_y,
        cast(fit.fit_id as varchar) as fit_id,
        cast(fit.fit_as_of_date as date) as fit_as_of_date
    from clustered
    left join fit on true
)

select * from final
