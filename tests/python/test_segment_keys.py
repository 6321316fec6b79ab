"""The one-to-one matching of new clusters to previous segment keys (segmentation/segment_keys.py).

The end-to-end behaviour over builds is in test_history.py; these pin the
assignment itself: optimal rather than greedy, eligible pairs only, and the
documented tie-breaks, so that every rerun gives the same keys.
"""

from __future__ import annotations

import pandas as pd

from segmentation.segment_keys import match_segments


def _overlaps(rows: list[tuple[int, str, int, float, bool]]) -> pd.DataFrame:
    return pd.DataFrame(
        rows,
        columns=[
            "cluster_id",
            "previous_segment_key",
            "overlap_customers",
            "jaccard",
            "is_eligible",
        ],
    )


def _pairs(matches: pd.DataFrame) -> set[tuple[int, str]]:
    return set(zip(matches["cluster_id"], matches["previous_segment_key"], strict=True))


def test_the_assignment_maximises_total_jaccard_where_greedy_would_not() -> None:
    # Greedy takes (0, S01) at 0.6 and leaves cluster 1 with nothing; the optimum pairs
    # 0 with S02 and 1 with S01 (0.5 + 0.55 > 0.6 + 0).
    overlaps = _overlaps(
        [
            (0, "S01", 60, 0.60, True),
            (0, "S02", 50, 0.50, True),
            (1, "S01", 55, 0.55, True),
        ]
    )
    assert _pairs(match_segments(overlaps)) == {(0, "S02"), (1, "S01")}


def test_ineligible_pairs_never_match() -> None:
    overlaps = _overlaps([(0, "S01", 10, 0.05, False), (1, "S02", 80, 0.8, True)])
    assert _pairs(match_segments(overlaps)) == {(1, "S02")}


def test_no_eligible_pair_gives_no_match_with_typed_columns() -> None:
    matches = match_segments(_overlaps([(0, "S01", 1, 0.01, False)]))
    assert matches.empty
    assert list(matches.columns) == ["cluster_id", "previous_segment_key", "jaccard"]


def test_equal_total_jaccard_goes_to_the_larger_overlap() -> None:
    # Both assignments total 1.0; the second keeps 100 more customers under their key.
    overlaps = _overlaps(
        [
            (0, "S01", 100, 0.5, True),
            (0, "S02", 300, 0.5, True),
            (1, "S01", 300, 0.5, True),
            (1, "S02", 100, 0.5, True),
        ]
    )
    assert _pairs(match_segments(overlaps)) == {(0, "S02"), (1, "S01")}


def test_the_matching_ignores_row_order() -> None:
    overlaps = _overlaps(
        [
            (2, "S03", 40, 0.4, True),
            (0, "S01", 60, 0.6, True),
            (1, "S02", 50, 0.5, True),
            (1, "S01", 45, 0.45, True),
        ]
    )
    forwards = match_segments(overlaps)
    backwards = match_segments(overlaps.iloc[::-1].reset_index(drop=True))
    pd.testing.assert_frame_equal(forwards, backwards)
    assert _pairs(forwards) == {(0, "S01"), (1, "S02"), (2, "S03")}
    assert forwards.set_index("cluster_id").loc[0, "jaccard"] == 0.6


def test_jaccard_not_overlap_decides() -> None:
    # More customers would keep a key under (0, S01) and (1, S02), but those clusters
    # resemble the other segments: Jaccard pairs 0 with S02 and 1 with S01.
    overlaps = _overlaps(
        [
            (0, "S01", 300, 0.30, True),
            (0, "S02", 250, 0.60, True),
            (1, "S01", 200, 0.70, True),
            (1, "S02", 260, 0.35, True),
        ]
    )
    assert _pairs(match_segments(overlaps)) == {(0, "S02"), (1, "S01")}
