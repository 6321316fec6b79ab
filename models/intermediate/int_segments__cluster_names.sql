{#-
    One name per cluster, from the ordered rules in seed segment_rules.

    A rule is every seed row sharing a priority; its conditions are ANDed and
    compare a feature's z-score in int_segments__cluster_profiles with a
    threshold. The lowest priority whose conditions all hold names the
    cluster. A condition over a feature the cluster has no z-score for does
    not hold. DBSCAN noise is always var segment_noise_name; a cluster no rule
    fits gets var segment_fallback_name. Clusters that earn the same name are
    told apart by a suffix (" 2", " 3", ...): noise first, then larger
    clusters first, then the lower cluster_id, so the biggest keeps the plain
    name and the order does not depend on how the database scans rows.
-#}
{%- set noise_cluster_id = var('segment_noise_cluster_id', -1) -%}

with

cluster_profiles as (

    select * from {{ ref('int_segments__cluster_profiles') }}

),

segment_rules as (

    select * from {{ ref('segment_rules') }}

),

clusters as (

    select distinct
        cluster_id,
        cluster_customers
    from cluster_profiles

),

rule_conditions as (

    select
        clusters.cluster_id,
        segment_rules.priority,
        segment_rules.segment_name,
        case segment_rules.operator
            when '>=' then cluster_profiles.z_score >= segment_rules.threshold
            when '>' then cluster_profiles.z_score > segment_rules.threshold
            when '<=' then cluster_profiles.z_score <= segment_rules.threshold
            when '<' then cluster_profiles.z_score < segment_rules.threshold
        end as condition_holds
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

first_matches as (

    select
        cluster_id,
        priority,
        segment_name
    from matched_rules
    qualify row_number() over (partition by cluster_id order by priority) = 1

),

base_names as (

    select
        clusters.cluster_id,
        clusters.cluster_customers,
        case
            when clusters.cluster_id != {{ noise_cluster_id }} then first_matches.priority
        end as matched_rule_priority,
        case
            when clusters.cluster_id = {{ noise_cluster_id }} then 'noise'
            when first_matches.segment_name is not null then 'rule'
            else 'fallback'
        end as naming_basis,
        case
            when clusters.cluster_id = {{ noise_cluster_id }}
                then '{{ var("segment_noise_name", "Outliers") }}'
            when first_matches.segment_name is not null then first_matches.segment_name
            else '{{ var("segment_fallback_name", "Mixed Behaviour") }}'
        end as base_segment_name
    from clusters
    left join first_matches
        on clusters.cluster_id = first_matches.cluster_id

),

ranked_names as (

    select
        *,
        row_number() over (
            partition by base_segment_name
            order by
                cluster_id = {{ noise_cluster_id }} desc,
                cluster_customers desc,
                cluster_id asc
        ) as name_rank
    from base_names

),

final as (

    select
        cluster_id,
        cluster_customers,
        base_segment_name,
        base_segment_name || case
            when name_rank > 1 then ' ' || name_rank
            else ''
        end as segment_name,
        naming_basis,
        matched_rule_priority
    from ranked_names

)

select * from final
