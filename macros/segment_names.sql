{% macro segment_difference_phrases(
    groups, leader_column, condition, skip_feature='cast(null as varchar)'
) %}
    {#-
        For each cluster of `groups` that meets `condition`: how it differs most
        from the cluster in `leader_column`, as a phrase of seed feature_labels
        ("bigger baskets", "less recent"). The feature with the largest gap in
        z-score wins; ties go to the feature name, so reruns agree. A feature
        named by the SQL expression `skip_feature` is passed over, so a second phrase never
        speaks of the feature the first one did. Reads the caller's CTEs
        cluster_profiles and feature_labels. Used where two segments would
        otherwise share a name (int_segments__cluster_names).
    -#}
    select
        {{ groups }}.cluster_id,
        own.feature_name as difference_feature,
        case
            when own.z_score > leader.z_score then feature_labels.higher_phrase
            else feature_labels.lower_phrase
        end as difference_phrase
    from {{ groups }}
    inner join cluster_profiles as own
        on {{ groups }}.cluster_id = own.cluster_id
    inner join cluster_profiles as leader
        on
            {{ groups }}.{{ leader_column }} = leader.cluster_id
            and own.feature_name = leader.feature_name
    inner join feature_labels
        on own.feature_name = feature_labels.feature_name
    where
        {{ groups }}.{{ condition }}
        and own.z_score != leader.z_score
        and own.feature_name is distinct from {{ skip_feature }}
    qualify row_number() over (
        partition by {{ groups }}.cluster_id
        order by abs(own.z_score - leader.z_score) desc, own.feature_name asc
    ) = 1
{% endmacro %}


{% macro seed_condition_holds(value, operator, threshold) %}
    {#-
        Whether `value` compares with `threshold` as the seed's `operator` (>=, >, <=,
        <, =) says: how every condition of seeds segment_rules and segment_descriptors
        reads. Null when the value is missing or the operator unknown; callers treat
        that as not holding.
    -#}
    case {{ operator }}
        when '>=' then {{ value }} >= {{ threshold }}
        when '>' then {{ value }} > {{ threshold }}
        when '<=' then {{ value }} <= {{ threshold }}
        when '<' then {{ value }} < {{ threshold }}
        when '=' then {{ value }} = {{ threshold }}
    end
{%- endmacro %}


{% macro same_name_rank(name_column, rank_column, leader_column=none) %}
    {#-
        Window columns over clusters that share `name_column`: `rank_column` numbers
        them largest first and, when given, `leader_column` is the largest one's
        cluster_id. Ties go to the lower cluster_id, so reruns agree.
        Used where same-named clusters are told apart (int_segments__cluster_names).
    -#}
    {%- set largest_first -%}
        partition by {{ name_column }} order by cluster_customers desc, cluster_id asc
    {%- endset -%}
    row_number() over ({{ largest_first }}) as {{ rank_column }}
    {%- if leader_column %},
    first_value(cluster_id) over ({{ largest_first }}) as {{ leader_column }}
    {%- endif %}
{%- endmacro %}
