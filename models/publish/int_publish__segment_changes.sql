-- A cluster id names the same segment only between builds assigned by the same stored
-- fit, so against another fit's version the figures stay null.
{%- set published = published_file('customer_segments.parquet') %}
{%- set manifest = published_file('manifest.json') %}
{%- set previous_has_fit = published and run_query(
    'select count(*) from parquet_schema(' ~ sql_string(published) ~ ") where name = 'fit_id'"
).columns[0].values()[0] > 0 %}

with

customer_segments as (
    select * from {{ ref('customer_segments') }}
),

{% if published %}
    previous_version as (
        select
            customer_id,
            cluster_id,
            {{ 'fit_id' if previous_has_fit else 'cast(null as varchar)' }} as fit_id
        from read_parquet({{ sql_string(published) }})
    ),
{% else %}
    previous_version as (
        select
            cast(null as varchar) as customer_id,
            cast(null as integer) as cluster_id,
            cast(null as varchar) as fit_id
        where false
    ),
{% endif %}

this_build as (
    select
        any_value(fit_id) as fit_id,
        count(*) as customers
    from customer_segments
),

previous_build as (
    select
        any_value(fit_id) as fit_id,
        count(*) as customers,
        {% if manifest %}
            (
                select cast(published.version as varchar)
                from read_json_auto({{ sql_string(manifest) }}) as published
            ) as version_name
        {% else %}
            cast(null as varchar) as version_name
        {% endif %}
    from previous_version
),

compared as (
    select
        count(*) as customers,
        count(*) filter (
            where customer_segments.cluster_id <> previous_version.cluster_id
        ) as changed
    from customer_segments
    inner join previous_version on customer_segments.customer_id = previous_version.customer_id
),

judged as (
    select
        this_build.fit_id,
        previous_build.fit_id as previous_fit_id,
        previous_build.version_name as previous_version,
        compared.customers as customers_in_both,
        compared.changed,
        case
            when previous_build.customers = 0 then 'nothing_published'
            when this_build.fit_id = previous_build.fit_id then 'same_fit'
            else 'other_fit'
        end as comparison
    from this_build
    cross join previous_build
    cross join compared
),

final as (
    select
        cast(fit_id as varchar) as fit_id,
        cast(previous_version as varchar) as previous_version,
        cast(previous_fit_id as varchar) as previous_fit_id,
        cast(comparison as varchar) as comparison,
        cast(case when comparison = 'same_fit' then customers_in_both end as bigint)
            as customers_in_both,
        cast(case when comparison = 'same_fit' then changed end as bigint) as customers_changed,
        cast(
            case when comparison = 'same_fit' then changed / nullif(customers_in_both, 0) end
            as double
        ) as changed_share
    from judged
)

select * from final
