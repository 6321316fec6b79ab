with

cluster_profiles as (
    select * from {{ ref('int_segments__cluster_profiles') }}
),

cluster_names as (
    select * from {{ ref('int_segments__cluster_names') }}
),

final as (
    select
        cluster_names.segment_name,
        cluster_names.base_segment_name,
        cluster_profiles.cluster_id,
        cluster_profiles.cluster_customers,
        cluster_profiles.cluster_share,
        cluster_profiles.feature_name,
        cluster_profiles.customers_with_value,
        cluster_profiles.feature_mean,
        cluster_profiles.feature_median,
        cluster_profiles.population_mean,
        cluster_profiles.population_median,
        cluster_profiles.z_score
    from cluster_profiles
    inner join cluster_names
        on cluster_profiles.cluster_id = cluster_names.cluster_id
)

select * from final
order by cluster_id, feature_name
