{#
    Customer ids across sources: how staging normalises them, and the variants
    source_matching tries to explain ids that match nowhere else.
#}

{% macro customer_id_normalizations() -%}
    {#- The steps var customer_id_normalization may list, each an expression over `{id}`. -#}
    {{- return({
        'lower': 'lower({id})',
        'upper': 'upper({id})',
        'remove_whitespace': "regexp_replace({id}, '\\s+', '', 'g')",
        'strip_leading_zeros': "regexp_replace({id}, '(^|[^0-9])0+([0-9])', '\\1\\2', 'g')",
    }) -}}
{%- endmacro %}


{% macro staged_customer_id(raw_expression) -%}
    {#-
        A raw customer id as staging keys it: trimmed, blank as null, then the
        steps of var customer_id_normalization in their order, for systems that
        write the same customer differently (on_run_start has checked the names).
    -#}
    {%- set steps = customer_id_normalizations() -%}
    {%- set expression = namespace(sql='trim(' ~ raw_expression ~ ')') -%}
    {%- set chosen = var('customer_id_normalization') or [] -%}
    {#- A comma-separated text is a list too, as validate_vars reads it. -#}
    {%- for step in (chosen.split(',') if chosen is string else chosen) -%}
        {%- set step_sql = steps.get(step | trim, '{id}') -%}
        {%- set expression.sql = step_sql | replace('{id}', expression.sql) -%}
    {%- endfor -%}
    nullif({{ expression.sql }}, '')
{%- endmacro %}
