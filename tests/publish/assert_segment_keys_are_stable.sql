-- Segment keys name one segment for its whole life: a key that survived was in the build
-- before (and carries itself on); a key starts as emerged, split or outliers; a key
-- never comes back after it ended; a new key is numbered above every key its data set
-- gave before, so none is ever reused.
with

segment_history as (
    select * from {{ ref('segment_history') }}
),

published_builds as (
    select * from {{ ref('published_builds') }}
),

rows_with_builds as (
    select
        segment_history.*,
        published_builds.previous_recorded_at,
        segment_history.key_status not in ('absorbed', 'disappeared') as is_present
    from segment_history
    inner join published_builds
        on
            segment_history.data_set = published_builds.data_set
            and segment_history.recorded_at = published_builds.recorded_at
),

survivors_without_past as (
    select
        current_rows.data_set,
        current_rows.recorded_at,
        current_rows.segment_key,
        'survived without being in the build before, or not carrying itself on' as problem
    from rows_with_builds as current_rows
    left join rows_with_builds as earlier_rows
        on
            current_rows.data_set = earlier_rows.data_set
            and current_rows.previous_recorded_at = earlier_rows.recorded_at
            and current_rows.segment_key = earlier_rows.segment_key
            and earlier_rows.is_present
    where
        current_rows.key_status = 'survived'
        and (
            earlier_rows.segment_key is null
            or current_rows.related_segment_key != current_rows.segment_key
        )
),

first_rows as (
    select *
    from rows_with_builds
    qualify row_number() over (
        partition by data_set, segment_key order by recorded_at
    ) = 1
),

bad_starts as (
    select
        data_set,
        recorded_at,
        segment_key,
        'starts as ' || key_status as problem
    from first_rows
    where key_status not in ('emerged', 'split', 'outliers')
),

returns as (
    select
        later.data_set,
        later.recorded_at,
        later.segment_key,
        'back after it ended at ' || ended.recorded_at as problem
    from rows_with_builds as later
    inner join rows_with_builds as ended
        on
            later.data_set = ended.data_set
            and later.segment_key = ended.segment_key
            and later.recorded_at > ended.recorded_at
    where not ended.is_present
),

reused_keys as (
    select
        new_keys.data_set,
        new_keys.recorded_at,
        new_keys.segment_key,
        'a new key not above the keys given before it' as problem
    from first_rows as new_keys
    inner join rows_with_builds as earlier
        on
            new_keys.data_set = earlier.data_set
            and new_keys.recorded_at > earlier.recorded_at
    where new_keys.segment_key != {{ outlier_segment_key() }}
    group by all
    having
        {{ segment_key_number('new_keys.segment_key') }}
        <= max({{ segment_key_number('earlier.segment_key') }})
),

final as (
    select * from survivors_without_past
    union all
    select * from bad_starts
    union all
    select * from returns
    union all
    select * from reused_keys
)

select * from final
