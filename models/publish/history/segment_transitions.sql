with

recorded as (
    select * from {{ ref('segment_transitions_snapshot') }}
),

segment_history as (
    select * from {{ ref('segment_history') }}
),

transitions as (
    select *
    from recorded
    where dbt_valid_to is null
),

final as (
    select
        cast(transitions.data_set as varchar) as data_set,
        cast(transitions.recorded_at as timestamp) as recorded_at,
        cast(transitions.as_of_date as date) as as_of_date,
        cast(transitions.previous_recorded_at as timestamp) as previous_recorded_at,
        cast(transitions.previous_as_of_date as date) as previous_as_of_date,
        cast(transitions.from_segment_key as varchar) as from_segment_key,
        cast(from_segments.segment_name as varchar) as from_segment_name,
        cast(transitions.to_segment_key as varchar) as to_segment_key,
        cast(to_segments.segment_name as varchar) as to_segment_name,
        cast(
            case
                when transitions.from_segment_key is null then 'new'
                when transitions.to_segment_key is null then 'gone'
                when transitions.from_segment_key = transitions.to_segment_key then 'stayed'
                else 'moved'
            end as varchar
        ) as flow,
        cast(transitions.customers as bigint) as customers,
        cast(transitions.revenue as decimal(18, 2)) as revenue
    from transitions
    left join segment_history as from_segments
        on
            transitions.data_set = from_segments.data_set
            and transitions.previous_recorded_at = from_segments.recorded_at
            and transitions.from_segment_key = from_segments.segment_key
    left join segment_history as to_segments
        on
            transitions.data_set = to_segments.data_set
            and transitions.recorded_at = to_segments.recorded_at
            and transitions.to_segment_key = to_segments.segment_key
)

select * from final
order by data_set, recorded_at, from_segment_key nulls first, to_segment_key nulls last
