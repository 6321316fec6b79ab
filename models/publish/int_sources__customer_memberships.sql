{%- set sources = customer_sources() %}

with

spine as (
    select * from {{ ref('int_customers__spine') }}
),

customers as (
    select
        customer_id,
        {% for source_name, flag in sources.items() %}
            {{ flag }} as in_{{ source_name }},
        {% endfor %}
        {% for flag in sources.values() -%}
            cast({{ flag }} as integer){{ ' + ' if not loop.last }}
        {%- endfor %} as holding_sources
    from spine
),

final as (
    {% for source_name in sources %}
        select
            customer_id,
            '{{ source_name }}' as source_name,
            {% for other_source in sources %}
                in_{{ other_source }},
            {% endfor %}
            -- Its own source and at least one other.
            holding_sources >= 2 as is_matched
        from customers
        where in_{{ source_name }}
        {{ 'union all' if not loop.last }}
    {% endfor %}
)

select * from final
