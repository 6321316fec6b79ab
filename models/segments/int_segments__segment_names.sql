with

cluster_names as (
    select * from {{ ref('int_segments__cluster_names') }}
),

segment_keys as (
    select * from {{ ref('int_segments__segment_keys') }}
),

segment_builds as (
    select * from {{ ref('stg_history__segment_builds') }}
),

published_builds as (
    select * from {{ ref('stg_history__published_builds') }}
),

-- The segments of the last recorded build.
previous_segments as (
    select segment_builds.*
    from segment_builds
    inner join published_builds
        on segment_builds.recorded_at = published_builds.recorded_at
    where published_builds.is_latest
),

rule_matches as (
    select * from {{ ref('int_segments__rule_matches') }}
),

cluster_descriptors as (
    select * from {{ ref('int_segments__cluster_descriptors') }}
),

cluster_descriptions as (
    select * from {{ ref('int_segments__cluster_descriptions') }}
),

segment_actions as (
    select * from {{ ref('segment_actions') }}
),

-- A segment that kept its key may keep its name; only an unqualified rule or descriptive
-- name can be checked against the profile (a qualifier compared it with another segment).
candidates as (
    select
        segment_keys.cluster_id,
        previous_segments.segment_name,
        previous_segments.naming_basis,
        previous_segments.matched_rule_priority,
        previous_segments.name_descriptors
    from segment_keys
    inner join previous_segments
        on segment_keys.segment_key = previous_segments.segment_key
    where
        segment_keys.key_status = 'survived'
        and previous_segments.segment_name = previous_segments.base_segment_name
        and previous_segments.naming_basis in ('rule', 'descriptive')
),

-- A rule name holds while its rule's conditions all hold on the new profile.
rule_supported as (
    select candidates.cluster_id
    from candidates
    inner join rule_matches
        on
            candidates.cluster_id = rule_matches.cluster_id
            and candidates.matched_rule_priority = rule_matches.priority
            and candidates.segment_name = rule_matches.segment_name
    where candidates.naming_basis = 'rule'
),

-- A descriptive name holds while each of its descriptors holds and its noun (buyers,
-- borrowers, customers) is still what the segment's customers are.
named_descriptors as (
    select
        cluster_id,
        unnest(name_descriptors) as descriptor,
        generate_subscripts(name_descriptors, 1) as descriptor_position
    from candidates
    where naming_basis = 'descriptive'
),

descriptive_supported as (
    select named_descriptors.cluster_id
    from named_descriptors
    left join cluster_descriptors
        on
            named_descriptors.cluster_id = cluster_descriptors.cluster_id
            and named_descriptors.descriptor = cluster_descriptors.descriptor
    inner join candidates
        on named_descriptors.cluster_id = candidates.cluster_id
    inner join cluster_descriptions
        on named_descriptors.cluster_id = cluster_descriptions.cluster_id
    group by named_descriptors.cluster_id
    having
        bool_and(cluster_descriptors.descriptor is not null)
        and contains(
            ' ' || lower(any_value(candidates.segment_name)) || ' ',
            ' ' || any_value(cluster_descriptions.noun) || ' '
        )
),

-- The action of a kept descriptive name is that of its strongest descriptor, as when
-- it was first given.
descriptive_actions as (
    select
        named_descriptors.cluster_id,
        cluster_descriptors.marketing_action
    from named_descriptors
    inner join cluster_descriptors
        on
            named_descriptors.cluster_id = cluster_descriptors.cluster_id
            and named_descriptors.descriptor = cluster_descriptors.descriptor
    where named_descriptors.descriptor_position = 1
),

supported as (
    select
        candidates.*,
        coalesce(descriptive_actions.marketing_action, segment_actions.marketing_action)
            as marketing_action
    from candidates
    left join descriptive_actions
        on candidates.cluster_id = descriptive_actions.cluster_id
    left join segment_actions
        on candidates.segment_name = segment_actions.segment_name
    where
        candidates.cluster_id in (select rule_supported.cluster_id from rule_supported)
        or candidates.cluster_id in (
            select descriptive_supported.cluster_id from descriptive_supported
        )
),

-- Never two segments with one name: a kept name another cluster's new name already
-- takes is given up for the new one (new names are unique among themselves, kept ones
-- too, as they were in the last build).
kept as (
    select supported.*
    from supported
    where not exists (
        select 1
        from cluster_names
        where
            cluster_names.segment_name = supported.segment_name
            and cluster_names.cluster_id != supported.cluster_id
    )
),

final as (
    select
        cluster_names.cluster_id,
        segment_keys.segment_key,
        segment_keys.key_status,
        cluster_names.cluster_customers,
        coalesce(kept.segment_name, cluster_names.base_segment_name) as base_segment_name,
        coalesce(kept.segment_name, cluster_names.segment_name) as segment_name,
        coalesce(kept.naming_basis, cluster_names.naming_basis) as naming_basis,
        case
            when kept.cluster_id is not null then kept.matched_rule_priority
            else cluster_names.matched_rule_priority
        end as matched_rule_priority,
        case
            when kept.cluster_id is not null then kept.name_descriptors
            else cluster_names.name_descriptors
        end as name_descriptors,
        coalesce(kept.marketing_action, cluster_names.marketing_action) as marketing_action,
        kept.cluster_id is not null as is_name_kept
    from cluster_names
    inner join segment_keys
        on cluster_names.cluster_id = segment_keys.cluster_id
    left join kept
        on cluster_names.cluster_id = kept.cluster_id
)

select * from final
