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
        audit measures the new build with it, and history records the same
        figures of every published build (published_builds_snapshot), so both
        sides of a comparison are measured alike.
    -#}
    select
        cast(count(*) as bigint) as customers,
        cast(count(distinct cluster_id) filter (where cluster_id >= 0) as bigint) as segments,
        cast(coalesce(avg(cast(cluster_id < 0 as integer)), 0) as double) as outlier_share
    from {{ relation }}
{%- endmacro %}


{% macro published_version() -%}
    {#-
        What `current` holds: state `none` (nothing published, or a link to a
        folder that is gone), `intact`, or `damaged` when its
        customer_segments.parquet is not a whole Parquet file (cut short by a
        full disk or a copy, or overwritten), which no reader can open. Parquet
        starts and ends with PAR1; the file is read as bytes, which cannot fail
        the way reading it as Parquet would. The version name is the manifest's;
        a manifest missing or unreadable is said in its place. A damaged version
        is a warning in the build's output (restore_persistent_tables looks
        before it reads history from the version); the audit compares with
        history, not with this file, so the next good build replaces it.
    -#}
    {%- set current = publish_dir() ~ '/current' -%}
    {%- set segments_file = current ~ '/customer_segments.parquet' -%}
    {%- set manifest_file = current ~ '/manifest.json' -%}
    {%- set found = run_query(
        'select'
        ~ ' (select count(*) from glob(' ~ sql_string(segments_file) ~ ')),'
        ~ ' (select count(*) from glob(' ~ sql_string(manifest_file) ~ '))'
    ).rows[0] -%}
    {%- if found[0] == 0 -%}
        {{- return({'state': 'none'}) -}}
    {%- endif -%}
    {%- set checked = run_query(
        "select size >= 12 and content[1:4] = 'PAR1'::blob"
        ~ " and content[size - 3:size] = 'PAR1'::blob from read_blob("
        ~ sql_string(segments_file) ~ ')'
    ).columns[0].values()[0] -%}
    {%- set version = 'unknown (' ~ manifest_file ~ ' is missing)' -%}
    {%- if found[1] > 0 -%}
        {%- set version = run_query(
            "select case when json_valid(content) then json_extract_string(content, '$.version')"
            ~ " end from read_text(" ~ sql_string(manifest_file) ~ ')'
        ).columns[0].values()[0] or 'unknown (' ~ manifest_file ~ ' is unreadable)' -%}
    {%- endif -%}
    {%- if not checked -%}
        {%- do exceptions.warn(
            'The published version ' ~ version ~ ' is damaged: ' ~ segments_file
            ~ ' is not a whole Parquet file, so BI cannot read it. The audit compares this'
            ~ ' build with history, not with that file; if it passes, this build replaces it.'
        ) -%}
        {{- return({'state': 'damaged', 'version': version
            ~ ' (damaged: its customer_segments.parquet is not a whole Parquet file)'}) -}}
    {%- endif -%}
    {{- return({'state': 'intact', 'version': version, 'segments_file': segments_file}) -}}
{%- endmacro %}


{% macro audit_check(
    check_order, check_name, observed, passed, failure_message,
    previous='null', threshold='null', threshold_var=none, overridable=true
) -%}
    {#-
        One check of publish_audit, as a select over the one row of its CTE
        audit_figures (int_publish__audit_figures): `observed`, `previous`,
        `threshold`, `passed` and `failure_message` are SQL over those columns.
        `passed` null means the check does not apply. A check that is not
        `overridable` fails whatever var publish_override says.
    -#}
    select
        {{ check_order }} as check_order,
        '{{ check_name }}' as check_name,
        cast({{ observed }} as double) as observed,
        cast({{ previous }} as double) as previous,
        cast({{ threshold }} as double) as threshold,
        {{ "'" ~ threshold_var ~ "'" if threshold_var else 'cast(null as varchar)' }} as threshold_var,
        {{ passed }} as passed,
        {{ failure_message }} as failure_message,
        {{ 'true' if overridable else 'false' }} as overridable
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
                || '. See table publish_audit'
                || case
                    when bool_or(overridable) filter (where verdict = 'fail')
                        then '; if the change is deliberate, build again with'
                        || ' --vars ''{publish_override: true}''.'
                    else '.'
                end
        end
    )
    from {{ ref('publish_audit') }}
    having
        count(*) filter (where invocation_id = '{{ invocation_id }}') = 0
        or count(*) filter (where verdict = 'fail') > 0
{%- endmacro %}


{% macro raise_publish_failure() -%}
    {#-
        publish_marts' post-hook: fails the model with the sentence the model
        left in variable publish_failure (a publish folder it could not use),
        so the build exits 1 without the traceback dbt-duckdb prints for a
        Python model's exception. `current` is as it was.
    -#}
    select error(getvariable('publish_failure'))
    where getvariable('publish_failure') is not null
{%- endmacro %}


{% macro is_empty_build() -%}
    {#- `dbt build --empty`: every ref reads no rows and publish_marts publishes nothing. -#}
    {{- return(flags is defined and flags.EMPTY is true) -}}
{%- endmacro %}


{% macro this_invocation() -%}
    {#- dbt's id of this invocation, as SQL text (publish_audit records it). -#}
    {{- return(sql_string(invocation_id if invocation_id is defined else '')) -}}
{%- endmacro %}
