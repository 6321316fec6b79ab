{% set noise_cluster_id = var('segment_noise_cluster_id') -%}

with

cluster_descriptions as (
    select * from {{ ref('int_segments__cluster_descriptions') }}
),

rule_matches as (
    select * from {{ ref('int_segments__rule_matches') }}
),

segment_actions as (
    select * from {{ ref('segment_actions') }}
),

base_names as (
    select
        cluster_descriptions.cluster_id,
        cluster_descriptions.cluster_customers,
        rule_matches.priority as matched_rule_priority,
        cluster_descriptions.name_descriptors,
        case
            when cluster_descriptions.cluster_id = {{ noise_cluster_id }} then 'noise'
            when rule_matches.segment_name is not null then 'rule'
            when cluster_descriptions.description is not null then 'descriptive'
            else 'typical'
        end as naming_basis,
        case
            when cluster_descriptions.cluster_id = {{ noise_cluster_id }}
                then '{{ var("segment_noise_name") }}'
            when rule_matches.segment_name is not null then rule_matches.segment_name
            when cluster_descriptions.description is not null
                then
                    upper(left(cluster_descriptions.description, 1))
                    || substr(cluster_descriptions.description, 2)
            else 'Typical ' || cluster_descriptions.noun
        end as base_segment_name,
        -- Noise keeps its base name and adds what describes it.
        case
            when cluster_descriptions.cluster_id != {{ noise_cluster_id }} then null
            when cluster_descriptions.description is not null
                then cluster_descriptions.description
            else cluster_descriptions.unusual_phrase
        end as noise_description,
        cluster_descriptions.descriptor_action
    from cluster_descriptions
    left join rule_matches
        on
            cluster_descriptions.cluster_id = rule_matches.cluster_id
            and rule_matches.is_first_match
),

final as (
    select
        base_names.cluster_id,
        base_names.cluster_customers,
        base_names.base_segment_name,
        base_names.base_segment_name || coalesce(': ' || base_names.noise_description, '')
            as plain_name,
        base_names.naming_basis,
        base_names.matched_rule_priority,
        base_names.name_descriptors,
        -- A rule's action is the seed's; any other name's follows its strongest descriptor.
        coalesce(
            case when base_names.naming_basis != 'rule' then base_names.descriptor_action end,
            segment_actions.marketing_action
        ) as marketing_action
    from base_names
    left join segment_actions
        on base_names.base_segment_name = segment_actions.segment_name
)

select * from final
