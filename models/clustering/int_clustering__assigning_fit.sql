-- depends_on: {{ ref('customer_clusters_dbscan') }}
-- depends_on: {{ ref('customer_clusters_scored') }}
with

payload as (
    {{ build_diagnostics(clustered_customers()) }}
),

fits as (
    select * from {{ ref('clustering_fits') }}
),

fit as (
    select
        fits.fit_id,
        fits.as_of_date,
        fits.noise_share
    from payload
    inner join fits on (payload.diagnostics -> 'stored_fit' ->> 'fit_id') = fits.fit_id
    qualify row_number() over (order by fits.refit_number desc) = 1
),

final as (
    select
        payload.diagnostics,
        -- Named by the model even when the fit store was not built in this run.
        coalesce(fit.fit_id, payload.diagnostics -> 'stored_fit' ->> 'fit_id') as fit_id,
        fit.as_of_date as fit_as_of_date,
        fit.noise_share as fit_noise_share
    from payload
    left join fit on true
)

select * from final
