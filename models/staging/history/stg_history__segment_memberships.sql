{%- set recorded = source('history', 'segment_memberships_snapshot') %}

with

memberships as (
    {{ recorded_snapshot(recorded, {
        'data_set': 'varchar', 'customer_id': 'varchar', 'segment_key': 'varchar',
        'dbt_valid_from': 'timestamp', 'dbt_valid_to': 'timestamp'
    }) }}
),

final as (
    select
        customer_id,
        segment_key,
        cast(dbt_valid_from as date) as valid_from_date,
        cast(dbt_valid_to as date) as valid_to_date,
        dbt_valid_to is null as is_current
    from memberships
    where
        data_set = {{ sql_string(data_set()) }}
        -- A row replaced by a rebuild of the same as-of date was never any build's.
        and dbt_valid_from is distinct from dbt_valid_to
)

select * from final
