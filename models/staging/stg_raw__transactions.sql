with

base_transactions as (
    select * from {{ ref('base_raw__transactions') }}
),

final as (
    select
        transaction_id,
        customer_id,
        transaction_at,
        transaction_date,
        amount,
        quantity,
        product_category,
        channel,
        payment_method,
        is_refund,
        source_row_number
    from base_transactions
    where reject_reason is null
)

select * from final
