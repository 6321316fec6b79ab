{#
    The few lines a person reads at the end of a build (on-run-end in
    dbt_project.yml): as-of date, customers, segments and their sizes, rejected
    rows, warnings, and whether BI got the new version and where it is. Its
    figures are the ones dbt's closing lines and the publish audit give: the
    warnings dbt counts, segments counted without the outliers.
#}

{% macro build_summary(results) -%}
    {#-
        Figures are read only from models this invocation built: after a
        failure the tables may still hold an older build's, which the summary
        must not pass off as this one's.
    -#}
    {%- if not execute or flags.WHICH not in ['build', 'run'] -%}
        {{- return('') -}}
    {%- endif -%}
    {%- set status = {} -%}
    {%- set messages = {} -%}
    {%- for result in results if result.node.resource_type == 'model' -%}
        {%- do status.update({result.node.name: result.status | string}) -%}
        {%- do messages.update({result.node.name: result.message or ''}) -%}
    {%- endfor -%}
    {%- set lines = [] -%}

    {%- if status.get('clustering_diagnostics') == 'success'
        and status.get('segment_summary') == 'success' -%}
        {%- do lines.append(segments_line()) -%}
    {%- endif -%}

    {%- if status.get('clustering_diagnostics') == 'success' -%}
        {%- set model = run_query(
            'select clustering_mode, fit_id, fit_as_of_date, model_age_days, noise_share,'
            ~ ' fit_noise_share from ' ~ summary_relation('clustering_diagnostics')
        ).rows[0] -%}
        {%- set moved_share = none -%}
        {%- if status.get('publish_audit') == 'success' -%}
            {%- set moved_share = run_query(
                "select any_value(observed) from " ~ summary_relation('publish_audit')
                ~ " where check_name = 'key_reshuffle'"
            ).columns[0].values()[0] -%}
        {%- endif -%}
        {%- if model['fit_id'] -%}
            {%- do lines.append(clustering_model_line(model, moved_share)) -%}
        {%- endif -%}
    {%- endif -%}

    {%- if status.get('rejected_rows') == 'success' -%}
        {#-
            Which reasons are defects is seed reject_reasons; a build that
            selects some models on a new warehouse may not have loaded it, and
            then the split is left out rather than guessed.
        -#}
        {%- set reasons = summary_relation('reject_reasons') -%}
        {%- set defects = 'null' if reasons is none else
            'count(*) filter (where ' ~ is_defect_reason('reject_reason', reasons) ~ ')' -%}
        {%- set rejects = run_query(
            'select source_name, count(*) as rejected, ' ~ defects ~ ' as defects from '
            ~ summary_relation('rejected_rows') ~ ' group by source_name order by source_name'
        ) -%}
        {%- set counts = [] -%}
        {%- for row in rejects.rows -%}
            {%- do counts.append(row['source_name'] ~ ' ' ~ '{:,}'.format(row['rejected'])
                ~ ('' if row['defects'] is none
                    else ' (' ~ '{:,}'.format(row['defects']) ~ ' defective)')) -%}
        {%- endfor -%}
        {%- do lines.append('rejected rows (table rejected_rows, re-deliveries and old versions'
            ~ ' included): ' ~ (counts | join(', ') or 'none')) -%}
    {%- endif -%}

    {%- if status.get('source_matching') == 'success' -%}
        {%- set matching = run_query(
            'select source_name, customers, match_share from '
            ~ summary_relation('source_matching') ~ ' where customers > 0 order by source_name'
        ) -%}
        {%- set shares = [] -%}
        {%- for row in matching.rows -%}
            {%- do shares.append(row['source_name'] ~ ' ' ~ '{:.1%}'.format(row['match_share'])) -%}
        {%- endfor -%}
        {%- do lines.append('customers found in another source: ' ~ shares | join(', ')) -%}
    {%- endif -%}

    {%- if status.get('segment_membership_changes') == 'success'
        and status.get('published_builds') == 'success' -%}
        {%- set recorded = run_query(
            'select builds.build_number, builds.as_of_date,'
            ~ " count(changes.customer_id) filter (where changes.change_type = 'entered') as entered,"
            ~ " count(changes.customer_id) filter (where changes.change_type = 'left') as left_ from "
            ~ summary_relation('published_builds') ~ ' as builds left join '
            ~ summary_relation('segment_membership_changes') ~ ' as changes'
            ~ ' on builds.data_set = changes.data_set and builds.recorded_at = changes.recorded_at'
            ~ ' where builds.is_latest and builds.data_set = ' ~ sql_string(data_set())
            ~ ' group by all'
        ).rows -%}
        {%- for row in recorded -%}
            {%- do lines.append('history: build ' ~ row['build_number'] ~ ' of data set '
                ~ data_set() ~ ', as of ' ~ row['as_of_date'] ~ '; segment memberships entered '
                ~ '{:,}'.format(row['entered']) ~ ', left ' ~ '{:,}'.format(row['left_'])
                ~ ' (table segment_membership_changes)') -%}
        {%- endfor -%}
    {%- endif -%}
    {%- set stopped = [] -%}
    {%- for result in results if result.status | string in ['error', 'fail'] -%}
        {%- do stopped.append(result.node.resource_type ~ ' ' ~ result.node.name) -%}
    {%- endfor -%}
    {%- if stopped -%}
        {%- do lines.append('stopped by: ' ~ stopped | join(', ')
            ~ ' (what went wrong ends this output)') -%}
    {%- endif -%}
    {%- do lines.append(warnings_line(results)) -%}
    {%- do lines.append(publish_outcome(
        status.get('publish_marts'), messages.get('publish_marts', ''),
        status.get('publish_audit') == 'success'
    )) -%}

    {{- log('Build summary:\n  ' ~ lines | join('\n  '), info=true) -}}
    {{- return('') -}}
{%- endmacro %}


{% macro clustering_model_line(model, moved_share) -%}
    {#-
        Which model assigned the segments: a refit's new fit, or the stored fit
        a score build used, how old it is and how far the data drifted from it:
        outliers now against at the fit, and the share of the customers in the
        last published build who now have another segment key (the publish
        audit's key_reshuffle figure; none when nothing was published before).
    -#}
    {%- if model['clustering_mode'] != 'score' -%}
        {{- return('model: refit on these customers, stored as fit ' ~ model['fit_id']
            ~ '; builds with var clustering_mode: score assign with it until the next refit') -}}
    {%- endif -%}
    {{- return('model: scored with fit ' ~ model['fit_id'] ~ ' of the data as of '
        ~ model['fit_as_of_date'] ~ ' (' ~ model['model_age_days'] ~ ' days old); outliers '
        ~ '{:.1%}'.format(model['noise_share']) ~ ' now against '
        ~ '{:.1%}'.format(model['fit_noise_share']) ~ ' at the fit'
        ~ ('' if moved_share is none else '; ' ~ '{:.1%}'.format(moved_share)
            ~ ' of the customers in the last published build changed segment')) -}}
{%- endmacro %}


{% macro summary_relation(name) -%}
    {#- A model of this project by name, where the build wrote it. -#}
    {{- return(adapter.get_relation(
        database=target.database, schema=target.schema, identifier=name
    )) -}}
{%- endmacro %}


{% macro publish_outcome(publish_status, message, audited) -%}
    {#-
        Where BI reads, whether this build is what it reads, and against what
        it was audited. A failed publish_marts was refused by the audit only
        when this invocation's audit has a failed check; otherwise the publish
        folder failed it, and its own sentence says how.
    -#}
    {%- set current = publish_dir() ~ '/current' -%}
    {%- if flags.EMPTY -%}
        {{- return('BI: nothing published by an --empty build') -}}
    {%- endif -%}
    {%- set audit = {} -%}
    {%- if audited -%}
        {%- set audit = run_query(
            "select string_agg(check_name, ', ') filter (where verdict = 'overridden')"
            ~ " as overridden, count(*) filter (where verdict = 'fail') as failed,"
            ~ " count(previous_version) = 0 as first_of_data_set from "
            ~ summary_relation('publish_audit')
        ).rows[0] -%}
    {%- endif -%}
    {%- if publish_status == 'success' -%}
        {{- return('BI: published to ' ~ current ~ ' (segments.duckdb and one Parquet file per mart)'
            ~ (', the first build of data set ' ~ data_set() ~ ' (nothing earlier of it to'
                ~ ' compare with)' if audit.get('first_of_data_set') else '')
            ~ (', audits overridden by var publish_override: ' ~ audit['overridden']
                if audit.get('overridden') else '')) -}}
    {%- elif audit.get('failed') -%}
        {{- return('BI: NOT published, the audit refused this build (above, and table publish_audit);'
            ~ ' history did not record it and BI still reads the previous version in ' ~ current) -}}
    {%- elif publish_status == 'error' -%}
        {{- return('BI: NOT published: ' ~ (message.split('Error: ') | last | trim)) -}}
    {%- elif publish_status is not none -%}
        {{- return('BI: NOT published, an earlier step failed; BI still reads ' ~ current) -}}
    {%- endif -%}
    {{- return('BI: not published (publish_marts was not selected); BI reads ' ~ current) -}}
{%- endmacro %}


{% macro segments_line() -%}
    {#-
        Customers, the segments (outliers not counted, as the publish audit and
        the report count them) with their sizes, and the outliers.
    -#}
    {%- set build = run_query(
        'select as_of_date, customers from ' ~ summary_relation('clustering_diagnostics')
    ).rows[0] -%}
    {%- set segments = run_query(
        'select segment_name, customers, cluster_id = ' ~ var('segment_noise_cluster_id')
        ~ ' as is_noise from ' ~ summary_relation('segment_summary')
        ~ ' order by customers desc, segment_name'
    ) -%}
    {%- set sizes = [] -%}
    {%- set outliers = [] -%}
    {%- for row in segments.rows -%}
        {%- do (outliers if row['is_noise'] else sizes).append(
            row['segment_name'] ~ ' ' ~ '{:,}'.format(row['customers'])) -%}
    {%- endfor -%}
    {{- return('as-of date ' ~ build['as_of_date'] ~ ', ' ~ '{:,}'.format(build['customers'])
        ~ ' customers: ' ~ sizes | length ~ ' segment' ~ ('' if sizes | length == 1 else 's')
        ~ (' (' ~ sizes | join(', ') ~ ')' if sizes else '')
        ~ (' and outliers (' ~ outliers | join(', ') ~ ')' if outliers else ', no outliers')) -}}
{%- endmacro %}


{% macro warnings_line(results) -%}
    {#-
        The warnings dbt counts in its closing lines, one per test that warned,
        each explained: a warning test returns its text in a column `warning`
        (the data-quality gate, the clustering's warnings, ids that match only
        once normalised), read back by rerunning its query; any other shows
        dbt's message.
    -#}
    {%- set tests = results | selectattr('node.resource_type', 'equalto', 'test') | list -%}
    {%- if not tests -%}
        {{- return('warnings: not checked (no tests ran; `dbt build` runs them)') -}}
    {%- endif -%}
    {%- set items = [] -%}
    {%- for result in tests if result.status | string == 'warn' -%}
        {%- set rows = run_query(result.node.compiled_code) -%}
        {%- set texts = rows.columns['warning'].values() if 'warning' in rows.column_names
            else ['test ' ~ result.node.name ~ ': ' ~ result.message] -%}
        {%- for text in texts -%}
            {%- do items.append(text | replace('\n', '\n      ')) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- set warned = tests | selectattr('status', 'equalto', 'warn') | list | length -%}
    {%- if not items -%}
        {{- return('warnings: none') -}}
    {%- endif -%}
    {{- return('warnings: ' ~ warned ~ ' (as dbt counts them below):\n    - '
        ~ items | join('\n    - ')) -}}
{%- endmacro %}
