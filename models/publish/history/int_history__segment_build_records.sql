{%- set columns = [
    'data_set', 'recorded_at', 'as_of_date', 'segment_key', 'key_status',
    'related_segment_key', 'jaccard', 'segment_name', 'base_segment_name', 'naming_basis', 'matched_rule_priority',
    'name_descriptors', 'marketing_action', 'customers', 'customer_share', 'revenue',
    'revenue_share', 'avg_order_value', 'median_recency_days', 'avg_frequency',
    'avg_credit_utilisation', 'avg_missed_payments_12m'
] %}
-- depends_on: {{ ref('published_builds_snapshot') }}

with

build as (
    select * from {{ ref('int_history__this_build') }}
),

segment_summary as (
    select * from {{ ref('segment_summary') }}
),

segment_names as (
    select * from {{ ref('int_segments__segment_names') }}
),

segment_keys as (
    select * from {{ ref('int_segments__segment_keys') }}
),

vanished_keys as (
    select * from {{ ref('int_segments__vanished_keys') }}
),

segment_builds as (
    select * from {{ ref('stg_history__segment_builds') }}
),


present_segments as (
    select
        segment_summary.segment_key,
        segment_keys.key_status,
        segment_keys.previous_segment_key as related_segment_key,
        segment_keys.jaccard,
        segment_summary.segment_name,
        segment_summary.base_segment_name,
        segment_names.naming_basis,
        cast(segment_names.matched_rule_priority as integer) as matched_rule_priority,
        cast(segment_names.name_descriptors as varchar[]) as name_descriptors,
        segment_summary.marketing_action,
        segment_summary.customers,
        segment_summary.customer_share,
        segment_summary.revenue,
        segment_summary.revenue_share,
        segment_summary.avg_order_value,
        segment_summary.median_recency_days,
        segment_summary.avg_frequency,
        segment_summary.avg_credit_utilisation,
        segment_summary.avg_missed_payments_12m
    from segment_summary
    inner join segment_keys
        on segment_summary.cluster_id = segment_keys.cluster_id
    inner join segment_names
        on segment_summary.cluster_id = segment_names.cluster_id
),

-- The names the last recorded build gave (read by its stamp: by the time this runs,
-- published_builds_snapshot already holds this build).
previous_segments as (
    select segment_builds.*
    from segment_builds
    inner join build
        on segment_builds.recorded_at = build.previous_recorded_at
),

-- A key this build ends is recorded once more, without customers, with its last name
-- and what became of it.
ended_segments as (
    select
        vanished_keys.segment_key,
        vanished_keys.key_status,
        vanished_keys.absorbed_into_segment_key as related_segment_key,
        cast(null as double) as jaccard,
        previous_segments.segment_name,
        previous_segments.base_segment_name,
        previous_segments.naming_basis,
        previous_segments.matched_rule_priority,
        previous_segments.name_descriptors,
        cast(null as varchar) as marketing_action,
        cast(0 as bigint) as customers,
        cast(0 as double) as customer_share,
        cast(0 as decimal(18, 2)) as revenue,
        cast(null as double) as revenue_share,
        cast(null as double) as avg_order_value,
        cast(null as double) as median_recency_days,
        cast(null as double) as avg_frequency,
        cast(null as double) as avg_credit_utilisation,
        cast(null as double) as avg_missed_payments_12m
    from vanished_keys
    inner join previous_segments
        on vanished_keys.segment_key = previous_segments.segment_key
),

this_build as (
    select
        build.data_set,
        build.recorded_at,
        build.as_of_date,
        segments.*
    from (
        select * from present_segments
        union all
        select * from ended_segments
    ) as segments
    cross join build
),

final as (
    {{ history_input('segment_builds_snapshot', columns) }}
)

select * from final
