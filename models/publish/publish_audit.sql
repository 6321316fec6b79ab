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
    union all
    -- A refit that moves most customers to other keys breaks every campaign that follows
    -- a segment: as unexplained as a jump in customers.
    {{ audit_check(
        7, 'key_reshuffle', 'moved_share',
        threshold=var('publish_max_reshuffle_share'),
        threshold_var='publish_max_reshuffle_share',
        passed='case when customers_in_both > 0 then moved_share <= '
            ~ var('publish_max_reshuffle_share') ~ ' end',
        failure_message="printf('%d of %d customers in both builds (%.1f%%) moved to another"
            ~ " segment key since the last published build of data set %s, %s (limit var"
            ~ " publish_max_reshuffle_share = %.1f%%): a refit that reshuffles most"
            ~ " customers', moved_customers, customers_in_both, 100 * moved_share, data_set,"
            ~ " previous_version, 100 * " ~ var('publish_max_reshuffle_share') ~ ")"
    ) }}
    union all
    -- History is kept by as-of date: a build cannot go back before its data set's last,
    -- and needs a date (no dated transactions or credit snapshots: none). Not overridable:
    -- history would no longer read forwards.
    {{ audit_check(
        8, 'as_of_date_order', "date_diff('day', previous_as_of_date, as_of_date)",
        threshold='0',
        passed='case when as_of_date is null then false when previous_as_of_date is null'
            ~ ' then true else as_of_date >= previous_as_of_date end',
        failure_message="case when as_of_date is null then 'the build has no as-of date (no"
            ~ " dated transaction or credit snapshot); history is kept by as-of date: set var"
            ~ " as_of_date' else printf('the as-of date %s is before %s, that of the last"
            ~ " published build of data set %s; history is kept in as-of date order: to"
            ~ " build older data apart from it, set var data_set to another name', as_of_date,"
            ~ " previous_as_of_date, data_set) end",
        overridable=false
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
                when audit_figures.is_empty_build or checks.passed is null
                    then 'not_applicable'
                when checks.passed then 'pass'
                when checks.overridable and {{ var('publish_override') }} then 'overridden'
                else 'fail'
            end as varchar
        ) as verdict,
        cast(
            case when not checks.passed then checks.failure_message end as varchar
        ) as failure_message,
        cast(checks.overridable as boolean) as overridable,
        cast({{ this_invocation() }} as varchar) as invocation_id
    from checks
    cross join audit_figures
)

select * from final
