-- Demographic attributes per customer used as features (no personal data).
with

demographics as (
    select * from {{ ref('stg_raw__demographics') }}
),

final as (
    select
        customer_id,
        age_years,
        annual_income,
        signup_date
    from demographics
)

select * from final
