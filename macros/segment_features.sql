{#-
    The numeric columns of a relation (customer_id excluded): the features
    segment_profiles profiles and the naming rules may use. Read from the
    relation, so a feature added to customer_features needs no edit here.
    `execute is sameas true`: linters render with a placeholder `execute`
    and no adapter, and get an empty list.
-#}
{% macro segment_numeric_features(relation) %}
    {%- set numeric_type_prefixes = [
        'tinyint', 'smallint', 'integer', 'bigint', 'hugeint', 'utinyint', 'usmallint',
        'uinteger', 'ubigint', 'float', 'double', 'real', 'decimal', 'numeric'
    ] -%}
    {%- set feature_names = [] -%}
    {%- if execute is sameas true -%}
        {%- for column in adapter.get_columns_in_relation(relation) -%}
            {%- set data_type = column.data_type | lower -%}
            {%- for prefix in numeric_type_prefixes -%}
                {%- if data_type.startswith(prefix) and column.name | lower != 'customer_id'
                    and column.name not in feature_names -%}
                    {%- do feature_names.append(column.name) -%}
                {%- endif -%}
            {%- endfor -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(feature_names) }}
{% endmacro %}
