-- A view, read inside base_raw__transactions: the ranking runs in that query,
-- over the few rows whose transaction_id repeats.
{{ config(materialized='view') }}

with

lines as not materialized (
    -- A table (CSV) or a view over the Parquet file already: read it where
    -- needed, never copy it (DuckDB would materialise a CTE read twice).
    select * from {{ ref('base_raw__transactions_lines') }}
),

typed as not materialized (
    select * from {{ ref('base_raw__transactions_typed') }}
),

repeated_transaction_ids as (
    -- Most ids occur once; only the few repeated ones need the sort below.
    -- Counted over every line, failing ones too, so that this pass needs no
    -- typing; ranked keeps only the rows that pass the row checks. Counted by
    -- a 64-bit hash of the id, a smaller group key than the text: two ids
    -- that share a hash only bring a few more rows into the sort, where each
    -- id is ranked on its own.
    select hash(nullif(trim(transaction_id), '')) as transaction_id_hash
    from lines
    group by all
    having count(*) > 1
),

repeats as (
    select
        *,
        struct_pack({{ raw_columns('transactions', '{column}_raw') }}) as raw_values
    from typed
    where
        row_reject_reason is null
        and hash(transaction_id) in (
            select repeated_transaction_ids.transaction_id_hash
            from repeated_transaction_ids
        )
),

final as (
    -- Within a repeated transaction_id, rows sorted by their raw values put
    -- exact copies side by side (the first copy in file order leads) and the
    -- smallest content first, so one sort settles both kinds of duplicate.
    select
        source_row_number,
        row_number() over by_transaction as position_in_transaction,
        -- struct equality holds nulls equal: an exact copy, blanks included
        coalesce(lag(raw_values) over by_transaction = raw_values, false) as is_copy_of_previous
    from repeats
    window by_transaction as (
        partition by transaction_id
        order by {{ raw_columns('transactions', '{column}_raw asc') }}, source_row_number asc
    )
)

select * from final
