with

segment_summary as (
    select * from {{ ref('segment_summary') }}
),

as_of as (
    select * from {{ ref('stg_raw__as_of_date') }}
),

final as (
    -- id, name and description: the columns warehouse-managed audiences read as they are.
    select
        cast(segment_summary.segment_key as varchar) as id,
        cast(segment_summary.segment_name as varchar) as name,  -- noqa: RF04
        cast(segment_summary.marketing_action as varchar) as description,
        cast({{ sql_string(data_set()) }} as varchar) as data_set,
        cast(as_of.as_of_date as date) as as_of_date,
        cast(segment_summary.customers as bigint) as members
    from segment_summary
    cross join as_of
)

select * from final
order by id
