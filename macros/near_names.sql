{#
    The name a user most likely meant: a misspelt var (macros/var_names.sql),
    a required column the file has under another name (macros/raw_files.sql).
#}

{% macro nearest_name(name, known) -%}
    {#-
        The name of `known` that `name` most likely misspells, or none (a var
        name, a column name). Jinja has no difflib, so DuckDB ranks: first
        the names holding every word of `name` (`eps` -> dbscan_eps, `min_age`
        -> min_customer_age), then the Jaro-Winkler similarity, which forgives
        a dropped or doubled letter (`dbscan_epss`); below 0.85 nothing is
        offered.
    -#}
    {%- set words = name | lower | trim | replace('-', '_') | replace(' ', '_') -%}
    {%- set candidates = [] -%}
    {%- for candidate in known -%}
        {%- do candidates.append(sql_string(candidate)) -%}
    {%- endfor -%}
    {%- if not candidates -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set ranked = run_query(
        'select candidate from (select candidate, list_has_all(string_split(candidate, '
        ~ "'_'), string_split(" ~ sql_string(words) ~ ", '_')) as has_words,"
        ~ ' jaro_winkler_similarity(' ~ sql_string(words) ~ ', candidate) as similarity'
        ~ ' from unnest([' ~ candidates | join(', ') ~ ']) as known_names (candidate))'
        ~ ' where has_words or similarity >= 0.85'
        ~ ' order by has_words desc, similarity desc, candidate limit 1'
    ) -%}
    {{- return(ranked.columns[0].values()[0] if ranked.rows | length > 0 else none) -}}
{%- endmacro %}


{% macro renamed_column_hint(missing, found, contract) -%}
    {#-
        For a required column the file lacks, the file's column that most
        likely is it under another name (macro nearest_name): one the contract
        does not know (`transaction_dt` for transaction_date).
    -#}
    {%- set names = contract | map(attribute='name') | list -%}
    {%- set unknown = {} -%}
    {%- for column in found if column | trim | lower not in names -%}
        {%- do unknown.update({column | trim | lower: column}) -%}
    {%- endfor -%}
    {%- set hints = [] -%}
    {%- for column in missing -%}
        {%- set near = nearest_name(column, unknown.keys() | list) -%}
        {%- if near -%}
            {%- do hints.append(
                ' Column ' ~ unknown[near] ~ ' is likely ' ~ column ~ ': rename it.'
            ) -%}
        {%- endif -%}
    {%- endfor -%}
    {{- return(hints | join('')) -}}
{%- endmacro %}
