with

-- Read whole under `dbt build --empty` too: its own refs are emptied there, and the audit
-- then says per check that there was nothing to audit.
audit_figures as (
    select * from {{ ref('int_publish__audit_figures').render() }}
),

checks as (
    {{ audit_check(
        1, 'has_customers', 'customers', threshold='1', passed='customers >= 1',
        failure_message="'the new build has no customers (are the raw files header-only?)'"
    ) }}
    union all
    -- Without customers has_customers already says it all.
    {{ audit_check(
        2, 'has_segments', 'segments', threshold='1',
        passed='case when customers > 0 then segments >= 1 end',
        failure_message="'the new build has no segment, only outliers'"
    ) }}
    union all
    {{ change_check(
        3, 'customer_change', 'customers', 'publish_max_customer_change', relative=true
    ) }}
    union all
    {{ change_check(4, 'segment_count_change', 'segments', 'publish_max_segment_count_change') }}
    union all
    {{ change_check(
        5, 'outlier_share_change', 'outlier_share', 'publish_max_outlier_share_change',
        label='the share of outliers', unit='share'
    ) }}
    union all
    -- A single source has nobody to match: a lender with credit data only is fine.
    {{ audit_check(
        6, 'source_match_share', 'lowest_match_share',
        threshold=var('min_source_match_share'), threshold_var='min_source_match_share',
        passed='case when sources_with_customers >= 2 then low_sources is null end',
        failure_message='low_sources'
    ) }}
),

final as (
    select
        cast(checks.check_order as integer) as check_order,
        cast(checks.check_name as varchar) as check_name,
        checks.observed,
        checks.previous,
        checks.threshold,
        checks.threshold_var,
        cast(audit_figures.previous_version as varchar) as previous_version,
        cast(
            case
                when {{ is_empty_build() }} or checks.passed is null
                    then 'not_applicable'
                when checks.passed then 'pass'
                when {{ var('publish_override') }} then 'overridden'
                else 'fail'
            end as varchar
        ) as verdict,
        cast(
            case when not checks.passed then checks.failure_message end as varchar
        ) as failure_message,
        cast({{ this_invocation() }} as varchar) as invocation_id
    from checks
    cross join audit_figures
)

select * from final
