"""How the chosen features enter the distance: filled, transformed and put on one scale.

DBSCAN measures plain euclidean distances, so every decision here changes the
segments: how skewed money and counts are tamed, how a missing value is
filled and how columns are put on one scale. Each step is a small pure
function so pytest can check it without dbt; segmentation.features.source
runs the same functions chunk by chunk over DuckDB.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, fields

import numpy as np
import pandas as pd

from segmentation.features.selection import LOG_FEATURES, numeric_column, profile_values

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
class RankLevels:
    """A ranked column's distinct values and where each enters: the middle of its share.

    `positions[i]` is the share of customers below `values[i]` plus half the
    share at it, so a heap spans the customers it holds. Kept with the
    column's scale so the same transform can be applied to customers who
    were not there when it was fitted (a value between two levels falls
    between their positions; one outside the range, at the nearer end).
    """

    values: tuple[float, ...] = ()
    positions: tuple[float, ...] = ()

    @classmethod
    def of_counts(cls, values: np.ndarray, counts: np.ndarray) -> RankLevels:
        """The levels from each distinct value (ascending) and how many customers hold it."""
        if len(values) == 0:
            return cls()
        total = float(counts.sum())
        below = np.concatenate(([0.0], np.cumsum(counts)[:-1]))
        positions = (below + counts / 2.0) / total
        return cls(tuple(float(v) for v in values), tuple(float(p) for p in positions))

    @classmethod
    def of(cls, values: np.ndarray) -> RankLevels:
        """The levels of a column held in memory (no missing values left)."""
        distinct, counts = np.unique(values, return_counts=True)
        return cls.of_counts(distinct, counts)

    def apply(self, values: np.ndarray) -> np.ndarray:
        """Each value's position, interpolated between levels and clipped at the ends."""
        if not self.values:
            return np.zeros(len(values), dtype="float64")
        return np.interp(values, self.values, self.positions)

    def widest_gap(self) -> float:
        """The largest distance between the positions of adjacent values (0 for one level)."""
        return float(np.max(np.diff(self.positions))) if len(self.positions) > 1 else 0.0


@dataclass(frozen=True)
class FeatureMatrix:
    """The scaled matrix, in the row order of the input, and how it was made.

    `scales` holds every fitted parameter of every column (fill, transform,
    rank levels, centre, spread), so the same matrix can be made again for
    other customers.
    """

    values: np.ndarray
    features: tuple[str, ...]
    log_transformed: tuple[str, ...]
    imputed_counts: dict[str, int]
    scales: tuple[ColumnScale, ...] = ()

    @property
    def eps_floor(self) -> float:
        """The smallest eps that joins adjacent values of every ranked column, once scaled.

        Below it DBSCAN would cut a whole-number column between neighbouring
        values (segmentation.features.selection says why).
        """
        gaps = [s.levels.widest_gap() / s.std for s in self.scales if s.transform == "rank"]
        return max(gaps, default=0.0)


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


def apply_transform(
    values: np.ndarray, transform: str, levels: RankLevels | None = None
) -> np.ndarray:
    """The column as it enters the distance, after imputation (see `choose_transform`)."""
    if transform == "flag":
        return (values > 0).astype("float64")
    if transform == "log":
        return signed_log1p(values)
    if transform == "rank":
        return (levels or RankLevels.of(values)).apply(values)
    return values


def entered(
    values: np.ndarray, *, fill: float, transform: str, levels: RankLevels | None = None
) -> np.ndarray:
    """A column's values imputed, then transformed: what the distance sees before scaling.

    Imputation runs before the transform so a "max" fill stays the maximum after it.
    """
    return apply_transform(np.where(np.isnan(values), fill, values), transform, levels)


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
    levels: RankLevels = RankLevels()


def scale_records(scales: Iterable[ColumnScale]) -> list[dict]:
    """Each feature's scale as a plain dict of every ColumnScale field, to store with a fit.

    Written from the dataclass's own fields, so a parameter a transform gains
    is stored, and restored by `scales_from_records`, without a change here.
    """
    return [asdict(scale) for scale in scales]


def scales_from_records(records: Iterable[Mapping[str, object]]) -> tuple[ColumnScale, ...]:
    """The scales `scale_records` wrote, as ColumnScale again (JSON lists back to tuples,
    a ranked column's levels back to RankLevels).

    A field a stored record lacks takes its default, so a fit stored before a
    field was added still scores; one without a default cannot be restored.
    """
    names = [field.name for field in fields(ColumnScale)]
    return tuple(
        ColumnScale(**{name: _restored(record[name]) for name in names if name in record})
        for record in records
    )


def _restored(value: object) -> object:
    """One stored field as the dataclass holds it: lists as tuples, levels as RankLevels."""
    if isinstance(value, Mapping):
        return RankLevels(**{key: tuple(items) for key, items in value.items()})
    return tuple(value) if isinstance(value, list) else value


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
        values = entered(
            columns[scale.name], fill=scale.fill, transform=scale.transform, levels=scale.levels
        )
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
    linear. segmentation/features/source.py builds the same matrix chunk by
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
        levels = (
            RankLevels.of(np.where(np.isnan(values), fill, values))
            if transform == "rank"
            else RankLevels()
        )
        moments = Moments.of(entered(values, fill=fill, transform=transform, levels=levels))
        scales.append(ColumnScale(name, fill, transform, moments.mean, moments.std, levels))
    imputed = {name: int(np.isnan(values).sum()) for name, values in columns.items()}
    return FeatureMatrix(
        values=scaled_chunk(columns, tuple(scales), rows=len(frame)),
        features=tuple(features),
        log_transformed=tuple(s.name for s in scales if s.transform == "log"),
        imputed_counts={name: count for name, count in imputed.items() if count},
        scales=tuple(scales),
    )
