"""Segments a marketer can use, on real public data (data/real/, see each SOURCE.md).

The generator plants personas; real data does not. These builds run the whole
project, with no vars, on the committed contract fixtures of a purchase log
(completejourney: purchases only), a card issuer's file (uci_taiwan_credit:
credit only) and an insurer's policy holdings where every feature is a small
whole number (islr_caravan: few, discrete features, issue 21) and hold the
result to what issue 11 asks of any input: three to
ten segments besides the outliers, each large enough to act on, few
outliers, no giant segment, hardly anyone under a generic name, no name used
twice, names that hold on the profile (a dbt data test in the same build),
and the best customers never sent to a review.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from dbt_project_runner import DbtResult, run_dbt

REAL_DATA = Path(__file__).resolve().parents[2] / "data" / "real"
BUILD = ["build", "--exclude", "resource_type:unit_test"]
GENERIC_PREFIXES = ("Typical ",)
REVIEW_WORDS = ("fraud", "by hand", "look through")


@dataclass(frozen=True)
class Shape:
    """A data set and the limits its shape allows."""

    name: str
    max_largest_share: float


SHAPES = [
    Shape("completejourney", max_largest_share=0.70),
    Shape("uci_taiwan_credit", max_largest_share=0.85),
    Shape("islr_caravan", max_largest_share=0.70),
]
# The value that makes a customer one of the best, by shape: what they spend, or their limit.
BEST_BY = {"uci_taiwan_credit": "credit_limit"}


@pytest.fixture(scope="module", params=SHAPES, ids=[shape.name for shape in SHAPES])
def real_build(request, tmp_path_factory) -> tuple[Shape, DbtResult]:
    shape: Shape = request.param
    result = run_dbt(
        tmp_path_factory.mktemp(shape.name), BUILD, {"raw_data_path": str(REAL_DATA / shape.name)}
    )
    assert result.ok, result.output[-3000:]
    return shape, result


def segments(result: DbtResult) -> list[tuple]:
    return result.query(
        "select segment_name, naming_basis, customer_share, marketing_action, cluster_id "
        "from segment_summary order by customers desc"
    )


def test_three_to_ten_segments_besides_outliers_each_large_enough(real_build):
    _, result = real_build
    rows = [row for row in segments(result) if row[4] != -1]
    assert 3 <= len(rows) <= 10, rows
    assert min(row[2] for row in rows) >= 0.03 - 1e-9


def test_few_outliers_and_no_giant_segment(real_build):
    shape, result = real_build
    rows = segments(result)
    noise = sum(row[2] for row in rows if row[4] == -1)
    assert noise <= 0.10 + 1e-9
    assert max(row[2] for row in rows if row[4] != -1) <= shape.max_largest_share


def test_hardly_anyone_under_a_generic_name_and_no_name_twice(real_build):
    _, result = real_build
    rows = segments(result)
    generic = sum(
        row[2]
        for row in rows
        if row[0].startswith(GENERIC_PREFIXES) or row[0] in {"Outliers", "Mixed Behaviour"}
    )
    assert generic <= 0.10, rows
    names = [row[0] for row in rows]
    assert len(names) == len(set(names))
    assert not any("Mixed Behaviour" in name for name in names)


def test_names_hold_on_the_profiles(real_build):
    _, result = real_build
    statuses = {
        r["unique_id"].split(".")[2]: r["status"]
        for r in result.run_results()
        if r["unique_id"].startswith("test.")
    }
    assert statuses["assert_segment_names_hold_on_profiles"] == "pass"


def test_best_customers_are_never_sent_to_a_review(real_build):
    shape, result = real_build
    value = BEST_BY.get(shape.name, "monetary")
    best = result.query(
        f"""
        with ranked as (
            select customer_id, ntile(20) over (order by {value} desc, customer_id) as twentieth
            from customer_features
        )
        select distinct summary.segment_name, summary.marketing_action
        from ranked
        join customer_segments using (customer_id)
        join segment_summary as summary using (segment_name)
        where ranked.twentieth = 1
        """
    )
    for name, action in best:
        assert not any(word in action.lower() for word in REVIEW_WORDS), (name, action)


def test_every_segment_has_a_stability_figure(real_build):
    _, result = real_build
    rows = result.query("select stability, is_stable from segment_summary")
    assert all(stability is not None and 0 <= stability <= 1 for stability, _ in rows)
