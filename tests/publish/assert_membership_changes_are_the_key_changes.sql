-- segment_membership_changes holds exactly the customers whose segment key changed at
-- each recorded build: read independently from the membership history as valid on the
-- build's as-of date and on the previous build's (nothing before a data set's first
-- build), each customer whose key differs enters its new key and leaves its old one.
with

changes as (
    select * from {{ ref('segment_membership_changes') }}
),

builds as (
    select * from {{ ref('published_builds') }}
),

memberships as (
    select
        data_set,
        customer_id,
        segment_key,
        cast(dbt_valid_from as date) as valid_from_date,
        cast(dbt_valid_to as date) as valid_to_date
    from {{ ref('segment_memberships_snapshot') }}
),

members_at as (
    select
        builds.data_set,
        builds.as_of_date,
        memberships.customer_id,
        memberships.segment_key
    from builds
    inner join memberships
        on
            builds.data_set = memberships.data_set
            and memberships.valid_from_date <= builds.as_of_date
            and coalesce(memberships.valid_to_date > builds.as_of_date, true)
),

-- Each build's members beside the members of the build before it (none for a first build).
members_before as (
    select
        builds.data_set,
        builds.as_of_date,
        members_at.customer_id,
        members_at.segment_key
    from builds
    inner join members_at
        on
            builds.data_set = members_at.data_set
            and builds.previous_as_of_date = members_at.as_of_date
),

keys_then_and_now as (
    select
        coalesce(now.data_set, then_.data_set) as data_set,
        coalesce(now.as_of_date, then_.as_of_date) as as_of_date,
        coalesce(now.customer_id, then_.customer_id) as customer_id,
        then_.segment_key as key_then,
        now.segment_key as key_now
    from members_at as now
    full outer join members_before as then_
        on
            now.data_set = then_.data_set
            and now.as_of_date = then_.as_of_date
            and now.customer_id = then_.customer_id
),

expected as (
    select
        data_set,
        as_of_date,
        customer_id,
        key_now as segment_key,
        'entered' as change,
        key_then as other_segment_key
    from keys_then_and_now
    where key_now is not null and key_now is distinct from key_then
    union all
    select
        data_set,
        as_of_date,
        customer_id,
        key_then as segment_key,
        'left' as change,
        key_now as other_segment_key
    from keys_then_and_now
    where key_then is not null and key_then is distinct from key_now
),

final as (
    select
        coalesce(changes.data_set, expected.data_set) as data_set,
        coalesce(changes.as_of_date, expected.as_of_date) as as_of_date,
        coalesce(changes.customer_id, expected.customer_id) as customer_id,
        case
            when changes.customer_id is null then 'missing change'
            when expected.customer_id is null then 'change of a customer whose key did not change'
            else 'other key differs'
        end as problem
    from changes
    full outer join expected
        on
            changes.data_set = expected.data_set
            and changes.as_of_date = expected.as_of_date
            and changes.customer_id = expected.customer_id
            and changes.segment_key = expected.segment_key
            and changes.change = expected.change
    where
        changes.customer_id is null
        or expected.customer_id is null
        or changes.other_segment_key is distinct from expected.other_segment_key
)

select * from final
