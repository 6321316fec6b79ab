-- segment_transitions reconciles exactly with both builds of each pair: every path's
-- customers equal those the membership history puts on it (valid at the earlier and at
-- the later build's stamp; new and gone customers included), and summed by key, each
-- side equals that build's segment sizes (and the later side its revenue) in
-- segment_history.
with

transitions as (
    select * from {{ ref('segment_transitions') }}
),

segment_history as (
    select * from {{ ref('segment_history') }}
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

pairs as (
    select distinct
        data_set,
        recorded_at,
        previous_recorded_at
    from transitions
),

members_then as (
    select
        pairs.data_set,
        pairs.recorded_at,
        memberships.customer_id,
        memberships.segment_key
    from pairs
    inner join memberships
        on
            pairs.data_set = memberships.data_set
            and pairs.previous_recorded_at >= memberships.dbt_valid_from
            and coalesce(pairs.previous_recorded_at < memberships.dbt_valid_to, true)
),

members_now as (
    select
        pairs.data_set,
        pairs.recorded_at,
        memberships.customer_id,
        memberships.segment_key
    from pairs
    inner join memberships
        on
            pairs.data_set = memberships.data_set
            and pairs.recorded_at >= memberships.dbt_valid_from
            and coalesce(pairs.recorded_at < memberships.dbt_valid_to, true)
),

expected_paths as (
    select
        coalesce(members_then.data_set, members_now.data_set) as data_set,
        coalesce(members_then.recorded_at, members_now.recorded_at) as recorded_at,
        members_then.segment_key as from_segment_key,
        members_now.segment_key as to_segment_key,
        count(*) as customers
    from members_then
    full outer join members_now
        on
            members_then.data_set = members_now.data_set
            and members_then.recorded_at = members_now.recorded_at
            and members_then.customer_id = members_now.customer_id
    group by all
),

path_problems as (
    select
        coalesce(transitions.data_set, expected_paths.data_set) as data_set,
        coalesce(transitions.recorded_at, expected_paths.recorded_at) as recorded_at,
        'path ' || coalesce(transitions.from_segment_key, expected_paths.from_segment_key, 'new')
        || ' -> ' || coalesce(transitions.to_segment_key, expected_paths.to_segment_key, 'gone')
        || ': ' || coalesce(transitions.customers, 0) || ' customers, history says '
        || coalesce(expected_paths.customers, 0) as problem
    from transitions
    full outer join expected_paths
        on
            transitions.data_set = expected_paths.data_set
            and transitions.recorded_at = expected_paths.recorded_at
            and transitions.from_segment_key is not distinct from expected_paths.from_segment_key
            and transitions.to_segment_key is not distinct from expected_paths.to_segment_key
    where transitions.customers is distinct from expected_paths.customers
),

later_sides as (
    select
        data_set,
        recorded_at,
        to_segment_key as segment_key,
        sum(customers) as customers,
        sum(revenue) as revenue
    from transitions
    where to_segment_key is not null
    group by all
),

earlier_sides as (
    select
        data_set,
        previous_recorded_at as recorded_at,
        from_segment_key as segment_key,
        sum(customers) as customers
    from transitions
    where from_segment_key is not null
    group by all
),

present_segments as (
    select *
    from segment_history
    where customers > 0
),

side_problems as (
    select
        coalesce(later_sides.data_set, present_segments.data_set) as data_set,
        coalesce(later_sides.recorded_at, present_segments.recorded_at) as recorded_at,
        'later build, ' || coalesce(later_sides.segment_key, present_segments.segment_key)
        || ': flows ' || coalesce(later_sides.customers, 0) || ' customers, '
        || coalesce(later_sides.revenue, 0) || ' revenue; segment '
        || coalesce(present_segments.customers, 0) || ', '
        || coalesce(present_segments.revenue, 0) as problem
    from later_sides
    full outer join present_segments
        on
            later_sides.data_set = present_segments.data_set
            and later_sides.recorded_at = present_segments.recorded_at
            and later_sides.segment_key = present_segments.segment_key
    where
        present_segments.recorded_at in (select pairs.recorded_at from pairs)
        and (
            later_sides.customers is distinct from present_segments.customers
            or later_sides.revenue is distinct from present_segments.revenue
        )
    union all
    select
        earlier_sides.data_set,
        earlier_sides.recorded_at,
        'earlier build, ' || earlier_sides.segment_key || ': flows '
        || earlier_sides.customers || ' customers, segment '
        || coalesce(present_segments.customers, 0) as problem
    from earlier_sides
    left join present_segments
        on
            earlier_sides.data_set = present_segments.data_set
            and earlier_sides.recorded_at = present_segments.recorded_at
            and earlier_sides.segment_key = present_segments.segment_key
    where earlier_sides.customers is distinct from present_segments.customers
),

final as (
    select * from path_problems
    union all
    select * from side_problems
)

select * from final
