with

cluster_profiles as (
    select * from {{ ref('int_segments__cluster_profiles') }}
),

segment_descriptors as (
    select * from {{ ref('segment_descriptors') }}
),

descriptor_checks as (
    select
        cluster_profiles.cluster_id,
        segment_descriptors.descriptor,
        segment_descriptors.feature,
        segment_descriptors.placement,
        segment_descriptors.word_order,
        segment_descriptors.marketing_action,
        segment_descriptors.z_threshold,
        cluster_profiles.z_score,
        {{ seed_condition_holds(
            'cluster_profiles.z_score',
            'segment_descriptors.z_operator',
            'segment_descriptors.z_threshold'
        ) }} as z_holds,
        case segment_descriptors.statistic
            when 'feature_median' then cluster_profiles.feature_median
            when 'feature_mean' then cluster_profiles.feature_mean
        end as statistic_value,
        segment_descriptors.statistic,
        segment_descriptors.statistic_operator,
        segment_descriptors.statistic_threshold
    from segment_descriptors
    inner join cluster_profiles
        on segment_descriptors.feature = cluster_profiles.feature_name
),

held_descriptors as (
    select
        cluster_id,
        descriptor,
        feature,
        placement,
        word_order,
        marketing_action,
        z_threshold,
        abs(z_score) as strength
    from descriptor_checks
    where
        coalesce(z_holds, false)
        and (
            statistic is null
            or coalesce(
                {{ seed_condition_holds(
                    'statistic_value', 'statistic_operator', 'statistic_threshold'
                ) }},
                false
            )
        )
),

strictest_per_feature as (
    select *
    from held_descriptors
    qualify row_number() over (
        partition by cluster_id, feature
        order by abs(z_threshold) desc, descriptor asc
    ) = 1
),

ranked_descriptors as (
    select
        cluster_id,
        descriptor,
        feature,
        placement,
        word_order,
        marketing_action,
        round(strength, {{ var('segment_stat_decimals') }}) as strength,
        row_number() over (
            partition by cluster_id
            order by strength desc, word_order asc, descriptor asc
        ) as descriptor_rank
    from strictest_per_feature
),

final as (
    select
        *,
        descriptor_rank <= {{ var('segment_name_descriptors') }} as is_in_name
    from ranked_descriptors
)

select * from final
