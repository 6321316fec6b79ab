{%- set recorded = source('history', 'segment_builds_snapshot') %}

with

segment_builds as (
    {{ recorded_snapshot(recorded, {
        'data_set': 'varchar', 'recorded_at': 'timestamp', 'as_of_date': 'date',
        'segment_key': 'varchar', 'key_status': 'varchar', 'segment_name': 'varchar',
        'base_segment_name': 'varchar', 'naming_basis': 'varchar',
        'matched_rule_priority': 'integer', 'name_descriptors': 'varchar[]',
        'marketing_action': 'varchar', 'customers': 'bigint', 'customer_share': 'double',
        'revenue': 'decimal(18, 2)', 'revenue_share': 'double', 'avg_order_value': 'double',
        'median_recency_days': 'double', 'avg_frequency': 'double',
        'avg_credit_utilisation': 'double', 'avg_missed_payments_12m': 'double',
        'dbt_valid_to': 'timestamp'
    }) }}
),

final as (
    select
        recorded_at,
        as_of_date,
        segment_key,
        key_status,
        segment_name,
        base_segment_name,
        naming_basis,
        matched_rule_priority,
        name_descriptors,
        marketing_action,
        customers,
        customer_share,
        revenue,
        revenue_share,
        avg_order_value,
        median_recency_days,
        avg_frequency,
        avg_credit_utilisation,
        avg_missed_payments_12m
    from segment_builds
    where
        dbt_valid_to is null
        and data_set = {{ sql_string(data_set()) }}
)

select * from final
