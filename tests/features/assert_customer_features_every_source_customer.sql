-- Nothing lost: every customer in any clean staging source has a customer_features row.
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

features as (
    select * from {{ ref('customer_features') }}
),

source_customers as (
    select customer_id from transactions
    union
    select customer_id from demographics
    union
    select customer_id from credit_profiles
),

final as (
    select source_customers.customer_id
    from source_customers
    anti join features on source_customers.customer_id = features.customer_id
)

select * from final
