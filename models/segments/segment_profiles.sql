with

cluster_profiles as (
    select * from {{ ref('int_segments__cluster_profiles') }}
),

segment_names as (
    select * from {{ ref('int_segments__segment_names') }}
),

feature_labels as (
    select * from {{ ref('feature_labels') }}
),

as_of_date as (
    select * from {{ ref('stg_raw__as_of_date') }}
),

final as (
    select
        segment_names.segment_name,
        segment_names.base_segment_name,
        segment_names.segment_key,
        cluster_profiles.cluster_id,
        -- Named as segment_summary names them: BI reads both side by side.
        cluster_profiles.cluster_customers as customers,
        cluster_profiles.cluster_share as customer_share,
        cluster_profiles.feature_name,
        coalesce(feature_labels.label, cluster_profiles.feature_name) as feature_label,
        cluster_profiles.customers_with_value,
        cluster_profiles.feature_mean,
        cluster_profiles.feature_median,
        cluster_profiles.population_mean,
        cluster_profiles.population_median,
        cluster_profiles.z_score,
        as_of_date.as_of_date,
        cast({{ sql_string(var('currency')) }} as varchar) as currency
    from cluster_profiles
    inner join segment_names
        on cluster_profiles.cluster_id = segment_names.cluster_id
    left join feature_labels
        on cluster_profiles.feature_name = feature_labels.feature_name
    cross join as_of_date
)

select * from final
order by cluster_id, feature_name
