{#
    Var names and pairs, checked with the values by validate_vars() before any
    work starts.

    dbt ignores a var nobody reads, so a misspelt one (`dbscan_epss: 0.5`)
    used to build and publish with the default in its place. Every var set in
    --vars or dbt_project.yml must be one var_rules() knows; a near name is
    offered. Two vars that bound one range (a min and its max) must not
    contradict each other, or every value falls outside it.
#}

{% macro unknown_var_problems() -%}
    {#- One problem line per var set under a name no rule knows, with where it was set. -#}
    {%- set known = var_rules() | map(attribute='var') | list -%}
    {%- set given = [] -%}
    {%- for name in project_var_names() -%}
        {%- do given.append((name, 'dbt_project.yml')) -%}
    {%- endfor -%}
    {%- for name in (invocation_args_dict.get('vars') or {}).keys() -%}
        {%- do given.append((name, '--vars')) -%}
    {%- endfor -%}
    {%- set problems = [] -%}
    {%- for name, where in given if name not in known -%}
        {%- set near = nearest_name(name, known) -%}
        {%- do problems.append(
            "\n  - var " ~ name ~ " (in " ~ where ~ ") is not a var of this project"
            ~ ("; did you mean " ~ near ~ "?" if near else "; the vars are listed in"
                ~ " dbt_project.yml")
        ) -%}
    {%- endfor -%}
    {{- return(problems) -}}
{%- endmacro %}


{% macro project_var_names() -%}
    {#-
        The var names dbt_project.yml sets: read from the file, as dbt's `var`
        does not list them. A key holding a mapping scopes vars to a project
        (`customer_segmentation: {...}`); its keys count.
    -#}
    {%- set path = invocation_args_dict.get('project_dir') ~ '/dbt_project.yml' -%}
    {%- set text = run_query(
        'select content from read_text(' ~ sql_string(path) ~ ')'
    ).columns[0].values()[0] -%}
    {%- set names = [] -%}
    {%- for name, value in (fromyaml(text).get('vars') or {}).items() -%}
        {%- if value is mapping -%}
            {%- do names.extend(value.keys() | list) -%}
        {%- else -%}
            {%- do names.append(name) -%}
        {%- endif -%}
    {%- endfor -%}
    {{- return(names) -}}
{%- endmacro %}


{% macro var_pairs() -%}
    {#-
        (lower, upper) pairs of vars that bound one range: every var whose name
        has the word `min` and a var of the same name with `max` instead, and
        the as-of date, which must not be before the earliest valid date.
    -#}
    {%- set known = var_rules() | map(attribute='var') | list -%}
    {%- set pairs = [('min_valid_date', 'as_of_date')] -%}
    {%- for name in known if 'min' in name.split('_') -%}
        {%- set words = name.split('_') -%}
        {%- set upper = words | map('replace', 'min', 'max') | join('_') -%}
        {%- if upper in known -%}
            {%- do pairs.append((name, upper)) -%}
        {%- endif -%}
    {%- endfor -%}
    {{- return(pairs) -}}
{%- endmacro %}


{% macro var_pair_problems() -%}
    {#-
        One problem line per pair whose lower var is above its upper one.
        Pairs with a null or a value its own rule refuses are left to that
        rule's message. Dates compare as DuckDB parses them.
    -#}
    {%- set rules = {} -%}
    {%- for rule in var_rules() -%}
        {%- do rules.update({rule['var']: rule}) -%}
    {%- endfor -%}
    {%- set problems = [] -%}
    {%- for lower, upper in var_pairs() -%}
        {%- set low = var(lower, none) -%}
        {%- set high = var(upper, none) -%}
        {%- set checkable = low is not none and high is not none
            and not var_problem(rules[lower], low) and not var_problem(rules[upper], high) -%}
        {%- if checkable and pair_is_reversed(rules[lower], low, high) -%}
            {%- do problems.append(
                "\n  - vars " ~ lower ~ " (" ~ low ~ ") and " ~ upper ~ " (" ~ high
                ~ ") contradict each other: " ~ lower ~ " must be at most " ~ upper
            ) -%}
        {%- endif -%}
    {%- endfor -%}
    {{- return(problems) -}}
{%- endmacro %}


{% macro pair_is_reversed(rule, low, high) -%}
    {#- Whether `low` is above `high`; both have passed their rules. -#}
    {%- if rule['is'] == 'date' -%}
        {{- return(run_query(
            'select cast(' ~ sql_string(low | string) ~ ' as date) > cast('
            ~ sql_string(high | string) ~ ' as date)'
        ).columns[0].values()[0]) -}}
    {%- endif -%}
    {{- return(low > high) -}}
{%- endmacro %}
