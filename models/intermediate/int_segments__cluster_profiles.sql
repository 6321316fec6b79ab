{#-
    Per cluster and per numeric feature of customer_features: the mean and
    median in original units and a z-score against the whole population.

    The features are the numeric columns of customer_features (macro
    segment_numeric_features), so a feature added there is profiled, and
    usable in seed segment_rules, without editing this model.

    The z-score compares winsorised values (clipped to the population's var
    segment_zscore_winsor_quantile and 1 - that quantile):
    a handful of extreme customers (whales with one 50k order) would otherwise
    inflate the standard deviation until no cluster looks unusual.

    Statistics are computed wide, one column per feature, over one join of
    features to clusters; only the small results (a row per cluster) are
    turned into the long shape. A long table of customers x features (18M rows
    at 1M customers) to group by feature cost three to four times as much.
    Columns are numbered in the order of the features (feature_1, ...), so a
    derived name cannot collide with a feature's own.

    Averages of doubles depend on the order DuckDB's threads add them up, in
    the last bits; statistics are rounded to var segment_stat_decimals so the
    same input gives identical marts.
-#}
{%- set lower_quantile = var('segment_zscore_winsor_quantile') | float -%}
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

population_quantiles as (

    select
        {% for feature_name in feature_names %}
            avg(feature_{{ loop.index }}) as population_mean_{{ loop.index }},
            -- One call for the median and both bounds: a list of quantiles sorts the values once.
            quantile_cont(
                feature_{{ loop.index }}, [0.5, {{ lower_quantile }}, {{ upper_quantile }}]
            ) as quantiles_{{ loop.index }},
        {% endfor %}
        -- Keeps the select list valid when there is no numeric feature.
        count(*) as population_customers
    from clustered_features

),

population_bounds as (

    select
        {% for feature_name in feature_names %}
            population_mean_{{ loop.index }},
            quantiles_{{ loop.index }}[1] as population_median_{{ loop.index }},
            quantiles_{{ loop.index }}[2] as lower_bound_{{ loop.index }},
            quantiles_{{ loop.index }}[3] as upper_bound_{{ loop.index }},
        {% endfor %}
        population_customers
    from population_quantiles

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
            median(feature_{{ loop.index }}) as feature_median_{{ loop.index }},
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
            cluster_stats.feature_median_{{ loop.index }} as feature_median,
            population_bounds.population_mean_{{ loop.index }} as population_mean,
            population_bounds.population_median_{{ loop.index }} as population_median,
            cluster_stats.winsorised_mean_{{ loop.index }} as winsorised_mean,
            population_scale.winsorised_mean_{{ loop.index }} as population_winsorised_mean,
            population_scale.winsorised_stddev_{{ loop.index }} as population_winsorised_stddev
        from cluster_stats
        cross join population_bounds
        cross join population_scale
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
