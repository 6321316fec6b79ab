"""Read `customer_features` from DuckDB straight into the float32 matrix DBSCAN clusters.

A pandas frame of every customer's features would be the clustering model's
peak memory. Here DuckDB does the work that needs every row (the sort by
customer_id, the casts, each column's count, range and median) and Python
receives only what it keeps: the customer ids, the evenly spaced rows feature
selection judges, and the scaled matrix, filled chunk by chunk as float32.
What grows with the customers is the ids and 4 bytes per customer and feature.

The same functions of segmentation.features.selection and .scaling run on
each chunk, so a frame held in memory (`build_matrix`) and a relation read in
chunks give the same matrix.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import pyarrow as pa

from segmentation.features.scaling import (
    IMPUTATION_RULES,
    ColumnScale,
    FeatureMatrix,
    Moments,
    RankLevels,
    default_transform,
    entered,
    fill_value,
    scaled_chunk,
)
from segmentation.features.selection import (
    SELECTION_ROWS,
    ColumnProfile,
    FeatureSelection,
    SelectionRules,
    candidate_features,
    choose_features,
)

# The name the relation takes inside the SQL below.
SOURCE = "customer_features_source"


@dataclass(frozen=True)
class CustomerFeatures:
    """Customers in customer_id order, the features chosen for them and their scaled matrix.

    `scales` says how each feature entered the matrix: a fit stores them so
    a later build scores its customers on the same scale (`read_scaled`).
    """

    customer_ids: pd.Series
    selection: FeatureSelection
    matrix: FeatureMatrix
    scales: tuple[ColumnScale, ...] = ()


def quoted(name: str) -> str:
    """A column name as a SQL identifier, whatever characters it holds."""
    return '"' + name.replace('"', '""') + '"'


def projection_sql(columns: tuple[str, ...], names: tuple[str, ...]) -> str:
    """customer_id as text and each named column that exists as DOUBLE (NULL where not a number).

    DOUBLE holds every integer and DECIMAL(18,2) value of customer_features
    exactly enough for a distance, and TRY_CAST gives a text column the
    NULLs that `pd.to_numeric(errors="coerce")` gives a frame. Only these
    columns leave DuckDB.
    """
    if "customer_id" not in columns:
        raise ValueError("customer_features has no customer_id column")
    casts = [
        f"try_cast({quoted(name)} as double) as {quoted(name)}"
        for name in dict.fromkeys(names)
        if name in columns and name != "customer_id"
    ]
    return ", ".join(["cast(customer_id as varchar) as customer_id", *casts])


def query(relation, *, names: tuple[str, ...], body: str):
    """Run `body` against the projected features, named `features` in it."""
    projection = projection_sql(tuple(relation.columns), names)
    return relation.query(SOURCE, f"with features as (select {projection} from {SOURCE}) {body}")


def profile_columns(relation, *, names: tuple[str, ...]) -> tuple[int, dict[str, ColumnProfile]]:
    """The customer count and each named column's profile, from one aggregate over every row."""
    present = [name for name in names if name in relation.columns]
    aggregates = ["count(*)"]
    for name in present:
        column = quoted(name)
        aggregates += [f"count({column})", f"min({column})", f"max({column})"]
    row = query(relation, names=names, body=f"select {', '.join(aggregates)} from features")
    values = row.fetchall()[0]
    rows = int(values[0])
    profiles = {
        name: ColumnProfile(
            rows=rows,
            present=int(values[1 + 3 * i]),
            minimum=values[2 + 3 * i],
            maximum=values[3 + 3 * i],
        )
        for i, name in enumerate(present)
    }
    return rows, profiles


def evenly_spaced_rows(
    relation, *, names: tuple[str, ...], rows: int, sample_rows: int = SELECTION_ROWS
) -> dict[str, np.ndarray]:
    """The named columns at the evenly spaced positions `features.evenly_spaced` takes.

    Positions are over customer_id order and computed as numpy's linspace
    computes them (the step times the index, truncated; the last one exact),
    so the verdicts equal those on a sorted frame. Only the ids are sorted
    to number the rows; the features join back to the chosen few.
    """
    present = [name for name in names if name in relation.columns and name != "customer_id"]
    if not present or rows == 0:
        return {name: np.empty(0) for name in present}
    # Named so that no feature column can shadow it.
    position = "numbered.selection_position_"
    if rows <= sample_rows:
        keep = "true"
    else:
        step = f"(({rows} - 1)::double / ({sample_rows} - 1))"
        keep = (
            f"{position} in (select case when i = {sample_rows} - 1 then {rows} - 1 "
            f"else trunc(i::double * {step})::bigint end from range({sample_rows}) as t(i))"
        )
    columns = ", ".join(f"features.{quoted(name)}" for name in present)
    body = (
        f"select {columns} from (select customer_id, row_number() over (order by customer_id)"
        " - 1 as selection_position_ from features) as numbered"
        f" join features on features.customer_id = numbered.customer_id"
        f" where {keep} order by {position}"
    )
    table = query(relation, names=names, body=body).to_arrow_table()
    return {name: column_values(table.column(name)) for name in present}


def column_values(column: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """An Arrow DOUBLE column as float64 with NaN for NULL."""
    return np.asarray(column.to_numpy(zero_copy_only=False), dtype=np.float64)


def median(relation, *, name: str) -> float:
    """The median of one column over every customer, as numpy's nanmedian computes it."""
    body = f"select quantile_cont({quoted(name)}, 0.5) from features"
    return float(query(relation, names=(name,), body=body).fetchall()[0][0])


def rank_levels(relation, *, name: str, fill: float) -> RankLevels:
    """A ranked column's levels over every customer: one count per distinct filled value.

    A ranked column is one whose values sit on heaps, so the counts are few
    rows however many customers there are.
    """
    column = quoted(name)
    body = (
        f"select coalesce({column}, {fill!r}::double) as value, count(*) as customers "
        "from features group by value order by value"
    )
    table = query(relation, names=(name,), body=body).to_arrow_table()
    return RankLevels.of_counts(
        column_values(table.column("value")),
        np.asarray(table.column("customers").to_numpy(), dtype=np.float64),
    )


def batches(
    relation, *, names: tuple[str, ...], chunk_rows: int, ordered: bool
) -> Iterator[pa.RecordBatch]:
    """customer_id and the named columns in record batches of at most `chunk_rows` rows."""
    columns = ", ".join(["customer_id", *(quoted(name) for name in names)])
    body = f"select {columns} from features" + (" order by customer_id" if ordered else "")
    yield from query(relation, names=names, body=body).to_arrow_reader(chunk_rows)


def batch_columns(batch: pa.RecordBatch, names: tuple[str, ...]) -> dict[str, np.ndarray]:
    """The named columns of one batch as float64 arrays with NaN for NULL."""
    return {name: column_values(batch.column(name)) for name in names}


def column_scales(
    relation,
    *,
    selection: FeatureSelection,
    profiles: dict[str, ColumnProfile],
    chunk_rows: int,
) -> tuple[ColumnScale, ...]:
    """Each chosen feature's fill, transform, mean and spread, over every customer.

    The moments are merged chunk by chunk from one unordered pass, so the
    scale is that of the whole input, as `build_matrix` makes it, without
    every customer's values in memory.
    """
    names = selection.used
    partial = []
    for name in names:
        fill = fill_value(
            rule=IMPUTATION_RULES.get(name, "median"),
            maximum=profiles[name].maximum,
            median=lambda name=name: median(relation, name=name),
        )
        transform = default_transform(name, selection.transforms)
        levels = (
            rank_levels(relation, name=name, fill=fill) if transform == "rank" else RankLevels()
        )
        partial.append((name, fill, transform, levels))
    moments = [Moments() for _ in names]
    for batch in batches(relation, names=names, chunk_rows=chunk_rows, ordered=False):
        values = batch_columns(batch, names)
        moments = [
            total.merge(
                Moments.of(entered(values[name], fill=fill, transform=transform, levels=levels))
            )
            for total, (name, fill, transform, levels) in zip(moments, partial, strict=True)
        ]
    return tuple(
        ColumnScale(name, fill, transform, total.mean, total.std, levels)
        for (name, fill, transform, levels), total in zip(partial, moments, strict=True)
    )


def scaled_matrix(
    relation, *, scales: tuple[ColumnScale, ...], rows: int, chunk_rows: int
) -> tuple[pd.Series, np.ndarray]:
    """The customer ids and the float32 matrix, in customer_id order, filled chunk by chunk.

    The ids stay Arrow strings (about 13 bytes per customer here instead of
    a Python object each) and become the output's customer_id column as they are.
    """
    names = tuple(scale.name for scale in scales)
    matrix = np.empty((rows, len(scales)), dtype=np.float32)
    ids: list[pa.Array] = []
    start = 0
    for batch in batches(relation, names=names, chunk_rows=chunk_rows, ordered=True):
        stop = start + batch.num_rows
        matrix[start:stop] = scaled_chunk(batch_columns(batch, names), scales, rows=batch.num_rows)
        ids.append(batch.column("customer_id"))
        start = stop
    if start != rows:
        raise RuntimeError(f"customer_features changed while read: {start} rows, not {rows}")
    customer_ids = pd.Series(pa.chunked_array(ids, type=pa.string()), dtype="str")
    return customer_ids, matrix


def read_features(
    relation,
    *,
    requested: tuple[str, ...] | None,
    rules: SelectionRules,
    chunk_rows: int,
    transforms: Mapping[str, str] | None = None,
) -> CustomerFeatures:
    """Choose the features and build their scaled matrix without a frame of every customer.

    Four reads: one aggregate (counts and ranges), the evenly spaced rows
    selection judges, one unordered pass for the scale (plus a median per
    column that needs one), and the ordered pass that fills the matrix.
    `transforms` replaces the chosen transform of the features it names: the
    report rebuilds the matrix a finished build recorded, whatever vars that
    build ran with.
    """
    names = candidate_features(requested)
    rows, profiles = profile_columns(relation, names=names)
    samples = evenly_spaced_rows(relation, names=names, rows=rows)
    if rows == 0:
        selection = FeatureSelection(())
    else:
        selection = choose_features(
            columns=tuple(relation.columns),
            profiles=profiles,
            samples=samples,
            requested=requested,
            rules=rules,
        )
    if transforms:
        selection = replace(
            selection,
            transforms={
                name: transforms.get(name, transform)
                for name, transform in selection.transforms.items()
            },
        )
    scales = column_scales(relation, selection=selection, profiles=profiles, chunk_rows=chunk_rows)
    customer_ids, values = scaled_matrix(relation, scales=scales, rows=rows, chunk_rows=chunk_rows)
    return CustomerFeatures(
        customer_ids, selection, feature_matrix(values, scales, rows, profiles), scales
    )


def feature_matrix(
    values: np.ndarray,
    scales: tuple[ColumnScale, ...],
    rows: int,
    profiles: Mapping[str, ColumnProfile],
) -> FeatureMatrix:
    """The scaled values with what made them: features, log-transformed ones, imputed counts."""
    imputed = {scale.name: rows - profiles[scale.name].present for scale in scales}
    return FeatureMatrix(
        values=values,
        features=tuple(scale.name for scale in scales),
        log_transformed=tuple(s.name for s in scales if s.transform == "log"),
        imputed_counts={name: count for name, count in imputed.items() if count},
        scales=scales,
    )


class StoredFeaturesMissing(ValueError):
    """customer_features lacks a feature a stored fit was made with."""


def read_scaled(relation, *, scales: tuple[ColumnScale, ...], chunk_rows: int) -> CustomerFeatures:
    """The matrix of the features a stored fit used, on the fit's own scale.

    Nothing is chosen or measured again: each feature is filled, transformed
    and standardised with the values the fit recorded, so an unchanged
    customer gets exactly the row the fit saw. Two reads: the aggregate
    (customer count and missing values) and the ordered pass that fills the matrix.
    """
    names = tuple(scale.name for scale in scales)
    missing = [name for name in names if name not in relation.columns]
    if missing:
        raise StoredFeaturesMissing(
            "customer_features has no column " + ", ".join(missing) + ", which the stored"
            " clustering fit uses: build once with var clustering_mode: refit to fit again"
        )
    rows, profiles = profile_columns(relation, names=names)
    customer_ids, values = scaled_matrix(relation, scales=scales, rows=rows, chunk_rows=chunk_rows)
    selection = FeatureSelection(names, transforms={s.name: s.transform for s in scales})
    return CustomerFeatures(
        customer_ids, selection, feature_matrix(values, scales, rows, profiles), scales
    )
