{% set noise_cluster_id = var('segment_noise_cluster_id') -%}

with

customer_clusters as (
    select * from {{ ref('customer_clusters') }}
),

cluster_overlaps as (
    select * from {{ ref('int_segments__cluster_overlaps') }}
),

key_matches as (
    select * from {{ ref('int_segments__key_matches') }}
),

memberships as (
    select * from {{ ref('stg_history__segment_memberships') }}
),

cluster_sizes as (
    select
        cluster_id,
        count(*) as cluster_customers
    from customer_clusters
    group by cluster_id
),

-- Every key the data set ever gave, so a new segment never takes an old one's.
keys_given as (
    select coalesce(max({{ segment_key_number('segment_key') }}), 0) as last_key_number
    from memberships
),

-- An unmatched cluster holding at least var segment_key_min_overlap of a previous
-- segment's customers split from it (from the one it holds the largest share of).
split_sources as (
    select
        cluster_id,
        previous_segment_key,
        jaccard
    from cluster_overlaps
    where
        is_eligible
        and cluster_id not in (select key_matches.cluster_id from key_matches)
    qualify row_number() over (
        partition by cluster_id order by overlap_share desc, previous_segment_key asc
    ) = 1
),

-- New keys in order of first appearance: the larger cluster first, then the lower id.
new_keys as (
    select
        cluster_sizes.cluster_id,
        keys_given.last_key_number + row_number() over (
            order by cluster_sizes.cluster_customers desc, cluster_sizes.cluster_id asc
        ) as key_number
    from cluster_sizes
    cross join keys_given
    where
        cluster_sizes.cluster_id != {{ noise_cluster_id }}
        and cluster_sizes.cluster_id not in (select key_matches.cluster_id from key_matches)
),

final as (
    select
        cast(cluster_sizes.cluster_id as integer) as cluster_id,
        cast(
            case
                when cluster_sizes.cluster_id = {{ noise_cluster_id }}
                    then {{ outlier_segment_key() }}
                when key_matches.cluster_id is not null then key_matches.previous_segment_key
                else {{ segment_key_from_number('new_keys.key_number') }}
            end as varchar
        ) as segment_key,
        cast(
            case
                when cluster_sizes.cluster_id = {{ noise_cluster_id }} then 'outliers'
                when key_matches.cluster_id is not null then 'survived'
                when split_sources.cluster_id is not null then 'split'
                else 'emerged'
            end as varchar
        ) as key_status,
        cast(
            coalesce(key_matches.previous_segment_key, split_sources.previous_segment_key)
            as varchar
        ) as previous_segment_key,
        cast(coalesce(key_matches.jaccard, split_sources.jaccard) as double) as jaccard,
        cast(cluster_sizes.cluster_customers as bigint) as cluster_customers
    from cluster_sizes
    left join key_matches
        on cluster_sizes.cluster_id = key_matches.cluster_id
    left join split_sources
        on cluster_sizes.cluster_id = split_sources.cluster_id
    left join new_keys
        on cluster_sizes.cluster_id = new_keys.cluster_id
)

select * from final
