-- Each feature's z-scores balance out over the segments: weighted by the
-- customers who have a value, they average to zero, because every segment's
-- mean is compared with the mean of the same (winsorised) values. A missing
-- value counted as a number, or a customer profiled twice or not at all,
-- breaks the balance.
-- z-scores are rounded to var segment_stat_decimals, so their weighted mean may
-- miss zero by up to half a unit in that decimal.
{% set tolerance = 10 ** -(var('segment_stat_decimals') | int) %}
with

segment_profiles as (
    select * from {{ ref('segment_profiles') }}
),

balance as (
    select
        feature_name,
        sum(customers_with_value * z_score) / nullif(sum(customers_with_value), 0)
            as weighted_mean_z_score
    from segment_profiles
    where z_score is not null
    group by feature_name
),

final as (
    select * from balance
    where abs(weighted_mean_z_score) > {{ tolerance }}
)

select * from final
