"""A stress set of discrete shapes the persona generator never makes, to the raw data contract.

    python -m raw_data.discrete_shapes --customers 20000 --seed 3 --out /tmp/discrete
    python -m raw_data.discrete_shapes --shape lender --out /tmp/discrete_lender
    python -m raw_data.discrete_shapes --shape bank --out /tmp/discrete_bank

Every column a real lender's or shop's file often has in whole steps: ages in whole
years (a quarter of them rounded to a multiple of five), incomes in round 5,000s,
credit limits in round 1,000s, balances zero for a third and otherwise in round
100s, missed payments as counts of 0 to 5, credit scores in steps of 20, 0 to 5
purchases of whole tens on the first day of a month, signups on the first of January.
Four kinds of customer lie under it (young starters, families, affluent seniors and
borrowers in arrears, in `truth.csv`), as loosely as in real files: the kinds overlap
on every column. The rows are clean: this set tests the clustering and the naming,
not staging. The same arguments give byte-identical files.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from raw_data.converters._common import contract_frame, write_contract

# The latest purchase date and the credit snapshot's, so the build's as-of date (taken
# from the data) is this day and every age comes out whole.
AS_OF_DATE = pd.Timestamp("2026-06-01")
# Kind: (share, age range, income steps of 5,000, limit steps of 1,000, balance share of
# limit, chance of any missed payment, score centre, purchases per year).
KINDS: dict[
    str, tuple[float, tuple[int, int], tuple[int, int], tuple[int, int], float, float, int, float]
] = {
    "young_starter": (0.30, (18, 30), (3, 8), (1, 4), 0.5, 0.15, 560, 3.0),
    "family": (0.35, (30, 55), (6, 16), (3, 12), 0.35, 0.10, 660, 2.0),
    "affluent_senior": (0.20, (55, 85), (10, 30), (10, 25), 0.1, 0.02, 760, 1.0),
    "in_arrears": (0.15, (20, 70), (3, 10), (1, 8), 0.9, 0.95, 520, 0.5),
}


def draw_customers(customers: int, seed: int) -> pd.DataFrame:
    """One row per customer: its kind and every discrete value the contract files carry."""
    rng = np.random.default_rng(seed)
    names = list(KINDS)
    kind = rng.choice(len(names), size=customers, p=[KINDS[name][0] for name in names])
    rows = []
    for index, name in enumerate(names):
        _, ages, incomes, limits, usage, arrears, score, purchases = KINDS[name]
        n = int((kind == index).sum())
        age = rng.integers(ages[0], ages[1] + 1, n)
        rounded = rng.random(n) < 0.25
        age = np.where(rounded, np.clip(np.round(age / 5) * 5, 18, 90), age).astype(int)
        limit = rng.integers(limits[0], limits[1] + 1, n) * 1000
        zero_balance = rng.random(n) < 0.33
        balance = np.round(limit * np.clip(rng.normal(usage, 0.2, n), 0, 1.2) / 100) * 100
        missed = np.where(rng.random(n) < arrears, rng.integers(1, 6, n), 0)
        rows.append(
            pd.DataFrame(
                {
                    "kind": name,
                    "age": age,
                    "income": rng.integers(incomes[0], incomes[1] + 1, n) * 5000,
                    "limit": limit,
                    "balance": np.where(zero_balance, 0, balance),
                    "missed": missed,
                    "score": np.clip(np.round(rng.normal(score, 50, n) / 20) * 20, 300, 840),
                    "purchases": np.minimum(rng.poisson(purchases, n), 5),
                    "signup_year": rng.integers(2010, 2026, n),
                }
            )
        )
    frame = pd.concat(rows, ignore_index=True)
    frame = frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    frame.insert(0, "customer_id", [f"D{i:07d}" for i in range(1, len(frame) + 1)])
    return frame


def purchase_rows(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Each customer's purchases: whole tens, on the first day of one of the last 12 months."""
    rng = np.random.default_rng(seed + 1)
    buyers = frame.loc[frame["purchases"] > 0, ["customer_id", "purchases"]]
    customer = np.repeat(buyers["customer_id"].to_numpy(), buyers["purchases"].to_numpy())
    months_back = rng.integers(0, 12, len(customer))
    first_of_month = AS_OF_DATE.to_period("M").to_timestamp()
    dates = [
        (first_of_month - pd.DateOffset(months=int(m))).strftime("%Y-%m-%d") for m in months_back
    ]
    return pd.DataFrame(
        {
            "transaction_id": [f"DT{i:08d}" for i in range(1, len(customer) + 1)],
            "customer_id": customer,
            "transaction_date": dates,
            "amount": [f"{a:.2f}" for a in rng.integers(1, 21, len(customer)) * 10.0],
            "quantity": "1",
        }
    )


def to_raw_contract(frame: pd.DataFrame, purchases: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The three contract tables (the age as a birth date that gives it exactly)."""
    births = [
        (AS_OF_DATE - pd.DateOffset(years=int(age))).strftime("%Y-%m-%d") for age in frame["age"]
    ]
    return {
        "transactions": contract_frame(source="transactions", columns=dict(purchases.items())),
        "demographics": contract_frame(
            source="demographics",
            columns={
                "customer_id": frame["customer_id"],
                "birth_date": births,
                "annual_income": frame["income"].map("{:.2f}".format),
                "signup_date": frame["signup_year"].map("{}-01-01".format),
            },
        ),
        "credit_profiles": contract_frame(
            source="credit_profiles",
            columns={
                "customer_id": frame["customer_id"],
                "snapshot_date": [AS_OF_DATE.strftime("%Y-%m-%d")] * len(frame),
                "credit_limit": frame["limit"].map("{:.2f}".format),
                "balance": frame["balance"].map("{:.2f}".format),
                "missed_payments_12m": frame["missed"].astype(str),
                "credit_score": frame["score"].astype(int).astype(str),
            },
        ),
    }


# What each shape keeps: "full" every file, "lender" no purchases, "bank" a bank's client
# file whose usable features come down to an age in whole years and a flag (any missed
# payment), the shape that once made one segment per year of age.
SHAPES = ("full", "lender", "bank")


def bank_file(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The tables cut to a bank's client file: ages, and whether any payment was missed."""
    credit = tables["credit_profiles"].copy()
    missed = pd.to_numeric(credit["missed_payments_12m"])
    credit["missed_payments_12m"] = (missed > 0).astype(int).astype(str)
    credit[["credit_limit", "balance", "credit_score"]] = ""
    demographics = tables["demographics"].copy()
    demographics[["annual_income", "signup_date"]] = ""
    return {
        "transactions": tables["transactions"].iloc[:0],
        "demographics": demographics,
        "credit_profiles": credit,
    }


def generate(customers: int, seed: int, out: Path, *, shape: str = "full") -> list[Path]:
    """Write the three contract CSV files and truth.csv (each customer's kind) into `out`.

    `shape` is one of SHAPES: every file, a lender's file without purchases, or a
    bank's client file of ages and a flag.
    """
    if shape not in SHAPES:
        raise ValueError(f"shape {shape!r} is not one of {', '.join(SHAPES)}")
    frame = draw_customers(customers, seed)
    lines = purchase_rows(frame, seed)
    tables = to_raw_contract(frame, lines if shape == "full" else lines.iloc[:0])
    if shape == "bank":
        tables = bank_file(tables)
    written = write_contract(tables=tables, out_dir=out)
    truth = out / "truth.csv"
    frame[["customer_id", "kind"]].to_csv(truth, index=False, lineterminator="\n")
    return [*written, truth]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m raw_data.discrete_shapes", description=__doc__)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--shape", choices=SHAPES, default="full")
    args = parser.parse_args(argv)
    if args.customers < 1:
        parser.error("--customers must be at least 1")
    for path in generate(args.customers, args.seed, args.out, shape=args.shape):
        print(path, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
