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
from collections.abc import Callable
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


@dataclass(frozen=True)
class ColumnProfile:
    """What selection needs from every row of a column: rows, known values and their range.

    "Entirely null", "constant" and coverage are decided on every row (one
    customer off the constant still makes a column vary), so they come from
    a profile of the whole column, which DuckDB computes in one aggregate;
    everything else is judged on evenly spaced rows.
    """

    rows: int
    present: int
    minimum: float | None = None
    maximum: float | None = None


def profile_values(values: np.ndarray) -> ColumnProfile:
    """The profile of one column held in memory (NaN is missing)."""
    present = ~np.isnan(values)
    if not present.any():
        return ColumnProfile(rows=len(values), present=0)
    return ColumnProfile(
        rows=len(values),
        present=int(present.sum()),
        minimum=float(np.nanmin(values)),
        maximum=float(np.nanmax(values)),
    )


def usable_reason(values: np.ndarray, rules: SelectionRules) -> str | None:
    """Why a column cannot tell customers apart, or None when it can."""
    return profile_reason(
        profile=profile_values(values), observed=evenly_spaced(values), rules=rules
    )


def profile_reason(
    *, profile: ColumnProfile, observed: np.ndarray, rules: SelectionRules
) -> str | None:
    """`usable_reason` from a column's profile and its evenly spaced values."""
    if profile.present == 0:
        return "entirely null"
    if profile.minimum == profile.maximum:
        return "constant"
    coverage = profile.present / profile.rows
    if coverage < rules.min_coverage:
        return (
            f"known for {coverage:.0%} of customers (under feature_min_coverage "
            f"{rules.min_coverage:.0%}); filling the rest would make a spike, not a segment"
        )
    observed = observed[~np.isnan(observed)]
    if observed.size == 0:
        return None
    _, counts = np.unique(observed, return_counts=True)
    dominant = counts.max() / observed.size
    if dominant > rules.max_dominant_share:
        return f"one value holds {dominant:.1%} of customers (over feature_max_dominant_share)"
    return None


def candidate_features(requested: tuple[str, ...] | None) -> tuple[str, ...]:
    """The columns selection may look at: the analyst's list, or every default candidate."""
    return requested if requested is not None else DEFAULT_FEATURES


def select_features(
    frame: pd.DataFrame,
    requested: tuple[str, ...] | None,
    rules: SelectionRules | None = None,
) -> FeatureSelection:
    """`choose_features` over a frame held in memory (every row profiled, evenly spaced samples)."""
    present = [name for name in candidate_features(requested) if name in frame.columns]
    values = {name: numeric_column(frame, name) for name in present}
    return choose_features(
        columns=tuple(frame.columns),
        profiles={name: profile_values(column) for name, column in values.items()},
        samples={name: evenly_spaced(column) for name, column in values.items()},
        requested=requested,
        rules=rules,
    )


def choose_features(
    *,
    columns: tuple[str, ...],
    profiles: dict[str, ColumnProfile],
    samples: dict[str, np.ndarray],
    requested: tuple[str, ...] | None,
    rules: SelectionRules | None = None,
) -> FeatureSelection:
    """Keep the features that can separate customers in this data, and say why for the rest.

    `columns` are the input's columns; `profiles` and `samples` (evenly
    spaced values, at most SELECTION_ROWS) cover the candidates among them,
    so the caller never needs every customer's values in memory.

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
        unknown = [name for name in requested if name not in columns]
        if unknown:
            raise FeatureConfigError(
                f"var cluster_features names {', '.join(unknown)}, not columns of "
                f"customer_features; numeric columns are: "
                f"{', '.join(c for c in columns if c != 'customer_id')}"
            )
    used: list[str] = []
    dropped: dict[str, str] = {}

    def consider(name: str) -> None:
        if name not in profiles:
            dropped[name] = "not in the data (its source is missing or empty)"
            return
        if requested is None:
            reason = profile_reason(profile=profiles[name], observed=samples[name], rules=rules)
        else:
            reason = information_reason(profiles[name])
        if reason is None and requested is None:
            for kept in used:
                rho = rank_correlation(samples[name], samples[kept])
                if abs(rho) > rules.max_rank_correlation:
                    reason = f"says what {kept} says (rank correlation {rho:.2f})"
                    break
        if reason is not None:
            dropped[name] = reason
            return
        used.append(name)

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
        name: choose_transform(samples[name], name=name, flag_zero_share=rules.flag_zero_share)
        for name in used
    }
    return FeatureSelection(tuple(used), dropped, transforms)


def information_reason(profile: ColumnProfile) -> str | None:
    """The only checks an analyst's own list gets: no values at all, or a single value."""
    if profile.present == 0:
        return "entirely null"
    if profile.minimum == profile.maximum:
        return "constant"
    return None


def signed_log1p(values: np.ndarray) -> np.ndarray:
    """log1p on the magnitude with the sign kept, so negatives (net refunds) stay ordered."""
    return np.sign(values) * np.log1p(np.abs(values))


def fill_value(*, rule: str, maximum: float | None, median: Callable[[], float]) -> float:
    """The value a column's NaNs get by its rule ("max", "zero" or "median").

    `median` is a callable because only a column with missing values under
    the median rule needs it, and over every customer it is the one costly
    statistic.
    """
    if rule == "zero":
        return 0.0
    if rule == "max":
        return float(maximum) if maximum is not None else 0.0
    return float(median())


def apply_transform(values: np.ndarray, transform: str) -> np.ndarray:
    """The column as it enters the distance, after imputation (see `choose_transform`)."""
    if transform == "flag":
        return (values > 0).astype("float64")
    if transform == "log":
        return signed_log1p(values)
    return values


def entered(values: np.ndarray, *, fill: float, transform: str) -> np.ndarray:
    """A column's values imputed, then transformed: what the distance sees before scaling.

    Imputation runs before the transform so a "max" fill stays the maximum after it.
    """
    return apply_transform(np.where(np.isnan(values), fill, values), transform)


@dataclass(frozen=True)
class Moments:
    """Count, mean and sum of squared deviations of a column, mergeable across chunks."""

    count: int = 0
    mean: float = 0.0
    squares: float = 0.0

    @classmethod
    def of(cls, values: np.ndarray) -> Moments:
        """The moments of one chunk."""
        if len(values) == 0:
            return cls()
        mean = float(values.mean())
        return cls(len(values), mean, float(np.square(values - mean).sum()))

    def merge(self, other: Moments) -> Moments:
        """Chan's pairwise update: the moments of both chunks together, without their values."""
        count = self.count + other.count
        if count == 0:
            return self
        delta = other.mean - self.mean
        mean = self.mean + delta * other.count / count
        squares = self.squares + other.squares + delta * delta * self.count * other.count / count
        return Moments(count, mean, squares)

    @property
    def std(self) -> float:
        """Population standard deviation; 1 when it is 0, so a constant column is inert.

        A column can become constant only through imputation.
        """
        std = float(np.sqrt(self.squares / self.count)) if self.count else 0.0
        return std if std > 0 else 1.0


@dataclass(frozen=True)
class ColumnScale:
    """How one feature enters the distance: its fill, transform, centre and spread."""

    name: str
    fill: float
    transform: str
    mean: float = 0.0
    std: float = 1.0


def scaled_chunk(
    columns: dict[str, np.ndarray], scales: tuple[ColumnScale, ...], *, rows: int
) -> np.ndarray:
    """Rows of the float32 matrix from one chunk of raw columns (float64 with NaN).

    The arithmetic is float64 and only the result is float32: seven
    significant digits on standardised values are far finer than any eps,
    and the matrix takes half the memory.
    """
    out = np.empty((rows, len(scales)), dtype=np.float32)
    for position, scale in enumerate(scales):
        values = entered(columns[scale.name], fill=scale.fill, transform=scale.transform)
        out[:, position] = (values - scale.mean) / scale.std
    return out


def default_transform(name: str, transforms: dict[str, str] | None) -> str:
    """The transform chosen for a column, or by name when none was chosen."""
    return (transforms or {}).get(name, "log" if name in LOG_FEATURES else "linear")


def build_matrix(
    frame: pd.DataFrame,
    features: tuple[str, ...],
    transforms: dict[str, str] | None = None,
) -> FeatureMatrix:
    """Impute, transform and standardise the chosen features of a frame held in memory.

    Standardising (mean 0, unit variance) gives each feature the same weight
    in the euclidean distance; the statistics come from the whole input, not
    a sample, so the scale does not depend on which customers were sampled.
    Without `transforms`, money and counts are logged and the rest left
    linear. segmentation/feature_source.py builds the same matrix chunk by
    chunk from DuckDB with the same functions.
    """
    columns = {name: numeric_column(frame, name) for name in features}
    scales = []
    for name in features:
        values = columns[name]
        transform = default_transform(name, transforms)
        fill = fill_value(
            rule=IMPUTATION_RULES.get(name, "median"),
            maximum=profile_values(values).maximum,
            median=lambda values=values: float(np.nanmedian(values)),
        )
        moments = Moments.of(entered(values, fill=fill, transform=transform))
        scales.append(ColumnScale(name, fill, transform, moments.mean, moments.std))
    imputed = {name: int(np.isnan(values).sum()) for name, values in columns.items()}
    return FeatureMatrix(
        values=scaled_chunk(columns, tuple(scales), rows=len(frame)),
        features=tuple(features),
        log_transformed=tuple(s.name for s in scales if s.transform == "log"),
        imputed_counts={name: count for name, count in imputed.items() if count},
    )
