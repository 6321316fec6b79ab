-- A view: each model that reads it types the lines again where it needs them,
-- which costs less than storing every typed row once.
{{ config(materialized='view') }}

with

lines as (
    select * from {{ ref('base_raw__transactions_lines') }}
),

raw_lines as (
    select
        source_row_number,
        {{ raw_columns('transactions', '{column} as {column}_raw', ',\n        ') }}
    from lines
),

typed as (
    select
        *,
        nullif(trim(transaction_id_raw), '') as transaction_id,
        {{ staged_customer_id('customer_id_raw') }} as customer_id,
        try_cast(trim(transaction_date_raw) as timestamp) as transaction_at,
        -- double tells "not a number" from "too large for decimal(18,2)"
        try_cast(trim(amount_raw) as double) as amount_number,
        try_cast(trim(amount_raw) as decimal(18, 2)) as amount,
        try_cast(trim(quantity_raw) as integer) as quantity
    from raw_lines
),

final as (
    -- The row-level reasons, first wins (seed reject_reasons); the later ones
    -- need other rows and are settled in base_raw__transactions.
    select
        *,
        cast(transaction_at as date) as transaction_date,
        case
            when customer_id is null then 'missing_customer_id'
            when transaction_id is null then 'missing_transaction_id'
            when transaction_at is null then 'unparsable_date'
            when
                transaction_at < cast({{ sql_string(var('min_valid_date')) }} as date)
                then 'implausible_date'
            when amount_number is null or not isfinite(amount_number) then 'non_numeric_amount'
            when abs(amount_number) > {{ var('max_abs_amount') }} then 'amount_out_of_range'
        end as row_reject_reason
    from typed
)

select * from final
