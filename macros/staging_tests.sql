{#
    Generic tests for the staging layer (no dbt Hub packages in this project).
#}

{% test raw_rows_conserved(model, source_table) %}
    {#-
        Nothing lost, nothing counted twice: the source_row_numbers of the
        cleaned model and of rejected_rows together are exactly 1..n, where n
        is the number of rows in the raw file. Returns a row when that fails.

        n rows whose distinct values within 1..n number n are exactly 1..n.
        The distinct values are counted as the bits set in a bitstring of n
        bits, far cheaper than count(distinct) over every row number.
        bitstring_agg needs its bounds as constants, so the file's row count
        is read first.
    -#}
    {%- set raw_rows = 0 -%}
    {%- if execute is sameas true -%}
        {%- set raw_rows = run_query(
            'select count(*) from ' ~ source('raw', source_table)
        ).columns[0].values()[0] | int -%}
    {%- endif -%}
    with

    landed as (
        select source_row_number from {{ model }}
        union all
        select source_row_number
        from {{ ref('rejected_rows') }}
        where source_name = {{ sql_string(source_table) }}
    ),

    landed_summary as (
        select
            count(*) as landed_rows,
            coalesce(
                bit_count(
                    bitstring_agg(source_row_number, 1, {{ [raw_rows, 1] | max }})
                        filter (where source_row_number between 1 and {{ raw_rows }})
                ),
                0
            ) as distinct_rows_in_range
        from landed
    )

    select
        {{ raw_rows }} as raw_rows,
        landed_rows,
        distinct_rows_in_range
    from landed_summary
    where
        landed_rows != {{ raw_rows }}
        or distinct_rows_in_range != {{ raw_rows }}
{% endtest %}


{% test reject_share_below_limit(model, source_table, max_share) %}
    {#-
        The data-quality gate over a base_raw__* model. Rows rejected for a
        defect (macro is_defect_reason: normal re-deliveries and versions are
        not) may be at most `max_share` of the source. Returns one row (level
        `warn`) above half the limit and a second row (level `error`) above the
        limit, each with the counts per reason; the YAML sets warn_if >= 1 and
        error_if >= 2. The same figures are logged so the build output says
        what went wrong without opening the database.
    -#}
    {%- set defect_filter = is_defect_reason('reject_reason', ref('reject_reasons')) -%}
    {%- set summary_sql -%}
        with

        reasons as (
            select reject_reason, count(*) as reason_rows
            from {{ model }}
            group by reject_reason
        ),

        summary as (
            select
                sum(reason_rows) as source_rows,
                coalesce(sum(reason_rows) filter (where {{ defect_filter }}), 0) as defect_rows,
                coalesce(
                    string_agg(reject_reason || '=' || reason_rows, ', ' order by reject_reason)
                        filter (where {{ defect_filter }}),
                    ''
                ) as defect_counts
            from reasons
        )

        select
            {{ sql_string(source_table) }} as source_name,
            source_rows,
            defect_rows,
            defect_rows / nullif(source_rows, 0) as defect_share,
            {{ max_share }} as max_share,
            defect_counts
        from summary
    {%- endset -%}

    {%- if execute and model.resource_type != 'unit_test' -%}
        {%- set result = run_query(summary_sql) -%}
        {%- set row = result.rows[0] -%}
        {%- if row['defect_share'] is not none and row['defect_share'] > max_share / 2 -%}
            {%- do log(
                "Data-quality gate, source '" ~ source_table ~ "': " ~ row['defect_rows']
                ~ " of " ~ row['source_rows'] ~ " rows rejected for defects ("
                ~ (row['defect_share'] * 100) | round(2) ~ "%; limit var max_reject_share = "
                ~ (max_share * 100) | round(2) ~ "%, warning above half of it): "
                ~ row['defect_counts'],
                info=True
            ) -%}
        {%- endif -%}
    {%- endif -%}

    with

    figures as (
        {{ summary_sql }}
    ),

    levels as (
        select 'warn' as level, 0.5 as share_of_limit
        union all
        select 'error' as level, 1.0 as share_of_limit
    )

    select
        levels.level,
        figures.*
    from figures
    cross join levels
    where figures.defect_share > figures.max_share * levels.share_of_limit
{% endtest %}


{% macro is_defect_reason(reject_reason, reject_reasons) -%}
    {#-
        Whether a reject reason counts as a defect: every reason but those the
        seed reject_reasons (relation `reject_reasons`) marks is_defect false,
        so a reason missing from the seed still counts. Used by the gate and
        the build summary.
    -#}
    ({{ reject_reason }} is not null and {{ reject_reason }} not in (
        select reject_reason from {{ reject_reasons }} where not is_defect
    ))
{%- endmacro %}


{% test reject_reasons_of_source(model, column_name, source_table) %}
    {#-
        A relationships test to the rows of seed reject_reasons that list
        `source_table` among their sources: every reason in `column_name` must
        be one this source's rows can get. Returns the rows that fail.
    -#}
    with

    reasons as (
        select reject_reason
        from {{ ref('reject_reasons') }}
        where list_contains(string_split(sources, ' '), {{ sql_string(source_table) }})
    )

    select model_rows.{{ column_name }}
    from {{ model }} as model_rows
    left join reasons
        on model_rows.{{ column_name }} = reasons.reject_reason
    where model_rows.{{ column_name }} is not null and reasons.reject_reason is null
{% endtest %}
