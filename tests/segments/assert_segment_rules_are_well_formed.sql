-- Seed segment_rules must say what it means: one name per priority, and every
-- feature a profiled feature (a misspelt feature would otherwise never match,
-- silently).
with

segment_rules as (
    select * from {{ ref('segment_rules') }}
),

segment_profiles as (
    select * from {{ ref('segment_profiles') }}
),

profiled_features as (
    select distinct feature_name from segment_profiles
),

ambiguous_priorities as (
    select
        priority,
        cast(null as varchar) as feature,
        'several names for one priority' as problem
    from segment_rules
    group by priority
    having count(distinct segment_name) > 1
),

unknown_features as (
    select
        segment_rules.priority,
        segment_rules.feature,
        'feature not in customer_features' as problem
    from segment_rules
    left join profiled_features
        on segment_rules.feature = profiled_features.feature_name
    where
        profiled_features.feature_name is null
        -- With no customers there are no profiles to check against.
        and exists (select 1 from segment_profiles)
),

final as (
    select * from ambiguous_priorities
    union all
    select * from unknown_features
)

select * from final
