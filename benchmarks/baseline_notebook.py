"""The baseline: the same segmentation done the way the usual pandas notebook does it.

Usage::

    python -m benchmarks.baseline_notebook --data DIR --eps 0.8 --min-samples 16 \
        --features recency_days,frequency,... [--report out.json]

pandas reads the three CSV files whole, cleans them with the project's rules
in spirit (repeated header lines, blank ids and null markers such as N/A,
unparsable or implausible dates, non-numeric or out of range amounts, exact
and conflicting duplicates, future dates, the latest CRM row and credit
snapshot per customer), groups the per-customer features,
fills and log-transforms them as the pipeline does (`segmentation.features`),
with the var defaults of dbt_project.yml (`benchmarks.project_vars`),
standardises them with scikit-learn's StandardScaler and runs scikit-learn's
DBSCAN on every customer with the eps and min_samples the pipeline chose for
the same data. It is a fair comparison of the approach, not of the exact
numbers: the features are recomputed here and may differ in detail from
`customer_features`.

Exits with status 3 and "MemoryError" on its output when an allocation fails,
so the harness reports the memory cap even when the allocation, not the
harness's resident-memory watchdog (`benchmarks.measure`), stopped it.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.cluster import DBSCAN
from sklearn.preprocessing import StandardScaler

from benchmarks.json_report import emit
from benchmarks.project_vars import project_vars
from segmentation.features.scaling import IMPUTATION_RULES
from segmentation.features.selection import LOG_FEATURES

# The build's rules with the values of a build that sets no var.
MIN_VALID_DATE = pd.Timestamp(project_vars()["min_valid_date"])
MAX_ABS_AMOUNT = float(project_vars()["max_abs_amount"])
AS_OF_QUANTILE = float(project_vars()["as_of_date_quantile"])
NULL_MARKERS = [str(marker).lower() for marker in project_vars()["id_null_markers"]]
AS_OF_TOLERANCE = pd.Timedelta(days=int(project_vars()["as_of_tolerance_days"]))
ACTIVE_WINDOW = pd.DateOffset(months=int(project_vars()["engagement_window_months"]))
MEMORY_EXIT_CODE = 3


def read_raw(path: Path) -> pd.DataFrame:
    """One raw CSV as text, trimmed, blanks and null-marker ids as missing, repeated header
    lines dropped: what a careful notebook starts from."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    for column in frame.columns:
        frame[column] = frame[column].str.strip().replace("", None)
    for key in ("customer_id", "transaction_id"):
        if key in frame.columns:
            frame.loc[frame[key].str.lower().isin(NULL_MARKERS), key] = None
    is_header = (frame == pd.Series(frame.columns, index=frame.columns)).all(axis=1)
    return frame[~is_header]


def parse_dates(values: pd.Series) -> pd.Series:
    """ISO dates and timestamps; anything else becomes NaT."""
    return pd.to_datetime(values, errors="coerce", format="ISO8601")


def clean_transactions(raw: pd.DataFrame) -> tuple[pd.DataFrame, pd.Timestamp]:
    """Drop rejected transactions and duplicates; also derive the as-of date from the data."""
    tx = raw.dropna(subset=["customer_id", "transaction_id"]).copy()
    tx["transaction_at"] = parse_dates(tx["transaction_date"])
    tx["amount_value"] = pd.to_numeric(tx["amount"], errors="coerce")
    tx = tx[
        tx["transaction_at"].notna()
        & (tx["transaction_at"] >= MIN_VALID_DATE)
        & tx["amount_value"].notna()
        & (tx["amount_value"].abs() <= MAX_ABS_AMOUNT)
    ]
    # Exact re-deliveries first, then one row per transaction_id (the smallest by content).
    tx = tx.drop_duplicates(subset=list(raw.columns))
    tx = tx.sort_values(list(raw.columns), na_position="first").drop_duplicates("transaction_id")
    dates = tx["transaction_at"].dt.normalize()
    p99 = dates.quantile(AS_OF_QUANTILE, interpolation="lower")
    as_of = dates[dates <= p99 + AS_OF_TOLERANCE].max()
    tx = tx[dates <= as_of]
    return tx, as_of


def clean_demographics(raw: pd.DataFrame) -> pd.DataFrame:
    """The latest CRM row per customer."""
    crm = raw.dropna(subset=["customer_id"]).drop_duplicates().copy()
    crm["updated_at_ts"] = parse_dates(crm["updated_at"])
    crm["signup"] = parse_dates(crm["signup_date"])
    crm = crm.sort_values(["customer_id", "updated_at_ts"], na_position="first")
    return crm.drop_duplicates("customer_id", keep="last").set_index("customer_id")


def clean_credit(raw: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """The latest valid credit snapshot per customer."""
    credit = raw.dropna(subset=["customer_id"]).drop_duplicates().copy()
    credit["snapshot"] = parse_dates(credit["snapshot_date"])
    credit = credit[
        credit["snapshot"].notna()
        & (credit["snapshot"] >= MIN_VALID_DATE)
        & (credit["snapshot"] <= as_of)
    ]
    credit = credit.sort_values(["customer_id", "snapshot"])
    credit = credit.drop_duplicates("customer_id", keep="last").set_index("customer_id")
    for column in ("credit_limit", "balance", "missed_payments_12m"):
        credit[column] = pd.to_numeric(credit[column], errors="coerce")
    return credit


def customer_features(
    tx: pd.DataFrame, crm: pd.DataFrame, credit: pd.DataFrame, as_of: pd.Timestamp
) -> pd.DataFrame:
    """One row per customer in any source, with the features the pipeline can cluster on."""
    # Vectorised group-bys (no per-group Python lambdas): a fair notebook, not a strawman.
    tx = tx.assign(
        is_refund=tx["amount_value"] < 0,
        transaction_day=tx["transaction_at"].dt.normalize(),
    )
    purchases = tx[~tx["is_refund"]]
    by_customer = tx.groupby("customer_id")
    bought = purchases.groupby("customer_id")
    recent = purchases[purchases["transaction_day"] > as_of - ACTIVE_WINDOW]
    per_tx = pd.DataFrame(
        {
            "transactions": by_customer.size(),
            "refunds": by_customer["is_refund"].sum(),
            "monetary": by_customer["amount_value"].sum(),
        }
    )
    per_purchase = pd.DataFrame(
        {
            "frequency": bought.size(),
            "first_purchase_day": bought["transaction_day"].min(),
            "last_purchase_day": bought["transaction_day"].max(),
            "purchase_value": bought["amount_value"].sum(),
            "purchase_days": purchases.drop_duplicates(["customer_id", "transaction_day"])
            .groupby("customer_id")
            .size(),
        }
    )
    active = (
        recent.assign(month=recent["transaction_at"].dt.to_period("M"))
        .drop_duplicates(["customer_id", "month"])
        .groupby("customer_id")
        .size()
    )
    ids = sorted(set(tx["customer_id"]) | set(crm.index) | set(credit.index))
    features = pd.DataFrame(index=pd.Index(ids, name="customer_id"))
    features = features.join(per_tx).join(per_purchase)
    features["active_months_12m"] = active.reindex(features.index).fillna(0)
    features["frequency"] = features["frequency"].fillna(0)
    features["recency_days"] = (as_of - features["last_purchase_day"]).dt.days
    features["avg_order_value"] = features["purchase_value"] / features["frequency"].where(
        features["frequency"] > 0
    )
    features["refund_rate"] = features["refunds"] / features["transactions"]
    first_seen = pd.concat(
        [features["first_purchase_day"], crm["signup"].reindex(features.index)], axis=1
    ).min(axis=1)
    features["tenure_days"] = (as_of - first_seen).dt.days.clip(lower=0)
    credit_rows = credit.reindex(features.index)
    features["credit_utilisation"] = credit_rows["balance"].clip(lower=0) / credit_rows[
        "credit_limit"
    ].where(credit_rows["credit_limit"] > 0)
    missed = credit_rows["missed_payments_12m"]
    features["missed_payments_12m"] = missed.where(missed >= 0)
    features["annual_income"] = pd.to_numeric(
        crm["annual_income"].reindex(features.index), errors="coerce"
    ).where(lambda v: v >= 0)
    return features


def feature_matrix(features: pd.DataFrame, names: list[str]) -> np.ndarray:
    """Fill, log-transform and standardise the chosen columns as `segmentation.features` does."""
    unknown = [name for name in names if name not in features.columns]
    if unknown:
        raise SystemExit(f"baseline cannot compute feature(s) {', '.join(unknown)}")
    columns = []
    for name in names:
        values = features[name].astype("float64")
        rule = IMPUTATION_RULES.get(name, "median")
        fill = 0.0 if rule == "zero" else values.max() if rule == "max" else values.median()
        values = values.fillna(fill)
        if name in LOG_FEATURES:
            values = np.sign(values) * np.log1p(values.abs())
        columns.append(values.to_numpy())
    return StandardScaler().fit_transform(np.column_stack(columns))


def run(data_dir: Path, eps: float, min_samples: int, names: list[str]) -> dict:
    """The whole notebook, top to bottom, with a timing per step."""
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(step: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[step] = round(now - clock, 3)
        clock = now
        # On stderr as it happens: a run killed by a cap still shows how far it got.
        print(f"baseline: {step} {timings[step]}", file=sys.stderr, flush=True)

    raw_tx = read_raw(data_dir / "transactions.csv")
    raw_crm = read_raw(data_dir / "demographics.csv")
    raw_credit = read_raw(data_dir / "credit_profiles.csv")
    lap("read_seconds")
    tx, as_of = clean_transactions(raw_tx)
    crm = clean_demographics(raw_crm)
    credit = clean_credit(raw_credit, as_of)
    lap("clean_seconds")
    features = customer_features(tx, crm, credit, as_of)
    matrix = feature_matrix(features, names)
    lap("features_seconds")
    labels = DBSCAN(eps=eps, min_samples=min_samples).fit_predict(matrix)
    lap("dbscan_seconds")
    clustered = labels != -1
    return {
        "customers": len(features),
        "clean_transactions": len(tx),
        "as_of_date": str(as_of.date()),
        "features": names,
        "eps": eps,
        "min_samples": min_samples,
        "clusters": int(np.unique(labels[clustered]).size),
        "noise_share": round(float(1.0 - clustered.mean()), 4) if len(labels) else 0.0,
        "step_seconds": timings,
    }


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: run the notebook and print the result as JSON."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.baseline_notebook", description=__doc__
    )
    parser.add_argument("--data", type=Path, required=True, help="directory of the raw CSV files")
    parser.add_argument("--eps", type=float, required=True)
    parser.add_argument("--min-samples", type=int, required=True)
    parser.add_argument("--features", required=True, help="comma separated feature names")
    parser.add_argument("--report", type=Path, default=None, help="also write the JSON here")
    args = parser.parse_args(argv)
    names = [name.strip() for name in args.features.split(",") if name.strip()]
    try:
        result = run(args.data, args.eps, args.min_samples, names)
    except MemoryError:
        print("MemoryError: the baseline ran out of memory", file=sys.stderr)
        return MEMORY_EXIT_CODE
    emit(result, args.report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
