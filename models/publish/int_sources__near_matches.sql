{%- set causes = id_mismatch_causes() %}
{%- set steps = customer_id_normalizations() %}
-- What is left of an id without case, spaces, tabs and zeros: ids equal under any variant
-- below have the same skeleton.
{%- set skeleton = "translate(lower(customer_id), '0 ' || chr(9), '')" %}

with

customer_memberships as (
    select * from {{ ref('int_sources__customer_memberships') }}
),

-- A skeleton is cheap, so the costly variants are computed only for ids that share one
-- with an unmatched id.
unmatched_skeletons as (
    select distinct {{ skeleton }} as skeleton
    from customer_memberships
    where not is_matched
),

candidates as (
    select
        customer_id,
        source_name,
        is_matched
    from customer_memberships
    where {{ skeleton }} in (select unmatched_skeletons.skeleton from unmatched_skeletons)
),

-- Each candidate id under each way two systems commonly disagree.
id_variants as (
    select
        customer_id,
        source_name,
        is_matched,
        unnest([
            {% for cause in causes -%}
                '{{ cause }}'{{ ',' if not loop.last }}
            {% endfor -%}
        ]) as variant_name,
        unnest([
            {% for cause in causes.values() -%}
                {{ steps[cause.step] | replace('{id}', 'customer_id') }}{{ ',' if not loop.last }}
            {% endfor -%}
        ]) as variant_id
    from candidates
),

-- Ids found in no other source that another source holds in a variant.
final as (
    select
        unmatched.source_name,
        unmatched.variant_name,
        count(distinct unmatched.customer_id) as near_matched_customers
    from id_variants as unmatched
    inner join id_variants as other
        on
            unmatched.variant_name = other.variant_name
            and unmatched.variant_id = other.variant_id
            and unmatched.source_name != other.source_name
            and unmatched.customer_id != other.customer_id
    where not unmatched.is_matched
    group by unmatched.source_name, unmatched.variant_name
)

select * from final
