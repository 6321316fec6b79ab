"""What a finished build tells the benchmark: where its time went and what it found.

Stage times come from dbt's artifacts (`run_results.json`, `manifest.json`);
the clustering parameters the build chose and how well its clusters recover
the generator's planted personas come from its warehouse.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

# Stages follow the model folders (CONTRIBUTING.md): a node under models/<stage>/ or
# seeds/<stage>/ is that stage's cost; tests are their own stage.
STAGES = ("staging", "features", "clustering", "segments", "publish", "semantic", "tests")
CLUSTERING_MODEL = "customer_clusters_dbscan"
# The model that assigns every customer with the stored fit in a score build.
SCORING_MODEL = "customer_clusters_scored"
# The models that stage the transactions file, timed against the typed copy floor.
TRANSACTIONS_STAGING = (
    "base_raw__transactions_lines",
    "base_raw__transactions",
    "stg_raw__transactions",
)
DIAGNOSTICS_MODEL = "clustering_diagnostics"


def node_stage(node: dict) -> str:
    """A dbt node's benchmark stage: tests, or the folder under models/ or seeds/ it sits in.

    Anything else (hooks, a folder that is no stage) is `other`, so it is
    counted but never mistaken for a stage's cost.
    """
    if node.get("resource_type") in {"test", "unit_test"}:
        return "tests"
    parts = str(node.get("original_file_path", "")).split("/")
    if len(parts) > 2 and parts[0] in {"models", "seeds"} and parts[1] in STAGES:
        return parts[1]
    # History's snapshots record a build once its audit passed: part of publishing it.
    if parts[0] == "snapshots":
        return "publish"
    return "other"


def stage_seconds(run_results: dict, manifest: dict) -> dict[str, float]:
    """Sum dbt's per-node execution times into stages.

    Nodes the manifest does not know, and nodes of no stage, are reported
    under `other` so nothing measured is dropped.
    """
    nodes = {**manifest.get("nodes", {}), **manifest.get("unit_tests", {})}
    totals = dict.fromkeys((*STAGES, "other"), 0.0)
    for result in run_results.get("results", []):
        node = nodes.get(result["unique_id"], {})
        totals[node_stage(node)] += float(result["execution_time"])
    return {name: round(seconds, 3) for name, seconds in totals.items()}


def with_overhead(stages: dict[str, float], wall_seconds: float) -> dict[str, float]:
    """Add `dbt_overhead`: the process's wall time the nodes do not account for.

    That is starting Python, parsing and compiling the project, connecting,
    and writing artifacts: a fixed cost of every `dbt build`.
    """
    return {**stages, "dbt_overhead": round(max(0.0, wall_seconds - sum(stages.values())), 3)}


def slowest_nodes(run_results: dict, count: int = 8) -> list[tuple[str, float]]:
    """The nodes that took longest, for the report of where the time goes."""
    timed = [(r["unique_id"], float(r["execution_time"])) for r in run_results.get("results", [])]
    return sorted(timed, key=lambda item: -item[1])[:count]


def models_seconds(run_results: dict, names: tuple[str, ...]) -> float | None:
    """Seconds of the named models together, or None when one of them did not run."""
    times = {
        result["unique_id"].rsplit(".", 1)[-1]: float(result["execution_time"])
        for result in run_results.get("results", [])
        if result["unique_id"].startswith("model.")
    }
    if not all(name in times for name in names):
        return None
    return round(sum(times[name] for name in names), 3)


def _as_list(value: object) -> list[str]:
    """A features value from the diagnostics table: a list, JSON text or comma separated text."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    text = str(value).strip()
    if text.startswith("["):
        return [str(v) for v in json.loads(text)]
    return [part.strip() for part in text.split(",") if part.strip()]


def parameters_from_row(row: dict) -> dict:
    """eps, min_samples and features from one clustering_diagnostics row.

    The diagnostics may be columns of their own or one JSON document (a column
    whose name contains "json" or "diagnostics"); both are read, columns win.
    """
    merged: dict = {}
    for name, value in row.items():
        if isinstance(value, str) and ("json" in name or "diagnostics" in name):
            try:
                parsed = json.loads(value)
            except ValueError:
                continue
            if isinstance(parsed, dict):
                merged.update(parsed)
    merged.update({k: v for k, v in row.items() if v is not None})
    features = _as_list(merged.get("features_used") or merged.get("features"))
    if merged.get("eps") is None or merged.get("min_samples") is None or not features:
        raise ValueError(f"clustering_diagnostics holds no eps/min_samples/features: {row}")
    return {
        "eps": float(merged["eps"]),
        "min_samples": int(merged["min_samples"]),
        "features": features,
        "fit_method": merged.get("fit_method"),
        "clusters": merged.get("clusters"),
        "noise_share": merged.get("noise_share"),
    }


def read_pipeline_parameters(db_path: Path) -> dict:
    """The clustering parameters of a finished build, read from its warehouse (then closed)."""
    with duckdb.connect(str(db_path), read_only=True) as con:
        cursor = con.execute(f"select * from {DIAGNOSTICS_MODEL} limit 1")
        names = [d[0] for d in cursor.description]
        row = cursor.fetchone()
    if row is None:
        raise ValueError(f"{DIAGNOSTICS_MODEL} is empty")
    return parameters_from_row(dict(zip(names, row, strict=True)))


def adjusted_rand_from_counts(counts: list[tuple[object, object, int]]) -> float:
    """Adjusted Rand index from a contingency table given as (label, truth, count) rows.

    The same index as scikit-learn's `adjusted_rand_score`, computed from
    counts so that no customer crosses into Python one by one.
    """

    def pairs(values) -> float:
        return sum(v * (v - 1) / 2 for v in values)

    cells, by_label, by_truth = [], {}, {}
    for label, truth, count in counts:
        cells.append(count)
        by_label[label] = by_label.get(label, 0) + count
        by_truth[truth] = by_truth.get(truth, 0) + count
    total = sum(cells)
    index, label_pairs, truth_pairs = (
        pairs(cells),
        pairs(by_label.values()),
        pairs(by_truth.values()),
    )
    expected = label_pairs * truth_pairs / pairs([total]) if total > 1 else 0.0
    maximum = (label_pairs + truth_pairs) / 2
    if maximum == expected:
        return 1.0
    return (index - expected) / (maximum - expected)


def persona_agreement(db_path: Path, truth_path: Path) -> dict:
    """How well the build's clusters recover the generator's planted personas (truth.csv).

    Noise is one label, as in the clustering tests; customers missing from
    either side are counted, not scored.
    """
    truth = str(truth_path).replace("'", "''")
    with duckdb.connect(str(db_path), read_only=True) as con:
        counts = con.execute(
            f"""
            select clusters.cluster_id, truth.persona, count(*)
            from customer_clusters as clusters
            inner join read_csv('{truth}', all_varchar = true) as truth
                on clusters.customer_id = truth.customer_id
            group by all
            """
        ).fetchall()
        truth_rows = con.execute(f"select count(*) from read_csv('{truth}')").fetchone()[0]
    scored = sum(count for _, _, count in counts)
    return {
        "adjusted_rand": round(adjusted_rand_from_counts(counts), 4),
        "customers_scored": scored,
        "truth_rows": int(truth_rows),
    }
