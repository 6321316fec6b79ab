{% set lower_quantile = var('segment_zscore_winsor_quantile') | float -%}
{%- set feature_names = segment_numeric_features(ref('customer_features')) %}

with

value_ranks as (
    select * from {{ ref('int_segments__feature_value_ranks') }}
),

value_groups as (
    select
        is_population,
        cluster_id,
        feature_index,
        sum(value_count) as group_values
    from value_ranks
    group by is_population, cluster_id, feature_index
),

-- The median of each cluster; the median and both winsor bounds of the population.
wanted_quantiles as (
    select
        wanted.is_population,
        wanted.quantile_name,
        wanted.quantile_fraction
    from (
        values
        (false, 'median', 0.5),
        (true, 'median', 0.5),
        (true, 'lower_bound', {{ lower_quantile }}),
        (true, 'upper_bound', {{ 1 - lower_quantile }})
    ) as wanted (is_population, quantile_name, quantile_fraction)
),

-- quantile_cont's rule: the position (n - 1) * q, computed in doubles, lies between the
-- values at its floor and ceiling ranks.
quantile_positions as (
    select
        value_groups.is_population,
        value_groups.cluster_id,
        value_groups.feature_index,
        wanted_quantiles.quantile_name,
        cast(value_groups.group_values - 1 as double)
        * cast(wanted_quantiles.quantile_fraction as double) as quantile_position
    from value_groups
    inner join wanted_quantiles
        on value_groups.is_population = wanted_quantiles.is_population
),

quantile_ranks as (
    select
        *,
        floor(quantile_position) as lower_rank,
        ceil(quantile_position) as upper_rank
    from quantile_positions
),

-- The values at the floor and ceiling ranks: only the one or two distinct values whose
-- ranks hold them join.
quantile_neighbours as (
    select
        quantile_ranks.is_population,
        quantile_ranks.cluster_id,
        quantile_ranks.feature_index,
        quantile_ranks.quantile_name,
        any_value(quantile_ranks.quantile_position) as quantile_position,
        any_value(quantile_ranks.lower_rank) as lower_rank,
        any_value(quantile_ranks.upper_rank) as upper_rank,
        -- With the join's condition, these say the value's ranks hold that rank.
        any_value(value_ranks.feature_value) filter (
            where value_ranks.first_rank <= quantile_ranks.lower_rank
        ) as lower_value,
        any_value(value_ranks.feature_value) filter (
            where quantile_ranks.upper_rank < value_ranks.first_rank + value_ranks.value_count
        ) as upper_value
    from quantile_ranks
    inner join value_ranks
        on
            quantile_ranks.cluster_id is not distinct from value_ranks.cluster_id
            and quantile_ranks.feature_index = value_ranks.feature_index
            and quantile_ranks.upper_rank >= value_ranks.first_rank
            and quantile_ranks.lower_rank < value_ranks.first_rank + value_ranks.value_count
    group by
        quantile_ranks.is_population,
        quantile_ranks.cluster_id,
        quantile_ranks.feature_index,
        quantile_ranks.quantile_name
),

final as (
    select
        is_population,
        cluster_id,
        feature_index,
        -- feature_index counts the features from 1, as a list does.
        cast([
            {% for feature_name in feature_names -%}
                '{{ feature_name }}'{{ ',' if not loop.last }}
            {% endfor -%}
        ] as varchar[])[feature_index] as feature_name,
        quantile_name,
        -- quantile_cont's interpolation, written as in DuckDB's source. Its binary fuses the
        -- multiply and add, so a bound (not a median: halving is exact) can differ from
        -- quantile_cont's in the last bit, far below the rounding to segment_stat_decimals.
        case
            when lower_rank = upper_rank then lower_value
            else
                lower_value * (1 - (quantile_position - lower_rank))
                + upper_value * (quantile_position - lower_rank)
        end as quantile_value
    from quantile_neighbours
)

select * from final
