{% set noise_cluster_id = var('segment_noise_cluster_id') -%}

with

cluster_profiles as (
    select * from {{ ref('int_segments__cluster_profiles') }}
),

segment_rules as (
    select * from {{ ref('segment_rules') }}
),

clusters as (
    select distinct cluster_id
    from cluster_profiles
    -- Noise is no dense group: no rule describes it.
    where cluster_id != {{ noise_cluster_id }}
),

-- Every condition of every rule against every cluster: a condition on a feature the
-- cluster has no profile row for does not hold, rather than vanishing from the rule.
rule_conditions as (
    select
        clusters.cluster_id,
        segment_rules.priority,
        segment_rules.segment_name,
        {{ seed_condition_holds(
            'cluster_profiles.z_score', 'segment_rules.operator', 'segment_rules.threshold'
        ) }} as condition_holds
    from clusters
    cross join segment_rules
    left join cluster_profiles
        on
            clusters.cluster_id = cluster_profiles.cluster_id
            and segment_rules.feature = cluster_profiles.feature_name
),

matched_rules as (
    select
        cluster_id,
        priority,
        min(segment_name) as segment_name
    from rule_conditions
    group by cluster_id, priority
    having bool_and(coalesce(condition_holds, false))
),

final as (
    select
        cluster_id,
        priority,
        segment_name,
        row_number() over (partition by cluster_id order by priority) = 1 as is_first_match
    from matched_rules
)

select * from final
