"""Generate realistic, messy raw data to the raw data contract (docs/raw-data-contract.md).

Usage::

    python -m raw_data.generate --customers 3000 --seed 42 --out data/sample
    python -m raw_data.generate --customers 1000000 --seed 7 --out /tmp/big --format parquet

Writes into ``--out``:

- ``transactions.<fmt>``, ``demographics.<fmt>``, ``credit_profiles.<fmt>``: the three
  sources with exactly the contract's columns, every value a string (CSV and Parquet
  hold the same text, so a build rejects the same rows from either format);
- ``truth.csv``: ``customer_id,persona``, the planted segment of every generated
  customer (dbt never reads it; tests score the clustering against it);
- ``manifest.json``: the generator parameters, raw row counts per source, the exact
  number of rows dbt must reject per source and reason (the reasons and their
  first-wins order are those of seeds/staging/reject_reasons.csv), and the clean row
  counts.

Each row carries at most one injected defect and only clean rows are re-delivered,
so the expected reject counts are exact. The as-of date is fixed (``AS_OF_DATE``) and
at least one clean transaction falls on it, so the as-of date dbt derives equals it.
Injected future dates lie 150 days to 5 years after it; injected implausible dates lie
before 1990-01-01 (the ``min_valid_date`` default); out-of-range amounts exceed
1,000,000 in absolute value (the ``max_abs_amount`` default) and no other amount does.

Customers are generated in fixed-size chunks, each from its own random stream
derived from (seed, chunk index), and written as they are made, so memory stays
bounded and the same arguments give byte-identical files.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from tqdm import tqdm

from raw_data.contract import column_names, reject_reasons_by_source
from raw_data.personas import (
    BARGAIN,
    BIG,
    DORMANT,
    FREQUENT,
    HIGH_RISK,
    NEW,
    PERSONAS,
    CustomerPlan,
    plan_customers,
)

ESTABLISHED = (FREQUENT, BIG, BARGAIN, DORMANT, HIGH_RISK)
AS_OF_DATE = np.datetime64("2026-06-30", "D")
CHUNK_CUSTOMERS = 25_000
GENERATOR_VERSION = 2

# The contract's columns per source and the reasons each source's rows can be rejected
# for, in first-wins order: read from the dbt project, their one home (raw_data/contract.py).
SOURCES = column_names()
REJECT_REASONS = reject_reasons_by_source()
# Share of rows given each single-row defect (one defect at most per row).
TRANSACTION_DEFECT_RATES = {
    "missing_customer_id": 0.004,
    "missing_transaction_id": 0.003,
    "unparsable_date": 0.005,
    "implausible_date": 0.003,
    "non_numeric_amount": 0.005,
    "amount_out_of_range": 0.002,
    "future_date": 0.004,
}
DEMOGRAPHIC_DEFECT_RATES = {"missing_customer_id": 0.005}
CREDIT_DEFECT_RATES = {
    "missing_customer_id": 0.004,
    "unparsable_date": 0.004,
    "implausible_date": 0.003,
    "future_date": 0.003,
}
DUPLICATE_RATE = 0.008  # exact re-deliveries, drawn from clean rows
CONFLICT_RATE = 0.002  # same transaction_id, different amount
NO_DEMOGRAPHICS_SHARE = 0.05
NO_CREDIT_SHARE = 0.10
DEMOGRAPHICS_ONLY_SHARE = 0.005  # signed-up dormant customers who never bought

BLANK_VALUES = (None, "", "   ")
UNPARSABLE_DATES = ("31/02/2026", "not a date", "2026-13-01", "2026-02-30", "", None)
IMPLAUSIBLE_DATES = ("1900-01-01", "1970-01-01", "1899-12-31", "1985-06-15")
NON_NUMERIC_AMOUNTS = ("N/A", "twelve", "12..5", "abc", "", None)
FUTURE_DAYS = (150, 1825)

# Spellings per free-text field: only those CONTRIBUTING.md's folding rules name,
# plus a few deliberately unknown values that must fold to `other` / `unknown`.
CHANNEL_SPELLINGS = {
    "online": 0.40, "web": 0.06, "e-commerce": 0.04,
    "store": 0.22, "in-store": 0.04, "in store": 0.03, "shop": 0.03,
    "mobile": 0.10, "app": 0.03, "mobile app": 0.03,
    "phone": 0.01, "catalogue": 0.005, "": 0.005,
}  # fmt: skip
CARD_SPELLINGS = {
    "card": 0.50, "credit card": 0.12, "debit card": 0.12, "cash": 0.23,
    "voucher": 0.01, "crypto": 0.01, "": 0.01,
}  # fmt: skip
CREDIT_SPELLINGS = {
    "credit": 0.35, "store credit": 0.08, "credit line": 0.07,
    "bnpl": 0.30, "buy now pay later": 0.12, "buy now, pay later": 0.08,
}  # fmt: skip
CATEGORY_SPELLINGS = {
    "electronics": 0.12,
    "home_garden": 0.05, "home & garden": 0.04, "home and garden": 0.03,
    "grocery": 0.12, "groceries": 0.04, "food": 0.03,
    "fashion": 0.08, "apparel": 0.03, "clothing": 0.03,
    "beauty": 0.07, "cosmetics": 0.03,
    "toys": 0.05, "toys & games": 0.02, "games": 0.02,
    "sports": 0.06, "sporting goods": 0.02, "sport": 0.02,
    "books": 0.06, "book": 0.02,
    "pet supplies": 0.01, "automotive": 0.01, "": 0.01,
}  # fmt: skip
# Which category each spelling above means (the seed product_categories maps the same way).
CATEGORY_OF_SPELLING = {
    "home & garden": "home_garden", "home and garden": "home_garden",
    "groceries": "grocery", "food": "grocery", "apparel": "fashion", "clothing": "fashion",
    "cosmetics": "beauty", "toys & games": "toys", "games": "toys",
    "sporting goods": "sports", "sport": "sports", "book": "books",
}  # fmt: skip
# How much more often a persona buys a category than the base mix, so segments
# differ in their top category as real ones do.
PERSONA_CATEGORY_TILT = {
    FREQUENT: {"grocery": 2.5, "beauty": 1.5},
    BIG: {"electronics": 4.0, "fashion": 2.0},
    BARGAIN: {"grocery": 3.0, "toys": 1.5},
    DORMANT: {"books": 4.0, "home_garden": 2.0},
    NEW: {"fashion": 3.5, "beauty": 2.0},
    HIGH_RISK: {"electronics": 3.0, "sports": 2.0},
}
GENDER_SPELLINGS = {
    "female": 0.25, "f": 0.12, "woman": 0.03, "w": 0.02,
    "male": 0.25, "m": 0.12, "man": 0.03,
    "x": 0.01, "other": 0.01, "non-binary": 0.01, "nonbinary": 0.005, "diverse": 0.005,
    "prefer not to say": 0.05, "?": 0.02, "": 0.05,
}  # fmt: skip
# How a spelling is typed: as listed, shouted, capitalised, padded, or with a doubled space.
CASING_WEIGHTS = (0.70, 0.10, 0.10, 0.05, 0.05)

REGIONS = (
    "London", "South East", "South West", "East of England", "West Midlands",
    "East Midlands", "North West", "North East", "Yorkshire", "Scotland", "Wales",
    "Northern Ireland",
)  # fmt: skip
FIRST_NAMES = (
    "Olivia", "Amelia", "Isla", "Ava", "Mia", "Sophia", "Grace", "Lily", "Freya", "Emily",
    "Noah", "Oliver", "George", "Arthur", "Leo", "Harry", "Oscar", "Jack", "Henry", "Charlie",
    "Aisha", "Priya", "Mohammed", "Omar", "Zara", "Chen", "Yusuf", "Sofia", "Lucas", "Maya",
)  # fmt: skip
LAST_NAMES = (
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel",
    "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall",
    "Khan", "Lewis", "Clarke", "Jackson", "Wood", "Harris", "Edwards", "Turner", "Martin",
    "Cooper", "Hill", "Ward", "Morris", "Moore", "Nguyen", "Kowalski", "Murphy", "O'Brien",
)  # fmt: skip
EMAIL_DOMAINS = ("example.com", "example.org", "example.net", "mail.example")


@dataclass
class Tally:
    """Running counts over chunks for the manifest."""

    raw_rows: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SOURCES, 0))
    rejects: dict[str, dict[str, int]] = field(
        default_factory=lambda: {s: dict.fromkeys(r, 0) for s, r in REJECT_REASONS.items()}
    )
    personas: dict[str, int] = field(default_factory=lambda: dict.fromkeys(PERSONAS, 0))

    def add(self, source: str, raw_rows: int, rejects: dict[str, int]) -> None:
        """Add one chunk of one source."""
        self.raw_rows[source] += raw_rows
        for reason, count in rejects.items():
            self.rejects[source][reason] += int(count)


def _spelling_forms(spellings: dict[str, float]) -> tuple[pa.Array, np.ndarray]:
    """Every way each spelling gets typed, with its probability, for vectorised draws."""
    forms: list[str] = []
    weights: list[float] = []
    for text, weight in spellings.items():
        typed = (
            text,
            text.upper(),
            text.title(),
            f" {text} " if text else "",
            text.replace(" ", "  ", 1) if " " in text else f"{text} ",
        )
        for form, casing_weight in zip(typed, CASING_WEIGHTS, strict=True):
            forms.append(form)
            weights.append(weight * casing_weight)
    p = np.asarray(weights)
    return pa.array(forms, pa.string()), p / p.sum()


def _draw_text(rng: np.random.Generator, spellings: dict[str, float], n: int) -> pa.Array:
    forms, p = _spelling_forms(spellings)
    return forms.take(pa.array(rng.choice(len(forms), size=n, p=p)))


def _draw_category(rng: np.random.Generator, persona: np.ndarray) -> pa.Array:
    """Product categories with each persona's tilt.

    One uniform draw per row, inverted through the row's persona CDF: the
    same draws `rng.choice` makes, so every other column stays as it was.
    """
    uniform = rng.random(persona.size)
    index = np.empty(persona.size, dtype=np.int64)
    for code in np.unique(persona):
        tilt = PERSONA_CATEGORY_TILT.get(int(code), {})
        spellings = {
            text: weight * tilt.get(CATEGORY_OF_SPELLING.get(text, text), 1.0)
            for text, weight in CATEGORY_SPELLINGS.items()
        }
        forms, p = _spelling_forms(spellings)
        rows = persona == code
        index[rows] = np.minimum(np.cumsum(p).searchsorted(uniform[rows], side="right"), p.size - 1)
    forms, _ = _spelling_forms(CATEGORY_SPELLINGS)
    return forms.take(pa.array(index))


def _draw_from(rng: np.random.Generator, values: tuple, n: int) -> pa.Array:
    """n values drawn uniformly from a small tuple (None becomes null)."""
    return pa.array(values, pa.string()).take(pa.array(rng.integers(0, len(values), n)))


def _fmt_int(values: np.ndarray, width: int = 0, prefix: str = "") -> pa.Array:
    text = pc.cast(pa.array(values, pa.int64()), pa.string())
    if width:
        text = pc.utf8_lpad(text, width=width, padding="0")
    return pc.binary_join_element_wise(prefix, text, "") if prefix else text


def _fmt_cents(cents: np.ndarray) -> pa.Array:
    """Money as plain decimal text with two places, e.g. -12.05."""
    magnitude = np.abs(cents)
    text = pc.binary_join_element_wise(
        _fmt_int(magnitude // 100), _fmt_int(magnitude % 100, width=2), "."
    )
    return pc.if_else(pa.array(cents < 0), pc.binary_join_element_wise("-", text, ""), text)


def _fmt_days(days_since_epoch: np.ndarray) -> pa.Array:
    return pc.cast(pa.array(days_since_epoch.astype("datetime64[D]")), pa.string())


def _fmt_timestamps(seconds: np.ndarray, forms: np.ndarray) -> pa.Array:
    """ISO 8601 in three forms: 0 date only, 1 `T`-separated, 2 space-separated."""
    spaced = pc.cast(pa.array(seconds.astype("datetime64[s]")), pa.string())
    return pc.choose(
        pa.array(forms.astype(np.int8)),
        pc.utf8_slice_codeunits(spaced, 0, 10),
        pc.replace_substring(spaced, " ", "T"),
        spaced,
    )


def _replace_where(values: pa.Array, mask: np.ndarray, dirty: pa.Array) -> pa.Array:
    return pc.if_else(pa.array(mask), dirty, values)


def _assign_defects(
    rng: np.random.Generator, n: int, rates: dict[str, float], protected: np.ndarray | None
) -> np.ndarray:
    """One defect code per row (0 clean, i+1 the i-th reason of `rates`), at most one each."""
    edges = np.cumsum(list(rates.values()))
    code = np.searchsorted(edges, rng.random(n), side="right") + 1
    code[code > len(rates)] = 0
    if protected is not None:
        code[protected] = 0
    return code


def _redeliver(rng: np.random.Generator, clean: np.ndarray, rate: float) -> np.ndarray:
    """Indices of clean rows delivered a second time."""
    return np.flatnonzero(clean & (rng.random(clean.size) < rate))


def _superseded(customer: np.ndarray, survivors: np.ndarray) -> int:
    """Rows that pass every earlier check but are not a customer's latest version."""
    counts = np.bincount(customer[survivors])
    return int(np.maximum(counts - 1, 0).sum())


def _customer_ids(ids: np.ndarray) -> pa.Array:
    return _fmt_int(ids, width=8, prefix="C")


def _membership(
    rng: np.random.Generator, plan: CustomerPlan
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Which sources each customer appears in: (buys, in_demographics, in_credit)."""
    n = plan.persona.size
    dormant = plan.persona == DORMANT
    demo_only = dormant & (rng.random(n) < DEMOGRAPHICS_ONLY_SHARE / 0.20)
    no_demo = ~demo_only & (rng.random(n) < NO_DEMOGRAPHICS_SHARE)
    # Borrowers are defined by their credit data, so a lender always has it for them.
    may_lack_credit = plan.persona != HIGH_RISK
    no_credit = may_lack_credit & (rng.random(n) < NO_CREDIT_SHARE / 0.88)
    return ~demo_only, ~no_demo, ~(no_credit | demo_only)


def _transactions(
    rng: np.random.Generator,
    ids: np.ndarray,
    plan: CustomerPlan,
    buys: np.ndarray,
    anchor: bool,
    tally: Tally,
) -> pa.Table:
    """Purchases and refunds of one chunk, dirt included, rows in shuffled order."""
    n_rows_per = np.where(buys, plan.n_purchases + plan.n_refunds, 0)
    cust = np.repeat(np.arange(ids.size), n_rows_per)
    starts = np.cumsum(n_rows_per) - n_rows_per
    seq = np.arange(cust.size) - starts[cust]
    is_refund = seq >= plan.n_purchases[cust]
    n = cust.size

    recency, window = plan.recency[cust], plan.window[cust]
    days_ago = rng.integers(recency, np.maximum(window, recency) + 1)
    days_ago[seq == 0] = recency[seq == 0]  # the latest purchase sets the recency
    # Established customers made a first purchase soon after signing up, so their
    # tenure reads the same with or without a CRM record.
    welcome = (seq == 1) & np.isin(plan.persona[cust], ESTABLISHED)
    days_ago[welcome] = plan.signup_days_ago[cust[welcome]] - rng.integers(
        0, 30, int(welcome.sum())
    )
    protected = np.zeros(n, dtype=bool)
    if anchor and n:
        # One clean purchase on the as-of date, so dbt derives exactly AS_OF_DATE.
        candidates = np.flatnonzero((seq == 0) & (plan.persona[cust] == FREQUENT))
        row = int(candidates[0]) if candidates.size else 0
        days_ago[row], is_refund[row], protected[row] = 0, False, True
    day = AS_OF_DATE.astype(np.int64) - days_ago
    seconds = day * 86_400 + rng.integers(8 * 3600, 22 * 3600, n)
    date_form = rng.choice(3, size=n, p=(0.6, 0.2, 0.2))

    sigma = plan.amount_sigma[cust]
    amount = plan.aov[cust] * rng.lognormal(-(sigma**2) / 2, sigma)
    cents = np.clip(np.rint(amount * 100), 50, 90_000_000).astype(np.int64)
    cents[is_refund] *= -1

    credit_like = rng.random(n) < plan.credit_share[cust]
    quantity = _fmt_int(1 + rng.poisson(0.6, n))
    columns = {
        "transaction_id": _fmt_int(ids[cust] * 10_000 + seq, width=12, prefix="T"),
        "customer_id": _customer_ids(ids[cust]),
        "transaction_date": _fmt_timestamps(seconds, date_form),
        "amount": _fmt_cents(cents),
        "quantity": _replace_where(quantity, rng.random(n) < 0.01, pa.nulls(n, pa.string())),
        "product_category": _draw_category(rng, plan.persona[cust]),
        "channel": _draw_text(rng, CHANNEL_SPELLINGS, n),
        "payment_method": pc.if_else(
            pa.array(credit_like),
            _draw_text(rng, CREDIT_SPELLINGS, n),
            _draw_text(rng, CARD_SPELLINGS, n),
        ),
    }

    defect = _assign_defects(rng, n, TRANSACTION_DEFECT_RATES, protected)
    reasons = list(TRANSACTION_DEFECT_RATES)
    is_ = {reason: defect == i + 1 for i, reason in enumerate(reasons)}
    columns["customer_id"] = _replace_where(
        columns["customer_id"], is_["missing_customer_id"], _draw_from(rng, BLANK_VALUES, n)
    )
    columns["transaction_id"] = _replace_where(
        columns["transaction_id"], is_["missing_transaction_id"], _draw_from(rng, BLANK_VALUES, n)
    )
    far_future = (AS_OF_DATE.astype(np.int64) + rng.integers(*FUTURE_DAYS, n)) * 86_400
    dates = _replace_where(
        columns["transaction_date"],
        is_["future_date"],
        _fmt_timestamps(far_future + seconds % 86_400, date_form),
    )
    dates = _replace_where(dates, is_["unparsable_date"], _draw_from(rng, UNPARSABLE_DATES, n))
    columns["transaction_date"] = _replace_where(
        dates, is_["implausible_date"], _draw_from(rng, IMPLAUSIBLE_DATES, n)
    )
    huge = rng.integers(100_000_100, 5_000_000_000, n) * np.where(rng.random(n) < 0.3, -1, 1)
    amounts = _replace_where(columns["amount"], is_["amount_out_of_range"], _fmt_cents(huge))
    columns["amount"] = _replace_where(
        amounts, is_["non_numeric_amount"], _draw_from(rng, NON_NUMERIC_AMOUNTS, n)
    )
    table = _contract_table("transactions", columns)

    clean = defect == 0
    duplicates = _redeliver(rng, clean & ~protected, DUPLICATE_RATE)
    clean[duplicates] = False
    conflicts = _redeliver(rng, clean & ~protected, CONFLICT_RATE)
    conflicting = table.take(pa.array(conflicts))
    shifted = _fmt_cents(cents[conflicts] + np.where(cents[conflicts] > 0, 100, -100))
    conflicting = conflicting.set_column(3, "amount", shifted)
    out = pa.concat_tables([table, table.take(pa.array(duplicates)), conflicting])

    rejects = {reason: int(mask.sum()) for reason, mask in is_.items()}
    rejects["duplicate"] = duplicates.size
    rejects["conflicting_duplicate"] = conflicts.size
    tally.add("transactions", out.num_rows, rejects)
    return out.take(pa.array(rng.permutation(out.num_rows)))


def _demographics(
    rng: np.random.Generator, ids: np.ndarray, plan: CustomerPlan, present: np.ndarray, tally: Tally
) -> pa.Table:
    """The CRM export: one or more versions per customer, personal data included."""
    versions = np.where(present, rng.choice([1, 2, 3], size=ids.size, p=(0.88, 0.09, 0.03)), 0)
    cust = np.repeat(np.arange(ids.size), versions)
    starts = np.cumsum(versions) - versions
    version = np.arange(cust.size) - starts[cust]  # 0 is the latest
    n = cust.size

    # Per-customer facts, drawn for everyone so a version only varies what a CRM would.
    as_of = AS_OF_DATE.astype(np.int64)
    age_days = rng.integers(18 * 365, 85 * 365, ids.size)
    odd_age = rng.random(ids.size)
    age_days[odd_age < 0.003] = rng.integers(112 * 365, 140 * 365)  # born in the 1800s
    age_days[(odd_age >= 0.003) & (odd_age < 0.005)] = rng.integers(2 * 365, 15 * 365)
    birth = _replace_where(
        _fmt_days(as_of - age_days[cust]), rng.random(n) < 0.01, pa.nulls(n, pa.string())
    )
    income_scale = np.where(plan.persona == BIG, 2.2, 1.0)
    income = np.rint(rng.lognormal(np.log(38_000), 0.45, ids.size) * income_scale / 100) * 100
    # Older CRM versions knew an older, lower income.
    income_cents = np.rint(income[cust] * rng.uniform(0.85, 1.0, n) ** version) * 100
    income_cents = income_cents.astype(np.int64)
    odd_income = rng.random(n)
    income_cents[odd_income < 0.003] *= -1  # negative: becomes null, not a reject
    income_text = _replace_where(
        _fmt_cents(income_cents), odd_income > 0.99, pa.nulls(n, pa.string())
    )
    region = rng.integers(0, len(REGIONS), ids.size)
    moved = rng.random(n) < 0.3 * (version > 0)
    region_idx = np.where(moved, rng.integers(0, len(REGIONS), n), region[cust])
    signup = as_of - plan.signup_days_ago
    first = rng.integers(0, len(FIRST_NAMES), ids.size)[cust]
    last = rng.integers(0, len(LAST_NAMES), ids.size)[cust]
    domain = np.where(version > 0, rng.integers(0, len(EMAIL_DOMAINS), n), 0)

    # Latest update somewhere after signup; older versions strictly earlier.
    span = np.maximum(plan.signup_days_ago[cust], 1) * 86_400
    latest = rng.uniform(0.5, 1.0, n) * span
    offset = (latest * (versions[cust] - version) / np.maximum(versions[cust], 1)).astype(np.int64)
    updated = signup[cust] * 86_400 + offset
    first_s = pa.array(FIRST_NAMES).take(pa.array(first))
    last_s = pa.array(LAST_NAMES).take(pa.array(last))
    local = pc.utf8_lower(
        pc.replace_substring(pc.binary_join_element_wise(first_s, last_s, "."), "'", "")
    )
    local = pc.binary_join_element_wise(local, _fmt_int(ids[cust] % 1000), "")
    columns = {
        "customer_id": _customer_ids(ids[cust]),
        "birth_date": birth,
        "gender": _draw_text(rng, GENDER_SPELLINGS, ids.size).take(pa.array(cust)),
        "annual_income": income_text,
        "region": pa.array(REGIONS).take(pa.array(region_idx)),
        "signup_date": _fmt_days(signup[cust]),
        "updated_at": _fmt_timestamps(updated, rng.choice([1, 2], size=n)),
        "email": pc.binary_join_element_wise(
            local, pa.array(EMAIL_DOMAINS).take(pa.array(domain)), "@"
        ),
        "full_name": pc.binary_join_element_wise(first_s, last_s, " "),
    }
    defect = _assign_defects(rng, n, DEMOGRAPHIC_DEFECT_RATES, None)
    missing = defect == 1
    columns["customer_id"] = _replace_where(
        columns["customer_id"], missing, _draw_from(rng, BLANK_VALUES, n)
    )
    table = _contract_table("demographics", columns)
    duplicates = _redeliver(rng, ~missing, DUPLICATE_RATE / 2)
    out = pa.concat_tables([table, table.take(pa.array(duplicates))])
    tally.add(
        "demographics",
        out.num_rows,
        {
            "missing_customer_id": int(missing.sum()),
            "duplicate": duplicates.size,
            "superseded": _superseded(cust, ~missing),
        },
    )
    return out.take(pa.array(rng.permutation(out.num_rows)))


def _credit_profiles(
    rng: np.random.Generator, ids: np.ndarray, plan: CustomerPlan, present: np.ndarray, tally: Tally
) -> pa.Table:
    """Monthly credit snapshots: the latest carries the customer's risk profile."""
    snapshots = np.where(present, rng.choice([1, 2, 3], size=ids.size, p=(0.5, 0.3, 0.2)), 0)
    cust = np.repeat(np.arange(ids.size), snapshots)
    starts = np.cumsum(snapshots) - snapshots
    version = np.arange(cust.size) - starts[cust]
    n = cust.size

    latest_ago = rng.integers(0, 45, ids.size)[cust]
    day = AS_OF_DATE.astype(np.int64) - latest_ago - version * rng.integers(28, 35, n)
    limit = rng.choice(np.arange(1_000, 25_001, 500), size=ids.size)[cust]
    drift = rng.uniform(0.9, 1.1, n) ** np.minimum(version, 1)
    balance = np.rint(plan.utilisation[cust] * drift * limit * 100).astype(np.int64)
    missed = np.maximum(plan.missed_payments[cust] - (version > 0) * rng.integers(0, 2, n), 0)
    score = np.clip(plan.credit_score[cust] + version * rng.integers(-15, 16, n), 300, 850)
    odd = rng.random(n)
    score[odd < 0.004] = rng.choice([0, 250, 999, 1000], size=int((odd < 0.004).sum()))
    nulls = pa.nulls(n, pa.string())
    columns = {
        "customer_id": _customer_ids(ids[cust]),
        "snapshot_date": _fmt_days(day),
        "credit_limit": _replace_where(_fmt_cents(limit * 100), odd > 0.995, nulls),
        "balance": _replace_where(_fmt_cents(balance), (odd > 0.99) & (odd <= 0.995), nulls),
        "missed_payments_12m": _fmt_int(missed),
        "credit_score": _replace_where(_fmt_int(score), (odd > 0.985) & (odd <= 0.99), nulls),
    }
    defect = _assign_defects(rng, n, CREDIT_DEFECT_RATES, None)
    reasons = list(CREDIT_DEFECT_RATES)
    is_ = {reason: defect == i + 1 for i, reason in enumerate(reasons)}
    columns["customer_id"] = _replace_where(
        columns["customer_id"], is_["missing_customer_id"], _draw_from(rng, BLANK_VALUES, n)
    )
    future = AS_OF_DATE.astype(np.int64) + rng.integers(*FUTURE_DAYS, n)
    snap = _replace_where(columns["snapshot_date"], is_["future_date"], _fmt_days(future))
    snap = _replace_where(snap, is_["unparsable_date"], _draw_from(rng, UNPARSABLE_DATES, n))
    columns["snapshot_date"] = _replace_where(
        snap, is_["implausible_date"], _draw_from(rng, IMPLAUSIBLE_DATES, n)
    )
    table = _contract_table("credit_profiles", columns)
    clean = defect == 0
    duplicates = _redeliver(rng, clean, DUPLICATE_RATE / 2)
    out = pa.concat_tables([table, table.take(pa.array(duplicates))])
    rejects = {reason: int(mask.sum()) for reason, mask in is_.items()}
    rejects["duplicate"] = duplicates.size
    rejects["superseded"] = _superseded(cust, clean)
    tally.add("credit_profiles", out.num_rows, rejects)
    return out.take(pa.array(rng.permutation(out.num_rows)))


def chunk_rng(seed: int, chunk_index: int) -> np.random.Generator:
    """The chunk's own random stream: independent of every other chunk's, and reproducible."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(chunk_index,)))


def generate_chunk(
    seed: int, chunk_index: int, first_id: int, n_customers: int, tally: Tally
) -> dict[str, pa.Table]:
    """All rows of one chunk of customers, plus their planted personas under `truth`."""
    rng = chunk_rng(seed, chunk_index)
    ids = np.arange(first_id, first_id + n_customers, dtype=np.int64)
    plan = plan_customers(rng, n_customers)
    buys, in_demo, in_credit = _membership(rng, plan)
    for code, name in enumerate(PERSONAS):
        tally.personas[name] += int((plan.persona == code).sum())
    return {
        "transactions": _transactions(rng, ids, plan, buys, chunk_index == 0, tally),
        "demographics": _demographics(rng, ids, plan, in_demo, tally),
        "credit_profiles": _credit_profiles(rng, ids, plan, in_credit, tally),
        "truth": pa.table(
            {
                "customer_id": _customer_ids(ids),
                "persona": pa.array(PERSONAS).take(pa.array(plan.persona.astype(np.int64))),
            }
        ),
    }


def _chunks(customers: int) -> Iterator[tuple[int, int, int]]:
    for index, start in enumerate(range(0, customers, CHUNK_CUSTOMERS)):
        yield index, start + 1, min(CHUNK_CUSTOMERS, customers - start)


def _contract_table(source: str, columns: dict[str, pa.Array]) -> pa.Table:
    """The generated columns in contract order: the YAML orders the file, not this module.

    A contract column the generator does not make fails here, naming the column.
    """
    return pa.table({name: columns[name] for name in SOURCES[source]})


class _Writers:
    """One streaming writer per output file, all string columns."""

    def __init__(self, out: Path, file_format: str) -> None:
        self._writers = {}
        for source, columns in SOURCES.items():
            schema = pa.schema([(c, pa.string()) for c in columns])
            path = out / f"{source}.{file_format}"
            if file_format == "parquet":
                self._writers[source] = pq.ParquetWriter(path, schema, compression="zstd")
            else:
                self._writers[source] = pa_csv.CSVWriter(path, schema)
        truth_schema = pa.schema([("customer_id", pa.string()), ("persona", pa.string())])
        self._writers["truth"] = pa_csv.CSVWriter(out / "truth.csv", truth_schema)

    def write(self, tables: dict[str, pa.Table]) -> None:
        for name, table in tables.items():
            self._writers[name].write_table(table)

    def close(self) -> None:
        for writer in self._writers.values():
            writer.close()


def generate(customers: int, seed: int, out: Path, file_format: str = "csv") -> dict:
    """Write the three sources, truth.csv and manifest.json into `out`; return the manifest."""
    if customers < 0:
        raise ValueError("--customers must be zero or more")
    out.mkdir(parents=True, exist_ok=True)
    tally = Tally()
    writers = _Writers(out, file_format)
    try:
        with tqdm(total=customers, unit="customer", file=sys.stderr, disable=None) as bar:
            for index, first_id, size in _chunks(customers):
                writers.write(generate_chunk(seed, index, first_id, size, tally))
                bar.update(size)
    finally:
        writers.close()
    manifest = build_manifest(customers, seed, file_format, tally)
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def build_manifest(customers: int, seed: int, file_format: str, tally: Tally) -> dict:
    """What a build of these files must produce, row for row."""
    clean = {
        source: tally.raw_rows[source] - sum(tally.rejects[source].values()) for source in SOURCES
    }
    return {
        "parameters": {
            "customers": customers,
            "seed": seed,
            "format": file_format,
            "as_of_date": str(AS_OF_DATE),
            "chunk_customers": CHUNK_CUSTOMERS,
            "generator_version": GENERATOR_VERSION,
            "min_valid_date": "1990-01-01",
            "max_abs_amount": 1_000_000,
        },
        "raw_rows": tally.raw_rows,
        "expected_rejected_rows": tally.rejects,
        "expected_clean_rows": clean,
        "personas": tally.personas,
    }


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m raw_data.generate",
        description=(
            "Generate messy raw customer data to docs/raw-data-contract.md: "
            "transactions, demographics, credit_profiles, plus truth.csv (planted "
            "personas) and manifest.json (exact expected reject counts). Same "
            "arguments give byte-identical files."
        ),
    )
    parser.add_argument("--customers", type=int, required=True, help="number of customers (>= 0)")
    parser.add_argument("--seed", type=int, required=True, help="random seed (>= 0)")
    parser.add_argument("--out", type=Path, required=True, help="output directory (created)")
    parser.add_argument(
        "--format", choices=("csv", "parquet"), default="csv", help="file format (default csv)"
    )
    args = parser.parse_args(argv)
    if args.customers < 0:
        parser.error("--customers must be zero or more")
    if args.seed < 0:
        parser.error("--seed must be zero or more")
    return args


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    args = _parse_args(argv)
    manifest = generate(args.customers, args.seed, args.out, args.format)
    rows = ", ".join(f"{k} {v:,}" for k, v in manifest["raw_rows"].items())
    print(f"wrote {args.out}: {rows}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
