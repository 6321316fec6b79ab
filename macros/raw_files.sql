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


{% macro raw_contract_columns(table_name) -%}
    {#-
        The contract columns of source `raw.<table_name>` in contract order, each
        a dict of name, required and personal: models/staging/_raw__sources.yml
        is their one home, read here from dbt's graph. The graph is filled only
        for execution; at parse time it is empty and no SQL runs, so none are
        needed. A unit test runs against a manifest dbt makes for it, without
        the sources, so there the YAML is read from its file
        (raw_sources_from_file). SQLFluff gets a graph read from the same YAML
        (lint/dbt_lint_context).
    -#}
    {%- set sources = graph.get('sources', {}) -%}
    {%- if execute and model.resource_type == 'unit_test' -%}
        {%- set sources = raw_sources_from_file() -%}
    {%- endif -%}
    {%- for node in sources.values() if node.source_name == 'raw' and node.name == table_name -%}
        {%- set columns = [] -%}
        {%- for column in node.columns.values() -%}
            {%- do columns.append({
                'name': column.name,
                'required': column.meta.get('required', false),
                'personal': column.meta.get('personal', false),
            }) -%}
        {%- endfor -%}
        {{- return(columns) -}}
    {%- endfor -%}
    {%- if not sources -%}
        {{- return([]) -}}
    {%- endif -%}
    {%- do exceptions.raise_compiler_error(
        "No source raw." ~ table_name ~ " in models/staging/_raw__sources.yml."
    ) -%}
{%- endmacro %}


{% macro raw_sources_from_file() -%}
    {#-
        The raw sources of models/staging/_raw__sources.yml in the shape of
        dbt's graph.sources, as far as raw_contract_columns reads it: the file
        read by DuckDB (jinja reads no files) and parsed by dbt's fromyaml.
    -#}
    {%- set path = invocation_args_dict.get('project_dir') ~ '/models/staging/_raw__sources.yml' -%}
    {%- set text = run_query(
        'select content from read_text(' ~ sql_string(path) ~ ')'
    ).columns[0].values()[0] -%}
    {%- set sources = {} -%}
    {%- for source_entry in fromyaml(text).sources -%}
        {%- for table in source_entry.tables -%}
            {%- set columns = {} -%}
            {%- for column in table.columns -%}
                {%- do columns.update({column.name: {
                    'name': column.name,
                    'meta': (column.get('config') or {}).get('meta') or {},
                }}) -%}
            {%- endfor -%}
            {%- do sources.update({source_entry.name ~ '.' ~ table.name: {
                'source_name': source_entry.name, 'name': table.name, 'columns': columns,
            }}) -%}
        {%- endfor -%}
    {%- endfor -%}
    {{- return(sources) -}}
{%- endmacro %}


{% macro raw_columns(table_name, template, separator=', ') -%}
    {#-
        One piece of SQL per contract column of a source, in contract order:
        `template` with {column} standing for the column's name, joined by
        `separator`. Builds the lists a base model would otherwise spell out
        column by column (a rename, a struct of raw values, a window order).
    -#}
    {%- set pieces = [] -%}
    {%- for column in raw_contract_columns(table_name) -%}
        {%- do pieces.append(template | replace('{column}', column.name)) -%}
    {%- endfor -%}
    {{- return(pieces | join(separator)) -}}
{%- endmacro %}


{% macro raw_record_json(table_name) -%}
    {#- The raw row as JSON text under its contract names, from the `<column>_raw` columns. -#}
    cast(to_json(struct_pack({{ raw_columns(table_name, '{column} := {column}_raw') }})) as varchar)
{%- endmacro %}


{% macro raw_file_select(table_name, suffix='', separator=', ') -%}
    {#-
        The select list that reads a raw file: every contract column as text,
        named `<column><suffix>`, null when an optional column is absent, joined
        by `separator`. Checks the file first (raw_file_columns).
    -#}
    {%- set found = raw_file_columns(table_name) -%}
    {%- set pieces = [] -%}
    {%- for column in found -%}
        {%- do pieces.append(raw_column(found, column) ~ ' as ' ~ column ~ suffix) -%}
    {%- endfor -%}
    {{- return(pieces | join(separator)) -}}
{%- endmacro %}


{% macro raw_file_columns(table_name) -%}
    {#-
        Checks the raw file of source `raw.<table_name>` at execution time and
        returns a dict from each contract column to the file's column name (or
        none when an optional column is absent). Names match case-insensitively
        and ignoring surrounding spaces; extra columns and any order are fine.
        Unit tests replace the source with a fixture, so there is no file to
        check: every column is then taken as present under its own name.
    -#}
    {%- set contract = raw_contract_columns(table_name) -%}
    {%- set found = {} -%}
    {%- for column in contract -%}
        {%- do found.update({column.name: column.name}) -%}
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
            ~ file_format ~ "')." ~ compressed_hint(path) ~ " See docs/raw-data-contract.md."
        ) -%}
    {%- endif -%}

    {%- if file_format == 'csv' -%}
        {%- do raw_csv_lines_check(table_name, path) -%}
    {%- endif -%}

    {%- set described = run_query('describe select * from ' ~ source('raw', table_name)) -%}
    {%- set by_folded_name = {} -%}
    {%- for name in described.columns[0].values() -%}
        {%- do by_folded_name.update({name | trim | lower: name}) -%}
    {%- endfor -%}

    {%- set missing = [] -%}
    {%- for column in contract -%}
        {%- set actual = by_folded_name.get(column.name) -%}
        {%- if actual is none and column.required -%}
            {%- do missing.append(column.name) -%}
        {%- endif -%}
        {%- do found.update({column.name: actual}) -%}
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


{% macro compressed_hint(path) -%}
    {#- When the missing file is there gzip-compressed, the var that reads it. -#}
    {%- set found = run_query('select count(*) from glob(' ~ sql_string(path ~ '.gz') ~ ')') -%}
    {%- if found.columns[0].values()[0] > 0 -%}
        {{- return(" A compressed '" ~ path ~ ".gz' is there: set var raw_file_pattern: '{name}."
            ~ var('raw_file_format') ~ ".gz' to read it.") -}}
    {%- endif -%}
    {{- return('') -}}
{%- endmacro %}


{% macro raw_csv_lines_check(table_name, path) -%}
    {#-
        Fails on the first unreadable or malformed line of each CSV file of a
        source with one sentence naming the file, the line and what to do.
        Without it DuckDB stops with its whole reader dump (options the user
        never set, fixes they cannot apply) or a dialect-sniffing error that
        names neither the line nor the fault.

        Two reads with the dialect fixed, so nothing is sniffed, every fault is
        recorded with its line (store_rejects) and none stops the read: first
        each line as one text (bytes that are not the encoding of var
        raw_csv_encoding, a line over DuckDB's 2,000,000-byte limit, gzip bytes
        in a file named .csv), then the fields of each line, as many text
        columns as the header has (a field too many or too few, an unterminated
        quote). It works per file (store_rejects does not combine with
        union_by_name) and costs two extra reads of each CSV file.
    -#}
    {%- set files = run_query('select file from glob(' ~ sql_string(path) ~ ') order by file') -%}
    {%- for file in files.columns[0].values() -%}
        {%- set where = "Raw file '" ~ file ~ "' (source '" ~ table_name ~ "')" -%}
        {%- set whole_lines -%}
            read_csv(
                {{ sql_string(file) }}, header = false, columns = {'line_text': 'varchar'},
                delim = '\x01', quote = '', escape = '', auto_detect = false,
                strict_mode = false, encoding = {{ sql_string(var('raw_csv_encoding')) }}
        {%- endset -%}
        {%- set scan -%}
            drop table if exists raw_check_errors;
            drop table if exists raw_check_scans;
            select count(*) from {{ whole_lines }}, store_rejects = true,
                rejects_table = 'raw_check_errors', rejects_scan = 'raw_check_scans');
            select line, error_type from raw_check_errors order by line, error_type limit 1
        {%- endset -%}
        {%- set unreadable = run_query(scan) -%}
        {%- if unreadable.rows | length > 0 -%}
            {%- do raise_unreadable_line(
                where, file, unreadable.rows[0]['line'], unreadable.rows[0]['error_type']
            ) -%}
        {%- endif -%}
        {%- set header_sql -%}
            select trim(line_text, chr(65279)) as header_line from {{ whole_lines }}) limit 1
        {%- endset -%}
        {%- set header = run_query(header_sql) -%}
        {%- if header.rows | length > 0 -%}
            {%- do raw_csv_fields_check(where, file, header.rows[0]['header_line']) -%}
        {%- endif -%}
    {%- endfor -%}
{%- endmacro %}


{% macro raw_csv_fields_check(where, file, header_line) -%}
    {#- The second read of raw_csv_lines_check: each line's fields against the header's. -#}
    {%- set delimiter = var('raw_csv_delimiter') -%}
    {%- set fields = run_query(
        'select len(regexp_extract_all(' ~ sql_string(header_line) ~ ', '
        ~ sql_string(csv_field_pattern(delimiter)) ~ '))'
    ).columns[0].values()[0] -%}
    {%- do raise_if_other_delimiter(where, header_line, fields, delimiter) -%}
    {%- set columns = [] -%}
    {%- for position in range(fields) -%}
        {%- do columns.append("'field_" ~ position ~ "': 'varchar'") -%}
    {%- endfor -%}
    {%- set check -%}
        drop table if exists raw_check_errors;
        drop table if exists raw_check_scans;
        select count(*) from read_csv(
            {{ sql_string(file) }}, header = true, delim = {{ sql_string(delimiter) }},
            quote = '"', escape = '"', encoding = {{ sql_string(var('raw_csv_encoding')) }},
            columns = { {{- columns | join(', ') -}} },
            auto_detect = false, store_rejects = true,
            rejects_table = 'raw_check_errors', rejects_scan = 'raw_check_scans'
        );
        select line, error_type, error_message
        from raw_check_errors
        order by line, error_type
        limit 1
    {%- endset -%}
    {%- set errors = run_query(check) -%}
    {%- if errors.rows | length > 0 -%}
        {%- do exceptions.raise_compiler_error(
            where ~ " is malformed at line " ~ errors.rows[0]['line'] ~ ": "
            ~ errors.rows[0]['error_type'] | lower ~ " (" ~ errors.rows[0]['error_message']
            ~ "). Fix or remove that line; see docs/raw-data-contract.md."
        ) -%}
    {%- endif -%}
{%- endmacro %}


{% macro csv_field_pattern(delimiter) -%}
    {#- A regular expression matching each field of a CSV line, quotes respected. -#}
    {%- set d = modules.re.escape(delimiter) -%}
    {{- return('(?:^|' ~ d ~ ')("(?:[^"]|"")*"|[^' ~ d ~ ']*)') -}}
{%- endmacro %}


{% macro raise_unreadable_line(where, file, line, error_type) -%}
    {#- One sentence for a line the reader could not take as text, by what is wrong. -#}
    {%- set gzipped = error_type == 'INVALID ENCODING' and line == 1
        and not file.endswith('.gz') and is_gzip(file) -%}
    {%- set messages = {
        'gzip': where ~ " is gzip-compressed but named without .gz: rename it to '" ~ file
            ~ ".gz' and set var raw_file_pattern: '{name}.csv.gz', or decompress it.",
        'INVALID ENCODING': where ~ " is not " ~ var('raw_csv_encoding') ~ " text at line "
            ~ line ~ " (a latin-1 or Windows export?): save it as UTF-8, or set var"
            ~ " raw_csv_encoding: latin-1 if every CSV file of the build is latin-1.",
        'LINE SIZE OVER MAXIMUM': where ~ " has a line longer than 2,000,000 bytes at line "
            ~ line ~ ", more than any record needs: look there for a quote left open or"
            ~ " binary data, and fix or remove that line.",
    } -%}
    {%- do exceptions.raise_compiler_error(messages.get(
        'gzip' if gzipped else error_type,
        where ~ " cannot be read at line " ~ line ~ " (" ~ error_type | lower
        ~ "): fix or remove that line; see docs/raw-data-contract.md."
    )) -%}
{%- endmacro %}


{% macro is_gzip(file) -%}
    {#- Whether a file starts with gzip's magic bytes; reads the whole file, so only on failure. -#}
    {{- return(run_query(
        "select hex(content[1:2]) = '1F8B' from read_blob(" ~ sql_string(file) ~ ")"
    ).columns[0].values()[0]) -}}
{%- endmacro %}


{% macro raise_if_other_delimiter(where, header_line, fields, delimiter) -%}
    {#-
        A header of one field that holds another common delimiter: the file is
        delimited differently from var raw_csv_delimiter. Said here, because
        the reader would otherwise report a missing column or a line with too
        many fields.
    -#}
    {%- set names = {',': 'comma', ';': 'semicolon', '\t': 'tab', '|': 'pipe'} -%}
    {%- set found = names.keys() | reject('equalto', delimiter) | select('in', header_line)
        | list -%}
    {%- if fields == 1 and found -%}
        {%- do exceptions.raise_compiler_error(
            where ~ " is " ~ names[found[0]] ~ "-delimited (its header has no "
            ~ names.get(delimiter, delimiter) ~ "): set var raw_csv_delimiter: "
            ~ tojson(found[0]) ~ " if every CSV file of the build is, or save it "
            ~ names.get(delimiter, delimiter) ~ "-delimited."
        ) -%}
    {%- endif -%}
{%- endmacro %}


{% macro raw_column(columns, column) -%}
    {#- A raw column as text, whatever type the file has; null when an optional one is absent. -#}
    {%- if columns[column] is none -%}
        cast(null as varchar)
    {%- else -%}
        cast("{{ columns[column] | replace('"', '""') }}" as varchar)
    {%- endif -%}
{%- endmacro %}


{% macro raw_parquet_rows_before_file(table_name, file_index) -%}
    {#-
        How many rows the Parquet files of a source's glob hold before the file
        at `file_index` (DuckDB numbers the files of a glob in name order), as a
        SQL expression with the counts written in, so that numbering rows needs
        no join: a join to a table of offsets made DuckDB build its hash table
        on the side of the rows, which ran out of memory on large files. The
        counts come from the files' metadata, so this query reads no rows.
        Under dbt --empty there are no rows to number.
    -#}
    {%- set no_rows = invocation_args_dict.get('empty') -%}
    {%- if not execute or model.resource_type == 'unit_test' or no_rows -%}
        {{- return('0') -}}
    {%- endif -%}
    {%- set counted = run_query(
        'select file_index, count(*) from ' ~ source('raw', table_name)
        ~ ' group by file_index order by file_index'
    ) -%}
    {%- set ns = namespace(rows_before=0, cases=[]) -%}
    {%- for row in counted.rows -%}
        {%- do ns.cases.append('when ' ~ row[0] ~ ' then ' ~ ns.rows_before) -%}
        {%- set ns.rows_before = ns.rows_before + row[1] -%}
    {%- endfor -%}
    {%- if ns.cases | length <= 1 -%}
        {{- return('0') -}}
    {%- endif -%}
    {{- return('case ' ~ file_index ~ ' ' ~ ns.cases | join(' ') ~ ' end') -}}
{%- endmacro %}


{% macro raw_lines_hooks() -%}
    {#-
        Pre- and post-hooks of a base_raw__<source>_lines table, a copy of a raw
        file as text.

        Row numbers: row_number() over () would number the rows in file order,
        but as a streaming window it runs the whole scan, and the typing in the
        same query, on one thread. A table written by one CREATE TABLE AS
        with insertion order kept (DuckDB's default, set here so a profile
        cannot turn it off) stores the rows in scan order, and a scan keeps
        file order (files of a glob in name order), even when it runs on
        several threads. So the post-hook numbers the rows from their rowid,
        their position in that fresh table, counted from its first (inside the
        build's transaction DuckDB numbers a new table's rows from a large
        offset near 2^55, not 0), a cheap update of one column.

        Compression: as for the base tables, without_fsst_hooks() (which
        says what it costs and buys).
    -#}
    {{- return({
        'pre': without_fsst_hooks()['pre'] + ["set preserve_insertion_order = true"],
        'post': [
            "alter table " ~ this ~ " add column source_row_number bigint",
            "update " ~ this ~ " set source_row_number = rowid - (select min(rowid) from "
            ~ this ~ ") + 1",
        ] + without_fsst_hooks()['post'],
    }) -}}
{%- endmacro %}


{% macro without_fsst_hooks() -%}
    {#-
        Pre- and post-hooks for a table of millions of distinct strings (raw
        lines, the typed base tables): DuckDB's FSST and dictionary-FSST
        compression are skipped. Trying them on every text column is the
        costliest part of writing such a table (BENCHMARKS.md has the
        figures). The price is disk, a few times the compressed size; skip only
        'fsst' to trade some of it back. The values read back are the same
        either way. The post-hook restores the setting for the models after
        it.
    -#}
    {{- return({
        'pre': ["set disabled_compression_methods = 'fsst,dict_fsst'"],
        'post': ["reset disabled_compression_methods"],
    }) -}}
{%- endmacro %}
