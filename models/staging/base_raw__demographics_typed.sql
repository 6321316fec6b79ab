-- A view, read into a materialised CTE by base_raw__demographics: the file is
-- read and typed once there, for every step that needs the typed rows.
{{ config(materialized='view') }}

with

source as (
    select * from {{ source('raw', 'demographics') }}
),

numbered as (
    -- Scans keep file order, so this numbers rows as they stand in the file.
    select
        row_number() over () as source_row_number,
        {{ raw_file_select('demographics', suffix='_raw', separator=',\n        ') }}
    from source
),

parsed as (
    select
        *,
        {{ staged_customer_id('customer_id_raw') }} as customer_id,
        cast(try_cast(trim(birth_date_raw) as timestamp) as date) as birth_date,
        try_cast(trim(annual_income_raw) as decimal(18, 2)) as annual_income_parsed,
        nullif(regexp_replace(trim(region_raw), '\s+', ' ', 'g'), '') as region,
        cast(try_cast(trim(signup_date_raw) as timestamp) as date) as signup_date_parsed,
        try_cast(trim(updated_at_raw) as timestamp) as updated_at_parsed
    from numbered
),

final as (
    -- The row-level reasons, first wins (seed reject_reasons); versions are
    -- settled in base_raw__demographics. A CRM date before var min_valid_date
    -- is an export's placeholder (1900-01-01, 0001-01-01), not a date: null,
    -- as for any optional value that is not one (an unknown updated_at counts
    -- as the oldest version). Birth dates are held to the plausible ages.
    select
        * exclude (annual_income_parsed, signup_date_parsed, updated_at_parsed),
        case when annual_income_parsed >= 0 then annual_income_parsed end as annual_income,
        case
            when signup_date_parsed >= cast({{ sql_string(var('min_valid_date')) }} as date)
                then signup_date_parsed
        end as signup_date,
        case
            when updated_at_parsed >= cast({{ sql_string(var('min_valid_date')) }} as date)
                then updated_at_parsed
        end as updated_at,
        case
            when {{ is_repeated_header('demographics') }} then 'repeated_header'
            when customer_id is null then 'missing_customer_id'
            when {{ is_null_marker('customer_id_raw') }} then 'null_marker_id'
        end as row_reject_reason
    from parsed
)

select * from final
