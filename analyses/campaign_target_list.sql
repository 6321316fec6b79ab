-- Campaign target list for one segment: who to contact, best prospects first.
-- Reads only published tables, so it runs on the copy BI reads:
--   dbt compile -s campaign_target_list
--   duckdb -readonly warehouse/published/current/segments.duckdb
--   set variable campaign_segment = 'Big Spenders';
--   .read target/compiled/customer_segmentation/analyses/campaign_target_list.sql
-- Without the variable it lists the largest segment (outliers aside).
-- Core points first: they sit deep inside the segment, so the segment's
-- action fits them best. Then the biggest spenders and the most recent.
with

customer_segments as (
    select * from {{ published_table('customer_segments') }}
),

segment_summary as (
    select * from {{ published_table('segment_summary') }}
),

largest_segment as (
    select segment_name
    from segment_summary
    where cluster_id != {{ var('segment_noise_cluster_id') }}
    order by customers desc, segment_name asc
    limit 1
),

chosen_segment as (
    select
        coalesce(
            getvariable('campaign_segment'),
            (select largest_segment.segment_name from largest_segment)
        ) as segment_name
),

final as (
    select
        customer_segments.customer_id,
        customer_segments.segment_name,
        segment_summary.marketing_action,
        customer_segments.is_core_point,
        customer_segments.recency_days,
        customer_segments.frequency,
        customer_segments.net_spend,
        customer_segments.avg_order_value,
        customer_segments.currency,
        customer_segments.top_category
    from customer_segments
    inner join segment_summary
        on customer_segments.segment_name = segment_summary.segment_name
    inner join chosen_segment
        on customer_segments.segment_name = chosen_segment.segment_name
)

select * from final
order by
    is_core_point desc,
    net_spend desc nulls last,
    recency_days asc nulls last,
    customer_id asc
