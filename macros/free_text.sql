{#
    Free-text columns (channel, payment method, product category, gender):
    folded, then mapped to canonical values through a seed.
#}

{% macro fold_text(expression) -%}
    {#- Free text folded for matching: trimmed, lowercased, inner runs of spaces made one. -#}
    nullif(lower(trim(regexp_replace({{ expression }}, '\s+', ' ', 'g'))), '')
{%- endmacro %}


{% macro free_text_map(rows, column, seed, unmapped="'other'", variant_column=none) -%}
    {#-
        The body of a CTE with one row per distinct raw text of `<column>_raw`
        in `rows` and the canonical `<column>` it stands for: free text has few
        distinct values, so each is folded and looked up once, not once per
        row. Blank text is 'unknown'; a folded text the seed (columns
        `variant_column`, by default `<column>_variant`, and `<column>`) does
        not list becomes `unmapped`, a SQL expression that may use the folded
        text as `folded_values.folded`.
    -#}
    select
        folded_values.{{ column }}_raw,
        case
            when folded_values.folded is null then 'unknown'
            else coalesce({{ seed }}.{{ column }}, {{ unmapped }})
        end as {{ column }}
    from (
        select
            {{ column }}_raw,
            {{ fold_text(column ~ '_raw') }} as folded
        from (select distinct {{ column }}_raw from {{ rows }}) as distinct_values
    ) as folded_values
    left join {{ seed }}
        on folded_values.folded = {{ seed }}.{{ variant_column or column ~ '_variant' }}
{%- endmacro %}
