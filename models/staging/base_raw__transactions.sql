{{ config(materialized='table') }}

{%- set raw = raw_file_columns(
    'transactions',
    required=['transaction_id', 'customer_id', 'transaction_date', 'amount'],
    optional=['quantity', 'product_category', 'channel', 'payment_method'],
) %}

with

source as (
    select * from {{ source('raw', 'transactions') }}
),

product_categories as (
    select * from {{ ref('product_categories') }}
),

numbered as (
    -- Scans keep file order, so this numbers rows as they stand in the file
    -- (files of a glob in name order).
    select
        row_number() over () as source_row_number,
        {{ raw_column(raw, 'transaction_id') }} as transaction_id_raw,
        {{ raw_column(raw, 'customer_id') }} as customer_id_raw,
        {{ raw_column(raw, 'transaction_date') }} as transaction_date_raw,
        {{ raw_column(raw, 'amount') }} as amount_raw,
        {{ raw_column(raw, 'quantity') }} as quantity_raw,
        {{ raw_column(raw, 'product_category') }} as product_category_raw,
        {{ raw_column(raw, 'channel') }} as channel_raw,
        {{ raw_column(raw, 'payment_method') }} as payment_method_raw
    from source
),

parsed as (
    select
        *,
        struct_pack(
            transaction_id_raw := transaction_id_raw,
            customer_id_raw := customer_id_raw,
            transaction_date_raw := transaction_date_raw,
            amount_raw := amount_raw,
            quantity_raw := quantity_raw,
            product_category_raw := product_category_raw,
            channel_raw := channel_raw,
            payment_method_raw := payment_method_raw
        ) as raw_values,
        nullif(trim(transaction_id_raw), '') as transaction_id,
        nullif(trim(customer_id_raw), '') as customer_id,
        try_cast(trim(transaction_date_raw) as timestamp) as transaction_at,
        -- double tells "not a number" from "too large for decimal(18,2)"
        try_cast(trim(amount_raw) as double) as amount_number,
        try_cast(trim(amount_raw) as decimal(18, 2)) as amount,
        try_cast(trim(quantity_raw) as integer) as quantity,
        {{ fold_text('product_category_raw') }} as product_category_folded,
        {{ fold_text('channel_raw') }} as channel_folded,
        {{ fold_text('payment_method_raw') }} as payment_method_folded
    from numbered
),

screened as (
    select
        *,
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
    from parsed
),

ranked as (
    -- One pass settles both kinds of duplicate: within a transaction_id, rows
    -- sorted by their raw values put exact copies side by side (the first
    -- copy in file order leads) and the smallest content first.
    select
        *,
        row_number() over by_transaction as position_in_transaction,
        -- struct equality holds nulls equal: an exact copy, blanks included
        coalesce(lag(raw_values) over by_transaction = raw_values, false) as is_copy_of_previous
    from screened
    window by_transaction as (
        partition by row_reject_reason is null, transaction_id
        order by
            transaction_id_raw asc,
            customer_id_raw asc,
            transaction_date_raw asc,
            amount_raw asc,
            quantity_raw asc,
            product_category_raw asc,
            channel_raw asc,
            payment_method_raw asc,
            source_row_number asc
    )
),

transaction_dates as (
    select cast(transaction_at as date) as transaction_date
    from screened
    where row_reject_reason is null
),

as_of as (
    select
        coalesce(
            {{ as_of_date_var() }},
            {{ as_of_date_from('transaction_dates', 'transaction_date') }}
        ) as as_of_date
),

final as (
    select
        ranked.source_row_number,
        ranked.transaction_id_raw,
        ranked.customer_id_raw,
        ranked.transaction_date_raw,
        ranked.amount_raw,
        ranked.quantity_raw,
        ranked.product_category_raw,
        ranked.channel_raw,
        ranked.payment_method_raw,
        ranked.transaction_id,
        ranked.customer_id,
        ranked.transaction_at,
        cast(ranked.transaction_at as date) as transaction_date,
        ranked.amount,
        ranked.quantity,
        case
            when ranked.product_category_folded is null then 'unknown'
            else coalesce(product_categories.product_category, 'other')
        end as product_category,
        case
            when ranked.channel_folded is null then 'unknown'
            when ranked.channel_folded in ('online', 'web', 'e-commerce') then 'online'
            when ranked.channel_folded in ('store', 'in-store', 'in store', 'shop') then 'store'
            when ranked.channel_folded in ('mobile', 'app', 'mobile app') then 'mobile'
            else 'other'
        end as channel,
        case
            when ranked.payment_method_folded is null then 'unknown'
            when
                ranked.payment_method_folded in ('card', 'credit card', 'debit card')
                then 'card'
            when ranked.payment_method_folded = 'cash' then 'cash'
            when
                ranked.payment_method_folded in ('credit', 'store credit', 'credit line')
                then 'credit'
            when
                ranked.payment_method_folded in (
                    'bnpl', 'buy now pay later', 'buy now, pay later'
                )
                then 'bnpl'
            else 'other'
        end as payment_method,
        ranked.amount < 0 as is_refund,
        ranked.row_reject_reason is null as passes_row_checks,
        coalesce(
            ranked.row_reject_reason,
            case
                when ranked.position_in_transaction > 1 and ranked.is_copy_of_previous
                    then 'duplicate'
                when ranked.position_in_transaction > 1 then 'conflicting_duplicate'
                when cast(ranked.transaction_at as date) > as_of.as_of_date then 'future_date'
            end
        ) as reject_reason
    from ranked
    cross join as_of
    left join product_categories
        on ranked.product_category_folded = product_categories.category_variant
)

select * from final
