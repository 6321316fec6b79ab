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
        not) may be at most `max_share` of the source. Above half the limit
        the test returns one row, a warning (severity warn in the YAML), and
        logs what defect_report says: counts per reason, a few raw values with
        their lines, the fix; the row's `warning` holds the same text for the
        build summary. Above the limit it stops with that text as its error,
        so the build ends with it rather than with a row count.
        Only a build or test says it: `dbt compile` and `dbt docs generate`
        render the test too.
    -#}
    {%- set reject_reasons = ref('reject_reasons') -%}
    {%- set speaks = execute and model.resource_type != 'unit_test'
        and flags.WHICH in ['build', 'test', 'retry'] -%}
    {%- set report = defect_report(source_table, model, reject_reasons, max_share)
        if speaks else {'level': 'pass', 'lines': []} -%}
    {%- if report['level'] == 'error' -%}
        {%- do exceptions.raise_compiler_error(
            report['lines'] | join('\n') ~ '\nNothing after staging was built; what BI'
            ~ ' reads is unchanged. Fix the file and build again.'
        ) -%}
    {%- elif report['level'] == 'warn' -%}
        {%- do log(report['lines'] | join('\n'), info=True) -%}
    {%- endif -%}

    with

    reasons as (
        select reject_reason, count(*) as reason_rows
        from {{ model }}
        group by reject_reason
    ),

    figures as (
        select
            coalesce(sum(reason_rows) filter (
                where {{ is_defect_reason('reject_reason', reject_reasons) }}
            ), 0) / nullif(sum(reason_rows), 0) as defect_share
        from reasons
    )

    select
        {{ sql_string(source_table) }} as source_name,
        defect_share,
        {{ max_share }} as max_share,
        {{ sql_string(report['lines'] | join('\n')) }} as warning
    from figures
    where defect_share > {{ max_share }} / 2
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
