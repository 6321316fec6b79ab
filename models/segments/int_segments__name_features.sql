-- The features each cluster's plain name already speaks of, and the direction it claims
-- (1 higher, -1 lower, 0 none, such as what noise strays on): a bracketed qualifier never
-- contradicts them, so a name cannot say "younger" and "older" at once.
with

plain_names as (
    select * from {{ ref('int_segments__plain_names') }}
),

cluster_descriptors as (
    select * from {{ ref('int_segments__cluster_descriptors') }}
),

cluster_diagnostics as (
    select * from {{ ref('int_segments__cluster_diagnostics') }}
),

segment_rules as (
    select * from {{ ref('segment_rules') }}
),

segment_descriptors as (
    select * from {{ ref('segment_descriptors') }}
),

descriptor_features as (
    select
        cluster_descriptors.cluster_id,
        cluster_descriptors.feature as feature_name,
        {{ claimed_direction('segment_descriptors.z_operator', 'segment_descriptors.z_threshold') }}
            as direction
    from cluster_descriptors
    inner join segment_descriptors
        on cluster_descriptors.descriptor = segment_descriptors.descriptor
    where cluster_descriptors.is_in_name
),

rule_features as (
    select
        plain_names.cluster_id,
        segment_rules.feature as feature_name,
        {{ claimed_direction('segment_rules.operator', 'segment_rules.threshold') }} as direction
    from plain_names
    inner join segment_rules
        on plain_names.matched_rule_priority = segment_rules.priority
),

-- What noise strays on may name it ("Outliers: unusual credit limit").
unusual_features as (
    select
        cluster_id,
        unnest(unusual_features) as feature_name,
        0 as direction
    from cluster_diagnostics
),

final as (
    select * from descriptor_features
    union
    select * from rule_features
    union
    select * from unusual_features
)

select * from final
