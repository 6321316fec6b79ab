{{ config(
    materialized='table',
    pre_hook=without_fsst_hooks()['pre'],
    post_hook=without_fsst_hooks()['post'],
) }}

with

typed as materialized (
    -- Read by several steps below: reading and typing the file once costs
    -- less than doing it again in each.
    select * from {{ ref('base_raw__demographics_typed') }}
),

gender_values as (
    select * from {{ ref('gender_values') }}
),

gender_map as (
    {{ free_text_map('typed', 'gender', 'gender_values', unmapped="'unknown'") }}
),

repeated_customers as (
    -- Versions: within a customer the latest updated_at leads, an unparsable
    -- one counting as oldest (max skips nulls; with none parsable, all tie).
    -- A customer with one row needs no leading version: that row leads.
    select
        customer_id,
        max(updated_at) as leading_updated_at
    from typed
    where row_reject_reason is null
    group by customer_id
    having count(*) > 1
),

repeated_versions as (
    -- A customer's rows with the same updated_at (exact copies, mostly) are
    -- the only rows whose order needs their raw values: few, on real data.
    select
        customer_id,
        updated_at
    from typed
    where row_reject_reason is null
    group by all
    having count(*) > 1
),

repeats as (
    select typed.*
    from typed
    inner join repeated_versions
        on
            typed.customer_id = repeated_versions.customer_id
            and typed.updated_at is not distinct from repeated_versions.updated_at
),

ranked_repeats as (
    -- Ties on updated_at go to the smallest raw values, so the result does
    -- not depend on file order.
    {{ rank_repeats('demographics', 'repeats', ['customer_id', 'updated_at']) }}
),

classified as (
    -- A copy is never first; a row older than its customer's leading version,
    -- or not first among the rows of that version, is superseded.
    select
        typed.*,
        gender_map.gender,
        coalesce(
            typed.row_reject_reason,
            case
                when ranked_repeats.is_copy_of_previous then 'duplicate'
                when
                    typed.updated_at < repeated_customers.leading_updated_at
                    -- an unparsable updated_at counts as oldest
                    or (
                        typed.updated_at is null
                        and repeated_customers.leading_updated_at is not null
                    )
                    or ranked_repeats.position_in_group > 1
                    then 'superseded'
            end
        ) as reject_reason
    from typed
    left join repeated_customers
        on typed.customer_id = repeated_customers.customer_id
    left join ranked_repeats
        on typed.source_row_number = ranked_repeats.source_row_number
    left join gender_map
        on typed.gender_raw is not distinct from gender_map.gender_raw
),

final as (
    -- The raw text is kept for rejected rows only (for rejected_rows).
    select
        source_row_number,
        customer_id,
        birth_date,
        gender,
        annual_income,
        region,
        signup_date,
        updated_at,
        reject_reason,
        case when reject_reason is not null then customer_id_raw end as customer_id_raw,
        case when reject_reason is not null then customer_id_raw end as record_key,
        case when reject_reason is not null then {{ raw_record_json('demographics') }} end
            as raw_record
    from classified
)

select * from final
