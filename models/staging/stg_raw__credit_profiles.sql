-- The data-quality gate on base_raw__credit_profiles reads seed reject_reasons, and dbt holds
-- a model back for a test only if the model descends from everything the test reads:
-- this makes everything after staging wait for the gate (rejected_rows does not, so a
-- stopped build still shows its rejects).
-- depends_on: {{ ref('reject_reasons') }}
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
