"""ISLR's `Caravan` insurance customers as the raw data contract: policies held, in bands.

Source: `ISLP` 0.6.0 on PyPI (BSD licence), file `data/Caravan.csv`: 5,822 customers of a
Dutch insurer from the CoIL 2000 challenge (Sentient Machine Research; the UCI "Insurance
Company Benchmark (COIL 2000)"). Every customer column is a small whole number: for each
of 21 kinds of policy, how many the customer holds (0 to 12) and the band of what they
pay for them (0 to 9). It is the shape of a file whose usable features are few and
discrete.

How it maps:
- customer_id is the row number (1-based): the file has no id.
- transactions: one row per kind of policy a customer holds (A<kind> > 0), transaction_id
  "<customer>-<kind>", quantity the number of policies, product_category the kind in
  English, amount the middle of the contribution band P<kind> in guilders (band 1 is
  1-49, so 25; band 9, "20,000 or more", is taken at 20,000; see BAND_GUILDERS). A band
  of 0 with policies held is an amount of 0.00. transaction_date is the constant
  2000-01-01 (midnight), the year of the challenge: the file has no date, so recency and tenure are
  the same for everyone and the clustering leaves them out.
- demographics: one row per customer with the id only, so a customer holding no policy
  is still a customer. The M* columns describe the customer's postcode area, not the
  customer, and are left out; so is Purchase (the caravan policy the challenge asked to
  predict), kept back as an outcome the build never sees.
- credit_profiles: header only.
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
MEMBER = "data/Caravan.csv"
TRANSACTION_DATE = "2000-01-01T00:00:00"
# The middle of each contribution band in guilders, as the data dictionary gives the bands.
BAND_GUILDERS = {
    0: 0,
    1: 25,
    2: 75,
    3: 150,
    4: 350,
    5: 750,
    6: 3000,
    7: 7500,
    8: 15000,
    9: 20000,
}
# Policy kinds by their column suffix (P<suffix> band, A<suffix> count), in file order.
POLICY_KINDS = {
    "WAPART": "private third party",
    "WABEDR": "business third party",
    "WALAND": "agriculture third party",
    "PERSAUT": "car",
    "BESAUT": "delivery van",
    "MOTSCO": "motorcycle",
    "VRAAUT": "lorry",
    "AANHANG": "trailer",
    "TRACTOR": "tractor",
    "WERKT": "agricultural machine",
    "BROM": "moped",
    "LEVEN": "life",
    "PERSONG": "private accident",
    "GEZONG": "family accident",
    "WAOREG": "disability",
    "BRAND": "fire",
    "ZEILPL": "surfboard",
    "PLEZIER": "boat",
    "FIETS": "bicycle",
    "INBOED": "property",
    "BYSTAND": "social security",
}


def load(*, source: Path | None = None, cache_dir: Path = DEFAULT_CACHE) -> dict[str, pd.DataFrame]:
    """The Caravan file as a frame, with the row number as each customer's id."""
    data = read_member(
        package=PACKAGE,
        distribution=DISTRIBUTION,
        member=MEMBER,
        source=source,
        cache_dir=cache_dir,
    )
    customers = pd.read_csv(as_buffer(data))
    customers.insert(0, "customer_id", [str(i) for i in range(1, len(customers) + 1)])
    return {"customers": customers}


def policy_lines(customers: pd.DataFrame) -> pd.DataFrame:
    """One row per customer and kind of policy held: id, kind, count and band."""
    frames = []
    for suffix, kind in POLICY_KINDS.items():
        held = customers.loc[customers[f"A{suffix}"] > 0]
        frames.append(
            pd.DataFrame(
                {
                    "customer_id": held["customer_id"],
                    "suffix": suffix,
                    "kind": kind,
                    "policies": held[f"A{suffix}"],
                    "band": held[f"P{suffix}"],
                }
            )
        )
    lines = pd.concat(frames, ignore_index=True)
    order = lines["customer_id"].astype(int)
    return lines.assign(order=order).sort_values(["order", "suffix"]).drop(columns="order")


def to_raw_contract(*, customers: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The three contract tables of the data set (see the module docstring for the mapping)."""
    lines = policy_lines(customers)
    return {
        "transactions": contract_frame(
            source="transactions",
            columns={
                "transaction_id": lines["customer_id"] + "-" + lines["suffix"],
                "customer_id": lines["customer_id"],
                "transaction_date": [TRANSACTION_DATE] * len(lines),
                "amount": money(lines["band"].map(BAND_GUILDERS)),
                "quantity": lines["policies"].astype(int).astype(str),
                "product_category": lines["kind"],
            },
        ),
        "demographics": contract_frame(
            source="demographics", columns={"customer_id": customers["customer_id"]}
        ),
        "credit_profiles": contract_frame(source="credit_profiles"),
    }


def convert(*, frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """`to_raw_contract` over the frames `load` returns."""
    return to_raw_contract(customers=frames["customers"])


def customer_ids(*, frames: dict[str, pd.DataFrame]) -> pd.Series:
    """Every customer's id (the row number)."""
    return frames["customers"]["customer_id"]


def keep_customers(*, frames: dict[str, pd.DataFrame], ids: set[str]) -> dict[str, pd.DataFrame]:
    """The customers cut to some ids (for a small committed slice)."""
    customers = frames["customers"]
    return {"customers": customers[customers["customer_id"].isin(ids)]}
