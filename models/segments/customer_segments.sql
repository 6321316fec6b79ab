with

customer_features as (
    select * from {{ ref('customer_features') }}
),

customer_clusters as (
    select * from {{ ref('customer_clusters') }}
),

segment_names as (
    select * from {{ ref('int_segments__segment_names') }}
),

final as (
    select
        cast(customer_features.customer_id as varchar) as customer_id,
        cast(customer_clusters.cluster_id as integer) as cluster_id,
        cast(segment_names.segment_key as varchar) as segment_key,
        cast(segment_names.segment_name as varchar) as segment_name,
        cast(segment_names.base_segment_name as varchar) as base_segment_name,
        cast(customer_clusters.is_core_point as boolean) as is_core_point,
        cast(customer_features.as_of_date as date) as as_of_date,
        cast({{ sql_string(var('currency')) }} as varchar) as currency,
        cast(customer_features.recency_days as integer) as recency_days,
        cast(customer_features.frequency as integer) as frequency,
        -- Named for BI, which never sees customer_features, where the feature is `monetary`.
        cast(customer_features.monetary as double) as net_spend,
        cast(customer_features.avg_order_value as double) as avg_order_value,
        cast(customer_features.top_category as varchar) as top_category,
        cast(customer_features.credit_utilisation as double) as credit_utilisation,
        cast(customer_features.missed_payments_12m as integer) as missed_payments_12m,
        cast(customer_clusters.assignment_method as varchar) as assignment_method,
        cast(customer_clusters.fit_id as varchar) as fit_id,
        cast(customer_clusters.fit_as_of_date as date) as fit_as_of_date
    from customer_features
    -- A customer without a cluster keeps a null cluster_id, which the contract's not_null
    -- turns into a failed build instead of a silently missing customer.
    left join customer_clusters
        on customer_features.customer_id = customer_clusters.customer_id
    left join segment_names
        on customer_clusters.cluster_id = segment_names.cluster_id
)

select * from final
order by customer_id
