"""ISLR's `Credit` card-balance data as the raw data contract: a credit file with demographics.

Source: `ISLP` 0.6.0 on PyPI (BSD licence), file `data/Credit.csv`: 400 card holders from
"An Introduction to Statistical Learning" (James, Witten, Hastie, Tibshirani; first
edition 2013). Its documentation calls it a simulated data set, so it is used for its
shape (income, limit, balance, rating, age, sex), not as real behaviour.

How it maps:
- credit_limit is Limit and balance is Balance (dollars).
- credit_score stays empty: Rating runs from about 90 to about 980, not on the 300-850
  scale the contract's credit_score means, so it is not a credit score.
- missed_payments_12m stays empty: the data has no repayment history.
- snapshot_date is the constant 2013-01-01, the start of the year the book first
  published the data: the file has no date.
- demographics: gender from Gender (the file pads " Male" with a space; the staging
  models fold spellings), annual_income is Income, given in thousands of dollars, times
  1,000. birth_date stays empty: the data has an age in years, not a birth date, and a
  date made up from it would be invented. Cards, Education, Student, Married and
  Ethnicity have no contract column and are left out.
- transactions: header only.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from raw_data.converters._common import (
    DEFAULT_CACHE,
    as_buffer,
    contract_frame,
    money,
    read_member,
)

PACKAGE = "ISLP"
DISTRIBUTION = "islp==0.6.0"
MEMBER = "data/Credit.csv"
SNAPSHOT_DATE = "2013-01-01"
INCOME_UNIT = 1_000


def load(*, source: Path | None = None, cache_dir: Path = DEFAULT_CACHE) -> dict[str, pd.DataFrame]:
    """The Credit file as a frame, ids as text."""
    data = read_member(
        package=PACKAGE,
        distribution=DISTRIBUTION,
        member=MEMBER,
        source=source,
        cache_dir=cache_dir,
    )
    holders = pd.read_csv(as_buffer(data), dtype={"ID": str})
    return {"holders": holders}


def to_raw_contract(*, holders: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The three contract tables of the data set (see the module docstring for the mapping)."""
    return {
        "transactions": contract_frame(source="transactions"),
        "demographics": contract_frame(
            source="demographics",
            columns={
                "customer_id": holders["ID"],
                "gender": holders["Gender"].str.strip(),
                "annual_income": money(holders["Income"] * INCOME_UNIT),
            },
        ),
        "credit_profiles": contract_frame(
            source="credit_profiles",
            columns={
                "customer_id": holders["ID"],
                "snapshot_date": [SNAPSHOT_DATE] * len(holders),
                "credit_limit": money(holders["Limit"]),
                "balance": money(holders["Balance"]),
            },
        ),
    }


def convert(*, frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """`to_raw_contract` over the frames `load` returns."""
    return to_raw_contract(holders=frames["holders"])


def customer_ids(*, frames: dict[str, pd.DataFrame]) -> pd.Series:
    """Every card holder's id."""
    return frames["holders"]["ID"]


def keep_customers(*, frames: dict[str, pd.DataFrame], ids: set[str]) -> dict[str, pd.DataFrame]:
    """The holders cut to some ids (for a small committed slice)."""
    holders = frames["holders"]
    return {"holders": holders[holders["ID"].isin(ids)]}
