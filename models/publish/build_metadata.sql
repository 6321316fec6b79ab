-- One row per build: where the raw files came from, the data set they are a
-- delivery of, the currency their amounts are in and when dbt started the build,
-- for the report's header and for anyone asking "which data is this?". No ref, so
-- `dbt build --empty` still writes the row, as it does for clustering_diagnostics.
with

final as (
    select
        cast({{ sql_string(var('raw_data_path')) }} as varchar) as raw_data_path,
        cast({{ sql_string(var('raw_file_format')) }} as varchar) as raw_file_format,
        cast({{ sql_string(raw_file_path('transactions')) }} as varchar)
            as transactions_file,
        cast({{ sql_string(data_set()) }} as varchar) as data_set,
        cast({{ sql_string(var('currency')) }} as varchar) as currency,
        cast({{ sql_string(invocation_id) }} as varchar) as dbt_invocation_id,
        -- dbt's run_started_at is in UTC; the cast keeps its wall-clock time.
        cast({{ sql_string(run_started_at) }} as timestamp) as built_at
)

select * from final
