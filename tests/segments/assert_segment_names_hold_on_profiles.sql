-- Every segment name must be true of the segment's profile, checked again from the
-- seeds and the published segment_profiles, independently of the naming SQL:
-- each descriptor in a name holds (its z-score and statistic conditions) and
-- appears in the name; each condition of the rule that named a segment holds;
-- a "Typical ..." segment has no descriptor that holds.
with

cluster_names as (
    select * from {{ ref('int_segments__segment_names') }}
),

segment_profiles as (
    select * from {{ ref('segment_profiles') }}
),

segment_descriptors as (
    select * from {{ ref('segment_descriptors') }}
),

segment_rules as (
    select * from {{ ref('segment_rules') }}
),

named_descriptors as (
    select
        cluster_id,
        segment_name,
        unnest(name_descriptors) as descriptor
    from cluster_names
    where naming_basis in ('descriptive', 'noise') and name_descriptors is not null
),

descriptor_values as (
    select
        named_descriptors.cluster_id,
        named_descriptors.segment_name,
        named_descriptors.descriptor,
        segment_descriptors.z_operator,
        segment_descriptors.z_threshold,
        segment_descriptors.statistic,
        segment_descriptors.statistic_operator,
        segment_descriptors.statistic_threshold,
        segment_profiles.z_score,
        case segment_descriptors.statistic
            when 'feature_median' then segment_profiles.feature_median
            when 'feature_mean' then segment_profiles.feature_mean
        end as statistic_value
    from named_descriptors
    left join segment_descriptors
        on named_descriptors.descriptor = segment_descriptors.descriptor
    left join segment_profiles
        on
            named_descriptors.cluster_id = segment_profiles.cluster_id
            and segment_descriptors.feature = segment_profiles.feature_name
),

descriptor_checks as (
    select
        cluster_id,
        segment_name,
        descriptor,
        contains(lower(segment_name), descriptor) as is_in_text,
        case z_operator
            when '>=' then z_score >= z_threshold
            when '<=' then z_score <= z_threshold
        end as z_holds,
        case
            when statistic is null then true
            when statistic_operator = '=' then statistic_value = statistic_threshold
            when statistic_operator = '>=' then statistic_value >= statistic_threshold
            when statistic_operator = '<=' then statistic_value <= statistic_threshold
        end as statistic_holds
    from descriptor_values
),

false_descriptors as (
    select
        cluster_id,
        segment_name,
        'descriptor "' || descriptor || '" does not hold or is not in the name' as problem
    from descriptor_checks
    where not (
        coalesce(z_holds, false) and coalesce(statistic_holds, false) and is_in_text
    )
),

rule_checks as (
    select
        cluster_names.cluster_id,
        cluster_names.segment_name,
        segment_rules.feature,
        case segment_rules.operator
            when '>=' then segment_profiles.z_score >= segment_rules.threshold
            when '>' then segment_profiles.z_score > segment_rules.threshold
            when '<=' then segment_profiles.z_score <= segment_rules.threshold
            when '<' then segment_profiles.z_score < segment_rules.threshold
        end as condition_holds
    from cluster_names
    inner join segment_rules
        on cluster_names.matched_rule_priority = segment_rules.priority
    left join segment_profiles
        on
            cluster_names.cluster_id = segment_profiles.cluster_id
            and segment_rules.feature = segment_profiles.feature_name
    where cluster_names.naming_basis = 'rule'
),

false_rules as (
    select
        cluster_id,
        segment_name,
        'rule condition on ' || feature || ' does not hold' as problem
    from rule_checks
    where not coalesce(condition_holds, false)
),

typical_with_descriptors as (
    select
        cluster_names.cluster_id,
        cluster_names.segment_name,
        'a "Typical" segment that a descriptor describes' as problem
    from cluster_names
    inner join {{ ref('int_segments__cluster_descriptors') }} as descriptors
        on cluster_names.cluster_id = descriptors.cluster_id
    where cluster_names.naming_basis = 'typical'
),

final as (
    select * from false_descriptors
    union all
    select * from false_rules
    union all
    select * from typical_with_descriptors
)

select * from final
