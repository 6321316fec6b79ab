-- One row: this build's place in history. A build enters history as a new build when it
-- differs from the last recorded build of its data set in its as-of date, any
-- customer's segment key, or any segment's name, size or KPIs; otherwise it is that
-- build again and history gains nothing. A new build is stamped with its as-of date,
-- or, when its data set already has a build as of that date or later, one second after
-- the latest (a corrected delivery of the same date is a build of its own, so an
-- activation tool that synced the first sees what the second changed).
with

as_of as (
    select * from {{ ref('stg_raw__as_of_date') }}
),

customer_segments as (
    select * from {{ ref('customer_segments') }}
),

segment_summary as (
    select * from {{ ref('segment_summary') }}
),

segment_names as (
    select * from {{ ref('int_segments__segment_names') }}
),

published_builds as (
    select * from {{ ref('stg_history__published_builds') }}
),

memberships as (
    select * from {{ ref('stg_history__segment_memberships') }}
),

segment_builds as (
    select * from {{ ref('stg_history__segment_builds') }}
),

latest_build as (
    select *
    from published_builds
    where is_latest
),

latest_members as (
    select
        customer_id,
        segment_key
    from memberships
    where is_current
),

moved as (
    select count(*) as customers
    from customer_segments
    full outer join latest_members
        on customer_segments.customer_id = latest_members.customer_id
    where customer_segments.segment_key is distinct from latest_members.segment_key
),

segments_now as (
    select
        segment_summary.segment_key,
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
    inner join segment_names
        on segment_summary.cluster_id = segment_names.cluster_id
),

segments_then as (
    select
        segment_builds.segment_key,
        segment_builds.segment_name,
        segment_builds.base_segment_name,
        segment_builds.naming_basis,
        segment_builds.matched_rule_priority,
        segment_builds.name_descriptors,
        segment_builds.marketing_action,
        segment_builds.customers,
        segment_builds.customer_share,
        segment_builds.revenue,
        segment_builds.revenue_share,
        segment_builds.avg_order_value,
        segment_builds.median_recency_days,
        segment_builds.avg_frequency,
        segment_builds.avg_credit_utilisation,
        segment_builds.avg_missed_payments_12m
    from segment_builds
    inner join latest_build
        on segment_builds.recorded_at = latest_build.recorded_at
    where segment_builds.customers > 0
),

only_now as (
    select * from segments_now
    except all
    select * from segments_then
),

only_then as (
    select * from segments_then
    except all
    select * from segments_now
),

changed_segments as (
    select count(*) as segments
    from (
        select * from only_now
        union all
        select * from only_then
    ) as differing
),

final as (
    select
        cast({{ sql_string(data_set()) }} as varchar) as data_set,
        as_of.as_of_date,
        cast(
            latest_build.recorded_at is null
            or as_of.as_of_date is distinct from latest_build.as_of_date
            or moved.customers > 0
            or changed_segments.segments > 0
            as boolean
        ) as is_new_build,
        latest_build.recorded_at as previous_recorded_at,
        latest_build.as_of_date as previous_as_of_date,
        cast(
            case
                when
                    latest_build.recorded_at is not null
                    and as_of.as_of_date is not distinct from latest_build.as_of_date
                    and moved.customers = 0
                    and changed_segments.segments = 0
                    then latest_build.recorded_at
                else
                    greatest(
                        cast(as_of.as_of_date as timestamp),
                        latest_build.recorded_at + interval 1 second
                    )
            end as timestamp
        ) as recorded_at
    from as_of
    cross join moved
    cross join changed_segments
    left join latest_build on true
)

select * from final
