-- Every customer present in any source, with the sources they appear in.
with

transactions as (
    select * from {{ ref('stg_raw__transactions') }}
),

demographics as (
    select * from {{ ref('stg_raw__demographics') }}
),

credit_profiles as (
    select * from {{ ref('stg_raw__credit_profiles') }}
),

customer_ids as (
    select
        customer_id,
        'transactions' as source_name
    from transactions
    union all
    select
        customer_id,
        'demographics' as source_name
    from demographics
    union all
    select
        customer_id,
        'credit_profiles' as source_name
    from credit_profiles
),

final as (
    select
        customer_id,
        bool_or(source_name = 'transactions') as has_transactions,
        bool_or(source_name = 'demographics') as has_demographics,
        bool_or(source_name = 'credit_profiles') as has_credit_profile
    from customer_ids
    group by customer_id
)

select * from final
