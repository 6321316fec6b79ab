{{ config(
    materialized='table',
    pre_hook=without_fsst_hooks()['pre'],
    post_hook=without_fsst_hooks()['post'],
) }}

with

typed as materialized (
    -- Read by several steps below: reading and typing the file once costs
    -- less than doing it again in each.
    select * from {{ ref('base_raw__credit_profiles_typed') }}
),

as_of_date as (
    select * from {{ ref('stg_raw__as_of_date') }}
),

dated as (
    select
        typed.*,
        coalesce(typed.snapshot_date > as_of_date.as_of_date, false) as is_future
    from typed
    cross join as_of_date
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

repeats as (
    select dated.*
    from dated
    inner join repeated_snapshots
        on
            dated.customer_id = repeated_snapshots.customer_id
            and dated.snapshot_date = repeated_snapshots.snapshot_date
    where dated.row_reject_reason is null
),

ranked_repeats as (
    -- Ties on the snapshot date go to the smallest raw values, not file order.
    {{ rank_repeats('credit_profiles', 'repeats', ['customer_id', 'snapshot_date']) }}
),

classified as (
    -- A copy is never first; a snapshot older than its customer's leading
    -- one, or not first among the rows of that date, is superseded.
    select
        dated.*,
        coalesce(
            dated.row_reject_reason,
            case
                when ranked_repeats.is_copy_of_previous then 'duplicate'
                when dated.is_future then 'future_date'
                when
                    dated.snapshot_date < repeated_customers.leading_snapshot_date
                    or ranked_repeats.position_in_group > 1
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
        credit_score,
        reject_reason,
        case when reject_reason is not null then customer_id_raw end as customer_id_raw,
        case when reject_reason is not null then customer_id_raw end as record_key,
        case when reject_reason is not null then {{ raw_record_json('credit_profiles') }} end
            as raw_record
    from classified
)

select * from final
