{{ config(
    materialized='table',
    pre_hook=without_fsst_hooks()['pre'],
    post_hook=without_fsst_hooks()['post'],
) }}

{%- set raw = raw_file_columns(
    'credit_profiles',
    required=['customer_id', 'snapshot_date'],
    optional=['credit_limit', 'balance', 'missed_payments_12m', 'credit_score'],
) %}

with

source as (
    select * from {{ source('raw', 'credit_profiles') }}
),

transactions as (
    select * from {{ ref('base_raw__transactions') }}
),

numbered as (
    -- Scans keep file order, so this numbers rows as they stand in the file.
    select
        row_number() over () as source_row_number,
        {{ raw_column(raw, 'customer_id') }} as customer_id_raw,
        {{ raw_column(raw, 'snapshot_date') }} as snapshot_date_raw,
        {{ raw_column(raw, 'credit_limit') }} as credit_limit_raw,
        {{ raw_column(raw, 'balance') }} as balance_raw,
        {{ raw_column(raw, 'missed_payments_12m') }} as missed_payments_12m_raw,
        {{ raw_column(raw, 'credit_score') }} as credit_score_raw
    from source
),

parsed as (
    select
        *,
        {{ staged_customer_id('customer_id_raw') }} as customer_id,
        cast(try_cast(trim(snapshot_date_raw) as timestamp) as date) as snapshot_date,
        try_cast(trim(credit_limit_raw) as decimal(18, 2)) as credit_limit,
        try_cast(trim(balance_raw) as decimal(18, 2)) as balance,
        try_cast(trim(missed_payments_12m_raw) as integer) as missed_payments_12m,
        try_cast(trim(credit_score_raw) as integer) as credit_score_parsed
    from numbered
),

screened as materialized (
    -- Read by several steps below: typing the rows once costs less than
    -- typing them again in each.
    select
        *,
        case
            when customer_id is null then 'missing_customer_id'
            when snapshot_date is null then 'unparsable_date'
            when
                snapshot_date < cast({{ sql_string(var('min_valid_date')) }} as date)
                then 'implausible_date'
        end as row_reject_reason
    from parsed
),

transaction_dates as (
    select transaction_date
    from transactions
    where passes_row_checks
),

snapshot_dates as (
    select snapshot_date
    from screened
    where row_reject_reason is null
),

as_of as (
    -- The same rule as stg_raw__as_of_date: var, else transactions, else snapshots.
    select
        coalesce(
            {{ as_of_date_var() }},
            {{ as_of_date_from('transaction_dates', 'transaction_date') }},
            {{ as_of_date_from('snapshot_dates', 'snapshot_date') }}
        ) as as_of_date
),

dated as (
    select
        screened.*,
        coalesce(screened.snapshot_date > as_of.as_of_date, false) as is_future
    from screened
    cross join as_of
),

repeated_customers as (
    -- Versions: within a customer, snapshots up to the as-of date come first,
    -- the latest leading, so the leading date is the latest one up to the
    -- as-of date, else the latest. A customer with one snapshot passing the
    -- row checks needs no leading date: that snapshot leads.
    select
        customer_id,
        coalesce(
            max(snapshot_date) filter (where not is_future), max(snapshot_date)
        ) as leading_snapshot_date
    from dated
    where row_reject_reason is null
    group by customer_id
    having count(*) > 1
),

repeated_snapshots as (
    -- A customer's snapshots on one date (exact copies, mostly) are the only
    -- rows whose order needs their raw values: few, on real data.
    select
        customer_id,
        snapshot_date
    from dated
    where row_reject_reason is null
    group by all
    having count(*) > 1
),

ranked_repeats as (
    -- Ties on the snapshot date go to the smallest raw values, not file
    -- order, and exact copies sit side by side, the first copy in file order
    -- leading.
    select
        source_row_number,
        row_number() over by_snapshot as position_in_snapshot,
        -- struct equality holds nulls equal: an exact copy, blanks included
        coalesce(lag(raw_values) over by_snapshot = raw_values, false) as is_copy_of_previous
    from (
        select
            dated.*,
            struct_pack(
                dated.customer_id_raw,
                dated.snapshot_date_raw,
                dated.credit_limit_raw,
                dated.balance_raw,
                dated.missed_payments_12m_raw,
                dated.credit_score_raw
            ) as raw_values
        from dated
        inner join repeated_snapshots
            on
                dated.customer_id = repeated_snapshots.customer_id
                and dated.snapshot_date = repeated_snapshots.snapshot_date
        where dated.row_reject_reason is null
    ) as repeats
    window by_snapshot as (
        partition by customer_id, snapshot_date
        order by
            customer_id_raw asc,
            snapshot_date_raw asc,
            credit_limit_raw asc,
            balance_raw asc,
            missed_payments_12m_raw asc,
            credit_score_raw asc,
            source_row_number asc
    )
),

classified as (
    -- A copy is never first; a snapshot older than its customer's leading
    -- one, or not first among the rows of that date, is superseded.
    select
        dated.*,
        dated.row_reject_reason is null as passes_row_checks,
        coalesce(
            dated.row_reject_reason,
            case
                when ranked_repeats.is_copy_of_previous then 'duplicate'
                when dated.is_future then 'future_date'
                when
                    dated.snapshot_date < repeated_customers.leading_snapshot_date
                    or ranked_repeats.position_in_snapshot > 1
                    then 'superseded'
            end
        ) as reject_reason
    from dated
    left join repeated_customers
        on dated.customer_id = repeated_customers.customer_id
    left join ranked_repeats
        on dated.source_row_number = ranked_repeats.source_row_number
),

final as (
    -- The raw text is kept for rejected rows only (for rejected_rows).
    select
        source_row_number,
        customer_id,
        snapshot_date,
        credit_limit,
        balance,
        missed_payments_12m,
        case
            when
                credit_score_parsed
                between {{ var('min_credit_score') }} and {{ var('max_credit_score') }}
                then credit_score_parsed
        end as credit_score,
        passes_row_checks,
        reject_reason,
        case when reject_reason is not null then customer_id_raw end as customer_id_raw,
        case when reject_reason is not null then customer_id_raw end as record_key,
        case
            when reject_reason is not null
                then cast(to_json(struct_pack(
                    customer_id := customer_id_raw,
                    snapshot_date := snapshot_date_raw,
                    credit_limit := credit_limit_raw,
                    balance := balance_raw,
                    missed_payments_12m := missed_payments_12m_raw,
                    credit_score := credit_score_raw
                )) as varchar)
        end as raw_record
    from classified
)

select * from final
