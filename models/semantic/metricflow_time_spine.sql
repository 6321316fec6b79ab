-- One row per day from var min_valid_date to the as-of date: the calendar
-- MetricFlow joins metrics to when they are asked by day, week or month (and
-- for cumulative metrics). Every cleaned transaction falls inside it: earlier
-- dates are rejected as implausible, later ones as future dates.
with

as_of_date as (
    select * from {{ ref('stg_raw__as_of_date') }}
),

final as (
    select cast(calendar_days.day_start as date) as date_day
    from as_of_date
    cross join
        range(
            cast({{ sql_string(var('min_valid_date')) }} as timestamp),
            cast(as_of_date.as_of_date as timestamp) + interval 1 day,
            interval 1 day
        ) as calendar_days (day_start)
)

select * from final
order by date_day
