{{ config(
    materialized='table',
    pre_hook=without_fsst_hooks()['pre'],
    post_hook=without_fsst_hooks()['post'],
) }}

{%- set raw = raw_file_columns(
    'demographics',
    required=['customer_id'],
    optional=[
        'birth_date', 'gender', 'annual_income', 'region', 'signup_date', 'updated_at',
        'email', 'full_name',
    ],
) %}

with

source as (
    select * from {{ source('raw', 'demographics') }}
),

gender_values as (
    select * from {{ ref('gender_values') }}
),

numbered as (
    -- Scans keep file order, so this numbers rows as they stand in the file.
    select
        row_number() over () as source_row_number,
        {{ raw_column(raw, 'customer_id') }} as customer_id_raw,
        {{ raw_column(raw, 'birth_date') }} as birth_date_raw,
        {{ raw_column(raw, 'gender') }} as gender_raw,
        {{ raw_column(raw, 'annual_income') }} as annual_income_raw,
        {{ raw_column(raw, 'region') }} as region_raw,
        {{ raw_column(raw, 'signup_date') }} as signup_date_raw,
        {{ raw_column(raw, 'updated_at') }} as updated_at_raw,
        {{ raw_column(raw, 'email') }} as email_raw,
        {{ raw_column(raw, 'full_name') }} as full_name_raw
    from source
),

parsed as materialized (
    -- Read by several steps below: typing the rows once costs less than
    -- typing them again in each.
    select
        *,
        {{ staged_customer_id('customer_id_raw') }} as customer_id,
        cast(try_cast(trim(birth_date_raw) as timestamp) as date) as birth_date,
        try_cast(trim(annual_income_raw) as decimal(18, 2)) as annual_income_parsed,
        nullif(regexp_replace(trim(region_raw), '\s+', ' ', 'g'), '') as region,
        cast(try_cast(trim(signup_date_raw) as timestamp) as date) as signup_date,
        try_cast(trim(updated_at_raw) as timestamp) as updated_at
    from numbered
),

gender_map as (
    {{ free_text_map('parsed', 'gender', 'gender_values', unmapped="'unknown'") }}
),

repeated_customers as (
    -- Versions: within a customer the latest updated_at leads, an unparsable
    -- one counting as oldest (max skips nulls; with none parsable, all tie).
    -- A customer with one row needs no leading version: that row leads.
    select
        customer_id,
        max(updated_at) as leading_updated_at
    from parsed
    where customer_id is not null
    group by customer_id
    having count(*) > 1
),

repeated_versions as (
    -- A customer's rows with the same updated_at (exact copies, mostly) are
    -- the only rows whose order needs their raw values: few, on real data.
    select
        customer_id,
        updated_at
    from parsed
    where customer_id is not null
    group by all
    having count(*) > 1
),

ranked_repeats as (
    -- Ties on updated_at go to the smallest raw values, so the result does
    -- not depend on file order, and exact copies sit side by side, the first
    -- copy in file order leading.
    select
        source_row_number,
        row_number() over by_version as position_in_version,
        -- struct equality holds nulls equal: an exact copy, blanks included
        coalesce(lag(raw_values) over by_version = raw_values, false) as is_copy_of_previous
    from (
        select
            parsed.*,
            struct_pack(
                parsed.customer_id_raw,
                parsed.birth_date_raw,
                parsed.gender_raw,
                parsed.annual_income_raw,
                parsed.region_raw,
                parsed.signup_date_raw,
                parsed.updated_at_raw,
                parsed.email_raw,
                parsed.full_name_raw
            ) as raw_values
        from parsed
        inner join repeated_versions
            on
                parsed.customer_id = repeated_versions.customer_id
                and parsed.updated_at is not distinct from repeated_versions.updated_at
    ) as repeats
    window by_version as (
        partition by customer_id, updated_at
        order by
            customer_id_raw asc,
            birth_date_raw asc,
            gender_raw asc,
            annual_income_raw asc,
            region_raw asc,
            signup_date_raw asc,
            updated_at_raw asc,
            email_raw asc,
            full_name_raw asc,
            source_row_number asc
    )
),

classified as (
    -- A copy is never first; a row older than its customer's leading version,
    -- or not first among the rows of that version, is superseded.
    select
        parsed.*,
        gender_map.gender,
        case when parsed.annual_income_parsed >= 0 then parsed.annual_income_parsed end
            as annual_income,
        parsed.customer_id is not null as passes_row_checks,
        case
            when parsed.customer_id is null then 'missing_customer_id'
            when ranked_repeats.is_copy_of_previous then 'duplicate'
            when
                parsed.updated_at < repeated_customers.leading_updated_at
                -- an unparsable updated_at counts as oldest
                or (parsed.updated_at is null and repeated_customers.leading_updated_at is not null)
                or ranked_repeats.position_in_version > 1
                then 'superseded'
        end as reject_reason
    from parsed
    left join repeated_customers
        on parsed.customer_id = repeated_customers.customer_id
    left join ranked_repeats
        on parsed.source_row_number = ranked_repeats.source_row_number
    left join gender_map
        on parsed.gender_raw is not distinct from gender_map.gender_raw
),

final as (
    -- The raw text is kept for rejected rows only (for rejected_rows).
    select
        source_row_number,
        customer_id,
        birth_date,
        gender,
        annual_income,
        region,
        signup_date,
        updated_at,
        passes_row_checks,
        reject_reason,
        case when reject_reason is not null then customer_id_raw end as customer_id_raw,
        case when reject_reason is not null then customer_id_raw end as record_key,
        case
            when reject_reason is not null
                then cast(to_json(struct_pack(
                    customer_id := customer_id_raw,
                    birth_date := birth_date_raw,
                    gender := gender_raw,
                    annual_income := annual_income_raw,
                    region := region_raw,
                    signup_date := signup_date_raw,
                    updated_at := updated_at_raw,
                    email := email_raw,
                    full_name := full_name_raw
                )) as varchar)
        end as raw_record
    from classified
)

select * from final
