-- Every customer of customer_features is in customer_segments exactly once,
-- and no one else is.
with

customer_features as (
    select * from {{ ref('customer_features') }}
),

customer_segments as (
    select * from {{ ref('customer_segments') }}
),

segment_counts as (
    select
        customer_id,
        count(*) as rows_in_segments
    from customer_segments
    group by customer_id
),

final as (
    select
        coalesce(customer_features.customer_id, segment_counts.customer_id) as customer_id,
        coalesce(segment_counts.rows_in_segments, 0) as rows_in_segments,
        customer_features.customer_id is not null as is_in_features
    from customer_features
    full outer join segment_counts
        on customer_features.customer_id = segment_counts.customer_id
    where
        customer_features.customer_id is null
        or coalesce(segment_counts.rows_in_segments, 0) != 1
)

select * from final
