-- One name and one marketing action per cluster, each true of its profile.
--
-- 1. Rules first: seed segment_rules, as the analyst ordered them. A rule is
-- every seed row sharing a priority; its conditions are ANDed and compare
-- a feature's z-score in int_segments__cluster_profiles with a threshold;
-- a condition on a feature the cluster has no z-score for does not hold.
-- The lowest priority that holds names the cluster; its action comes from
-- seed segment_actions.
-- 2. No rule: a descriptive name from the descriptors that hold on the
-- profile (int_segments__cluster_descriptors), strongest first, in
-- reading order around a noun that says what the customers are: buyers
-- (purchases, no credit file), borrowers (a credit file, no purchases)
-- or customers. "Lapsed one-time buyers", "Affluent borrowers with no
-- missed payments". The action is the strongest descriptor's.
-- 3. Nothing stands out (no descriptor holds): "Typical <noun>", which is
-- true: the cluster sits near the average on every feature.
-- DBSCAN noise is never named by a rule (it is no dense group), but it is
-- profiled like any cluster: var segment_noise_name followed by what
-- describes it ("Outliers: frequent high-value buyers"), with the action of
-- its strongest descriptor, so a small group holding much of the revenue is
-- treated as the best customers it is, not as a data problem. Noise no
-- descriptor fits is named by the features it strays furthest on
-- ("Outliers: unusual credit limit and credit balance").
--
-- Clusters that earn the same name keep it apart: the largest (ties: lower
-- cluster_id) keeps the plain name, every other gets, in brackets, how it
-- differs most from that one (the feature with the largest z-score gap,
-- phrased by seed feature_labels: "bigger baskets"); where two of them
-- differ from it in the same way, the smaller also says how it differs
-- from the larger (macro segment_difference_phrases). Should two still
-- collide, a number follows.
{% set noise_cluster_id = var('segment_noise_cluster_id') -%}

with

cluster_profiles as (
    select * from {{ ref('int_segments__cluster_profiles') }}
),

cluster_descriptors as (
    select * from {{ ref('int_segments__cluster_descriptors') }}
),

segment_rules as (
    select * from {{ ref('segment_rules') }}
),

segment_actions as (
    select * from {{ ref('segment_actions') }}
),

feature_labels as (
    select * from {{ ref('feature_labels') }}
),

cluster_diagnostics as (
    select * from {{ ref('int_segments__cluster_diagnostics') }}
),

unusual_features as (
    select
        cluster_id,
        unnest(unusual_features) as feature_name,
        generate_subscripts(unusual_features, 1) as feature_position
    from cluster_diagnostics
),

-- Noise no descriptor fits is described by how widely it strays: "unusual credit limit".
unusual_phrases as (
    select
        unusual_features.cluster_id,
        'unusual ' || string_agg(
            feature_labels.label, ' and ' order by unusual_features.feature_position
        ) as unusual_phrase
    from unusual_features
    inner join feature_labels
        on unusual_features.feature_name = feature_labels.feature_name
    group by unusual_features.cluster_id
),

clusters as (
    select
        cluster_id,
        any_value(cluster_customers) as cluster_customers,
        -- What the customers are, for the noun of a descriptive name.
        coalesce(max(feature_median) filter (where feature_name = 'frequency'), 0) >= 1
            as buys,
        coalesce(
            max(customers_with_value) filter (
                where feature_name in ('credit_utilisation', 'credit_score', 'credit_limit')
            ),
            0
        ) >= 0.5 * any_value(cluster_customers) as borrows
    from cluster_profiles
    group by cluster_id
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
    where clusters.cluster_id != {{ noise_cluster_id }}
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

name_words as (
    select
        cluster_id,
        string_agg(descriptor, ' ' order by word_order, descriptor)
        filter (where placement = 'before') as words_before,
        string_agg(descriptor, ' and ' order by word_order, descriptor)
        filter (where placement = 'after') as words_after,
        list(descriptor order by descriptor_rank) as name_descriptors,
        arg_min(marketing_action, descriptor_rank) as descriptor_action
    from cluster_descriptors
    where is_in_name
    group by cluster_id
),

described as (
    select
        clusters.cluster_id,
        clusters.cluster_customers,
        first_matches.priority as matched_rule_priority,
        first_matches.segment_name as rule_name,
        name_words.name_descriptors,
        name_words.descriptor_action,
        case
            when clusters.buys and not clusters.borrows then 'buyers'
            when clusters.borrows and not clusters.buys then 'borrowers'
            else 'customers'
        end as noun,
        name_words.words_before,
        name_words.words_after,
        unusual_phrases.unusual_phrase
    from clusters
    left join first_matches
        on clusters.cluster_id = first_matches.cluster_id
    left join name_words
        on clusters.cluster_id = name_words.cluster_id
    left join unusual_phrases
        on clusters.cluster_id = unusual_phrases.cluster_id
),

phrased as (
    select
        *,
        concat_ws(' ', words_before, noun, words_after) as description
    from described
),

base_names as (
    select
        phrased.cluster_id,
        phrased.cluster_customers,
        phrased.matched_rule_priority,
        phrased.name_descriptors,
        case
            when phrased.cluster_id = {{ noise_cluster_id }} then 'noise'
            when phrased.rule_name is not null then 'rule'
            when phrased.name_descriptors is not null then 'descriptive'
            else 'typical'
        end as naming_basis,
        case
            when phrased.cluster_id = {{ noise_cluster_id }}
                then '{{ var("segment_noise_name") }}'
            when phrased.rule_name is not null then phrased.rule_name
            when phrased.name_descriptors is not null
                then upper(left(phrased.description, 1)) || substr(phrased.description, 2)
            else 'Typical ' || phrased.noun
        end as base_segment_name,
        -- Noise keeps its base name and adds what describes it.
        case
            when phrased.cluster_id != {{ noise_cluster_id }} then null
            when phrased.name_descriptors is not null then phrased.description
            else phrased.unusual_phrase
        end as noise_description,
        phrased.descriptor_action
    from phrased
),

with_actions as (
    select
        base_names.*,
        base_names.base_segment_name || coalesce(': ' || base_names.noise_description, '')
            as plain_name,
        coalesce(
            case when base_names.naming_basis != 'rule' then base_names.descriptor_action end,
            segment_actions.marketing_action
        ) as marketing_action
    from base_names
    left join segment_actions
        on base_names.base_segment_name = segment_actions.segment_name
),

name_groups as (
    select
        *,
        row_number() over (
            partition by plain_name
            order by cluster_customers desc, cluster_id asc
        ) as name_rank,
        first_value(cluster_id) over (
            partition by plain_name
            order by cluster_customers desc, cluster_id asc
        ) as first_cluster_id
    from with_actions
),

-- How each named-alike cluster differs most from the largest one of its name.
differences as (
    {{ segment_difference_phrases('name_groups', 'first_cluster_id', 'name_rank > 1') }}
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
        row_number() over (
            partition by once_qualified_name
            order by cluster_customers desc, cluster_id asc
        ) as qualified_rank,
        first_value(cluster_id) over (
            partition by once_qualified_name
            order by cluster_customers desc, cluster_id asc
        ) as first_qualified_cluster_id
    from qualified
),

-- Two clusters that differ from their leader in the same way: the smaller also says
-- how it differs from the larger.
second_differences as (
    {{ segment_difference_phrases(
        'qualified_groups', 'first_qualified_cluster_id', 'qualified_rank > 1',
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

collisions as (
    select
        *,
        row_number() over (
            partition by qualified_name
            order by cluster_customers desc, cluster_id asc
        ) as collision_rank
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
