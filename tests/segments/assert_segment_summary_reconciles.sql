-- segment_summary adds up: its customers are customer_segments' rows, its
-- revenue is the net amount of all cleaned transactions, shares sum to 1.
-- Shares are doubles: their sum may miss 1 by rounding error, far below this.
{% set tolerance = 0.000001 %}
with

segment_summary as (
    select * from {{ ref('segment_summary') }}
),

customer_segments as (
    select * from {{ ref('customer_segments') }}
),

transactions as (
    select * from {{ ref('stg_raw__transactions') }}
),

summary_totals as (
    select
        sum(customers) as customers,
        sum(revenue) as revenue,
        sum(customer_share) as customer_share,
        sum(revenue_share) as revenue_share
    from segment_summary
),

expected_totals as (
    select
        (select count(*) from customer_segments) as customers,
        (select coalesce(sum(amount), 0) from transactions) as revenue
),

final as (
    select
        summary_totals.customers as summary_customers,
        expected_totals.customers as expected_customers,
        summary_totals.revenue as summary_revenue,
        expected_totals.revenue as expected_revenue,
        summary_totals.customer_share,
        summary_totals.revenue_share
    from summary_totals
    cross join expected_totals
    where
        coalesce(summary_totals.customers, 0) != expected_totals.customers
        or coalesce(summary_totals.revenue, 0) != expected_totals.revenue
        or abs(summary_totals.customer_share - 1) > {{ tolerance }}
        or abs(summary_totals.revenue_share - 1) > {{ tolerance }}
)

select * from final
