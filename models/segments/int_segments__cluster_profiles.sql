-- Per cluster and per numeric feature of customer_features: the mean and
-- median in original units and a z-score against the whole population.
--
-- The features are the numeric columns of customer_features (macro
-- segment_numeric_features), so a feature added there is profiled, and
-- usable in seed segment_rules, without editing this model.
--
-- The z-score compares winsorised values (clipped to the population's var
-- segment_zscore_winsor_quantile and 1 - that quantile):
-- a handful of extreme customers (whales with one 50k order) would otherwise
-- inflate the standard deviation until no cluster looks unusual.
--
-- Statistics are computed wide, one column per feature, over one join of
-- features to clusters; only the small results (a row per cluster) are
-- turned into the long shape. A long table of customers x features (18M rows
-- at 1M customers) to group by feature cost three to four times as much.
-- Columns are numbered in the order of the features (feature_1, ...), so a
-- derived name cannot collide with a feature's own.
--
-- Medians and the winsor bounds are quantile_cont's (interpolated between
-- the values at the floor and ceiling of rank (n - 1) * q), but found from
-- each value's count per cluster and feature and cumulative counts, not by
-- quantile_cont itself: its state holds every value and cannot spill to
-- disk (about 4.5 GB at 10M customers, over the default memory limit).
-- Counting is a hash aggregate and ranking a window, both of which DuckDB
-- spills; integer and few-valued features shrink to a few rows. This long
-- part costs more time than the wide quantile_cont did (about 3x at 1M).
--
-- Averages of doubles depend on the order DuckDB's threads add them up, in
-- the last bits; statistics are rounded to var segment_stat_decimals so the
-- same input gives identical marts.
{% set lower_quantile = var('segment_zscore_winsor_quantile') | float -%}
{%- set upper_quantile = 1 - lower_quantile -%}
{%- set feature_names = segment_numeric_features(ref('customer_features')) -%}
{%- set decimals = var('segment_stat_decimals') -%}

with

customer_features as (
    select * from {{ ref('customer_features') }}
),

customer_clusters as (
    select * from {{ ref('customer_clusters') }}
),

cluster_sizes as (
    select
        cluster_id,
        count(*) as cluster_customers,
        count(*) / sum(count(*)) over () as cluster_share
    from customer_clusters
    group by cluster_id
),

clustered_features as (
    select
        {% for feature_name in feature_names %}
            cast(customer_features.{{ feature_name }} as double) as feature_{{ loop.index }},
        {% endfor %}
        customer_clusters.cluster_id
    from customer_features
    inner join customer_clusters
        on customer_features.customer_id = customer_clusters.customer_id
),

population_means as (
    select
        {% for feature_name in feature_names %}
            avg(feature_{{ loop.index }}) as population_mean_{{ loop.index }},
        {% endfor %}
        -- Keeps the select list valid when there is no numeric feature.
        count(*) as population_customers
    from clustered_features
),

-- One row per customer and feature (feature_index numbers the features as feature_1, ...),
-- streamed into value_counts. Integer keys: partitioning by them below is about twice as
-- fast as by the column's name.
feature_values as (
    select
        cluster_id,
        unnest(range(1, {{ feature_names | length + 1 }})) as feature_index,
        -- Typed, so that no feature at all gives an empty list of doubles.
        unnest(cast([
            {% for feature_name in feature_names -%}
                feature_{{ loop.index }}{{ ',' if not loop.last }}
            {% endfor -%}
        ] as double[])) as feature_value
    from clustered_features
),

-- Each value's count per cluster and feature, and over the whole population (the grouping
-- set without cluster_id, so cluster_id is null there: a cluster's never is), in one pass.
-- Nulls are left out, as quantile_cont leaves them out.
value_counts as (
    select
        grouping(cluster_id) = 1 as is_population,
        cluster_id,
        feature_index,
        feature_value,
        count(*) as value_count
    from feature_values
    where feature_value is not null
    group by grouping sets (
        (cluster_id, feature_index, feature_value), (feature_index, feature_value)
    )
),

-- Where each distinct value sits among its group's sorted values: it holds the 0-based
-- ranks first_rank to first_rank + value_count - 1.
value_ranks as (
    select
        is_population,
        cluster_id,
        feature_index,
        feature_value,
        value_count,
        sum(value_count) over (
            partition by cluster_id, feature_index
            order by feature_value asc
            rows between unbounded preceding and current row
        ) - value_count as first_rank
    from value_counts
),

value_groups as (
    select
        is_population,
        cluster_id,
        feature_index,
        sum(value_count) as group_values
    from value_counts
    group by is_population, cluster_id, feature_index
),

-- The median of each cluster; the median and both winsor bounds of the population.
wanted_quantiles as (
    select
        false as is_population,
        'median' as quantile_name,
        0.5 as quantile_fraction
    union all
    select
        true as is_population,
        'median' as quantile_name,
        0.5 as quantile_fraction
    union all
    select
        true as is_population,
        'lower_bound' as quantile_name,
        {{ lower_quantile }} as quantile_fraction
    union all
    select
        true as is_population,
        'upper_bound' as quantile_name,
        {{ upper_quantile }} as quantile_fraction
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

feature_quantiles as (
    select
        is_population,
        cluster_id,
        feature_index,
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
),

population_quantiles as (
    select
        {% for feature_name in feature_names %}
            any_value(quantile_value) filter (
                where feature_index = {{ loop.index }} and quantile_name = 'median'
            ) as population_median_{{ loop.index }},
            any_value(quantile_value) filter (
                where feature_index = {{ loop.index }} and quantile_name = 'lower_bound'
            ) as lower_bound_{{ loop.index }},
            any_value(quantile_value) filter (
                where feature_index = {{ loop.index }} and quantile_name = 'upper_bound'
            ) as upper_bound_{{ loop.index }},
        {% endfor %}
        -- Keeps the select list valid when there is no numeric feature.
        count(*) as population_quantile_rows
    from feature_quantiles
    where is_population
),

cluster_medians as (
    select
        cluster_id,
        feature_index,
        quantile_value as feature_median
    from feature_quantiles
    where not is_population
),

population_bounds as (
    select
        {% for feature_name in feature_names %}
            population_means.population_mean_{{ loop.index }},
            population_quantiles.population_median_{{ loop.index }},
            population_quantiles.lower_bound_{{ loop.index }},
            population_quantiles.upper_bound_{{ loop.index }},
        {% endfor %}
        population_means.population_customers
    from population_means
    cross join population_quantiles
),

-- Read twice but not materialized: clipping again in each reader is cheaper than
-- writing every customer's winsorised values down.
winsorised_values as not materialized (
    select
        {% for feature_name in feature_names %}
            clustered_features.feature_{{ loop.index }},
            -- greatest/least skip nulls: a missing value must stay missing, not become a bound.
            case
                when clustered_features.feature_{{ loop.index }} is not null
                    then least(
                        greatest(
                            clustered_features.feature_{{ loop.index }},
                            population_bounds.lower_bound_{{ loop.index }}
                        ),
                        population_bounds.upper_bound_{{ loop.index }}
                    )
            end as winsorised_{{ loop.index }},
        {% endfor %}
        clustered_features.cluster_id
    from clustered_features
    cross join population_bounds
),

population_scale as (
    select
        {% for feature_name in feature_names %}
            avg(winsorised_{{ loop.index }}) as winsorised_mean_{{ loop.index }},
            stddev_pop(winsorised_{{ loop.index }}) as winsorised_stddev_{{ loop.index }},
        {% endfor %}
        -- Keeps the select list valid when there is no numeric feature.
        count(*) as population_customers
    from winsorised_values
),

cluster_stats as (
    select
        {% for feature_name in feature_names %}
            count(feature_{{ loop.index }}) as customers_with_value_{{ loop.index }},
            avg(feature_{{ loop.index }}) as feature_mean_{{ loop.index }},
            avg(winsorised_{{ loop.index }}) as winsorised_mean_{{ loop.index }},
        {% endfor %}
        cluster_id
    from winsorised_values
    group by cluster_id
),

feature_stats as (
    {% for feature_name in feature_names %}
        select
            cluster_stats.cluster_id,
            '{{ feature_name }}' as feature_name,
            cluster_stats.customers_with_value_{{ loop.index }} as customers_with_value,
            cluster_stats.feature_mean_{{ loop.index }} as feature_mean,
            cluster_medians.feature_median,
            population_bounds.population_mean_{{ loop.index }} as population_mean,
            population_bounds.population_median_{{ loop.index }} as population_median,
            cluster_stats.winsorised_mean_{{ loop.index }} as winsorised_mean,
            population_scale.winsorised_mean_{{ loop.index }} as population_winsorised_mean,
            population_scale.winsorised_stddev_{{ loop.index }} as population_winsorised_stddev
        from cluster_stats
        cross join population_bounds
        cross join population_scale
        left join cluster_medians
            on
                cluster_stats.cluster_id = cluster_medians.cluster_id
                and cluster_medians.feature_index = {{ loop.index }}
        union all
    {% endfor %}
    -- Ends the union above and types the columns when there is no feature at all.
    select
        cluster_stats.cluster_id,
        cast(null as varchar) as feature_name,
        cast(null as bigint) as customers_with_value,
        cast(null as double) as feature_mean,
        cast(null as double) as feature_median,
        cast(null as double) as population_mean,
        cast(null as double) as population_median,
        cast(null as double) as winsorised_mean,
        cast(null as double) as population_winsorised_mean,
        cast(null as double) as population_winsorised_stddev
    from cluster_stats
    cross join population_bounds
    cross join population_scale
    where false
),

final as (
    select
        feature_stats.cluster_id,
        cluster_sizes.cluster_customers,
        cluster_sizes.cluster_share,
        feature_stats.feature_name,
        feature_stats.customers_with_value,
        round(feature_stats.feature_mean, {{ decimals }}) as feature_mean,
        round(feature_stats.feature_median, {{ decimals }}) as feature_median,
        round(feature_stats.population_mean, {{ decimals }}) as population_mean,
        round(feature_stats.population_median, {{ decimals }}) as population_median,
        -- A feature with no spread (or no values) says nothing about a cluster: null, not 0.
        round(
            (feature_stats.winsorised_mean - feature_stats.population_winsorised_mean)
            / nullif(feature_stats.population_winsorised_stddev, 0),
            {{ decimals }}
        ) as z_score
    from feature_stats
    inner join cluster_sizes
        on feature_stats.cluster_id = cluster_sizes.cluster_id
)

select * from final
