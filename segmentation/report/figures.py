"""The report's figures, each drawn with matplotlib/seaborn into a base64 PNG."""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence

import matplotlib
import matplotlib.ticker

matplotlib.use("Agg")  # no display on build machines; must precede pyplot

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from segmentation.report.data import feature_label, has_data, is_missing

NOISE_COLOUR = "#9e9e9e"
# Segment names, feature labels and the currency are shown as written: a `$...$` in
# them would otherwise go to matplotlib's math parser, which fails on most such text.
matplotlib.rcParams["text.parse_math"] = False


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
            label = "" if is_missing(share) else f" {share:.1%}"
            ax.text(value, y, label, va="center", fontsize=9)
        ax.spines[["top", "right"]].set_visible(False)
        ax.margins(x=0.15)
    fig.tight_layout()
    return _png(fig)


def figure_heatmap(
    profiles: pd.DataFrame, order: Sequence[str], feature_labels: dict[str, str]
) -> str:
    """Segments by features, coloured by z-score: red above average, blue below."""
    grid = profiles.pivot_table(
        index="segment_name", columns="feature_name", values="z_score", aggfunc="first"
    )
    grid = grid.reindex([n for n in order if n in grid.index])
    # Related features side by side (behaviour, channels, credit, demographics), as
    # seed feature_labels lists them.
    known = [f for f in feature_labels if f in grid.columns]
    grid = grid[known + sorted(set(grid.columns) - set(known))]
    grid.columns = [feature_label(c, feature_labels) for c in grid.columns]
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


def figure_sizes_over_builds(sizes: pd.DataFrame) -> str:
    """Customers per segment key over the recorded builds, one line per key.

    The x axis is the build (its number and as-of date); a key is labelled with
    its latest name, so a segment renamed or ended reads as the same line.
    """
    builds = sizes.drop_duplicates("build_number").sort_values("build_number")
    ticks = [
        f"{int(b)}\n{pd.Timestamp(d):%Y-%m-%d}"
        for b, d in zip(builds["build_number"], builds["as_of_date"], strict=True)
    ]
    labels = sorted(sizes["label"].unique())
    colours = segment_palette(labels)
    fig, ax = plt.subplots(figsize=(9, 4.8))
    for label in labels:
        points = sizes.loc[sizes["label"] == label].sort_values("build_number")
        ax.plot(
            points["build_number"],
            points["customers"],
            marker="o",
            color=NOISE_COLOUR if label.startswith("S00") else colours[label],
            label=label,
        )
    ax.set_xticks(builds["build_number"].tolist(), ticks)
    ax.set_xlabel("build (as-of date)")
    ax.set_ylabel("customers")
    ax.yaxis.set_major_formatter(matplotlib.ticker.StrMethodFormatter("{x:,.0f}"))
    ax.legend(fontsize=8, frameon=False, loc="center left", bbox_to_anchor=(1.0, 0.5))
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return _png(fig)


def figure_flows(matrix: pd.DataFrame) -> str:
    """Who moved: customers from each segment then (rows) to each segment now (columns)."""
    fig, ax = plt.subplots(
        figsize=(max(7, 1.1 * matrix.shape[1] + 3), 0.55 * matrix.shape[0] + 2.2)
    )
    sns.heatmap(
        matrix,
        cmap="Blues",
        annot=matrix.map("{:,}".format),
        fmt="",
        linewidths=0.5,
        cbar=False,
        ax=ax,
    )
    ax.set_xlabel("segment now")
    ax.set_ylabel("segment in the build before")
    plt.setp(ax.get_xticklabels(), rotation=35, ha="right")
    fig.tight_layout()
    return _png(fig)
