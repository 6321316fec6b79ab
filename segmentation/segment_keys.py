"""Which segment of the last build each new segment continues: a one-to-one matching.

A refit finds new clusters; marketing needs "Frequent Shoppers" to stay the
segment it was. Each pair (new cluster, previous segment key) sharing
customers is a candidate; `models/segments/int_segments__cluster_overlaps`
counts them in SQL and marks a pair eligible when the cluster holds at least
var `segment_key_min_overlap` of that segment's remaining customers. Among
eligible pairs the one-to-one assignment of largest total Jaccard wins (the
Hungarian method, scipy's `linear_sum_assignment`): a greedy pass could hand
a key to the cluster that matches it best and leave a second cluster, which
only that key fits, with none. What happens to the clusters and keys left
over (split, emerged, absorbed, disappeared) is said in SQL afterwards.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

# Jaccard is compared on this many decimals: the overlaps table rounds it so,
# which makes ties exact and the weights below integers.
JACCARD_SCALE = 10**6

MATCH_COLUMNS = {"cluster_id": "int64", "previous_segment_key": "string", "jaccard": "float64"}


def empty_matches() -> pd.DataFrame:
    """No match: no previous build of the data set, or no pair eligible."""
    return pd.DataFrame({name: pd.Series(dtype=kind) for name, kind in MATCH_COLUMNS.items()})


def match_segments(overlaps: pd.DataFrame) -> pd.DataFrame:
    """The one-to-one matching of largest total Jaccard over the eligible pairs.

    `overlaps` has one row per pair: cluster_id, previous_segment_key,
    overlap_customers, jaccard (rounded to six decimals) and is_eligible.
    Ties between assignments of equal total Jaccard go to the one that keeps
    more customers under their key (the larger total overlap), then to the
    first the solver finds with clusters and keys in ascending order: the
    weights are integers, so equal totals are equal exactly and every rerun
    picks the same. Returns one row per matched pair.
    """
    eligible = overlaps.loc[overlaps["is_eligible"].astype(bool)]
    if eligible.empty:
        return empty_matches()
    clusters = np.sort(eligible["cluster_id"].unique())
    keys = np.sort(eligible["previous_segment_key"].astype(str).unique())
    row = pd.Index(clusters).get_indexer(eligible["cluster_id"])
    column = pd.Index(keys).get_indexer(eligible["previous_segment_key"].astype(str))
    overlap = eligible["overlap_customers"].to_numpy(dtype=np.int64)
    jaccard = np.rint(eligible["jaccard"].to_numpy(dtype=np.float64) * JACCARD_SCALE)
    # One Jaccard step (1e-6) outweighs any sum of overlaps, so overlap only breaks ties.
    tie_scale = int(overlap.sum()) + 1
    weights = np.zeros((len(clusters), len(keys)), dtype=np.float64)
    weights[row, column] = jaccard * tie_scale + overlap
    chosen_rows, chosen_columns = linear_sum_assignment(weights, maximize=True)
    # A rectangular problem pairs leftovers at weight 0: those are no match.
    kept = weights[chosen_rows, chosen_columns] > 0
    matched = pd.DataFrame(
        {
            "cluster_id": clusters[chosen_rows[kept]].astype(np.int64),
            "previous_segment_key": pd.array(keys[chosen_columns[kept]], dtype="string"),
        }
    )
    jaccard_by_pair = eligible.set_index(["cluster_id", "previous_segment_key"])["jaccard"]
    pairs = pd.MultiIndex.from_frame(matched[["cluster_id", "previous_segment_key"]])
    matched["jaccard"] = jaccard_by_pair.reindex(pairs).to_numpy(dtype=np.float64)
    return matched.sort_values("cluster_id", ignore_index=True)
