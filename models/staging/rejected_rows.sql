{{ config(materialized='table') }}

with

base_transactions as (
    select * from {{ ref('base_raw__transactions') }}
),

base_demographics as (
    select * from {{ ref('base_raw__demographics') }}
),

base_credit_profiles as (
    select * from {{ ref('base_raw__credit_profiles') }}
),

unioned as (
    select
        'transactions' as source_name,
        source_row_number,
        reject_reason,
        customer_id_raw as customer_id,
        record_key,
        raw_record
    from base_transactions
    where reject_reason is not null
    union all
    select
        'demographics' as source_name,
        source_row_number,
        reject_reason,
        customer_id_raw as customer_id,
        record_key,
        raw_record
    from base_demographics
    where reject_reason is not null
    union all
    select
        'credit_profiles' as source_name,
        source_row_number,
        reject_reason,
        customer_id_raw as customer_id,
        record_key,
        raw_record
    from base_credit_profiles
    where reject_reason is not null
),

final as (
    select
        source_name,
        source_row_number,
        reject_reason,
        customer_id,
        record_key,
        raw_record
    from unioned
    order by source_name, source_row_number
)

select * from final
