"""End-to-end tests of the staging layer on generated raw files.

The generator knows exactly which rows it spoiled and how, so its manifest is
an independent oracle for the reject counts dbt must produce. The failure
tests check the contract's promise that a missing file or column stops the
build with a message naming both, not a stack trace.
"""

from __future__ import annotations

import json
import shutil
from itertools import pairwise
from pathlib import Path

import duckdb
import pytest
from dbt_project_runner import DbtResult, run_dbt

from raw_data.contract import column_names
from raw_data.generate import generate

CUSTOMERS = 2000
SEED = 11
STAGED = {
    "transactions": "stg_raw__transactions",
    "demographics": "stg_raw__demographics",
    "credit_profiles": "stg_raw__credit_profiles",
}
# Seeds, staging models and their data tests; unit tests do not depend on the
# files, so running them once (in the CSV build) is enough.
# Cautious: leave out tests of later layers that merely read a staging model.
BUILD_STAGING = ["build", "--select", "+staging", "--indirect-selection", "cautious"]
# Seeds and models only, for tests about reading the files.
RUN_STAGING = [
    "build",
    "--select",
    "+staging",
    "--exclude",
    "resource_type:test",
    "resource_type:unit_test",
]


def _reject_counts(result: DbtResult) -> dict[str, dict[str, int]]:
    """Rejected rows per source and reason, shaped like the manifest."""
    counts: dict[str, dict[str, int]] = {}
    rows = result.query(
        "select source_name, reject_reason, count(*) from rejected_rows group by all"
    )
    for source, reason, count in rows:
        counts.setdefault(source, {})[reason] = count
    return counts


def _without_zeros(expected: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    """The manifest lists reasons with zero rows too; rejected_rows cannot."""
    return {
        source: {reason: n for reason, n in reasons.items() if n}
        for source, reasons in expected.items()
    }


@pytest.fixture(scope="module", params=["csv", "parquet"])
def generated(request, tmp_path_factory) -> tuple[Path, dict, str]:
    """Fresh raw files in one format, with the generator's manifest."""
    out = tmp_path_factory.mktemp(f"raw_{request.param}")
    manifest = generate(CUSTOMERS, SEED, out, request.param)
    return out, manifest, request.param


def test_rejects_and_staged_rows_match_the_generator(generated, tmp_path):
    raw_dir, manifest, file_format = generated
    # Data and unit tests run once, in the CSV build; Parquet checks the counts.
    args = BUILD_STAGING if file_format == "csv" else RUN_STAGING
    result = run_dbt(
        tmp_path, args, {"raw_data_path": str(raw_dir), "raw_file_format": file_format}
    )
    assert result.ok, result.output

    assert _reject_counts(result) == _without_zeros(manifest["expected_rejected_rows"])
    for source, model in STAGED.items():
        [(staged,)] = result.query(f"select count(*) from {model}")
        assert staged == manifest["expected_clean_rows"][source], source
    [(as_of_date, as_of_source)] = result.query(
        "select cast(as_of_date as varchar), as_of_date_source from stg_raw__as_of_date"
    )
    assert (as_of_date, as_of_source) == (manifest["parameters"]["as_of_date"], "transactions")


def test_a_glob_of_files_is_numbered_in_name_order(generated, tmp_path):
    """raw_file_pattern reads several files as one source, numbered in name, then file, order.

    DuckDB reads the files of a glob on several threads at once, and
    base_raw__transactions_lines numbers rows by their place in the table it
    has just written (macro raw_lines_hooks): the test splits the generated
    transactions into three files and checks every line's number and content.
    """
    raw_dir, manifest, file_format = generated
    parts_dir = tmp_path / "parts"
    parts_dir.mkdir()
    reader = "read_parquet" if file_format == "parquet" else "read_csv"
    options = "" if file_format == "parquet" else ", all_varchar = true, header = true"
    for name in ("demographics", "credit_profiles"):
        shutil.copy(raw_dir / f"{name}.{file_format}", parts_dir)
    with duckdb.connect() as con:
        con.execute(
            "create table transactions as select row_number() over () as line_number, *"
            f" from {reader}('{raw_dir}/transactions.{file_format}'{options})"
        )
        lines = con.execute("select count(*) from transactions").fetchone()[0]
        bounds = [0, lines // 3, 2 * lines // 3, lines]
        copy_options = "(format parquet)" if file_format == "parquet" else "(header)"
        for part, (first, last) in enumerate(pairwise(bounds)):
            con.execute(
                "copy (select * exclude (line_number) from transactions"
                f" where line_number > {first} and line_number <= {last} order by line_number)"
                f" to '{parts_dir}/transactions_part{part}.{file_format}' {copy_options}"
            )
        expected = con.execute(
            "select line_number, cast(transaction_id as varchar), cast(amount as varchar)"
            " from transactions order by line_number"
        ).fetchall()

    result = run_dbt(
        tmp_path / "dbt",
        RUN_STAGING,
        {
            "raw_data_path": str(parts_dir),
            "raw_file_format": file_format,
            "raw_file_pattern": "{name}*." + file_format,
        },
    )
    assert result.ok, result.output
    assert (
        result.query(
            "select source_row_number, transaction_id, amount"
            " from base_raw__transactions_lines order by source_row_number"
        )
        == expected
    )
    assert _reject_counts(result) == _without_zeros(manifest["expected_rejected_rows"])


def test_an_empty_run_reads_either_format(generated, tmp_path):
    """`dbt build --empty` passes staging on CSV and on Parquet, with no row numbered.

    For Parquet the lines model numbers rows from the reader's own file_index
    and file_row_number, which dbt's --empty hides by reading the source
    through a subquery; the model must still compile and run there.
    """
    raw_dir, _, file_format = generated
    result = run_dbt(
        tmp_path / "dbt",
        [*RUN_STAGING, "--empty"],
        {"raw_data_path": str(raw_dir), "raw_file_format": file_format},
    )
    assert result.ok, result.output
    assert result.query("select count(*) from base_raw__transactions_lines") == [(0,)]
    assert result.query("select count(*) from base_raw__transactions") == [(0,)]


def _write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    lines = [",".join(header), *(",".join(row) for row in rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


CONTRACT = column_names()
TRANSACTION_HEADER = list(CONTRACT["transactions"])
DEMOGRAPHIC_HEADER = list(CONTRACT["demographics"])
CREDIT_HEADER = list(CONTRACT["credit_profiles"])


def _header_only_files(raw_dir: Path) -> None:
    raw_dir.mkdir(parents=True, exist_ok=True)
    _write_csv(raw_dir / "transactions.csv", TRANSACTION_HEADER, [])
    _write_csv(raw_dir / "demographics.csv", DEMOGRAPHIC_HEADER, [])
    _write_csv(raw_dir / "credit_profiles.csv", CREDIT_HEADER, [])


def test_header_only_files_build_empty_staging(tmp_path):
    raw_dir = tmp_path / "raw"
    _header_only_files(raw_dir)
    result = run_dbt(
        tmp_path / "dbt",
        [*BUILD_STAGING, "--exclude", "test_type:unit"],
        {"raw_data_path": str(raw_dir)},
    )
    assert result.ok, result.output
    for model in [*STAGED.values(), "rejected_rows"]:
        assert result.query(f"select count(*) from {model}") == [(0,)], model
    assert result.query("select as_of_date, as_of_date_source from stg_raw__as_of_date") == [
        (None, "none")
    ]


def test_odd_but_valid_files_build(tmp_path):
    """BOM, CRLF, columns in another order, unknown extra columns, an absent optional
    column and a path with a space and a quote all read as the contract allows."""
    raw_dir = tmp_path / "o'dd dir"
    _header_only_files(raw_dir)
    header = ["note", "amount", "transaction_date", "customer_id", "transaction_id"]
    body = "\r\n".join([",".join(header), "x,12.50,2024-01-02,C1,T1", "y,-3,2024-01-03,C1,T2"])
    (raw_dir / "transactions.csv").write_bytes(b"\xef\xbb\xbf" + body.encode() + b"\r\n")
    result = run_dbt(tmp_path / "dbt", RUN_STAGING, {"raw_data_path": str(raw_dir)})
    assert result.ok, result.output
    assert result.query(
        "select transaction_id, customer_id, cast(amount as varchar), quantity, channel"
        " from stg_raw__transactions order by transaction_id"
    ) == [("T1", "C1", "12.50", None, "unknown"), ("T2", "C1", "-3.00", None, "unknown")]


def test_typed_parquet_is_cleaned_like_text(tmp_path):
    """A Parquet file with real dates and numbers goes through the same rules."""
    raw_dir = tmp_path / "raw"
    raw_dir.mkdir()
    with duckdb.connect() as con:
        con.execute(
            f"""
            copy (
                select 'T1' as transaction_id, 'C1' as customer_id,
                    date '2024-01-02' as transaction_date, 12.5::double as amount,
                    2 as quantity, 'Books' as product_category, 'App' as channel,
                    'Cash' as payment_method
                union all
                select 'T2', 'C1', date '1980-01-01', 1.0, 1, null, null, null
            ) to '{raw_dir / "transactions.parquet"}' (format parquet)
            """
        )
        for name, header in (
            ("demographics", DEMOGRAPHIC_HEADER),
            ("credit_profiles", CREDIT_HEADER),
        ):
            columns = ", ".join(f"cast(null as varchar) as {c}" for c in header)
            con.execute(
                f"copy (select {columns} where false)"
                f" to '{raw_dir / name}.parquet' (format parquet)"
            )
    result = run_dbt(
        tmp_path / "dbt", RUN_STAGING, {"raw_data_path": str(raw_dir), "raw_file_format": "parquet"}
    )
    assert result.ok, result.output
    assert result.query(
        "select transaction_id, cast(amount as varchar), quantity, product_category, channel,"
        " payment_method from stg_raw__transactions"
    ) == [("T1", "12.50", 2, "books", "mobile", "cash")]
    assert result.query("select source_row_number, reject_reason from rejected_rows") == [
        (2, "implausible_date")
    ]


def _assert_clean_failure(result: DbtResult, *expected: str) -> None:
    assert not result.ok
    for text in expected:
        assert text in result.output, result.output
    assert "Traceback" not in result.output, result.output


def test_missing_file_and_column_fail_naming_both(tmp_path):
    """One run covers both: the two base models are independent, so each reports."""
    raw_dir = tmp_path / "raw"
    _header_only_files(raw_dir)
    _write_csv(
        raw_dir / "transactions.csv",
        [c for c in TRANSACTION_HEADER if c != "amount"],
        [["T1", "C1", "2024-01-01", "1", "books", "web", "card"]],
    )
    (raw_dir / "demographics.csv").unlink()
    result = run_dbt(tmp_path / "dbt", RUN_STAGING, {"raw_data_path": str(raw_dir)})
    _assert_clean_failure(
        result,
        f"Raw file '{raw_dir / 'transactions.csv'}' (source 'transactions') lacks required"
        " column(s): amount.",
        f"Raw file missing for source 'demographics': no file matches"
        f" '{raw_dir / 'demographics.csv'}'",
    )


def test_defect_share_above_limit_fails_the_build_with_counts(tmp_path):
    raw_dir = tmp_path / "raw"
    _header_only_files(raw_dir)
    rows = [[f"T{i}", "C1", "2024-01-01", "1", "", "", "", ""] for i in range(18)]
    rows += [["T98", "C1", "2024-01-01", "abc", "", "", "", ""]]
    rows += [["T99", "", "2024-01-01", "1", "", "", "", ""]]
    _write_csv(raw_dir / "transactions.csv", TRANSACTION_HEADER, rows)
    result = run_dbt(
        tmp_path / "dbt",
        [
            "build",
            "--select",
            # The gate reads which reasons are defects from seed reject_reasons.
            "+base_raw__transactions",
            "reject_reasons",
            "--indirect-selection",
            "cautious",
            "--exclude",
            "test_type:unit",
        ],
        {"raw_data_path": str(raw_dir)},
    )
    assert not result.ok
    assert "missing_customer_id=1, non_numeric_amount=1" in result.output, result.output
    assert any(
        r["unique_id"].startswith("test.customer_segmentation.reject_share_below_limit")
        and r["status"] == "fail"
        for r in result.run_results()
    ), json.dumps(result.run_results(), default=str)[:2000]


@pytest.mark.parametrize(
    "damage",
    [
        "delete from base_raw__transactions where source_row_number = 2",
        "insert into base_raw__transactions"
        " select * from base_raw__transactions where source_row_number = 3",
        "update base_raw__transactions set source_row_number = 99 where source_row_number = 1",
    ],
    ids=["row lost", "row doubled", "row renumbered"],
)
def test_raw_rows_conserved_fails_when_a_row_is_lost_doubled_or_renumbered(damage, tmp_path):
    """The conservation test is what guards "nothing lost, nothing counted twice"."""
    raw_dir = tmp_path / "raw"
    _header_only_files(raw_dir)
    rows = [[f"T{i}", "C1", "2024-01-01", "1", "", "", "", ""] for i in range(1, 6)]
    _write_csv(raw_dir / "transactions.csv", TRANSACTION_HEADER, rows)
    dbt_vars = {"raw_data_path": str(raw_dir)}
    built = run_dbt(tmp_path / "dbt", RUN_STAGING, dbt_vars)
    assert built.ok, built.output
    with duckdb.connect(str(built.db_path)) as con:
        con.execute(damage)
    checked = run_dbt(
        tmp_path / "dbt", ["test", "--select", "test_name:raw_rows_conserved"], dbt_vars
    )
    assert not checked.ok
    failed = {r["unique_id"] for r in checked.run_results() if r["status"] == "fail"}
    assert [uid.split(".")[2] for uid in failed] == [
        "raw_rows_conserved_stg_raw__transactions_transactions"
    ], checked.output
