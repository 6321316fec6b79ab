-- Every customer in customer_features is in customer_clusters exactly once, and no one else is.
with

features as (
    select * from {{ ref('customer_features') }}
),

clusters as (
    select * from {{ ref('customer_clusters') }}
),

cluster_counts as (
    select
        customer_id,
        count(*) as rows_per_customer
    from clusters
    group by customer_id
),

final as (
    select
        coalesce(features.customer_id, cluster_counts.customer_id) as customer_id,
        coalesce(cluster_counts.rows_per_customer, 0) as rows_per_customer,
        features.customer_id is not null as in_features
    from features
    full outer join cluster_counts on features.customer_id = cluster_counts.customer_id
    where
        features.customer_id is null
        or cluster_counts.customer_id is null
        or cluster_counts.rows_per_customer <> 1
)

select * from final
