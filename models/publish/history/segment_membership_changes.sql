with

recorded as (
    select * from {{ ref('segment_memberships_snapshot') }}
),

published_builds as (
    select * from {{ ref('published_builds') }}
),

-- Stays by as-of date; a stay a rebuild of the same date replaced was never a build's.
stays as (
    select
        data_set,
        customer_id,
        segment_key,
        cast(dbt_valid_from as date) as valid_from_date,
        cast(dbt_valid_to as date) as valid_to_date
    from recorded
    where dbt_valid_from is distinct from dbt_valid_to
),

entries as (
    select
        data_set,
        valid_from_date as as_of_date,
        customer_id,
        segment_key
    from stays
),

exits as (
    select
        data_set,
        valid_to_date as as_of_date,
        customer_id,
        segment_key
    from stays
    where valid_to_date is not null
),

-- Per build and customer, the key left and the key entered; a stay ended and a new one
-- begun in the same key (a rebuild that moved a customer and moved it back) is no change.
moves as (
    select
        coalesce(entries.data_set, exits.data_set) as data_set,
        coalesce(entries.as_of_date, exits.as_of_date) as as_of_date,
        coalesce(entries.customer_id, exits.customer_id) as customer_id,
        exits.segment_key as left_segment_key,
        entries.segment_key as entered_segment_key
    from entries
    full outer join exits
        on
            entries.data_set = exits.data_set
            and entries.as_of_date = exits.as_of_date
            and entries.customer_id = exits.customer_id
    where entries.segment_key is distinct from exits.segment_key
),

changes as (
    select
        data_set,
        as_of_date,
        customer_id,
        entered_segment_key as segment_key,
        'entered' as change,
        left_segment_key as other_segment_key
    from moves
    where entered_segment_key is not null
    union all
    select
        data_set,
        as_of_date,
        customer_id,
        left_segment_key as segment_key,
        'left' as change,
        entered_segment_key as other_segment_key
    from moves
    where left_segment_key is not null
),

final as (
    select
        cast(changes.data_set as varchar) as data_set,
        cast(changes.as_of_date as date) as as_of_date,
        cast(published_builds.previous_as_of_date as date) as previous_as_of_date,
        cast(changes.segment_key as varchar) as segment_key,
        cast(changes.customer_id as varchar) as customer_id,
        cast(changes.change as varchar) as change,
        cast(changes.other_segment_key as varchar) as other_segment_key
    from changes
    left join published_builds
        on
            changes.data_set = published_builds.data_set
            and changes.as_of_date = published_builds.as_of_date
)

select * from final
order by data_set, as_of_date, segment_key, change, customer_id
