{#
    Customer ids across sources: how staging normalises them, and the variants
    source_matching tries to explain ids that match nowhere else.
#}

{% macro customer_id_normalizations() -%}
    {#-
        The steps var customer_id_normalization may list, each an expression over
        `{id}`. remove_whitespace removes the invisible characters too
        (invisible_characters), wherever they stand in the id.
    -#}
    {{- return({
        'lower': 'lower({id})',
        'upper': 'upper({id})',
        'remove_whitespace': "regexp_replace({id}, '[\\s\\p{Z}\\x{200B}-\\x{200D}\\x{2060}"
            ~ "\\x{FEFF}\\x{180E}\\x{0085}]+', '', 'g')",
        'strip_leading_zeros': "regexp_replace({id}, '(^|[^0-9])0+([0-9])', '\\1\\2', 'g')",
    }) -}}
{%- endmacro %}


{% macro invisible_characters() -%}
    {#-
        What an export leaves around an id that nobody sees, as the SQL text of
        those characters: spaces, tabs and line breaks, the no-break and other
        Unicode spaces, zero-width characters and the byte order mark. Left on,
        `C0001` and `C0001` + a zero-width space are two customers.
    -#}
    {%- set code_points = [9, 10, 11, 12, 13, 32, 133, 160, 5760, 6158]
        + range(8192, 8206) | list + [8232, 8233, 8239, 8287, 8288, 12288, 65279] -%}
    {%- set characters = [] -%}
    {%- for code_point in code_points -%}
        {%- do characters.append('chr(' ~ code_point ~ ')') -%}
    {%- endfor -%}
    {{- return('(' ~ characters | join(' || ') ~ ')') -}}
{%- endmacro %}


{% macro trimmed_id(raw_expression) -%}
    {#- A raw id with the invisible characters trimmed from both ends, as spaces are. -#}
    trim({{ raw_expression }}, {{ invisible_characters() }})
{%- endmacro %}


{% macro is_null_marker(raw_expression) -%}
    {#-
        Whether a raw id is one of var id_null_markers (an export's text for a
        missing value), ignoring case and the invisible characters around it.
        Each marker is a quoted literal.
    -#}
    {%- set markers = [] -%}
    {%- for marker in var('id_null_markers') or [] -%}
        {%- do markers.append(sql_string(marker | trim | lower)) -%}
    {%- endfor -%}
    {%- if markers -%}
        coalesce(lower({{ trimmed_id(raw_expression) }}) in ({{ markers | join(', ') }}), false)
    {%- else -%}
        false
    {%- endif -%}
{%- endmacro %}


{% macro staged_customer_id(raw_expression) -%}
    {#-
        A raw customer id as staging keys it: the invisible characters trimmed
        (trimmed_id), blank as null, then the steps of var
        customer_id_normalization in their order, for systems that write the
        same customer differently (on_run_start has checked the names).
    -#}
    {%- set steps = customer_id_normalizations() -%}
    {%- set expression = namespace(sql=trimmed_id(raw_expression)) -%}
    {%- set chosen = var('customer_id_normalization') or [] -%}
    {#- A comma-separated text is a list too, as validate_vars reads it. -#}
    {%- for step in (chosen.split(',') if chosen is string else chosen) -%}
        {%- set step_sql = steps.get(step | trim, '{id}') -%}
        {%- set expression.sql = step_sql | replace('{id}', expression.sql) -%}
    {%- endfor -%}
    nullif({{ expression.sql }}, '')
{%- endmacro %}
