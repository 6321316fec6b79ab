-- Cluster ids are -1 (noise) or 0..n-1 with no gap, numbered by size descending,
-- noise is exactly the rows whose assignment_method is noise, and the number of
-- clusters matches clustering_diagnostics.
with

clusters as (
    select * from {{ ref('customer_clusters') }}
),

diagnostics as (
    select * from {{ ref('clustering_diagnostics') }}
),

cluster_sizes as (
    select
        cluster_id,
        count(*) as members,
        row_number() over (order by count(*) desc, min(customer_id) asc) - 1 as expected_id
    from clusters
    where cluster_id <> -1
    group by cluster_id
),

misnumbered as (
    select 'cluster ' || cluster_id || ' should be ' || expected_id as problem
    from cluster_sizes
    where cluster_id <> expected_id
),

noise_mismatch as (
    select 'customer ' || customer_id || ' noise flag and method disagree' as problem
    from clusters
    where (cluster_id = -1) <> (assignment_method = 'noise')
),

count_mismatch as (
    select 'diagnostics report ' || diagnostics.clusters || ' clusters' as problem
    from diagnostics
    where diagnostics.clusters <> (select count(*) from cluster_sizes)
),

final as (
    select * from misnumbered
    union all
    select * from noise_mismatch
    union all
    select * from count_mismatch
)

select * from final
