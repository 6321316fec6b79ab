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
    figure_flows,
    figure_heatmap,
    figure_k_distance,
    figure_projection,
    figure_sizes,
    figure_sizes_over_builds,
    segment_palette,
)
from segmentation.report.movement import flow_matrix, flows_sentence

# Sections in report order: (html id, heading). Tests check every one is present.
# Marketing reads the first part; the second, for data scientists, shows how the
# segments were found and is not needed to use them.
MARKETING_SECTIONS: tuple[tuple[str, str], ...] = (
    ("segment-sizes", "Segment sizes and revenue"),
    ("segment-descriptions", "What each segment is"),
    ("feature-heatmap", "How segments differ: feature z-scores"),
    ("segments-over-time", "Segment sizes over the builds"),
    ("segment-flows", "Who moved since the build before"),
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
# Features that are shares of something, shown as percentages (1.1 is 110% utilisation).
SHARE_FEATURES = frozenset(
    {"credit_utilisation", "refund_rate", "online_share", "store_share", "mobile_share"}
)


def counted(count: int, noun: str) -> str:
    """ "1 customer", "2 customers", "1,250 customers": a count with its noun agreeing."""
    return f"{count:,} {noun}" + ("" if count == 1 else "s")


def _share(value: float) -> str:
    """A share as a percentage with one decimal, as the segment table shows it."""
    return f"{value:.1%}"


def stated_means(
    row: pd.Series, segment: pd.Series, population_avg_order_value: float | None
) -> tuple[float, float]:
    """The segment's and everyone's value a trait quotes, and judges its direction by.

    The mean of the feature over the segment's customers and over all of them;
    for average order value, the one definition the table uses too: gross
    sales over purchases, of the segment and of everyone.
    """
    if row["feature_name"] == "avg_order_value" and population_avg_order_value is not None:
        return segment.get("avg_order_value"), population_avg_order_value
    return row.get("feature_mean"), row.get("population_mean")


def trait_direction(row: pd.Series, own: float, everyone: float) -> int:
    """1 (above) or -1 (below) when a feature is a trait of the segment, else 0.

    A trait is a notable z-score (at least Z_NOTABLE) whose direction the
    quoted means show too and the medians do not contradict: the z-score
    compares winsorised values, so a few extreme customers could otherwise
    make "above average" of a segment whose quoted mean is lower.
    """
    z = row.get("z_score")
    if is_missing(z) or abs(z) < Z_NOTABLE or is_missing(own) or is_missing(everyone):
        return 0
    direction = 1 if z > 0 else -1
    if direction * (own - everyone) <= 0:
        return 0
    median, population_median = row.get("feature_median"), row.get("population_median")
    medians_known = not (is_missing(median) or is_missing(population_median))
    if medians_known and direction * (median - population_median) < 0:
        return 0
    return direction


def describe_segment(
    segment: pd.Series,
    profile: pd.DataFrame,
    *,
    feature_labels: dict[str, str],
    currency: str = "",
    population_avg_order_value: float | None = None,
) -> str:
    """A few plain sentences on one segment from its size, revenue and strongest traits.

    Each "above/below average" is true of the two means quoted beside it
    (`trait_direction`); an unstable segment says so (what stability means is
    said once, above the list).
    """
    name = str(segment["segment_name"])
    share = _share(segment["customer_share"])
    text = f"{name}: {counted(int(segment['customers']), 'customer')} ({share} of all)"
    if not is_missing(segment.get("revenue_share")):
        text += f", bringing {_share(segment['revenue_share'])} of revenue"
    text += "."
    ranked = profile.dropna(subset=["z_score"])
    ranked = ranked.reindex(ranked["z_score"].abs().sort_values(ascending=False).index)
    traits = []
    for _, row in ranked.iterrows():
        own, everyone = stated_means(row, segment, population_avg_order_value)
        direction = trait_direction(row, own, everyone)
        if direction == 0:
            continue
        strength = "well " if abs(row["z_score"]) >= Z_STRONG else ""
        own_text, everyone_text = stated_pair(own, everyone, row["feature_name"], currency)
        traits.append(
            f"{feature_label(row['feature_name'], feature_labels)} {strength}"
            f"{'above' if direction > 0 else 'below'} average ({own_text} vs {everyone_text})"
        )
        if len(traits) == TRAITS_PER_SEGMENT:
            break
    if traits:
        text += " Compared with all customers: " + "; ".join(traits) + "."
    else:
        text += " Close to the average customer on every feature."
    text += stability_sentence(segment)
    action = segment.get("marketing_action")
    if isinstance(action, str) and action:
        text += f" Recommended action: {action}"
    return text


def decimals_for(values: list[float]) -> int:
    """One number of decimals for values shown side by side: 0 from 100 up, 1 from 10, else 2."""
    largest = max((abs(v) for v in values if not is_missing(v)), default=0.0)
    return 0 if largest >= 100 else 1 if largest >= 10 else 2


def stated_pair(own: float, everyone: float, feature: str, currency: str) -> tuple[str, str]:
    """Two values of one feature as prose quotes them: alike in unit and rounding."""
    if feature in SHARE_FEATURES:
        return _percent_value(own), _percent_value(everyone)
    unit = f" {currency}" if currency and feature in MONEY_FEATURES else ""
    places = decimals_for([own, everyone])
    return _number(own, places) + unit, _number(everyone, places) + unit


def _number(value: float, places: int | None = None) -> str:
    """A number with thousands separators and `places` decimals (by its size when None)."""
    if is_missing(value):
        return "n/a"
    places = decimals_for([value]) if places is None else places
    return f"{value:,.{places}f}"


def _percent_value(value: float) -> str:
    """A share as a percentage with one decimal (1.1 is 110.0%)."""
    return "n/a" if is_missing(value) else f"{value:.1%}"


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
    """For an unstable segment, what that means for acting on it; nothing for a stable one.

    What the figure is, is said once above the descriptions (STABILITY_NOTE).
    """
    value = segment.get("stability")
    if is_missing(value) or segment.get("is_stable"):
        return ""
    return f" Unstable ({value:.2f}): test it on a small campaign first."


STABILITY_NOTE = (
    "Stability (in the table) is how reliably a segment comes back when the clustering is "
    "rerun on subsets of the customers, from 0 to 1. An unstable segment is a hypothesis: "
    "its description says so."
)


def _percent(values: pd.Series) -> pd.Series:
    return values.map(lambda v: "" if is_missing(v) else f"{v:.1%}")


def _numbers(values: pd.Series) -> pd.Series:
    """A column of numbers, every one with the same decimals (`decimals_for` the column)."""
    places = decimals_for(pd.to_numeric(values, errors="coerce").tolist())
    return values.map(lambda v: "" if is_missing(v) else _number(v, places))


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
        lambda s: _numbers(s["avg_order_value"]),
        "avg_order_value",
    ),
    SummaryColumn(
        "median days since purchase",
        lambda s: _numbers(s["median_recency_days"]),
        "avg_order_value",
    ),
    SummaryColumn(
        "average credit utilisation",
        lambda s: _percent(s["avg_credit_utilisation"]),
        "avg_credit_utilisation",
    ),
    SummaryColumn(
        "average missed payments",
        lambda s: _numbers(s["avg_missed_payments_12m"]),
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


def _lines(value: object) -> list[str]:
    """One diagnostics value as short lines a reader can scan at the report's width.

    JSON stored as text is parsed; an object becomes one "key: value" line per
    key, a list of objects one line per object; floats keep four significant
    digits. Nothing is one long line of raw JSON.
    """
    if isinstance(value, str) and value.strip()[:1] in ("{", "["):
        try:
            value = json.loads(value)
        except ValueError:
            return [value]
    if isinstance(value, dict):
        return [f"{key}: {_inline(item)}" for key, item in value.items()]
    if isinstance(value, list | tuple | np.ndarray):
        # Objects and sentences (warnings) one to a line; short names joined.
        if any(isinstance(item, dict) or len(str(item)) > LONG_ITEM for item in value):
            return [_inline(item) for item in value]
        return [", ".join(_inline(item) for item in value)]
    return [_inline(value)]


# A list item longer than this (a warning, a note) gets a line of its own.
LONG_ITEM = 40


def _inline(value: object) -> str:
    """A value on one line: objects as "key=value" pairs, floats to four significant digits."""
    if isinstance(value, dict):
        return ", ".join(f"{key}={_inline(item)}" for key, item in value.items())
    if isinstance(value, list | tuple | np.ndarray):
        return "[" + ", ".join(_inline(item) for item in value) + "]"
    if isinstance(value, float | np.floating):
        return f"{value:.4g}"
    return str(value)


def _diagnostics_table(diagnostics: dict) -> str:
    """The stored diagnostics as a two-column table that wraps within the page."""
    rows = "".join(
        f"<tr><th>{html.escape(str(key))}</th><td>"
        + "<br>".join(html.escape(line) for line in _lines(value))
        + "</td></tr>"
        for key, value in diagnostics.items()
    )
    return f'<table class="data diagnostics">{rows}</table>'


def _when(value: object) -> str:
    """A build timestamp (UTC) to the minute."""
    return "unknown" if is_missing(value) else f"{pd.Timestamp(value):%Y-%m-%d %H:%M} UTC"


def segments_and_outliers(summary: pd.DataFrame) -> str:
    """The segments counted without the outliers, as the build summary and the publish audit
    count them, and the outliers beside them: "6 segments and 109 outliers"."""
    is_noise = summary.get("naming_basis", pd.Series(index=summary.index, dtype=object)) == "noise"
    outliers = int(summary.loc[is_noise, "customers"].sum())
    segments = counted(int((~is_noise).sum()), "segment")
    return segments + (f" and {counted(outliers, 'outlier')}" if is_noise.any() else "")


def report_header(data: ReportData) -> str:
    """What the figures are about: how many, as of when, from which data, built when."""
    as_of = data.diagnostics.get("as_of_date")
    lines = [
        f"{counted(data.customers, 'customer')} in {segments_and_outliers(data.summary)}"
        + ("" if is_missing(as_of) else f", as of {pd.Timestamp(as_of):%Y-%m-%d}")
        + ".",
        f"Data: {data.build.get('raw_data_path', 'unknown')}"
        + (f" ({data.build['raw_file_format']})" if data.build.get("raw_file_format") else "")
        + (f"; amounts in {data.currency}" if data.currency else "")
        + f". Built {_when(data.build.get('built_at'))}.",
        model_sentence(data.diagnostics, data.moved_share),
    ]
    note = data.diagnostics.get("feature_note")
    notes = [] if is_missing(note) or not note else [f"Note: {note}."]
    return "".join(f'<p class="meta">{html.escape(line)}</p>' for line in lines if line) + "".join(
        f'<p class="note">{html.escape(line)}</p>' for line in notes
    )


def model_sentence(diagnostics: dict, moved_share: float | None = None) -> str:
    """Which model assigned the segments: this build's refit, or a stored one and its drift.

    A score build says how old its model is and how far the data moved from
    it: the outlier share now against at the fit, and the share of the
    customers in the last published build whose segment changed since
    (`moved_share`, None when nothing was published before).
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
    if moved_share is not None:
        text += (
            f" {moved_share:.1%} of the customers in the last published build changed segment"
            " since."
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


def history_sections(data: ReportData) -> dict[str, str]:
    """Sizes over the recorded builds of the data set and the flows into the latest one.

    With one recorded build (or none: a warehouse from before history, a first
    build the audit refused) there is nothing to compare, and the page says so.
    """
    history = data.history
    if history.builds < 2 or history.flows.empty:
        recorded = (
            "No build of this data set is recorded yet"
            if history.builds == 0
            else "Only one build of this data set is recorded so far"
        )
        note = (
            f'<p class="note">{recorded}: segment sizes over the builds and who moved '
            "between them appear from the next published build on (tables segment_history "
            "and segment_transitions).</p>"
        )
        return {"segments-over-time": note, "segment-flows": note}
    return {
        "segments-over-time": _image(
            figure_sizes_over_builds(history.sizes), "segment sizes over the builds"
        )
        + f'<p class="note">{history.builds} builds recorded; a segment keeps its key (S01, '
        "S02, ...) from build to build while it carries on (table segment_registry).</p>",
        "segment-flows": f"<p>{html.escape(flows_sentence(history.flows))}</p>"
        + _image(figure_flows(flow_matrix(history.flows)), "who moved between the last two builds")
        + '<p class="note">Rows: the segment in the build before; columns: the segment now. '
        "The diagonal kept their segment. Each customer who moved is in table "
        "segment_membership_changes.</p>",
    }


def unpublished_banner(data: ReportData) -> str:
    """A warning on top when the build reported is not what BI reads."""
    if data.unpublished is None:
        return ""
    return f'<p class="unpublished">{html.escape(data.unpublished)}</p>'


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
        wording = {
            "feature_labels": data.feature_labels,
            "currency": data.currency,
            "population_avg_order_value": data.population_avg_order_value,
        }
        items = []
        for _, segment in data.summary.iterrows():
            profile = data.profiles.loc[data.profiles["segment_name"] == segment["segment_name"]]
            colour = palette[segment["segment_name"]]
            items.append(
                f'<li><span class="swatch" style="background:{colour}"></span>'
                f"{html.escape(describe_segment(segment, profile, **wording))}</li>"
            )
        body["segment-descriptions"] = (
            f'<p class="note">{html.escape(STABILITY_NOTE)}</p>'
            f'<ul class="segments">{"".join(items)}</ul>'
        )
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
                f"searched no eps (the model's eps is {_number(float(eps))}).</p>"
            )
        else:
            body["k-distance"] = "<p>No k-distance curve: the build stored no eps/min_samples.</p>"
        body["diagnostics"] = _diagnostics_table(data.diagnostics)
        body.update(history_sections(data))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Customer segments</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; color: #222; }}
img {{ max-width: 100%; }}
table.data {{ border-collapse: collapse; font-size: 0.9em; margin: 1em 0; }}
table.data th, table.data td {{ padding: 0.3em 0.7em; border-bottom: 1px solid #ddd; }}
table.diagnostics {{ width: 100%; table-layout: fixed; }}
table.diagnostics th {{ width: 14em; text-align: left; vertical-align: top; }}
table.diagnostics td {{ overflow-wrap: anywhere; }}
ul.segments li {{ margin: 0.6em 0; line-height: 1.4; }}
.swatch {{ display: inline-block; width: 0.9em; height: 0.9em; margin-right: 0.5em; }}
p.meta {{ margin: 0.2em 0; color: #555; }}
p.note {{ color: #555; font-size: 0.9em; }}
p.unpublished {{ background: #fdecea; border-left: 4px solid #c62828; padding: 0.6em 1em; }}
div.data-science {{ margin-top: 3em; padding-top: 1em; border-top: 3px solid #ddd; }}
</style></head><body>
<h1>Customer segments</h1>
{unpublished_banner(data)}
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
