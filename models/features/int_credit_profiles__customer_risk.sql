-- Credit risk per customer from the latest credit snapshot (staging keeps only that one).
with

credit_profiles as (
    select * from {{ ref('stg_raw__credit_profiles') }}
),

final as (
    select
        customer_id,
        snapshot_date as credit_snapshot_date,
        credit_limit,
        balance as credit_balance,
        -- A zero or unknown limit gives no utilisation rather than a division error.
        case
            when credit_limit > 0 then greatest(balance, 0) / credit_limit
        end as credit_utilisation,
        -- A negative count cannot be true: unknown, like the contract's other bad optionals.
        case when missed_payments_12m >= 0 then missed_payments_12m end as missed_payments_12m,
        credit_score
    from credit_profiles
)

select * from final
