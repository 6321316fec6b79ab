{#
    Hands a Python model the vars it reads, as one JSON DuckDB variable.

    A Python model gets only the config keys named in literal dbt.config.get
    calls, and YAML config renders a var as text, once, at parse time. A
    pre-hook renders when the model runs, with the invocation's vars: it sets
    `<model>_settings` to a JSON object of every var whose rule in var_rules()
    (macros/validate_vars.sql) names the model in `python_model` (one name, or
    a list when several models read the var). The model reads it with
    segmentation.model_settings.read_settings and parses it at its edge.
    Defaults stay in dbt_project.yml; validate_vars has checked every value
    before any model runs. Run it outside the model's transaction
    (transaction: false), as the model's other hooks.
#}

{% macro python_model_settings(model_name) -%}
    {#- The vars `model_name` reads, by name, with this invocation's values. -#}
    {%- set settings = {} -%}
    {%- for rule in var_rules() if rule.get('python_model') -%}
        {%- set readers = rule['python_model'] -%}
        {%- if model_name in ([readers] if readers is string else readers) -%}
            {%- do settings.update({rule['var']: var(rule['var'])}) -%}
        {%- endif -%}
    {%- endfor -%}
    {{- return(settings) -}}
{%- endmacro %}


{% macro set_python_model_settings() -%}
    set variable {{ model.name }}_settings = {{ sql_string(tojson(python_model_settings(model.name))) }}
{%- endmacro %}
