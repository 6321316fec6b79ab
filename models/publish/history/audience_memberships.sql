with

customer_segments as (
    select * from {{ ref('customer_segments') }}
),

final as (
    select
        cast(customer_id as varchar) as person_id,
        cast(segment_key as varchar) as audience_id
    from customer_segments
)

select * from final
order by audience_id, person_id
