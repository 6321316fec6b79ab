"""Which rows each step sees, and how a density parameter carries between row counts.

The sampled path fits DBSCAN on a deterministic sample; the parameter search
and the stability measure run on samples of that sample. Density is relative
to the number of points: a sample holding a fraction p of the customers has p
times fewer neighbours within eps, so `min_samples` is always reported for
the whole input and scaled to the rows a step actually sees.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


def stable_sample(customer_ids: pd.Series, size: int) -> np.ndarray:
    """Positions of a deterministic sample: the `size` customers with the smallest id hash.

    Hashing the id (pandas' hash has a fixed key) rather than drawing random
    positions keeps a customer in or out of the sample however the other rows
    change, so adding a few customers does not reshuffle the whole fit.
    Returned positions are sorted, keeping the customer_id order.
    """
    if size >= len(customer_ids):
        return np.arange(len(customer_ids))
    hashes = id_hashes(customer_ids)
    order = np.lexsort((np.arange(len(hashes)), hashes))
    return np.sort(order[:size])


# Ids hashed this many at a time: pandas turns Arrow strings into one Python
# object each to hash them, and every id at once would be the model's peak memory.
HASH_CHUNK_ROWS = 1_000_000


def id_hashes(customer_ids: pd.Series, chunk_rows: int = HASH_CHUNK_ROWS) -> np.ndarray:
    """pandas' fixed-key hash of each id as text, computed a chunk at a time.

    Each value's hash depends on that value alone, so the chunks' hashes are
    those of the whole column; only one chunk's Python strings exist at once.
    """
    hashes = np.empty(len(customer_ids), dtype=np.uint64)
    for start in range(0, len(customer_ids), chunk_rows):
        chunk = customer_ids.iloc[start : start + chunk_rows].astype(str)
        hashes[start : start + chunk_rows] = pd.util.hash_pandas_object(chunk, index=False)
    return hashes


def scale_min_samples(min_samples: int, from_rows: int, to_rows: int) -> int:
    """Carry a min_samples between data sets of different size at the same eps (at least 2)."""
    if from_rows <= 0:
        return max(2, min_samples)
    return max(2, round(min_samples * to_rows / from_rows))


@dataclass(frozen=True)
class FitRows:
    """Positions, in customer_id order, of the rows DBSCAN fits on and of the search rows."""

    fit: np.ndarray
    search: np.ndarray
    sampled: bool


def fit_rows(
    customer_ids: pd.Series, *, max_exact_rows: int, sample_rows: int, search_rows: int
) -> FitRows:
    """Every row up to max_exact_rows customers, else a stable sample; the search rows within."""
    sampled = len(customer_ids) > max_exact_rows
    fit = stable_sample(customer_ids, sample_rows if sampled else len(customer_ids))
    search = fit[stable_sample(customer_ids.iloc[fit], search_rows)]
    return FitRows(fit, search, sampled)
