-- Two segments side by side: every profiled feature's mean, median and
-- z-score in each, and the gap between them, largest gaps first.
-- Reads only published tables, so it runs on the copy BI reads:
--   dbt compile -s compare_segments
--   duckdb -readonly warehouse/published/current/segments.duckdb
--   set variable compare_segment_a = 'Frequent Shoppers';
--   set variable compare_segment_b = 'Bargain Hunters';
--   .read target/compiled/customer_segmentation/analyses/compare_segments.sql
-- Without the variables it compares the two largest segments (outliers aside).
with

segment_profiles as (
    select * from {{ published_table('segment_profiles') }}
),

segment_summary as (
    select * from {{ published_table('segment_summary') }}
),

ranked_segments as (
    select
        segment_name,
        row_number() over (order by customers desc, segment_name asc) as size_rank
    from segment_summary
    where cluster_id != {{ var('segment_noise_cluster_id') }}
),

chosen_segments as (
    select
        coalesce(
            getvariable('compare_segment_a'), max(segment_name) filter (where size_rank = 1)
        ) as segment_a,
        coalesce(
            getvariable('compare_segment_b'), max(segment_name) filter (where size_rank = 2)
        ) as segment_b
    from ranked_segments
),

segment_a as (
    select segment_profiles.*
    from segment_profiles
    inner join chosen_segments
        on segment_profiles.segment_name = chosen_segments.segment_a
),

segment_b as (
    select segment_profiles.*
    from segment_profiles
    inner join chosen_segments
        on segment_profiles.segment_name = chosen_segments.segment_b
),

final as (
    select
        coalesce(segment_a.feature_name, segment_b.feature_name) as feature_name,
        coalesce(segment_a.feature_label, segment_b.feature_label) as feature_label,
        segment_a.segment_name as segment_a,
        segment_b.segment_name as segment_b,
        segment_a.customers as customers_a,
        segment_b.customers as customers_b,
        segment_a.feature_mean as mean_a,
        segment_b.feature_mean as mean_b,
        segment_a.feature_median as median_a,
        segment_b.feature_median as median_b,
        segment_a.z_score as z_score_a,
        segment_b.z_score as z_score_b,
        segment_a.z_score - segment_b.z_score as z_score_gap
    from segment_a
    full outer join segment_b
        on segment_a.feature_name = segment_b.feature_name
)

select * from final
order by abs(z_score_gap) desc nulls last, feature_name asc
