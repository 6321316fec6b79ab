with

customer_segments as (
    select * from {{ ref('customer_segments') }}
),

final as (
    select
        cast(customer_id as varchar) as id,
        cast(segment_key as varchar) as segment_key,
        cast(segment_name as varchar) as segment_name,
        cast(as_of_date as date) as as_of_date,
        cast(recency_days as integer) as recency_days,
        cast(frequency as integer) as frequency,
        cast(net_spend as double) as net_spend,
        cast(top_category as varchar) as top_category
    from customer_segments
)

select * from final
order by id
