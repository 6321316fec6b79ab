{%- set feature_names = segment_numeric_features(ref('customer_features')) %}

with

clustered_features as (
    select * from {{ ref('int_segments__clustered_features') }}
),

feature_quantiles as (
    select * from {{ ref('int_segments__feature_quantiles') }}
),

population_bounds as (
    select
        {% for feature_name in feature_names %}
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

final as (
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
)

select * from final
