-- segment_transitions reconciles exactly with both builds of each pair: every path's
-- customers equal those the membership history puts on it (valid on the earlier and on
-- the later as-of date; new and gone customers included), and summed by key, each side
-- equals that build's segment sizes (and the later side its revenue) in segment_history.
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
        cast(dbt_valid_from as date) as valid_from_date,
        cast(dbt_valid_to as date) as valid_to_date
    from {{ ref('segment_memberships_snapshot') }}
),

pairs as (
    select distinct
        data_set,
        as_of_date,
        previous_as_of_date
    from transitions
),

members_then as (
    select
        pairs.data_set,
        pairs.as_of_date,
        memberships.customer_id,
        memberships.segment_key
    from pairs
    inner join memberships
        on
            pairs.data_set = memberships.data_set
            and memberships.valid_from_date <= pairs.previous_as_of_date
            and coalesce(memberships.valid_to_date > pairs.previous_as_of_date, true)
),

members_now as (
    select
        pairs.data_set,
        pairs.as_of_date,
        memberships.customer_id,
        memberships.segment_key
    from pairs
    inner join memberships
        on
            pairs.data_set = memberships.data_set
            and memberships.valid_from_date <= pairs.as_of_date
            and coalesce(memberships.valid_to_date > pairs.as_of_date, true)
),

expected_paths as (
    select
        coalesce(members_then.data_set, members_now.data_set) as data_set,
        coalesce(members_then.as_of_date, members_now.as_of_date) as as_of_date,
        members_then.segment_key as from_segment_key,
        members_now.segment_key as to_segment_key,
        count(*) as customers
    from members_then
    full outer join members_now
        on
            members_then.data_set = members_now.data_set
            and members_then.as_of_date = members_now.as_of_date
            and members_then.customer_id = members_now.customer_id
    group by all
),

path_problems as (
    select
        coalesce(transitions.data_set, expected_paths.data_set) as data_set,
        coalesce(transitions.as_of_date, expected_paths.as_of_date) as as_of_date,
        'path ' || coalesce(transitions.from_segment_key, expected_paths.from_segment_key, 'new')
        || ' -> ' || coalesce(transitions.to_segment_key, expected_paths.to_segment_key, 'gone')
        || ': ' || coalesce(transitions.customers, 0) || ' customers, history says '
        || coalesce(expected_paths.customers, 0) as problem
    from transitions
    full outer join expected_paths
        on
            transitions.data_set = expected_paths.data_set
            and transitions.as_of_date = expected_paths.as_of_date
            and transitions.from_segment_key is not distinct from expected_paths.from_segment_key
            and transitions.to_segment_key is not distinct from expected_paths.to_segment_key
    where transitions.customers is distinct from expected_paths.customers
),

later_sides as (
    select
        data_set,
        as_of_date,
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
        previous_as_of_date as as_of_date,
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
        coalesce(later_sides.as_of_date, present_segments.as_of_date) as as_of_date,
        'later build, ' || coalesce(later_sides.segment_key, present_segments.segment_key)
        || ': flows ' || coalesce(later_sides.customers, 0) || ' customers, '
        || coalesce(later_sides.revenue, 0) || ' revenue; segment '
        || coalesce(present_segments.customers, 0) || ', '
        || coalesce(present_segments.revenue, 0) as problem
    from later_sides
    full outer join present_segments
        on
            later_sides.data_set = present_segments.data_set
            and later_sides.as_of_date = present_segments.as_of_date
            and later_sides.segment_key = present_segments.segment_key
    where
        present_segments.as_of_date in (select pairs.as_of_date from pairs)
        and (
            later_sides.customers is distinct from present_segments.customers
            or later_sides.revenue is distinct from present_segments.revenue
        )
    union all
    select
        earlier_sides.data_set,
        earlier_sides.as_of_date,
        'earlier build, ' || earlier_sides.segment_key || ': flows '
        || earlier_sides.customers || ' customers, segment '
        || coalesce(present_segments.customers, 0) as problem
    from earlier_sides
    left join present_segments
        on
            earlier_sides.data_set = present_segments.data_set
            and earlier_sides.as_of_date = present_segments.as_of_date
            and earlier_sides.segment_key = present_segments.segment_key
    where earlier_sides.customers is distinct from present_segments.customers
),

final as (
    select * from path_problems
    union all
    select * from side_problems
)

select * from final
