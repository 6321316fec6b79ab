{#
    The as-of date rule (CONTRIBUTING.md, "The as-of date"), in one place so the
    base models that reject future dates and stg_raw__as_of_date agree.
#}

{% macro as_of_date_var() -%}
    {#- The as-of date set by var, or a typed null: a set var always wins. -#}
    {%- if var('as_of_date', none) -%}
        cast({{ sql_string(var('as_of_date')) }} as date)
    {%- else -%}
        cast(null as date)
    {%- endif -%}
{%- endmacro %}


{% macro as_of_date_from(dates_relation, date_column) -%}
    {#-
        The latest date no later than the p99 date plus a tolerance, as a scalar
        subquery. The quantile keeps a few mistyped dates years ahead from
        dragging the as-of date forward; on ordinary data it is the latest date.
        Null when there are no dates.
    -#}
    (
        select max({{ date_column }})
        from {{ dates_relation }}
        where
            {{ date_column }} <= (
                select
                    quantile_disc({{ date_column }}, {{ var('as_of_date_quantile') }})
                    + {{ var('as_of_tolerance_days') }}
                from {{ dates_relation }}
            )
    )
{%- endmacro %}
