-- The contracted face of the DBSCAN Python model: every column cast, one row per customer.
with

dbscan as (
    select * from {{ ref('customer_clusters_dbscan') }}
),

final as (
    select
        customer_id::varchar as customer_id,
        cluster_id::integer as cluster_id,
        is_core_point::boolean as is_core_point,
        assignment_method::varchar as assignment_method,
        projection_x::double as projection_x,
        projection_y::double as projection_y
    from dbscan
)

select * from final
