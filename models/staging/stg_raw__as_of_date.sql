-- A table, not a view: every model and test that reads the as-of date would
-- otherwise take the quantile of 12.8M transaction dates again (1M customers).
{{ config(materialized='table') }}

with

base_transactions as (
    select * from {{ ref('base_raw__transactions') }}
),

base_credit_profiles as (
    select * from {{ ref('base_raw__credit_profiles') }}
),

transaction_dates as (
    select transaction_date
    from base_transactions
    where passes_row_checks
),

snapshot_dates as (
    select snapshot_date
    from base_credit_profiles
    where passes_row_checks
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
