"""The catalogue of bad inputs (docs/dirty-data.md): what each defect does to a build.

Every case starts from the same generated raw files and spoils them in one
way. A defect either ends in `rejected_rows` under its reason while every
other row still lands exactly once (the generator's manifest plus the planted
rows is the oracle), or it stops the build with a message naming the file and
the column (or line), never a stack trace.

Row-level defects are planted together in one build, each in rows of its own
so its outcome is asserted separately; file-level defects get a build per
kind, two independent sources sharing one build where each fails on its own.
A customer present in one source only is followed through the whole pipeline
(the shared pipeline build of conftest.py).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest
from conftest import (
    ONE_SOURCE_CUSTOMERS,
    STAGING_BUILD,
    PipelineBuild,
    RawSample,
    append_rows,
    expected_reject_counts,
    plant_one_source_customers,
    reject_counts,
)
from dbt_project_runner import DbtResult, run_dbt

from raw_data.contract import column_names, reject_reasons

STAGED = {
    "transactions": "stg_raw__transactions",
    "demographics": "stg_raw__demographics",
    "credit_profiles": "stg_raw__credit_profiles",
}

TRANSACTION = {
    "transaction_id": None,
    "customer_id": "C00000001",
    "transaction_date": "2026-03-01",
    "amount": "10.00",
    "quantity": "1",
    "product_category": "books",
    "channel": "web",
    "payment_method": "card",
}
DEMOGRAPHIC = {
    "customer_id": None,
    "birth_date": "1980-05-05",
    "gender": "f",
    "annual_income": "50000",
    "region": "London",
    "signup_date": "2020-01-01",
    "updated_at": "2025-01-01 10:00:00",
    "email": None,
    "full_name": "Test Person",
}
CREDIT = {
    "customer_id": None,
    "snapshot_date": "2026-05-01",
    "credit_limit": "5000.00",
    "balance": "100.00",
    "missed_payments_12m": "0",
    "credit_score": "700",
}


@dataclass(frozen=True)
class Defect:
    """Rows planted for one case and the outcome they must have.

    `tag` occurs in the raw text of these rows only, so their rejects are found
    in rejected_rows.raw_record even when the key itself is the defect;
    `kept_where` finds their clean rows in the stg model, and `kept_values`
    (column -> value) is what each of them must hold there.
    """

    name: str
    source: str
    rows: list[dict[str, str | None]]
    tag: str
    kept_where: str
    reasons: list[str]
    kept_values: dict[str, object] = field(default_factory=dict)


def _defect(
    source: str,
    key_column: str,
    template: dict[str, str | None],
    name: str,
    tag: str,
    reasons: list[str],
    kept_values: dict[str, object] | None = None,
    copies: int = 1,
    **values: str | None,
) -> Defect:
    """A case whose rows carry `tag` as their key (`values` override the clean template)."""
    row = {**template, key_column: tag, **values}
    return Defect(
        name,
        source,
        [row] * copies,
        tag,
        f"{key_column} = '{tag}'",
        reasons,
        kept_values or {},
    )


def _txn(*args, **kwargs) -> Defect:
    return _defect("transactions", "transaction_id", TRANSACTION, *args, **kwargs)


def _demo(*args, **kwargs) -> Defect:
    return _defect("demographics", "customer_id", DEMOGRAPHIC, *args, **kwargs)


def _credit(*args, **kwargs) -> Defect:
    return _defect("credit_profiles", "customer_id", CREDIT, *args, **kwargs)


ODD_CUSTOMER = 'C-Zoë "Z", Ünï'
ODD_CATEGORY = 'Café, "déjà vu" 日本'
ODD_REGION = 'Île-de-France, "Nord"'

DEFECTS = [
    # transactions: a value of the wrong type in every column
    _txn("unparsable date", "X-DATE-TEXT", ["unparsable_date"], transaction_date="last tuesday"),
    _txn("blank date", "X-DATE-BLANK", ["unparsable_date"], transaction_date=""),
    _txn("text amount", "X-AMOUNT-TEXT", ["non_numeric_amount"], amount="twelve"),
    _txn("NaN amount", "X-AMOUNT-NAN", ["non_numeric_amount"], amount="NaN"),
    _txn("infinite amount", "X-AMOUNT-INF", ["non_numeric_amount"], amount="-Infinity"),
    _txn(
        "wrong types in the optional columns",
        "X-OPTIONAL-TYPES",
        [],
        {"quantity": None, "product_category": "12345", "channel": "other"},
        quantity="two",
        product_category="12345",
        channel="3.14",
        payment_method="true",
    ),
    # absurd amounts
    _txn("amount 1e12", "X-AMOUNT-1E12", ["amount_out_of_range"], amount="1e12"),
    _txn(
        "negative zero amount",
        "X-AMOUNT-NEG-ZERO",
        [],
        {"cast(amount as varchar)": "0.00", "is_refund": False},
        amount="-0.0",
    ),
    # quotes, commas and non-ASCII text inside fields
    _txn(
        "quotes, commas and non-ASCII",
        "X-ODD-TEXT",
        [],
        {
            "customer_id": ODD_CUSTOMER,
            "product_category": ODD_CATEGORY.lower(),
            "channel": "mobile",
        },
        customer_id=ODD_CUSTOMER,
        product_category=ODD_CATEGORY,
        channel="  Mobile   App ",
    ),
    # duplicate rows
    _txn("exact duplicate", "X-DUPLICATE", ["duplicate"], copies=2),
    # null and blank keys
    _txn("null customer_id", "X-NULL-CUSTOMER", ["missing_customer_id"], customer_id=None),
    _txn("blank customer_id", "X-BLANK-CUSTOMER", ["missing_customer_id"], customer_id=""),
    _txn("spaces customer_id", "X-SPACE-CUSTOMER", ["missing_customer_id"], customer_id="   "),
    Defect(
        "null transaction_id",
        "transactions",
        [{**TRANSACTION, "transaction_id": None, "customer_id": "C-NULL-TRANSACTION-ID"}],
        "C-NULL-TRANSACTION-ID",
        "customer_id = 'C-NULL-TRANSACTION-ID'",
        ["missing_transaction_id"],
    ),
    Defect(
        "blank transaction_id",
        "transactions",
        [{**TRANSACTION, "transaction_id": " ", "customer_id": "C-BLANK-TRANSACTION-ID"}],
        "C-BLANK-TRANSACTION-ID",
        "customer_id = 'C-BLANK-TRANSACTION-ID'",
        ["missing_transaction_id"],
    ),
    # dates in the future and the far past
    _txn("future date", "X-DATE-FUTURE", ["future_date"], transaction_date="2031-01-01"),
    _txn("far future date", "X-DATE-9999", ["future_date"], transaction_date="9999-12-31"),
    _txn("far past date", "X-DATE-1899", ["implausible_date"], transaction_date="1899-12-31"),
    _txn("year one", "X-DATE-0001", ["implausible_date"], transaction_date="0001-01-01"),
    # demographics
    _demo(
        "wrong types in every optional column",
        "C-DEMO-TYPES",
        [],
        {
            "birth_date": None,
            "age_years": None,
            "gender": "unknown",
            "annual_income": None,
            "signup_date": None,
            "updated_at": None,
        },
        birth_date="yesterday",
        gender="42",
        annual_income="lots",
        signup_date="soon",
        updated_at="never",
    ),
    _demo("negative income", "C-DEMO-NEG-INCOME", [], {"annual_income": None}, annual_income="-5"),
    _demo(
        "born in 1800",
        "C-DEMO-1800",
        [],
        {"birth_date": None, "age_years": None},
        birth_date="1800-01-01",
    ),
    _demo(
        "born in the future",
        "C-DEMO-UNBORN",
        [],
        {"birth_date": None, "age_years": None},
        birth_date="2030-01-01",
    ),
    _demo(
        "quotes, commas and non-ASCII",
        "C-DEMO-ODD-TEXT",
        [],
        {"region": ODD_REGION},
        region=ODD_REGION,
        full_name="O'Brien, Zoë",
    ),
    _demo("exact duplicate", "C-DEMO-DUPLICATE", ["duplicate"], copies=2),
    Defect(
        "null customer_id",
        "demographics",
        [{**DEMOGRAPHIC, "region": "Region of a null customer"}],
        "Region of a null customer",
        "false",
        ["missing_customer_id"],
    ),
    Defect(
        "blank customer_id",
        "demographics",
        [{**DEMOGRAPHIC, "customer_id": "  ", "region": "Region of a blank customer"}],
        "Region of a blank customer",
        "false",
        ["missing_customer_id"],
    ),
    # credit_profiles
    _credit(
        "wrong types in every optional column",
        "C-CREDIT-TYPES",
        [],
        {"credit_limit": None, "balance": None, "missed_payments_12m": None, "credit_score": None},
        credit_limit="lots",
        balance="x",
        missed_payments_12m="many",
        credit_score="good",
    ),
    _credit("unparsable snapshot", "C-CREDIT-BAD-DATE", ["unparsable_date"], snapshot_date="n/a"),
    _credit("score 900", "C-CREDIT-SCORE-900", [], {"credit_score": None}, credit_score="900"),
    _credit("future snapshot", "C-CREDIT-FUTURE", ["future_date"], snapshot_date="2031-01-01"),
    _credit("far past snapshot", "C-CREDIT-1850", ["implausible_date"], snapshot_date="1850-01-01"),
    _credit("absurd balance", "C-CREDIT-HUGE", [], {"balance": None}, balance="1e30"),
    _credit("exact duplicate", "C-CREDIT-DUPLICATE", ["duplicate"], copies=2),
    Defect(
        "null customer_id",
        "credit_profiles",
        [{**CREDIT, "credit_limit": "C-CREDIT-NULL-CUSTOMER"}],
        "C-CREDIT-NULL-CUSTOMER",
        "false",
        ["missing_customer_id"],
    ),
    # Export artefacts: null markers as ids (var id_null_markers), placeholder dates,
    # invisible characters around ids.
    # A customer '#N/A' with several purchases was once published as a segment's member.
    _txn("customer_id #N/A", "X-MARKER-NA", ["null_marker_id"] * 3, copies=3, customer_id="#N/A"),
    _txn("customer_id NULL", "X-MARKER-NULL", ["null_marker_id"], customer_id=" null "),
    _txn("customer_id \\N", "X-MARKER-BACKSLASH-N", ["null_marker_id"], customer_id="\\N"),
    Defect(
        "transaction_id nan",
        "transactions",
        [{**TRANSACTION, "transaction_id": "nan", "customer_id": "C-MARKER-TRANSACTION-ID"}],
        "C-MARKER-TRANSACTION-ID",
        "customer_id = 'C-MARKER-TRANSACTION-ID'",
        ["null_marker_id"],
    ),
    _txn(
        "zero-width space after customer_id",
        "X-ZWSP-CUSTOMER",
        [],
        {"customer_id": "C00000001"},
        customer_id="C00000001\u200b",
    ),
    _txn(
        "tab after customer_id",
        "X-TAB-CUSTOMER",
        [],
        {"customer_id": "C00000001"},
        customer_id="C00000001\t",
    ),
    _txn(
        "no-break space and byte order mark around customer_id",
        "X-NBSP-CUSTOMER",
        [],
        {"customer_id": "C00000001"},
        customer_id="\ufeffC00000001\u00a0",
    ),
    _txn(
        "only invisible characters",
        "X-INVISIBLE-CUSTOMER",
        ["missing_customer_id"],
        customer_id="\u200b\t\u00a0",
    ),
    Defect(
        "customer_id N/A",
        "demographics",
        [{**DEMOGRAPHIC, "customer_id": "N/A", "region": "Region of an N/A customer"}],
        "Region of an N/A customer",
        "false",
        ["null_marker_id"],
    ),
    _demo(
        "placeholder signup and update dates",
        "C-DEMO-PLACEHOLDER-DATES",
        [],
        {"signup_date": None, "updated_at": None},
        signup_date="1900-01-01",
        updated_at="0001-01-01 00:00:00",
    ),
    _demo(
        "signup in year one",
        "C-DEMO-SIGNUP-0001",
        [],
        {"signup_date": None},
        signup_date="0001-01-01",
    ),
    _demo(
        "placeholder birth date",
        "C-DEMO-BORN-1900",
        [],
        {"birth_date": None, "age_years": None},
        birth_date="1900-01-01",
    ),
    _demo(
        "zero-width space after customer_id",
        "C-DEMO-ZWSP",
        [],
        {"customer_id": "C-DEMO-ZWSP"},
        customer_id="C-DEMO-ZWSP\u200b",
    ),
    _credit(
        "customer_id None",
        "C-CREDIT-MARKER",
        ["null_marker_id"],
        customer_id="None",
        credit_limit="C-CREDIT-MARKER",
    ),
    _credit(
        "placeholder snapshot date",
        "C-CREDIT-1900",
        ["implausible_date"],
        snapshot_date="1900-01-01",
    ),
    _credit(
        "snapshot in year one", "C-CREDIT-0001", ["implausible_date"], snapshot_date="0001-01-01"
    ),
    _credit(
        "tab before customer_id",
        "C-CREDIT-TAB",
        [],
        {"customer_id": "C-CREDIT-TAB"},
        customer_id="\tC-CREDIT-TAB",
    ),
]
# Rejects for these reasons are normal deliveries, not defects; the quality gate ignores them.
NOT_DEFECTS = tuple(r.reject_reason for r in reject_reasons() if not r.is_defect)
# The header line again inside each file, as when exports are concatenated: once as
# written, once with another case, spaces and a byte order mark.
HEADER_ROWS = {
    source: [
        {column: column for column in columns},
        {column: f" {column.upper()} " for column in columns}
        | {columns[0]: "\ufeff" + columns[0].title()},
    ]
    for source, columns in column_names().items()
}


def _planted_rejects() -> dict[str, Counter]:
    planted: dict[str, Counter] = {source: Counter() for source in STAGED}
    for defect in DEFECTS:
        planted[defect.source].update(defect.reasons)
    for source, rows in HEADER_ROWS.items():
        planted[source].update(["repeated_header"] * len(rows))
    return planted


def _planted_rows(source: str) -> int:
    """Rows planted into a source: the defects' rows, the headers and its one-source customer."""
    return sum(len(d.rows) for d in DEFECTS if d.source == source) + len(HEADER_ROWS[source]) + 1


def _expected_rejects(manifest: dict) -> dict[str, dict[str, int]]:
    expected = expected_reject_counts(manifest)
    for source, reasons in _planted_rejects().items():
        expected[source] = dict(Counter(expected.get(source, {})) + reasons)
    return expected


def _defect_shares(manifest: dict) -> dict[str, float]:
    """Per source, the share of rows the quality gate counts as defects, known in advance."""
    expected = _expected_rejects(manifest)
    return {
        source: sum(n for reason, n in expected[source].items() if reason not in NOT_DEFECTS)
        / (manifest["raw_rows"][source] + _planted_rows(source))
        for source in STAGED
    }


def _gate_counts(counts: dict[str, int]) -> str:
    """The per-reason counts as the quality gate prints them."""
    return ", ".join(
        f"{reason}={n}" for reason, n in sorted(counts.items()) if reason not in NOT_DEFECTS
    )


def _gate_status(result: DbtResult, source: str) -> str:
    prefix = f"test.customer_segmentation.data_quality_gate_{source}."
    [status] = [r["status"] for r in result.run_results() if r["unique_id"].startswith(prefix)]
    return status


@dataclass(frozen=True)
class Quarantine:
    """The build with every row-level defect planted, and the gate limit it ran with."""

    raw: Path
    workdir: Path
    result: DbtResult
    max_share: float


@pytest.fixture(scope="module")
def quarantine(raw_sample: RawSample, tmp_path_factory: pytest.TempPathFactory) -> Quarantine:
    root = tmp_path_factory.mktemp("quarantine")
    raw = raw_sample.copy_to(root / "raw")
    for source in STAGED:
        planted = [r for d in DEFECTS if d.source == source for r in d.rows]
        # The headers amid the planted rows, as a concatenated export has them.
        append_rows(raw / f"{source}.csv", planted[:1] + HEADER_ROWS[source] + planted[1:])
    plant_one_source_customers(raw)
    # The limit puts transactions between half the limit and the limit (a warning),
    # so this build also shows the gate's warning without failing.
    max_share = _defect_shares(raw_sample.manifest)["transactions"] * 1.5
    workdir = root / "dbt"
    result = run_dbt(
        workdir, STAGING_BUILD, {"raw_data_path": str(raw), "max_reject_share": max_share}
    )
    assert result.ok, result.output[-4000:]
    return Quarantine(raw, workdir, result, max_share)


@pytest.mark.parametrize("defect", DEFECTS, ids=lambda d: f"{d.source}: {d.name}")
def test_each_planted_defect_has_its_outcome(quarantine: Quarantine, defect: Defect) -> None:
    rejected = quarantine.result.query(
        "select reject_reason from rejected_rows"
        f" where source_name = '{defect.source}' and contains(raw_record, '\"{defect.tag}\"')"
    )
    assert sorted(reason for (reason,) in rejected) == sorted(defect.reasons)

    kept = len(defect.rows) - len(defect.reasons)
    columns = list(defect.kept_values) or ["1"]
    staged = quarantine.result.query(
        f"select {', '.join(columns)} from {STAGED[defect.source]} where {defect.kept_where}"
    )
    expected = tuple(defect.kept_values.values()) if defect.kept_values else (1,)
    assert staged == [expected] * kept


def test_repeated_headers_are_rejected_and_never_become_customers(
    quarantine: Quarantine, raw_sample: RawSample
) -> None:
    generated = expected_reject_counts(raw_sample.manifest)
    for source, model in STAGED.items():
        [(rejected,)] = quarantine.result.query(
            "select count(*) from rejected_rows"
            f" where source_name = '{source}' and reject_reason = 'repeated_header'"
        )
        assert rejected == generated[source]["repeated_header"] + len(HEADER_ROWS[source])
        assert quarantine.result.query(
            f"select count(*) from {model} where lower(customer_id) like '%customer_id%'"
        ) == [(0,)], source


def test_rejects_are_the_generated_ones_plus_the_planted_ones(
    quarantine: Quarantine, raw_sample: RawSample
) -> None:
    assert reject_counts(quarantine.result) == _expected_rejects(raw_sample.manifest)


def test_every_raw_row_lands_exactly_once(quarantine: Quarantine, raw_sample: RawSample) -> None:
    for source, model in STAGED.items():
        raw_rows = raw_sample.manifest["raw_rows"][source] + _planted_rows(source)
        [(landed, distinct, first, last)] = quarantine.result.query(
            "select count(*), count(distinct source_row_number), min(source_row_number),"
            f" max(source_row_number) from (select source_row_number from {model}"
            " union all select source_row_number from rejected_rows"
            f" where source_name = '{source}')"
        )
        assert (landed, distinct, first, last) == (raw_rows, raw_rows, 1, raw_rows), source


def test_a_customer_in_one_source_is_staged_there_only(quarantine: Quarantine) -> None:
    for source, customer in ONE_SOURCE_CUSTOMERS.items():
        for other, model in STAGED.items():
            found = quarantine.result.query(
                f"select count(*) from {model} where customer_id = '{customer}'"
            )
            assert found == [(int(other == source),)], (customer, model)


def test_reject_share_above_half_the_limit_warns_with_counts_per_reason(
    quarantine: Quarantine,
) -> None:
    counts = _gate_counts(reject_counts(quarantine.result)["transactions"])
    line = next(
        (
            line
            for line in quarantine.result.output.splitlines()
            if "Data-quality gate, source 'transactions'" in line
        ),
        None,
    )
    assert line is not None, quarantine.result.output[-3000:]
    assert counts in line
    assert _gate_status(quarantine.result, "transactions") == "warn"


def test_the_summary_explains_the_gate_warning_dbt_counts(quarantine: Quarantine) -> None:
    """The summary counts the warnings dbt's closing lines count, and says what they are:
    the gate's counts, sample values and the fix."""
    output = quarantine.result.output
    summary = output[output.index("Build summary:") : output.index("Completed with")]
    warned = sum(r["status"] == "warn" for r in quarantine.result.run_results())
    assert warned >= 1
    assert f"warnings: {warned} (as dbt counts them below):" in summary, summary
    assert f"WARN={warned} " in output.splitlines()[-1], output[-2000:]
    gate = summary[summary.index("- Data-quality gate, source 'transactions'") :]
    assert "rows, e.g. " in gate and "fix: " in gate, summary


def test_reject_share_below_half_the_limit_passes_silently(
    quarantine: Quarantine, raw_sample: RawSample
) -> None:
    share = _defect_shares(raw_sample.manifest)["demographics"]
    assert 0 < share < quarantine.max_share / 2, "the sample no longer exercises this case"
    assert "Data-quality gate, source 'demographics'" not in quarantine.result.output
    assert _gate_status(quarantine.result, "demographics") == "pass"


def test_reject_share_above_the_limit_fails_with_counts_per_reason(
    quarantine: Quarantine, raw_sample: RawSample
) -> None:
    max_share = _defect_shares(raw_sample.manifest)["transactions"] * 0.9
    result = run_dbt(
        quarantine.workdir,
        ["test", "--select", "test_name:reject_share_below_limit"],
        {"raw_data_path": str(quarantine.raw), "max_reject_share": max_share},
    )
    assert not result.ok
    counts = _gate_counts(reject_counts(quarantine.result)["transactions"])
    assert "source 'transactions': " in result.output
    assert counts in result.output, result.output[-3000:]
    assert "Traceback" not in result.output
    # The gate stops the build itself, so its message, not a row count, ends the output.
    assert _gate_status(result, "transactions") == "error"


# File-level defects that the contract allows: the build must read them like clean files.


@dataclass(frozen=True)
class OddFiles:
    """A build on files that are odd but valid, in a directory whose path has a space and a
    quote: transactions with its columns reversed plus unknown ones, credit_profiles with a
    BOM and CRLF line endings, demographics header-only."""

    result: DbtResult


def _rewrite_csv(path: Path, select: str) -> None:
    """Rewrite a raw CSV through DuckDB, keeping nulls (unquoted) apart from blanks ("")."""
    with duckdb.connect() as con:
        con.execute(
            f"create table raw as select * from read_csv('{path}', all_varchar = true,"
            " header = true)"
        )
        con.execute(
            f"copy (select {select} from raw) to '{path}'"
            " (header, delimiter ',', quote '\"', force_quote *)"
        )


@pytest.fixture(scope="module")
def odd_files(raw_sample: RawSample, tmp_path_factory: pytest.TempPathFactory) -> OddFiles:
    root = tmp_path_factory.mktemp("odd_files")
    raw = raw_sample.copy_to(root / "raw")
    _rewrite_csv(
        raw / "transactions.csv",
        "'gold' as loyalty_tier, payment_method, channel, product_category, quantity, amount,"
        " 'a, \"quoted\" note' as note, transaction_date, customer_id, transaction_id",
    )
    credit = raw / "credit_profiles.csv"
    credit.write_bytes(b"\xef\xbb\xbf" + credit.read_bytes().replace(b"\n", b"\r\n"))
    demographics = raw / "demographics.csv"
    demographics.write_text(demographics.read_text(encoding="utf-8").split("\n", 1)[0] + "\n")
    (root / "raw data").mkdir()
    raw = raw.rename(root / "raw data" / "o'brien's files")
    result = run_dbt(
        root / "dbt", STAGING_BUILD, {"raw_data_path": str(raw), "max_reject_share": 1.0}
    )
    assert result.ok, result.output[-4000:]
    return OddFiles(result)


def test_reordered_columns_with_unknown_extras_read_like_the_original(
    odd_files: OddFiles, raw_sample: RawSample
) -> None:
    manifest = raw_sample.manifest
    assert (
        reject_counts(odd_files.result)["transactions"]
        == (expected_reject_counts(manifest)["transactions"])
    )
    assert odd_files.result.query("select count(*) from stg_raw__transactions") == [
        (manifest["expected_clean_rows"]["transactions"],)
    ]


def test_bom_and_crlf_read_like_the_original(
    odd_files: OddFiles, quarantine: Quarantine, raw_sample: RawSample
) -> None:
    assert (
        reject_counts(odd_files.result)["credit_profiles"]
        == (expected_reject_counts(raw_sample.manifest)["credit_profiles"])
    )
    # A stray \r would null the last column (credit_score) of every row.
    columns = "customer_id, snapshot_date, credit_limit, balance, missed_payments_12m, credit_score"
    generated_rows = f"select {columns} from stg_raw__credit_profiles where customer_id like 'C0%'"
    read = odd_files.result.query(f"{generated_rows} order by all")
    assert read == quarantine.result.query(f"{generated_rows} order by all")
    assert any(row[-1] is not None for row in read)


def test_header_only_file_builds_empty(odd_files: OddFiles) -> None:
    assert odd_files.result.query("select count(*) from stg_raw__demographics") == [(0,)]
    assert "demographics" not in reject_counts(odd_files.result)


def test_typed_parquet_is_cleaned_like_the_text_it_came_from(
    raw_sample: RawSample, tmp_path: Path
) -> None:
    """Parquet whose columns are dates, timestamps and numbers instead of the contract's text."""
    raw = tmp_path / "raw"
    raw.mkdir()
    typed = {
        "transactions": "transaction_id, customer_id,"
        " try_cast(trim(transaction_date) as timestamp) as transaction_date,"
        " try_cast(trim(amount) as double) as amount,"
        " try_cast(trim(quantity) as bigint) as quantity,"
        " product_category, channel, payment_method",
        "demographics": "customer_id, try_cast(trim(birth_date) as date) as birth_date, gender,"
        " try_cast(trim(annual_income) as double) as annual_income, region,"
        " try_cast(trim(signup_date) as date) as signup_date,"
        " try_cast(trim(updated_at) as timestamp) as updated_at, email, full_name",
        "credit_profiles": "customer_id, try_cast(trim(snapshot_date) as date) as snapshot_date,"
        " try_cast(trim(credit_limit) as double) as credit_limit,"
        " try_cast(trim(balance) as double) as balance,"
        " try_cast(trim(missed_payments_12m) as integer) as missed_payments_12m,"
        " try_cast(trim(credit_score) as smallint) as credit_score",
    }
    with duckdb.connect() as con:
        for source, select in typed.items():
            con.execute(
                f"copy (select {select} from read_csv('{raw_sample.path / source}.csv',"
                f" all_varchar = true, header = true)) to '{raw / source}.parquet' (format parquet)"
            )
    result = run_dbt(
        tmp_path / "dbt",
        STAGING_BUILD,
        {"raw_data_path": str(raw), "raw_file_format": "parquet", "max_reject_share": 1.0},
    )
    assert result.ok, result.output[-4000:]
    assert reject_counts(result) == expected_reject_counts(raw_sample.manifest)
    for source, model in STAGED.items():
        assert result.query(f"select count(*) from {model}") == [
            (raw_sample.manifest["expected_clean_rows"][source],)
        ], source


# File-level defects that stop the build. Two sources that do not depend on each
# other fail in one build; each must be named in its own message.


def _error_line(result: DbtResult, path: Path) -> str:
    """The output line that names `path`; the failure is asserted first."""
    assert not result.ok, result.output[-3000:]
    assert "Traceback" not in result.output, result.output[-3000:]
    lines = [line for line in result.output.splitlines() if str(path) in line]
    assert lines, f"{path} not named in:\n{result.output[-3000:]}"
    return " ".join(lines)


@pytest.fixture(scope="module")
def missing_parts(raw_sample: RawSample, tmp_path_factory: pytest.TempPathFactory):
    """transactions without its required `amount` column; no demographics file at all;
    credit_profiles with its `balance` column twice (once as ` Balance`)."""
    root = tmp_path_factory.mktemp("missing_parts")
    raw = raw_sample.copy_to(root / "raw")
    _rewrite_csv(raw / "transactions.csv", "* exclude (amount)")
    (raw / "demographics.csv").unlink()
    _rewrite_csv(raw / "credit_profiles.csv", '*, credit_limit as " Balance"')
    return raw, run_dbt(root / "dbt", STAGING_BUILD, {"raw_data_path": str(raw)})


def test_missing_required_column_fails_naming_file_and_column(missing_parts) -> None:
    raw, result = missing_parts
    assert re.search(r"\bamount\b", _error_line(result, raw / "transactions.csv"))


def test_missing_file_fails_naming_the_file(missing_parts) -> None:
    raw, result = missing_parts
    assert "missing" in _error_line(result, raw / "demographics.csv").lower()


def test_a_column_named_twice_fails_naming_file_and_column(missing_parts) -> None:
    raw, result = missing_parts
    message = _error_line(result, raw / "credit_profiles.csv")
    assert "has the column balance 2 times in its header (columns 4 and 7)" in message, message


def _spoil_middle_line(path: Path, spoil) -> int:
    """Apply `spoil` to the line in the middle of a raw file; return its line number."""
    lines = path.read_text(encoding="utf-8").split("\n")
    index = len(lines) // 2
    lines[index] = spoil(lines[index])
    path.write_text("\n".join(lines), encoding="utf-8")
    return index + 1


def _assert_names_line(result: DbtResult, path: Path, line: int) -> None:
    message = _error_line(result, path)
    assert re.search(rf"line\D{{0,3}}{line}\b", message, re.IGNORECASE), message


@dataclass(frozen=True)
class BrokenFiles:
    raw: Path
    result: DbtResult
    lines: dict[str, int]


@pytest.fixture(scope="module")
def broken_files(raw_sample: RawSample, tmp_path_factory: pytest.TempPathFactory) -> BrokenFiles:
    """transactions with one line that has a field too many; an empty (0-byte) demographics."""
    root = tmp_path_factory.mktemp("broken_files")
    raw = raw_sample.copy_to(root / "raw")
    line = _spoil_middle_line(raw / "transactions.csv", lambda text: text + ',"surplus"')
    (raw / "demographics.csv").write_bytes(b"")
    result = run_dbt(root / "dbt", STAGING_BUILD, {"raw_data_path": str(raw)})
    return BrokenFiles(raw, result, {"transactions": line})


@pytest.fixture(scope="module")
def broken_lines(raw_sample: RawSample, tmp_path_factory: pytest.TempPathFactory) -> BrokenFiles:
    """transactions with a line lacking its last field; demographics with an unterminated
    quote, which swallows the rest of the file and defeats DuckDB's dialect sniffing."""
    root = tmp_path_factory.mktemp("broken_lines")
    raw = raw_sample.copy_to(root / "raw")
    lines = {
        "transactions": _spoil_middle_line(
            raw / "transactions.csv", lambda text: text.rsplit(",", 1)[0]
        ),
        "demographics": _spoil_middle_line(
            raw / "demographics.csv", lambda text: text.replace('","', ',"', 1)
        ),
    }
    result = run_dbt(root / "dbt", STAGING_BUILD, {"raw_data_path": str(raw)})
    return BrokenFiles(raw, result, lines)


def test_line_with_a_field_too_many_fails_naming_file_and_line(
    broken_files: BrokenFiles,
) -> None:
    line = broken_files.lines["transactions"]
    _assert_names_line(broken_files.result, broken_files.raw / "transactions.csv", line)


def test_line_with_a_missing_field_fails_naming_file_and_line(broken_lines: BrokenFiles) -> None:
    line = broken_lines.lines["transactions"]
    _assert_names_line(broken_lines.result, broken_lines.raw / "transactions.csv", line)


def test_unterminated_quote_fails_naming_file_and_line(broken_lines: BrokenFiles) -> None:
    line = broken_lines.lines["demographics"]
    _assert_names_line(broken_lines.result, broken_lines.raw / "demographics.csv", line)


def test_empty_file_fails_naming_file_and_required_column(broken_files: BrokenFiles) -> None:
    message = _error_line(broken_files.result, broken_files.raw / "demographics.csv")
    assert re.search(r"\bcustomer_id\b", message), message


def test_a_customer_in_one_source_gets_features_and_one_segment(
    pipeline_build: PipelineBuild,
) -> None:
    for source, customer in ONE_SOURCE_CUSTOMERS.items():
        assert pipeline_build.result.query(
            "select has_transactions, has_demographics, has_credit_profile"
            f" from customer_features where customer_id = '{customer}'"
        ) == [(source == "transactions", source == "demographics", source == "credit_profiles")]
        assert pipeline_build.result.query(
            f"select count(*) from customer_segments where customer_id = '{customer}'"
        ) == [(1,)], customer
