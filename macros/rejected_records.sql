{#
    The raw row of a rejected row, as rejected_rows keeps it for analysts to
    read: personal data stays in the base layer.
#}

{% macro raw_record_json(table_name) -%}
    {#-
        The raw row as JSON text under its contract names, from the `<column>_raw`
        columns, for rejected_rows. A column the contract marks personal is
        masked: the record is read by analysts outside the base layer, and its
        key and row number still find the raw row.
    -#}
    {%- set fields = [] -%}
    {%- for column in raw_contract_columns(table_name) -%}
        {%- set raw = column.name ~ '_raw' -%}
        {%- do fields.append(column.name ~ ' := ' ~ (
            "case when nullif(trim(" ~ raw ~ "), '') is null then " ~ raw ~ " else '<masked>' end"
            if column.personal else raw
        )) -%}
    {%- endfor -%}
    cast(to_json(struct_pack({{ fields | join(', ') }})) as varchar)
{%- endmacro %}
