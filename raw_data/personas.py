"""Per-persona behaviour for the raw data generator: who buys how often, how much, and
how they borrow.

Kept apart from the writing and dirt code in `generate.py` so the planted structure the
clustering must recover can be read (and tuned) in one place. Every function is
vectorised over a chunk of customers: no per-row Python loops.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PERSONAS: tuple[str, ...] = (
    "frequent_shopper",
    "big_spender",
    "bargain_hunter",
    "dormant",
    "new_customer",
    "high_risk_borrower",
    "outlier",
)
PERSONA_SHARES: tuple[float, ...] = (0.20, 0.12, 0.20, 0.20, 0.13, 0.12, 0.03)

FREQUENT, BIG, BARGAIN, DORMANT, NEW, HIGH_RISK, OUTLIER = range(len(PERSONAS))

# Outliers are extreme each in their own way; the kind is drawn per outlier.
OUTLIER_KINDS = 5


@dataclass(frozen=True)
class CustomerPlan:
    """What a chunk of customers will do, one array element per customer."""

    persona: np.ndarray  # int8 index into PERSONAS
    n_purchases: np.ndarray  # int64
    n_refunds: np.ndarray  # int64
    aov: np.ndarray  # float64, the customer's typical order value
    amount_sigma: np.ndarray  # float64, log-normal spread of single amounts
    recency: np.ndarray  # int64, days before the as-of date of the latest purchase
    window: np.ndarray  # int64, purchases fall in [recency, window] days ago
    signup_days_ago: np.ndarray  # int64
    credit_share: np.ndarray  # float64, probability a purchase is paid on credit/bnpl
    utilisation: np.ndarray  # float64
    missed_payments: np.ndarray  # int64
    credit_score: np.ndarray  # int64


def _uniform_int(rng: np.random.Generator, low: np.ndarray | int, high: np.ndarray | int, n: int):
    """Integers in [low, high] inclusive; both bounds may be per-customer arrays."""
    return rng.integers(low, np.asarray(high) + 1, size=n)


def _log_uniform(rng: np.random.Generator, low: float, high: float, n: int) -> np.ndarray:
    """Heavy spread for outliers: equally likely in every order of magnitude."""
    return np.exp(rng.uniform(np.log(low), np.log(high), size=n))


def plan_customers(rng: np.random.Generator, n: int) -> CustomerPlan:
    """Draw each customer's persona and the parameters their rows are generated from.

    Within-persona spread is kept modest so each persona is a compact blob in
    the (scaled, log-transformed) feature space, and each pair of personas is
    apart on at least two features.
    """
    persona = rng.choice(len(PERSONAS), size=n, p=PERSONA_SHARES).astype(np.int8)
    n_purchases = np.zeros(n, dtype=np.int64)
    refund_rate = np.zeros(n)
    aov = np.zeros(n)
    sigma = np.full(n, 0.30)
    recency = np.zeros(n, dtype=np.int64)
    window = np.full(n, 364, dtype=np.int64)
    signup = _uniform_int(rng, 730, 1825, n)  # established customers: 2-5 years
    credit_share = np.full(n, 0.12)
    util = rng.uniform(0.0, 0.4, n)
    missed = np.zeros(n, dtype=np.int64)
    score = _uniform_int(rng, 640, 850, n)

    def pick(code: int) -> tuple[np.ndarray, int]:
        mask = persona == code
        return mask, int(mask.sum())

    m, k = pick(FREQUENT)
    n_purchases[m] = _uniform_int(rng, 18, 28, k)
    aov[m] = rng.uniform(30, 60, k)
    recency[m] = _uniform_int(rng, 0, 10, k)
    refund_rate[m] = rng.uniform(0.05, 0.10, k)

    m, k = pick(BIG)
    n_purchases[m] = _uniform_int(rng, 6, 10, k)
    aov[m] = rng.uniform(300, 900, k)
    recency[m] = _uniform_int(rng, 5, 40, k)
    refund_rate[m] = rng.uniform(0.05, 0.10, k)

    m, k = pick(BARGAIN)
    n_purchases[m] = _uniform_int(rng, 6, 10, k)
    aov[m] = rng.uniform(5, 20, k)
    recency[m] = _uniform_int(rng, 0, 30, k)
    refund_rate[m] = rng.uniform(0.25, 0.45, k)

    m, k = pick(DORMANT)
    n_purchases[m] = _uniform_int(rng, 3, 6, k)
    aov[m] = rng.uniform(40, 120, k)
    recency[m] = _uniform_int(rng, 370, 450, k)
    window[m] = 700

    m, k = pick(NEW)
    signup[m] = _uniform_int(rng, 5, 60, k)
    n_purchases[m] = _uniform_int(rng, 1, 3, k)
    aov[m] = rng.uniform(30, 120, k)
    recency[m] = _uniform_int(rng, 0, signup[m] // 2, k)
    window[m] = signup[m]

    m, k = pick(HIGH_RISK)
    n_purchases[m] = _uniform_int(rng, 6, 10, k)
    aov[m] = rng.uniform(60, 150, k)
    recency[m] = _uniform_int(rng, 0, 40, k)
    refund_rate[m] = rng.uniform(0.05, 0.10, k)
    credit_share[m] = 0.75
    util[m] = rng.uniform(0.85, 1.3, k)
    missed[m] = _uniform_int(rng, 3, 9, k)
    score[m] = _uniform_int(rng, 300, 560, k)

    _plan_outliers(
        rng,
        persona == OUTLIER,
        n_purchases,
        refund_rate,
        aov,
        sigma,
        recency,
        window,
        signup,
        credit_share,
        util,
        missed,
        score,
    )

    # A purchase count and a refund rate give the number of refund rows on top. Every
    # established customer returns something, so a refund rate of exactly zero (a
    # separate blob in the features) stays the mark of new and dormant customers.
    n_refunds = np.rint(n_purchases * refund_rate / (1.0 - refund_rate)).astype(np.int64)
    returns_some = np.isin(persona, (FREQUENT, BIG, BARGAIN, HIGH_RISK))
    n_refunds[returns_some] = np.maximum(n_refunds[returns_some], 1)
    return CustomerPlan(
        persona,
        n_purchases,
        n_refunds,
        aov,
        sigma,
        recency,
        window,
        signup,
        credit_share,
        util,
        missed,
        score,
    )


def _plan_outliers(
    rng: np.random.Generator,
    mask: np.ndarray,
    n_purchases: np.ndarray,
    refund_rate: np.ndarray,
    aov: np.ndarray,
    sigma: np.ndarray,
    recency: np.ndarray,
    window: np.ndarray,
    signup: np.ndarray,
    credit_share: np.ndarray,
    util: np.ndarray,
    missed: np.ndarray,
    score: np.ndarray,
) -> None:
    """Outliers: each one extreme or erratic in its own way, far from every persona.

    Fills the outliers' entries of the per-customer arrays in place.

    Parameters are drawn log-uniformly over wide ranges so that outliers stay
    sparse (DBSCAN noise) instead of forming a dense cluster of their own.
    """
    k = int(mask.sum())
    if k == 0:
        return
    kind = rng.integers(0, OUTLIER_KINDS, size=k)
    n_p = np.rint(_log_uniform(rng, 2, 150, k)).astype(np.int64)  # erratic by default
    value = _log_uniform(rng, 1, 20_000, k)
    rate = rng.uniform(0.0, 0.5, k)
    rec = _uniform_int(rng, 0, 700, k)

    hyper = kind == 0  # hundreds of purchases
    n_p[hyper] = np.rint(_log_uniform(rng, 80, 200, int(hyper.sum())))
    value[hyper] = _log_uniform(rng, 10, 200, int(hyper.sum()))
    rec[hyper] = _uniform_int(rng, 0, 3, int(hyper.sum()))
    whale = kind == 1  # one or two purchases of 5k-50k
    n_p[whale] = _uniform_int(rng, 1, 2, int(whale.sum()))
    value[whale] = _log_uniform(rng, 5_000, 50_000, int(whale.sum()))
    refunder = kind == 2  # refunds most of what they buy
    rate[refunder] = rng.uniform(0.72, 0.9, int(refunder.sum()))
    n_p[refunder] = _uniform_int(rng, 3, 10, int(refunder.sum()))
    borrower = kind == 3  # deep in debt and big, frequent baskets
    n_p[borrower] = _uniform_int(rng, 20, 60, int(borrower.sum()))
    value[borrower] = _log_uniform(rng, 200, 2_000, int(borrower.sum()))

    n_purchases[mask] = np.maximum(n_p, 1)
    aov[mask] = value
    sigma[mask] = rng.uniform(0.3, 1.2, k)
    refund_rate[mask] = rate
    recency[mask] = rec
    window[mask] = np.maximum(rec, _uniform_int(rng, 30, 1_500, k))
    signup[mask] = np.maximum(window[mask], _uniform_int(rng, 1, 3_000, k))
    credit_share[mask] = rng.uniform(0, 1, k)
    u = rng.uniform(0.0, 3.0, k)
    u[borrower] = rng.uniform(1.6, 4.0, int(borrower.sum()))
    util[mask] = u
    mp = _uniform_int(rng, 0, 12, k)
    mp[borrower] = _uniform_int(rng, 10, 12, int(borrower.sum()))
    missed[mask] = mp
    sc = _uniform_int(rng, 300, 850, k)
    sc[borrower] = _uniform_int(rng, 300, 380, int(borrower.sum()))
    score[mask] = sc
