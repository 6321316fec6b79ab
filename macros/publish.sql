{#
    Write-audit-publish: where BI copies go and the figures a build is audited on.
#}

{% macro publish_dir() -%}
    {#- The folder BI reads from: publish_marts' config, so its default is written once. -#}
    {{- return(graph.nodes['model.customer_segmentation.publish_marts'].config.publish_dir) -}}
{%- endmacro %}


{% macro segment_metrics(relation) -%}
    {#-
        The figures compared between builds, from a customer_segments table:
        customers, segments (noise excluded) and the share of outliers. The
        same SQL reads the new mart and the published Parquet copy it would
        replace, so both sides are measured alike.
    -#}
    select
        cast(count(*) as bigint) as customers,
        cast(count(distinct cluster_id) filter (where cluster_id >= 0) as bigint) as segments,
        cast(coalesce(avg(cast(cluster_id < 0 as integer)), 0) as double) as outlier_share
    from {{ relation }}
{%- endmacro %}


{% macro previous_segment_metrics() -%}
    {#-
        segment_metrics of the version BI reads now, with its version name, or
        no row when nothing has been published yet (the first publish has
        nothing to compare with). Looked up when the model runs, not parsed.
    -#}
    {%- set segments_file = published_file('customer_segments.parquet') -%}
    {%- if segments_file -%}
        select
            metrics.*,
            (
                select cast(version as varchar)
                from read_json_auto({{ sql_string(publish_dir() ~ '/current/manifest.json') }})
            ) as version
        from (
            {{ segment_metrics('read_parquet(' ~ sql_string(segments_file) ~ ')') }}
        ) as metrics
    {%- else -%}
        select
            cast(null as bigint) as customers,
            cast(null as bigint) as segments,
            cast(null as double) as outlier_share,
            cast(null as varchar) as version
        where false
    {%- endif -%}
{%- endmacro %}


{% macro audit_check(
    check_order, check_name, observed, passed, failure_message,
    previous='null', threshold='null', threshold_var=none
) -%}
    {#-
        One check of publish_audit, as a select over the one row of its CTE
        audit_figures (int_publish__audit_figures): `observed`, `previous`,
        `threshold`, `passed` and `failure_message` are SQL over those columns.
        `passed` null means the check does not apply.
    -#}
    select
        {{ check_order }} as check_order,
        '{{ check_name }}' as check_name,
        cast({{ observed }} as double) as observed,
        cast({{ previous }} as double) as previous,
        cast({{ threshold }} as double) as threshold,
        {{ "'" ~ threshold_var ~ "'" if threshold_var else 'cast(null as varchar)' }} as threshold_var,
        {{ passed }} as passed,
        {{ failure_message }} as failure_message
    from audit_figures
{%- endmacro %}


{% macro change_check(
    check_order, check_name, figure, threshold_var, relative=false, label=none, unit='count'
) -%}
    {#-
        An audit_check that the new build's `figure` is within var `threshold_var`
        of the published version's (`previous_<figure>`): relative to that figure
        when `relative`, else absolute. The message names both figures and the
        var; a `share` reads in percent. Nothing published yet: no previous
        figure, and the check does not apply.
    -#}
    {%- set limit = var(threshold_var) -%}
    {%- set previous = 'previous_' ~ figure -%}
    {%- set scale = '100 * ' if unit == 'share' else '' -%}
    {%- set value_format = '%.1f%%' if unit == 'share' else '%d' -%}
    {%- if relative -%}
        {%- set limit_format, limit_scale = '%.1f%%', '100 * ' -%}
    {%- elif unit == 'share' -%}
        {%- set limit_format, limit_scale = '%.1f points', '100 * ' -%}
    {%- else -%}
        {%- set limit_format, limit_scale = '%d', '' -%}
    {%- endif -%}
    {%- set change = figure ~ ' - ' ~ previous -%}
    {%- set relative_change = '100 * (' ~ change ~ ') / nullif(' ~ previous ~ ', 0), ' -%}
    {%- set message -%}
        printf(
            '{{ label or figure }} changed from {{ value_format }} to {{ value_format }} ('
            || '{{ "%+.1f%%; " if relative }}limit var {{ threshold_var }} = {{ limit_format }})',
            {{ scale }}{{ previous }},
            {{ scale }}{{ figure }},
            {{ relative_change if relative }}{{ limit_scale }}{{ limit }}
        )
    {%- endset -%}
    {%- set allowed = limit ~ (' * ' ~ previous if relative else '') -%}
    {{ audit_check(
        check_order, check_name, figure,
        passed='abs(' ~ change ~ ') <= ' ~ allowed,
        failure_message=message,
        previous=previous,
        threshold=limit,
        threshold_var=threshold_var
    ) }}
{%- endmacro %}


{% macro refuse_failed_publish() -%}
    {#-
        publish_marts' pre-hook: stops the publish, and the build with a
        non-zero exit, when publish_audit has a failed check, so `current`
        keeps the previous version. A pre-hook rather than a test so that
        `dbt run` is refused too, with the audit's own sentence. An audit left
        by an earlier invocation does not count: the marts may have changed
        since (`dbt run -s customer_segments publish_marts`). `dbt build
        --empty` reads every ref empty, this one too, and publishes nothing.
    -#}
    {%- if is_empty_build() -%}
        {{- return('select 1') -}}
    {%- endif -%}
    select error(
        case
            when count(*) filter (where invocation_id = '{{ invocation_id }}') = 0
                then 'Publish refused, BI keeps the version published before: publish_audit'
                || ' did not run in this invocation; select it with publish_marts'
                || ' (dbt build --select publish_audit+).'
            else
                'Publish refused, BI keeps the version published before: '
                || string_agg(failure_message, '; ' order by check_order)
                filter (where verdict = 'fail')
                || '. See table publish_audit; if the change is deliberate, build again with'
                || ' --vars ''{publish_override: true}''.'
        end
    )
    from {{ ref('publish_audit') }}
    having
        count(*) filter (where invocation_id = '{{ invocation_id }}') = 0
        or count(*) filter (where verdict = 'fail') > 0
{%- endmacro %}


{% macro is_empty_build() -%}
    {#- `dbt build --empty`: every ref reads no rows and publish_marts publishes nothing. -#}
    {{- return(flags is defined and flags.EMPTY is true) -}}
{%- endmacro %}


{% macro this_invocation() -%}
    {#- dbt's id of this invocation, as SQL text (publish_audit records it). -#}
    {{- return(sql_string(invocation_id if invocation_id is defined else '')) -}}
{%- endmacro %}


{% macro published_file(name) -%}
    {#-
        The path of file `name` in the version BI reads now, or none when it is
        not there (nothing published yet). Looked up when the model runs, not parsed.
    -#}
    {%- if not execute -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set path = publish_dir() ~ '/current/' ~ name -%}
    {%- set found = run_query('select count(*) from glob(' ~ sql_string(path) ~ ')') -%}
    {{- return(path if found.columns[0].values()[0] > 0 else none) -}}
{%- endmacro %}
