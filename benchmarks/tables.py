"""The BENCHMARKS.md tables from the records of the measured runs.

Nothing here asserts a timing: the targets are read off the tables.
"""

from __future__ import annotations

from pathlib import Path

from benchmarks.build_results import STAGES
from benchmarks.measure import GIB
from benchmarks.runs import LARGE_SIZE, PROJECT_DIR

BENCHMARKS_MD = PROJECT_DIR / "BENCHMARKS.md"
TABLE_START = "<!-- bench-table:start -->"
TABLE_END = "<!-- bench-table:end -->"


def _status_text(measurement: dict) -> str:
    """`DNF (time cap)` / `DNF (memory cap)` / `failed` for a run that did not finish."""
    return {
        "dnf_time": "DNF (time cap)",
        "dnf_memory": "DNF (memory cap)",
        "failed": "failed",
    }.get(measurement["status"], measurement["status"])


def time_text(record: dict | None) -> str:
    """A run's wall time, or how it ended when it did not finish."""
    if not record:
        return "not run"
    measurement = record["measurement"]
    if measurement["status"] != "ok":
        return f"{_status_text(measurement)} after {measurement['wall_seconds']:.0f} s"
    return f"{measurement['wall_seconds']:.1f} s"


def _memory(record: dict | None) -> str:
    if not record:
        return "-"
    return f"{record['measurement']['peak_rss_bytes'] / GIB:.2f} GiB"


def non_clustering_seconds(pipeline: dict) -> float | None:
    """End-to-end pipeline time minus the clustering model: everything DuckDB and dbt do."""
    if pipeline["measurement"]["status"] != "ok":
        return None
    clustering = pipeline.get("clustering_model_seconds")
    if clustering is None:
        return None
    return pipeline["measurement"]["wall_seconds"] - clustering


def table(rows: list[dict]) -> str:
    """The BENCHMARKS.md tables: the comparison, then where the pipeline's time goes."""
    lines = [
        "| customers | transactions (raw) | pipeline time | pipeline peak memory "
        "| baseline time | baseline peak memory | baseline / pipeline "
        "| DuckDB scan floor | pipeline non-clustering / floor |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        pipeline, baseline, floor = row["pipeline"], row.get("baseline"), row.get("floor")
        ratio = "-"
        if pipeline["measurement"]["status"] != "ok":
            ratio = f"pipeline {_status_text(pipeline['measurement'])}"
        elif baseline:
            if baseline["measurement"]["status"] == "ok":
                speedup = (
                    baseline["measurement"]["wall_seconds"]
                    / pipeline["measurement"]["wall_seconds"]
                )
                ratio = f"{speedup:.1f}x"
            elif baseline["measurement"]["status"].startswith("dnf"):
                ratio = "baseline DNF"
        floor_text, floor_ratio = "-", "-"
        if floor and "result" in floor:
            floor_seconds = floor["result"]["seconds"]
            floor_text = f"{floor_seconds:.1f} s"
            rest = non_clustering_seconds(pipeline)
            if rest is not None and floor_seconds > 0:
                floor_ratio = f"{rest / floor_seconds:.1f}x ({rest:.1f} s)"
        if row.get("baseline_parameters"):
            ratio += f" (parameters scaled from {row['baseline_parameters']['scaled_from']:,})"
        baseline_time = "skipped" if row.get("baseline_skipped") else time_text(baseline)
        lines.append(
            f"| {row['customers']:,} | {row['raw_transactions']:,} | {time_text(pipeline)} "
            f"| {_memory(pipeline)} | {baseline_time} | {_memory(baseline)} | {ratio} "
            f"| {floor_text} | {floor_ratio} |"
        )
    lines += [
        "",
        "Pipeline stages (seconds, from dbt's `run_results.json`; dbt overhead is the "
        "rest of the wall time: starting, parsing, compiling, connecting):",
        "",
        f"| customers | {' | '.join(STAGES)} | dbt overhead "
        "| clustering fit | clusters | noise share |",
        "|---:|" + "---:|" * (len(STAGES) + 1) + "---|---:|---:|",
    ]
    for row in rows:
        stages = row["pipeline"].get("stages")
        params = row["pipeline"].get("parameters", {})
        if not stages:
            continue
        cells = " | ".join(f"{stages[name]:.1f}" for name in (*STAGES, "dbt_overhead"))
        noise = params.get("noise_share")
        noise_text = f"{float(noise):.1%}" if noise is not None else "-"
        lines.append(
            f"| {row['customers']:,} | {cells} | {params.get('fit_method') or '-'} "
            f"| {params.get('clusters', '-')} | {noise_text} |"
        )
    return "\n".join([*lines, "", score_table(rows), "", scale_table(rows), "", growth_table(rows)])


def score_table(rows: list[dict]) -> str:
    """Score mode against the full build of the same run, on the same files and warehouse.

    Both whole builds (wall time and peak memory of the process tree) and
    their clustering models alone: DBSCAN with its search, refinement and
    stability, against assigning every customer with the stored fit.
    """
    lines = [
        "Score mode (var clustering_mode: score) against the full build above, on its "
        "warehouse (the fit it stored) and the same files; the ratios are score over full:",
        "",
        "| customers | full build | score build | score / full | full peak memory "
        "| score peak memory | score / full | clustering model: refit | clustering model: "
        "score | score / refit |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        full, score = row["pipeline"], row.get("score")
        if not score:
            continue
        finished = score["measurement"]["status"] == "ok"
        full_wall = full["measurement"]["wall_seconds"]
        score_wall = score["measurement"]["wall_seconds"] if finished else None
        full_peak = full["measurement"]["peak_rss_bytes"]
        score_peak = score["measurement"]["peak_rss_bytes"]
        refit_model = full.get("clustering_model_seconds")
        score_model = score.get("scoring_model_seconds")
        lines.append(
            f"| {row['customers']:,} | {time_text(full)} | {time_text(score)} "
            f"| {_fine_ratio(score_wall, full_wall)} | {_gib(full_peak)} | {_gib(score_peak)} "
            f"| {_fine_ratio(score_peak, full_peak)} | {_seconds(refit_model)} "
            f"| {_seconds(score_model)} | {_fine_ratio(score_model, refit_model)} |"
        )
    return "\n".join(lines) if len(lines) > 4 else ""


def _fine_ratio(value: float | None, reference: float | None) -> str:
    """A ratio below 1 worth two decimals (a step a tenth as long reads 0.10x, not 0.1x)."""
    if value is None or not reference:
        return "-"
    return f"{value / reference:.2f}x"


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} s"


def _ratio(value: float | None, reference: float | None) -> str:
    if value is None or not reference:
        return "-"
    return f"{value / reference:.1f}x"


def _gib(count: float | None) -> str:
    return "-" if count is None else f"{count / GIB:.2f} GiB"


def scale_view(row: dict) -> dict:
    """The figures of one row the scale table compares: None where a run gave none."""
    pipeline = row["pipeline"]
    finished = pipeline["measurement"]["status"] == "ok"
    copy_floor = row.get("typed_copy_floor") or {}
    return {
        "wall": pipeline["measurement"]["wall_seconds"] if finished else None,
        "peak": pipeline["measurement"]["peak_rss_bytes"],
        "warehouse": pipeline.get("warehouse_bytes") if finished else None,
        "staging": pipeline.get("transactions_staging_seconds"),
        "copy_floor": copy_floor.get("result", {}).get("seconds"),
    }


def scale_table(rows: list[dict]) -> str:
    """Size on disk, memory and time against the data, and each row's ratio to the 1M row."""
    reference = next((scale_view(r) for r in rows if r["customers"] == LARGE_SIZE), None)
    lines = [
        "Scale (raw input as read, and the same data as CSV and as Parquet; the ratios are "
        "to the 1M row of the same run; load average: one minute, at the build's start and "
        "end):",
        "",
        "| customers | input | raw as CSV | raw as Parquet | warehouse on disk "
        "| warehouse / raw CSV | peak memory | time / 1M | peak / 1M "
        "| transactions staging | typed copy floor | staging / typed copy "
        "| adjusted Rand vs personas | load average |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        view = scale_view(row)
        sizes = row.get("raw_sizes", {})
        data_ratio = (
            f" ({row['customers'] / LARGE_SIZE:g}x the customers)"
            if reference and row["customers"] != LARGE_SIZE
            else ""
        )
        time_ratio = _ratio(view["wall"], reference and reference["wall"])
        peak_ratio = _ratio(view["peak"], reference and reference["peak"])
        staging = "-" if view["staging"] is None else f"{view['staging']:.1f} s"
        copy_floor = "-" if view["copy_floor"] is None else f"{view['copy_floor']:.1f} s"
        agreement = row["pipeline"].get("persona_agreement")
        rand = "-" if agreement is None else f"{agreement['adjusted_rand']:.3f}"
        load = row["pipeline"].get("load_average")
        load_text = f"{load[0]:.2f} -> {load[1]:.2f}" if load else "-"
        lines.append(
            f"| {row['customers']:,} | {row.get('format', 'csv')} "
            f"| {_gib(sizes.get('csv_bytes'))} | {_gib(sizes.get('parquet_bytes'))} "
            f"| {_gib(view['warehouse'])} | {_ratio(view['warehouse'], sizes.get('csv_bytes'))} "
            f"| {_gib(view['peak'])} | {time_ratio}{data_ratio} | {peak_ratio} "
            f"| {staging} | {copy_floor} | {_ratio(view['staging'], view['copy_floor'])} "
            f"| {rand} | {load_text} |"
        )
    return "\n".join(lines)


def node_name(unique_id: str) -> str:
    """A node's name from its dbt unique id (a test's id ends in a hash after its name)."""
    parts = unique_id.split(".")
    return parts[2] if len(parts) > 2 else unique_id


def growth_table(rows: list[dict], count: int = 10) -> str:
    """The nodes that add the most time from the 1M row to the largest row above it.

    Each with both times and their ratio: a ratio well above the ratio of the
    data sizes marks a step that grows faster than the data (a sort, a
    window, a frame of every row), where to look first.
    """
    by_size = {row["customers"]: row["pipeline"].get("node_seconds") for row in rows}
    larger = [size for size, nodes in by_size.items() if size > LARGE_SIZE and nodes]
    if not by_size.get(LARGE_SIZE) or not larger:
        return ""
    top = max(larger)
    small, big = by_size[LARGE_SIZE], by_size[top]
    shared = sorted(set(small) & set(big), key=lambda uid: small[uid] - big[uid])[:count]
    lines = [
        f"Nodes adding the most time from 1,000,000 to {top:,} customers "
        f"({top / LARGE_SIZE:g}x the customers):",
        "",
        f"| node | 1,000,000 | {top:,} | ratio |",
        "|---|---:|---:|---:|",
    ]
    for uid in shared:
        lines.append(
            f"| `{node_name(uid)}` | {small[uid]:.1f} s | {big[uid]:.1f} s "
            f"| {_ratio(big[uid], small[uid])} |"
        )
    return "\n".join(lines)


def update_benchmarks_md(markdown: str, path: Path = BENCHMARKS_MD) -> None:
    """Replace the table between the markers in BENCHMARKS.md."""
    text = path.read_text(encoding="utf-8")
    start, end = text.index(TABLE_START) + len(TABLE_START), text.index(TABLE_END)
    path.write_text(text[:start] + "\n" + markdown + "\n" + text[end:], encoding="utf-8")
