-- segment_profiles has exactly one row per cluster and feature, and every
-- cluster of customer_clusters is profiled.
with

segment_profiles as (
    select * from {{ ref('segment_profiles') }}
),

customer_clusters as (
    select * from {{ ref('customer_clusters') }}
),

duplicated_rows as (
    select
        cluster_id,
        feature_name,
        'duplicate cluster and feature' as problem
    from segment_profiles
    group by cluster_id, feature_name
    having count(*) > 1
),

missing_clusters as (
    select distinct
        customer_clusters.cluster_id,
        cast(null as varchar) as feature_name,
        'cluster not profiled' as problem
    from customer_clusters
    left join segment_profiles
        on customer_clusters.cluster_id = segment_profiles.cluster_id
    where segment_profiles.cluster_id is null
),

final as (
    select * from duplicated_rows
    union all
    select * from missing_clusters
)

select * from final
