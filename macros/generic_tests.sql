{#
    Generic tests the project needs and dbt does not ship (no dbt Hub packages here).
#}

{% test unique_combination(model, columns) %}
{#- Each combination of `columns` at most once: the grain of a table keyed by several columns. -#}
    select
        {{ columns | join(', ') }},
        count(*) as occurrences
    from {{ model }}
    group by {{ columns | join(', ') }}
    having count(*) > 1
{% endtest %}
