-- The data-quality gate on base_raw__transactions reads seed reject_reasons, and dbt holds
-- a model back for a test only if the model descends from everything the test reads:
-- this makes everything after staging wait for the gate (rejected_rows does not, so a
-- stopped build still shows its rejects).
-- depends_on: {{ ref('reject_reasons') }}
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
