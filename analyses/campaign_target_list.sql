-- Campaign target list for one segment: who to contact, best prospects first.
-- Run: dbt compile -s campaign_target_list --vars '{campaign_segment: "Big Spenders"}'
-- then run the compiled SQL (target/compiled/.../analyses/campaign_target_list.sql)
-- against the warehouse or the published segments.duckdb.
-- Core points first: they sit deep inside the segment, so the segment's
-- action fits them best. Then the most valuable and most recent.
{% set campaign_segment = var('campaign_segment', 'Frequent Shoppers') %}

with

customer_segments as (
    select * from {{ ref('customer_segments') }}
),

segment_summary as (
    select * from {{ ref('segment_summary') }}
),

final as (
    select
        customer_segments.customer_id,
        customer_segments.segment_name,
        segment_summary.marketing_action,
        customer_segments.is_core_point,
        customer_segments.recency_days,
        customer_segments.frequency,
        customer_segments.monetary,
        customer_segments.avg_order_value,
        customer_segments.top_category
    from customer_segments
    inner join segment_summary
        on customer_segments.segment_name = segment_summary.segment_name
    where customer_segments.segment_name = '{{ campaign_segment }}'
)

select * from final
order by
    is_core_point desc,
    monetary desc nulls last,
    recency_days asc nulls last,
    customer_id asc
