{#
    Segment keys: what stays the same about a segment from build to build
    (models/segments/int_segments__segment_keys). Outliers always have the key
    S00; other keys are S01, S02, ... in order of first appearance in their
    data set, and a key is never given to another segment.
#}

{% macro outlier_segment_key() -%}
    {{- return("'S00'") -}}
{%- endmacro %}


{% macro segment_key_from_number(number) -%}
    {#- Key number `number` (SQL) as a key: S01 ... S99, then S100 and on. -#}
    printf('S%02d', {{ number }})
{%- endmacro %}


{% macro segment_key_number(segment_key) -%}
    {#- The number of a key (SQL); 0 for the outliers' S00. -#}
    cast(substr({{ segment_key }}, 2) as integer)
{%- endmacro %}
