-- Once recorded, history holds this build exactly: the current memberships of its data
-- set are customer_segments' keys, its segment_history rows are segment_summary's sizes
-- and revenue, and it is the data set's latest build in published_builds. An --empty
-- build records nothing, so it holds nothing to compare.
with

customer_segments as (
    select * from {{ ref('customer_segments') }}
),

segment_summary as (
    select * from {{ ref('segment_summary') }}
),

published_builds as (
    select * from {{ ref('published_builds') }}
),

segment_history as (
    select * from {{ ref('segment_history') }}
),

recorded_members as (
    select
        customer_id,
        segment_key
    from {{ ref('segment_memberships_snapshot') }}
    where dbt_valid_to is null and data_set = {{ sql_string(data_set()) }}
),

latest_build as (
    select *
    from published_builds
    where is_latest and data_set = {{ sql_string(data_set()) }}
),

member_problems as (
    select
        'customer ' || coalesce(customer_segments.customer_id, recorded_members.customer_id)
        || ': key ' || coalesce(customer_segments.segment_key, 'none') || ' in the build, '
        || coalesce(recorded_members.segment_key, 'none') || ' in history' as problem
    from customer_segments
    full outer join recorded_members
        on customer_segments.customer_id = recorded_members.customer_id
    where customer_segments.segment_key is distinct from recorded_members.segment_key
),

recorded_segments as (
    select segment_history.*
    from segment_history
    inner join latest_build
        on
            segment_history.data_set = latest_build.data_set
            and segment_history.recorded_at = latest_build.recorded_at
    where segment_history.customers > 0
),

segment_problems as (
    select
        'segment ' || coalesce(segment_summary.segment_key, recorded.segment_key)
        || ' differs from its segment_history row' as problem
    from segment_summary
    full outer join recorded_segments as recorded
        on segment_summary.segment_key = recorded.segment_key
    where
        segment_summary.customers is distinct from recorded.customers
        or segment_summary.revenue is distinct from recorded.revenue
        or segment_summary.segment_name is distinct from recorded.segment_name
),

build_figures as (
    select
        (select count(*) from latest_build) as latest_builds,
        (select any_value(latest_build.as_of_date) from latest_build) as recorded_as_of_date,
        (select any_value(latest_build.customers) from latest_build) as recorded_customers,
        (select max(customer_segments.as_of_date) from customer_segments) as as_of_date,
        (select count(*) from customer_segments) as customers
),

build_problems as (
    select 'the latest build of the data set is not this one' as problem
    from build_figures
    where
        latest_builds != 1
        or recorded_as_of_date is distinct from as_of_date
        or recorded_customers != customers
),

final as (
    select * from member_problems
    union all
    select * from segment_problems
    union all
    select * from build_problems
)

select * from final
{% if is_empty_build() %}where false{% endif %}
