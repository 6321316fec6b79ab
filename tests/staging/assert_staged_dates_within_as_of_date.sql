-- The steps that reject future dates read the as-of date from
-- stg_raw__as_of_date; this guards that they apply it as that model states
-- it: nothing staged lies after the as-of date, and every future_date reject
-- does. Returns the offending rows.

with

as_of_date as (
    select * from {{ ref('stg_raw__as_of_date') }}
),

transactions as (
    select * from {{ ref('base_raw__transactions') }}
),

credit_profiles as (
    select * from {{ ref('base_raw__credit_profiles') }}
),

dated_rows as (
    select
        'transactions' as source_name,
        source_row_number,
        reject_reason,
        transaction_date as row_date
    from transactions
    where reject_reason is null or reject_reason = 'future_date'
    union all
    select
        'credit_profiles' as source_name,
        source_row_number,
        reject_reason,
        snapshot_date as row_date
    from credit_profiles
    where reject_reason is null or reject_reason = 'future_date'
),

final as (
    select
        dated_rows.source_name,
        dated_rows.source_row_number,
        dated_rows.reject_reason,
        dated_rows.row_date,
        as_of_date.as_of_date
    from dated_rows
    cross join as_of_date
    where
        (dated_rows.reject_reason is null and dated_rows.row_date > as_of_date.as_of_date)
        or (
            dated_rows.reject_reason = 'future_date'
            and not coalesce(dated_rows.row_date > as_of_date.as_of_date, false)
        )
)

select * from final
