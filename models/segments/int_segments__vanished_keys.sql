with

previous_members as (
    select * from {{ ref('int_segments__previous_members') }}
),

cluster_overlaps as (
    select * from {{ ref('int_segments__cluster_overlaps') }}
),

segment_keys as (
    select * from {{ ref('int_segments__segment_keys') }}
),

previous_keys as (
    select distinct segment_key
    from previous_members
    where segment_key != {{ outlier_segment_key() }}
),

-- The new cluster that holds the largest part of each previous segment's customers.
largest_parts as (
    select
        previous_segment_key,
        cluster_id,
        overlap_share
    from cluster_overlaps
    qualify row_number() over (
        partition by previous_segment_key order by overlap_customers desc, cluster_id asc
    ) = 1
),

final as (
    select
        cast(previous_keys.segment_key as varchar) as segment_key,
        cast(
            case
                when largest_parts.overlap_share >= {{ var('segment_key_min_overlap') }}
                    then 'absorbed'
                else 'disappeared'
            end as varchar
        ) as key_status,
        cast(
            case
                when largest_parts.overlap_share >= {{ var('segment_key_min_overlap') }}
                    then absorbing.segment_key
            end as varchar
        ) as absorbed_into_segment_key,
        cast(largest_parts.overlap_share as double) as largest_part_share
    from previous_keys
    left join largest_parts
        on previous_keys.segment_key = largest_parts.previous_segment_key
    left join segment_keys as absorbing
        on largest_parts.cluster_id = absorbing.cluster_id
    where previous_keys.segment_key not in (
        select kept.segment_key from segment_keys as kept
    )
)

select * from final
