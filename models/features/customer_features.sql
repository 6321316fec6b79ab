-- One row per customer present in any source: the input of the clustering model.
-- Customers without transactions get zero frequency and monetary value and a
-- null recency; the clustering model documents how it imputes nulls.
with

spine as (
    select * from {{ ref('int_customers__spine') }}
),

as_of as (
    select * from {{ ref('stg_raw__as_of_date') }}
),

purchase_metrics as (
    select * from {{ ref('int_transactions__customer_metrics') }}
),

credit_risk as (
    select * from {{ ref('int_credit_profiles__customer_risk') }}
),

demographic_profile as (
    select * from {{ ref('int_demographics__customer_profile') }}
),

joined as (
    select
        spine.customer_id,
        as_of.as_of_date,
        spine.has_transactions,
        spine.has_demographics,
        spine.has_credit_profile,
        purchase_metrics.first_purchase_date,
        purchase_metrics.last_purchase_date,
        purchase_metrics.frequency,
        purchase_metrics.purchase_days,
        purchase_metrics.monetary,
        purchase_metrics.avg_order_value,
        purchase_metrics.refund_rate,
        purchase_metrics.purchase_cadence_days,
        purchase_metrics.category_breadth,
        purchase_metrics.online_share,
        purchase_metrics.store_share,
        purchase_metrics.mobile_share,
        purchase_metrics.top_category,
        purchase_metrics.active_months_12m,
        credit_risk.credit_utilisation,
        credit_risk.missed_payments_12m,
        credit_risk.credit_score,
        credit_risk.credit_limit,
        credit_risk.credit_balance,
        demographic_profile.age_years,
        demographic_profile.annual_income,
        -- A customer is a customer from signup or first purchase, whichever came first.
        least(demographic_profile.signup_date, purchase_metrics.first_purchase_date)
            as customer_since_date
    from spine
    cross join as_of
    left join purchase_metrics on spine.customer_id = purchase_metrics.customer_id
    left join credit_risk on spine.customer_id = credit_risk.customer_id
    left join demographic_profile on spine.customer_id = demographic_profile.customer_id
),

final as (
    select
        cast(customer_id as varchar) as customer_id,
        cast(as_of_date as date) as as_of_date,
        cast(has_transactions as boolean) as has_transactions,
        cast(has_demographics as boolean) as has_demographics,
        cast(has_credit_profile as boolean) as has_credit_profile,
        cast(first_purchase_date as date) as first_purchase_date,
        cast(last_purchase_date as date) as last_purchase_date,
        cast(date_diff('day', last_purchase_date, as_of_date) as integer) as recency_days,
        cast(coalesce(frequency, 0) as integer) as frequency,
        cast(coalesce(purchase_days, 0) as integer) as purchase_days,
        cast(coalesce(monetary, 0) as decimal(18, 2)) as monetary,
        cast(avg_order_value as double) as avg_order_value,
        cast(
            greatest(date_diff('day', customer_since_date, as_of_date), 0) as integer
        ) as tenure_days,
        cast(purchase_cadence_days as double) as purchase_cadence_days,
        cast(refund_rate as double) as refund_rate,
        cast(coalesce(category_breadth, 0) as integer) as category_breadth,
        cast(online_share as double) as online_share,
        cast(store_share as double) as store_share,
        cast(mobile_share as double) as mobile_share,
        cast(top_category as varchar) as top_category,
        cast(coalesce(active_months_12m, 0) as integer) as active_months_12m,
        cast(credit_utilisation as double) as credit_utilisation,
        cast(missed_payments_12m as integer) as missed_payments_12m,
        cast(credit_score as integer) as credit_score,
        cast(credit_limit as decimal(18, 2)) as credit_limit,
        cast(credit_balance as decimal(18, 2)) as credit_balance,
        cast(age_years as integer) as age_years,
        cast(annual_income as decimal(18, 2)) as annual_income
    from joined
)

select * from final
