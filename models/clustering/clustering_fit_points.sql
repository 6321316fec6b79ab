-- No customer id: a point is a place in feature space, all scoring needs.
with

dbscan as (
    select * from {{ ref('customer_clusters_dbscan') }}
),

payload as (
    {{ build_diagnostics('dbscan') }}
),

fit as (
    select cast(diagnostics -> 'stored_fit' ->> 'fit_id' as varchar) as fit_id
    from payload
    where (diagnostics -> 'stored_fit') is not null
),

points as (
    select
        customer_id,
        cluster_id,
        is_core_point,
        fit_point
    from dbscan
    where fit_point is not null
),

final as (
    select
        fit.fit_id,
        -- In customer_id order, the order the fit held them in.
        cast(row_number() over (order by points.customer_id) as integer) as point_number,
        cast(points.cluster_id as integer) as cluster_id,
        cast(points.is_core_point as boolean) as is_core_point,
        cast(points.fit_point as float[]) as coordinates
    from points
    cross join fit
    {% if is_incremental() %}
        where fit.fit_id not in (select kept.fit_id from {{ this }} as kept)
    {% endif %}
)

select * from final
