{%- set columns = [
    'data_set', 'recorded_at', 'as_of_date', 'build_id', 'built_at', 'raw_data_path',
    'raw_file_format', 'currency', 'customers', 'segments', 'outlier_share', 'overridden_checks'
] %}

with

build as (
    select * from {{ ref('int_history__this_build') }}
),

build_metadata as (
    select * from {{ ref('build_metadata') }}
),

customer_segments as (
    select * from {{ ref('customer_segments') }}
),

-- The record is written only once the audit passed: the snapshot's pre-hook refuses a
-- failed one (refuse_failed_publish).
publish_audit as (
    select * from {{ ref('publish_audit') }}
),

figures as (
    {{ segment_metrics('customer_segments') }}
),

overridden as (
    select list(check_name order by check_order) as overridden_checks
    from publish_audit
    where verdict = 'overridden'
),

this_build as (
    select
        build.data_set,
        build.recorded_at,
        build.as_of_date,
        build_metadata.dbt_invocation_id as build_id,
        build_metadata.built_at,
        build_metadata.raw_data_path,
        build_metadata.raw_file_format,
        build_metadata.currency,
        figures.customers,
        figures.segments,
        figures.outlier_share,
        overridden.overridden_checks
    from build
    cross join build_metadata
    cross join figures
    cross join overridden
),

final as (
    {{ history_input('published_builds_snapshot', columns) }}
)

select * from final
