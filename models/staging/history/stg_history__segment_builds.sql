{%- set recorded = source('history', 'segment_builds_snapshot') %}

with

segment_builds as (
    {{ recorded_snapshot(recorded, {
        'data_set': 'varchar', 'as_of_date': 'date', 'segment_key': 'varchar',
        'key_status': 'varchar', 'segment_name': 'varchar', 'base_segment_name': 'varchar',
        'naming_basis': 'varchar', 'matched_rule_priority': 'integer',
        'name_descriptors': 'varchar[]', 'customers': 'bigint', 'dbt_valid_to': 'timestamp'
    }) }}
),

final as (
    select
        as_of_date,
        segment_key,
        key_status,
        segment_name,
        base_segment_name,
        naming_basis,
        matched_rule_priority,
        name_descriptors,
        customers
    from segment_builds
    where
        dbt_valid_to is null
        and data_set = {{ sql_string(data_set()) }}
)

select * from final
