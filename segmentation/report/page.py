"""The report as one HTML page: sections, the segment table and the sentences around figures.

The page opens with what marketing reads (sizes, revenue, what each segment
is, how segments differ); how the clustering was done, for data scientists,
follows under its own heading. Each section has an `id` so tests (and
readers) can find it.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from segmentation.report.data import ReportData, feature_label, has_data, is_missing
from segmentation.report.figures import (
    figure_heatmap,
    figure_k_distance,
    figure_projection,
    figure_sizes,
    segment_palette,
)

# Sections in report order: (html id, heading). Tests check every one is present.
# Marketing reads the first part; the second, for data scientists, shows how the
# segments were found and is not needed to use them.
MARKETING_SECTIONS: tuple[tuple[str, str], ...] = (
    ("segment-sizes", "Segment sizes and revenue"),
    ("segment-descriptions", "What each segment is"),
    ("feature-heatmap", "How segments differ: feature z-scores"),
)
DATA_SCIENCE_SECTIONS: tuple[tuple[str, str], ...] = (
    ("projection", "Customers in two dimensions"),
    ("k-distance", "Choosing eps: the k-distance curve"),
    ("diagnostics", "Clustering diagnostics, as stored"),
)
SECTIONS = MARKETING_SECTIONS + DATA_SCIENCE_SECTIONS


Z_STRONG = 1.0  # "well above/below": the same scale the naming rules use
Z_NOTABLE = 0.5
TRAITS_PER_SEGMENT = 3


# Features in money, shown with the build's currency.
MONEY_FEATURES = frozenset(
    {"monetary", "avg_order_value", "credit_limit", "credit_balance", "annual_income"}
)


def counted(count: int, noun: str) -> str:
    """ "1 customer", "2 customers", "1,250 customers": a count with its noun agreeing."""
    return f"{count:,} {noun}" + ("" if count == 1 else "s")


def _share(value: float) -> str:
    """A share as a percentage; small ones keep a decimal so they do not read as 0%."""
    return f"{value:.1%}" if abs(value) < 0.01 else f"{value:.0%}"


def describe_segment(
    segment: pd.Series,
    profile: pd.DataFrame,
    *,
    feature_labels: dict[str, str],
    currency: str = "",
) -> str:
    """A few plain sentences on one segment from its size, revenue and strongest z-scores."""
    name = str(segment["segment_name"])
    share = _share(segment["customer_share"])
    text = f"{name}: {counted(int(segment['customers']), 'customer')} ({share} of all)"
    if not is_missing(segment.get("revenue_share")):
        text += f", bringing {_share(segment['revenue_share'])} of revenue"
    text += "."
    ranked = profile.dropna(subset=["z_score"])
    ranked = ranked.loc[ranked["z_score"].abs() >= Z_NOTABLE]
    ranked = ranked.reindex(ranked["z_score"].abs().sort_values(ascending=False).index)
    traits = []
    for _, row in ranked.head(TRAITS_PER_SEGMENT).iterrows():
        strength = "well " if abs(row["z_score"]) >= Z_STRONG else ""
        direction = "above" if row["z_score"] > 0 else "below"
        unit = f" {currency}" if currency and row["feature_name"] in MONEY_FEATURES else ""
        traits.append(
            f"{feature_label(row['feature_name'], feature_labels)} {strength}{direction} average "
            f"({_number(row['feature_mean'])}{unit} vs {_number(row['population_mean'])}{unit})"
        )
    if traits:
        text += " Compared with all customers: " + "; ".join(traits) + "."
    else:
        text += " Close to the average customer on every feature."
    text += stability_sentence(segment)
    action = segment.get("marketing_action")
    if isinstance(action, str) and action:
        text += f" Recommended action: {action}"
    return text


def _number(value: float) -> str:
    """Round for prose: big values without decimals, small ones with two significant digits."""
    if is_missing(value):
        return "n/a"
    return f"{value:,.0f}" if abs(value) >= 10 else f"{value:.2g}"


def _image(png: str, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{png}">'


def _table(frame: pd.DataFrame) -> str:
    return frame.to_html(index=False, border=0, classes="data", na_rep="")


@dataclass(frozen=True)
class SummaryColumn:
    """One column of the segment table: its heading and how to show it from segment_summary.

    `heading` may name `{currency}`. A new column (a stability figure, a
    descriptive name) is one more entry in SUMMARY_COLUMNS; `needs` leaves it out
    when the data has nothing for it.
    """

    heading: str
    shown: Callable[[pd.DataFrame], pd.Series]
    # The segment_summary column whose data the column shows: without any (a lender's
    # file has no purchases, a retailer's no credit), the column is left out.
    needs: str | None = None


def stability_label(segment: pd.Series) -> str:
    """The bootstrap stability as the table shows it, an unstable segment flagged."""
    value = segment.get("stability")
    if is_missing(value):
        return ""
    return f"{value:.2f}" + ("" if segment.get("is_stable") else " unstable")


def stability_sentence(segment: pd.Series) -> str:
    """What the stability figure means for acting on the segment, in one sentence."""
    value = segment.get("stability")
    if is_missing(value):
        return ""
    if segment.get("is_stable"):
        return f" Stable: it comes back in reruns on subsets of the customers ({value:.2f})."
    return (
        f" Unstable ({value:.2f}): it does not reliably come back in reruns on subsets of "
        "the customers, so treat it as a hypothesis and test it on a small campaign first."
    )


def _percent(values: pd.Series) -> pd.Series:
    return values.map(lambda v: "" if is_missing(v) else f"{v:.1%}")


SUMMARY_COLUMNS: tuple[SummaryColumn, ...] = (
    SummaryColumn("segment", lambda s: s["segment_name"]),
    SummaryColumn("customers", lambda s: s["customers"].map("{:,}".format)),
    SummaryColumn("share of customers", lambda s: _percent(s["customer_share"])),
    SummaryColumn(
        "net revenue ({currency})",
        lambda s: s["revenue"].astype(float).map("{:,.0f}".format),
        "revenue",
    ),
    SummaryColumn("share of revenue", lambda s: _percent(s["revenue_share"]), "revenue"),
    SummaryColumn(
        "average order value ({currency})",
        lambda s: s["avg_order_value"].map(_number),
        "avg_order_value",
    ),
    SummaryColumn(
        "median days since purchase",
        lambda s: s["median_recency_days"].map(_number),
        "avg_order_value",
    ),
    SummaryColumn(
        "average credit utilisation",
        lambda s: s["avg_credit_utilisation"].map(_number),
        "avg_credit_utilisation",
    ),
    SummaryColumn(
        "average missed payments",
        lambda s: s["avg_missed_payments_12m"].map(_number),
        "avg_missed_payments_12m",
    ),
    SummaryColumn("top category", lambda s: s["top_product_category"], "avg_order_value"),
    SummaryColumn("stability", lambda s: s.apply(stability_label, axis=1)),
)


def _summary_table(summary: pd.DataFrame, currency: str) -> str:
    """The KPI table with numbers formatted the way a dashboard shows them."""
    shown = pd.DataFrame(
        {
            column.heading.format(currency=currency).replace(" ()", ""): column.shown(summary)
            for column in SUMMARY_COLUMNS
            if has_data(summary, column.needs)
        }
    )
    return _table(shown)


def _shown(value: object) -> str:
    """One diagnostics value as a reader wants it: lists joined, floats rounded."""
    if isinstance(value, list | tuple | np.ndarray):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value)
    if isinstance(value, float | np.floating):
        return f"{value:.4g}"
    return str(value)


def _diagnostics_frame(diagnostics: dict) -> pd.DataFrame:
    rows = [{"figure": key, "value": _shown(value)} for key, value in diagnostics.items()]
    return pd.DataFrame(rows, columns=["figure", "value"])


def _when(value: object) -> str:
    """A build timestamp (UTC) to the minute."""
    return "unknown" if is_missing(value) else f"{pd.Timestamp(value):%Y-%m-%d %H:%M} UTC"


def report_header(data: ReportData) -> str:
    """What the figures are about: how many, as of when, from which data, built when."""
    as_of = data.diagnostics.get("as_of_date")
    segments = len(data.summary)
    lines = [
        f"{counted(data.customers, 'customer')} in {counted(segments, 'segment')}"
        + ("" if is_missing(as_of) else f", as of {pd.Timestamp(as_of):%Y-%m-%d}")
        + ".",
        f"Data: {data.build.get('raw_data_path', 'unknown')}"
        + (f" ({data.build['raw_file_format']})" if data.build.get("raw_file_format") else "")
        + (f"; amounts in {data.currency}" if data.currency else "")
        + f". Built {_when(data.build.get('built_at'))}.",
        model_sentence(data.diagnostics, data.segment_changes),
    ]
    return "".join(f'<p class="meta">{html.escape(line)}</p>' for line in lines if line)


def model_sentence(diagnostics: dict, changes: dict) -> str:
    """Which model assigned the segments: this build's refit, or a stored one and its drift.

    A score build says how old its model is and how far the data moved from
    it: the outlier share now against at the fit, and the customers whose
    segment changed since the version published before (when both used the
    same model).
    """
    fit_id = diagnostics.get("fit_id")
    if not fit_id:
        return ""
    if diagnostics.get("clustering_mode") != "score":
        return f"Segments found on these customers (a refit; model {fit_id})."
    text = (
        f"Segments assigned with a stored model (fit {fit_id}), learned on the data as of "
        f"{pd.Timestamp(diagnostics['fit_as_of_date']):%Y-%m-%d}, "
        f"{counted(int(diagnostics['model_age_days']), 'day')} before this as-of date. "
        f"Outliers: {diagnostics['noise_share']:.1%} of customers now, "
        f"{diagnostics['fit_noise_share']:.1%} when the model was learned."
    )
    if changes.get("comparison") == "same_fit":
        text += (
            f" Since the version published before, "
            f"{counted(int(changes['customers_changed']), 'customer')} of "
            f"{int(changes['customers_in_both']):,} ({changes['changed_share']:.1%}) "
            "changed segment."
        )
    return text


def projection_note(data: ReportData) -> str:
    """Says when the scatter shows a sample, so legend counts are not read as segment sizes."""
    shown = len(data.projection)
    if shown >= data.customers:
        return ""
    return (
        f'<p class="note">A sample: {shown:,} of {data.customers:,} customers, drawn at random '
        "(by a hash of the customer id, so every build draws the same ones), because more "
        "points would hide the shapes and slow the report. The counts in the legend are "
        "customers in the sample; the segment sizes are in the table above.</p>"
    )


def k_distance_note(data: ReportData) -> str:
    """Says which customers the curve covers: the sample the eps search itself used."""
    if data.k_distances is None:
        return ""
    covered = len(data.k_distances)
    if covered >= data.customers:
        return ""
    return (
        f'<p class="note">Over a sample of {covered:,} of {data.customers:,} customers: the '
        "same deterministic sample the build searched eps on.</p>"
    )


def _sections(sections: tuple[tuple[str, str], ...], body: dict[str, str]) -> str:
    return "".join(
        f'<section id="{section_id}"><h3>{html.escape(title)}</h3>{body[section_id]}</section>'
        for section_id, title in sections
    )


def render_html(data: ReportData) -> str:
    """The whole report as one HTML string with every image inline."""
    order = data.summary["segment_name"].tolist()
    palette = segment_palette(order)
    body: dict[str, str] = {}
    if data.summary.empty:
        empty = "<p>No customers: the build had no data to segment.</p>"
        body = {section_id: empty for section_id, _ in SECTIONS}
    else:
        sizes = _image(figure_sizes(data.summary, palette, data.currency), "segment sizes")
        body["segment-sizes"] = sizes + _summary_table(data.summary, data.currency)
        wording = {"feature_labels": data.feature_labels, "currency": data.currency}
        items = []
        for _, segment in data.summary.iterrows():
            profile = data.profiles.loc[data.profiles["segment_name"] == segment["segment_name"]]
            colour = palette[segment["segment_name"]]
            items.append(
                f'<li><span class="swatch" style="background:{colour}"></span>'
                f"{html.escape(describe_segment(segment, profile, **wording))}</li>"
            )
        body["segment-descriptions"] = f'<ul class="segments">{"".join(items)}</ul>'
        body["feature-heatmap"] = _image(
            figure_heatmap(data.profiles, order, data.feature_labels), "feature z-scores"
        )
        body["projection"] = projection_note(data) + _image(
            figure_projection(data.projection, palette), "projection"
        )
        eps = data.diagnostics.get("eps")
        if data.k_distances is not None and len(data.k_distances):
            body["k-distance"] = k_distance_note(data) + _image(
                figure_k_distance(
                    data.k_distances, None if eps is None else float(eps), data.k_neighbour
                ),
                "k-distance curve",
            )
        elif data.diagnostics.get("clustering_mode") == "score":
            body["k-distance"] = (
                "<p>No k-distance curve: this build assigned customers with a stored model and "
                f"searched no eps (the model's eps is {_shown(eps)}).</p>"
            )
        else:
            body["k-distance"] = "<p>No k-distance curve: the build stored no eps/min_samples.</p>"
        body["diagnostics"] = _table(_diagnostics_frame(data.diagnostics))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Customer segments</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; color: #222; }}
img {{ max-width: 100%; }}
table.data {{ border-collapse: collapse; font-size: 0.9em; margin: 1em 0; }}
table.data th, table.data td {{ padding: 0.3em 0.7em; border-bottom: 1px solid #ddd; }}
ul.segments li {{ margin: 0.6em 0; line-height: 1.4; }}
.swatch {{ display: inline-block; width: 0.9em; height: 0.9em; margin-right: 0.5em; }}
p.meta {{ margin: 0.2em 0; color: #555; }}
p.note {{ color: #555; font-size: 0.9em; }}
div.data-science {{ margin-top: 3em; padding-top: 1em; border-top: 3px solid #ddd; }}
</style></head><body>
<h1>Customer segments</h1>
{report_header(data)}
<div class="part" id="marketing">
{_sections(MARKETING_SECTIONS, body)}
</div>
<div class="part data-science" id="data-science">
<h2>For data scientists: how the segments were found</h2>
<p>The clustering behind the segments, to check or tune it (see clustering_diagnostics).
Not needed to use the segments.</p>
{_sections(DATA_SCIENCE_SECTIONS, body)}
</div>
</body></html>
"""
