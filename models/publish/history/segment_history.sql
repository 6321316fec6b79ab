with

recorded as (
    select * from {{ ref('segment_builds_snapshot') }}
),

final as (
    select
        cast(data_set as varchar) as data_set,
        cast(as_of_date as date) as as_of_date,
        cast(segment_key as varchar) as segment_key,
        cast(segment_name as varchar) as segment_name,
        cast(key_status as varchar) as key_status,
        cast(related_segment_key as varchar) as related_segment_key,
        cast(jaccard as double) as jaccard,
        cast(customers as bigint) as customers,
        cast(customer_share as double) as customer_share,
        cast(revenue as decimal(18, 2)) as revenue,
        cast(revenue_share as double) as revenue_share,
        cast(avg_order_value as double) as avg_order_value,
        cast(median_recency_days as double) as median_recency_days,
        cast(avg_frequency as double) as avg_frequency,
        cast(avg_credit_utilisation as double) as avg_credit_utilisation,
        cast(avg_missed_payments_12m as double) as avg_missed_payments_12m,
        cast(marketing_action as varchar) as marketing_action,
        cast(base_segment_name as varchar) as base_segment_name,
        cast(naming_basis as varchar) as naming_basis,
        cast(matched_rule_priority as integer) as matched_rule_priority,
        cast(name_descriptors as varchar []) as name_descriptors
    from recorded
    where dbt_valid_to is null
)

select * from final
order by data_set, as_of_date, segment_key
