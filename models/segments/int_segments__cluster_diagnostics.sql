with

payload as (
    select * from {{ ref('int_clustering__assigning_fit') }}
),

segments as (
    select
        unnest(
            from_json(
                diagnostics -> 'segments',
                '[{"cluster_id": "INTEGER", "origin": "VARCHAR", "stability": "DOUBLE",
                "unusual_features": ["VARCHAR"]}]'
            )
        ) as segment
    from payload
),

final as (
    select
        cast(segment.cluster_id as integer) as cluster_id,
        cast(segment.origin as varchar) as segment_origin,
        cast(segment.stability as double) as stability,
        cast(segment.stability >= {{ var('segment_stable_jaccard') }} as boolean) as is_stable,
        cast(coalesce(segment.unusual_features, []) as varchar[]) as unusual_features
    from segments
)

select * from final
