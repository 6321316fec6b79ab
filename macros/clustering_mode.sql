{#
    Refit or score (var clustering_mode): which clustering model this build's
    customers come from, the check that a score build has a fit to score with,
    and the tables a refit keeps for later builds.
#}

{% macro clustered_customers() -%}
    {#-
        The Python model whose rows are this build's clusters: the refit
        (customer_clusters_dbscan) or the score build (customer_clusters_scored);
        the other returns no rows. Both have the same columns. A model calling
        this names both in `-- depends_on:` lines, so the DAG is the same in
        either mode.
    -#}
    {%- if var('clustering_mode') == 'score' -%}
        {{- return(ref('customer_clusters_scored')) -}}
    {%- endif -%}
    {{- return(ref('customer_clusters_dbscan')) -}}
{%- endmacro %}


{% macro build_diagnostics(relation) -%}
    {#-
        One row, one column `diagnostics`: the JSON a clustering Python model
        repeats on every row of `relation` (null when it returned no rows).
    -#}
    select cast(any_value(cast(build_diagnostics as varchar)) as json) as diagnostics
    from {{ relation }}
{%- endmacro %}


{% macro require_stored_fit() -%}
    {#-
        on-run-start, after validate_vars: a score build stops here, in one
        sentence naming the var, before any model runs (the score model would
        fail only after staging and the features), when the warehouse holds no
        stored fit or the latest fit uses a feature customer_features no longer
        has. Only when the score model is selected; `--empty` builds read
        nothing and need no fit.
    -#}
    {%- if not execute or var('clustering_mode') != 'score' or is_empty_build()
        or 'model.customer_segmentation.customer_clusters_scored' not in selected_resources -%}
        {{- return('') -}}
    {%- endif -%}
    {%- set fits = summary_relation('clustering_fits') -%}
    {%- set features = [] if fits is none else run_query(
        'select unnest(features) from (select features from ' ~ fits
        ~ ' order by refit_number desc limit 1)'
    ).columns[0].values() -%}
    {%- set problem = 'var clustering_mode is score but ' -%}
    {%- if features | length == 0 -%}
        {%- set problem = problem ~ 'this warehouse holds no stored clustering fit'
            ~ ' (table clustering_fits is missing or empty)' -%}
    {%- else -%}
        {%- set missing = features | reject('in', cluster_feature_columns()) | list -%}
        {%- if not missing -%}
            {{- return('') -}}
        {%- endif -%}
        {%- set problem = problem ~ 'the stored clustering fit uses '
            ~ missing | join(', ') ~ ', which customer_features no longer has' -%}
    {%- endif -%}
    {%- do exceptions.raise_compiler_error(problem ~ ', nothing was built: build once with'
        ~ ' clustering_mode: refit, the default, then score.') -%}
{%- endmacro %}
