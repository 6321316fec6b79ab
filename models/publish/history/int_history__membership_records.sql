{%- set columns = ['data_set', 'customer_id', 'segment_key', 'build_id'] %}
-- depends_on: {{ ref('published_builds_snapshot') }}

with

build as (
    select * from {{ ref('int_history__this_build') }}
),

customer_segments as (
    select * from {{ ref('customer_segments') }}
),

build_metadata as (
    select * from {{ ref('build_metadata') }}
),

this_build as (
    select
        build.data_set,
        customer_segments.customer_id,
        customer_segments.segment_key,
        build_metadata.dbt_invocation_id as build_id
    from customer_segments
    cross join build
    cross join build_metadata
),

final as (
    {{ history_input(
        'segment_memberships_snapshot', columns, 'data_set = ' ~ sql_string(data_set())
    ) }}
)

select * from final
