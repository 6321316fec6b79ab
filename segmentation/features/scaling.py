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
class FeatureMatrix:
    """The scaled matrix, in the row order of the input, and how it was made."""

    values: np.ndarray
    features: tuple[str, ...]
    log_transformed: tuple[str, ...]
    imputed_counts: dict[str, int]


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


def scale_records(scales: Iterable[ColumnScale]) -> list[dict]:
    """Each feature's scale as a plain dict of every ColumnScale field, to store with a fit.

    Written from the dataclass's own fields, so a parameter a transform gains
    is stored, and restored by `scales_from_records`, without a change here.
    """
    return [asdict(scale) for scale in scales]


def scales_from_records(records: Iterable[Mapping[str, object]]) -> tuple[ColumnScale, ...]:
    """The scales `scale_records` wrote, as ColumnScale again (JSON lists back to tuples).

    A field a stored record lacks takes its default, so a fit stored before a
    field was added still scores; one without a default cannot be restored.
    """
    names = [field.name for field in fields(ColumnScale)]
    return tuple(
        ColumnScale(
            **{
                name: tuple(record[name]) if isinstance(record[name], list) else record[name]
                for name in names
                if name in record
            }
        )
        for record in records
    )


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
        moments = Moments.of(entered(values, fill=fill, transform=transform))
        scales.append(ColumnScale(name, fill, transform, moments.mean, moments.std))
    imputed = {name: int(np.isnan(values).sum()) for name, values in columns.items()}
    return FeatureMatrix(
        values=scaled_chunk(columns, tuple(scales), rows=len(frame)),
        features=tuple(features),
        log_transformed=tuple(s.name for s in scales if s.transform == "log"),
        imputed_counts={name: count for name, count in imputed.items() if count},
    )
