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
    select *
    from typed
    where
        row_reject_reason is null
        and hash(transaction_id) in (
            select repeated_transaction_ids.transaction_id_hash
            from repeated_transaction_ids
        )
),

final as (
    {{ rank_repeats('transactions', 'repeats', ['transaction_id']) }}
)

select * from final
