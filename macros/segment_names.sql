{% macro segment_difference_phrases(
    groups, leader_column, condition, skip_features='cast([] as varchar[])'
) %}
    {#-
        For each cluster of `groups` that meets `condition`: how it differs most
        from the cluster in `leader_column` (or, with `leader_column` none, from
        the population), as a phrase of seed feature_labels ("bigger baskets",
        "less recent"). Only a material difference counts: an effect size of at
        least var segment_material_z (the gap in winsorised means over the two
        clusters' pooled spread; against the population, the z-score) that holds
        on the mean and the median too, in a direction that is also true of the
        cluster against the population, so the phrase reads true on its own. A
        feature the cluster's name already speaks of (the caller's CTE
        name_features) is never phrased against the name's direction ("Younger
        customers (older)"), and in its direction only against a leader and when
        no other feature tells the two apart ("Low-limit borrowers (lower
        limit)": lower still); any feature in the list expression
        `skip_features` (one an earlier phrase used) is passed over. The largest
        effect wins; ties go to the feature name, so reruns agree. Reads the
        caller's CTEs cluster_profiles, feature_labels and name_features. Used
        where two segments would otherwise share a name
        (int_segments__cluster_names).
    -#}
    {%- if leader_column is none -%}
        {%- set gap = 'own.z_score' -%}
        {%- set effect = 'own.z_score' -%}
        {%- set leader_mean, leader_median = 'own.population_mean', 'own.population_median' -%}
    {%- else -%}
        {%- set gap = '(own.z_score - leader.z_score)' -%}
        {#- Equal spreads of 0 make any gap material: both clusters sit on one value each. -#}
        {%- set effect = gap ~ ' / coalesce(nullif(sqrt((power(own.relative_spread, 2)'
            ~ ' + power(leader.relative_spread, 2)) / 2), 0), 1e-9)' -%}
        {%- set leader_mean, leader_median = 'leader.feature_mean', 'leader.feature_median' -%}
    {%- endif -%}
    {%- set direction = 'sign(' ~ gap ~ ')' -%}
    {%- set against_leader = 'false' if leader_column is none else 'true' -%}
    select
        {{ groups }}.cluster_id,
        own.feature_name as difference_feature,
        case
            when {{ gap }} > 0 then feature_labels.higher_phrase
            else feature_labels.lower_phrase
        end as difference_phrase
    from {{ groups }}
    inner join cluster_profiles as own
        on {{ groups }}.cluster_id = own.cluster_id
    {% if leader_column is not none -%}
        inner join cluster_profiles as leader
            on
                {{ groups }}.{{ leader_column }} = leader.cluster_id
                and own.feature_name = leader.feature_name
    {% endif -%}
    inner join feature_labels
        on own.feature_name = feature_labels.feature_name
    left join name_features
        on
            {{ groups }}.cluster_id = name_features.cluster_id
            and own.feature_name = name_features.feature_name
    where
        {{ groups }}.{{ condition }}
        and (
            name_features.feature_name is null
            or ({{ against_leader }} and name_features.direction = {{ direction }})
        )
        and not list_contains({{ skip_features }}, own.feature_name)
        and abs({{ effect }}) >= {{ var('segment_material_z') }}
        and sign(own.z_score) = {{ direction }}
        and coalesce({{ difference_holds(
            direction, 'own.feature_mean', leader_mean, 'own.feature_median', leader_median
        ) }}, false)
        and coalesce({{ difference_holds(
            direction,
            'own.feature_mean',
            'own.population_mean',
            'own.feature_median',
            'own.population_median'
        ) }}, false)
    qualify row_number() over (
        partition by {{ groups }}.cluster_id
        order by
            name_features.feature_name is not null,
            abs({{ effect }}) desc,
            own.feature_name asc
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


{% macro difference_holds(direction, mean, reference_mean, median, reference_median) %}
    {#-
        Whether a difference in the `direction` of a z-score (1 higher, -1 lower, 0 none
        claimed) also holds on the mean and the median in original units: the mean lies
        on that side of the reference mean, and the median is not on the other side of
        the reference median. A z-score compares winsorised values, so without this a
        few extreme customers can make "high-balance" of a segment whose median balance
        is lower. True when no direction is claimed; null (not holding) when a value is
        missing.
    -#}
    (
        {{ direction }} = 0
        or (
            {{ direction }} * ({{ mean }} - {{ reference_mean }}) > 0
            and {{ direction }} * ({{ median }} - {{ reference_median }}) >= 0
        )
    )
{%- endmacro %}


{% macro claimed_direction(operator, threshold) %}
    {#-
        The direction a seed condition claims: 1 for "at least a positive z-score",
        -1 for "at most a negative one", 0 for anything else (a bound that claims no
        difference, such as z >= -0.2).
    -#}
    case
        when {{ operator }} in ('>=', '>') and {{ threshold }} > 0 then 1
        when {{ operator }} in ('<=', '<') and {{ threshold }} < 0 then -1
        else 0
    end
{%- endmacro %}


{% macro qualified_with(name, plain_name, phrase) %}
    {#-
        `name` with one more bracketed `phrase`: "Frequent buyers (bigger baskets)",
        then "Frequent buyers (bigger baskets, less recent)"; `name` as it is when the
        phrase is null. `plain_name` is the name before any bracket.
    -#}
    case
        when {{ phrase }} is null then {{ name }}
        when {{ name }} = {{ plain_name }} then {{ plain_name }} || ' (' || {{ phrase }} || ')'
        else rtrim({{ name }}, ')') || ', ' || {{ phrase }} || ')'
    end
{%- endmacro %}
