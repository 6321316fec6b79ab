with

segment_history as (
    select * from {{ ref('segment_history') }}
),

published_builds as (
    select * from {{ ref('published_builds') }}
),

latest_builds as (
    select
        data_set,
        recorded_at as latest_recorded_at
    from published_builds
    where is_latest
),

keyed as (
    select
        *,
        key_status not in ('absorbed', 'disappeared') as is_present
    from segment_history
),

per_key as (
    select
        data_set,
        segment_key,
        min(as_of_date) filter (where is_present) as first_as_of_date,
        max(as_of_date) filter (where is_present) as last_as_of_date,
        max(recorded_at) filter (where is_present) as last_recorded_at,
        max(as_of_date) filter (where not is_present) as ended_as_of_date,
        count(*) filter (where is_present) as builds,
        arg_max(segment_name, recorded_at) filter (where is_present) as segment_name,
        -- Its latest row says what it is now: its status in the latest build it was in,
        -- or what ended it.
        arg_max(key_status, recorded_at) as key_status,
        arg_max(related_segment_key, recorded_at) as related_segment_key,
        arg_max(customers, recorded_at) filter (where is_present) as last_customers
    from keyed
    group by data_set, segment_key
),

final as (
    select
        cast(per_key.data_set as varchar) as data_set,
        cast(per_key.segment_key as varchar) as segment_key,
        cast(per_key.segment_name as varchar) as segment_name,
        cast(per_key.key_status as varchar) as key_status,
        cast(per_key.related_segment_key as varchar) as related_segment_key,
        cast(
            per_key.last_recorded_at = latest_builds.latest_recorded_at as boolean
        ) as is_active,
        cast(per_key.first_as_of_date as date) as first_as_of_date,
        cast(per_key.last_as_of_date as date) as last_as_of_date,
        cast(per_key.ended_as_of_date as date) as ended_as_of_date,
        cast(per_key.builds as bigint) as builds,
        cast(per_key.last_customers as bigint) as last_customers
    from per_key
    inner join latest_builds
        on per_key.data_set = latest_builds.data_set
)

select * from final
order by data_set, segment_key
