"""Which columns of `customer_features` DBSCAN clusters, and how each enters the distance.

Which columns take part, by default, follows the data at hand (a retailer
with purchases only, a lender with credit files only, or both): see
`choose_features`. Each column's transform (binary, flag, log, linear) is
chosen here too, from the same evenly spaced rows; segmentation.features.scaling
applies it.

Real files are often discrete: ages in whole years, counts of 0 to 5, scores in
steps, amounts in round sums. Where the chosen columns together leave most
customers on heaps of identical points (`lattice_share`, a density check on
the distinct points), DBSCAN, which measures density, would call every
populated point a dense cluster of its own (one segment per year of age).
Then each heaped column enters by rank ("rank"): each value at the middle of
the share of customers at or below it, so a heap is as wide as the customers
it holds and no value is denser than another, and the clustering never uses
an eps below the gap between adjacent values of a ranked column
(`FeatureMatrix.eps_floor`), so it cannot cut between neighbouring values;
binary and "any or none" columns still separate groups, and the refinement's
bisections cut the rest. Where a continuous column spreads the customers out,
the heaps are no lattice and every column keeps its transform.
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


@dataclass(frozen=True)
class SelectionRules:
    """The data-driven limits `select_features` applies; each is a project var (feature_*)."""

    min_coverage: float
    max_dominant_share: float
    max_rank_correlation: float
    min_primary_features: int
    flag_zero_share: float
    heap_min_share: float
    discrete_share: float


@dataclass(frozen=True)
class FeatureSelection:
    """Which requested features take part, how each is transformed, and why others do not."""

    used: tuple[str, ...]
    dropped: dict[str, str] = field(default_factory=dict)
    transforms: dict[str, str] = field(default_factory=dict)
    # The share of customers on heaps of identical points over the used columns.
    lattice_share: float = 0.0


class FeatureConfigError(ValueError):
    """A `cluster_features` var that names columns customer_features does not have."""


def parse_feature_list(value: object) -> tuple[str, ...] | None:
    """Var cluster_features as names: a list, or a comma-separated text as validate_vars reads it.

    None means "choose from the data"; a name given twice counts once.
    """
    if value is None:
        return None
    items = value.split(",") if isinstance(value, str) else [str(item) for item in value]
    names = tuple(dict.fromkeys(item.strip() for item in items if item.strip()))
    return names or None


def numeric_column(frame: pd.DataFrame, name: str) -> np.ndarray:
    """One column as float64 with NaN for missing, whatever its SQL type was."""
    return pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


# Rank correlations, dominant values and transforms are judged on this many evenly
# spaced rows: a share or a correlation is as plain in them as in every row, and
# ranking every row would grow with the customers.
SELECTION_ROWS = 50_000


def evenly_spaced(values: np.ndarray, rows: int = SELECTION_ROWS) -> np.ndarray:
    """At most `rows` values, evenly spaced over the input: the same ones every time."""
    if len(values) <= rows:
        return values
    return values[np.linspace(0, len(values) - 1, rows).astype(np.int64)]


# A heap holds at least this many customers whatever the share says: on a few hundred
# customers, whole days over years repeat by chance, two or three to a value.
HEAP_MIN_CUSTOMERS = 5


def heaped_share(observed: np.ndarray, *, heap_min_share: float) -> float:
    """The share of values sitting on a heap: a value held by at least `heap_min_share`.

    Near 0 for a continuous column (money to the cent, days over years); near 1
    for a discrete one (ages in years, small counts, scores in steps) and high
    for a heaped one (incomes and amounts in round sums).
    """
    if observed.size == 0:
        return 0.0
    _, counts = np.unique(observed, return_counts=True)
    heavy = counts >= max(HEAP_MIN_CUSTOMERS, heap_min_share * observed.size)
    return float(counts[heavy].sum() / observed.size)


def lattice_share(columns: list[np.ndarray], *, heap_min_share: float) -> float:
    """The share of customers on a heap of identical points over all `columns` together.

    The columns are evenly spaced samples of the same rows; a missing value
    counts as one more value. Near 0 when any column is continuous.
    """
    if not columns or columns[0].size == 0:
        return 0.0
    points = np.column_stack([np.where(np.isnan(c), np.inf, c) for c in columns])
    _, counts = np.unique(points, axis=0, return_counts=True)
    heavy = counts >= max(HEAP_MIN_CUSTOMERS, heap_min_share * len(points))
    return float(counts[heavy].sum() / len(points))


def ranked_transforms(
    transforms: dict[str, str], samples: dict[str, np.ndarray], rules: SelectionRules
) -> tuple[dict[str, str], float]:
    """The transforms with heaped columns ranked when the chosen columns form a lattice.

    Returns the transforms and the lattice share they were judged on (see the
    module docstring). Binary and "any or none" columns stay as they are.
    """
    share = lattice_share(
        [samples[name] for name in transforms], heap_min_share=rules.heap_min_share
    )
    if share < rules.discrete_share:
        return transforms, share
    ranked = {}
    for name, transform in transforms.items():
        observed = samples[name][~np.isnan(samples[name])]
        heaped = heaped_share(observed, heap_min_share=rules.heap_min_share)
        is_level = transform in ("binary", "flag")
        ranked[name] = "rank" if not is_level and heaped >= rules.discrete_share else transform
    return ranked, share


def choose_transform(values: np.ndarray, *, name: str, flag_zero_share: float) -> str:
    """How one column enters the distance: "binary", "flag", "log" or "linear".

    A heaped column may be ranked afterwards, when the chosen columns together
    form a lattice (`ranked_transforms`).

    - binary: two distinct values; scaled as they are.
    - flag: a non-negative count that is zero for most customers (missed
      payments: 0 for most borrowers). Its few non-zero levels sit far apart
      after scaling, so DBSCAN would cut one tiny cluster per level, each
      named alike ("High-Risk Borrowers"); as "any or none" it separates the
      two groups that matter and no more. The count
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
    rules: SelectionRules,
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
    rules: SelectionRules,
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
    transforms, share = ranked_transforms(transforms, samples, rules)
    return FeatureSelection(tuple(used), dropped, transforms, round(share, 4))


# Transforms whose column takes few values, or values DBSCAN may not cut between.
DISCRETE_TRANSFORMS = frozenset({"binary", "flag", "rank"})
# With fewer features than this, the segments are cuts along them, whatever their shape.
FEW_FEATURES = 3


def few_features_note(selection: FeatureSelection) -> str | None:
    """What to tell a reader when the usable features are few or all discrete, else None.

    DBSCAN finds dense groups only where continuous features leave room for
    density to vary; with fewer than FEW_FEATURES features, or only binary,
    any-or-none and ranked ones, the segments are cuts along those few axes
    (the refinement's bisections), and the report says so rather than
    presenting them as groups the data holds.
    """
    used = selection.used
    if not used:
        return None
    discrete = [name for name in used if selection.transforms.get(name) in DISCRETE_TRANSFORMS]
    if len(used) >= FEW_FEATURES and len(discrete) < len(used):
        return None
    kinds = f", {len(discrete)} of them discrete" if discrete else ""
    return (
        f"few usable features: {len(used)} ({', '.join(used)}){kinds}; the segments are cuts "
        "along them, not dense groups found in the data"
    )


def information_reason(profile: ColumnProfile) -> str | None:
    """The only checks an analyst's own list gets: no values at all, or a single value."""
    if profile.present == 0:
        return "entirely null"
    if profile.minimum == profile.maximum:
        return "constant"
    return None
