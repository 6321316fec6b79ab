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


{% macro history_input(snapshot_name, columns, replaced='false') -%}
    {#-
        What a history snapshot is handed: this build's rows (the caller's CTE
        `this_build`) when it is a new build (the caller's CTE `build`, from
        int_history__this_build), and every currently valid row of the snapshot
        it does not replace (`replaced`, SQL over the snapshot's columns: the
        memberships of this build's data set; nothing for a per-build snapshot,
        whose new build only adds rows). So `hard_deletes: invalidate` closes
        only rows this build replaces, never another data set's or another
        build's. When the build is no new build (the same as the last recorded
        one), and under `dbt build --empty` (its refs are empty), every valid row
        is handed back and the snapshot changes nothing.
    -#}
    {%- set relation = graph_relation('snapshot.customer_segmentation.' ~ snapshot_name) -%}
    {%- set is_new_build = '(select coalesce(any_value(build.is_new_build), false) from build)' -%}
    select {{ columns | join(', ') }}
    from this_build
    where {{ is_new_build }}
    {%- if relation is not none %}
    union all
    select {{ columns | join(', ') }}
    from {{ relation }}
    where
        dbt_valid_to is null
        and not ({{ is_new_build }} and ({{ replaced }}))
    {%- endif -%}
{%- endmacro %}


{% macro duckdb__snapshot_get_time() -%}
    {#-
        The stamp of every snapshot row this build writes (dbt_valid_from,
        dbt_valid_to, dbt_updated_at): the build's place in history
        (int_history__this_build.recorded_at), its as-of date rather than the
        wall clock, so a customer's membership reads "valid from the build as of
        2026-05-01", history is in business time whenever the build runs, and a
        rebuild of the same files stamps (and changes) nothing. Overrides
        dbt-duckdb's current_timestamp; only this project's snapshots call it.
    -#}
    {%- set recorded_at = none -%}
    {%- set relation = graph_relation('model.customer_segmentation.int_history__this_build') -%}
    {%- if relation is not none -%}
        {%- set rows = run_query('select recorded_at from ' ~ relation).columns[0].values() -%}
        {%- set recorded_at = rows[0] if rows | length > 0 else none -%}
    {%- endif -%}
    cast({{ 'null' if recorded_at is none else sql_string(recorded_at) }} as timestamp)
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
    {%- do published_version() -%}
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
    {%- set recorded = graph_relation(
        'snapshot.customer_segmentation.segment_memberships_snapshot'
    ) -%}
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
