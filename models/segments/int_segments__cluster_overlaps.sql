{% set noise_cluster_id = var('segment_noise_cluster_id') -%}

with

customer_clusters as (
    select * from {{ ref('customer_clusters') }}
),

-- The build before this one; its outliers are no segment to match.
previous_members as (
    select
        customer_id,
        segment_key
    from {{ ref('int_segments__previous_members') }}
    where segment_key != {{ outlier_segment_key() }}
),

clustered_previous_members as (
    select
        previous_members.segment_key,
        customer_clusters.cluster_id
    from previous_members
    inner join customer_clusters
        on previous_members.customer_id = customer_clusters.customer_id
),

-- Of each previous segment, its customers this build still has, wherever they are now.
previous_sizes as (
    select
        segment_key,
        count(*) as previous_customers
    from clustered_previous_members
    group by segment_key
),

cluster_sizes as (
    select
        cluster_id,
        count(*) as cluster_customers
    from customer_clusters
    where cluster_id != {{ noise_cluster_id }}
    group by cluster_id
),

pair_overlaps as (
    select
        cluster_id,
        segment_key as previous_segment_key,
        count(*) as overlap_customers
    from clustered_previous_members
    where cluster_id != {{ noise_cluster_id }}
    group by cluster_id, segment_key
),

final as (
    select
        pair_overlaps.cluster_id,
        pair_overlaps.previous_segment_key,
        pair_overlaps.overlap_customers,
        cluster_sizes.cluster_customers,
        previous_sizes.previous_customers,
        pair_overlaps.overlap_customers / previous_sizes.previous_customers as overlap_share,
        -- Rounded, so the matching compares the same figures on every rerun.
        round(
            pair_overlaps.overlap_customers / (
                cluster_sizes.cluster_customers
                + previous_sizes.previous_customers
                - pair_overlaps.overlap_customers
            ),
            {{ var('segment_stat_decimals') }}
        ) as jaccard,
        pair_overlaps.overlap_customers / previous_sizes.previous_customers
        >= {{ var('segment_key_min_overlap') }} as is_eligible
    from pair_overlaps
    inner join cluster_sizes
        on pair_overlaps.cluster_id = cluster_sizes.cluster_id
    inner join previous_sizes
        on pair_overlaps.previous_segment_key = previous_sizes.segment_key
)

select * from final
