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

    Averages of doubles depend on the order DuckDB's threads add them up, in
    the last bits; statistics are rounded to var segment_stat_decimals so the
    same input gives identical marts.
-#}
{%- set lower_quantile = var('segment_zscore_winsor_quantile', 0.01) | float -%}
{%- set upper_quantile = 1 - lower_quantile -%}
{%- set feature_names = segment_numeric_features(ref('customer_features')) -%}
{%- set decimals = var('segment_stat_decimals', 6) -%}

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

feature_values as (

    {% for feature_name in feature_names %}
        select
            customer_clusters.cluster_id,
            '{{ feature_name }}' as feature_name,
            cast(customer_features.{{ feature_name }} as double) as feature_value
        from customer_features
        inner join customer_clusters
            on customer_features.customer_id = customer_clusters.customer_id
        union all
    {% endfor %}
    -- Ends the union above and types the columns when there is no feature at all.
    select
        cast(null as integer) as cluster_id,
        cast(null as varchar) as feature_name,
        cast(null as double) as feature_value
    where false

),

population_bounds as (

    select
        feature_name,
        avg(feature_value) as population_mean,
        median(feature_value) as population_median,
        quantile_cont(feature_value, {{ lower_quantile }}) as lower_bound,
        quantile_cont(feature_value, {{ upper_quantile }}) as upper_bound
    from feature_values
    group by feature_name

),

winsorised_values as (

    select
        feature_values.cluster_id,
        feature_values.feature_name,
        feature_values.feature_value,
        -- greatest/least skip nulls: a missing value must stay missing, not become a bound.
        case
            when feature_values.feature_value is not null
                then least(
                    greatest(feature_values.feature_value, population_bounds.lower_bound),
                    population_bounds.upper_bound
                )
        end as winsorised_value
    from feature_values
    inner join population_bounds
        on feature_values.feature_name = population_bounds.feature_name

),

population_scale as (

    select
        feature_name,
        avg(winsorised_value) as winsorised_mean,
        stddev_pop(winsorised_value) as winsorised_stddev
    from winsorised_values
    group by feature_name

),

cluster_stats as (

    select
        cluster_id,
        feature_name,
        count(feature_value) as customers_with_value,
        avg(feature_value) as feature_mean,
        median(feature_value) as feature_median,
        avg(winsorised_value) as winsorised_mean
    from winsorised_values
    group by cluster_id, feature_name

),

final as (

    select
        cluster_stats.cluster_id,
        cluster_sizes.cluster_customers,
        cluster_sizes.cluster_share,
        cluster_stats.feature_name,
        cluster_stats.customers_with_value,
        round(cluster_stats.feature_mean, {{ decimals }}) as feature_mean,
        round(cluster_stats.feature_median, {{ decimals }}) as feature_median,
        round(population_bounds.population_mean, {{ decimals }}) as population_mean,
        round(population_bounds.population_median, {{ decimals }}) as population_median,
        -- A feature with no spread (or no values) says nothing about a cluster: null, not 0.
        round(
            (cluster_stats.winsorised_mean - population_scale.winsorised_mean)
            / nullif(population_scale.winsorised_stddev, 0),
            {{ decimals }}
        ) as z_score
    from cluster_stats
    inner join cluster_sizes
        on cluster_stats.cluster_id = cluster_sizes.cluster_id
    inner join population_bounds
        on cluster_stats.feature_name = population_bounds.feature_name
    inner join population_scale
        on cluster_stats.feature_name = population_scale.feature_name

)

select * from final
