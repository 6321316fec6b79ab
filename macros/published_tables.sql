{#
    How analyses name the marts: by table name alone, so their compiled SQL runs
    against the published copy BI reads (docs/for-bi-users.md) as well as the
    warehouse.
#}

{% macro published_table(model_name) -%}
    {#-
        A published mart for an analysis: ref() keeps the lineage, but the
        catalog and schema it would print ("segmentation"."main") exist only in
        the warehouse; the published segments.duckdb holds the same tables in
        its default schema. Only what publish_marts copies is there
        (tests/python/test_analyses.py runs every analysis on it).
    -#}
    {{- return(ref(model_name).include(database=false, schema=false)) -}}
{%- endmacro %}
