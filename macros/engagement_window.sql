{% macro engagement_window_months() -%}
    {#-
        Var engagement_window_months as a number, checked: active months are
        counted in a 64-bit mask (int_transactions__customer_metrics), one bit
        per calendar month from the as-of month back, so the window may span
        1 to 63 months.
    -#}
    {%- set months = var('engagement_window_months') | int -%}
    {%- if execute and (months < 1 or months > 63) -%}
        {%- do exceptions.raise_compiler_error(
            "Var engagement_window_months is " ~ var('engagement_window_months')
            ~ "; it must be a whole number of months from 1 to 63."
        ) -%}
    {%- endif -%}
    {{- return(months) -}}
{%- endmacro %}
