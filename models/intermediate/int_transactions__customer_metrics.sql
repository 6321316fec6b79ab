-- Purchase behaviour per customer (customers with at least one transaction).
with

transactions as (
    select * from {{ ref('stg_raw__transactions') }}
),

as_of as (
    select * from {{ ref('stg_raw__as_of_date') }}
),

purchases as (
    select
        transactions.*,
        as_of.as_of_date
        - interval '{{ var("engagement_window_months") }} months' as engagement_start_date
    from transactions
    cross join as_of
    where not transactions.is_refund
),

category_counts as (
    select
        customer_id,
        product_category,
        count(*) as purchases_in_category
    from purchases
    group by customer_id, product_category
),

top_categories as (
    -- Ties go to the alphabetically first category so reruns agree.
    select
        customer_id,
        product_category as top_category
    from category_counts
    qualify row_number() over (
        partition by customer_id
        order by purchases_in_category desc, product_category asc
    ) = 1
),

purchase_metrics as (
    select
        customer_id,
        min(transaction_date) as first_purchase_date,
        max(transaction_date) as last_purchase_date,
        count(*) as frequency,
        count(distinct transaction_date) as purchase_days,
        sum(amount) as gross_purchase_amount,
        count(distinct product_category) filter (
            where product_category not in ('unknown', 'other')
        ) as category_breadth,
        count(*) filter (where channel = 'online') as online_purchases,
        count(*) filter (where channel = 'store') as store_purchases,
        count(*) filter (where channel = 'mobile') as mobile_purchases,
        count(distinct date_trunc('month', transaction_date)) filter (
            where transaction_date > engagement_start_date
        ) as active_months_12m
    from purchases
    group by customer_id
),

all_metrics as (
    select
        customer_id,
        count(*) as transaction_count,
        count(*) filter (where is_refund) as refund_count,
        sum(amount) as monetary
    from transactions
    group by customer_id
),

final as (
    select
        all_metrics.customer_id,
        purchase_metrics.first_purchase_date,
        purchase_metrics.last_purchase_date,
        coalesce(purchase_metrics.frequency, 0) as frequency,
        coalesce(purchase_metrics.purchase_days, 0) as purchase_days,
        all_metrics.monetary,
        purchase_metrics.gross_purchase_amount / purchase_metrics.frequency as avg_order_value,
        all_metrics.refund_count / all_metrics.transaction_count as refund_rate,
        case
            when purchase_metrics.purchase_days >= 2
                then
                    date_diff(
                        'day',
                        purchase_metrics.first_purchase_date,
                        purchase_metrics.last_purchase_date
                    ) / (purchase_metrics.purchase_days - 1)
        end as purchase_cadence_days,
        coalesce(purchase_metrics.category_breadth, 0) as category_breadth,
        purchase_metrics.online_purchases / purchase_metrics.frequency as online_share,
        purchase_metrics.store_purchases / purchase_metrics.frequency as store_share,
        purchase_metrics.mobile_purchases / purchase_metrics.frequency as mobile_share,
        top_categories.top_category,
        coalesce(purchase_metrics.active_months_12m, 0) as active_months_12m
    from all_metrics
    left join purchase_metrics on all_metrics.customer_id = purchase_metrics.customer_id
    left join top_categories on all_metrics.customer_id = top_categories.customer_id
)

select * from final
