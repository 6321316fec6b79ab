{%- set recorded = source('history', 'published_builds_snapshot') %}

with

published_builds as (
    {{ recorded_snapshot(recorded, {
        'data_set': 'varchar', 'recorded_at': 'timestamp', 'as_of_date': 'date',
        'build_id': 'varchar', 'customers': 'bigint', 'segments': 'bigint',
        'outlier_share': 'double', 'dbt_valid_to': 'timestamp'
    }) }}
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
        recorded_at,
        as_of_date,
        build_id,
        customers,
        segments,
        outlier_share,
        recorded_at = max(recorded_at) over () as is_latest
    from builds
)

select * from final
