-- One row per audit of the new build, run before publish_marts replaces what BI
-- reads (write-audit-publish): the build must have customers and segments, the
-- sources must share their customers, and against the version BI reads now the
-- customers, segment count and outlier share must not jump past their vars.
-- A failed check stops publish_marts (macro refuse_failed_publish) unless var
-- publish_override is true; the first publish has nothing to compare with.
with

customer_segments as (
    select * from {{ ref('customer_segments') }}
),

source_matching as (
    select * from {{ ref('source_matching') }}
),

new_build as (
    {{ segment_metrics('customer_segments') }}
),

previous_version as (
    {{ previous_segment_metrics() }}
),

compared as (
    select
        new_build.customers,
        new_build.segments,
        new_build.outlier_share,
        previous_version.customers as previous_customers,
        previous_version.segments as previous_segments,
        previous_version.outlier_share as previous_outlier_share,
        previous_version.version as previous_version
    from new_build
    left join previous_version on true
),

source_messages as (
    -- Per source below the limit: its figures, and the var that likely fixes it.
    select
        source_name,
        printf(
            'source %s: %d of %d customers (%.1f%%) are in another source (limit var'
            || ' min_source_match_share = %.1f%%)',
            source_name,
            matched_customers,
            customers,
            100 * match_share,
            100 * {{ var('min_source_match_share') }}
        ) as figures,
        case likely_cause
            when 'case'
                then
                    printf(
                        '; %d match once letter case is ignored: set var'
                        || ' customer_id_normalization: [lower]',
                        near_matches_case
                    )
            when 'whitespace'
                then
                    printf(
                        '; %d match once spaces are ignored: set var'
                        || ' customer_id_normalization: [remove_whitespace]',
                        near_matches_whitespace
                    )
            when 'leading_zeros'
                then
                    printf(
                        '; %d match once leading zeros are ignored: set var'
                        || ' customer_id_normalization: [strip_leading_zeros]',
                        near_matches_leading_zeros
                    )
            else ''
        end as likely_fix
    from source_matching
    where match_share < {{ var('min_source_match_share') }}
),

matching as (
    select
        (
            select count(*) from source_matching
            where customers > 0
        ) as sources_with_customers,
        (select min(match_share) from source_matching) as lowest_match_share,
        (
            select string_agg(figures || likely_fix, '; ' order by source_name)
            from source_messages
        ) as low_sources
),

checks as (
    select
        1 as check_order,
        'has_customers' as check_name,
        cast(customers as double) as observed,
        cast(null as double) as previous,
        cast(1 as double) as threshold,
        cast(null as varchar) as threshold_var,
        customers >= 1 as passed,
        'the new build has no customers (are the raw files header-only?)' as failure_message
    from compared
    union all
    select
        2 as check_order,
        'has_segments' as check_name,
        cast(segments as double) as observed,
        cast(null as double) as previous,
        cast(1 as double) as threshold,
        cast(null as varchar) as threshold_var,
        -- Without customers has_customers already says it all.
        case when customers > 0 then segments >= 1 end as passed,
        'the new build has no segment, only outliers' as failure_message
    from compared
    union all
    select
        3 as check_order,
        'customer_change' as check_name,
        cast(customers as double) as observed,
        cast(previous_customers as double) as previous,
        cast({{ var('publish_max_customer_change') }} as double) as threshold,
        'publish_max_customer_change' as threshold_var,
        abs(customers - previous_customers)
        <= {{ var('publish_max_customer_change') }} * previous_customers as passed,
        printf(
            'customers changed from %d to %d (%+.1f%%; limit var publish_max_customer_change'
            || ' = %.1f%%)',
            previous_customers,
            customers,
            100 * (customers - previous_customers) / nullif(previous_customers, 0),
            100 * {{ var('publish_max_customer_change') }}
        ) as failure_message
    from compared
    union all
    select
        4 as check_order,
        'segment_count_change' as check_name,
        cast(segments as double) as observed,
        cast(previous_segments as double) as previous,
        cast({{ var('publish_max_segment_count_change') }} as double) as threshold,
        'publish_max_segment_count_change' as threshold_var,
        abs(segments - previous_segments)
        <= {{ var('publish_max_segment_count_change') }} as passed,
        printf(
            'segments changed from %d to %d (limit var publish_max_segment_count_change = %d)',
            previous_segments,
            segments,
            {{ var('publish_max_segment_count_change') }}
        ) as failure_message
    from compared
    union all
    select
        5 as check_order,
        'outlier_share_change' as check_name,
        outlier_share as observed,
        previous_outlier_share as previous,
        cast({{ var('publish_max_outlier_share_change') }} as double) as threshold,
        'publish_max_outlier_share_change' as threshold_var,
        abs(outlier_share - previous_outlier_share)
        <= {{ var('publish_max_outlier_share_change') }} as passed,
        printf(
            'the share of outliers changed from %.1f%% to %.1f%% (limit var'
            || ' publish_max_outlier_share_change = %.1f points)',
            100 * previous_outlier_share,
            100 * outlier_share,
            100 * {{ var('publish_max_outlier_share_change') }}
        ) as failure_message
    from compared
    union all
    select
        6 as check_order,
        'source_match_share' as check_name,
        lowest_match_share as observed,
        cast(null as double) as previous,
        cast({{ var('min_source_match_share') }} as double) as threshold,
        'min_source_match_share' as threshold_var,
        -- A single source has nobody to match: a lender with credit data only is fine.
        case when sources_with_customers >= 2 then low_sources is null end as passed,
        low_sources as failure_message
    from matching
),

final as (
    select
        cast(checks.check_order as integer) as check_order,
        cast(checks.check_name as varchar) as check_name,
        checks.observed,
        checks.previous,
        checks.threshold,
        checks.threshold_var,
        cast(compared.previous_version as varchar) as previous_version,
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
    cross join compared
)

select * from final
