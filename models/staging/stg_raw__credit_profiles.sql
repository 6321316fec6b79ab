with

base_credit_profiles as (
    select * from {{ ref('base_raw__credit_profiles') }}
),

final as (
    select
        customer_id,
        snapshot_date,
        credit_limit,
        balance,
        missed_payments_12m,
        credit_score,
        source_row_number
    from base_credit_profiles
    where reject_reason is null
)

select * from final
