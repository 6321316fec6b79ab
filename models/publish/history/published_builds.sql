with

recorded as (
    select * from {{ ref('published_builds_snapshot') }}
),

builds as (
    select *
    from recorded
    where dbt_valid_to is null
),

final as (
    select
        cast(data_set as varchar) as data_set,
        cast(recorded_at as timestamp) as recorded_at,
        cast(as_of_date as date) as as_of_date,
        cast(
            row_number() over (partition by data_set order by recorded_at) as integer
        ) as build_number,
        cast(
            lag(recorded_at) over (partition by data_set order by recorded_at) as timestamp
        ) as previous_recorded_at,
        cast(
            lag(as_of_date) over (partition by data_set order by recorded_at) as date
        ) as previous_as_of_date,
        cast(recorded_at = max(recorded_at) over (partition by data_set) as boolean)
            as is_latest,
        cast(build_id as varchar) as build_id,
        cast(built_at as timestamp) as built_at,
        cast(raw_data_path as varchar) as raw_data_path,
        cast(raw_file_format as varchar) as raw_file_format,
        cast(currency as varchar) as currency,
        cast(customers as bigint) as customers,
        cast(segments as bigint) as segments,
        cast(outlier_share as double) as outlier_share,
        cast(overridden_checks as varchar[]) as overridden_checks
    from builds
)

select * from final
order by data_set, recorded_at
