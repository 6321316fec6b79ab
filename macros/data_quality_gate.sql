{#
    What the data-quality gate says when a source has too many defective rows:
    per reason its count, a few raw values with the line they stand on, and the
    fix (seed reject_reasons). Said by the gate test (test
    reject_share_below_limit: logged for a warning, the error itself when it
    stops the build, so it ends dbt's output) and by the build summary for a
    warning.
#}

{% macro defect_report(source_table, relation, reject_reasons, max_share) -%}
    {#-
        The gate's verdict on one base_raw__<source> relation as a dict: `level`
        (pass, warn above half of `max_share`, error above it) and `lines`, the
        text (empty on pass). The counts come first, in the form the gate has
        always logged; the sample values are read only when the gate speaks.
    -#}
    {%- set counted_sql -%}
        with

        counted as (
            select
                reject_reason,
                count(*) as reason_rows,
                bool_or({{ is_defect_reason('reject_reason', reject_reasons) }}) as is_defect
            from {{ relation }}
            group by reject_reason
        )

        select
            reject_reason,
            reason_rows,
            is_defect,
            sum(reason_rows) over () as source_rows,
            coalesce(sum(reason_rows) filter (where is_defect) over (), 0) as defect_rows
        from counted
        order by reject_reason
    {%- endset -%}
    {%- set counted = run_query(counted_sql) -%}
    {%- set counts = dict() -%}
    {%- for row in counted.rows if row['reject_reason'] is not none -%}
        {%- do counts.update({row['reject_reason']: row['reason_rows']}) -%}
    {%- endfor -%}
    {%- set defect_counts = [] -%}
    {%- for row in counted.rows if row['is_defect'] -%}
        {%- do defect_counts.append(row['reject_reason'] ~ '=' ~ row['reason_rows']) -%}
    {%- endfor -%}
    {%- set totals = counted.rows[0] if counted.rows | length > 0
        else {'source_rows': 0, 'defect_rows': 0} -%}
    {%- set source_rows = totals['source_rows'] -%}
    {%- set defect_rows = totals['defect_rows'] -%}
    {%- set share = defect_rows / source_rows if source_rows else 0 -%}
    {%- set level = 'error' if share > max_share else ('warn' if share > max_share / 2
        else 'pass') -%}
    {%- if level == 'pass' -%}
        {{- return({'level': level, 'lines': []}) -}}
    {%- endif -%}
    {%- set lines = [
        "Data-quality gate, source '" ~ source_table ~ "': " ~ defect_rows ~ " of "
        ~ source_rows ~ " rows rejected for defects (" ~ (share * 100) | round(2)
        ~ "%; limit var max_reject_share = " ~ (max_share * 100) | round(2)
        ~ "%, warning above half of it): " ~ defect_counts | join(', ')
    ] -%}
    {%- set planted = planted_on_purpose(source_table, counts) -%}
    {%- if planted and level == 'warn' -%}
        {%- do lines.append('  as planned: ' ~ planted) -%}
    {%- else -%}
        {%- do lines.extend(defect_samples(source_table, relation, reject_reasons)) -%}
    {%- endif -%}
    {{- return({'level': level, 'lines': lines}) -}}
{%- endmacro %}


{% macro defect_samples(source_table, relation, reject_reasons, rows_shown=3) -%}
    {#-
        Two lines per main defect reason (the most frequent, and any other
        holding a tenth of the defects, at most three): its count with the
        first `rows_shown` rows' values of the columns that show the fault,
        then the fix; one line for the rest. arg_min keeps only those rows per
        reason, so a wholly rejected large file costs one pass and no sort.
    -#}
    {%- set detail_sql -%}
        with

        rejected as (
            select
                reject_reason,
                count(*) as reason_rows,
                cast(to_json(arg_min(
                    struct_pack(source_row_number := source_row_number, raw_record := raw_record),
                    source_row_number,
                    {{ rows_shown }}
                )) as varchar) as sample_rows
            from {{ relation }}
            where {{ is_defect_reason('reject_reason', reject_reasons) }}
            group by reject_reason
        )

        select
            rejected.reject_reason,
            rejected.reason_rows,
            rejected.sample_rows,
            coalesce(reasons.shown_columns, '') as shown_columns,
            coalesce(reasons.fix, '') as fix
        from rejected
        left join {{ reject_reasons }} as reasons
            on rejected.reject_reason = reasons.reject_reason
        order by rejected.reason_rows desc, rejected.reject_reason
    {%- endset -%}
    {%- set detail = run_query(detail_sql) -%}
    {%- set showable = [] -%}
    {%- for column in raw_contract_columns(source_table) if not column.personal -%}
        {%- do showable.append(column.name) -%}
    {%- endfor -%}
    {%- set ns = namespace(defect_rows=0) -%}
    {%- for row in detail.rows -%}
        {%- set ns.defect_rows = ns.defect_rows + row['reason_rows'] -%}
    {%- endfor -%}
    {%- set lines = [] -%}
    {%- set others = [] -%}
    {%- for row in detail.rows -%}
        {%- if loop.first or (loop.index <= 3 and row['reason_rows'] * 10 >= ns.defect_rows) -%}
            {%- do lines.extend(reason_sample_lines(source_table, row, showable)) -%}
        {%- else -%}
            {%- do others.append(row['reject_reason'] ~ '=' ~ row['reason_rows']) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- do lines.append('  ' ~ ('also ' ~ others | join(', ') ~ '; ' if others else '')
        ~ 'every rejected row with its raw values: table rejected_rows') -%}
    {{- return(lines) -}}
{%- endmacro %}


{% macro reason_sample_lines(source_table, row, showable) -%}
    {#-
        A reason's count and sample values, then its fix (seed reject_reasons):
        `transaction_date "04/03/2023" (line 2), "13/10/2025" (line 3)` when one
        column shows the fault, each row's columns in turn when several do.
    -#}
    {%- set columns = row['shown_columns'].split() | select('in', showable) | list -%}
    {%- set examples = [] -%}
    {%- for sample in fromjson(row['sample_rows']) -%}
        {%- set record = fromjson(sample['raw_record']) -%}
        {%- set where = raw_row_label(source_table, sample['source_row_number']) -%}
        {%- if columns | length == 1 -%}
            {%- do examples.append(raw_value_text(record.get(columns[0])) ~ ' (' ~ where ~ ')') -%}
        {%- else -%}
            {%- set values = [] -%}
            {%- for column in columns -%}
                {%- do values.append(column ~ ' ' ~ raw_value_text(record.get(column))) -%}
            {%- endfor -%}
            {%- do examples.append(where ~ (': ' ~ values | join(', ') if values else '')) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set lines = ['  ' ~ row['reject_reason'] ~ ', ' ~ '{:,}'.format(row['reason_rows'])
        ~ ' rows, e.g. ' ~ (columns[0] ~ ' ' if columns | length == 1 else '')
        ~ examples | join(columns | length == 1 and ', ' or '; ')] -%}
    {%- if row['fix'] -%}
        {%- do lines.append('    fix: ' ~ fix_text(row['fix'])) -%}
    {%- endif -%}
    {{- return(lines) -}}
{%- endmacro %}


{% macro raw_value_text(value) -%}
    {#- A raw value as the file holds it, in quotes (spaces and all); an empty field as null. -#}
    {{- return('null' if value is none else '"' ~ value ~ '"') -}}
{%- endmacro %}


{% macro fix_text(fix) -%}
    {#- A seed fix with each `{var_name}` replaced by the var's value in this build. -#}
    {%- set ns = namespace(text=fix) -%}
    {%- for name in modules.re.findall('\\{([a-z0-9_]+)\\}', fix) -%}
        {%- set value = var(name, none) -%}
        {%- if value is not none -%}
            {%- set ns.text = ns.text | replace('{' ~ name ~ '}', value | string) -%}
        {%- endif -%}
    {%- endfor -%}
    {{- return(ns.text) -}}
{%- endmacro %}


{% macro raw_row_label(source_table, source_row_number) -%}
    {#-
        Where a raw row stands, as the user opens the file: one CSV file has a
        header, so row n is line n + 1; Parquet and the files of a glob are
        numbered across rows (rejected_rows.source_row_number).
    -#}
    {%- set pattern = var('raw_file_pattern', none) or '' -%}
    {%- set one_file = not ('*' in pattern or '?' in pattern or '[' in pattern) -%}
    {%- if var('raw_file_format') == 'csv' and one_file -%}
        {{- return('line ' ~ (source_row_number + 1)) -}}
    {%- endif -%}
    {{- return('row ' ~ source_row_number) -}}
{%- endmacro %}


{% macro planted_on_purpose(source_table, counts) -%}
    {#-
        raw_data.generate writes manifest.json beside the files it makes, with
        the rejects it planted per source and reason (the committed sample is
        such a set). When this source's rejects are exactly those, the gate's
        warning is the dirt planted on purpose: says so, or returns ''.
    -#}
    {%- set manifest = var('raw_data_path') ~ '/manifest.json' -%}
    {%- set found = run_query('select count(*) from glob(' ~ sql_string(manifest) ~ ')') -%}
    {%- if found.columns[0].values()[0] == 0 -%}
        {{- return('') -}}
    {%- endif -%}
    {%- set planted = run_query(
        'select cast(to_json(expected_rejected_rows) as varchar) from read_json_auto('
        ~ sql_string(manifest) ~ ')'
    ).columns[0].values()[0] -%}
    {%- set expected = {} -%}
    {%- for reason, rows in (fromjson(planted or '{}').get(source_table) or {}).items() -%}
        {%- if rows -%}
            {%- do expected.update({reason: rows}) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if expected != counts -%}
        {{- return('') -}}
    {%- endif -%}
    {{- return('raw_data.generate made these files and planted exactly these rejects on'
        ~ ' purpose (' ~ manifest ~ '); on your own files the gate shows sample values and'
        ~ ' the fix here') -}}
{%- endmacro %}
