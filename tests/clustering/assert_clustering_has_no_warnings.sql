-- The clustering's warnings (a feature left out, clustering skipped), one row each, so
-- that dbt counts them with the build's warnings and names them at its end; the build
-- summary prints each row's `warning`.
{{ config(severity='warn') }}

with

clustering_diagnostics as (
    select * from {{ ref('clustering_diagnostics') }}
),

final as (
    select 'clustering: ' || listed.warning as warning
    from clustering_diagnostics
    cross join unnest(clustering_diagnostics.warnings) as listed (warning)
)

select * from final
