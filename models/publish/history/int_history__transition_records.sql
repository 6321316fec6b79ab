{%- set columns = [
    'data_set', 'as_of_date', 'transition_key', 'previous_as_of_date', 'from_segment_key',
    'to_segment_key', 'customers', 'revenue'
] %}
-- depends_on: {{ ref('published_builds_snapshot') }}

with

customer_segments as (
    select * from {{ ref('customer_segments') }}
),

previous_members as (
    select * from {{ ref('int_segments__previous_members') }}
),

published_builds as (
    select * from {{ ref('stg_history__published_builds') }}
),

as_of as (
    select * from {{ ref('stg_raw__as_of_date') }}
),

-- The build before this one (a rebuild of the same date replaces its build, not
-- follows it); none on a data set's first build.
previous_build as (
    select max(as_of_date) as previous_as_of_date
    from published_builds
    where is_previous
),

customer_flows as (
    select
        previous_members.segment_key as from_segment_key,
        customer_segments.segment_key as to_segment_key,
        customer_segments.monetary
    from previous_members
    full outer join customer_segments
        on previous_members.customer_id = customer_segments.customer_id
),

this_build as (
    select
        cast({{ sql_string(data_set()) }} as varchar) as data_set,
        as_of.as_of_date,
        coalesce(customer_flows.from_segment_key, 'new')
        || '>' || coalesce(customer_flows.to_segment_key, 'gone') as transition_key,
        previous_build.previous_as_of_date,
        customer_flows.from_segment_key,
        customer_flows.to_segment_key,
        count(*) as customers,
        -- The later build's revenue of these customers; the gone have none in it.
        cast(sum(customer_flows.monetary) as decimal(18, 2)) as revenue
    from customer_flows
    cross join as_of
    cross join previous_build
    -- Only a build with one before it has transitions.
    where previous_build.previous_as_of_date is not null
    group by all
),

recorded as (
    {{ recorded_history(
        'segment_transitions_snapshot', columns,
        'data_set = ' ~ sql_string(data_set()) ~ ' and as_of_date = (select as_of_date from as_of)'
    ) }}
),

final as (
    select {{ columns | join(', ') }} from this_build
    union all
    select * from recorded
)

select * from final
