-- Customers closest to the boundary of one segment: its members that look
-- least like the segment's centre, and the segment each one is nearest to
-- otherwise. Distance is over the features customer_segments carries (recency,
-- purchases, net spend, order value, credit utilisation, missed payments),
-- each scaled by all customers' mean and standard deviation; a segment's
-- centre is its members' mean. The "margin" is how much closer the customer
-- is to its own segment's centre than to the nearest other one (small: on the
-- boundary, a candidate for either campaign; negative: DBSCAN put the
-- customer here by density although another segment's centre is closer).
-- Reads only published tables, so it runs on the copy BI reads:
--   dbt compile -s segment_boundary_customers
--   duckdb -readonly warehouse/published/current/segments.duckdb
--   set variable boundary_segment = 'Big Spenders';
--   set variable boundary_rows = 50;
--   .read target/compiled/customer_segmentation/analyses/segment_boundary_customers.sql
-- Without the variables: the largest segment (outliers aside), 100 customers.
with

customer_segments as (
    select * from {{ published_table('customer_segments') }}
),

segment_summary as (
    select * from {{ published_table('segment_summary') }}
),

largest_segment as (
    select segment_name
    from segment_summary
    where cluster_id != {{ var('segment_noise_cluster_id') }}
    order by customers desc, segment_name asc
    limit 1
),

chosen_segment as (
    select
        coalesce(
            getvariable('boundary_segment'),
            (select largest_segment.segment_name from largest_segment)
        ) as segment_name
),

customer_values as (
    -- One row per customer and known feature value (unpivot leaves out nulls).
    unpivot (
        select
            customer_id,
            segment_name,
            cast(recency_days as double) as recency_days,
            cast(frequency as double) as frequency,
            cast(net_spend as double) as net_spend,
            cast(avg_order_value as double) as avg_order_value,
            cast(credit_utilisation as double) as credit_utilisation,
            cast(missed_payments_12m as double) as missed_payments_12m
        from customer_segments
    )
    on recency_days, frequency, net_spend, avg_order_value, credit_utilisation, missed_payments_12m
    into name feature_name value feature_value
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
        customer_values.segment_name,
        customer_values.feature_name,
        (customer_values.feature_value - population.population_mean)
        / nullif(population.population_stddev, 0) as scaled_value
    from customer_values
    inner join population
        on customer_values.feature_name = population.feature_name
),

segment_centres as (
    select
        segment_name,
        feature_name,
        avg(scaled_value) as scaled_centre
    from scaled_customers
    group by segment_name, feature_name
),

members as (
    select customer_segments.customer_id
    from customer_segments
    inner join chosen_segment
        on customer_segments.segment_name = chosen_segment.segment_name
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
    where scaled_customers.scaled_value is not null and segment_centres.scaled_centre is not null
    group by scaled_customers.customer_id, segment_centres.segment_name
),

own_distance as (
    select
        distances.customer_id,
        distances.segment_name,
        distances.distance as distance_to_own_centre
    from distances
    inner join chosen_segment
        on distances.segment_name = chosen_segment.segment_name
),

nearest_other as (
    select
        distances.customer_id,
        distances.segment_name as nearest_other_segment,
        distances.distance as distance_to_other_centre
    from distances
    inner join chosen_segment
        on distances.segment_name != chosen_segment.segment_name
    qualify row_number() over (
        partition by distances.customer_id
        order by distances.distance asc, distances.segment_name asc
    ) = 1
),

final as (
    select
        own_distance.customer_id,
        own_distance.segment_name,
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
limit coalesce(getvariable('boundary_rows'), 100)
