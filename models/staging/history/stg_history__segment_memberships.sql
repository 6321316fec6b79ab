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
        dbt_valid_from as valid_from,
        dbt_valid_to as valid_to,
        dbt_valid_to is null as is_current
    from memberships
    where data_set = {{ sql_string(data_set()) }}
)

select * from final
