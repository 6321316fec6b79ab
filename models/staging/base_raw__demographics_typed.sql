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
        cast(try_cast(trim(signup_date_raw) as timestamp) as date) as signup_date,
        try_cast(trim(updated_at_raw) as timestamp) as updated_at
    from numbered
),

final as (
    -- The one row-level reason; versions are settled in base_raw__demographics.
    select
        * exclude (annual_income_parsed),
        case when annual_income_parsed >= 0 then annual_income_parsed end as annual_income,
        case when customer_id is null then 'missing_customer_id' end as row_reject_reason
    from parsed
)

select * from final
