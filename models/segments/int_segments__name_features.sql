-- The features each cluster's plain name already speaks of: a bracketed qualifier never
-- speaks of them again, so a name cannot say "younger" and "older" at once.
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

descriptor_features as (
    select
        cluster_id,
        feature as feature_name
    from cluster_descriptors
    where is_in_name
),

rule_features as (
    select
        plain_names.cluster_id,
        segment_rules.feature as feature_name
    from plain_names
    inner join segment_rules
        on plain_names.matched_rule_priority = segment_rules.priority
),

-- What noise strays on may name it ("Outliers: unusual credit limit").
unusual_features as (
    select
        cluster_id,
        unnest(unusual_features) as feature_name
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
