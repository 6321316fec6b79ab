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

previous_version as (
    {{ previous_segment_metrics() }}
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
        previous_version.version as previous_version,
        source_figures.sources_with_customers,
        source_figures.lowest_match_share,
        source_figures.low_sources
    from new_build
    left join previous_version on true
    cross join source_figures
)

select * from final
