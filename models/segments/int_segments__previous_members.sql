with

memberships as (
    select * from {{ ref('stg_history__segment_memberships') }}
),

-- The last recorded build of the data set: what BI and activation tools hold now.
final as (
    select
        customer_id,
        segment_key
    from memberships
    where is_current
)

select * from final
