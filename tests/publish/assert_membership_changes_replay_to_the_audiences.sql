-- An activation tool that synced nothing but segment_membership_changes, from the data
-- set's first build on, holds exactly the audiences published now: per customer and key,
-- the entries less the exits are 1 for each audience membership and 0 for anything else.
with

changes as (
    select * from {{ ref('segment_membership_changes') }}
),

audience_memberships as (
    select * from {{ ref('audience_memberships') }}
),

replayed as (
    select
        customer_id,
        segment_key,
        count(*) filter (where change_type = 'entered')
        - count(*) filter (where change_type = 'left') as membership
    from changes
    where data_set = {{ sql_string(data_set()) }}
    group by customer_id, segment_key
    having membership != 0
),

final as (
    select
        coalesce(replayed.customer_id, audience_memberships.person_id) as customer_id,
        coalesce(replayed.segment_key, audience_memberships.audience_id) as segment_key,
        replayed.membership
    from replayed
    full outer join audience_memberships
        on
            replayed.customer_id = audience_memberships.person_id
            and replayed.segment_key = audience_memberships.audience_id
    where
        replayed.membership is distinct from 1
        or audience_memberships.person_id is null
)

select * from final
