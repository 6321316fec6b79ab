-- Every segment name must be true of the segment's profile, checked again from the
-- seeds and the published segment_profiles, independently of the naming SQL:
-- each descriptor in a name holds (its z-score and statistic conditions, on the mean
-- and the median, and materially on a feature the clustering did not use) and appears
-- in the name; each condition of the rule that named a segment holds, on the mean and
-- the median too; a "Typical ..." segment has no descriptor that holds; every word of a
-- name that claims a direction (a descriptor, or a bracketed phrase of seed
-- feature_labels) is true of the segment against all customers on its z-score, mean and
-- median, and a phrase is material (against all customers, or, as an effect size over the
-- two spreads, against a segment of the same base name); no name
-- claims both directions of one feature; no two segments share a name, with or without
-- a number after it.
{% set material_z = var('segment_material_z') -%}

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

feature_labels as (
    select * from {{ ref('feature_labels') }}
),

clustering_diagnostics as (
    select * from {{ ref('clustering_diagnostics') }}
),

-- Each cluster's own spread in z units, for the effect size between two clusters.
cluster_spreads as (
    select
        cluster_id,
        feature_name,
        relative_spread
    from {{ ref('int_segments__cluster_profiles') }}
),

clustered_features as (
    select unnest(features_used) as feature_name
    from clustering_diagnostics
),

named_descriptors as (
    select
        cluster_id,
        segment_name,
        unnest(name_descriptors) as descriptor
    from cluster_names
    where naming_basis in ('descriptive', 'noise') and name_descriptors is not null
),

descriptor_checks as (
    select
        named_descriptors.cluster_id,
        named_descriptors.segment_name,
        named_descriptors.descriptor,
        contains(lower(named_descriptors.segment_name), named_descriptors.descriptor)
            as is_in_text,
        case segment_descriptors.z_operator
            when '>=' then segment_profiles.z_score >= segment_descriptors.z_threshold
            when '<=' then segment_profiles.z_score <= segment_descriptors.z_threshold
        end as z_holds,
        case
            when segment_descriptors.statistic is null then true
            else {{ seed_condition_holds(
                "case segment_descriptors.statistic when 'feature_median' then "
                ~ "segment_profiles.feature_median else segment_profiles.feature_mean end",
                'segment_descriptors.statistic_operator',
                'segment_descriptors.statistic_threshold'
            ) }}
        end as statistic_holds,
        {{ difference_holds(
            claimed_direction('segment_descriptors.z_operator', 'segment_descriptors.z_threshold'),
            'segment_profiles.feature_mean', 'segment_profiles.population_mean',
            'segment_profiles.feature_median', 'segment_profiles.population_median'
        ) }} as holds_on_mean_and_median,
        clustered_features.feature_name is not null
        or abs(segment_profiles.z_score) >= {{ material_z }} as is_material
    from named_descriptors
    left join segment_descriptors
        on named_descriptors.descriptor = segment_descriptors.descriptor
    left join segment_profiles
        on
            named_descriptors.cluster_id = segment_profiles.cluster_id
            and segment_descriptors.feature = segment_profiles.feature_name
    left join clustered_features
        on segment_descriptors.feature = clustered_features.feature_name
),

false_descriptors as (
    select
        cluster_id,
        segment_name,
        'descriptor "' || descriptor || '" does not hold, is not material or is not in the name'
            as problem
    from descriptor_checks
    where not coalesce(
        z_holds and statistic_holds and holds_on_mean_and_median and is_material and is_in_text,
        false
    )
),

rule_checks as (
    select
        cluster_names.cluster_id,
        cluster_names.segment_name,
        segment_rules.feature,
        {{ seed_condition_holds(
            'segment_profiles.z_score', 'segment_rules.operator', 'segment_rules.threshold'
        ) }}
        and {{ difference_holds(
            claimed_direction('segment_rules.operator', 'segment_rules.threshold'),
            'segment_profiles.feature_mean', 'segment_profiles.population_mean',
            'segment_profiles.feature_median', 'segment_profiles.population_median'
        ) }} as condition_holds
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
        'rule condition on ' || feature || ' does not hold on its z-score, mean and median'
            as problem
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

-- Every word that claims a direction on a feature: descriptors, and the phrases
-- brackets use. Phrases are looked for first and taken out of the text, so "recent" is
-- not read inside "less recent".
directional_words as (
    select
        descriptor as word,
        feature as feature_name,
        {{ claimed_direction('z_operator', 'z_threshold') }} as direction,
        false as is_phrase
    from segment_descriptors
    union all
    select
        higher_phrase as word,
        feature_name,
        1 as direction,
        true as is_phrase
    from feature_labels
    union all
    select
        lower_phrase as word,
        feature_name,
        -1 as direction,
        true as is_phrase
    from feature_labels
),

phrase_pattern as (
    select string_agg(regexp_escape(word), '|' order by length(word) desc, word) as pattern
    from directional_words
    where is_phrase
),

name_texts as (
    select
        cluster_names.cluster_id,
        cluster_names.segment_name,
        cluster_names.base_segment_name,
        lower(cluster_names.segment_name) as full_text,
        regexp_replace(lower(cluster_names.segment_name), phrase_pattern.pattern, ' ', 'g')
            as descriptor_text
    from cluster_names
    cross join phrase_pattern
),

found_words as (
    select
        name_texts.cluster_id,
        name_texts.segment_name,
        name_texts.base_segment_name,
        directional_words.word,
        directional_words.feature_name,
        directional_words.direction,
        directional_words.is_phrase
    from name_texts
    inner join directional_words
        on
            directional_words.direction != 0
            and regexp_matches(
                case
                    when directional_words.is_phrase then name_texts.full_text
                    else name_texts.descriptor_text
                end,
                '(^|[^a-z-])' || regexp_escape(directional_words.word) || '([^a-z-]|$)'
            )
),

word_checks as (
    select
        found_words.*,
        sign(own.z_score) = found_words.direction
        and {{ difference_holds(
            'found_words.direction', 'own.feature_mean', 'own.population_mean',
            'own.feature_median', 'own.population_median'
        ) }} as holds,
        -- A descriptor's materiality is its seed threshold, checked above.
        not found_words.is_phrase
        or abs(own.z_score) >= {{ material_z }}
        or exists (
            select 1
            from name_texts as other_names
            inner join segment_profiles as other
                on other_names.cluster_id = other.cluster_id
            inner join cluster_spreads as other_spread
                on
                    other.cluster_id = other_spread.cluster_id
                    and other.feature_name = other_spread.feature_name
            where
                other_names.base_segment_name = found_words.base_segment_name
                and other_names.cluster_id != found_words.cluster_id
                and other.feature_name = found_words.feature_name
                and found_words.direction * (own.z_score - other.z_score)
                / coalesce(nullif(sqrt(
                    (power(own_spread.relative_spread, 2) + power(other_spread.relative_spread, 2))
                    / 2
                ), 0), 1e-9) >= {{ material_z }}
        ) as is_material
    from found_words
    left join segment_profiles as own
        on
            found_words.cluster_id = own.cluster_id
            and found_words.feature_name = own.feature_name
    left join cluster_spreads as own_spread
        on
            found_words.cluster_id = own_spread.cluster_id
            and found_words.feature_name = own_spread.feature_name
),

false_words as (
    select
        cluster_id,
        segment_name,
        '"' || word || '" is not true of the segment or not material' as problem
    from word_checks
    where not coalesce(holds and is_material, false)
),

contradictions as (
    select
        cluster_id,
        any_value(segment_name) as segment_name,
        'claims both directions of ' || feature_name as problem
    from found_words
    group by cluster_id, feature_name
    having count(distinct direction) > 1
),

shared_names as (
    select
        cluster_id,
        segment_name,
        'shares its name with another segment, a number after it or not' as problem
    from cluster_names
    qualify count(*) over (partition by regexp_replace(segment_name, ' [0-9]+$', '')) > 1
),

final as (
    select * from false_descriptors
    union all
    select * from false_rules
    union all
    select * from typical_with_descriptors
    union all
    select * from false_words
    union all
    select * from contradictions
    union all
    select * from shared_names
)

select * from final
