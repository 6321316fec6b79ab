-- One row per line of the raw transactions file: every column as text under its
-- contract name (null when an optional column is absent), numbered in file order.
-- Only transactions get this step: numbering their 12.8M rows (1M customers)
-- on one thread cost more than this copy does (raw_lines_hooks()). The other
-- sources have a tenth of the rows, and a copy of demographics would store a
-- second copy of personal data.
{{ config(
    materialized='table',
    pre_hook=raw_lines_hooks()['pre'],
    post_hook=raw_lines_hooks()['post'],
) }}

{%- set raw = raw_file_columns(
    'transactions',
    required=['transaction_id', 'customer_id', 'transaction_date', 'amount'],
    optional=['quantity', 'product_category', 'channel', 'payment_method'],
) %}

with

source as (
    select * from {{ source('raw', 'transactions') }}
),

final as (
    -- source_row_number is added by the post-hook: raw_lines_hooks() says why.
    select
        {{ raw_column(raw, 'transaction_id') }} as transaction_id,
        {{ raw_column(raw, 'customer_id') }} as customer_id,
        {{ raw_column(raw, 'transaction_date') }} as transaction_date,
        {{ raw_column(raw, 'amount') }} as amount,
        {{ raw_column(raw, 'quantity') }} as quantity,
        {{ raw_column(raw, 'product_category') }} as product_category,
        {{ raw_column(raw, 'channel') }} as channel,
        {{ raw_column(raw, 'payment_method') }} as payment_method
    from source
)

select * from final
