{#
    Raw files: where they are, and a check that they are fit to read.

    The raw sources are files read through dbt-duckdb's `external_location`
    (models/staging/_raw__sources.yml). A missing file or a missing required
    column would otherwise surface as a DuckDB stack trace deep in a model;
    these macros turn both into one clear message that names the file and the
    column, and let optional columns be absent (the contract may grow them).
#}

{% macro raw_file_path(table_name) -%}
    {#- The file (or glob) a raw source reads; mirrors external_location in _raw__sources.yml. -#}
    {%- set pattern = var('raw_file_pattern', none) or ('{name}.' ~ var('raw_file_format')) -%}
    {{- return(var('raw_data_path') ~ '/' ~ pattern | replace('{name}', table_name)) -}}
{%- endmacro %}


{% macro sql_string(value) -%}
    {#- A SQL string literal; doubling quotes keeps paths like "o'brien" intact. -#}
    {{- return("'" ~ (value | string | replace("'", "''")) ~ "'") -}}
{%- endmacro %}


{% macro raw_file_columns(table_name, required, optional) -%}
    {#-
        Checks the raw file of source `raw.<table_name>` at execution time and
        returns a dict from each contract column to the file's column name (or
        none when an optional column is absent). Names match case-insensitively
        and ignoring surrounding spaces; extra columns and any order are fine.
        Unit tests replace the source with a fixture, so there is no file to
        check: every column is then taken as present under its own name.
    -#}
    {%- set found = {} -%}
    {%- for column in required + optional -%}
        {%- do found.update({column: column}) -%}
    {%- endfor -%}
    {%- if not execute or model.resource_type == 'unit_test' -%}
        {{- return(found) -}}
    {%- endif -%}

    {%- set file_format = var('raw_file_format') -%}
    {%- if file_format not in ['csv', 'parquet'] -%}
        {%- do exceptions.raise_compiler_error(
            "Var raw_file_format is '" ~ file_format ~ "'; it must be 'csv' or 'parquet'."
        ) -%}
    {%- endif -%}

    {%- set path = raw_file_path(table_name) -%}
    {%- set matches = run_query('select count(*) from glob(' ~ sql_string(path) ~ ')') -%}
    {%- if matches.columns[0].values()[0] == 0 -%}
        {%- do exceptions.raise_compiler_error(
            "Raw file missing for source '" ~ table_name ~ "': no file matches '" ~ path
            ~ "' (vars raw_data_path='" ~ var('raw_data_path') ~ "', raw_file_format='"
            ~ file_format ~ "'). See docs/raw-data-contract.md."
        ) -%}
    {%- endif -%}

    {%- set described = run_query('describe select * from ' ~ source('raw', table_name)) -%}
    {%- set by_folded_name = {} -%}
    {%- for name in described.columns[0].values() -%}
        {%- do by_folded_name.update({name | trim | lower: name}) -%}
    {%- endfor -%}

    {%- set missing = [] -%}
    {%- for column in required + optional -%}
        {%- set actual = by_folded_name.get(column) -%}
        {%- if actual is none and column in required -%}
            {%- do missing.append(column) -%}
        {%- endif -%}
        {%- do found.update({column: actual}) -%}
    {%- endfor -%}
    {%- if missing -%}
        {%- do exceptions.raise_compiler_error(
            "Raw file '" ~ path ~ "' (source '" ~ table_name ~ "') lacks required column(s): "
            ~ missing | join(', ') ~ ". Columns found: "
            ~ described.columns[0].values() | join(', ') ~ ". See docs/raw-data-contract.md."
        ) -%}
    {%- endif -%}
    {{- return(found) -}}
{%- endmacro %}


{% macro raw_column(columns, column) -%}
    {#- A raw column as text, whatever type the file has; null when an optional one is absent. -#}
    {%- if columns[column] is none -%}
        cast(null as varchar)
    {%- else -%}
        cast("{{ columns[column] | replace('"', '""') }}" as varchar)
    {%- endif -%}
{%- endmacro %}


{% macro fold_text(expression) -%}
    {#- Free text folded for matching: trimmed, lowercased, inner runs of spaces made one. -#}
    nullif(lower(trim(regexp_replace({{ expression }}, '\s+', ' ', 'g'))), '')
{%- endmacro %}
