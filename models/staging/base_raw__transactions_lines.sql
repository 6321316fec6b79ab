-- One row per line of the raw transactions file: every column as text under its
-- contract name (null when an optional column is absent), numbered in file order.
-- Only transactions get this step: numbering rows inside the typing query runs
-- that query on one thread (raw_lines_hooks()), which only the largest source
-- cannot afford; a copy of demographics would also store personal data twice.
--
-- CSV is copied into a table and numbered by the post-hook. Parquet is not
-- copied: a Parquet reader knows each row's file and place in it (DuckDB's
-- file_index and file_row_number), so a view numbers the rows on every core,
-- and the steps after it read the compressed file instead of a far larger copy
-- of its text.
{% set copies_the_file = var('raw_file_format') != 'parquet' %}
{{ config(
    materialized=('table' if copies_the_file else 'view'),
    pre_hook=(raw_lines_hooks()['pre'] if copies_the_file else []),
    post_hook=(raw_lines_hooks()['post'] if copies_the_file else []),
) }}

with

source as (
    select
        {% if copies_the_file %}
            *
        {% elif invocation_args_dict.get('empty') %}
            *,
            -- dbt --empty reads the source through a subquery, which hides the
            -- reader's row numbers; there are no rows to number then.
            cast(null as bigint) as file_index,
            cast(null as bigint) as file_row_number
        {% else %}
            *,
            file_index,
            file_row_number
        {% endif %}
    from {{ source('raw', 'transactions') }}
),

final as (
    -- For CSV, source_row_number is added by the post-hook: raw_lines_hooks() says why.
    select
        {% if not copies_the_file -%}
            {{ raw_parquet_rows_before_file('transactions', 'file_index') }}
            + file_row_number + 1 as source_row_number,
        {% endif -%}
        {{ raw_file_select('transactions', separator=',\n        ') }}
    from source
)

select * from final
