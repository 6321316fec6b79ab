{#
    The as-of date rule (CONTRIBUTING.md, "The as-of date"). Only
    stg_raw__as_of_date computes the date; the steps that reject future dates
    read that model.
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

        Both the quantile and the latest date are read off one count per date:
        quantile_disc over every row would hold every date in memory (DuckDB
        cannot spill it) and read the rows a second time for the maximum, each
        time typing them again when the relation is a view over the raw lines.
        quantile_disc(x, q) is the ceil(n * q)-th value in
        order (the first for q = 0), so the quantile is the first date whose
        running count reaches that rank.
    -#}
    (
        with

        date_counts as (
            select
                {{ date_column }} as counted_date,
                count(*) as date_rows
            from {{ dates_relation }}
            where {{ date_column }} is not null
            group by {{ date_column }}
        ),

        running_counts as materialized (
            select
                counted_date,
                sum(date_rows) over (
                    order by counted_date rows between unbounded preceding and current row
                ) as rows_through_date,
                sum(date_rows) over () as dated_rows
            from date_counts
        )

        select max(counted_date)
        from running_counts
        where
            counted_date <= (
                select min(counted_date) + {{ var('as_of_tolerance_days') }}
                from running_counts
                where
                    rows_through_date
                    >= greatest(ceil(dated_rows * {{ var('as_of_date_quantile') }}), 1)
            )
    )
{%- endmacro %}
