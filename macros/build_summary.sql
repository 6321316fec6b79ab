{#
    The few lines a person reads at the end of a build (on-run-end in
    dbt_project.yml): as-of date, customers, segments and their sizes, rejected
    rows, warnings, and whether BI got the new version and where it is.
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
    {%- for result in results if result.node.resource_type == 'model' -%}
        {%- do status.update({result.node.name: result.status | string}) -%}
    {%- endfor -%}
    {%- set lines = [] -%}
    {%- set warnings = [] -%}

    {%- if status.get('clustering_diagnostics') == 'success' -%}
        {%- set clustering_warnings = run_query(
            'select unnest(warnings) from ' ~ summary_relation('clustering_diagnostics')
        ) -%}
        {%- do warnings.extend(clustering_warnings.columns[0].values()) -%}
    {%- endif -%}

    {%- if status.get('clustering_diagnostics') == 'success'
        and status.get('segment_summary') == 'success' -%}
        {%- set build = run_query(
            'select as_of_date, customers from ' ~ summary_relation('clustering_diagnostics')
        ).rows[0] -%}
        {%- set segments = run_query(
            'select segment_name, customers from ' ~ summary_relation('segment_summary')
            ~ ' order by customers desc, segment_name'
        ) -%}
        {%- set sizes = [] -%}
        {%- for row in segments.rows -%}
            {%- do sizes.append(row['segment_name'] ~ ' ' ~ '{:,}'.format(row['customers'])) -%}
        {%- endfor -%}
        {%- do lines.append('as-of date ' ~ build['as_of_date'] ~ ', '
            ~ '{:,}'.format(build['customers']) ~ ' customers in ' ~ segments.rows | length
            ~ ' segments: ' ~ sizes | join(', ')) -%}
    {%- endif -%}

    {%- if status.get('clustering_diagnostics') == 'success' -%}
        {%- set model = run_query(
            'select clustering_mode, fit_id, fit_as_of_date, model_age_days, noise_share,'
            ~ ' fit_noise_share from ' ~ summary_relation('clustering_diagnostics')
        ).rows[0] -%}
        {%- set changes = none -%}
        {%- if status.get('int_publish__segment_changes') == 'success' -%}
            {%- set changes = run_query(
                'select comparison, previous_fit_id, customers_in_both, customers_changed,'
                ~ ' changed_share from ' ~ summary_relation('int_publish__segment_changes')
            ).rows[0] -%}
        {%- endif -%}
        {%- if model['fit_id'] -%}
            {%- do lines.append(clustering_model_line(model, changes)) -%}
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
            'select source_name, customers, match_share, likely_cause from '
            ~ summary_relation('source_matching') ~ ' where customers > 0 order by source_name'
        ) -%}
        {%- set shares = [] -%}
        {%- for row in matching.rows -%}
            {%- do shares.append(row['source_name'] ~ ' ' ~ '{:.1%}'.format(row['match_share'])) -%}
            {%- if row['likely_cause'] -%}
                {%- do warnings.append('source ' ~ row['source_name']
                    ~ ' has customer ids that match another source only once '
                    ~ row['likely_cause'] | replace('_', ' ') ~ ' are ignored'
                    ~ ' (table source_matching; var customer_id_normalization)') -%}
            {%- endif -%}
        {%- endfor -%}
        {%- do lines.append('customers found in another source: ' ~ shares | join(', ')) -%}
    {%- endif -%}

    {%- do lines.append('warnings: ' ~ (warnings | join('; ') if warnings else 'none')) -%}
    {%- do lines.append(publish_outcome(status.get('publish_marts'))) -%}

    {{- log('Build summary:\n  ' ~ lines | join('\n  '), info=true) -}}
    {{- return('') -}}
{%- endmacro %}


{% macro clustering_model_line(model, changes) -%}
    {#-
        Which model assigned the segments: a refit's new fit, or the stored fit
        a score build used, how old it is and how far the data drifted from it
        (outliers now against at the fit, customers whose segment changed since
        the published version; int_publish__segment_changes).
    -#}
    {%- if model['clustering_mode'] != 'score' -%}
        {{- return('model: refit on these customers, stored as fit ' ~ model['fit_id']
            ~ '; builds with var clustering_mode: score assign with it until the next refit') -}}
    {%- endif -%}
    {%- set line = 'model: scored with fit ' ~ model['fit_id'] ~ ' of the data as of '
        ~ model['fit_as_of_date'] ~ ' (' ~ model['model_age_days'] ~ ' days old); outliers '
        ~ '{:.1%}'.format(model['noise_share']) ~ ' now against '
        ~ '{:.1%}'.format(model['fit_noise_share']) ~ ' at the fit' -%}
    {%- if changes is none -%}
        {{- return(line) -}}
    {%- elif changes['comparison'] == 'same_fit' -%}
        {{- return(line ~ '; ' ~ '{:,}'.format(changes['customers_changed']) ~ ' of the '
            ~ '{:,}'.format(changes['customers_in_both']) ~ ' customers BI already has ('
            ~ '{:.1%}'.format(changes['changed_share'] or 0) ~ ') changed segment') -}}
    {%- elif changes['comparison'] == 'other_fit' -%}
        {{- return(line ~ '; segment changes not comparable with the published version (fit '
            ~ (changes['previous_fit_id'] or 'none stored') ~ ')') -}}
    {%- endif -%}
    {{- return(line ~ '; nothing published yet to compare segments with') -}}
{%- endmacro %}


{% macro summary_relation(name) -%}
    {#- A model of this project by name, where the build wrote it. -#}
    {{- return(adapter.get_relation(
        database=target.database, schema=target.schema, identifier=name
    )) -}}
{%- endmacro %}


{% macro publish_outcome(publish_status) -%}
    {#- Where BI reads, and whether this build is what it reads. -#}
    {%- set current = publish_dir() ~ '/current' -%}
    {%- if flags.EMPTY -%}
        {{- return('BI: nothing published by an --empty build') -}}
    {%- elif publish_status == 'success' -%}
        {%- set overridden = run_query(
            "select string_agg(check_name, ', ') from " ~ summary_relation('publish_audit')
            ~ " where verdict = 'overridden'"
        ).columns[0].values()[0] -%}
        {{- return('BI: published to ' ~ current ~ ' (segments.duckdb and one Parquet file per mart)'
            ~ (', audits overridden by var publish_override: ' ~ overridden if overridden else '')) -}}
    {%- elif publish_status == 'error' -%}
        {{- return('BI: NOT published, the audit refused this build (above, and table publish_audit);'
            ~ ' BI still reads the previous version in ' ~ current) -}}
    {%- elif publish_status is not none -%}
        {{- return('BI: NOT published, an earlier step failed; BI still reads ' ~ current) -}}
    {%- endif -%}
    {{- return('BI: not published (publish_marts was not selected); BI reads ' ~ current) -}}
{%- endmacro %}
