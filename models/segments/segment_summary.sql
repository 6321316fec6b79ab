with

customer_segments as (
    select * from {{ ref('customer_segments') }}
),

transactions as (
    select * from {{ ref('stg_raw__transactions') }}
),

cluster_names as (
    select * from {{ ref('int_segments__cluster_names') }}
),

cluster_diagnostics as (
    select * from {{ ref('int_segments__cluster_diagnostics') }}
),

segment_transactions as (
    select
        customer_segments.segment_name,
        transactions.product_category,
        transactions.amount,
        transactions.is_refund
    from transactions
    inner join customer_segments
        on transactions.customer_id = customer_segments.customer_id
),

segment_sales as (
    select
        segment_name,
        sum(amount) as revenue,
        sum(amount) filter (where not is_refund) as gross_sales,
        count(*) filter (where not is_refund) as orders
    from segment_transactions
    group by segment_name
),

top_categories as (
    select
        segment_name,
        product_category as top_product_category
    from segment_transactions
    group by segment_name, product_category
    -- Ties go to the alphabetically first category, so reruns agree.
    qualify row_number() over (
        partition by segment_name order by sum(amount) desc, product_category asc
    ) = 1
),

segment_customers as (
    select
        segment_name,
        min(base_segment_name) as base_segment_name,
        min(cluster_id) as cluster_id,
        count(*) as customers,
        median(recency_days) as median_recency_days,
        avg(frequency) as avg_frequency,
        -- Rounded: a sum of doubles varies in its last bits with thread order.
        round(avg(credit_utilisation), {{ var('segment_stat_decimals') }})
            as avg_credit_utilisation,
        avg(missed_payments_12m) as avg_missed_payments_12m
    from customer_segments
    group by segment_name
),

final as (
    select
        cast(segment_customers.segment_name as varchar) as segment_name,
        cast(segment_customers.base_segment_name as varchar) as base_segment_name,
        cast(segment_customers.cluster_id as integer) as cluster_id,
        cast(segment_customers.customers as bigint) as customers,
        cast(
            segment_customers.customers / sum(segment_customers.customers) over () as double
        ) as customer_share,
        cast(coalesce(segment_sales.revenue, 0) as decimal(18, 2)) as revenue,
        cast(
            coalesce(segment_sales.revenue, 0)
            / nullif(sum(coalesce(segment_sales.revenue, 0)) over (), 0) as double
        ) as revenue_share,
        cast(segment_sales.gross_sales / nullif(segment_sales.orders, 0) as double)
            as avg_order_value,
        cast(segment_customers.median_recency_days as double) as median_recency_days,
        cast(segment_customers.avg_frequency as double) as avg_frequency,
        cast(segment_customers.avg_credit_utilisation as double) as avg_credit_utilisation,
        cast(segment_customers.avg_missed_payments_12m as double) as avg_missed_payments_12m,
        cast(top_categories.top_product_category as varchar) as top_product_category,
        cast(cluster_names.naming_basis as varchar) as naming_basis,
        cast(cluster_names.marketing_action as varchar) as marketing_action,
        cast(cluster_diagnostics.segment_origin as varchar) as segment_origin,
        cast(cluster_diagnostics.stability as double) as stability,
        cast(cluster_diagnostics.is_stable as boolean) as is_stable
    from segment_customers
    left join segment_sales
        on segment_customers.segment_name = segment_sales.segment_name
    left join top_categories
        on segment_customers.segment_name = top_categories.segment_name
    left join cluster_names
        on segment_customers.cluster_id = cluster_names.cluster_id
    left join cluster_diagnostics
        on segment_customers.cluster_id = cluster_diagnostics.cluster_id
)

select * from final
order by customers desc, segment_name asc
