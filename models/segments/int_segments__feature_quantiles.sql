{% set lower_quantile = var('segment_zscore_winsor_quantile') | float -%}

with

value_counts as (
    select * from {{ ref('int_segments__feature_value_counts') }}
),

-- Where each distinct value sits among its group's sorted values: it holds the 0-based
-- ranks first_rank to first_rank + value_count - 1 of group_values.
value_ranks as (
    select
        is_population,
        cluster_id,
        feature_index,
        feature_value,
        value_count,
        sum(value_count) over (
            sorted_group rows between unbounded preceding and current row
        ) - value_count as first_rank,
        -- The same sort as first_rank's, so one pass over the values gives both.
        sum(value_count) over (
            sorted_group rows between unbounded preceding and unbounded following
        ) as group_values
    from value_counts
    window sorted_group as (partition by cluster_id, feature_index order by feature_value asc)
),

-- The median of each cluster; the median and both winsor bounds of the population.
wanted_quantiles as (
    select wanted.*
    from (
        values
        (false, 'median', 0.5),
        (true, 'median', 0.5),
        (true, 'lower_bound', {{ lower_quantile }}),
        (true, 'upper_bound', {{ 1 - lower_quantile }})
    ) as wanted (is_population, quantile_name, quantile_fraction)
),

-- quantile_cont's rule: the position (n - 1) * q, computed in doubles, lies between the
-- values at its floor and ceiling ranks. Each value is set beside its group's quantiles
-- (a join to the four wanted ones, never to another table of values, so it streams).
quantile_positions as (
    select
        value_ranks.*,
        wanted_quantiles.quantile_name,
        cast(value_ranks.group_values - 1 as double)
        * cast(wanted_quantiles.quantile_fraction as double) as quantile_position
    from value_ranks
    inner join wanted_quantiles
        on value_ranks.is_population = wanted_quantiles.is_population
),

quantile_ranks as (
    select
        *,
        floor(quantile_position) as lower_rank,
        ceil(quantile_position) as upper_rank
    from quantile_positions
),

-- The values at the floor and ceiling ranks: only the one or two distinct values whose
-- ranks hold them are kept.
quantile_neighbours as (
    select
        is_population,
        cluster_id,
        feature_index,
        quantile_name,
        any_value(quantile_position) as quantile_position,
        any_value(lower_rank) as lower_rank,
        any_value(upper_rank) as upper_rank,
        -- With the where clause, these say the value's ranks hold that rank.
        any_value(feature_value) filter (where first_rank <= lower_rank) as lower_value,
        any_value(feature_value) filter (where upper_rank < first_rank + value_count)
            as upper_value
    from quantile_ranks
    where upper_rank >= first_rank and lower_rank < first_rank + value_count
    group by is_population, cluster_id, feature_index, quantile_name
),

final as (
    select
        is_population,
        cluster_id,
        feature_index,
        quantile_name,
        -- quantile_cont's interpolation, written as in DuckDB's source.
        case
            when lower_rank = upper_rank then lower_value
            else
                lower_value * (1 - (quantile_position - lower_rank))
                + upper_value * (quantile_position - lower_rank)
        end as quantile_value
    from quantile_neighbours
)

select * from final
