with

plain_names as (
    select * from {{ ref('int_segments__plain_names') }}
),

-- This, feature_labels and name_features are read by macro segment_difference_phrases.
cluster_profiles as (
    select * from {{ ref('int_segments__cluster_profiles') }}
),

feature_labels as (
    select * from {{ ref('feature_labels') }}
),

name_features as (
    select * from {{ ref('int_segments__name_features') }}
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
        {{ qualified_with('name_groups.plain_name', 'name_groups.plain_name',
            'differences.difference_phrase') }} as once_qualified_name
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
        skip_features='[qualified_groups.difference_feature]'
    ) }}
),

twice_qualified as (
    select
        qualified_groups.*,
        second_differences.difference_feature as second_feature,
        {{ qualified_with('qualified_groups.once_qualified_name', 'qualified_groups.plain_name',
            'second_differences.difference_phrase') }} as twice_qualified_name
    from qualified_groups
    left join second_differences
        on qualified_groups.cluster_id = second_differences.cluster_id
),

twice_qualified_groups as (
    select
        *,
        {{ same_name_rank('twice_qualified_name', 'twice_qualified_rank') }}
    from twice_qualified
),

-- Still alike: the smaller says how it differs from the population, on a feature no
-- phrase of its name used yet.
population_differences as (
    {{ segment_difference_phrases(
        'twice_qualified_groups', none, 'twice_qualified_rank > 1',
        skip_features='[twice_qualified_groups.difference_feature, '
            ~ 'twice_qualified_groups.second_feature]'
    ) }}
),

-- Should two clusters still share a name, a number follows, and the name-truth test
-- (tests/segments/assert_segment_names_hold_on_profiles.sql) fails the build.
collisions as (
    select
        twice_qualified_groups.*,
        {{ qualified_with('twice_qualified_groups.twice_qualified_name',
            'twice_qualified_groups.plain_name', 'population_differences.difference_phrase')
        }} as qualified_name
    from twice_qualified_groups
    left join population_differences
        on twice_qualified_groups.cluster_id = population_differences.cluster_id
),

numbered as (
    select
        *,
        {{ same_name_rank('qualified_name', 'collision_rank') }}
    from collisions
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
    from numbered
)

select * from final
