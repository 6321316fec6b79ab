{%- set recorded = source('history', 'published_builds_snapshot') %}

with

published_builds as (
    {{ recorded_snapshot(recorded, {
        'data_set': 'varchar', 'as_of_date': 'date', 'build_id': 'varchar',
        'built_at': 'timestamp', 'customers': 'bigint', 'segments': 'bigint',
        'outlier_share': 'double', 'dbt_valid_to': 'timestamp'
    }) }}
),

final as (
    select
        as_of_date,
        build_id,
        built_at,
        customers,
        segments,
        outlier_share,
        row_number() over (order by as_of_date desc) = 1 as is_latest
    from published_builds
    where
        dbt_valid_to is null
        and data_set = {{ sql_string(data_set()) }}
)

select * from final
