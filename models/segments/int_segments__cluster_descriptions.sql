with

cluster_profiles as (
    select * from {{ ref('int_segments__cluster_profiles') }}
),

cluster_descriptors as (
    select * from {{ ref('int_segments__cluster_descriptors') }}
),

cluster_diagnostics as (
    select * from {{ ref('int_segments__cluster_diagnostics') }}
),

feature_labels as (
    select * from {{ ref('feature_labels') }}
),

-- What the customers are, for the noun of a name.
customer_kinds as (
    select
        cluster_id,
        any_value(cluster_customers) as cluster_customers,
        coalesce(max(feature_median) filter (where feature_name = 'frequency'), 0) >= 1
            as buys,
        coalesce(
            max(customers_with_value) filter (
                where feature_name in ('credit_utilisation', 'credit_score', 'credit_limit')
            ),
            0
        ) >= {{ var('segment_borrower_min_share') }} * any_value(cluster_customers) as borrows
    from cluster_profiles
    group by cluster_id
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

unusual_features as (
    select
        cluster_id,
        unnest(unusual_features) as feature_name,
        generate_subscripts(unusual_features, 1) as feature_position
    from cluster_diagnostics
),

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

nouns as (
    select
        cluster_id,
        cluster_customers,
        case
            when buys and not borrows then 'buyers'
            when borrows and not buys then 'borrowers'
            else 'customers'
        end as noun
    from customer_kinds
),

final as (
    select
        nouns.cluster_id,
        nouns.cluster_customers,
        nouns.noun,
        case
            when name_words.name_descriptors is not null
                then concat_ws(' ', name_words.words_before, nouns.noun, name_words.words_after)
        end as description,
        name_words.name_descriptors,
        name_words.descriptor_action,
        unusual_phrases.unusual_phrase
    from nouns
    left join name_words
        on nouns.cluster_id = name_words.cluster_id
    left join unusual_phrases
        on nouns.cluster_id = unusual_phrases.cluster_id
)

select * from final
