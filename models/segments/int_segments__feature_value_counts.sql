-- quantile_cont's state holds every value and cannot spill to disk; counting each value is
-- a hash aggregate, which DuckDB spills, and an integer or few-valued feature shrinks to a
-- few rows.
{%- set feature_names = segment_numeric_features(ref('customer_features')) %}

with

clustered_features as (
    select * from {{ ref('int_segments__clustered_features') }}
),

-- Streamed into the count, never stored. Integer keys: partitioning by them is cheaper than
-- by the feature's name.
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

-- The population is the grouping set without cluster_id, so its cluster_id is null (a
-- cluster's never is): both in one pass. Nulls are left out, as quantile_cont leaves them.
final as (
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
)

select * from final
