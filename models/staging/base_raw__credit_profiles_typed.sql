-- A view, read into a materialised CTE by base_raw__credit_profiles: the file
-- is read and typed once there, for every step that needs the typed rows.
{{ config(materialized='view') }}

with

source as (
    select * from {{ source('raw', 'credit_profiles') }}
),

numbered as (
    -- Scans keep file order, so this numbers rows as they stand in the file.
    select
        row_number() over () as source_row_number,
        {{ raw_file_select('credit_profiles', suffix='_raw', separator=',\n        ') }}
    from source
),

parsed as (
    select
        *,
        {{ staged_customer_id('customer_id_raw') }} as customer_id,
        cast(try_cast(trim(snapshot_date_raw) as timestamp) as date) as snapshot_date,
        try_cast(trim(credit_limit_raw) as decimal(18, 2)) as credit_limit,
        try_cast(trim(balance_raw) as decimal(18, 2)) as balance,
        try_cast(trim(missed_payments_12m_raw) as integer) as missed_payments_12m,
        try_cast(trim(credit_score_raw) as integer) as credit_score_parsed
    from numbered
),

final as (
    -- The row-level reasons, first wins (seed reject_reasons); the later ones
    -- need other rows and are settled in base_raw__credit_profiles.
    select
        * exclude (credit_score_parsed),
        case
            when
                credit_score_parsed
                between {{ var('min_credit_score') }} and {{ var('max_credit_score') }}
                then credit_score_parsed
        end as credit_score,
        case
            when customer_id is null then 'missing_customer_id'
            when snapshot_date is null then 'unparsable_date'
            when
                snapshot_date < cast({{ sql_string(var('min_valid_date')) }} as date)
                then 'implausible_date'
        end as row_reject_reason
    from parsed
)

select * from final
