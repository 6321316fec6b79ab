{%- set columns = [
    'data_set', 'recorded_at', 'as_of_date', 'transition_key', 'previous_recorded_at',
    'previous_as_of_date', 'from_segment_key', 'to_segment_key', 'customers', 'revenue'
] %}
-- depends_on: {{ ref('published_builds_snapshot') }}

with

build as (
    select * from {{ ref('int_history__this_build') }}
),

customer_segments as (
    select * from {{ ref('customer_segments') }}
),

-- The last recorded build's members: the build this one follows.
previous_members as (
    select * from {{ ref('int_segments__previous_members') }}
),

customer_flows as (
    select
        previous_members.segment_key as from_segment_key,
        customer_segments.segment_key as to_segment_key,
        customer_segments.net_spend
    from previous_members
    full outer join customer_segments
        on previous_members.customer_id = customer_segments.customer_id
),

this_build as (
    select
        build.data_set,
        build.recorded_at,
        build.as_of_date,
        coalesce(customer_flows.from_segment_key, 'new')
        || '>' || coalesce(customer_flows.to_segment_key, 'gone') as transition_key,
        build.previous_recorded_at,
        build.previous_as_of_date,
        customer_flows.from_segment_key,
        customer_flows.to_segment_key,
        count(*) as customers,
        -- The later build's revenue of these customers; the gone have none in it.
        cast(sum(customer_flows.net_spend) as decimal(18, 2)) as revenue
    from customer_flows
    cross join build
    -- Only a build with one before it has transitions.
    where build.previous_recorded_at is not null
    group by all
),

final as (
    {{ history_input('segment_transitions_snapshot', columns) }}
)

select * from final
