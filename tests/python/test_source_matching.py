"""Customer ids that do not line up across sources are seen, named, refused and fixable.

One build gets a CRM export whose ids are the transactions' in lower case
and credit profiles whose ids lost their leading zeros: source_matching must
show that almost none of them match and name the likely cause per source, and
the publish audit must refuse the build with the var that fixes it. A second
build of the same files with that var (customer_id_normalization) matches the
sources again and publishes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from conftest import PIPELINE_BUILD, RawSample
from dbt_project_runner import DbtResult, run_dbt

from segmentation import publish as pub


def _rewrite_ids(path: Path, expression: str) -> None:
    """Rewrite a raw CSV's customer_id through DuckDB, every other column as it was."""
    with duckdb.connect() as con:
        con.execute(
            f"create table raw as select * from read_csv('{path}', all_varchar = true,"
            " header = true)"
        )
        con.execute(
            f"copy (select * replace ({expression} as customer_id) from raw) to '{path}'"
            " (header, delimiter ',', quote '\"', force_quote *)"
        )


MATCHING_COLUMNS = (
    "source_name, customers, matched_customers, likely_cause, near_matches_case,"
    " near_matches_leading_zeros"
)


@dataclass(frozen=True)
class Mismatch:
    """Both builds in one workdir; what the first left is read before the second runs."""

    refused: DbtResult
    refused_matching: list[tuple]
    refused_verdict: list[tuple]
    published_after_refusal: bool
    normalised: DbtResult
    publish_dir: Path


@pytest.fixture(scope="module")
def mismatch(raw_sample: RawSample, tmp_path_factory: pytest.TempPathFactory) -> Mismatch:
    root = tmp_path_factory.mktemp("id_mismatch")
    raw = raw_sample.copy_to(root / "raw")
    _rewrite_ids(raw / "demographics.csv", "lower(customer_id)")
    _rewrite_ids(
        raw / "credit_profiles.csv",
        "regexp_replace(customer_id, '(^|[^0-9])0+([0-9])', '\\1\\2', 'g')",
    )
    workdir = root / "dbt"
    refused = run_dbt(workdir, PIPELINE_BUILD, {"raw_data_path": str(raw)})
    refused_matching = refused.query(f"select {MATCHING_COLUMNS} from source_matching")
    refused_verdict = refused.query(
        "select verdict from publish_audit where check_name = 'source_match_share'"
    )
    published_after_refusal = (workdir / "published" / pub.CURRENT_LINK).exists()
    normalised = run_dbt(
        workdir,
        PIPELINE_BUILD,
        {
            "raw_data_path": str(raw),
            "customer_id_normalization": ["lower", "strip_leading_zeros"],
        },
    )
    return Mismatch(
        refused,
        refused_matching,
        refused_verdict,
        published_after_refusal,
        normalised,
        workdir / "published",
    )


def test_source_matching_names_the_likely_cause_per_source(mismatch: Mismatch) -> None:
    by_source = {row[0]: row[1:] for row in mismatch.refused_matching}
    customers, matched, cause, by_case, _ = by_source["demographics"]
    assert cause == "case"
    assert matched < 0.05 * customers
    assert by_case > 0.9 * customers
    customers, matched, cause, _, by_zeros = by_source["credit_profiles"]
    assert cause == "leading_zeros"
    assert matched < 0.05 * customers
    assert by_zeros > 0.9 * customers


def test_ids_that_do_not_line_up_are_refused_naming_the_fix(mismatch: Mismatch) -> None:
    result = mismatch.refused
    assert not result.ok
    assert "Traceback" not in result.output
    for text in (
        "Publish refused",
        "source demographics:",
        "match once letter case is ignored: set var customer_id_normalization: [lower]",
        "source credit_profiles:",
        "customer_id_normalization: [strip_leading_zeros]",
    ):
        assert text in result.output, f"{text!r} not in:\n{result.output[-3000:]}"
    assert mismatch.refused_verdict == [("fail",)]
    assert not mismatch.published_after_refusal, "nothing reached BI"


def test_the_normalisation_var_matches_the_sources_again(mismatch: Mismatch) -> None:
    result = mismatch.normalised
    assert result.ok, result.output[-3000:]
    shares = dict(result.query("select source_name, match_share from source_matching"))
    assert min(shares.values()) > 0.9, shares
    assert (mismatch.publish_dir / pub.CURRENT_LINK / pub.DATABASE_FILE).exists(), "published"
    [(staged,)] = result.query(
        "select count(*) from stg_raw__demographics where customer_id != lower(customer_id)"
    )
    assert staged == 0, "staging keys every source's ids the same way"
