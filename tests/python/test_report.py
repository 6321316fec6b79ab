"""The segment report: every section there, images embedded and real, descriptions true.

Rendered from small synthetic frames here; test_segments_e2e.py renders it
from a real build.
"""

from __future__ import annotations

import base64
import dataclasses
import html
import json
import re
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from project_settings import project_vars, seed_feature_labels

from segmentation import report
from segmentation.report import data as report_data
from segmentation.report import movement as report_movement
from segmentation.report import page as report_page

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def section_images(page: str) -> dict[str, list[bytes]]:
    """The decoded PNGs of each section, by section id."""
    found = {}
    for section_id, body in re.findall(r'<section id="([^"]+)">(.*?)</section>', page, re.S):
        encoded = re.findall(r'src="data:image/png;base64,([^"]+)"', body)
        found[section_id] = [base64.b64decode(image) for image in encoded]
    return found


# "<feature> [well] above|below average (<segment's value> vs <everyone's value>)".
CLAIM = re.compile(r"(above|below) average \(([^()]*?) vs ([^()]*?)\)")


def quoted_number(text: str) -> float:
    """A value as the report quotes it ("1,234.5 EUR", "110.0%") as a number."""
    return float(re.sub(r"[^0-9.\-]", "", text.replace(",", "")))


def description_claims(page: str) -> list[tuple[str, float, float]]:
    """Every above/below claim of the segment descriptions with its two quoted values."""
    descriptions = page.split('id="segment-descriptions"')[1].split("</section>")[0]
    return [
        (direction, quoted_number(own), quoted_number(everyone))
        for direction, own, everyone in CLAIM.findall(html.unescape(descriptions))
    ]


def false_claims(page: str) -> list[tuple[str, float, float]]:
    """The claims whose quoted values say the opposite (or nothing): "above" needs more."""
    return [
        (direction, own, everyone)
        for direction, own, everyone in description_claims(page)
        if not (own > everyone if direction == "above" else own < everyone)
    ]


def assert_complete_report(page: str, segment_names: list[str]) -> None:
    """Every section in order, an image in each figure section, every segment described."""
    ids = re.findall(r'<section id="([^"]+)">', page)
    assert ids == [section_id for section_id, _ in report_page.SECTIONS]
    images = section_images(page)
    for section_id in ("segment-sizes", "feature-heatmap", "projection", "k-distance"):
        assert len(images[section_id]) == 1, section_id
        assert images[section_id][0].startswith(PNG_MAGIC), section_id
    assert "<table" in page.split('id="diagnostics"')[1]
    assert 'src="http' not in page and "<script" not in page, "one self-contained file"
    descriptions = page.split('id="segment-descriptions"')[1].split("</section>")[0]
    for name in segment_names:
        assert f"{name}:" in descriptions, name


def _synthetic_data() -> report_data.ReportData:
    names = ["Frequent Shoppers", "Dormant Customers", "Outliers"]
    summary = pd.DataFrame(
        {
            "segment_name": names,
            "customers": [60, 30, 10],
            "customer_share": [0.6, 0.3, 0.1],
            "revenue": [600.0, 100.0, 300.0],
            "revenue_share": [0.6, 0.1, 0.3],
            "avg_order_value": [20.0, 50.0, 400.0],
            "median_recency_days": [3.0, 300.0, 40.0],
            "top_product_category": ["grocery", "books", "electronics"],
            "marketing_action": ["Reward loyalty.", "Win back.", "Review by hand."],
            "stability": [0.95, 0.6, 0.8],
            "is_stable": [True, False, True],
            "naming_basis": ["rule", "descriptive", "noise"],
        }
    )
    z_scores = {
        "Frequent Shoppers": {"frequency": 1.6, "recency_days": -0.7, "tenure_days": 0.1},
        "Dormant Customers": {"frequency": -0.8, "recency_days": 2.1, "tenure_days": 0.2},
        "Outliers": {"frequency": 0.2, "recency_days": 0.1, "tenure_days": -0.3},
    }
    profiles = pd.DataFrame(
        [
            {
                "segment_name": name,
                "feature_name": feature,
                "z_score": z,
                "feature_mean": 10 + z,
                "population_mean": 10.0,
            }
            for name, features in z_scores.items()
            for feature, z in features.items()
        ]
    )
    rng = np.random.default_rng(0)
    projection = pd.DataFrame(
        {
            "segment_name": np.repeat(names, [60, 30, 10]),
            "projection_x": rng.normal(size=100),
            "projection_y": rng.normal(size=100),
        }
    )
    diagnostics = {
        "as_of_date": pd.Timestamp("2026-06-30"),
        "eps": 0.5,
        "min_samples": 8,
        "features_used": ["frequency", "recency_days"],
    }
    curve = np.sort(rng.gamma(2.0, 0.2, size=200))
    build = {
        "raw_data_path": "/data/acme",
        "raw_file_format": "parquet",
        "currency": "GBP",
        "built_at": pd.Timestamp("2026-07-01 06:05:04"),
    }
    return report_data.ReportData(
        summary, profiles, projection, diagnostics, curve, 8, build, seed_feature_labels()
    )


def _one_customer_data() -> report_data.ReportData:
    """One customer in one segment: every count in the singular."""
    data = _synthetic_data()
    summary = data.summary.iloc[:1].assign(customers=[1], customer_share=[1.0])
    projection = data.projection.iloc[:1]
    return dataclasses.replace(data, summary=summary, projection=projection)


def test_report_has_every_section_with_embedded_images() -> None:
    data = _synthetic_data()
    page = report_page.render_html(data)
    assert_complete_report(page, data.summary["segment_name"].tolist())


def test_any_text_in_a_segment_name_is_shown_as_written() -> None:
    """`$...$` never reaches matplotlib's math parser (it fails on most such text), and `<`
    and `&` are escaped in the page: a name comes from a var or a seed anyone edits."""
    hostile = {
        "Frequent Shoppers": r"Spend $\frac{ over $100",
        "Dormant Customers": "<script>alert(1)</script> & Co's",
    }
    data = _synthetic_data()
    summary = data.summary.replace({"segment_name": hostile})
    profiles = data.profiles.replace({"segment_name": hostile})
    projection = data.projection.replace({"segment_name": hostile})
    page = report_page.render_html(
        dataclasses.replace(data, summary=summary, profiles=profiles, projection=projection)
    )
    assert_complete_report(page, [html.escape(name) for name in summary["segment_name"]])
    assert "<script>" not in page
    assert html.escape(hostile["Frequent Shoppers"]) in page


def test_description_names_the_strongest_differences_in_the_right_direction() -> None:
    data = _synthetic_data()
    segment = data.summary.iloc[1]
    profile = data.profiles.loc[data.profiles["segment_name"] == "Dormant Customers"]
    text = report_page.describe_segment(segment, profile, feature_labels=data.feature_labels)
    assert text.startswith("Dormant Customers: 30 customers (30.0% of all)")
    assert "days since last purchase well above average" in text
    assert "purchases below average" in text
    assert "days as a customer" not in text, "a z-score of 0.2 is not a trait"
    assert text.index("days since last purchase") < text.index("purchases below")
    assert text.endswith("Recommended action: Win back.")


def test_features_are_worded_as_seed_feature_labels_words_them() -> None:
    data = _synthetic_data()
    segment = data.summary.iloc[1]
    profile = data.profiles.loc[data.profiles["segment_name"] == "Dormant Customers"]
    labels = {**data.feature_labels, "frequency": "orders placed"}
    text = report_page.describe_segment(segment, profile, feature_labels=labels)
    assert "orders placed below average" in text
    # A feature the seed does not word keeps its column name, spaced.
    text = report_page.describe_segment(segment, profile, feature_labels={})
    assert "recency days well above average" in text


def test_feature_labels_are_read_from_the_warehouse_in_the_seed_order() -> None:
    labels = seed_feature_labels()
    with duckdb.connect() as con:
        con.execute("create table feature_labels (feature_name varchar, label varchar)")
        con.executemany("insert into feature_labels values (?, ?)", list(labels.items()))
        read = report_data.read_feature_labels(con)
    assert list(read.items()) == list(labels.items())


def test_an_unstable_segment_is_flagged_in_the_table_and_its_description() -> None:
    data = _synthetic_data()
    page = report_page.render_html(data)
    assert "0.60 unstable" in page and "0.95 unstable" not in page
    labels = data.feature_labels
    stable = report_page.describe_segment(
        data.summary.iloc[0], data.profiles.iloc[:0], feature_labels=labels
    )
    unstable = report_page.describe_segment(
        data.summary.iloc[1], data.profiles.iloc[:0], feature_labels=labels
    )
    assert "stable" not in stable.lower(), "what stability means is said once, above the list"
    assert "Unstable (0.60)" in unstable and "test it on a small campaign first" in unstable
    descriptions = page.split('id="segment-descriptions"')[1].split("</section>")[0]
    assert descriptions.count("Stability (in the table) is how reliably") == 1


def test_a_lenders_report_shows_credit_columns_and_no_empty_revenue() -> None:
    data = _synthetic_data()
    lender = data.summary.assign(
        revenue=0.0,
        revenue_share=np.nan,
        avg_order_value=np.nan,
        median_recency_days=np.nan,
        top_product_category=None,
        avg_credit_utilisation=[0.2, 0.9, 0.5],
        avg_missed_payments_12m=[0.0, 2.5, 1.0],
    )
    table = report_page._summary_table(lender, "TWD")
    assert "average credit utilisation" in table and "average missed payments" in table
    assert "net revenue" not in table and "average order value" not in table
    retailer = report_page._summary_table(data.summary, "EUR")
    assert "net revenue (EUR)" in retailer and "credit utilisation" not in retailer


def test_description_of_an_average_segment_says_so() -> None:
    data = _synthetic_data()
    profile = data.profiles.loc[data.profiles["segment_name"] == "Outliers"]
    text = report_page.describe_segment(
        data.summary.iloc[2], profile, feature_labels=data.feature_labels
    )
    assert "Close to the average customer on every feature." in text


def test_k_distance_curve_is_sorted_and_uses_the_scaled_k() -> None:
    rng = np.random.default_rng(1)
    features = pd.DataFrame(
        {
            "customer_id": [f"C{i:04d}" for i in range(400)],
            "frequency": rng.poisson(10, 400),
            "recency_days": rng.integers(0, 300, 400),
        }
    )
    diagnostics = {
        "min_samples": 6,
        "features_used": '["frequency", "recency_days"]',
        "clustering_vars": json.dumps(project_vars()),
    }
    relation = duckdb.connect().from_df(features)
    curve, k = report_data.k_distance_curve(relation, diagnostics)
    assert k == 6, "all 400 customers fit in the search sample: no scaling"
    assert len(curve) == 400
    assert np.all(np.diff(curve) >= 0)
    assert report_data.k_distance_curve(relation, {}) == (None, None)
    assert report_data.k_distance_curve(relation.limit(0), diagnostics) == (None, None)


def test_k_distance_curve_follows_the_settings_the_build_recorded() -> None:
    rng = np.random.default_rng(1)
    features = pd.DataFrame(
        {"customer_id": [f"C{i:04d}" for i in range(400)], "frequency": rng.poisson(10, 400)}
    )
    settings = {**project_vars(), "dbscan_search_rows": 100}
    diagnostics = {"min_samples": 8, "features_used": ["frequency"], "clustering_vars": settings}
    relation = duckdb.connect().from_df(features)
    curve, k = report_data.k_distance_curve(relation, diagnostics)
    assert len(curve) == 100, "the build searched eps on 100 customers: so does the curve"
    assert k == 2, "min_samples 8 of 400 customers, scaled to the 100 searched"
    no_settings = {key: value for key, value in diagnostics.items() if key != "clustering_vars"}
    assert report_data.k_distance_curve(relation, no_settings) == (None, None)


def test_command_line_reports_a_database_without_marts_in_one_line(tmp_path: Path, capsys) -> None:
    database = tmp_path / "empty.duckdb"
    duckdb.connect(str(database)).close()
    code = report.main(["--db", str(database), "--out", str(tmp_path / "r.html")])
    assert code == 1
    assert "segment_summary" in capsys.readouterr().err
    assert not (tmp_path / "r.html").exists()


def test_header_names_as_of_date_data_source_currency_and_build_time() -> None:
    page = report_page.render_html(_synthetic_data())
    header = page.split("<h1>")[1].split('<div class="part"')[0]
    # Segments counted without the outliers, as the build summary and the publish audit do.
    assert "100 customers in 2 segments and 10 outliers, as of 2026-06-30." in header
    assert "Data: /data/acme (parquet); amounts in GBP. Built 2026-07-01 06:05 UTC." in header


def test_revenue_is_shown_with_the_currency() -> None:
    page = report_page.render_html(_synthetic_data())
    sizes = page.split('id="segment-sizes"')[1].split("</section>")[0]
    assert "net revenue (GBP)" in sizes and "average order value (GBP)" in sizes
    profile = pd.DataFrame(
        [
            {
                "segment_name": "x",
                "feature_name": "monetary",
                "z_score": 1.5,
                "feature_mean": 900.0,
                "population_mean": 300.0,
            }
        ]
    )
    text = report_page.describe_segment(
        _synthetic_data().summary.iloc[0],
        profile,
        feature_labels=seed_feature_labels(),
        currency="GBP",
    )
    assert "net spend well above average (900 GBP vs 300 GBP)" in text


def test_one_customer_in_one_segment_reads_in_the_singular() -> None:
    data = _one_customer_data()
    page = report_page.render_html(data)
    assert "1 customer in 1 segment," in page
    text = report_page.describe_segment(
        data.summary.iloc[0], data.profiles.iloc[:0], feature_labels=data.feature_labels
    )
    assert text.startswith("Frequent Shoppers: 1 customer (100.0% of all)")
    assert "1 customers" not in page and "1 segments" not in page


def test_a_sampled_scatter_says_it_is_a_sample_and_a_full_one_does_not() -> None:
    data = _synthetic_data()
    full = report_page.render_html(data).split('id="projection"')[1].split("</section>")[0]
    assert "sample" not in full
    sampled_data = dataclasses.replace(data, projection=data.projection.iloc[::4])
    sampled = report_page.render_html(sampled_data).split('id="projection"')[1]
    assert "A sample: 25 of 100 customers" in sampled.split("</section>")[0]
    assert "counts in the legend are customers in the sample" in sampled


def test_the_data_science_part_is_labelled_and_below_the_marketing_part() -> None:
    page = report_page.render_html(_synthetic_data())
    marketing, data_science = page.split('<div class="part data-science" id="data-science">')
    assert "For data scientists" in data_science.split("<section")[0]
    for section_id, _ in report_page.MARKETING_SECTIONS:
        assert f'<section id="{section_id}">' in marketing
    for section_id, _ in report_page.DATA_SCIENCE_SECTIONS:
        assert f'<section id="{section_id}">' in data_science


def _trap_profile() -> pd.DataFrame:
    """z-scores that winsorising made positive while the raw means or medians disagree."""
    rows = [
        # A few huge refunds drag the raw mean of net spend below everyone's.
        ("monetary", 1.2, -224.0, 500.0, 866.0, 400.0),
        # Mean higher, median lower: the outliers' balance of issue 21.
        ("credit_balance", 0.9, 5228.0, 1756.0, 3271.0, 2320.0),
        # A true trait: both higher.
        ("frequency", 0.8, 14.0, 12.0, 8.0, 7.0),
    ]
    return pd.DataFrame(
        [
            {
                "segment_name": "Outliers",
                "feature_name": feature,
                "z_score": z,
                "feature_mean": mean,
                "feature_median": median,
                "population_mean": population_mean,
                "population_median": population_median,
            }
            for feature, z, mean, median, population_mean, population_median in rows
        ]
    )


def test_every_above_or_below_claim_agrees_with_the_numbers_quoted_beside_it() -> None:
    data = _synthetic_data()
    profiles = pd.concat(
        [data.profiles.loc[data.profiles["segment_name"] != "Outliers"], _trap_profile()]
    )
    page = report_page.render_html(dataclasses.replace(data, profiles=profiles))
    claims = description_claims(page)
    assert len(claims) >= 3, claims
    assert false_claims(page) == []
    outliers = page.split("Outliers: ")[1].split("</li>")[0]
    assert "purchases above average (14.0 vs 8.0)" in outliers
    assert "net spend" not in outliers and "credit balance" not in outliers


def test_the_claim_check_fails_when_a_claim_and_its_numbers_disagree() -> None:
    """The check itself: a page claiming "above" beside a lower value is caught."""
    page = (
        '<section id="segment-descriptions"><ul><li>Outliers: 10 customers. Compared with '
        "all customers: net spend well above average (-224 EUR vs 866 EUR); credit "
        "utilisation below average (110.0% vs 45.0%); purchases above average (14.0 vs 8.0)."
        "</li></ul></section>"
    )
    assert false_claims(page) == [("above", -224.0, 866.0), ("below", 110.0, 45.0)]


def test_average_order_value_is_quoted_as_the_table_defines_it() -> None:
    """Gross sales over purchases of the segment against everyone's, not a mean of means."""
    data = _synthetic_data()
    profile = pd.DataFrame(
        [
            {
                "segment_name": "Outliers",
                "feature_name": "avg_order_value",
                "z_score": 1.4,
                "feature_mean": 3736.0,
                "population_mean": 120.0,
            }
        ]
    )
    text = report_page.describe_segment(
        data.summary.iloc[2],
        profile,
        feature_labels=data.feature_labels,
        currency="EUR",
        population_avg_order_value=50.0,
    )
    assert "average order value well above average (400 EUR vs 50 EUR)" in text
    table = report_page._summary_table(data.summary, "EUR")
    assert "<td>400</td>" in table


def test_shares_read_as_percentages_and_rounding_is_alike_side_by_side() -> None:
    own, everyone = report_page.stated_pair(1.1, 0.453, "credit_utilisation", "EUR")
    assert (own, everyone) == ("110.0%", "45.3%")
    assert report_page.stated_pair(0.2, 0.19, "missed_payments_12m", "") == ("0.20", "0.19")
    assert report_page.stated_pair(1234.5, 98.2, "monetary", "EUR") == ("1,234 EUR", "98 EUR")
    column = report_page._numbers(pd.Series([0.2, 0.19, 12.5]))
    assert column.tolist() == ["0.2", "0.2", "12.5"]


def test_diagnostics_are_short_lines_not_raw_json() -> None:
    diagnostics = {
        "refinement_steps": json.dumps(
            [{"step": "bisection", "customers": 900, "into": [500, 400]}]
        ),
        "clustering_vars": json.dumps({"dbscan_eps": None, "segment_min_share": 0.03}),
        "eps": 0.123456789,
    }
    table = report_page._diagnostics_table(diagnostics)
    assert "step=bisection, customers=900, into=[500, 400]" in table
    assert "dbscan_eps: None<br>segment_min_share: 0.03" in table
    assert "0.1235" in table
    assert '{"' not in html.unescape(table), "no raw JSON object"
    page = report_page.render_html(_synthetic_data())
    assert "table-layout: fixed" in page and "overflow-wrap: anywhere" in page


def test_few_usable_features_are_said_in_the_report() -> None:
    data = _synthetic_data()
    note = "few usable features: 2 (age_years, has_overdraft), 2 of them discrete"
    page = report_page.render_html(
        dataclasses.replace(data, diagnostics={**data.diagnostics, "feature_note": note})
    )
    header = page.split("<h1>")[1].split('<div class="part"')[0]
    assert f"Note: {note}." in header
    assert "Note:" not in report_page.render_html(data).split('<div class="part"')[0]


def _history_data() -> report_data.ReportData:
    """Two recorded builds: Frequent Shoppers lost 5 customers to Dormant Customers."""
    sizes = pd.DataFrame(
        {
            "build_number": [1, 1, 2, 2],
            "as_of_date": pd.to_datetime(["2026-06-23"] * 2 + ["2026-06-30"] * 2),
            "segment_key": ["S01", "S02", "S01", "S02"],
            "label": ["S01 Frequent Shoppers", "S02 Dormant Customers"] * 2,
            "customers": [65, 30, 60, 37],
        }
    )
    flows = pd.DataFrame(
        {
            "build_number": [2] * 5,
            "as_of_date": pd.to_datetime(["2026-06-30"] * 5),
            "previous_as_of_date": pd.to_datetime(["2026-06-23"] * 5),
            "from_segment_key": ["S01", "S01", "S02", None, "S02"],
            "from_segment_name": [
                "Frequent Shoppers",
                "Frequent Shoppers",
                "Dormant Customers",
                None,
                "Dormant Customers",
            ],
            "to_segment_key": ["S01", "S02", "S02", "S02", None],
            "to_segment_name": [
                "Frequent Shoppers",
                "Dormant Customers",
                "Dormant Customers",
                "Dormant Customers",
                None,
            ],
            "flow": ["stayed", "moved", "stayed", "new", "gone"],
            "customers": [60, 5, 29, 3, 1],
        }
    )
    history = report_data.SegmentHistory(sizes, flows)
    return dataclasses.replace(_synthetic_data(), history=history)


def test_two_builds_show_sizes_over_builds_and_who_moved() -> None:
    page = report_page.render_html(_history_data())
    images = section_images(page)
    assert len(images["segments-over-time"]) == len(images["segment-flows"]) == 1
    assert images["segment-flows"][0].startswith(PNG_MAGIC)
    flows = page.split('id="segment-flows"')[1].split("</section>")[0]
    assert "89 customers kept their segment, 5 moved to another, 3 came in new and 1 left." in flows
    assert "5 from Frequent Shoppers to Dormant Customers" in flows


def test_the_flow_matrix_reads_from_the_build_before_to_now() -> None:
    matrix = report_movement.flow_matrix(_history_data().history.flows)
    assert matrix.index.tolist() == [
        "S01 Frequent Shoppers",
        "S02 Dormant Customers",
        report_movement.NEW_ROW,
    ]
    assert matrix.columns.tolist()[-1] == report_movement.GONE_COLUMN
    assert matrix.loc["S01 Frequent Shoppers", "S02 Dormant Customers"] == 5
    assert matrix.loc[report_movement.NEW_ROW, "S02 Dormant Customers"] == 3
    assert matrix.to_numpy().sum() == 98


def test_a_single_build_says_there_is_nothing_to_compare_yet() -> None:
    one_build = report_data.SegmentHistory(
        _history_data().history.sizes.query("build_number == 1"), pd.DataFrame()
    )
    page = report_page.render_html(dataclasses.replace(_synthetic_data(), history=one_build))
    for section in ("segments-over-time", "segment-flows"):
        body = page.split(f'id="{section}"')[1].split("</section>")[0]
        assert "Only one build of this data set is recorded so far" in body
        assert "<img" not in body


def test_a_build_that_was_not_published_says_so_at_the_top() -> None:
    notice = "Not published: the publish audit refused this build (customers changed)."
    page = report_page.render_html(dataclasses.replace(_synthetic_data(), unpublished=notice))
    body = page.split("<body>")[1]
    assert body.index('class="unpublished"') < body.index('class="meta"')
    assert notice in page
    assert 'class="unpublished"' not in report_page.render_html(_synthetic_data())


def test_the_notice_names_the_audits_refusal_or_the_build_bi_reads(tmp_path: Path) -> None:
    build = {"dbt_invocation_id": "b-2"}
    with duckdb.connect() as con:
        con.execute(
            "create table publish_audit as select * from (values"
            " (3, 'customer_change', 'fail', 'customers changed from 100 to 10', 'b-2'),"
            " (1, 'has_customers', 'pass', null, 'b-2'),"
            " (3, 'customer_change', 'fail', 'an older refusal', 'b-1'))"
            " as t (check_order, check_name, verdict, failure_message, invocation_id)"
        )
        refused = report_data.unpublished_notice(con, build, None)
        assert refused is not None
        assert "refused" in refused and "customers changed from 100 to 10" in refused
        assert "older" not in refused
        current = tmp_path / "current"
        current.mkdir()
        (current / "manifest.json").write_text(json.dumps({"build_id": "b-2", "version": "v2"}))
        con.execute("delete from publish_audit where invocation_id = 'b-2'")
        assert report_data.unpublished_notice(con, build, tmp_path) is None
        other = report_data.unpublished_notice(con, {"dbt_invocation_id": "b-3"}, tmp_path)
        assert other is not None and "BI reads another build (version v2)" in other


def test_a_score_build_says_how_old_its_model_is_and_how_far_the_data_drifted() -> None:
    data = _synthetic_data()
    scored = dataclasses.replace(
        data,
        diagnostics={
            **data.diagnostics,
            "clustering_mode": "score",
            "fit_id": "b26fc6cf1961576a",
            "fit_as_of_date": pd.Timestamp("2026-06-23"),
            "model_age_days": 7,
            "noise_share": 0.062,
            "fit_noise_share": 0.036,
        },
        moved_share=0.012,
    )
    header = report.render_html(scored).split('<div class="part"')[0]
    assert "stored model (fit b26fc6cf1961576a), learned on the data as of 2026-06-23" in header
    assert "7 days before this as-of date" in header
    assert "Outliers: 6.2% of customers now, 3.6% when the model was learned" in header
    assert "1.2% of the customers in the last published build changed segment since" in header
    assert "searched no eps" in report.render_html(dataclasses.replace(scored, k_distances=None))
    refit = dataclasses.replace(
        data, diagnostics={**data.diagnostics, "clustering_mode": "refit", "fit_id": "abc"}
    )
    assert "Segments found on these customers (a refit; model abc)." in report.render_html(refit)
    assert "stored model" not in report.render_html(data)
