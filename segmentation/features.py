"""Turn the `customer_features` mart into the numeric matrix DBSCAN clusters.

DBSCAN measures plain euclidean distances, so every decision here changes the
segments: which columns take part, how skewed money and counts are tamed, how
a missing value is filled and how columns are put on one scale. Each step is
a small pure function so pytest can check it without dbt.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

# Chosen for the behaviours marketing acts on (how recently, how often, how
# much per order, how long a customer, how engaged, how risky) while keeping
# the dimension low: DBSCAN's densities blur as dimensions are added.
DEFAULT_FEATURES: tuple[str, ...] = (
    "recency_days",
    "frequency",
    "avg_order_value",
    "tenure_days",
    "refund_rate",
    "active_months_12m",
    "credit_utilisation",
    "missed_payments_12m",
)

# Money and counts are right-skewed: a few big spenders would otherwise
# stretch the scale so far that everyone else looks alike. They get a signed
# log1p (net monetary value can be negative after refunds).
LOG_FEATURES: frozenset[str] = frozenset(
    {
        "frequency",
        "purchase_days",
        "monetary",
        "avg_order_value",
        "missed_payments_12m",
        "annual_income",
        "category_breadth",
    }
)

# How a missing value is filled, and why:
# - "max": recency and cadence are missing for customers who never bought (or
#   bought once); never buying is as stale as the stalest observed customer.
# - "zero": shares and rates of customers without transactions; nothing
#   bought is nothing refunded and no spend per order.
# - "median" (every other column): credit and demographic values missing for
#   a customer absent from that source; the population median keeps them in
#   the middle of that axis so the other features decide their cluster. How
#   many values were filled is reported per column in the diagnostics.
IMPUTATION_RULES: dict[str, str] = {
    "recency_days": "max",
    "purchase_cadence_days": "max",
    "avg_order_value": "zero",
    "refund_rate": "zero",
    "online_share": "zero",
    "store_share": "zero",
    "mobile_share": "zero",
}


@dataclass(frozen=True)
class FeatureSelection:
    """Which requested features take part, and why the others do not."""

    used: tuple[str, ...]
    dropped: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class FeatureMatrix:
    """The scaled matrix, in the row order of the input, and how it was made."""

    values: np.ndarray
    features: tuple[str, ...]
    log_transformed: tuple[str, ...]
    imputed_counts: dict[str, int]


def parse_feature_list(value: object) -> tuple[str, ...]:
    """Accept a var as a list or a comma separated string; fall back to the default.

    dbt renders a list var into YAML config as a Python-looking string, so
    both spellings are accepted rather than failing on one of them.
    """
    if value is None or (isinstance(value, str) and value.strip().lower() in {"", "none", "null"}):
        return DEFAULT_FEATURES
    if isinstance(value, str):
        items = value.strip().strip("[]()").replace("'", "").replace('"', "").split(",")
    else:
        items = [str(item) for item in value]
    names = tuple(dict.fromkeys(item.strip() for item in items if item.strip()))
    return names or DEFAULT_FEATURES


def select_features(frame: pd.DataFrame, requested: tuple[str, ...]) -> FeatureSelection:
    """Keep the requested features that can separate customers in this data.

    A column missing from the frame, entirely null, or constant over its
    non-null values carries no information; keeping it would make scaling
    divide by zero. A retailer without credit data or a lender without
    purchases must still get segments, so such columns are left out with a
    warning instead of failing the build.
    """
    used: list[str] = []
    dropped: dict[str, str] = {}
    for name in requested:
        if name not in frame.columns:
            dropped[name] = "not a column of customer_features"
            continue
        values = pd.to_numeric(frame[name], errors="coerce")
        non_null = values.dropna()
        if non_null.empty:
            dropped[name] = "entirely null"
        elif non_null.nunique() < 2:
            dropped[name] = "constant"
        else:
            used.append(name)
    for name, reason in dropped.items():
        logger.warning("clustering feature %s left out: %s", name, reason)
    return FeatureSelection(tuple(used), dropped)


def signed_log1p(values: np.ndarray) -> np.ndarray:
    """log1p on the magnitude with the sign kept, so negatives (net refunds) stay ordered."""
    return np.sign(values) * np.log1p(np.abs(values))


def impute_column(values: np.ndarray, rule: str) -> np.ndarray:
    """Fill the NaNs of one column by its rule ("max", "zero" or "median")."""
    missing = np.isnan(values)
    if not missing.any():
        return values
    if rule == "zero":
        fill = 0.0
    elif rule == "max":
        fill = float(np.nanmax(values))
    else:
        fill = float(np.nanmedian(values))
    return np.where(missing, fill, values)


def build_matrix(frame: pd.DataFrame, features: tuple[str, ...]) -> FeatureMatrix:
    """Impute, log-transform and standardise the chosen features.

    Imputation runs before the log so a "max" fill stays the maximum after it.
    Standardising (mean 0, unit variance) gives each feature the same weight
    in the euclidean distance; the statistics come from the whole input, not
    a sample, so the scale does not depend on which customers were sampled.
    """
    n_rows = len(frame)
    columns: list[np.ndarray] = []
    imputed: dict[str, int] = {}
    logged: list[str] = []
    for name in features:
        raw = pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
        n_missing = int(np.isnan(raw).sum())
        if n_missing:
            imputed[name] = n_missing
        column = impute_column(raw, IMPUTATION_RULES.get(name, "median"))
        if name in LOG_FEATURES:
            column = signed_log1p(column)
            logged.append(name)
        columns.append(column)
    if not columns:
        return FeatureMatrix(np.zeros((n_rows, 0)), (), (), imputed)
    matrix = np.column_stack(columns)
    std = matrix.std(axis=0)
    # A column can become constant only through imputation; scale it by 1 so it is inert.
    std[std == 0] = 1.0
    scaled = (matrix - matrix.mean(axis=0)) / std
    return FeatureMatrix(scaled, tuple(features), tuple(logged), imputed)
