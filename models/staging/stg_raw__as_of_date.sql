-- The one place the as-of date is computed; the steps that reject future dates
-- read it. A table, not a view: every model and test that reads it would
-- otherwise type the transactions and count their dates again.
{{ config(materialized='table') }}

with

transactions as not materialized (
    select * from {{ ref('base_raw__transactions_typed') }}
),

credit_profiles as not materialized (
    select * from {{ ref('base_raw__credit_profiles_typed') }}
),

transaction_dates as (
    select transaction_date
    from transactions
    where row_reject_reason is null
),

snapshot_dates as (
    select snapshot_date
    from credit_profiles
    where row_reject_reason is null
),

candidates as (
    select
        {{ as_of_date_var() }} as from_var,
        {{ as_of_date_from('transaction_dates', 'transaction_date') }} as from_transactions,
        {{ as_of_date_from('snapshot_dates', 'snapshot_date') }} as from_credit_profiles
),

final as (
    select
        coalesce(from_var, from_transactions, from_credit_profiles) as as_of_date,
        case
            when from_var is not null then 'var'
            when from_transactions is not null then 'transactions'
            when from_credit_profiles is not null then 'credit_profiles'
            else 'none'
        end as as_of_date_source
    from candidates
)

select * from final
