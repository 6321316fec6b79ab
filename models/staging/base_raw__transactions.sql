{{ config(
    materialized='table',
    pre_hook=without_fsst_hooks()['pre'],
    post_hook=without_fsst_hooks()['post'],
) }}

with

lines as not materialized (
    -- A table (CSV) or a view over the Parquet file already: read it where
    -- needed, never copy it (DuckDB would materialise a CTE read twice).
    select * from {{ ref('base_raw__transactions_lines') }}
),

product_categories as (
    select * from {{ ref('product_categories') }}
),

channel_values as (
    select * from {{ ref('channel_values') }}
),

payment_method_values as (
    select * from {{ ref('payment_method_values') }}
),

screened as not materialized (
    -- Typed again by each step that reads it: rescanning the lines table costs
    -- less than holding 12.8M typed rows, which spilled 5 GB at 1M customers.
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
    from (
        select
            *,
            nullif(trim(transaction_id_raw), '') as transaction_id,
            {{ staged_customer_id('customer_id_raw') }} as customer_id,
            try_cast(trim(transaction_date_raw) as timestamp) as transaction_at,
            -- double tells "not a number" from "too large for decimal(18,2)"
            try_cast(trim(amount_raw) as double) as amount_number,
            try_cast(trim(amount_raw) as decimal(18, 2)) as amount,
            try_cast(trim(quantity_raw) as integer) as quantity
        from (
            select
                source_row_number,
                transaction_id as transaction_id_raw,
                customer_id as customer_id_raw,
                transaction_date as transaction_date_raw,
                amount as amount_raw,
                quantity as quantity_raw,
                product_category as product_category_raw,
                channel as channel_raw,
                payment_method as payment_method_raw
            from lines
        ) as raw_lines
    ) as typed
),

-- A category the seed does not know keeps its own folded name: a music
-- retailer's segments must not all show `other`.
product_category_map as (
    {{ free_text_map(
        'screened', 'product_category', 'product_categories',
        unmapped='folded_values.folded', variant_column='category_variant',
    ) }}
),

channel_map as (
    {{ free_text_map('screened', 'channel', 'channel_values') }}
),

payment_method_map as (
    {{ free_text_map('screened', 'payment_method', 'payment_method_values') }}
),

repeated_transaction_ids as (
    -- Most ids occur once; only the few repeated ones need the sort below.
    -- Counted over every line, failing ones too, so that this pass needs no
    -- typing; ranked_repeats keeps only the rows that pass the row checks.
    -- Counted by a 64-bit hash of the id: a smaller key than the text (at 10M
    -- customers 128M of them, grouped beyond the memory limit). Two ids that
    -- share a hash only bring a few more rows into the sort, where each id
    -- is ranked on its own.
    select hash(nullif(trim(transaction_id), '')) as transaction_id_hash
    from lines
    group by all
    having count(*) > 1
),

ranked_repeats as (
    -- Within a repeated transaction_id, rows sorted by their raw values put
    -- exact copies side by side (the first copy in file order leads) and the
    -- smallest content first, so one sort settles both kinds of duplicate.
    select
        source_row_number,
        row_number() over by_transaction as position_in_transaction,
        -- struct equality holds nulls equal: an exact copy, blanks included
        coalesce(lag(raw_values) over by_transaction = raw_values, false) as is_copy_of_previous
    from (
        select
            *,
            struct_pack(
                transaction_id_raw,
                customer_id_raw,
                transaction_date_raw,
                amount_raw,
                quantity_raw,
                product_category_raw,
                channel_raw,
                payment_method_raw
            ) as raw_values
        from screened
        where
            row_reject_reason is null
            and hash(transaction_id) in (
                select repeated_transaction_ids.transaction_id_hash
                from repeated_transaction_ids
            )
    ) as repeats
    window by_transaction as (
        partition by transaction_id
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

classified as (
    select
        screened.*,
        product_category_map.product_category,
        channel_map.channel,
        payment_method_map.payment_method,
        coalesce(
            screened.row_reject_reason,
            case
                when
                    ranked_repeats.position_in_transaction > 1
                    and ranked_repeats.is_copy_of_previous
                    then 'duplicate'
                when ranked_repeats.position_in_transaction > 1 then 'conflicting_duplicate'
                when cast(screened.transaction_at as date) > as_of.as_of_date then 'future_date'
            end
        ) as reject_reason
    from screened
    cross join as_of
    left join ranked_repeats
        on screened.source_row_number = ranked_repeats.source_row_number
    left join product_category_map
        on
            screened.product_category_raw
            is not distinct from product_category_map.product_category_raw
    left join channel_map
        on screened.channel_raw is not distinct from channel_map.channel_raw
    left join payment_method_map
        on screened.payment_method_raw is not distinct from payment_method_map.payment_method_raw
),

final as (
    -- The raw text is kept for rejected rows only (for rejected_rows): storing
    -- it for every row would double the table for nothing.
    select
        source_row_number,
        transaction_id,
        customer_id,
        transaction_at,
        cast(transaction_at as date) as transaction_date,
        amount,
        quantity,
        product_category,
        channel,
        payment_method,
        amount < 0 as is_refund,
        row_reject_reason is null as passes_row_checks,
        reject_reason,
        case when reject_reason is not null then customer_id_raw end as customer_id_raw,
        case when reject_reason is not null then transaction_id_raw end as record_key,
        case
            when reject_reason is not null
                then cast(to_json(struct_pack(
                    transaction_id := transaction_id_raw,
                    customer_id := customer_id_raw,
                    transaction_date := transaction_date_raw,
                    amount := amount_raw,
                    quantity := quantity_raw,
                    product_category := product_category_raw,
                    channel := channel_raw,
                    payment_method := payment_method_raw
                )) as varchar)
        end as raw_record
    from classified
)

select * from final
