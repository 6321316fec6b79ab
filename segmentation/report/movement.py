"""The report's words and shapes for who moved between the last two builds.

Pure functions over the flows data.read_history reads from `segment_transitions`:
the from/to matrix a marketer reads (rows: the segment in the earlier build,
new customers last; columns: the segment now, the gone last) and the sentence
beside it.
"""

from __future__ import annotations

import pandas as pd

from segmentation.report.data import is_missing

NEW_ROW = "new customers"
GONE_COLUMN = "gone"


def _label(key: object, name: object, missing: str) -> str:
    """ "S01 Frequent Shoppers"; `missing` for no key (new customers, or the gone)."""
    if is_missing(key):
        return missing
    return f"{key} {'' if is_missing(name) else name}".strip()


def _last(labels: pd.Index, last: str) -> list[str]:
    """The labels in key order, `last` (new customers, the gone) after them."""
    return sorted(label for label in labels if label != last) + [
        label for label in labels if label == last
    ]


def flow_matrix(flows: pd.DataFrame) -> pd.DataFrame:
    """Customers from each segment of the earlier build (rows) to each of the later (columns)."""
    frame = pd.DataFrame(
        {
            "from": [
                _label(key, name, NEW_ROW)
                for key, name in zip(
                    flows["from_segment_key"], flows["from_segment_name"], strict=True
                )
            ],
            "to": [
                _label(key, name, GONE_COLUMN)
                for key, name in zip(flows["to_segment_key"], flows["to_segment_name"], strict=True)
            ],
            "customers": flows["customers"].to_numpy(),
        }
    )
    matrix = frame.pivot_table(
        index="from", columns="to", values="customers", aggfunc="sum", fill_value=0
    )
    return matrix.loc[_last(matrix.index, NEW_ROW), _last(matrix.columns, GONE_COLUMN)]


def flows_sentence(flows: pd.DataFrame) -> str:
    """The flows in words: how many stayed, moved, came and went, and the largest moves."""
    totals = flows.groupby("flow")["customers"].sum()
    first = flows.iloc[0]
    text = (
        f"From build {int(first['build_number']) - 1} (as of "
        f"{pd.Timestamp(first['previous_as_of_date']):%Y-%m-%d}) to build "
        f"{int(first['build_number'])} (as of {pd.Timestamp(first['as_of_date']):%Y-%m-%d}): "
        f"{int(totals.get('stayed', 0)):,} customers kept their segment, "
        f"{int(totals.get('moved', 0)):,} moved to another, {int(totals.get('new', 0)):,} "
        f"came in new and {int(totals.get('gone', 0)):,} left."
    )
    moves = flows.loc[flows["flow"] == "moved"].sort_values(
        ["customers", "from_segment_key", "to_segment_key"], ascending=[False, True, True]
    )
    if not moves.empty:
        largest = "; ".join(
            f"{int(m['customers']):,} from {m['from_segment_name']} to {m['to_segment_name']}"
            for _, m in moves.head(3).iterrows()
        )
        text += f" Largest moves: {largest}."
    return text
