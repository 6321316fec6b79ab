{%- set min_match_share = var('min_source_match_share') %}

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

published_builds as (
    select * from {{ ref('stg_history__published_builds') }}
),

memberships as (
    select * from {{ ref('stg_history__segment_memberships') }}
),

as_of as (
    select * from {{ ref('stg_raw__as_of_date') }}
),

-- The last published build of the same data set (var data_set, else raw_data_path):
-- another data set's build is no yardstick for this one.
previous_version as (
    select
        customers,
        segments,
        outlier_share,
        as_of_date,
        printf('as of %s (build %s)', as_of_date, left(build_id, 8)) as build_label
    from published_builds
    where is_latest
),

-- Of the customers in both, those the new build gives another segment key than the
-- last published build did.
reshuffle as (
    select
        count(*) as customers_in_both,
        count(*) filter (
            where customer_segments.segment_key != memberships.segment_key
        ) as moved_customers
    from customer_segments
    inner join memberships
        on customer_segments.customer_id = memberships.customer_id
    where memberships.is_current
),

-- Per source below the limit: its figures, and the var that likely fixes it.
low_sources as (
    select
        source_name,
        printf(
            'source %s: %d of %d customers (%.1f%%) are in another source (limit var'
            || ' min_source_match_share = %.1f%%)',
            source_name,
            matched_customers,
            customers,
            100 * match_share,
            100 * {{ min_match_share }}
        ) as figures,
        case likely_cause
            {% for cause, how in id_mismatch_causes().items() %}
                when '{{ cause }}'
                    then
                        printf(
                            '; %d match once {{ how.ignored }}: set var'
                            || ' customer_id_normalization: [{{ how.step }}]',
                            near_matches_{{ cause }}
                        )
            {% endfor %}
            else ''
        end as likely_fix
    from source_matching
    where match_share < {{ min_match_share }}
),

source_figures as (
    select
        (
            select count(*) from source_matching
            where customers > 0
        ) as sources_with_customers,
        (select min(match_share) from source_matching) as lowest_match_share,
        (
            select string_agg(figures || likely_fix, '; ' order by source_name)
            from low_sources
        ) as low_sources
),

final as (
    select
        new_build.customers,
        new_build.segments,
        new_build.outlier_share,
        previous_version.customers as previous_customers,
        previous_version.segments as previous_segments,
        previous_version.outlier_share as previous_outlier_share,
        previous_version.build_label as previous_version,
        previous_version.as_of_date as previous_as_of_date,
        as_of.as_of_date,
        cast({{ sql_string(data_set()) }} as varchar) as data_set,
        reshuffle.customers_in_both,
        reshuffle.moved_customers,
        reshuffle.moved_customers / nullif(reshuffle.customers_in_both, 0) as moved_share,
        source_figures.sources_with_customers,
        source_figures.lowest_match_share,
        source_figures.low_sources,
        cast({{ is_empty_build() }} as boolean) as is_empty_build
    from new_build
    left join previous_version on true
    cross join source_figures
    -- No as-of date row under `dbt build --empty`: the audit still has its one row.
    left join as_of on true
    cross join reshuffle
)

select * from final
