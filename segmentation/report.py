"""The segment report: one self-contained HTML file people would rather look at than read.

`make build` runs this after `dbt build`:

    python -m segmentation.report --db warehouse/segmentation.duckdb \
        --out reports/segment_report.html

It opens the warehouse read-only (after the build, so it blocks nothing),
draws every figure with matplotlib/seaborn into PNGs embedded as base64, and
writes one HTML file that can be mailed as it is. Each section has an `id`
so tests (and readers) can find it. The page opens with what marketing reads
(sizes, revenue, what each segment is, how segments differ); how the
clustering was done, for data scientists, follows under its own heading.
"""

from __future__ import annotations

import argparse
import base64
import html
import io
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import matplotlib
import matplotlib.ticker

matplotlib.use("Agg")  # no display on build machines; must precede pyplot

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from sklearn.neighbors import NearestNeighbors

from segmentation.clustering import ClusteringConfig, scale_min_samples, stable_sample
from segmentation.feature_source import read_features
from segmentation.features import parse_feature_list

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
REQUIRED_TABLES: tuple[str, ...] = (
    "segment_summary",
    "segment_profiles",
    "customer_segments",
    "customer_clusters",
    "customer_features",
    "build_metadata",
)
PROJECTION_POINTS = 20_000  # enough to show every segment's shape, small enough to draw fast
Z_STRONG = 1.0  # "well above/below": the same scale the naming rules use
Z_NOTABLE = 0.5
TRAITS_PER_SEGMENT = 3
NOISE_COLOUR = "#9e9e9e"
FEATURE_LABELS: dict[str, str] = {
    "recency_days": "days since last purchase",
    "frequency": "number of purchases",
    "purchase_days": "days with a purchase",
    "monetary": "total spend",
    "avg_order_value": "average order value",
    "tenure_days": "time as a customer",
    "purchase_cadence_days": "days between purchases",
    "refund_rate": "refund rate",
    "category_breadth": "number of categories bought",
    "online_share": "share bought online",
    "store_share": "share bought in store",
    "mobile_share": "share bought on mobile",
    "active_months_12m": "active months in the last year",
    "credit_utilisation": "credit utilisation",
    "missed_payments_12m": "missed payments",
    "credit_score": "credit score",
    "credit_limit": "credit limit",
    "credit_balance": "credit balance",
    "age_years": "age",
    "annual_income": "annual income",
}


# Features in money, shown with the build's currency.
MONEY_FEATURES = frozenset(
    {"monetary", "avg_order_value", "credit_limit", "credit_balance", "annual_income"}
)


@dataclass(frozen=True)
class ReportData:
    """Everything the report shows, read once from the warehouse.

    `build` is the row of build_metadata (raw data path, currency, build
    time).
    """

    summary: pd.DataFrame
    profiles: pd.DataFrame
    projection: pd.DataFrame
    diagnostics: dict
    k_distances: np.ndarray | None
    k_neighbour: int | None
    build: dict = field(default_factory=dict)

    @property
    def currency(self) -> str:
        return str(self.build.get("currency") or "")

    @property
    def customers(self) -> int:
        return int(self.summary["customers"].sum()) if not self.summary.empty else 0


def feature_label(feature: str) -> str:
    """A feature's name as a marketer reads it."""
    return FEATURE_LABELS.get(feature, feature.replace("_", " "))


def counted(count: int, noun: str) -> str:
    """ "1 customer", "2 customers", "1,250 customers": a count with its noun agreeing."""
    return f"{count:,} {noun}" + ("" if count == 1 else "s")


def _table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    query = "select count(*) from duckdb_tables() where table_name = ?"
    return con.execute(query, [name]).fetchall()[0][0] > 0


def read_build(con: duckdb.DuckDBPyConnection) -> dict:
    """The row of build_metadata as a dict; empty if the table holds none."""
    frame = con.execute("select * from build_metadata").df()
    return {} if frame.empty else dict(frame.iloc[-1].items())


def read_diagnostics(con: duckdb.DuckDBPyConnection) -> dict:
    """The latest row of clustering_diagnostics as a dict; empty if the table is missing."""
    if not _table_exists(con, "clustering_diagnostics"):
        return {}
    frame = con.execute("select * from clustering_diagnostics").df()
    if frame.empty:
        return {}
    return {key: value for key, value in frame.iloc[-1].items() if not _is_missing(value)}


def _is_missing(value: object) -> bool:
    """None, NaN and pandas' NA alike (a nullable column gives any of them)."""
    return (
        value is None
        or value is pd.NA
        or value is pd.NaT
        or (isinstance(value, float | np.floating) and np.isnan(value))
    )


def _share(value: float) -> str:
    """A share as a percentage; small ones keep a decimal so they do not read as 0%."""
    return f"{value:.1%}" if abs(value) < 0.01 else f"{value:.0%}"


def _listed(value: object) -> tuple[str, ...] | None:
    """A feature list stored as a list, a JSON array or comma-separated text."""
    if isinstance(value, str) and value.strip().startswith("["):
        value = json.loads(value)
    if isinstance(value, list | tuple | np.ndarray):
        return tuple(str(v) for v in value)
    return parse_feature_list(value)


def k_distance_curve(
    features: duckdb.DuckDBPyRelation, diagnostics: dict
) -> tuple[np.ndarray, int] | tuple[None, None]:
    """Sorted distance to the k-th neighbour (and k), recomputed as the clustering sees the data.

    The clustering stores eps and min_samples, not the curve; recomputing it
    over the same scaled features and the same deterministic sample shows
    where the chosen eps sits on it. The features are read as the clustering
    reads them (segmentation/feature_source.py), in chunks into a float32
    matrix: a frame of every customer took gigabytes at 10M customers.
    """
    if "min_samples" not in diagnostics:
        return None, None
    config = ClusteringConfig()
    transforms = diagnostics.get("feature_transforms")
    if isinstance(transforms, str):
        transforms = json.loads(transforms)
    data = read_features(
        features,
        requested=_listed(diagnostics.get("features_used")) or None,
        rules=config.selection,
        chunk_rows=config.chunk_rows,
        transforms=transforms or None,
    )
    if not data.selection.used or len(data.customer_ids) == 0:
        return None, None
    sample = stable_sample(data.customer_ids, min(config.search_rows, len(data.customer_ids)))
    k = scale_min_samples(int(diagnostics["min_samples"]), len(data.customer_ids), len(sample))
    k = int(min(max(k, 2), len(sample) - 1))
    if k < 1:
        return None, None
    points = data.matrix.values[sample].astype(np.float64)
    distances, _ = NearestNeighbors(n_neighbors=k).fit(points).kneighbors(points)
    return np.sort(distances[:, k - 1]), k


def load_report_data(con: duckdb.DuckDBPyConnection) -> ReportData:
    """Read the marts the report shows."""
    summary = con.execute("select * from segment_summary order by customers desc").df()
    profiles = con.execute("select * from segment_profiles").df()
    projection = con.execute(
        f"""
        select segments.segment_name, clusters.projection_x, clusters.projection_y
        from customer_segments as segments
        inner join customer_clusters as clusters on segments.customer_id = clusters.customer_id
        order by hash(segments.customer_id), segments.customer_id
        limit {PROJECTION_POINTS}
        """
    ).df()
    diagnostics = read_diagnostics(con)
    curve, k = k_distance_curve(con.table("customer_features"), diagnostics)
    return ReportData(summary, profiles, projection, diagnostics, curve, k, read_build(con))


def describe_segment(segment: pd.Series, profile: pd.DataFrame, currency: str = "") -> str:
    """A few plain sentences on one segment from its size, revenue and strongest z-scores."""
    name = str(segment["segment_name"])
    share = _share(segment["customer_share"])
    text = f"{name}: {counted(int(segment['customers']), 'customer')} ({share} of all)"
    if not _is_missing(segment.get("revenue_share")):
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
            f"{feature_label(row['feature_name'])} {strength}{direction} average "
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
    if _is_missing(value):
        return "n/a"
    return f"{value:,.0f}" if abs(value) >= 10 else f"{value:.2g}"


def segment_palette(names: Sequence[str]) -> dict[str, str]:
    """One colour per segment, stable for a given order; only "Outliers" is grey."""
    colours = [c for c in sns.color_palette("tab10").as_hex() if c != "#7f7f7f"]
    if len(names) > len(colours):
        colours = sns.color_palette("husl", n_colors=len(names)).as_hex()
    palette = {}
    for name, colour in zip(names, colours, strict=False):
        palette[name] = NOISE_COLOUR if name.startswith("Outliers") else colour
    return palette


def _png(fig: plt.Figure) -> str:
    """The figure as a base64 PNG, closed afterwards so a long build does not leak memory."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def figure_sizes(summary: pd.DataFrame, palette: dict[str, str], currency: str = "") -> str:
    """Customers and revenue per segment, side by side, same segment order.

    Data without purchases (a lender's file) has no revenue to show: customers only.
    """
    panels = 2 if has_data(summary, "revenue") else 1
    fig, axes = plt.subplots(
        1, panels, figsize=(5.5 * panels, 0.5 * len(summary) + 1.8), sharey=True, squeeze=False
    )
    axes = axes[0]
    names = summary["segment_name"].tolist()
    colours = [palette[n] for n in names]
    axes[0].barh(names, summary["customers"], color=colours)
    axes[0].set_title("Customers")
    bars = [(axes[0], summary["customers"], summary["customer_share"])]
    if panels == 2:
        revenue = summary["revenue"].astype(float)
        axes[1].barh(names, revenue, color=colours)
        axes[1].set_title(f"Net revenue ({currency})" if currency else "Net revenue")
        # Compact tick labels: full figures such as 1,250,000 run into each other on this axis.
        axes[1].xaxis.set_major_formatter(matplotlib.ticker.EngFormatter(sep=""))
        axes[1].xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(nbins=5))
        bars.append((axes[1], revenue, summary["revenue_share"]))
    axes[0].invert_yaxis()  # largest segment on top; the axes share y
    for ax, values, shares in bars:
        for y, (value, share) in enumerate(zip(values, shares, strict=True)):
            label = "" if _is_missing(share) else f" {share:.0%}"
            ax.text(value, y, label, va="center", fontsize=9)
        ax.spines[["top", "right"]].set_visible(False)
        ax.margins(x=0.15)
    fig.tight_layout()
    return _png(fig)


def figure_heatmap(profiles: pd.DataFrame, order: Sequence[str]) -> str:
    """Segments by features, coloured by z-score: red above average, blue below."""
    grid = profiles.pivot_table(
        index="segment_name", columns="feature_name", values="z_score", aggfunc="first"
    )
    grid = grid.reindex([n for n in order if n in grid.index])
    # Related features side by side (behaviour, channels, credit, demographics).
    known = [f for f in FEATURE_LABELS if f in grid.columns]
    grid = grid[known + sorted(set(grid.columns) - set(known))]
    grid.columns = [feature_label(c) for c in grid.columns]
    fig, ax = plt.subplots(figsize=(max(8, 0.6 * grid.shape[1] + 3), 0.55 * len(grid) + 2.5))
    sns.heatmap(
        grid.clip(-3, 3),
        cmap="RdBu_r",
        center=0,
        vmin=-3,
        vmax=3,
        annot=grid.round(1),
        fmt="",
        linewidths=0.5,
        cbar_kws={"label": "z-score (population standard deviations)"},
        ax=ax,
    )
    ax.set_xlabel("")
    ax.set_ylabel("")
    plt.setp(ax.get_xticklabels(), rotation=35, ha="right")
    fig.tight_layout()
    return _png(fig)


def figure_projection(projection: pd.DataFrame, palette: dict[str, str]) -> str:
    """Customers on the clustering's 2-D projection, one colour per segment."""
    fig, ax = plt.subplots(figsize=(9, 7))
    for name, points in projection.groupby("segment_name", sort=False):
        ax.scatter(
            points["projection_x"],
            points["projection_y"],
            s=6,
            alpha=0.5,
            color=palette.get(str(name), NOISE_COLOUR),
            label=f"{name} ({len(points):,})",
            linewidths=0,
        )
    ax.set_xlabel("projection x")
    ax.set_ylabel("projection y")
    ax.legend(markerscale=3, fontsize=8, loc="best", frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return _png(fig)


def figure_k_distance(k_distances: np.ndarray, eps: float | None, k: int | None) -> str:
    """The sorted k-distance curve with the eps the build used."""
    fig, ax = plt.subplots(figsize=(9, 4.5))
    ax.plot(np.arange(len(k_distances)), k_distances, color="#1f77b4")
    if eps is not None:
        ax.axhline(eps, color="#d62728", linestyle="--", label=f"chosen eps = {eps:.3f}")
        ax.legend(frameon=False)
    ax.set_xlabel("customers in the search sample, sorted by distance")
    ax.set_ylabel(f"distance to neighbour {k} (scaled features)")
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return _png(fig)


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


def has_data(summary: pd.DataFrame, column: str | None) -> bool:
    """True when `column` holds a value other than null or zero for some segment."""
    if column is None:
        return True
    if column not in summary.columns:
        return False
    values = pd.to_numeric(summary[column], errors="coerce")
    return bool((values.notna() & (values != 0)).any())


def stability_label(segment: pd.Series) -> str:
    """The bootstrap stability as the table shows it, an unstable segment flagged."""
    value = segment.get("stability")
    if _is_missing(value):
        return ""
    return f"{value:.2f}" + ("" if segment.get("is_stable") else " unstable")


def stability_sentence(segment: pd.Series) -> str:
    """What the stability figure means for acting on the segment, in one sentence."""
    value = segment.get("stability")
    if _is_missing(value):
        return ""
    if segment.get("is_stable"):
        return f" Stable: it comes back in reruns on subsets of the customers ({value:.2f})."
    return (
        f" Unstable ({value:.2f}): it does not reliably come back in reruns on subsets of "
        "the customers, so treat it as a hypothesis and test it on a small campaign first."
    )


def _percent(values: pd.Series) -> pd.Series:
    return values.map(lambda v: "" if _is_missing(v) else f"{v:.1%}")


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
    return "unknown" if _is_missing(value) else f"{pd.Timestamp(value):%Y-%m-%d %H:%M} UTC"


def report_header(data: ReportData) -> str:
    """What the figures are about: how many, as of when, from which data, built when."""
    as_of = data.diagnostics.get("as_of_date")
    segments = len(data.summary)
    lines = [
        f"{counted(data.customers, 'customer')} in {counted(segments, 'segment')}"
        + ("" if _is_missing(as_of) else f", as of {pd.Timestamp(as_of):%Y-%m-%d}")
        + ".",
        f"Data: {data.build.get('raw_data_path', 'unknown')}"
        + (f" ({data.build['raw_file_format']})" if data.build.get("raw_file_format") else "")
        + (f"; amounts in {data.currency}" if data.currency else "")
        + f". Built {_when(data.build.get('built_at'))}.",
    ]
    return "".join(f'<p class="meta">{html.escape(line)}</p>' for line in lines)


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
        items = []
        for _, segment in data.summary.iterrows():
            profile = data.profiles.loc[data.profiles["segment_name"] == segment["segment_name"]]
            colour = palette[segment["segment_name"]]
            items.append(
                f'<li><span class="swatch" style="background:{colour}"></span>'
                f"{html.escape(describe_segment(segment, profile, data.currency))}</li>"
            )
        body["segment-descriptions"] = f'<ul class="segments">{"".join(items)}</ul>'
        body["feature-heatmap"] = _image(figure_heatmap(data.profiles, order), "feature z-scores")
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


def missing_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The marts the report needs that the database does not hold."""
    return [name for name in REQUIRED_TABLES if not _table_exists(con, name)]


def write_report(db_path: Path, out_path: Path) -> Path:
    """Read the warehouse read-only, render the report and write it to `out_path`."""
    with duckdb.connect(str(db_path), read_only=True) as con:
        missing = missing_tables(con)
        if missing:
            raise LookupError(f"{db_path} has no {', '.join(missing)}: did `dbt build` succeed?")
        data = load_report_data(con)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(render_html(data), encoding="utf-8")
    return out_path


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; a missing warehouse is a one-line error, not a traceback."""
    parser = argparse.ArgumentParser(prog="python -m segmentation.report", description=__doc__)
    parser.add_argument("--db", type=Path, default=Path("warehouse/segmentation.duckdb"))
    parser.add_argument("--out", type=Path, default=Path("reports/segment_report.html"))
    args = parser.parse_args(argv)
    if not args.db.exists():
        print(f"error: no warehouse at {args.db}: run `make build` first", file=sys.stderr)
        return 1
    try:
        path = write_report(args.db, args.out)
    except LookupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
