{#
    Export artefacts: what exporting, copying and concatenating files leave in
    them that is not data. A header line repeated inside a file is a row to
    reject (is_repeated_header, in the base models); a column named twice in
    a header stops the build with one sentence (raise_if_duplicate_columns,
    from the raw file checks of macros/raw_files.sql).
#}

{% macro is_repeated_header(table_name) -%}
    {#-
        Whether a raw row is its file's header again (exports concatenated with
        their headers): customer_id holds the text `customer_id` and every
        other contract column its own name or nothing, ignoring case and the
        invisible characters around it. Nothing allows for a Parquet file made
        from such a CSV file, whose typed columns cannot hold a name.
    -#}
    {%- set others = [] -%}
    {%- for column in raw_contract_columns(table_name) if column.name != 'customer_id' -%}
        {%- do others.append(
            'coalesce(lower(' ~ trimmed_id(column.name ~ '_raw') ~ ") = '" ~ column.name
            ~ "', true)"
        ) -%}
    {%- endfor -%}
    (lower({{ trimmed_id('customer_id_raw') }}) = 'customer_id' and {{ (others or ['true']) | join(' and ') }})
{%- endmacro %}


{% macro raw_parquet_columns_check(table_name, path) -%}
    {#- Each Parquet file of a source: its column names, from the file's metadata only. -#}
    {%- set files = run_query('select file from glob(' ~ sql_string(path) ~ ') order by file') -%}
    {%- for file in files.columns[0].values() -%}
        {%- set names = run_query(
            'select name from parquet_schema(' ~ sql_string(file) ~ ') where num_children is null'
        ).columns[0].values() -%}
        {%- do raise_if_duplicate_columns(
            "Raw file '" ~ file ~ "' (source '" ~ table_name ~ "')", table_name, names
        ) -%}
    {%- endfor -%}
{%- endmacro %}


{% macro raise_if_duplicate_columns(where, table_name, names) -%}
    {#-
        A contract column named twice in a file's header (ignoring quotes, case
        and surrounding spaces): the reader keeps both under different names,
        and which one the build reads would be a guess, so it stops and says so.
    -#}
    {%- set contract = [] -%}
    {%- for column in raw_contract_columns(table_name) -%}
        {%- do contract.append(column.name) -%}
    {%- endfor -%}
    {%- set positions = {} -%}
    {%- for name in names -%}
        {%- set folded = name | replace('"', '') | trim | lower -%}
        {%- if folded in contract -%}
            {%- do positions.update({folded: positions.get(folded, []) + [loop.index]}) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- for column in contract if positions.get(column, []) | length > 1 -%}
        {%- do exceptions.raise_compiler_error(
            where ~ " has the column " ~ column ~ " " ~ positions[column] | length
            ~ " times in its header (columns " ~ positions[column] | join(' and ')
            ~ "): the build cannot tell which to read; remove or rename all but one,"
            ~ " then build again."
        ) -%}
    {%- endfor -%}
{%- endmacro %}
