-- A source whose customer ids match another source's only once letter case, spacing or
-- leading zeros are ignored: a warning (the audit refuses the build only below var
-- min_source_match_share), one row per source, which the build summary prints.
{{ config(severity='warn') }}

with

source_matching as (
    select * from {{ ref('source_matching') }}
),

final as (
    select
        'source ' || source_name || ' has customer ids that match another source only once '
        || replace(likely_cause, '_', ' ') || ' are ignored (table source_matching;'
        || ' var customer_id_normalization)' as warning
    from source_matching
    where customers > 0 and likely_cause is not null
)

select * from final
