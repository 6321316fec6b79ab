-- A refit numbers its clusters -1 (noise) or 0..n-1 with no gap, by size descending;
-- a score build keeps the stored fit's ids, so each must be one of that fit's clusters.
-- Either way noise is exactly the rows assigned as noise (noise, scored_noise), and the
-- number of clusters matches clustering_diagnostics.
with

clusters as (
    select * from {{ ref('customer_clusters') }}
),

diagnostics as (
    select * from {{ ref('clustering_diagnostics') }}
),

fit_points as (
    select * from {{ ref('clustering_fit_points') }}
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
    where
        cluster_id <> expected_id
        and (select max(diagnostics.clustering_mode) from diagnostics) = 'refit'
),

not_in_fit as (
    select 'cluster ' || clusters.cluster_id || ' is not in fit ' || clusters.fit_id as problem
    from clusters
    where
        clusters.cluster_id <> -1
        and (select max(diagnostics.clustering_mode) from diagnostics) = 'score'
        and not exists (
            select 1 from fit_points
            where
                fit_points.fit_id = clusters.fit_id
                and fit_points.cluster_id = clusters.cluster_id
        )
),

noise_mismatch as (
    select 'customer ' || customer_id || ' noise flag and method disagree' as problem
    from clusters
    where (cluster_id = -1) <> (assignment_method in ('noise', 'scored_noise'))
),

count_mismatch as (
    select 'diagnostics report ' || diagnostics.clusters || ' clusters' as problem
    from diagnostics
    where diagnostics.clusters <> (select count(*) from cluster_sizes)
),

final as (
    select * from misnumbered
    union all
    select * from not_in_fit
    union all
    select * from noise_mismatch
    union all
    select * from count_mismatch
)

select * from final
