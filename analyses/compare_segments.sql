-- Two segments side by side: every profiled feature's mean, median and
-- z-score in each, and the gap between them, largest gaps first.
-- Run: dbt compile -s compare_segments
--   --vars '{compare_segment_a: "Frequent Shoppers", compare_segment_b: "Bargain Hunters"}'
{% set segment_a = var('compare_segment_a', 'Frequent Shoppers') %}
{% set segment_b = var('compare_segment_b', 'Bargain Hunters') %}

with

segment_profiles as (
    select * from {{ ref('segment_profiles') }}
),

segment_a as (
    select * from segment_profiles
    where segment_name = '{{ segment_a }}'
),

segment_b as (
    select * from segment_profiles
    where segment_name = '{{ segment_b }}'
),

final as (
    select
        coalesce(segment_a.feature_name, segment_b.feature_name) as feature_name,
        segment_a.cluster_customers as customers_a,
        segment_b.cluster_customers as customers_b,
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
