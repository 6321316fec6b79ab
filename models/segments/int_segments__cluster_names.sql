with

plain_names as (
    select * from {{ ref('int_segments__plain_names') }}
),

-- This and feature_labels are read by macro segment_difference_phrases.
cluster_profiles as (
    select * from {{ ref('int_segments__cluster_profiles') }}
),

feature_labels as (
    select * from {{ ref('feature_labels') }}
),

name_groups as (
    select
        *,
        {{ same_name_rank('plain_name', 'name_rank', 'leader_cluster_id') }}
    from plain_names
),

-- How each named-alike cluster differs most from the largest one of its name.
differences as (
    {{ segment_difference_phrases('name_groups', 'leader_cluster_id', 'name_rank > 1') }}
),

qualified as (
    select
        name_groups.*,
        differences.difference_feature,
        name_groups.plain_name || case
            when differences.difference_phrase is not null
                then ' (' || differences.difference_phrase || ')'
            else ''
        end as once_qualified_name
    from name_groups
    left join differences
        on name_groups.cluster_id = differences.cluster_id
),

qualified_groups as (
    select
        *,
        {{ same_name_rank(
            'once_qualified_name', 'qualified_rank', 'qualified_leader_cluster_id'
        ) }}
    from qualified
),

-- Two clusters that differ from their leader in the same way: the smaller also says
-- how it differs from the larger.
second_differences as (
    {{ segment_difference_phrases(
        'qualified_groups', 'qualified_leader_cluster_id', 'qualified_rank > 1',
        skip_feature='qualified_groups.difference_feature'
    ) }}
),

twice_qualified as (
    select
        qualified_groups.*,
        case
            when second_differences.difference_phrase is null
                then qualified_groups.once_qualified_name
            when qualified_groups.once_qualified_name = qualified_groups.plain_name
                then
                    qualified_groups.plain_name
                    || ' (' || second_differences.difference_phrase || ')'
            else
                rtrim(qualified_groups.once_qualified_name, ')')
                || ', ' || second_differences.difference_phrase || ')'
        end as qualified_name
    from qualified_groups
    left join second_differences
        on qualified_groups.cluster_id = second_differences.cluster_id
),

-- Should two clusters still share a name, a number follows.
collisions as (
    select
        *,
        {{ same_name_rank('qualified_name', 'collision_rank') }}
    from twice_qualified
),

final as (
    select
        cluster_id,
        cluster_customers,
        base_segment_name,
        qualified_name || case
            when collision_rank > 1 then ' ' || collision_rank
            else ''
        end as segment_name,
        naming_basis,
        matched_rule_priority,
        name_descriptors,
        marketing_action
    from collisions
)

select * from final
