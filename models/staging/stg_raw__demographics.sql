-- The data-quality gate on base_raw__demographics reads seed reject_reasons, and dbt holds
-- a model back for a test only if the model descends from everything the test reads:
-- this makes everything after staging wait for the gate (rejected_rows does not, so a
-- stopped build still shows its rejects).
-- depends_on: {{ ref('reject_reasons') }}
with

base_demographics as (
    select * from {{ ref('base_raw__demographics') }}
),

as_of_date as (
    select * from {{ ref('stg_raw__as_of_date') }}
),

current_customers as (
    select
        base_demographics.*,
        date_part('year', age(as_of_date.as_of_date, base_demographics.birth_date))
            as age_at_as_of_date
    from base_demographics
    cross join as_of_date
    where base_demographics.reject_reason is null
),

final as (
    -- An age outside the plausible range makes the birth date itself
    -- implausible, so both become null. Personal data (email, full_name) is
    -- deliberately not selected.
    select
        customer_id,
        case when is_plausible_age then birth_date end as birth_date,
        case when is_plausible_age then cast(age_at_as_of_date as integer) end as age_years,
        gender,
        annual_income,
        region,
        signup_date,
        updated_at,
        source_row_number
    from (
        select
            *,
            coalesce(
                age_at_as_of_date
                between {{ var('min_customer_age') }} and {{ var('max_customer_age') }},
                false
            ) as is_plausible_age
        from current_customers
    )
)

select * from final
