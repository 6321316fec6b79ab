with

memberships as (
    select * from {{ ref('stg_history__segment_memberships') }}
),

published_builds as (
    select * from {{ ref('stg_history__published_builds') }}
),

previous_build as (
    select as_of_date as previous_as_of_date
    from published_builds
    where is_previous
),

-- Members as the stays recorded them on the previous build's date: recording this
-- build (which closes stays at its own, later, date) does not change them.
final as (
    select
        memberships.customer_id,
        memberships.segment_key,
        previous_build.previous_as_of_date
    from memberships
    inner join previous_build
        on
            memberships.valid_from_date <= previous_build.previous_as_of_date
            and (
                memberships.valid_to_date is null
                or memberships.valid_to_date > previous_build.previous_as_of_date
            )
)

select * from final
