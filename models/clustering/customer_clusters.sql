-- The contracted face of the DBSCAN Python model: every column cast, one row per customer.
with

dbscan as (
    select * from {{ ref('customer_clusters_dbscan') }}
),

final as (
    select
        cast(customer_id as varchar) as customer_id,
        cast(cluster_id as integer) as cluster_id,
        cast(is_core_point as boolean) as is_core_point,
        cast(assignment_method as varchar) as assignment_method,
        cast(projection_x as double) as projection_x,
        cast(projection_y as double) as projection_y
    from dbscan
)

select * from final
