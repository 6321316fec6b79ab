{#
    Averages and spreads that come out the same on every run.

    DuckDB adds doubles in whatever order its threads finish, so a sum of doubles can
    differ in its last bit between two builds of the same files (976.014997 against
    976.014996 once rounded). Here every value is fixed at var segment_stat_decimals
    decimals and summed as a DECIMAL, which DuckDB adds exactly in 128-bit integers:
    the sum, and so the average and the spread derived from it, no longer depend on
    the order.
#}

{% macro fixed_decimal(column) -%}
    cast({{ column }} as decimal(38, {{ var('segment_stat_decimals') }}))
{%- endmacro %}


{% macro exact_avg(column) -%}
    {#- The mean of `column`, from an exact sum (a double; null when no value). -#}
    avg({{ fixed_decimal(column) }})
{%- endmacro %}


{% macro exact_stddev_pop(column) -%}
    {#-
        The population standard deviation of `column` from exact sums of its values and
        their squares: sqrt(E[x^2] - E[x]^2), the difference taken in doubles from sums
        that are the same on every run. Null when no value.
    -#}
    sqrt(greatest(
        cast(sum({{ fixed_decimal(column) }} * {{ fixed_decimal(column) }}) as double)
        / count({{ column }})
        - power(cast(sum({{ fixed_decimal(column) }}) as double) / count({{ column }}), 2),
        0
    ))
{%- endmacro %}
