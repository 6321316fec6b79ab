"""The one-to-one matching of this build's clusters to the last build's segment keys.

A thin `model()` over segmentation.segment_keys (why an optimal assignment,
and its tie-breaks); the eligible pairs come from the overlaps table, and
`int_segments__segment_keys` (contracted SQL) turns the matches into keys.
"""

from segmentation.segment_keys import match_segments


def model(dbt, session):
    """One row per matched pair: cluster_id, previous_segment_key, jaccard."""
    dbt.config(materialized="table")
    return match_segments(dbt.ref("int_segments__cluster_overlaps").df())
