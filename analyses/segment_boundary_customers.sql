-- Customers closest to the boundary of one segment: its members that look
-- least like the segment's centre, and the segment each one is nearest to
-- otherwise. Distance is over the z-scored features the naming rules use
-- (distinct features of seed segment_rules), each customer's value scaled by
-- the population mean and standard deviation; the "margin" is how much
-- closer the customer is to its own segment's centre than to the nearest
-- other one (small: on the boundary, a candidate for either campaign;
-- negative: DBSCAN put the customer here by density although another
-- segment's centre is closer).
-- Run: dbt compile -s segment_boundary_customers --vars '{boundary_segment: "Big Spenders"}'
{% set boundary_segment = var('boundary_segment', 'Frequent Shoppers') %}
{% set boundary_rows = var('boundary_rows', 100) %}

with

customer_features as (
    select * from {{ ref('customer_features') }}
),

customer_segments as (
    select * from {{ ref('customer_segments') }}
),

segment_profiles as (
    select * from {{ ref('segment_profiles') }}
),

segment_rules as (
    select * from {{ ref('segment_rules') }}
),

rule_features as (
    select distinct feature as feature_name from segment_rules
),

customer_values as (
    {% for feature_name in segment_numeric_features(ref('customer_features')) %}
        select
            customer_id,
            '{{ feature_name }}' as feature_name,
            cast({{ feature_name }} as double) as feature_value
        from customer_features
        union all
    {% endfor %}
    select
        cast(null as varchar) as customer_id,
        cast(null as varchar) as feature_name,
        cast(null as double) as feature_value
    where false
),

population as (
    select
        feature_name,
        avg(feature_value) as population_mean,
        stddev_pop(feature_value) as population_stddev
    from customer_values
    group by feature_name
),

scaled_customers as (
    select
        customer_values.customer_id,
        customer_values.feature_name,
        (customer_values.feature_value - population.population_mean)
        / nullif(population.population_stddev, 0) as scaled_value
    from customer_values
    inner join population
        on customer_values.feature_name = population.feature_name
    inner join rule_features
        on customer_values.feature_name = rule_features.feature_name
),

segment_centres as (
    select
        segment_profiles.segment_name,
        segment_profiles.feature_name,
        (segment_profiles.feature_mean - population.population_mean)
        / nullif(population.population_stddev, 0) as scaled_centre
    from segment_profiles
    inner join population
        on segment_profiles.feature_name = population.feature_name
),

members as (
    select customer_id from customer_segments
    where segment_name = '{{ boundary_segment }}'
),

distances as (
    select
        scaled_customers.customer_id,
        segment_centres.segment_name,
        sqrt(sum(power(scaled_customers.scaled_value - segment_centres.scaled_centre, 2)))
            as distance
    from scaled_customers
    inner join members
        on scaled_customers.customer_id = members.customer_id
    inner join segment_centres
        on scaled_customers.feature_name = segment_centres.feature_name
    where scaled_customers.scaled_value is not null
    group by scaled_customers.customer_id, segment_centres.segment_name
),

own_distance as (
    select
        customer_id,
        distance as distance_to_own_centre
    from distances
    where segment_name = '{{ boundary_segment }}'
),

nearest_other as (
    select
        customer_id,
        segment_name as nearest_other_segment,
        distance as distance_to_other_centre
    from distances
    where segment_name != '{{ boundary_segment }}'
    qualify row_number() over (
        partition by customer_id order by distance asc, segment_name asc
    ) = 1
),

final as (
    select
        own_distance.customer_id,
        '{{ boundary_segment }}' as segment_name,
        nearest_other.nearest_other_segment,
        own_distance.distance_to_own_centre,
        nearest_other.distance_to_other_centre,
        nearest_other.distance_to_other_centre - own_distance.distance_to_own_centre as margin
    from own_distance
    inner join nearest_other
        on own_distance.customer_id = nearest_other.customer_id
)

select * from final
order by margin asc, customer_id asc
limit {{ boundary_rows }}
