"""The raw data generator: reproducible, to the contract, and honest in its manifest.

Other tests compare dbt's rejected rows with the manifest, so here the manifest is
checked against the files themselves, recounted independently with pandas.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from raw_data import generate as gen
from raw_data.contract import column_names, reject_reasons_by_source
from raw_data.personas import PERSONA_SHARES

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
SAMPLE_ARGS = {"customers": 3000, "seed": 42, "file_format": "csv"}
CONTRACT = column_names()
FILES = ("transactions.csv", "demographics.csv", "credit_profiles.csv", "truth.csv")


def _read(path: Path) -> pd.DataFrame:
    """Raw text exactly as dbt sees it: nothing parsed, blanks kept as empty strings."""
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _blank(values: pd.Series) -> pd.Series:
    return values.str.strip() == ""


@pytest.fixture(scope="module")
def sample_manifest() -> dict:
    return json.loads((SAMPLE / "manifest.json").read_text(encoding="utf-8"))


def test_regenerating_the_sample_gives_identical_files(tmp_path: Path) -> None:
    gen.generate(SAMPLE_ARGS["customers"], SAMPLE_ARGS["seed"], tmp_path, "csv")
    for name in (*FILES, "manifest.json"):
        assert (tmp_path / name).read_bytes() == (SAMPLE / name).read_bytes(), name


def test_parquet_is_deterministic_and_holds_the_csv_text(tmp_path: Path) -> None:
    first, second, csv_dir = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    gen.generate(400, 3, first, "parquet")
    gen.generate(400, 3, second, "parquet")
    gen.generate(400, 3, csv_dir, "csv")
    for source in CONTRACT:
        parquet_bytes = (first / f"{source}.parquet").read_bytes()
        assert parquet_bytes == (second / f"{source}.parquet").read_bytes(), source
        from_parquet = pq.read_table(first / f"{source}.parquet").to_pandas()
        from_csv = pd.read_csv(csv_dir / f"{source}.csv", dtype=str, keep_default_na=False)
        # CSV cannot tell null from empty text; otherwise the two formats agree cell for cell.
        pd.testing.assert_frame_equal(from_parquet.fillna(""), from_csv)
    manifest_a = json.loads((first / "manifest.json").read_text())
    manifest_c = json.loads((csv_dir / "manifest.json").read_text())
    assert manifest_a["expected_rejected_rows"] == manifest_c["expected_rejected_rows"]


def test_seed_changes_the_data(tmp_path: Path) -> None:
    gen.generate(200, 1, tmp_path / "a", "csv")
    gen.generate(200, 2, tmp_path / "b", "csv")
    a = (tmp_path / "a" / "transactions.csv").read_bytes()
    assert a != (tmp_path / "b" / "transactions.csv").read_bytes()


def test_files_have_exactly_the_contract_columns() -> None:
    for source, columns in CONTRACT.items():
        assert tuple(_read(SAMPLE / f"{source}.csv").columns) == columns
    assert tuple(_read(SAMPLE / "truth.csv").columns) == ("customer_id", "persona")


def test_manifest_row_counts_match_the_files(sample_manifest: dict) -> None:
    for source in CONTRACT:
        raw = sample_manifest["raw_rows"][source]
        assert len(_read(SAMPLE / f"{source}.csv")) == raw
        rejected = sum(sample_manifest["expected_rejected_rows"][source].values())
        assert sample_manifest["expected_clean_rows"][source] == raw - rejected
    assert sample_manifest["parameters"]["customers"] == 3000
    assert sample_manifest["parameters"]["as_of_date"] == "2026-06-30"


def test_personas_have_their_planned_shares(sample_manifest: dict) -> None:
    truth = _read(SAMPLE / "truth.csv")
    assert truth["customer_id"].is_unique and len(truth) == 3000
    shares = truth["persona"].value_counts(normalize=True)
    for persona, planned in zip(gen.PERSONAS, PERSONA_SHARES, strict=True):
        assert shares[persona] == pytest.approx(planned, abs=0.03), persona
    assert truth["persona"].value_counts().to_dict() == sample_manifest["personas"]


def test_every_reject_reason_is_present(sample_manifest: dict) -> None:
    for source, reasons in reject_reasons_by_source().items():
        counts = sample_manifest["expected_rejected_rows"][source]
        assert set(counts) == set(reasons)
        assert all(counts[reason] > 0 for reason in reasons), (source, counts)


def test_transaction_reject_counts_recount_from_the_file(sample_manifest: dict) -> None:
    expected = sample_manifest["expected_rejected_rows"]["transactions"]
    rows = _read(SAMPLE / "transactions.csv")
    assert _blank(rows["customer_id"]).sum() == expected["missing_customer_id"]
    has_ids = rows[~_blank(rows["customer_id"])]
    assert _blank(has_ids["transaction_id"]).sum() == expected["missing_transaction_id"]
    assert rows.duplicated().sum() == expected["duplicate"]
    keyed = rows[~_blank(rows["customer_id"]) & ~_blank(rows["transaction_id"])]
    distinct = keyed.drop_duplicates()
    assert distinct["transaction_id"].duplicated().sum() == expected["conflicting_duplicate"]
    as_of = pd.Timestamp(sample_manifest["parameters"]["as_of_date"])
    dates = pd.to_datetime(rows["transaction_date"].str[:10], format="%Y-%m-%d", errors="coerce")
    assert (dates > as_of + pd.Timedelta(days=120)).sum() == expected["future_date"]
    assert (dates < pd.Timestamp("1990-01-01")).sum() == expected["implausible_date"]
    assert dates.isna().sum() == expected["unparsable_date"]
    # At least one clean purchase on the as-of date, so dbt derives the same date.
    assert (dates == as_of).any()
    amounts = pd.to_numeric(rows["amount"], errors="coerce")
    assert amounts.isna().sum() == expected["non_numeric_amount"]
    assert (amounts.abs() > 1_000_000).sum() == expected["amount_out_of_range"]
    assert (amounts < 0).sum() > 0.03 * len(rows)  # refunds are ordinary, clean rows


def test_superseded_versions_recount_from_the_files(sample_manifest: dict) -> None:
    expected = sample_manifest["expected_rejected_rows"]
    demographics = _read(SAMPLE / "demographics.csv")
    known = demographics[~_blank(demographics["customer_id"])].drop_duplicates()
    assert known["customer_id"].duplicated().sum() == expected["demographics"]["superseded"]
    assert not known.duplicated(["customer_id", "updated_at"]).any()
    credit = _read(SAMPLE / "credit_profiles.csv")
    dates = pd.to_datetime(credit["snapshot_date"], format="%Y-%m-%d", errors="coerce")
    as_of = pd.Timestamp(sample_manifest["parameters"]["as_of_date"])
    valid = credit[
        ~_blank(credit["customer_id"])
        & dates.between(pd.Timestamp("1990-01-01"), as_of)
        & ~credit.duplicated()
    ]
    assert valid["customer_id"].duplicated().sum() == expected["credit_profiles"]["superseded"]


def test_free_text_uses_only_known_spellings_and_a_few_unknown_ones() -> None:
    rows = _read(SAMPLE / "transactions.csv")
    folded = rows["channel"].str.strip().str.lower().str.split().str.join(" ")
    assert set(folded) == set(gen.CHANNEL_SPELLINGS)
    assert (rows["channel"] != folded).any()  # casing and spacing really vary


def test_zero_customers_writes_header_only_files(tmp_path: Path) -> None:
    for file_format in ("csv", "parquet"):
        out = tmp_path / file_format
        manifest = gen.generate(0, 1, out, file_format)
        assert manifest["raw_rows"] == dict.fromkeys(CONTRACT, 0)
        for source, columns in CONTRACT.items():
            path = out / f"{source}.{file_format}"
            frame = _read(path) if file_format == "csv" else pq.read_table(path).to_pandas()
            assert frame.empty and tuple(frame.columns) == columns


def test_cli_writes_the_files(tmp_path: Path) -> None:
    assert gen.main(["--customers", "50", "--seed", "5", "--out", str(tmp_path)]) == 0
    assert {p.name for p in tmp_path.iterdir()} == {*FILES, "manifest.json"}
    with pytest.raises(SystemExit):
        gen.main(["--customers", "-1", "--seed", "5", "--out", str(tmp_path)])


def test_personas_lean_to_their_own_product_categories() -> None:
    transactions = _read(SAMPLE / "transactions.csv")
    truth = _read(SAMPLE / "truth.csv")
    spelled = transactions["product_category"].str.strip().str.lower().str.replace("  ", " ")
    category = spelled.map(lambda text: gen.CATEGORY_OF_SPELLING.get(text, text))
    bought = pd.DataFrame({"customer_id": transactions["customer_id"], "category": category})
    top = (
        bought.merge(truth, on="customer_id")
        .groupby("persona")["category"]
        .agg(lambda values: values.value_counts().idxmax())
    )
    assert top["big_spender"] == "electronics"
    assert top["dormant"] == "books"
    assert top["new_customer"] == "fashion"
    assert top["bargain_hunter"] == "grocery"
