{#
    Rows that share a key (a repeated transaction_id, a customer's versions on
    one date), ranked by their raw values.
#}

{% macro rank_repeats(table_name, rows, partition_by) -%}
    {#-
        The body of a CTE ranking the rows of CTE `rows` within each group of
        the columns `partition_by`: sorted by their raw values column by
        column in contract order, nulls last, then by file order. Exact copies
        then sit side by side, the first copy in file order leading, and the
        smallest content comes first, so one sort settles both exact and
        conflicting repeats. `position_in_group` is the row's place (1 leads);
        `is_copy_of_previous` says it equals the row before it in every raw
        column (struct equality holds nulls equal, blanks included).
    -#}
    select
        source_row_number,
        row_number() over by_group as position_in_group,
        coalesce(lag(raw_values) over by_group = raw_values, false) as is_copy_of_previous
    from (
        select
            *,
            struct_pack({{ raw_columns(table_name, '{column}_raw') }}) as raw_values
        from {{ rows }}
    ) as repeats
    window by_group as (
        partition by {{ partition_by | join(', ') }}
        order by {{ raw_columns(table_name, '{column}_raw asc') }}, source_row_number asc
    )
{%- endmacro %}
