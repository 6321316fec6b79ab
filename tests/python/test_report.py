"""The segment report: every section there, images embedded and real, descriptions true.

Rendered from small synthetic frames here; test_segments_e2e.py renders it
from a real build.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from segmentation import report

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def section_images(page: str) -> dict[str, list[bytes]]:
    """The decoded PNGs of each section, by section id."""
    found = {}
    for section_id, body in re.findall(r'<section id="([^"]+)">(.*?)</section>', page, re.S):
        encoded = re.findall(r'src="data:image/png;base64,([^"]+)"', body)
        found[section_id] = [base64.b64decode(image) for image in encoded]
    return found


def assert_complete_report(page: str, segment_names: list[str]) -> None:
    """Every section in order, an image in each figure section, every segment described."""
    ids = re.findall(r'<section id="([^"]+)">', page)
    assert ids == [section_id for section_id, _ in report.SECTIONS]
    images = section_images(page)
    for section_id in ("segment-sizes", "feature-heatmap", "projection", "k-distance"):
        assert len(images[section_id]) == 1, section_id
        assert images[section_id][0].startswith(PNG_MAGIC), section_id
    assert "<table" in page.split('id="diagnostics"')[1]
    assert 'src="http' not in page and "<script" not in page, "one self-contained file"
    descriptions = page.split('id="segment-descriptions"')[1].split("</section>")[0]
    for name in segment_names:
        assert f"{name}:" in descriptions, name


def _synthetic_data() -> report.ReportData:
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
    diagnostics = {"eps": 0.5, "min_samples": 8, "features_used": ["frequency", "recency_days"]}
    curve = np.sort(rng.gamma(2.0, 0.2, size=200))
    return report.ReportData(summary, profiles, projection, diagnostics, curve, 8)


def test_report_has_every_section_with_embedded_images() -> None:
    data = _synthetic_data()
    page = report.render_html(data)
    assert_complete_report(page, data.summary["segment_name"].tolist())


def test_description_names_the_strongest_differences_in_the_right_direction() -> None:
    data = _synthetic_data()
    segment = data.summary.iloc[1]
    profile = data.profiles.loc[data.profiles["segment_name"] == "Dormant Customers"]
    text = report.describe_segment(segment, profile)
    assert text.startswith("Dormant Customers: 30 customers (30% of all)")
    assert "days since last purchase well above average" in text
    assert "number of purchases below average" in text
    assert "time as a customer" not in text, "a z-score of 0.2 is not a trait"
    assert text.index("days since last purchase") < text.index("number of purchases")
    assert text.endswith("Recommended action: Win back.")


def test_description_of_an_average_segment_says_so() -> None:
    data = _synthetic_data()
    profile = data.profiles.loc[data.profiles["segment_name"] == "Outliers"]
    text = report.describe_segment(data.summary.iloc[2], profile)
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
    diagnostics = {"min_samples": 6, "features_used": '["frequency", "recency_days"]'}
    curve, k = report.k_distance_curve(features, diagnostics)
    assert k == 6, "all 400 customers fit in the search sample: no scaling"
    assert len(curve) == 400
    assert np.all(np.diff(curve) >= 0)
    assert report.k_distance_curve(features, {}) == (None, None)


def test_command_line_reports_a_database_without_marts_in_one_line(tmp_path: Path, capsys) -> None:
    database = tmp_path / "empty.duckdb"
    duckdb.connect(str(database)).close()
    code = report.main(["--db", str(database), "--out", str(tmp_path / "r.html")])
    assert code == 1
    assert "segment_summary" in capsys.readouterr().err
    assert not (tmp_path / "r.html").exists()
