{%- set columns = [
    'data_set', 'as_of_date', 'build_id', 'built_at', 'raw_data_path', 'raw_file_format',
    'currency', 'customers', 'segments', 'outlier_share', 'overridden_checks'
] %}

with

build_metadata as (
    select * from {{ ref('build_metadata') }}
),

as_of as (
    select * from {{ ref('stg_raw__as_of_date') }}
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
        cast({{ sql_string(data_set()) }} as varchar) as data_set,
        as_of.as_of_date,
        build_metadata.dbt_invocation_id as build_id,
        build_metadata.built_at,
        build_metadata.raw_data_path,
        build_metadata.raw_file_format,
        build_metadata.currency,
        figures.customers,
        figures.segments,
        figures.outlier_share,
        overridden.overridden_checks
    from build_metadata
    cross join as_of
    cross join figures
    cross join overridden
),

recorded as (
    {{ recorded_history(
        'published_builds_snapshot', columns,
        'data_set = ' ~ sql_string(data_set()) ~ ' and as_of_date = (select as_of_date from as_of)'
    ) }}
),

final as (
    select {{ columns | join(', ') }} from this_build
    union all
    select * from recorded
)

select * from final
