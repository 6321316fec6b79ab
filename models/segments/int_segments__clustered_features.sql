-- Numbered columns (feature_1, ...), in the order of the features: a name derived from
-- them downstream (winsorised_1) cannot collide with a feature's own.
{%- set feature_names = segment_numeric_features(ref('customer_features')) %}

with

customer_features as (
    select * from {{ ref('customer_features') }}
),

customer_clusters as (
    select * from {{ ref('customer_clusters') }}
),

final as (
    select
        {% for feature_name in feature_names %}
            cast(customer_features.{{ feature_name }} as double) as feature_{{ loop.index }},
        {% endfor %}
        customer_clusters.cluster_id
    from customer_features
    inner join customer_clusters
        on customer_features.customer_id = customer_clusters.customer_id
)

select * from final
