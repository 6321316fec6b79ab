{#
    History: what earlier builds recorded, kept in dbt snapshots (snapshots/).

    A build of one data set (var data_set, else raw_data_path) is matched
    against the last build of the same data set only. Snapshots are stamped
    with the build's as-of date, not the wall clock, so a rebuild of the same
    files changes nothing and history reads by business date. Tables no build
    can regenerate (tag `persistent`: the snapshots, and any table that must
    survive --full-refresh) travel with every published version under
    `persistent/` and are restored from it when a warehouse lacks them.
#}

{% macro data_set() -%}
    {#- The data set this build is a delivery of: var data_set, else var raw_data_path. -#}
    {%- set named = var('data_set') -%}
    {%- if named is none or named | string | trim == '' -%}
        {%- set named = (var('raw_data_path') | string).rstrip('/') -%}
    {%- endif -%}
    {{- return(named | string) -}}
{%- endmacro %}


{% macro graph_relation(unique_id) -%}
    {#-
        The warehouse relation of a node of this project, or none when it does
        not exist (yet). Read by name, not ref: a snapshot's own input reads the
        snapshot, which a ref would turn into a cycle.
    -#}
    {%- set node = graph.get('nodes', {}).get(unique_id) -%}
    {%- if node is none or execute is not sameas true -%}
        {{- return(none) -}}
    {%- endif -%}
    {{- return(adapter.get_relation(
        database=node.database, schema=node.schema, identifier=node.alias
    )) -}}
{%- endmacro %}


{% macro recorded_history(snapshot_name, columns, this_partition) -%}
    {#-
        The rows of snapshot `snapshot_name` that this build leaves alone: its
        currently valid rows outside `this_partition` (SQL over its columns: the
        data set, or the data set and as-of date, this build records), in
        `columns`. A snapshot's input is this build's rows plus these, so its
        hard_deletes: invalidate closes only rows this build replaces, never
        another data set's or another build's. Reads the caller's CTE
        `this_build` for the columns' types while the snapshot does not exist.
        Under `dbt build --empty` this build's rows are empty: then every valid
        row is handed back and the snapshot changes nothing.
    -#}
    {%- set relation = graph_relation('snapshot.customer_segmentation.' ~ snapshot_name) -%}
    {%- if relation is none -%}
        select {{ columns | join(', ') }} from this_build where false
    {%- else -%}
        select {{ columns | join(', ') }}
        from {{ relation }}
        where
            dbt_valid_to is null
            {%- if not is_empty_build() %}
                and not ({{ this_partition }})
            {%- endif %}
    {%- endif -%}
{%- endmacro %}


{% macro duckdb__snapshot_get_time() -%}
    {#-
        The stamp of every snapshot row this build writes (dbt_valid_from,
        dbt_valid_to, dbt_updated_at): the build's as-of date, so a customer's
        membership reads "valid from the build as of 2026-05-01", a rebuild of
        the same files stamps (and changes) nothing, and history is in
        business time whenever the build runs. Overrides dbt-duckdb's
        current_timestamp; only this project's snapshots call it.
    -#}
    {%- set as_of_date = none -%}
    {%- set relation = graph_relation('model.customer_segmentation.stg_raw__as_of_date') -%}
    {%- if relation is not none -%}
        {%- set as_of_date = run_query('select as_of_date from ' ~ relation).columns[0].values()[0] -%}
    {%- endif -%}
    cast({{ 'null' if as_of_date is none else sql_string(as_of_date) }} as timestamp)
{%- endmacro %}


{% macro persistent_nodes() -%}
    {#- The nodes tagged `persistent`: tables no build can regenerate. -#}
    {%- set nodes = [] -%}
    {%- for node in graph.get('nodes', {}).values() if 'persistent' in node.tags -%}
        {%- do nodes.append(node) -%}
    {%- endfor -%}
    {{- return(nodes | sort(attribute='alias')) -}}
{%- endmacro %}


{% macro persistent_backup_dir() -%}
    {#- Where the published version BI reads keeps its copy of the persistent tables. -#}
    {{- return(publish_dir() ~ '/current/persistent') -}}
{%- endmacro %}


{% macro restore_persistent_tables() -%}
    {#-
        on-run-start, after validate_vars: a persistent table the warehouse
        lacks (a new warehouse file, a deleted one) is restored from the copy
        the published version carries, before any model reads it. A table the
        warehouse holds is never overwritten: it is as new as any copy.
    -#}
    {%- if execute is not sameas true -%}
        {{- return('') -}}
    {%- endif -%}
    {%- for node in persistent_nodes() -%}
        {%- set relation = adapter.get_relation(
            database=node.database, schema=node.schema, identifier=node.alias
        ) -%}
        {%- set backup = persistent_backup_dir() ~ '/' ~ node.alias ~ '.parquet' -%}
        {%- if relation is none and run_query(
            'select count(*) from glob(' ~ sql_string(backup) ~ ')'
        ).columns[0].values()[0] > 0 -%}
            {%- set target = api.Relation.create(
                database=node.database, schema=node.schema, identifier=node.alias
            ) -%}
            {%- do run_query(
                'create schema if not exists ' ~ target.without_identifier() ~ '; '
                ~ 'create table ' ~ target ~ ' as select * from read_parquet('
                ~ sql_string(backup) ~ ')'
            ) -%}
            {#- dbt listed the warehouse's tables before this hook: tell it of this one. -#}
            {%- do adapter.cache_added(target.incorporate(type='table')) -%}
            {%- do log('Restored ' ~ node.alias ~ ' from ' ~ backup
                ~ ' (the warehouse had no copy of it)', info=true) -%}
        {%- endif -%}
    {%- endfor -%}
    {{- return('') -}}
{%- endmacro %}


{% macro recorded_snapshot(source_relation, empty_columns) -%}
    {#-
        A select of every row of a history snapshot, read through its source
        `source_relation` (so the lineage shows it), or of no row, with the
        snapshot's columns typed as in `empty_columns` (name: type), while no
        build has recorded one yet.
    -#}
    {%- if graph_relation('snapshot.customer_segmentation.' ~ source_relation.identifier) -%}
        select * from {{ source_relation }}
    {%- else -%}
        select
            {%- for name, data_type in empty_columns.items() %}
            cast(null as {{ data_type }}) as {{ name }}{{ ',' if not loop.last }}
            {%- endfor %}
        where false
    {%- endif -%}
{%- endmacro %}


{% macro set_persistent_tables() -%}
    {#-
        publish_marts' pre-hook: hands the model the persistent tables to copy
        into the version, as a JSON object of name to relation (a Python model
        cannot read dbt's graph).
    -#}
    {%- set tables = {} -%}
    {%- for node in persistent_nodes() -%}
        {%- do tables.update({node.alias: api.Relation.create(
            database=node.database, schema=node.schema, identifier=node.alias
        ) | string}) -%}
    {%- endfor -%}
    set variable publish_persistent_tables = {{ sql_string(tojson(tables)) }}
{%- endmacro %}


{% macro refuse_unrecorded_publish() -%}
    {#-
        publish_marts' pre-hook, after refuse_failed_publish: stops a publish of
        marts that history does not hold. `dbt run` runs no snapshots, so it
        would publish a build whose history marts still end at the build
        before; `dbt build` records the build first.
    -#}
    {%- set recorded = graph_relation('snapshot.customer_segmentation.segment_memberships_snapshot') -%}
    {%- if is_empty_build() -%}
        {{- return('select 1') -}}
    {%- endif -%}
    select error(
        'Publish refused, BI keeps the version published before: history does not hold this'
        || ' build (' || count(*) || ' customers of customer_segments differ from what it'
        || ' recorded); the snapshots record it: run `dbt build`, or `dbt snapshot` then'
        || ' `dbt run --select publish_marts`.'
    )
    from {{ ref('customer_segments') }} as customer_segments
    {%- if recorded is none %}
    where true
    {%- else %}
    full outer join (
        select customer_id, segment_key
        from {{ recorded }}
        where dbt_valid_to is null and data_set = {{ sql_string(data_set()) }}
    ) as recorded
        on customer_segments.customer_id = recorded.customer_id
    where customer_segments.segment_key is distinct from recorded.segment_key
    {%- endif %}
    having count(*) > 0
{%- endmacro %}
