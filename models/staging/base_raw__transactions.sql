{{ config(
    materialized='table',
    pre_hook=without_fsst_hooks()['pre'],
    post_hook=without_fsst_hooks()['post'],
) }}

with

typed as not materialized (
    -- A view over the lines: typed again by each step that reads it, never held.
    select * from {{ ref('base_raw__transactions_typed') }}
),

ranked_repeats as (
    select * from {{ ref('base_raw__transactions_repeats') }}
),

as_of_date as (
    select * from {{ ref('stg_raw__as_of_date') }}
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

-- A category the seed does not know keeps its own folded name: a music
-- retailer's segments must not all show `other`.
product_category_map as (
    {{ free_text_map(
        'typed', 'product_category', 'product_categories',
        unmapped='folded_values.folded', variant_column='category_variant',
    ) }}
),

channel_map as (
    {{ free_text_map('typed', 'channel', 'channel_values') }}
),

payment_method_map as (
    {{ free_text_map('typed', 'payment_method', 'payment_method_values') }}
),

classified as (
    select
        typed.*,
        product_category_map.product_category,
        channel_map.channel,
        payment_method_map.payment_method,
        coalesce(
            typed.row_reject_reason,
            case
                when
                    ranked_repeats.position_in_group > 1
                    and ranked_repeats.is_copy_of_previous
                    then 'duplicate'
                when ranked_repeats.position_in_group > 1 then 'conflicting_duplicate'
                when typed.transaction_date > as_of_date.as_of_date then 'future_date'
            end
        ) as reject_reason
    from typed
    cross join as_of_date
    left join ranked_repeats
        on typed.source_row_number = ranked_repeats.source_row_number
    left join product_category_map
        on typed.product_category_raw is not distinct from product_category_map.product_category_raw
    left join channel_map
        on typed.channel_raw is not distinct from channel_map.channel_raw
    left join payment_method_map
        on typed.payment_method_raw is not distinct from payment_method_map.payment_method_raw
),

final as (
    -- The raw text is kept for rejected rows only (for rejected_rows).
    select
        source_row_number,
        transaction_id,
        customer_id,
        transaction_at,
        transaction_date,
        amount,
        quantity,
        product_category,
        channel,
        payment_method,
        amount < 0 as is_refund,
        reject_reason,
        case when reject_reason is not null then customer_id_raw end as customer_id_raw,
        case when reject_reason is not null then transaction_id_raw end as record_key,
        case when reject_reason is not null then {{ raw_record_json('transactions') }} end
            as raw_record
    from classified
)

select * from final
