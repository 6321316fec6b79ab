-- segment_membership_changes holds exactly the customers whose segment key changed at
-- each recorded build: read independently from the membership history as valid at the
-- build's stamp and at the previous build's (nothing before a data set's first build),
-- each customer whose key differs enters its new key and leaves its old one.
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
        dbt_valid_from,
        dbt_valid_to
    from {{ ref('segment_memberships_snapshot') }}
),

members_at as (
    select
        builds.data_set,
        builds.recorded_at,
        memberships.customer_id,
        memberships.segment_key
    from builds
    inner join memberships
        on
            builds.data_set = memberships.data_set
            and builds.recorded_at >= memberships.dbt_valid_from
            and coalesce(builds.recorded_at < memberships.dbt_valid_to, true)
),

-- Each build's members beside the members of the build before it (none for a first build).
members_before as (
    select
        builds.data_set,
        builds.recorded_at,
        members_at.customer_id,
        members_at.segment_key
    from builds
    inner join members_at
        on
            builds.data_set = members_at.data_set
            and builds.previous_recorded_at = members_at.recorded_at
),

keys_then_and_now as (
    select
        coalesce(members_at.data_set, members_before.data_set) as data_set,
        coalesce(members_at.recorded_at, members_before.recorded_at) as recorded_at,
        coalesce(members_at.customer_id, members_before.customer_id) as customer_id,
        members_before.segment_key as key_then,
        members_at.segment_key as key_now
    from members_at
    full outer join members_before
        on
            members_at.data_set = members_before.data_set
            and members_at.recorded_at = members_before.recorded_at
            and members_at.customer_id = members_before.customer_id
),

expected as (
    select
        data_set,
        recorded_at,
        customer_id,
        key_now as segment_key,
        'entered' as change_type,
        key_then as other_segment_key
    from keys_then_and_now
    where key_now is not null and key_now is distinct from key_then
    union all
    select
        data_set,
        recorded_at,
        customer_id,
        key_then as segment_key,
        'left' as change_type,
        key_now as other_segment_key
    from keys_then_and_now
    where key_then is not null and key_then is distinct from key_now
),

final as (
    select
        coalesce(changes.data_set, expected.data_set) as data_set,
        coalesce(changes.recorded_at, expected.recorded_at) as recorded_at,
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
            and changes.recorded_at = expected.recorded_at
            and changes.customer_id = expected.customer_id
            and changes.segment_key = expected.segment_key
            and changes.change_type = expected.change_type
    where
        changes.customer_id is null
        or expected.customer_id is null
        or changes.other_segment_key is distinct from expected.other_segment_key
)

select * from final
