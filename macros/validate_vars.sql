{#
    Every var checked before any work starts (on-run-start in dbt_project.yml).

    A bad value otherwise fails deep in a model with an engine message that
    does not name the var (as_of_date: 'not-a-date'), or is quietly replaced
    (dbscan_min_samples: 0 ran as 2), or reaches scikit-learn (dbscan_eps: -1).
    Each var has one line in var_rules(); a new var needs one more line.
    A var pasted into SQL is code: a text one is quoted where it is used
    (sql_string) or, where SQL needs it bare (a memory size in SET), held to
    a pattern here (var_patterns), so no value runs as SQL of its own.
#}

{% macro var_rules() -%}
    {#-
        One rule per var: `is` the kind of value (text, choice, list, date,
        integer, number, boolean, features), bounds `min`, `max` (inclusive)
        or `above` (exclusive), `choices`, and `null` (what null means) when
        null is allowed; a text may have to match a `pattern` (var_patterns),
        and `remote_allowed_by` names the var without which a URL is refused.
        `python_model` names the Python model that reads the var, or lists the
        models that do: their pre-hook hands it over
        (macros/python_model_settings.sql).
        Defaults stay in dbt_project.yml.
    -#}
    {%- set id_steps = customer_id_normalizations().keys() | list | sort -%}
    {#- Both clustering models read the clustering vars: one refits, the other scores. -#}
    {%- set clustering = ['customer_clusters_dbscan', 'customer_clusters_scored'] -%}
    {{- return([
        {'var': 'raw_data_path', 'is': 'text', 'remote_allowed_by': 'raw_data_allow_remote'},
        {'var': 'raw_data_allow_remote', 'is': 'boolean'},
        {'var': 'currency', 'is': 'text', 'pattern': 'currency_code'},
        {'var': 'data_set', 'is': 'text', 'pattern': 'data_set_name', 'null': 'the raw_data_path'},
        {'var': 'raw_file_format', 'is': 'choice', 'choices': ['csv', 'parquet']},
        {'var': 'raw_file_pattern', 'is': 'text', 'pattern': 'file_pattern',
            'null': '{name}.<raw_file_format>'},
        {'var': 'raw_csv_delimiter', 'is': 'choice', 'choices': [',', ';', '\t', '|']},
        {'var': 'raw_csv_encoding', 'is': 'choice', 'choices': ['utf-8', 'latin-1', 'utf-16']},
        {'var': 'as_of_date', 'is': 'date', 'null': 'derived from the data'},
        {'var': 'as_of_tolerance_days', 'is': 'integer', 'min': 0},
        {'var': 'as_of_date_quantile', 'is': 'number', 'min': 0, 'max': 1},
        {'var': 'min_valid_date', 'is': 'date'},
        {'var': 'max_abs_amount', 'is': 'number', 'above': 0},
        {'var': 'min_customer_age', 'is': 'integer', 'min': 0},
        {'var': 'max_customer_age', 'is': 'integer', 'min': 1},
        {'var': 'min_credit_score', 'is': 'integer', 'min': 0},
        {'var': 'max_credit_score', 'is': 'integer', 'min': 1},
        {'var': 'max_reject_share', 'is': 'number', 'min': 0, 'max': 1},
        {'var': 'id_null_markers', 'is': 'texts'},
        {'var': 'customer_id_normalization', 'is': 'list', 'choices': id_steps,
            'null': 'ids are only trimmed'},
        {'var': 'engagement_window_months', 'is': 'integer', 'min': 1, 'max': 63},
        {'var': 'clustering_mode', 'is': 'choice', 'choices': ['refit', 'score'],
            'python_model': clustering},
        {'var': 'cluster_features', 'is': 'features', 'null': 'chosen from the data',
            'python_model': clustering},
        {'var': 'feature_min_coverage', 'is': 'number', 'min': 0, 'max': 1,
            'python_model': clustering},
        {'var': 'feature_max_dominant_share', 'is': 'number', 'above': 0, 'max': 1,
            'python_model': clustering},
        {'var': 'feature_max_rank_correlation', 'is': 'number', 'above': 0, 'max': 1,
            'python_model': clustering},
        {'var': 'feature_min_primary', 'is': 'integer', 'min': 1, 'python_model': clustering},
        {'var': 'feature_flag_zero_share', 'is': 'number', 'min': 0, 'max': 1,
            'python_model': clustering},
        {'var': 'feature_heap_min_share', 'is': 'number', 'above': 0, 'max': 1,
            'python_model': clustering},
        {'var': 'feature_discrete_share', 'is': 'number', 'above': 0, 'max': 1,
            'python_model': clustering},
        {'var': 'dbscan_eps', 'is': 'number', 'above': 0, 'null': 'chosen from the data',
            'python_model': clustering},
        {'var': 'dbscan_min_samples', 'is': 'integer', 'min': 2,
            'null': 'chosen from the data', 'python_model': clustering},
        {'var': 'dbscan_max_exact_rows', 'is': 'integer', 'min': 1, 'python_model': clustering},
        {'var': 'dbscan_sample_rows', 'is': 'integer', 'min': 2, 'python_model': clustering},
        {'var': 'dbscan_chunk_rows', 'is': 'integer', 'min': 1, 'python_model': clustering},
        {'var': 'dbscan_search_rows', 'is': 'integer', 'min': 2, 'python_model': clustering},
        {'var': 'dbscan_max_noise_share', 'is': 'number', 'above': 0, 'max': 1,
            'python_model': clustering},
        {'var': 'dbscan_max_largest_cluster_share', 'is': 'number', 'above': 0, 'max': 1,
            'python_model': clustering},
        {'var': 'dbscan_random_state', 'is': 'integer', 'min': 0, 'python_model': clustering},
        {'var': 'clustering_duckdb_memory_limit', 'is': 'text', 'pattern': 'memory_size'},
        {'var': 'segment_min_share', 'is': 'number', 'min': 0, 'max': 1,
            'python_model': clustering},
        {'var': 'segment_min_count', 'is': 'integer', 'min': 1, 'python_model': clustering},
        {'var': 'segment_max_count', 'is': 'integer', 'min': 1, 'python_model': clustering},
        {'var': 'segment_stability_resamples', 'is': 'integer', 'min': 0,
            'python_model': clustering},
        {'var': 'segment_stability_rows', 'is': 'integer', 'min': 2, 'python_model': clustering},
        {'var': 'segment_stable_jaccard', 'is': 'number', 'min': 0, 'max': 1},
        {'var': 'segment_noise_cluster_id', 'is': 'choice', 'choices': [-1]},
        {'var': 'segment_noise_name', 'is': 'text', 'pattern': 'one_line_name'},
        {'var': 'segment_name_descriptors', 'is': 'integer', 'min': 1},
        {'var': 'segment_material_z', 'is': 'number', 'min': 0},
        {'var': 'segment_borrower_min_share', 'is': 'number', 'above': 0, 'max': 1},
        {'var': 'segment_stat_decimals', 'is': 'integer', 'min': 0, 'max': 9},
        {'var': 'segment_zscore_winsor_quantile', 'is': 'number', 'min': 0, 'max': 0.5},
        {'var': 'segment_key_min_overlap', 'is': 'number', 'above': 0, 'max': 1},
        {'var': 'min_source_match_share', 'is': 'number', 'min': 0, 'max': 1},
        {'var': 'publish_max_customer_change', 'is': 'number', 'min': 0},
        {'var': 'publish_max_segment_count_change', 'is': 'integer', 'min': 0},
        {'var': 'publish_max_outlier_share_change', 'is': 'number', 'min': 0, 'max': 1},
        {'var': 'publish_max_reshuffle_share', 'is': 'number', 'min': 0, 'max': 1},
        {'var': 'publish_override', 'is': 'boolean'},
        {'var': 'publish_keep_versions', 'is': 'integer', 'min': 1,
            'python_model': 'publish_marts'},
    ]) -}}
{%- endmacro %}


{% macro cluster_feature_columns() -%}
    {#- The features clustering may use: customer_features' contracted numeric columns. -#}
    {%- set columns = graph.nodes['model.customer_segmentation.customer_features'].columns -%}
    {%- set numeric = [] -%}
    {%- for name, column in columns.items() -%}
        {%- if (column.data_type or '') | lower not in ['varchar', 'date', 'boolean'] -%}
            {%- do numeric.append(name) -%}
        {%- endif -%}
    {%- endfor -%}
    {{- return(numeric) -}}
{%- endmacro %}


{% macro describe_rule(rule) -%}
    {#- What a rule allows, in words, for the message. -#}
    {%- set kind = rule['is'] -%}
    {%- if kind in ['integer', 'number'] -%}
        {%- set words = ('an integer' if kind == 'integer' else 'a number')
            ~ (' above ' ~ rule['above'] if 'above' in rule else '')
            ~ (' of at least ' ~ rule['min'] if 'min' in rule and 'above' not in rule else '')
            ~ (' and at most ' ~ rule['max'] if 'max' in rule else '') -%}
    {%- elif kind == 'choice' -%}
        {%- set words = 'one of ' ~ rule['choices'] | map('tojson') | join(', ') -%}
    {%- elif kind == 'list' -%}
        {%- set words = 'a list of ' ~ rule['choices'] | join(', ') -%}
    {%- elif kind == 'features' -%}
        {%- set words = 'a list of columns of customer_features: '
            ~ cluster_feature_columns() | join(', ') -%}
    {%- elif kind == 'date' -%}
        {%- set words = 'a date written YYYY-MM-DD' -%}
    {%- elif kind == 'boolean' -%}
        {%- set words = 'true or false' -%}
    {%- elif kind == 'texts' -%}
        {%- set words = 'a list of texts (an empty list for none)' -%}
    {%- else -%}
        {%- set words = text_rule_words(rule) -%}
    {%- endif -%}
    {%- if 'null' in rule -%}
        {%- set words = words ~ ', or null (' ~ rule['null'] ~ ')' -%}
    {%- endif -%}
    {{- return(words) -}}
{%- endmacro %}


{% macro var_problem(rule, value) -%}
    {#-
        Why `value` breaks `rule`, or an empty string when it is fine. One
        expression per kind, evaluated only for its kind, so a number is never
        compared with a text.
    -#}
    {%- set kind = rule['is'] -%}
    {%- set numeric = value is number and value is not boolean
        and (kind != 'integer' or value is integer) -%}
    {%- set problem = ('' if 'null' in rule else 'it must be set') if value is none
        else (('it is not ' ~ ('an integer' if kind == 'integer' else 'a number'))
            if not numeric else ('it is out of range' if out_of_range(rule, value) else ''))
        if kind in ['integer', 'number']
        else ('' if value is boolean else 'it is not true or false') if kind == 'boolean'
        else ('' if value in rule['choices'] else 'it is not one of the choices')
        if kind == 'choice'
        else list_problem(value, rule.get('choices') or cluster_feature_columns())
        if kind in ['list', 'features']
        else ('' if is_date(value) else 'it is not a date') if kind == 'date'
        else texts_problem(value) if kind == 'texts'
        else ('' if value is string and value | trim != '' else 'it is not a non-empty text')
    -%}
    {{- return(problem) -}}
{%- endmacro %}


{% macro out_of_range(rule, value) -%}
    {{- return(('above' in rule and value <= rule['above'])
        or ('min' in rule and value < rule['min'])
        or ('max' in rule and value > rule['max'])) -}}
{%- endmacro %}


{% macro list_problem(value, allowed) -%}
    {#- A comma-separated text is read as a list, as the clustering reads it. -#}
    {%- set items = value.split(',') | map('trim') | reject('equalto', '') | list
        if value is string else value -%}
    {%- if items is not sequence or items | length == 0 -%}
        {{- return('it is not a list') -}}
    {%- endif -%}
    {%- set unknown = items | reject('in', allowed) | map('string') | list -%}
    {{- return('unknown: ' ~ unknown | join(', ') if unknown else '') -}}
{%- endmacro %}


{% macro is_date(value) -%}
    {#- Parsed by DuckDB, as the models will parse it; YAML may already give a date. -#}
    {%- set parsed = run_query(
        'select try_strptime(' ~ sql_string(value | string) ~ ", '%Y-%m-%d')"
    ) -%}
    {{- return(parsed.columns[0].values()[0] is not none) -}}
{%- endmacro %}


{% macro var_patterns() -%}
    {#-
        The patterns a text var may have to match (a rule's `pattern`), each
        with the words the message uses. Python's re, matched whole.
    -#}
    {{- return({
        'memory_size': {
            'regex': '(?i)(?=[^1-9]*[1-9])[0-9]+([.][0-9]+)? ?(KB|MB|GB|TB|KiB|MiB|GiB|TiB)',
            'means': 'a memory size such as 1GB, 512MB or 1.5GiB',
        },
        'currency_code': {
            'regex': '[A-Z]{3}',
            'means': 'a three-letter ISO 4217 code such as EUR or USD',
        },
        'file_pattern': {
            'regex': '[^{}]*[{]name[}][^{}]*',
            'means': "a file name or glob holding {name} (the source) and no other brace,"
                ~ " e.g. '{name}/*.parquet'",
        },
        'data_set_name': {
            'regex': '[A-Za-z0-9_. /:-]{1,200}',
            'means': 'a name of letters, digits, spaces and _ . / : - (at most 200)',
        },
        'one_line_name': {
            'regex': '[^\\x00-\\x1f\\x7f]{1,80}',
            'means': 'a name of at most 80 characters on one line',
        },
    }) -}}
{%- endmacro %}


{% macro text_rule_words(rule) -%}
    {#- What a text var allows, in words: its pattern's, a local folder, or any text. -#}
    {%- if 'pattern' in rule -%}
        {{- return(var_patterns()[rule['pattern']]['means']) -}}
    {%- elif 'remote_allowed_by' in rule -%}
        {{- return('a local folder (copy remote files into one), or a URL with var '
            ~ rule['remote_allowed_by'] ~ ': true to read them over the network') -}}
    {%- endif -%}
    {{- return('a non-empty text') -}}
{%- endmacro %}


{% macro text_rule_problem(rule, value) -%}
    {#-
        Why a text that passed var_problem still breaks its rule: it does not
        match the rule's pattern, or it is a URL (scheme://...) the rule refuses
        unless its var allows it. Empty when fine.
    -#}
    {%- if value is not string -%}
        {{- return('') -}}
    {%- elif 'pattern' in rule
        and not modules.re.fullmatch(var_patterns()[rule['pattern']]['regex'], value) -%}
        {{- return('it has another form') -}}
    {%- elif 'remote_allowed_by' in rule and modules.re.match('[A-Za-z][A-Za-z0-9+.-]*://', value)
        and var(rule['remote_allowed_by']) is not true -%}
        {{- return('it is a URL, and var ' ~ rule['remote_allowed_by'] ~ ' is not true') -}}
    {%- endif -%}
    {{- return('') -}}
{%- endmacro %}


{% macro texts_problem(value) -%}
    {#- A list of non-empty texts; an empty list is fine. -#}
    {%- if value is string or value is mapping or value is not sequence -%}
        {{- return('it is not a list') -}}
    {%- endif -%}
    {%- set bad = [] -%}
    {%- for item in value if item is not string or item | trim == '' -%}
        {%- do bad.append(tojson(item)) -%}
    {%- endfor -%}
    {{- return('not a non-empty text: ' ~ bad | join(', ') if bad else '') -}}
{%- endmacro %}


{% macro validate_vars() -%}
    {#-
        Fails the build before any model runs, listing every var set under an
        unknown name, every bad var with its value and what is allowed, and
        every min/max pair that contradicts itself. Runs as on-run-start, so
        `dbt build`, `run` and `test` all check.
    -#}
    {%- if not execute -%}
        {{- return('') -}}
    {%- endif -%}
    {#- Names first (macros/var_names.sql): a misspelt var is why a value looks unset. -#}
    {%- set problems = unknown_var_problems() -%}
    {%- for rule in var_rules() -%}
        {%- set value = var(rule['var'], none) -%}
        {%- set problem = var_problem(rule, value) or text_rule_problem(rule, value) -%}
        {%- if problem -%}
            {%- do problems.append(
                "\n  - var " ~ rule['var'] ~ " is " ~ tojson(value) ~ " (" ~ problem
                ~ "); it must be " ~ describe_rule(rule)
            ) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- do problems.extend(var_pair_problems()) -%}
    {%- if problems -%}
        {%- do exceptions.raise_compiler_error(
            "Bad setting, nothing was built:" ~ problems | join('') ~ "\nFix it in"
            ~ " dbt_project.yml or --vars (the comments there say what each var does)."
        ) -%}
    {%- endif -%}
    {{- return('') -}}
{%- endmacro %}
