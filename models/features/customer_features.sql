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
        customer_id::varchar as customer_id,
        as_of_date::date as as_of_date,
        has_transactions::boolean as has_transactions,
        has_demographics::boolean as has_demographics,
        has_credit_profile::boolean as has_credit_profile,
        first_purchase_date::date as first_purchase_date,
        last_purchase_date::date as last_purchase_date,
        date_diff('day', last_purchase_date, as_of_date)::integer as recency_days,
        coalesce(frequency, 0)::integer as frequency,
        coalesce(purchase_days, 0)::integer as purchase_days,
        coalesce(monetary, 0)::decimal(18, 2) as monetary,
        avg_order_value::double as avg_order_value,
        greatest(date_diff('day', customer_since_date, as_of_date), 0)::integer as tenure_days,
        purchase_cadence_days::double as purchase_cadence_days,
        refund_rate::double as refund_rate,
        coalesce(category_breadth, 0)::integer as category_breadth,
        online_share::double as online_share,
        store_share::double as store_share,
        mobile_share::double as mobile_share,
        top_category::varchar as top_category,
        coalesce(active_months_12m, 0)::integer as active_months_12m,
        credit_utilisation::double as credit_utilisation,
        missed_payments_12m::integer as missed_payments_12m,
        credit_score::integer as credit_score,
        credit_limit::decimal(18, 2) as credit_limit,
        credit_balance::decimal(18, 2) as credit_balance,
        age_years::integer as age_years,
        annual_income::decimal(18, 2) as annual_income
    from joined
)

select * from final
