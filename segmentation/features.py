"""Turn the `customer_features` mart into the numeric matrix DBSCAN clusters.

DBSCAN measures plain euclidean distances, so every decision here changes the
segments: which columns take part, how skewed money and counts are tamed, how
a missing value is filled and how columns are put on one scale. Each step is
a small pure function so pytest can check it without dbt.

Which columns take part, by default, follows the data at hand (a retailer
with purchases only, a lender with credit files only, or both): see
`default_candidates` and `select_features`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

# Behaviour marketing acts on (how recently, how often, how much per order, how
# long a customer, how engaged, how risky). They are clustered whenever the data
# has them.
PRIMARY_FEATURES: tuple[str, ...] = (
    "recency_days",
    "frequency",
    "avg_order_value",
    "tenure_days",
    "refund_rate",
    "active_months_12m",
    "credit_utilisation",
    "missed_payments_12m",
)
# What else tells customers apart when behaviour alone is thin (a lender's file
# has two primary features at most). They join only then: DBSCAN's densities
# blur as dimensions are added, and on data with rich behaviour these columns
# mostly add noise (on the generator, income and age dilute the personas).
SECONDARY_FEATURES: tuple[str, ...] = (
    "credit_score",
    "credit_limit",
    "credit_balance",
    "annual_income",
    "age_years",
    "purchase_cadence_days",
    "category_breadth",
    "online_share",
    "mobile_share",
)
# Kept for callers that want the full candidate list in one tuple.
DEFAULT_FEATURES: tuple[str, ...] = PRIMARY_FEATURES + SECONDARY_FEATURES

# Money and counts are right-skewed and multiplicative: a few big spenders would
# otherwise stretch the scale so far that everyone else looks alike. They get a
# signed log1p (net monetary value can be negative after refunds).
LOG_FEATURES: frozenset[str] = frozenset(
    {
        "frequency",
        "purchase_days",
        "monetary",
        "avg_order_value",
        "annual_income",
        "category_breadth",
        "credit_limit",
        "credit_balance",
        "purchase_cadence_days",
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
class SelectionRules:
    """The data-driven limits `select_features` applies; each is a project var."""

    min_coverage: float = 0.5
    max_dominant_share: float = 0.98
    max_rank_correlation: float = 0.9
    min_primary_features: int = 4
    flag_zero_share: float = 0.6


@dataclass(frozen=True)
class FeatureSelection:
    """Which requested features take part, how each is transformed, and why others do not."""

    used: tuple[str, ...]
    dropped: dict[str, str] = field(default_factory=dict)
    transforms: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class FeatureMatrix:
    """The scaled matrix, in the row order of the input, and how it was made."""

    values: np.ndarray
    features: tuple[str, ...]
    log_transformed: tuple[str, ...]
    imputed_counts: dict[str, int]


class FeatureConfigError(ValueError):
    """A `cluster_features` var that names columns customer_features does not have."""


def parse_feature_list(value: object) -> tuple[str, ...] | None:
    """Accept a var as a list or a comma separated string; None means "choose from the data".

    dbt renders a list var into YAML config as a Python-looking string, so
    both spellings are accepted rather than failing on one of them.
    """
    if value is None or (isinstance(value, str) and value.strip().lower() in {"", "none", "null"}):
        return None
    if isinstance(value, str):
        items = value.strip().strip("[]()").replace("'", "").replace('"', "").split(",")
    else:
        items = [str(item) for item in value]
    names = tuple(dict.fromkeys(item.strip() for item in items if item.strip()))
    return names or None


def numeric_column(frame: pd.DataFrame, name: str) -> np.ndarray:
    """One column as float64 with NaN for missing, whatever its SQL type was."""
    return pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


# Rank correlations, dominant values and transforms are judged on this many evenly
# spaced rows: over every row the rank correlations alone cost 88 s at 10M customers
# (BENCHMARKS.md), and a share or a correlation is as plain in 50,000 rows.
SELECTION_ROWS = 50_000


def evenly_spaced(values: np.ndarray, rows: int = SELECTION_ROWS) -> np.ndarray:
    """At most `rows` values, evenly spaced over the input: the same ones every time."""
    if len(values) <= rows:
        return values
    return values[np.linspace(0, len(values) - 1, rows).astype(np.int64)]


def choose_transform(values: np.ndarray, *, name: str, flag_zero_share: float) -> str:
    """How one column enters the distance: "binary", "flag", "log" or "linear".

    - binary: two distinct values; scaled as they are.
    - flag: a non-negative count that is zero for most customers (missed
      payments: 0 for most borrowers). Its few non-zero levels sit far apart
      after scaling, so DBSCAN would cut one tiny cluster per level (45
      "High-Risk Borrowers" clusters on a real lender's file); as "any or
      none" it separates the two groups that matter and no more. The count
      itself still describes segments in the profiles.
    - log: money and counts (LOG_FEATURES), multiplicative by nature.
    - linear: everything else (days, shares, rates, scores, ages).
    """
    observed = evenly_spaced(values)
    observed = observed[~np.isnan(observed)]
    if np.unique(observed).size <= 2:
        return "binary"
    is_count = bool(np.all(observed >= 0) and np.all(observed == np.round(observed)))
    if is_count and np.mean(observed == 0) >= flag_zero_share:
        return "flag"
    if name in LOG_FEATURES:
        return "log"
    return "linear"


def rank_correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman correlation over rows where both are present (0 when it is undefined).

    Estimated on `evenly_spaced` rows of large inputs.
    """
    a, b = evenly_spaced(a), evenly_spaced(b)
    both = ~np.isnan(a) & ~np.isnan(b)
    if both.sum() < 3:
        return 0.0
    ranks_a = pd.Series(a[both]).rank().to_numpy()
    ranks_b = pd.Series(b[both]).rank().to_numpy()
    if ranks_a.std() == 0 or ranks_b.std() == 0:
        return 0.0
    return float(np.corrcoef(ranks_a, ranks_b)[0, 1])


def usable_reason(values: np.ndarray, rules: SelectionRules) -> str | None:
    """Why a column cannot tell customers apart, or None when it can."""
    present = ~np.isnan(values)
    if not present.any():
        return "entirely null"
    if np.nanmin(values) == np.nanmax(values):
        return "constant"
    coverage = float(present.mean())
    if coverage < rules.min_coverage:
        return (
            f"known for {coverage:.0%} of customers (under feature_min_coverage "
            f"{rules.min_coverage:.0%}); filling the rest would make a spike, not a segment"
        )
    observed = evenly_spaced(values)
    observed = observed[~np.isnan(observed)]
    if observed.size == 0:
        return None
    _, counts = np.unique(observed, return_counts=True)
    dominant = counts.max() / observed.size
    if dominant > rules.max_dominant_share:
        return f"one value holds {dominant:.1%} of customers (over feature_max_dominant_share)"
    return None


def select_features(
    frame: pd.DataFrame,
    requested: tuple[str, ...] | None,
    rules: SelectionRules | None = None,
) -> FeatureSelection:
    """Keep the features that can separate customers in this data, and say why for the rest.

    With `requested` set (var cluster_features) the analyst's list is used as
    given, less columns that carry no information (entirely null or
    constant); a name that is not a column fails loudly. Unset, the list is
    chosen from the data: primary features that are known for enough
    customers and vary, then secondary ones when fewer than
    `min_primary_features` primary ones are usable; a candidate whose rank
    correlation with one already chosen exceeds `max_rank_correlation` is
    left out, because two columns saying the same thing double its weight in
    the distance. A retailer without credit data or a lender without
    purchases therefore still gets segments.
    """
    rules = rules or SelectionRules()
    if requested is not None:
        unknown = [name for name in requested if name not in frame.columns]
        if unknown:
            raise FeatureConfigError(
                f"var cluster_features names {', '.join(unknown)}, not columns of "
                f"customer_features; numeric columns are: "
                f"{', '.join(c for c in frame.columns if c != 'customer_id')}"
            )
        return _select(frame, requested, rules, screen=False)
    return _select(frame, None, rules, screen=True)


def _select(
    frame: pd.DataFrame,
    requested: tuple[str, ...] | None,
    rules: SelectionRules,
    *,
    screen: bool,
) -> FeatureSelection:
    """Walk the candidates in order, keeping each one that passes the checks."""
    used: list[str] = []
    dropped: dict[str, str] = {}
    columns: dict[str, np.ndarray] = {}

    def consider(name: str) -> None:
        if name not in frame.columns:
            dropped[name] = "not in the data (its source is missing or empty)"
            return
        values = numeric_column(frame, name)
        reason = usable_reason(values, rules) if screen else _information_reason(values)
        if reason is None and screen:
            for kept in used:
                rho = rank_correlation(values, columns[kept])
                if abs(rho) > rules.max_rank_correlation:
                    reason = f"says what {kept} says (rank correlation {rho:.2f})"
                    break
        if reason is not None:
            dropped[name] = reason
            return
        used.append(name)
        columns[name] = values

    if requested is not None:
        for name in requested:
            consider(name)
    else:
        for name in PRIMARY_FEATURES:
            consider(name)
        if len(used) < rules.min_primary_features:
            for name in SECONDARY_FEATURES:
                consider(name)
        else:
            for name in SECONDARY_FEATURES:
                dropped[name] = (
                    f"secondary: {len(used)} primary features are usable "
                    f"(feature_min_primary {rules.min_primary_features})"
                )
    for name, reason in dropped.items():
        if not reason.startswith(("secondary", "not in the data")):
            logger.warning("clustering feature %s left out: %s", name, reason)
    transforms = {
        name: choose_transform(columns[name], name=name, flag_zero_share=rules.flag_zero_share)
        for name in used
    }
    return FeatureSelection(tuple(used), dropped, transforms)


def _information_reason(values: np.ndarray) -> str | None:
    """The only checks an analyst's own list gets: no values at all, or a single value."""
    observed = values[~np.isnan(values)]
    if observed.size == 0:
        return "entirely null"
    if np.unique(observed).size < 2:
        return "constant"
    return None


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


def apply_transform(values: np.ndarray, transform: str) -> np.ndarray:
    """The column as it enters the distance, after imputation (see `choose_transform`)."""
    if transform == "flag":
        return (values > 0).astype("float64")
    if transform == "log":
        return signed_log1p(values)
    return values


def build_matrix(
    frame: pd.DataFrame,
    features: tuple[str, ...],
    transforms: dict[str, str] | None = None,
) -> FeatureMatrix:
    """Impute, transform and standardise the chosen features.

    Imputation runs before the transform so a "max" fill stays the maximum
    after it. Standardising (mean 0, unit variance) gives each feature the
    same weight in the euclidean distance; the statistics come from the whole
    input, not a sample, so the scale does not depend on which customers were
    sampled. Without `transforms`, money and counts are logged and the rest
    left linear.
    """
    n_rows = len(frame)
    columns: list[np.ndarray] = []
    imputed: dict[str, int] = {}
    logged: list[str] = []
    for name in features:
        raw = numeric_column(frame, name)
        n_missing = int(np.isnan(raw).sum())
        if n_missing:
            imputed[name] = n_missing
        column = impute_column(raw, IMPUTATION_RULES.get(name, "median"))
        transform = (transforms or {}).get(name, "log" if name in LOG_FEATURES else "linear")
        column = apply_transform(column, transform)
        if transform == "log":
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
