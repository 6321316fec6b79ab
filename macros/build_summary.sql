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
    {%- do lines.append('warnings: ' ~ (warnings | join('; ') if warnings else 'none')) -%}
    {%- do lines.append(publish_outcome(
        status.get('publish_marts'), status.get('publish_audit') == 'success'
    )) -%}

    {{- log('Build summary:\n  ' ~ lines | join('\n  '), info=true) -}}
    {{- return('') -}}
{%- endmacro %}


{% macro summary_relation(name) -%}
    {#- A model of this project by name, where the build wrote it. -#}
    {{- return(adapter.get_relation(
        database=target.database, schema=target.schema, identifier=name
    )) -}}
{%- endmacro %}


{% macro publish_outcome(publish_status, audited) -%}
    {#- Where BI reads, whether this build is what it reads, and against what it was audited. -#}
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
        {{- return('BI: NOT published, publish_marts refused it (above); BI still reads ' ~ current) -}}
    {%- elif publish_status is not none -%}
        {{- return('BI: NOT published, an earlier step failed; BI still reads ' ~ current) -}}
    {%- endif -%}
    {{- return('BI: not published (publish_marts was not selected); BI reads ' ~ current) -}}
{%- endmacro %}
