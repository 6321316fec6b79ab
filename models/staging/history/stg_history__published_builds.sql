{%- set recorded = source('history', 'published_builds_snapshot') %}

with

published_builds as (
    {{ recorded_snapshot(recorded, {
        'data_set': 'varchar', 'as_of_date': 'date', 'build_id': 'varchar',
        'built_at': 'timestamp', 'customers': 'bigint', 'segments': 'bigint',
        'outlier_share': 'double', 'dbt_valid_to': 'timestamp'
    }) }}
),

as_of as (
    select * from {{ ref('stg_raw__as_of_date') }}
),

builds as (
    select *
    from published_builds
    where
        dbt_valid_to is null
        and data_set = {{ sql_string(data_set()) }}
),

final as (
    select
        as_of_date,
        build_id,
        built_at,
        customers,
        segments,
        outlier_share,
        as_of_date = max(as_of_date) over () as is_latest,
        -- The build a build as of this date follows; a rebuild of the same date replaces
        -- that date's build rather than following it.
        coalesce(
            as_of_date = max(as_of_date) filter (
                where as_of_date < (select as_of.as_of_date from as_of)
            ) over (),
            false
        ) as is_previous
    from builds
)

select * from final
