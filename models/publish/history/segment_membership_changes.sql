with

recorded as (
    select * from {{ ref('segment_memberships_snapshot') }}
),

published_builds as (
    select * from {{ ref('published_builds') }}
),

-- Each build starts stays (valid from its stamp) and ends others (valid to its stamp).
entries as (
    select
        data_set,
        dbt_valid_from as recorded_at,
        customer_id,
        segment_key
    from recorded
),

exits as (
    select
        data_set,
        dbt_valid_to as recorded_at,
        customer_id,
        segment_key
    from recorded
    where dbt_valid_to is not null
),

-- Per build and customer, the key left and the key entered.
moves as (
    select
        coalesce(entries.data_set, exits.data_set) as data_set,
        coalesce(entries.recorded_at, exits.recorded_at) as recorded_at,
        coalesce(entries.customer_id, exits.customer_id) as customer_id,
        exits.segment_key as left_segment_key,
        entries.segment_key as entered_segment_key
    from entries
    full outer join exits
        on
            entries.data_set = exits.data_set
            and entries.recorded_at = exits.recorded_at
            and entries.customer_id = exits.customer_id
),

changes as (
    select
        data_set,
        recorded_at,
        customer_id,
        entered_segment_key as segment_key,
        'entered' as change_type,
        left_segment_key as other_segment_key
    from moves
    where entered_segment_key is not null
    union all
    select
        data_set,
        recorded_at,
        customer_id,
        left_segment_key as segment_key,
        'left' as change_type,
        entered_segment_key as other_segment_key
    from moves
    where left_segment_key is not null
),

final as (
    select
        cast(changes.data_set as varchar) as data_set,
        cast(changes.recorded_at as timestamp) as recorded_at,
        cast(published_builds.as_of_date as date) as as_of_date,
        cast(published_builds.build_number as integer) as build_number,
        cast(changes.segment_key as varchar) as segment_key,
        cast(changes.customer_id as varchar) as customer_id,
        cast(changes.change_type as varchar) as change_type,
        cast(changes.other_segment_key as varchar) as other_segment_key
    from changes
    left join published_builds
        on
            changes.data_set = published_builds.data_set
            and changes.recorded_at = published_builds.recorded_at
)

select * from final
order by data_set, recorded_at, segment_key, change_type, customer_id
