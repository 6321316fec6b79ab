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

rejected_transactions as (
    select
        'transactions' as source_name,
        source_row_number,
        reject_reason,
        customer_id_raw as customer_id,
        transaction_id_raw as record_key,
        to_json(struct_pack(
            transaction_id := transaction_id_raw,
            customer_id := customer_id_raw,
            transaction_date := transaction_date_raw,
            amount := amount_raw,
            quantity := quantity_raw,
            product_category := product_category_raw,
            channel := channel_raw,
            payment_method := payment_method_raw
        )) as raw_record
    from base_transactions
    where reject_reason is not null
),

rejected_demographics as (
    select
        'demographics' as source_name,
        source_row_number,
        reject_reason,
        customer_id_raw as customer_id,
        customer_id_raw as record_key,
        to_json(struct_pack(
            customer_id := customer_id_raw,
            birth_date := birth_date_raw,
            gender := gender_raw,
            annual_income := annual_income_raw,
            region := region_raw,
            signup_date := signup_date_raw,
            updated_at := updated_at_raw,
            email := email_raw,
            full_name := full_name_raw
        )) as raw_record
    from base_demographics
    where reject_reason is not null
),

rejected_credit_profiles as (
    select
        'credit_profiles' as source_name,
        source_row_number,
        reject_reason,
        customer_id_raw as customer_id,
        customer_id_raw as record_key,
        to_json(struct_pack(
            customer_id := customer_id_raw,
            snapshot_date := snapshot_date_raw,
            credit_limit := credit_limit_raw,
            balance := balance_raw,
            missed_payments_12m := missed_payments_12m_raw,
            credit_score := credit_score_raw
        )) as raw_record
    from base_credit_profiles
    where reject_reason is not null
),

unioned as (
    select * from rejected_transactions
    union all
    select * from rejected_demographics
    union all
    select * from rejected_credit_profiles
),

final as (
    select
        source_name,
        source_row_number,
        reject_reason,
        customer_id,
        record_key,
        cast(raw_record as varchar) as raw_record
    from unioned
    order by source_name, source_row_number
)

select * from final
