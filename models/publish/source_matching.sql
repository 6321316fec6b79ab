{%- set sources = customer_sources() %}
{%- set causes = id_mismatch_causes() %}

with

customer_memberships as (
    select * from {{ ref('int_sources__customer_memberships') }}
),

near_matches as (
    select * from {{ ref('int_sources__near_matches') }}
),

-- Every source gets a row, one without customers too.
sources as (
    select
        source_list.source_name,
        source_list.source_order
    from (
        values
        {% for source_name in sources %}
            ('{{ source_name }}', {{ loop.index }}){{ ',' if not loop.last }}
        {% endfor %}
    ) as source_list (source_name, source_order)
),

per_source as (
    select
        sources.source_name,
        sources.source_order,
        {% for source_name in sources %}
            count(customer_memberships.customer_id) filter (
                where customer_memberships.in_{{ source_name }}
            ) as customers_in_{{ source_name }},
        {% endfor %}
        count(customer_memberships.customer_id) as customers,
        count(customer_memberships.customer_id) filter (where customer_memberships.is_matched)
            as matched_customers
    from sources
    left join customer_memberships on sources.source_name = customer_memberships.source_name
    group by sources.source_name, sources.source_order
),

near_match_counts as (
    select
        source_name,
        {% for cause in causes %}
            coalesce(sum(near_matched_customers) filter (where variant_name = '{{ cause }}'), 0)
                as near_matches_{{ cause }},
        {% endfor %}
        first(
            variant_name order by near_matched_customers desc, variant_name asc
        ) filter (where near_matched_customers > 0) as likely_variant
    from near_matches
    group by source_name
),

final as (
    select
        per_source.source_name,
        cast(per_source.customers as bigint) as customers,
        cast(per_source.matched_customers as bigint) as matched_customers,
        cast((per_source.matched_customers / nullif(per_source.customers, 0)) as double)
            as match_share,
        {% for source_name in sources %}
            cast(per_source.customers_in_{{ source_name }} as bigint)
                as customers_in_{{ source_name }},
        {% endfor %}
        {% for cause in causes %}
            cast(coalesce(near_match_counts.near_matches_{{ cause }}, 0) as bigint)
                as near_matches_{{ cause }},
        {% endfor %}
        cast(near_match_counts.likely_variant as varchar) as likely_cause
    from per_source
    left join near_match_counts on per_source.source_name = near_match_counts.source_name
    order by per_source.source_order
)

select * from final
