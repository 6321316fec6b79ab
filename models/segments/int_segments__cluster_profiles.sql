-- Statistics are computed wide, a column per feature, and only the small results turned
-- long: grouping a long table of customers x features by feature costs several times more.
{%- set feature_names = segment_numeric_features(ref('customer_features')) %}
{%- set decimals = var('segment_stat_decimals') %}

with

customer_clusters as (
    select * from {{ ref('customer_clusters') }}
),

winsorised_features as (
    select * from {{ ref('int_segments__winsorised_features') }}
),

feature_quantiles as (
    select * from {{ ref('int_segments__feature_quantiles') }}
),

cluster_sizes as (
    select
        cluster_id,
        count(*) as cluster_customers,
        count(*) / sum(count(*)) over () as cluster_share
    from customer_clusters
    group by cluster_id
),

-- Each cluster's statistics and the population's (the grouping set without cluster_id) in
-- one pass over the customers.
wide_stats as (
    select
        {% for feature_name in feature_names %}
            count(feature_{{ loop.index }}) as customers_with_value_{{ loop.index }},
            avg(feature_{{ loop.index }}) as feature_mean_{{ loop.index }},
            avg(winsorised_{{ loop.index }}) as winsorised_mean_{{ loop.index }},
            stddev_pop(winsorised_{{ loop.index }}) as winsorised_stddev_{{ loop.index }},
        {% endfor %}
        grouping(cluster_id) = 1 as is_population,
        cluster_id
    from winsorised_features
    group by grouping sets ((cluster_id), ())
),

long_stats as (
    {% for feature_name in feature_names %}
        select
            is_population,
            cluster_id,
            {{ loop.index }} as feature_index,
            '{{ feature_name }}' as feature_name,
            customers_with_value_{{ loop.index }} as customers_with_value,
            feature_mean_{{ loop.index }} as feature_mean,
            winsorised_mean_{{ loop.index }} as winsorised_mean,
            winsorised_stddev_{{ loop.index }} as winsorised_stddev
        from wide_stats
        union all
    {% endfor %}
    -- Ends the union above and types the columns when there is no feature at all.
    select
        is_population,
        cluster_id,
        cast(null as integer) as feature_index,
        cast(null as varchar) as feature_name,
        cast(null as bigint) as customers_with_value,
        cast(null as double) as feature_mean,
        cast(null as double) as winsorised_mean,
        cast(null as double) as winsorised_stddev
    from wide_stats
    where false
),

medians as (
    select * from feature_quantiles
    where quantile_name = 'median'
),

final as (
    select
        cluster_stats.cluster_id,
        cluster_sizes.cluster_customers,
        cluster_sizes.cluster_share,
        cluster_stats.feature_name,
        cluster_stats.customers_with_value,
        round(cluster_stats.feature_mean, {{ decimals }}) as feature_mean,
        round(cluster_medians.quantile_value, {{ decimals }}) as feature_median,
        round(population_stats.feature_mean, {{ decimals }}) as population_mean,
        round(population_medians.quantile_value, {{ decimals }}) as population_median,
        -- A feature with no spread (or no values) says nothing about a cluster: null, not 0.
        round(
            (cluster_stats.winsorised_mean - population_stats.winsorised_mean)
            / nullif(population_stats.winsorised_stddev, 0),
            {{ decimals }}
        ) as z_score
    from long_stats as cluster_stats
    inner join cluster_sizes
        on cluster_stats.cluster_id = cluster_sizes.cluster_id
    inner join long_stats as population_stats
        on
            population_stats.is_population
            and cluster_stats.feature_index = population_stats.feature_index
    left join medians as cluster_medians
        on
            cluster_stats.cluster_id = cluster_medians.cluster_id
            and cluster_stats.feature_index = cluster_medians.feature_index
    left join medians as population_medians
        on
            population_medians.is_population
            and cluster_stats.feature_index = population_medians.feature_index
    where not cluster_stats.is_population
)

select * from final
