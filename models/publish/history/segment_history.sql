with

recorded as (
    select * from {{ ref('segment_builds_snapshot') }}
),

published_builds as (
    select * from {{ ref('published_builds') }}
),

final as (
    select
        cast(recorded.data_set as varchar) as data_set,
        cast(recorded.recorded_at as timestamp) as recorded_at,
        cast(recorded.as_of_date as date) as as_of_date,
        cast(published_builds.build_number as integer) as build_number,
        cast(recorded.segment_key as varchar) as segment_key,
        cast(recorded.segment_name as varchar) as segment_name,
        cast(recorded.key_status as varchar) as key_status,
        cast(recorded.related_segment_key as varchar) as related_segment_key,
        cast(recorded.jaccard as double) as jaccard,
        cast(recorded.customers as bigint) as customers,
        cast(recorded.customer_share as double) as customer_share,
        cast(recorded.revenue as decimal(18, 2)) as revenue,
        cast(recorded.revenue_share as double) as revenue_share,
        cast(recorded.avg_order_value as double) as avg_order_value,
        cast(recorded.median_recency_days as double) as median_recency_days,
        cast(recorded.avg_frequency as double) as avg_frequency,
        cast(recorded.avg_credit_utilisation as double) as avg_credit_utilisation,
        cast(recorded.avg_missed_payments_12m as double) as avg_missed_payments_12m,
        cast(recorded.marketing_action as varchar) as marketing_action,
        cast(recorded.base_segment_name as varchar) as base_segment_name,
        cast(recorded.naming_basis as varchar) as naming_basis,
        cast(recorded.matched_rule_priority as integer) as matched_rule_priority,
        cast(recorded.name_descriptors as varchar[]) as name_descriptors
    from recorded
    left join published_builds
        on
            recorded.data_set = published_builds.data_set
            and recorded.recorded_at = published_builds.recorded_at
    where recorded.dbt_valid_to is null
)

select * from final
order by data_set, recorded_at, segment_key
