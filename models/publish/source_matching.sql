-- One row per source: how many of its customers the other sources know.
-- A customer is anyone in any source, so ids that differ between systems (case,
-- spaces, leading zeros) do not fail a join: they silently double the
-- customers. This makes the overlap visible, and for ids found nowhere else
-- counts how many would match once case, whitespace or leading zeros are
-- ignored, the likely cause. publish_audit refuses to publish below var
-- min_source_match_share.
with

spine as (
    select * from {{ ref('int_customers__spine') }}
),

source_customers as (
    select
        customer_id,
        'transactions' as source_name,
        has_transactions as in_transactions,
        has_demographics as in_demographics,
        has_credit_profile as in_credit_profiles
    from spine
    where has_transactions
    union all
    select
        customer_id,
        'demographics' as source_name,
        has_transactions as in_transactions,
        has_demographics as in_demographics,
        has_credit_profile as in_credit_profiles
    from spine
    where has_demographics
    union all
    select
        customer_id,
        'credit_profiles' as source_name,
        has_transactions as in_transactions,
        has_demographics as in_demographics,
        has_credit_profile as in_credit_profiles
    from spine
    where has_credit_profile
),

flagged as (
    select
        *,
        (source_name != 'transactions' and in_transactions)
        or (source_name != 'demographics' and in_demographics)
        or (source_name != 'credit_profiles' and in_credit_profiles) as is_matched
    from source_customers
),

unmatched_skeletons as (
    -- What is left of an id without case, spaces, tabs and zeros: two ids equal under
    -- any variant below have the same skeleton, and it is cheap, so the costly variants
    -- are computed only for ids that share one with an unmatched id (at 1M customers,
    -- the variants of every id took about 1.5 s).
    select distinct translate(lower(customer_id), '0 ' || chr(9), '') as skeleton
    from flagged
    where not is_matched
),

candidates as (
    select
        customer_id,
        source_name,
        is_matched
    from flagged
    where
        translate(lower(customer_id), '0 ' || chr(9), '')
        in (select unmatched_skeletons.skeleton from unmatched_skeletons)
),

id_variants as (
    -- Each candidate id under each way two systems commonly disagree.
    select
        customer_id,
        source_name,
        is_matched,
        unnest(['case', 'whitespace', 'leading_zeros']) as variant_name,
        unnest([
            lower(customer_id),
            regexp_replace(customer_id, '\s+', '', 'g'),
            regexp_replace(customer_id, '(^|[^0-9])0+([0-9])', '\1\2', 'g')
        ]) as variant_id
    from candidates
),

near_matches as (
    -- Ids found in no other source that another source holds in a variant.
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
),

near_match_counts as (
    select
        source_name,
        coalesce(sum(near_matched_customers) filter (where variant_name = 'case'), 0)
            as near_matches_case,
        coalesce(sum(near_matched_customers) filter (where variant_name = 'whitespace'), 0)
            as near_matches_whitespace,
        coalesce(sum(near_matched_customers) filter (where variant_name = 'leading_zeros'), 0)
            as near_matches_leading_zeros,
        first(
            variant_name order by near_matched_customers desc, variant_name asc
        ) filter (where near_matched_customers > 0) as likely_variant
    from near_matches
    group by source_name
),

sources as (
    select
        source_list.source_name,
        source_list.source_order
    from (values ('transactions', 1), ('demographics', 2), ('credit_profiles', 3))
        as source_list (source_name, source_order)
),

per_source as (
    select
        sources.source_name,
        sources.source_order,
        count(flagged.customer_id) as customers,
        count(flagged.customer_id) filter (where flagged.is_matched) as matched_customers,
        count(flagged.customer_id) filter (where flagged.in_transactions)
            as customers_in_transactions,
        count(flagged.customer_id) filter (where flagged.in_demographics)
            as customers_in_demographics,
        count(flagged.customer_id) filter (where flagged.in_credit_profiles)
            as customers_in_credit_profiles
    from sources
    left join flagged on sources.source_name = flagged.source_name
    group by sources.source_name, sources.source_order
),

final as (
    select
        per_source.source_name,
        cast(per_source.customers as bigint) as customers,
        cast(per_source.matched_customers as bigint) as matched_customers,
        cast((per_source.matched_customers / nullif(per_source.customers, 0)) as double)
            as match_share,
        cast(per_source.customers_in_transactions as bigint) as customers_in_transactions,
        cast(per_source.customers_in_demographics as bigint) as customers_in_demographics,
        cast(per_source.customers_in_credit_profiles as bigint) as customers_in_credit_profiles,
        cast(coalesce(near_match_counts.near_matches_case, 0) as bigint) as near_matches_case,
        cast(coalesce(near_match_counts.near_matches_whitespace, 0) as bigint)
            as near_matches_whitespace,
        cast(coalesce(near_match_counts.near_matches_leading_zeros, 0) as bigint)
            as near_matches_leading_zeros,
        cast(near_match_counts.likely_variant as varchar) as likely_cause
    from per_source
    left join near_match_counts on per_source.source_name = near_match_counts.source_name
    order by per_source.source_order
)

select * from final
